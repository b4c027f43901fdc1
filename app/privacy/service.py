"""GDPR for candidates (SPEC §5): export what is held about one, erase one, and the
organization's retention period after which the worker erases them.

Erasure anonymises; it does not delete the rows (docs/privacy.md says why and what):

* removed: name and e-mail (replaced by ``Erased candidate #<id>`` and
  ``erased-<id>@invalid``), the accommodation (extra time), the whole screening form (no norm
  or score needs it), IP addresses, browser strings, the page's integrity counters, per-item
  answer times, integrity flags, decision notes, the voluntary self-identification, the
  reasons of review requests and their outcomes, and every e-mail to the candidate still in
  the outbox (they hold the name, the address and the personal link);
* revoked: every invitation link; an attempt that was never completed is deleted with its
  answers (an unfinished attempt serves no norm);
* kept: the completed attempt's answers, its score and its questionnaire versions (anonymous
  once the identity is gone; the norm group is built from them), each decision's kind, date
  and the staff member who made it, webhook events (ids only), and the audit trail of staff
  actions, which holds no candidate data; a ``candidate.erase`` entry is added.

Erasing an erased candidate changes nothing and adds no audit entry.
"""

from __future__ import annotations

import calendar
import json
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, update
from sqlmodel import Session, col, select

from app.assessments.models import Answer, Attempt, AttemptSection
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.auth.models import User
from app.candidates import decisions as decision_service
from app.candidates.models import Candidate, Decision, Invitation
from app.core.clock import utcnow
from app.core.db import id_of, pk
from app.core.tenancy import owned_by, readable
from app.explanations import service as explanation_service
from app.explanations.models import Contest
from app.fairness import selfid as selfid_service
from app.interviews import outcomes as outcome_service
from app.interviews import service as interview_service
from app.interviews.models import InterviewAssignment
from app.organizations.models import Organization
from app.outbox.models import OutboxMessage
from app.positions.models import Position
from app.scores import service as score_service
from app.scores.models import Score

EXPORT_FORMAT = "kam-assess.candidate-export/1"
RETENTION_MIN_MONTHS, RETENTION_MAX_MONTHS = 1, 120


def erased_name(candidate_id: int) -> str:
    """The placeholder shown instead of an erased candidate's name."""
    return f"Erased candidate #{candidate_id}"


def erased_email(candidate_id: int) -> str:
    """The placeholder address of an erased candidate (the reserved .invalid domain)."""
    return f"erased-{candidate_id}@invalid"


# --- export ---------------------------------------------------------------------------------


def _messages_about(candidate_id: int) -> ColumnElement[bool]:
    """Outbox rows about the candidate: e-mails (reference) and webhook events (data)."""
    reference = col(OutboxMessage.payload)[("reference", "candidate_id")].as_integer()
    data = col(OutboxMessage.payload)[("data", "candidate_id")].as_integer()
    return or_(
        and_(col(OutboxMessage.kind) == "email", reference == candidate_id),
        and_(col(OutboxMessage.kind) == "webhook", data == candidate_id),
    )


def _message(message: OutboxMessage) -> dict[str, Any]:
    payload = message.payload or {}
    # The e-mail's body is left out: it carries the personal link, a credential.
    described = (
        {"to": payload.get("to"), "subject": payload.get("subject")}
        if message.kind == "email"
        else {"event": payload.get("event"), "data": payload.get("data")}
    )
    return {
        "id": message.id,
        "kind": message.kind,
        **described,
        "status": message.status,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }


def _attempt(session: Session, attempt: Attempt) -> dict[str, Any]:
    sections = session.exec(
        select(AttemptSection)
        .where(AttemptSection.attempt_id == attempt.id)
        .order_by(col(AttemptSection.position))
    )
    answers = session.exec(
        select(Answer).where(Answer.attempt_id == attempt.id).order_by(col(Answer.id))
    )
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).first()
    return {
        **attempt.model_dump(exclude={"candidate_id", "organization_id", "order_seed"}),
        "sections": [
            section.model_dump(exclude={"id", "attempt_id"}) for section in sections
        ],
        "answers": [
            {
                "item_id": answer.item_id,
                "value": (answer.value or {}).get("v"),
                "elapsed_ms": answer.elapsed_ms,
                "changes": answer.changes,
                "saved_at": answer.saved_at,
            }
            for answer in answers
        ],
        "score": None if score is None else score.model_dump(exclude={"organization_id"}),
    }


