"""The competency model and the questionnaire bank (with scoring keys) for staff."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.auth.dependencies import StaffUser
from app.bank import service as bank_service
from app.core.db import SessionDep, SessionRoute
from app.core.fields import MAX_ID
from questionnaires.views import keyed_questionnaire
from scoring.competencies import COMPETENCIES, DEFAULT_LANGUAGE_HURDLE

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["questionnaires"])


@router.get("/competencies")
def competencies(user: StaffUser) -> dict[str, Any]:
    """The KAM competency model with default weights and the default language hurdle."""
    return {
        "competencies": [competency.to_dict() for competency in COMPETENCIES],
        "default_language_hurdle": DEFAULT_LANGUAGE_HURDLE,
    }


@router.get("/questionnaires")
def list_questionnaires(session: SessionDep, user: StaffUser) -> list[dict[str, Any]]:
    """Every questionnaire: newest version, all versions, sections and item counts."""
    result = []
    for row in bank_service.latest_rows(session):
        questionnaire = bank_service.parsed(row)
        result.append(
            {
                "key": row.key,
                "version": row.version,
                "versions": bank_service.versions_of(session, key=row.key),
                "content_hash": row.content_hash,
                "title": questionnaire.title.model_dump(),
                "sections": [
                    {"key": s.key, "time_limit_s": s.time_limit_s, "items": len(s.items)}
                    for s in questionnaire.sections
                ],
            }
        )
    return result


@router.get("/questionnaires/{key}")
def get_questionnaire(
    key: str,
    session: SessionDep,
    user: StaffUser,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    language: Literal["it", "en"] = "en",
) -> dict[str, Any]:
    """One version (newest by default) with every item *and* its scoring key."""
    row = bank_service.get_row(session, key=key, version=version)
    view = keyed_questionnaire(bank_service.parsed(row), language)
    view["versions"] = bank_service.versions_of(session, key=key)
    view["content_hash"] = row.content_hash
    return view
