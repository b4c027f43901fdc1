"""Structured interviews: panels, independent ratings, calibration, and the interview score.

Rules (issue 16):

* HR assigns interviewers (active staff of the organization) to a candidate; the candidate
  moves to the ``interview`` stage. A manager put on a panel is assigned to the position too
  (managers see only their positions), and the audit entry says so.
* Each interviewer rates every competency the position weights, 1–5, with a short evidence
  note. Until an interviewer has submitted, the others' ratings are hidden from them (no
  anchoring); people who are not on the panel see the submitted ratings.
* A submitted rating changes only through a revision with a written reason; the audit log
  keeps the reason and the values before and after.
* Once every interviewer has submitted, the calibration lists the competencies on which the
  ratings differ by 2 points or more.

The interview score of one interviewer is the position-weighted mean of their ratings (the
weights renormalized over the rated competencies); the candidate's interview score is the mean
over the panel, with its standard error ``SD / √k`` when k ≥ 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.candidates.models import Candidate
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import N_, Conflict, Invalid, field_problem
from app.core.tenancy import owned_by
from app.interviews.models import InterviewAssignment
from app.positions.models import Position, PositionManager
from scoring.competencies import COMPETENCY_KEYS

RATING_MIN, RATING_MAX = 1, 5
#: Ratings this far apart (or more) on one competency are shown in the calibration.
CALIBRATION_GAP = 2
NOTE_MAX = 1000
REASON_MAX = 1000


def field_error(field: str, message: str, **params: object) -> Invalid:
    """A 422 naming ``field``, in the shape the rest of the API uses; ``message`` is a
    template marked with ``N_`` (a page shows it translated)."""
    return field_problem(field, message, params=params)


def rated_competencies(position: Position) -> list[str]:
    """The competencies an interview rates: those the position weights, in model order."""
    weights = position.weights or {}
    keys: list[str] = [key for key in COMPETENCY_KEYS if float(weights.get(key) or 0) > 0]
    return keys or list(COMPETENCY_KEYS)


def panel(session: Session, *, candidate: Candidate) -> list[InterviewAssignment]:
    """The candidate's interviewers, in the order they were assigned."""
    return list(session.exec(
        select(InterviewAssignment)
        .where(InterviewAssignment.candidate_id == candidate.id)
        .order_by(col(InterviewAssignment.id))
    ))


def assign(
    session: Session, *, candidate: Candidate, interviewer_ids: Sequence[int], actor: User,
    ip: str | None = None,
) -> list[InterviewAssignment]:
    """Put these staff members on the candidate's panel (those already on it stay); audited.
    Moves the candidate to the interview stage."""
    if not interviewer_ids:
        raise field_error("interviewer_ids", N_("name at least one interviewer"))
    users = {
        u.id: u for u in session.exec(
            select(User).where(col(User.id).in_(list(interviewer_ids)),
                               owned_by(User, candidate.organization_id))
        )
    }
    for user_id in interviewer_ids:
        user = users.get(user_id)
        if user is None or not user.is_active:
            raise field_error("interviewer_ids", N_("no active staff member with id %(user)s"),
                              user=user_id)
    existing = {a.interviewer_id for a in panel(session, candidate=candidate)}
    # A manager sees only the positions they are assigned to: interviewing a candidate of
    # the position gives them that access (recorded in the audit entry).
    given_access = []
    for user_id in dict.fromkeys(interviewer_ids):
        user = users[user_id]
        if user.role == Role.manager.value and session.get(
            PositionManager, (candidate.position_id, user_id)) is None:
            session.add(PositionManager(position_id=candidate.position_id, user_id=user_id))
            given_access.append(user_id)
    added = []
    for user_id in dict.fromkeys(interviewer_ids):
        if user_id in existing:
            continue
        row = InterviewAssignment(
            organization_id=candidate.organization_id, position_id=candidate.position_id,
            candidate_id=pk(candidate), interviewer_id=user_id, assigned_by_id=actor.id,
        )
        session.add(row)
        added.append(user_id)
    if candidate.stage == "assessment":
        candidate.stage = "interview"
        session.add(candidate)
    session.flush()
    audit.record(session, actor=actor, action="interview.assign", object_type="candidate",
                 object_id=candidate.id,
                 details={"interviewer_ids": added, "position_access_given_to": given_access},
                 ip=ip)
    return panel(session, candidate=candidate)


