"""Candidate reports and side-by-side comparison (SPEC §3, §4, §5): read only.

A report's scores come from :func:`app.scores.service.report_scores`, recomputed from the
stored answers the same way a stored score is made, with the organization's norms in force
and the position's current rules; nothing here writes a score. Flags come from the snapshot
taken at submit (they describe how the attempt was taken, not the answers' meaning).

Comparison: two candidates' scores on a competency are *reliably different* when they differ
by at least the 90 % margin of the difference, ``|a − b| ≥ 1.645 · √(SEM_a² + SEM_b²)``
(the standard error of the difference; :func:`scoring.reliably_different`):

* normed competency: T-scores with ``SEM_T = 10 · √(1 − α)`` (the report's ``ci90``);
* before norms: percent of maximum with ``SEM_% = 100 · SD · √(1 − α) / (max − min)``, SD and
  α taken from the organization's (not yet established) norm table, when it holds at least
  :data:`MIN_N_PERCENT_SEM` complete scores and α is known;
* otherwise ``reliably_different`` is ``None`` (basis ``"not_established"``): the page should
  not suggest a difference it cannot support.
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from typing import Any

from sqlmodel import Session, col, select

from app.assessments.models import Attempt
from app.auth.models import User
from app.candidates import decisions as decision_service
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.core.db import pk
from app.core.errors import N_, Invalid, NotFound, field_problem
from app.core.tenancy import readable
from app.interviews import overall as overall_service
from app.positions.models import Position
from app.scores import service as score_service
from scoring import NormTable, difference_margin, reliably_different
from scoring.reliability import Z90

MIN_COMPARED, MAX_COMPARED = 2, 5
#: Complete scores a not-yet-established norm group needs before its SD and α give a SEM in
#: percent units (fewer give too unstable an α to mark differences).
MIN_N_PERCENT_SEM = 30


def visible_candidate(session: Session, *, candidate_id: int, user: User) -> Candidate:
    """A candidate the user may see, else 404 (candidates.service.get_visible)."""
    return candidate_service.get_visible(session, candidate_id=candidate_id, user=user)


def _attempt(session: Session, candidate: Candidate) -> Attempt | None:
    return session.exec(
        select(Attempt).where(Attempt.candidate_id == candidate.id).order_by(col(Attempt.id).desc())
    ).first()


def _report(
    session: Session, *, candidate: Candidate, position: Position, shared: score_service.Shared
) -> tuple[dict[str, Any], list[NormTable]]:
    attempt = _attempt(session, candidate)
    scores, tables = (
        score_service.report_scores(session, position=position, attempt=attempt, shared=shared)
        if attempt is not None and attempt.status == "completed"
        else (score_service.no_scores(), [])
    )
    status = candidate_service.effective_status(session, candidate=candidate)
    report = {
        "candidate": {**candidate_service.public(candidate).model_dump(), "status": status},
        "position": {"id": position.id, "title": position.title},
        "status": status,
        "scored": scores["competencies"] is not None,
        "attempt": None
        if attempt is None
        else {
            "id": attempt.id,
            "status": attempt.status,
            "language": attempt.language,
            "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at,
        },
        "questionnaire_versions": attempt.questionnaire_versions if attempt else {},
        "screening": attempt.screening if attempt else None,
        **scores,
        "decisions": decision_service.history(session, candidate=candidate),
        "interview": _interview(session, candidate=candidate, position=position, shared=shared,
                                screening=attempt.screening if attempt else None),
    }
    return report, tables


def _interview(session: Session, *, candidate: Candidate, position: Position,
               shared: score_service.Shared, screening: dict[str, Any] | None) -> dict[str, Any]:
    """The interview beside the test, the overall score, and the expected value the utility
    model gives it with the combined validity (one position overview per request: a
    comparison of five reads it once)."""
    overview = getattr(shared, "interview_overview", None)
    if overview is None:
        overview = overall_service.position_overview(session, position=position)
        object.__setattr__(shared, "interview_overview", overview)
    picture = overall_service.candidate_overall(overview, pk(candidate))
    validity = overview["validity_combined"]
    combined = None
    if picture["overall_z"] is not None and validity is not None and -1 <= validity <= 1:
        combined = score_service.utility(position, z=picture["overall_z"],
                                         screening=screening or {}, r_xy=validity)
    return {**picture, "utility": combined,
            "position": overall_service.public_overview(overview)}


def report(session: Session, *, candidate: Candidate) -> dict[str, Any]:
    """The candidate's full report; without a completed attempt, its status and no scores."""
    position = session.get(Position, candidate.position_id)
    if position is None:  # pragma: no cover - a candidate always has a position
        raise NotFound(N_("No such candidate."))
    shared = score_service.Shared()
    return _report(session, candidate=candidate, position=position, shared=shared)[0]


# --- comparison ---------------------------------------------------------------------------


def _ids_error(problem: str, **params: object) -> Invalid:
    return field_problem("ids", problem, params=params, loc=["query", "ids"])


