"""A position's pipeline: filter, search, sort, page, pick candidates to compare, and the
invitation form for HR (its post shows the page again, with the link or the mistakes).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.audit import service as audit
from app.auth.dependencies import FormFirst, PageUser, PostedForm, client_ip
from app.auth.models import User
from app.auth.permissions import Action, can
from app.candidates import pages as candidate_pages
from app.candidates import service as candidate_service
from app.candidates.schemas import CandidateCreate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.i18n import gettext_for
from app.core.templating import render
from app.interviews import overall as overall_service
from app.ops.ratelimit import enforce_invitations
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.pages import _errors as field_errors
from app.privacy import service as privacy_service
from app.reports import funnel, pipeline, wording
from app.reports.pages.common import (
    PAGE_SIZES,
    SORTABLE,
    PipelineQuery,
    _cost_problem,
    _hides_rankings,
    _lang,
    _list_view,
    _pipeline,
    _tools,
    _tz,
    pipeline_query,
)
from app.reports.schemas import BANDS, STAGES, STATUSES
from app.reports.wording import Numbers

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _sort_links(query: PipelineQuery, base: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link (toggling direction) and its aria-sort state."""
    current = query.filters.sort
    links = {}
    for name in SORTABLE:
        # Rank and name read best ascending first; fit and NPV best first (descending).
        first = name if name in ("rank", "name") else f"-{name}"
        if current == name:
            target, state = f"-{name}", "ascending"
        elif current == f"-{name}":
            target, state = name, "descending"
        else:
            target, state = first, "none"
        links[name] = {"url": query.url(base, sort=target, offset=""), "state": state}
    return links


def _paging(query: PipelineQuery, base: str, total: int) -> dict[str, Any]:
    limit, offset = query.filters.limit, query.filters.offset
    last = min(offset + limit, total)
    return {
        "first": offset + 1 if last > offset else 0,
        "last": last,
        "total": total,
        "previous": query.url(base, offset=max(0, offset - limit) or "") if offset else None,
        "next": query.url(base, offset=offset + limit) if offset + limit < total else None,
    }