def unassign(session: Session, *, candidate: Candidate, interviewer_id: int, actor: User,
             ip: str | None = None) -> None:
    """Take an interviewer who has not rated off the panel (audited); a submitted rating
    stays (409): it is evidence, revised with a reason if wrong."""
    row = session.exec(select(InterviewAssignment).where(
        InterviewAssignment.candidate_id == candidate.id,
        InterviewAssignment.interviewer_id == interviewer_id)).first()
    if row is None:
        raise field_error("interviewer_id", N_("staff member %(user)s is not on the panel"),
                          user=interviewer_id)
    if row.submitted_at is not None:
        raise Conflict(N_("This interviewer has submitted a rating; it stays on the record."))
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="interview.unassign", object_type="candidate",
                 object_id=candidate.id, details={"interviewer_id": interviewer_id}, ip=ip)


def _clean(position: Position, ratings: Mapping[str, Any], notes: Mapping[str, Any] | None
           ) -> tuple[dict[str, int], dict[str, str]]:
    """Every rated competency 1–5 (whole numbers), notes short and one per competency."""
    wanted = rated_competencies(position)
    clean: dict[str, int] = {}
    for key in ratings:
        if key not in wanted:
            raise field_error(f"ratings.{key}",
                              N_("not rated for this position (rate %(competencies)s)"),
                              competencies=", ".join(wanted))
    for key in wanted:
        value = ratings.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not (
            RATING_MIN <= value <= RATING_MAX
        ):
            raise field_error(f"ratings.{key}", N_("give a whole number from 1 to 5"))
        clean[key] = value
    texts: dict[str, str] = {}
    for key, text in (notes or {}).items():
        if key not in wanted:
            raise field_error(f"notes.{key}", N_("a note belongs to a rated competency"))
        if not isinstance(text, str) or len(text) > NOTE_MAX:
            raise field_error(f"notes.{key}", N_("write at most %(count)s characters"),
                              count=NOTE_MAX)
        if text.strip():
            texts[key] = text.strip()
    return clean, texts


def own_assignment(session: Session, *, candidate: Candidate, user: User) -> InterviewAssignment:
    """The caller's place on the panel, or 403 (only assigned interviewers rate)."""
    row = session.exec(
        select(InterviewAssignment).where(
            InterviewAssignment.candidate_id == candidate.id,
            InterviewAssignment.interviewer_id == user.id,
        )
    ).first()
    if row is None:
        raise Conflict(N_("You are not on this candidate's interview panel: HR assigns the"
                          " interviewers, and only they rate."))
    return row


def submit(
    session: Session, *, candidate: Candidate, position: Position, actor: User,
    ratings: Mapping[str, Any], notes: Mapping[str, Any] | None, ip: str | None = None,
) -> InterviewAssignment:
    """Submit the caller's rating (once: a change afterwards is a revision); audited."""
    row = own_assignment(session, candidate=candidate, user=actor)
    if row.submitted_at is not None:
        raise Conflict(N_("Your rating is already submitted; revise it with a reason instead."))
    row.ratings, row.notes = _clean(position, ratings, notes)
    row.submitted_at = utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="interview.rate", object_type="candidate",
                 object_id=candidate.id, details={"assignment_id": row.id, "ratings": row.ratings},
                 ip=ip)
    return row


def revise(
    session: Session, *, candidate: Candidate, position: Position, actor: User,
    ratings: Mapping[str, Any], notes: Mapping[str, Any] | None, reason: str,
    ip: str | None = None,
) -> InterviewAssignment:
    """Change the caller's submitted rating; the reason is required and audited with the
    values before and after."""
    row = own_assignment(session, candidate=candidate, user=actor)
    if row.submitted_at is None:
        raise Conflict(N_("Submit your rating first; a revision changes a submitted rating."))
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", N_("write why you change your rating"))
    if len(reason) > REASON_MAX:
        raise field_error("reason", N_("write at most %(count)s characters"), count=REASON_MAX)
    before = dict(row.ratings)
    row.ratings, new_notes = _clean(position, ratings, notes)
    if notes is not None:
        row.notes = new_notes
    row.revised_at = utcnow()
    row.revisions += 1
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="interview.revise", object_type="candidate",
                 object_id=candidate.id,
                 details={"assignment_id": row.id, "before": before, "after": row.ratings,
                          "reason": reason}, ip=ip)
    return row


def rater_score(position: Position, ratings: Mapping[str, Any]) -> float | None:
    """One interviewer's weighted mean rating (weights renormalized over what was rated)."""
    weights = position.weights or {}
    pairs = [(float(weights.get(k) or 0), float(v)) for k, v in ratings.items()]
    total = sum(w for w, _ in pairs)
    if not pairs:
        return None
    if total <= 0:
        return sum(v for _, v in pairs) / len(pairs)
    return sum(w * v for w, v in pairs) / total