def _audit(session: Session, candidate: Candidate) -> list[dict[str, Any]]:
    rows = session.exec(
        select(AuditEntry, User)
        .join(User, col(User.id) == AuditEntry.actor_user_id, isouter=True)
        .where(
            owned_by(AuditEntry, candidate.organization_id),
            AuditEntry.object_type == "candidate",
            AuditEntry.object_id == str(candidate.id),
        )
        .order_by(col(AuditEntry.created_at), col(AuditEntry.id))
    )
    # Staff members' IP addresses are theirs, not the candidate's: left out.
    return [
        {
            "id": entry.id,
            "action": entry.action,
            "actor_user_id": entry.actor_user_id,
            "actor": user.full_name if user is not None else "system",
            "details": entry.details,
            "created_at": entry.created_at,
        }
        for entry, user in rows
    ]


def export(
    session: Session, *, candidate: Candidate, now: datetime | None = None
) -> dict[str, Any]:
    """Everything held about the candidate, as JSON-ready data (no token hashes)."""
    organization = session.get(Organization, candidate.organization_id)
    position = session.get(Position, candidate.position_id)
    invitations = session.exec(
        select(Invitation).where(Invitation.candidate_id == candidate.id)
        .order_by(col(Invitation.id))
    )
    attempt = session.exec(
        select(Attempt).where(Attempt.candidate_id == candidate.id).order_by(col(Attempt.id).desc())
    ).first()
    messages = session.exec(
        readable(OutboxMessage, candidate.organization_id)
        .where(_messages_about(pk(candidate)))
        .order_by(col(OutboxMessage.id))
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now or utcnow(),
        "organization": {"id": organization.id, "name": organization.name}
        if organization else None,
        "position": {"id": position.id, "title": position.title} if position else None,
        "candidate": candidate.model_dump(exclude={"organization_id"}),
        "invitations": [
            invitation.model_dump(exclude={"token_hash", "candidate_id"})
            for invitation in invitations
        ],
        "attempt": None if attempt is None else _attempt(session, attempt),
        "decisions": decision_service.history(session, candidate=candidate),
        # The candidate's voluntary answers, in their own export only (issue 17).
        "self_identification": selfid_service.exported(session, candidate_id=pk(candidate)),
        "contests": [
            contest.model_dump(exclude={"organization_id", "candidate_id"})
            for contest in explanation_service.of_candidate(session, candidate_id=pk(candidate))
        ],
        "interviews": [
            row.model_dump(include={"interviewer_id", "assigned_at", "ratings", "notes",
                                    "submitted_at", "revised_at", "revisions"})
            for row in interview_service.panel(session, candidate=candidate)
        ],
        "outcomes": outcome_service.of_candidate(session, candidate=candidate)["follow_ups"],
        "messages": [_message(message) for message in messages],
        "audit": _audit(session, candidate),
    }


# --- erasure --------------------------------------------------------------------------------


def _anonymise_attempts(session: Session, candidate: Candidate) -> None:
    """Delete unfinished attempts; strip a completed one down to what norms and scores use."""
    attempts = list(session.exec(select(Attempt).where(Attempt.candidate_id == candidate.id)))
    unfinished = [a.id for a in attempts if a.status != "completed"]
    if unfinished:
        # Sections, answers and scores go with them (ON DELETE CASCADE).
        session.exec(delete(Attempt).where(col(Attempt.id).in_(unfinished)))
    completed = [a for a in attempts if a.status == "completed"]
    for attempt in completed:
        attempt.screening = {}
        attempt.integrity = {}
        attempt.first_ip = None
        attempt.first_user_agent = None
        session.add(attempt)
    if not completed:
        return
    ids = [pk(a) for a in completed]
    session.exec(
        update(Answer).where(col(Answer.attempt_id).in_(ids)).values(elapsed_ms=None, changes=0)
    )
    position = session.get_one(Position, candidate.position_id)
    score_service.forget_screening(session, attempt_ids=ids, position=position)