def _pipeline_page(
    request: Request,
    session: Session,
    user: User,
    position: Position,
    *,
    invited: dict[str, Any] | None = None,
    duplicate: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The pipeline of a position, with the invitation form for HR."""
    query = pipeline_query(request)
    organization = organization_service.get(session, position.organization_id)
    hide_rankings = _hides_rankings(session, position)
    # The oversight setting: alphabetical, scores only on the report.
    filters, _columns = _list_view(session, position, query.filters, [])
    page = _pipeline(session, position, filters)
    _, numbers = _tools(request)
    items = [
        {
            **item.model_dump(),
            "requirements_text": [
                wording.requirement_short(_, r.model_dump(), numbers)
                for r in item.requirements_missed
            ],
            "erased": item.email == privacy_service.erased_email(item.id),
        }
        for item in page.items
    ]
    base = f"/positions/{position.id}"
    export_query = {k: v for k, v in query.values.items() if k not in ("limit", "offset") and v}
    export_suffix = f"?{urlencode(export_query)}" if export_query else ""
    return render(
        request,
        "reports/pipeline.html",
        {
            "position": position,
            "is_demo": bool(organization and organization.is_demo),
            "page": {**page.model_dump(exclude={"items"}), "items": items},
            "query": query,
            "sort_links": _sort_links(query, base),
            "paging": _paging(query, base, page.total),
            "page_sizes": PAGE_SIZES,
            "statuses": STATUSES,
            "bands": BANDS,
            "stages": STAGES,
            "stage_counts": pipeline.stage_counts(session, position=position),
            "overall_weights": overall_service.weights(session, position=position),
            "export_suffix": export_suffix,
            "filtered": any(
                query.values.get(k)
                for k in ("status", "band", "stage", "requirements", "knockouts", "flagged", "q")
            ),
            "can_edit": can(user, Action.manage_hiring),
            "invited": invited,
            "duplicate": duplicate,
            "funnel": funnel.stages(session, position_id=pk(position)),
            "done": _done(session, request, user),
            "is_admin": can(user, Action.administer),
            "errors": errors or {},
            "values": values or {},
            "fmt": Numbers(_lang(request), _tz(request)),
            "cost_problem": _cost_problem(position, _lang(request)),
            "ranking_text": wording.ranking_text(_, page.ranking.model_dump(), numbers),
            "hide_rankings": hide_rankings,
        },
        status_code=status_code,
        # The invitation form posts to /candidates; a mistake is shown again on the pipeline.
        form_page=base,
    )


def _done(session: Session, request: Request, user: User) -> dict[str, str] | None:
    """What a link action just did (``?done=…&candidate=…``), for the note at the top."""
    done, candidate_id = (request.query_params.get(k, "") for k in ("done", "candidate"))
    if done not in candidate_pages.DONE or not re.fullmatch(r"[0-9]{1,18}", candidate_id):
        return None
    try:
        candidate = candidate_service.get(session, candidate_id=int(candidate_id),
                                          organization_id=user.organization_id)
    except NotFound:
        return None
    return {"what": done, "name": candidate.full_name}


@router.get("/positions/{position_id:int}", response_class=HTMLResponse)
def position_pipeline(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """A position's pipeline: filter, search, sort, page, pick candidates to compare."""
    position = position_service.get(session, position_id=position_id, user=user)
    return _pipeline_page(request, session, user, position)


@router.post("/positions/{position_id:int}/candidates", dependencies=FormFirst)
def invite(
    position_id: int, request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """Invite a candidate; the link is shown once, to copy, and e-mailed via the outbox."""
    if not can(user, Action.manage_hiring):
        raise Forbidden()
    position = position_service.get(session, position_id=position_id, user=user)
    # 429 past the hourly limit; a refused form below rolls the count back.
    enforce_invitations(session, user_id=pk(user), language=_lang(request))
    values = {
        key: str(form.get(key) or "").strip()
        for key in ("full_name", "email", "language", "extra_time_pct")
    }
    try:
        data = CandidateCreate.model_validate(
            {
                "full_name": values["full_name"],
                "email": values["email"],
                "language": values["language"] or "en",
                "extra_time_pct": values["extra_time_pct"] or 0,
            }
        )
        if form.get("duplicate") != "confirmed" and (
            same := candidate_service.same_email(session, position_id=pk(position),
                                                 email=str(data.email))
        ):
            duplicate = {"email": str(data.email).lower(), "candidates": [
                {"id": c.id, "full_name": c.full_name, "created_at": c.created_at,
                 "status": candidate_service.effective_status(session, candidate=c)}
                for c in same
            ]}
            session.rollback()  # the invitation count too: nothing was sent
            return _pipeline_page(request, session, user, position, values=values,
                                  duplicate=duplicate, status_code=409)
        candidate, invitation, token = candidate_service.invite(
            session,
            position=position,
            data=data,
            actor=user,
            base_url=get_settings().base_url,
        )
    except (ValidationError, DomainError) as exc:
        session.rollback()
        return _pipeline_page(
            request,
            session,
            user,
            position,
            errors=field_errors(exc, gettext_for(_lang(request))),
            values=values,
            status_code=422,
        )
    audit.record(
        session,
        actor=user,
        action="candidate.invite",
        object_type="candidate",
        object_id=candidate.id,
        details={"position_id": position.id},
        ip=client_ip(request),
    )
    session.commit()
    invited = {
        "candidate": candidate,
        "expires_at": invitation.expires_at,
        "url": candidate_service.invitation_url(get_settings().base_url, token),
        "smtp": bool(get_settings().smtp_url),
    }
    return _pipeline_page(request, session, user, position, invited=invited)
