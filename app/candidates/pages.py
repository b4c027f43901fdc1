"""A candidate's link from the staff pages: copy a fresh link, e-mail it again, revoke it,
erase the candidate. Each action is a POST from the candidate page or the pipeline, audited.

A fresh link is shown once, on the answer to its POST (only its hash is stored, so it cannot
be shown again later); the other actions redirect back (POST → redirect → GET) with a note
of what was done.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.audit import service as audit
from app.auth.dependencies import CsrfChecked, FormFirst, PageUser, PostedForm, client_ip
from app.auth.models import User
from app.auth.permissions import Action, can
from app.candidates import bulk, messages
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.candidates.schemas import CandidateCreate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.i18n import gettext_for
from app.core.templating import display, render
from app.ops import ratelimit
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.models import Position
from app.privacy import service as privacy_service
from app.reports.wording import Numbers

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

#: What a page may show after an action (``?done=…``); anything else shows nothing.
DONE = ("resent", "revoked", "erased", "message")
Back = Annotated[str, Form(max_length=20)]


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _hr_candidate(session: Session, user: User, candidate_id: int) -> tuple[Candidate, Position]:
    """The candidate and position behind the path, for HR of the same organization."""
    if not can(user, Action.manage_hiring):
        raise Forbidden()
    candidate = candidate_service.get(session, candidate_id=candidate_id,
                                      organization_id=user.organization_id)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate, position


def _renewable(request: Request, candidate: Candidate) -> None:
    _ = gettext_for(_lang(request))
    if candidate.erased_at is not None:
        raise Conflict(_("This candidate's data has been erased; there is no link to renew."))
    if not candidate_service.can_renew(candidate):
        raise Conflict(
            _("%(name)s has already started or finished the assessment (%(status)s): a new "
              "link would not help.", name=candidate.full_name,
              status=display(_, candidate.status))
        )


def back_url(candidate: Candidate, back: str, done: str | None = None) -> str:
    """Where an action returns to: the pipeline or the candidate page (never a given URL)."""
    query = f"?done={done}" if done else ""
    if back == "pipeline":
        query = f"{query}&candidate={candidate.id}" if done else ""
        return f"/positions/{candidate.position_id}{query}#pipeline-title"
    return f"/candidates/{candidate.id}{query}#invitation"


@router.post("/candidates/{candidate_id:int}/link", dependencies=[CsrfChecked],
             response_class=HTMLResponse)
def copy_link_again(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """A fresh link to copy (the old one stops working); no e-mail is sent."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    _renewable(request, candidate)
    ratelimit.enforce_invitations(session, user_id=pk(user), language=_lang(request))
    invitation, token = candidate_service.renew_link(session, candidate=candidate,
                                                     position=position)
    audit.record(session, actor=user, action="candidate.new_link", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    response = render(request, "candidates/link.html", {
        "candidate": candidate,
        "position": position,
        "url": candidate_service.invitation_url(get_settings().base_url, token),
        "expires_at": invitation.expires_at,
        "back": back_url(candidate, back),
        "fmt": Numbers(_lang(request), getattr(request.state, "time_zone", None)),
    })
    # The link is a credential: never kept by a cache, never shown again on Back.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/candidates/{candidate_id:int}/resend", dependencies=[CsrfChecked])
def resend_email(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """E-mail a fresh link again (the old one stops working)."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    _renewable(request, candidate)
    ratelimit.enforce_invitations(session, user_id=pk(user), language=_lang(request))
    candidate_service.resend(session, candidate=candidate, position=position,
                             base_url=get_settings().base_url)
    audit.record(session, actor=user, action="candidate.resend", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    return RedirectResponse(back_url(candidate, back, "resent"), status_code=303)


@router.post("/candidates/{candidate_id:int}/revoke", dependencies=[CsrfChecked])
def revoke_link(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """Withdraw the candidate's link; an attempt in progress stops accepting answers."""
    candidate, _position = _hr_candidate(session, user, candidate_id)
    _ = gettext_for(_lang(request))
    if candidate.status == "completed":
        raise Conflict(_("The assessment is already completed; there is nothing to revoke."))
    if candidate.status != "revoked":
        candidate_service.revoke(session, candidate=candidate)
        audit.record(session, actor=user, action="candidate.revoke", object_type="candidate",
                     object_id=candidate.id, ip=client_ip(request))
        session.commit()
    return RedirectResponse(back_url(candidate, back, "revoked"), status_code=303)


@router.post("/candidates/{candidate_id:int}/erase", dependencies=[CsrfChecked])
def erase(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """Erase (anonymise) the candidate, as the GDPR API does (admins only); repeatable."""
    if not can(user, Action.administer):
        raise Forbidden()
    candidate, _position = _hr_candidate(session, user, candidate_id)
    privacy_service.erase(session, candidate=candidate, actor=user, ip=client_ip(request))
    session.commit()
    return RedirectResponse(back_url(candidate, back, "erased"), status_code=303)


# --- inviting many at once ----------------------------------------------------------------


def _problem_text(_: Any, key: str, values: dict[str, Any]) -> str:
    """A row's problem in the reader's words."""
    texts: dict[str, str] = {
        "name_missing": _("The name is missing."),
        "name_long": _("The name is longer than 200 characters."),
        "email_missing": _("The e-mail is missing."),
        "email_invalid": _("%(email)s is not an e-mail address.", **values)
        if "email" in values else "",
        "already_invited": _("Already invited to this position: resend from the pipeline "
                             "instead."),
        "repeated": _("The same e-mail as line %(line)s.", **values) if "line" in values else "",
        "language": _("Language %(value)s: write it (Italian) or en (English).", **values)
        if "value" in values else "",
        "extra_time": _("Extra time %(value)s: write 0, 25, 50 or 100.", **values)
        if "value" in values else "",
        "too_many": _("Past the first %(max)s rows: split the list.", **values)
        if "max" in values else "",
        "rate_limit": _("Not sent: the hourly limit of invitations was reached. Send it again "
                        "in an hour."),
    }
    return texts.get(key, key)


def _bulk_page(
    request: Request, session: Session, user: User, position: Position, *,
    rows: list[bulk.Row] | None = None, sent: list[bulk.Row] | None = None,
    error: str = "", text: str = "", status_code: int = 200,
) -> Response:
    _ = gettext_for(_lang(request))
    left = ratelimit.invitations_left(session, user_id=pk(user))
    shown = [
        {**row.values(), "line": row.line, "ok": row.ok,
         "problems": [_problem_text(_, key, values) for key, values in row.problems]}
        for row in rows or []
    ]
    valid = [r for r in rows or [] if r.ok]
    return render(request, "candidates/bulk.html", {
        "position": position,
        "rows": shown,
        "valid": len(valid),
        "invalid": len(shown) - len(valid),
        "resend_text": "\n".join("\t".join((r.name, r.email, r.language_code or "",
                                            str(r.extra_time_pct or 0))) for r in valid),
        "sent": sent,
        "error": error,
        "text": text,
        "left": left,
        "limit": ratelimit.INVITATIONS.max_events,
        "max_rows": bulk.MAX_ROWS,
    }, status_code=status_code, draft_keys=("error", "text"))


def _hr_position(session: Session, user: User, position_id: int) -> Position:
    if not can(user, Action.manage_hiring):
        raise Forbidden()
    return position_service.get(session, position_id=position_id, user=user)


@router.get("/positions/{position_id:int}/invite-many", response_class=HTMLResponse)
def bulk_form(position_id: int, request: Request, session: SessionDep, user: PageUser) -> Response:
    """Paste a list or upload a CSV / XLSX file of candidates to invite."""
    position = _hr_position(session, user, position_id)
    return _bulk_page(request, session, user, position)


@router.post("/positions/{position_id:int}/invite-many", dependencies=FormFirst,
             response_class=HTMLResponse)
def bulk_invite(
    position_id: int, request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """Preview the list (every row checked, nothing sent), or send every valid row."""
    position = _hr_position(session, user, position_id)
    _ = gettext_for(_lang(request))
    text = str(form.get("text") or "")[:200_000]
    upload = form.get("file")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            rows = bulk.read(filename=upload.filename, data=upload.file.read())
        else:
            rows = bulk.read(text=text)
    except bulk.UnreadableFile:
        return _bulk_page(request, session, user, position, status_code=422, text=text,
                          error=_("The file could not be read: upload a CSV or an Excel "
                                  "(.xlsx) file."))
    if not rows:
        return _bulk_page(request, session, user, position, status_code=422, text=text,
                          error=_("The list is empty: paste one candidate per line, or "
                                  "upload a file."))
    rows = bulk.check(session, position_id=pk(position), rows=rows,
                      default_language=_lang(request))
    if form.get("action") != "send":
        return _bulk_page(request, session, user, position, rows=rows, text=text)
    if position.status != "open":
        raise Conflict(_("This position is not open (%(status)s); open it before inviting "
                         "candidates.", status=display(_, position.status)))
    sent: list[bulk.Row] = []
    for row in rows:
        if not row.ok:
            continue
        if ratelimit.invitations_left(session, user_id=pk(user)) <= 0:
            row.problems.append(("rate_limit", {}))
            continue
        ratelimit.enforce_invitations(session, user_id=pk(user), language=_lang(request))
        candidate, _invitation, _token = candidate_service.invite(
            session, position=position, actor=user, base_url=get_settings().base_url,
            data=CandidateCreate(full_name=row.name, email=row.email,
                                 language=row.language_code, extra_time_pct=row.extra_time_pct),
        )
        audit.record(session, actor=user, action="candidate.invite", object_type="candidate",
                     object_id=candidate.id, details={"position_id": position.id, "bulk": True},
                     ip=client_ip(request))
        sent.append(row)
    session.commit()
    return _bulk_page(request, session, user, position, sent=sent,
                      rows=[r for r in rows if not r.ok])


# --- messages after a decision -------------------------------------------------------------


def _message_kind(request: Request, kind: str) -> str:
    if kind not in messages.KINDS:
        _ = gettext_for(_lang(request))
        raise Invalid(_("kind: choose advance, hold or reject."))
    return kind


@router.get("/candidates/{candidate_id:int}/message", response_class=HTMLResponse)
def message_form(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, kind: str = ""
) -> Response:
    """The message for a decision, filled in from the organization's template, to read,
    change and send."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    kind = _message_kind(request, kind)
    return render(request, "candidates/message.html", {
        "candidate": candidate, "position": position, "kind": kind,
        "message": messages.draft(session, candidate=candidate, kind=kind, sender=user),
        "errors": {},
    })


@router.post("/candidates/{candidate_id:int}/message", dependencies=[CsrfChecked])
def send_message(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser,
    kind: Annotated[str, Form(max_length=16)] = "",
    subject: Annotated[str, Form(max_length=messages.MAX_SUBJECT)] = "",
    body: Annotated[str, Form(max_length=messages.MAX_BODY)] = "",
) -> Response:
    """Send the message through the outbox; it is recorded on the candidate's page."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    kind = _message_kind(request, kind)
    _ = gettext_for(_lang(request))
    errors = {}
    if not subject.strip():
        errors["subject"] = _("Write a subject.")
    if not body.strip():
        errors["body"] = _("Write the message.")
    if candidate.erased_at is not None:
        errors["form"] = _("This candidate's data has been erased; there is nobody to write to.")
    if errors:
        return render(request, "candidates/message.html", {
            "candidate": candidate, "position": position, "kind": kind, "errors": errors,
            "message": {"subject": subject, "body": body, "language": candidate.language},
        }, status_code=422, form_page=f"/candidates/{candidate.id}/message?kind={kind}",
            draft_keys=("message", "errors"))
    messages.send(session, candidate=candidate, kind=kind, subject=subject.strip(),
                  body=body.strip(), sender=user, ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}?done=message#decisions",
                            status_code=303)


def _template_values(form: Any) -> dict[str, dict[str, dict[str, str]]]:
    return {kind: {lang: {part: str(form.get(f"{kind}-{lang}-{part}") or "")
                          for part in ("subject", "body")}
                   for lang in messages.LANGUAGES}
            for kind in messages.KINDS}


@router.get("/admin/messages", response_class=HTMLResponse)
def message_templates(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The organization's messages after a decision, in Italian and English, to edit."""
    if not can(user, Action.administer):
        raise Forbidden()
    organization = organization_service.get(session, user.organization_id)
    return render(request, "candidates/templates.html", {
        "templates": messages.templates(organization), "kinds": messages.KINDS,
        "languages": messages.LANGUAGES,
        "placeholders": messages.PLACEHOLDERS,
        "saved": request.query_params.get("saved") == "1",
    })


@router.post("/admin/messages", dependencies=FormFirst)
def save_message_templates(
    request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """Store the edited templates (an empty field goes back to the default)."""
    if not can(user, Action.administer):
        raise Forbidden()
    organization = organization_service.get_own(session, user.organization_id)
    values = _template_values(form)
    for kind in values.values():
        for lang in kind.values():
            lang["subject"] = lang["subject"][:messages.MAX_SUBJECT]
            lang["body"] = lang["body"][:messages.MAX_BODY]
    messages.save_templates(session, organization=organization, values=values)
    audit.record(session, actor=user, action="organization.messages",
                 object_type="organization", object_id=organization.id,
                 ip=client_ip(request))
    session.commit()
    return RedirectResponse("/admin/messages?saved=1", status_code=303)