def erase(
    session: Session,
    *,
    candidate: Candidate,
    actor: User | None,
    ip: str | None = None,
    reason: str = "request",
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Anonymise the candidate (see the module docstring); False if already erased.

    ``actor`` None is the system (the retention job). The caller commits.
    """
    now = now or utcnow()
    # Conditional, so two erasures racing produce one (and one audit entry).
    changed = session.exec(
        update(Candidate)
        .where(col(Candidate.id) == candidate.id, col(Candidate.erased_at).is_(None))
        .values(
            full_name=erased_name(pk(candidate)),
            email=erased_email(pk(candidate)),
            extra_time_pct=0,
            erased_at=now,
        )
    ).rowcount
    if changed != 1:
        session.refresh(candidate)
        return False
    session.exec(
        update(Invitation)
        .where(col(Invitation.candidate_id) == candidate.id, col(Invitation.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.refresh(candidate)
    _anonymise_attempts(session, candidate)
    if candidate.status != "completed":
        candidate.status = "revoked"
        session.add(candidate)
    session.exec(update(Decision).where(col(Decision.candidate_id) == candidate.id).values(note=""))
    selfid_service.forget(session, candidate_id=pk(candidate))
    # A review request's reasons are free text about the person, like a decision's note.
    session.exec(update(Contest).where(col(Contest.candidate_id) == candidate.id)
                 .values(reason="", outcome_note=""))
    # Interview evidence notes describe the person; the 1-5 ratings stay, anonymous, for the
    # inter-rater reliability, and the outcomes (numbers only) for the validity estimates.
    session.exec(update(InterviewAssignment)
                 .where(col(InterviewAssignment.candidate_id) == candidate.id).values(notes={}))
    session.exec(
        delete(OutboxMessage).where(
            owned_by(OutboxMessage, candidate.organization_id),
            col(OutboxMessage.kind) == "email",
            _messages_about(pk(candidate)),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="candidate.erase",
        object_type="candidate",
        object_id=candidate.id,
        details={"reason": reason, "by": "system" if actor is None else "user", **(details or {})},
        ip=ip,
        organization_id=candidate.organization_id,
    )
    session.flush()
    return True


# --- retention ------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (the day clamped to the month's end).

    >>> from datetime import datetime
    >>> months_before(datetime(2026, 3, 31, 12), 1)
    datetime.datetime(2026, 2, 28, 12, 0)
    >>> months_before(datetime(2026, 1, 15), 24)
    datetime.datetime(2024, 1, 15, 0, 0)
    """
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expired_candidate_ids(
    session: Session, *, organization_id: int, cutoff: datetime, limit: int
) -> list[int]:
    """Candidates not yet erased whose last activity is before ``cutoff``.

    Activity: being invited (or re-invited), starting or completing the assessment, a
    decision about them.
    """
    recent_attempt = exists().where(
        col(Attempt.candidate_id) == col(Candidate.id),
        func.coalesce(col(Attempt.submitted_at), col(Attempt.started_at)) >= cutoff,
    )
    recent_invitation = exists().where(
        col(Invitation.candidate_id) == col(Candidate.id), col(Invitation.created_at) >= cutoff
    )
    recent_decision = exists().where(
        col(Decision.candidate_id) == col(Candidate.id), col(Decision.created_at) >= cutoff
    )
    return list(
        session.exec(
            select(id_of(Candidate))
            .where(
                owned_by(Candidate, organization_id),
                col(Candidate.erased_at).is_(None),
                col(Candidate.created_at) < cutoff,
                ~recent_attempt,
                ~recent_invitation,
                ~recent_decision,
            )
            .order_by(col(Candidate.id))
            .limit(limit)
        )
    )


def retention_plans(session: Session) -> list[tuple[int, int]]:
    """``(organization id, retention months)`` of every organization."""
    return [
        (organization_id, months)
        for organization_id, months in session.exec(
            select(id_of(Organization), Organization.retention_months)
            .order_by(col(Organization.id))
        )
    ]


def erase_expired(
    session: Session, *, organization_id: int, months: int, now: datetime, limit: int = 100
) -> list[int]:
    """Erase up to ``limit`` of the organization's candidates past retention, by the system."""
    cutoff = months_before(now, months)
    erased = []
    for candidate_id in expired_candidate_ids(
        session, organization_id=organization_id, cutoff=cutoff, limit=limit
    ):
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None and erase(
            session, candidate=candidate, actor=None, reason="retention",
            details={"retention_months": months}, now=now,
        ):
            erased.append(candidate_id)
    return erased


def set_retention(session: Session, *, organization: Organization, months: int) -> Organization:
    """Change the organization's retention period (whole months, 1 to 120)."""
    if not RETENTION_MIN_MONTHS <= months <= RETENTION_MAX_MONTHS:
        raise ValueError(f"retention_months must be {RETENTION_MIN_MONTHS}–{RETENTION_MAX_MONTHS}")
    organization.retention_months = months
    session.add(organization)
    session.flush()
    return organization


# --- the export as a document ---------------------------------------------------------------


def _pretty(value: Any) -> str:
    """JSON for people: indented, accents kept, datetimes as ISO 8601."""
    return json.dumps(jsonable_encoder(value), indent=2, ensure_ascii=False, sort_keys=True)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "—" if value in (None, "") else str(value)


def export_pdf(data: dict[str, Any], *, translate: Any, language: str) -> bytes:
    """The export as a PDF (rendered offline: nothing is fetched from the network)."""
    from app.core.templating import templates
    from app.documents.exports import pdf_from_html

    html = templates.get_template("privacy/export.html").render(
        data=data, _=translate, lang=language, pretty=_pretty, when=_when
    )
    return pdf_from_html(html)
