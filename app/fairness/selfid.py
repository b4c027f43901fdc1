"""Voluntary self-identification after submit (issue 17): the questions an organization
asks, a candidate's answers, their erasure and export.

The answers serve one purpose: counting people by group in the impact report, so the
organization can see whether its process selects one group less often. They are never
required, never change a score, and no page or API shows them for one candidate to staff.
"Prefer not to say" is stored as such and counted as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.errors import N_, Invalid, field_problem
from app.fairness.models import SelfIdentification

PREFER_NOT = "prefer_not"
#: The questions and the answers each accepts (besides "prefer not to say"), in order.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "gender": ("female", "male", "another"),
    "age_band": ("under_40", "40_plus"),
    "first_language": ("italian", "other"),
    "disability": ("yes", "no"),
}


def _invalid(field: str, message: str, **params: object) -> Invalid:
    return field_problem(field, message, params=params, loc=["body", field])


def asked(settings: Mapping[str, Any] | None) -> list[str]:
    """The questions the organization chose to ask (none unless it chose some)."""
    chosen = (settings or {}).get("self_identification") or []
    return [key for key in QUESTIONS if key in chosen]


def check_questions(keys: list[str]) -> list[str]:
    """The chosen question keys, or a 422 naming the unknown one."""
    for key in keys:
        if key not in QUESTIONS:
            raise _invalid("self_identification",
                           N_("unknown question %(key)r; choose from %(choices)s"),
                           key=key, choices=", ".join(QUESTIONS))
    return [key for key in QUESTIONS if key in keys]


def get(session: Session, *, candidate_id: int) -> SelfIdentification | None:
    """The candidate's answers, if they gave any."""
    return session.exec(
        select(SelfIdentification).where(SelfIdentification.candidate_id == candidate_id)
    ).first()


def save(
    session: Session,
    *,
    organization_id: int,
    candidate_id: int,
    questions: list[str],
    answers: Mapping[str, str | None],
) -> SelfIdentification:
    """Store the answers to the asked questions (others stay empty); a 422 names a bad one."""
    values: dict[str, str | None] = {}
    for key in QUESTIONS:
        value = answers.get(key) or None
        if key not in questions or value is None:
            values[key] = None
            continue
        if value != PREFER_NOT and value not in QUESTIONS[key]:
            raise _invalid(key, N_("choose one of %(choices)s"),
                           choices=", ".join((*QUESTIONS[key], PREFER_NOT)))
        values[key] = value
    row = get(session, candidate_id=candidate_id)
    if row is None:
        row = SelfIdentification(organization_id=organization_id, candidate_id=candidate_id)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def forget(session: Session, *, candidate_id: int) -> None:
    """Delete the candidate's answers (withdrawal, or erasure of the candidate)."""
    session.exec(delete(SelfIdentification).where(
        col(SelfIdentification.candidate_id) == candidate_id))


def exported(session: Session, *, candidate_id: int) -> dict[str, Any] | None:
    """The answers as the candidate's own export shows them."""
    row = get(session, candidate_id=candidate_id)
    if row is None:
        return None
    return {key: getattr(row, key) for key in QUESTIONS} | {
        "consent_at": row.consent_at, "updated_at": row.updated_at}


def group_of(row: SelfIdentification | None, key: str) -> str | None:
    """A person's group on one question for counting: None when unknown or not said."""
    value = getattr(row, key, None) if row is not None else None
    return None if value in (None, PREFER_NOT) else value