def parse_ids(raw: str) -> list[int]:
    """``"1,2,3"`` → ``[1, 2, 3]``: 2–5 distinct candidate ids, else a 422 naming ``ids``."""
    parts = [part.strip() for part in raw.split(",")]
    for part in parts:
        if not re.fullmatch(r"[0-9]{1,18}", part):
            raise _ids_error(
                N_("%(part)r is not a candidate id; give %(low)s to %(high)s whole numbers "
                   "separated by commas, e.g. ids=12,15,19"),
                part=part, low=MIN_COMPARED, high=MAX_COMPARED,
            )
    ids = [int(part) for part in parts]
    seen: set[int] = set()
    for candidate_id in ids:
        if candidate_id in seen:
            raise _ids_error(N_("candidate %(candidate)s is listed twice; list each one once"),
                            candidate=candidate_id)
        seen.add(candidate_id)
    if not MIN_COMPARED <= len(ids) <= MAX_COMPARED:
        raise _ids_error(N_("compare %(low)s to %(high)s candidates; %(count)s given"),
                         low=MIN_COMPARED, high=MAX_COMPARED, count=len(ids))
    return ids


def _sem(
    entry: dict[str, Any], table: NormTable | None, competency: str
) -> tuple[str, float, float] | None:
    """(basis, score, SEM in the basis' units) of one competency entry, or None."""
    if entry.get("t_score") is not None and entry.get("ci90"):
        low, high = entry["ci90"]
        return "T", entry["t_score"], (high - low) / (2 * Z90)
    norm = None if table is None else table.scales.get(competency)
    if (
        entry.get("percent") is None
        or norm is None
        or norm.alpha is None
        or norm.sd is None
        or norm.n < MIN_N_PERCENT_SEM
        or entry["max_possible"] <= entry["min_possible"]
    ):
        return None
    sem_raw = norm.sd * math.sqrt(max(0.0, 1.0 - norm.alpha))
    return (
        "percent",
        entry["percent"],
        100.0 * sem_raw / (entry["max_possible"] - entry["min_possible"]),
    )


def _table_of(tables: list[NormTable], competency: str) -> NormTable | None:
    return next((t for t in tables if competency in t.scales), None)


def _pair(
    a: tuple[dict[str, Any], list[NormTable]], b: tuple[dict[str, Any], list[NormTable]]
) -> dict[str, Any]:
    """Per competency: are the two candidates' scores reliably different?"""
    out: dict[str, dict[str, Any]] = {}
    comps_a, comps_b = a[0]["competencies"] or {}, b[0]["competencies"] or {}
    for competency in dict.fromkeys([*comps_a, *comps_b]):
        entry_a, entry_b = comps_a.get(competency), comps_b.get(competency)
        found_a = (None if entry_a is None
                   else _sem(entry_a, _table_of(a[1], competency), competency))
        found_b = (None if entry_b is None
                   else _sem(entry_b, _table_of(b[1], competency), competency))
        if found_a is None or found_b is None or found_a[0] != found_b[0]:
            out[competency] = {
                "reliably_different": None,
                "basis": "not_established",
                "difference": None,
                "margin": None,
            }
            continue
        (basis_a, score_a, sem_a), (_basis_b, score_b, sem_b) = found_a, found_b
        out[competency] = {
            "reliably_different": bool(reliably_different(score_a, score_b, sem_a, sem_b)),
            "basis": basis_a,
            "difference": score_a - score_b,
            "margin": difference_margin(sem_a, sem_b),
        }
    return out


def compare(session: Session, *, position: Position, candidate_ids: list[int]) -> dict[str, Any]:
    """2–5 reports of one position side by side, with which differences are reliable."""
    found = {
        c.id: c
        for c in session.exec(
            readable(Candidate, position.organization_id).where(
                col(Candidate.id).in_(candidate_ids),
                Candidate.position_id == position.id,
            )
        )
    }
    missing = [i for i in candidate_ids if i not in found]
    if missing:
        raise NotFound(N_("No candidate %(candidate)s in this position."),
                       params={"candidate": missing[0]})
    shared = score_service.Shared()
    reports = [
        _report(session, candidate=found[i], position=position, shared=shared)
        for i in candidate_ids
    ]
    pairs = [
        {
            "a": candidate_ids[i],
            "b": candidate_ids[j],
            "competencies": _pair(reports[i], reports[j]),
        }
        for i, j in combinations(range(len(candidate_ids)), 2)
    ]
    return {
        "position": {"id": position.id, "title": position.title},
        "candidates": [r for r, _tables in reports],
        "reliability": {
            "rule": (
                "Reliably different when the difference is at least its 90 % margin:"
                " |a − b| ≥ 1.645 × √(SEM_a² + SEM_b²), the standard error of the difference."
                " T-scores once norms are established;"
                " before that percent of maximum with the SEM from the organization's"
                f" provisional group (at least {MIN_N_PERCENT_SEM} scores); otherwise not"
                " established."
            ),
            "pairs": pairs,
        },
    }
