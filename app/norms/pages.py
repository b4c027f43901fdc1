"""Psychometrics for administrators: norm status, rebuild, export and import of norm tables,
and the item analysis of each questionnaire version (SPEC §3.3, §3.4, §3.8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from app.auth.dependencies import AdminPageUser, FormFirst, PostedForm, client_ip
from app.auth.models import User
from app.bank import service as bank_service
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, NotFound
from app.core.i18n import gettext_for
from app.core.numbers import Numbers
from app.core.templating import render
from app.fairness import dif as dif_service
from app.fairness import pages as fairness_pages
from app.fairness import selfid as selfid_service
from app.norms import api as norm_api
from app.norms import service as norm_service
from app.organizations import service as organization_service
from app.scores import service as score_service
from questionnaires.schema import ChoiceItem
from scoring import norm_status
from scoring.competencies import COMPETENCIES
from scoring.item_analysis import DISTRACTOR_MIN, P_MAX, P_MIN, R_MIN
from scoring.serialization import unsigned_zero

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

AdminPage = AdminPageUser
COMPETENCY_LABELS = {c.key: c.label for c in COMPETENCIES}
SORTS = ("item", "flag", "p", "r")




def _language(request: Request) -> tuple[str, Callable[..., str]]:
    lang = getattr(request.state, "language", "en")
    return lang, gettext_for(lang)


def decimal(value: float | None, lang: str, decimals: int = 2) -> str:
    """A statistic with fixed decimals in the page's language; a dash when there is none."""
    if value is None:
        return "—"
    return format_decimal(unsigned_zero(value, decimals), format="#,##0." + "0" * decimals,
                          locale=lang)


def status_message(n: int, min_n: int, _: Callable[..., str]) -> str:
    """SPEC §3.3's norm status sentence, translated (the same words as the API's message)."""
    status = norm_status(n, min_n)
    if status == "none":
        return _("norms not yet established (n = %(n)s of %(min_n)s)", n=n, min_n=min_n)
    if status == "provisional":
        return _("provisional norms (n = %(n)s)", n=n)
    return _("operational norms (n = %(n)s)", n=n)


def _title(session: Any, key: str, version: int, lang: str) -> str:
    try:
        return bank_service.get(session, key=key, version=version).title.pick(lang)
    except NotFound:
        return key


def _versions(session: Any, user: User, lang: str, _: Callable[..., str]) -> list[dict[str, Any]]:
    """The norm status of every questionnaire version, ready to show."""
    out = []
    for entry in norm_service.status(session, organization_id=user.organization_id):
        table = entry["table"]
        scales = [
            {
                **scale,
                "label": _(COMPETENCY_LABELS.get(scale["competency"], scale["competency"])),
                "alpha_text": decimal(scale["alpha"], lang),
                "threshold_text": decimal(scale["alpha_threshold"], lang),
                "mean_text": decimal(scale["mean"], lang),
                "sd_text": decimal(scale["sd"], lang),
                "sem_text": decimal(scale["sem"], lang),
            }
            for scale in entry["scales"]
        ]
        out.append(
            {
                **entry,
                "title": _title(
                    session, entry["questionnaire_key"], entry["questionnaire_version"], lang
                ),
                "message_text": status_message(entry["n"], entry["min_n"], _),
                "table": table,
                "scales": scales,
            }
        )
    return out