def _mean_se(values: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None, None
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return mean, sd, sd / math.sqrt(len(values))


def summary(position: Position, rows: Iterable[InterviewAssignment]) -> dict[str, Any]:
    """The interview score of a panel's submitted ratings: per competency and overall, each
    with mean, SD, standard error and k."""
    submitted = [r for r in rows if r.submitted_at is not None]
    competencies = {}
    for key in rated_competencies(position):
        values = [float(r.ratings[key]) for r in submitted if key in r.ratings]
        mean, sd, se = _mean_se(values)
        competencies[key] = {"mean": mean, "sd": sd, "se": se, "k": len(values),
                             "min": min(values) if values else None,
                             "max": max(values) if values else None}
    scores = [s for r in submitted if (s := rater_score(position, r.ratings)) is not None]
    mean, sd, se = _mean_se(scores)
    return {"score": mean, "sd": sd, "se": se, "k": len(scores),
            "rater_scores": scores, "competencies": competencies}


def calibration(position: Position, rows: Sequence[InterviewAssignment]) -> list[dict[str, Any]]:
    """Competencies on which submitted ratings differ by ``CALIBRATION_GAP`` points or more."""
    submitted = [r for r in rows if r.submitted_at is not None]
    found = []
    for key in rated_competencies(position):
        values = [r.ratings[key] for r in submitted if key in r.ratings]
        if len(values) >= 2 and max(values) - min(values) >= CALIBRATION_GAP:
            found.append({"competency": key, "min": min(values), "max": max(values),
                          "gap": max(values) - min(values),
                          "ratings": {r.interviewer_id: r.ratings.get(key) for r in submitted}})
    return found


def view(
    session: Session, *, candidate: Candidate, position: Position, viewer: User
) -> dict[str, Any]:
    """The panel as ``viewer`` may see it: an interviewer who has not submitted sees only
    their own rating; everyone else sees the submitted ones."""
    rows = panel(session, candidate=candidate)
    names = {
        u.id: u.full_name for u in session.exec(
            select(User).where(col(User.id).in_([r.interviewer_id for r in rows] or [0]))
        )
    }
    mine = next((r for r in rows if r.interviewer_id == viewer.id), None)
    hidden = mine is not None and mine.submitted_at is None
    everyone_in = bool(rows) and all(r.submitted_at is not None for r in rows)
    interviewers = []
    for row in rows:
        visible = row.interviewer_id == viewer.id or (not hidden and row.submitted_at is not None)
        interviewers.append({
            "assignment_id": row.id,
            "interviewer_id": row.interviewer_id,
            "interviewer_name": names.get(row.interviewer_id),
            "submitted": row.submitted_at is not None,
            "submitted_at": row.submitted_at,
            "revised_at": row.revised_at,
            "revisions": row.revisions,
            "ratings": dict(row.ratings) if visible else None,
            "notes": dict(row.notes) if visible else None,
        })
    shown = [] if hidden else rows
    return {
        "candidate_id": candidate.id,
        "stage": candidate.stage,
        "competencies": rated_competencies(position),
        "interviewers": interviewers,
        "is_interviewer": mine is not None,
        "own_submitted": mine is not None and mine.submitted_at is not None,
        "others_hidden": hidden,
        "all_submitted": everyone_in,
        "summary": summary(position, shown) if not hidden else None,
        "calibration": calibration(position, rows) if everyone_in and not hidden else None,
        "calibration_gap": CALIBRATION_GAP,
    }


def position_ratings(session: Session, *, position: Position) -> list[InterviewAssignment]:
    """Every submitted rating of the position's candidates."""
    return list(session.exec(
        select(InterviewAssignment).where(
            InterviewAssignment.position_id == position.id,
            col(InterviewAssignment.submitted_at).is_not(None),
        ).order_by(col(InterviewAssignment.candidate_id), col(InterviewAssignment.id))
    ))


def interview_scores(session: Session, *, position: Position) -> dict[int, dict[str, Any]]:
    """``{candidate_id: summary}`` for every interviewed candidate of the position."""
    by_candidate: dict[int, list[InterviewAssignment]] = {}
    for row in position_ratings(session, position=position):
        by_candidate.setdefault(row.candidate_id, []).append(row)
    return {cid: summary(position, rows) for cid, rows in by_candidate.items()}