def _status_page(
    request: Request,
    session: Any,
    user: User,
    *,
    notice: str | None = None,
    import_error: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    lang, _ = _language(request)
    return render(
        request,
        "norms/psychometrics.html",
        {
            "versions": _versions(session, user, lang, _),
            "min_n": get_settings().norm_min_n,
            # Times in the organization's time zone, like every other staff page.
            "fmt": Numbers(lang, getattr(request.state, "time_zone", None)),
            "notice": notice,
            "import_error": import_error,
        },
        status_code=status_code,
        form_page="/admin/psychometrics",
        draft_keys=("import_error",),
    )


@router.get("/admin/psychometrics", response_class=HTMLResponse)
def psychometrics(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    rebuilt: int | None = None,
    imported: str | None = None,
) -> Response:
    """Norm status per questionnaire version, with rebuild, export and import."""
    _lang, _ = _language(request)
    notice = None
    if rebuilt is not None:
        notice = (
            _(
                "Norm tables rebuilt: %(count)s. Every position was rescored with them.",
                count=rebuilt,
            )
            if rebuilt
            else _(
                "Nothing was rebuilt: no questionnaire version has completed attempts, or "
                "its table was imported (tick the box to replace imported tables)."
            )
        )
    elif imported:
        notice = _(
            "Norm table imported for %(version)s. Every position was rescored with it.",
            version=imported[:80],
        )
    return _status_page(request, session, user, notice=notice)


@router.post("/admin/psychometrics/rebuild", dependencies=FormFirst)
def rebuild(request: Request, session: SessionDep, user: AdminPage, form: PostedForm) -> Response:
    """Rebuild every norm table from the completed attempts now, and rescore."""
    rows = norm_service.rebuild(
        session,
        organization_id=user.organization_id,
        replace_imported=form.get("replace_imported") == "1",
    )
    score_service.rescore_after_norms(session, rows=rows)
    norm_service.audit_rebuild(session, rows, actor=user, ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/admin/psychometrics?rebuilt={len(rows)}", status_code=303)


@router.get("/admin/psychometrics/{key}/{version}/export")
def export(key: str, version: int, session: SessionDep, user: AdminPage) -> Response:
    """The norm table in force for a version, as the JSON file the import takes."""
    return norm_api.norm_file(session, organization_id=user.organization_id, key=key,
                              version=version)


def _messages(exc: DomainError, _: Callable[..., str]) -> list[str]:
    """What the import refused, in the page's language; a field of the file keeps its name."""
    if exc.template is not None:
        return [f"{exc.field}: {exc.sentence(_)}" if exc.field else exc.translated(_)]
    detail = exc.detail
    if isinstance(detail, list):
        return [str(d.get("message") or d.get("msg") or d) for d in detail]
    return [str(detail)]


@router.post("/admin/psychometrics/import", dependencies=FormFirst)
def import_table(
    request: Request, session: SessionDep, user: AdminPage, form: PostedForm
) -> Response:
    """Use an uploaded norm table (exported by this service) for its questionnaire version."""
    _lang, _ = _language(request)
    upload = form.get("table")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _status_page(
            request,
            session,
            user,
            status_code=422,
            import_error=[_("Choose a norm table file (.json) to import.")],
        )
    try:
        data = json.loads(upload.file.read())
    except (ValueError, UnicodeDecodeError) as exc:
        return _status_page(
            request,
            session,
            user,
            status_code=422,
            import_error=[_("The file is not JSON: %(problem)s", problem=str(exc)[:200])],
        )
    try:
        row = norm_service.import_table(session, organization_id=user.organization_id, data=data)
    except DomainError as exc:
        session.rollback()
        return _status_page(request, session, user, status_code=422, import_error=_messages(exc, _))
    score_service.rescore_after_norms(session, rows=[row])
    norm_service.audit_import(session, row, actor=user, ip=client_ip(request))
    session.commit()
    label = f"{row.questionnaire_key} v{row.questionnaire_version}"
    return RedirectResponse(f"/admin/psychometrics?imported={label}", status_code=303)


# --- item analysis ------------------------------------------------------------------------


def flag_label(code: str, _: Callable[..., str], lang: str) -> str:
    """The short reason of a review flag (SPEC §3.8)."""
    if code == "low_discrimination":
        return _("r < %(r_min)s", r_min=decimal(R_MIN, lang))
    if code in ("negative_discrimination", "best_not_chosen_most"):
        return _("check the key")
    if code in ("too_hard", "too_easy"):
        return _("p outside %(low)s–%(high)s", low=decimal(P_MIN, lang), high=decimal(P_MAX, lang))
    if code == "weak_distractor":
        share = decimal(100 * DISTRACTOR_MIN, lang, 0) + " %"
        return _("distractor chosen by under %(share)s", share=share)
    if code == "no_variance":
        return _("no variance")
    return code


def _grouped_flags(
    flags: list[dict[str, str]], _: Callable[..., str], lang: str
) -> list[dict[str, Any]]:
    """One line per reason (three weak distractors are one reason), the messages as given."""
    grouped: dict[str, list[str]] = {}
    for flag in flags:
        grouped.setdefault(flag_label(flag["code"], _, lang), []).append(flag["message"])
    return [{"label": label, "messages": messages} for label, messages in grouped.items()]


def _keyed(session: Any, key: str, version: int) -> dict[str, set[str]]:
    """The best-scoring option(s) of every choice item (the key, or the best SJT answer)."""
    keyed = {}
    for _section, item in bank_service.get(session, key=key, version=version).iter_items():
        if isinstance(item, ChoiceItem):
            # A best/worst SJT's best is the panel's most effective option.
            values = [option.score if option.score is not None else option.effectiveness
                      for option in item.options]
            best = max(v for v in values if v is not None)
            keyed[item.id] = {o.id for o, v in zip(item.options, values, strict=True)
                              if v == best}
    return keyed


def _sorted(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort == "flag":
        return sorted(items, key=lambda i: (-len(i["flags"]), i["order"]))
    if sort in ("p", "r"):
        field = "p" if sort == "p" else "r_it"
        return sorted(items, key=lambda i: (i[field] is None, i[field] or 0.0, i["order"]))
    return items


@router.get("/admin/psychometrics/{key}/{version}/items", response_class=HTMLResponse)
def items(
    key: str,
    version: int,
    request: Request,
    session: SessionDep,
    user: AdminPage,
    sort: str = "item",
) -> Response:
    """Difficulty, corrected item–total r, option frequencies and review flags per item."""
    lang, _ = _language(request)
    sort = sort if sort in SORTS else "item"
    analysis = norm_service.analyse_items(
        session, organization_id=user.organization_id, key=key, version=version
    )
    keyed = _keyed(session, key, version)
    organization = organization_service.get(session, user.organization_id)
    item_bias = dif_service.analyse(
        session, organization_id=user.organization_id, key=key, version=version,
        asked=selfid_service.asked(organization.settings if organization else None))
    for found in item_bias["flagged"].values():
        for entry in found:
            entry["d_text"] = decimal(entry["d_dif"], lang)
            entry["p_text"] = decimal(entry["p_value"], lang, 3)
    rows = []
    for order, item in enumerate(analysis["items"]):
        frequencies = [
            {
                "option": option,
                "share": decimal(100 * share, lang, 0) + " %",
                "keyed": option in keyed.get(item["item_id"], set()),
            }
            for option, share in (item["option_frequencies"] or {}).items()
            if share is not None
        ]
        rows.append(
            {
                **item,
                "order": order,
                "competency_label": _(
                    COMPETENCY_LABELS.get(item["competency"], item["competency"])
                ),
                "p_text": decimal(item["p"], lang),
                "r_text": decimal(item["r_it"], lang),
                "exposures_text": decimal(item.get("exposures"), lang, 0),
                "frequencies": frequencies,
                # Best/worst SJTs: the shares choosing each option as the least effective.
                "worst_list": [
                    {"option": option, "share": decimal(100 * share, lang, 0) + " %"}
                    for option, share in (item.get("worst_frequencies") or {}).items()
                    if share is not None
                ],
                "flag_rows": _grouped_flags(item["flags"], _, lang),
            }
        )
    return render(
        request,
        "norms/items.html",
        {
            "analysis": analysis,
            "title": _title(session, key, version, lang),
            "items": _sorted(rows, sort),
            "sort": sort,
            "min_n": get_settings().norm_min_n,
            "dif": item_bias,
            "group_labels": fairness_pages.attribute_labels(lang),
            "thresholds": {
                "r_min": decimal(R_MIN, lang),
                "p_min": decimal(P_MIN, lang),
                "p_max": decimal(P_MAX, lang),
                "distractor": decimal(100 * DISTRACTOR_MIN, lang, 0) + " %",
            },
        },
    )
