"""The impact report (issue 17): how often each group passes each step, from live data.

The population is every candidate of the organization (or of one position) who completed the
assessment, invited within the date range. At each step a person is *selected* when:

* ``knockouts``: they met every knock-out rule of the screening form;
* ``requirements``: they met every requirement (knock-outs, language hurdle, minimums);
* ``band_ab``: their fit score is in band A or B;
* ``advanced``: a person recorded "advance" or "hire" for them;
* ``hired``: a person recorded "hire".

Groups come from the voluntary self-identification (``app.fairness.selfid``) and from the
language the questionnaires were taken in (known for everyone). Rates, impact ratios and the
four-fifths flag come from ``scoring.selection_rates``; Fisher's exact and the two-proportion
z test from ``app.fairness.stats`` (SciPy, statsmodels). A group smaller than the minimum cell
size is counted but not shown; what is left over (unknown and small groups together) is shown
only when it too is at least the minimum cell size, so no small group can be worked out by
subtraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.assessments.models import Attempt
from app.candidates.models import Candidate, Decision
from app.core.db import pk
from app.core.tenancy import owned_by
from app.fairness import selfid as selfid_service
from app.fairness import stats
from app.fairness.models import SelfIdentification
from app.scores.models import Score
from scoring import intersectional_groups, scoring_rates, selection_rates
from scoring.fairness import MIN_CELL

STEPS = ("knockouts", "requirements", "band_ab", "advanced", "hired")
#: The attribute every completed attempt has: the language the questionnaires were taken in.
TEST_LANGUAGE = "test_language"
ATTRIBUTES = (*selfid_service.QUESTIONS, TEST_LANGUAGE)
#: The step Local Law 144's "selection rate" counts by default: moving forward in the process.
LL144_STEP = "advanced"


@dataclass
class Person:
    """One assessed candidate as the impact report counts them (no name, no id shown)."""

    candidate_id: int
    position_id: int
    groups: dict[str, str | None]
    fit_score: float | None
    steps: dict[str, bool] = field(default_factory=dict)


def population(
    session: Session,
    *,
    organization_id: int,
    position_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Person]:
    """Everyone who completed the assessment (the newest score per candidate), in range."""
    query = (
        select(Candidate, Score, Attempt)
        .join(Score, col(Score.candidate_id) == Candidate.id)
        .join(Attempt, col(Attempt.id) == Score.attempt_id)
        .where(owned_by(Candidate, organization_id),
               owned_by(Score, organization_id))
        .order_by(col(Candidate.id), col(Score.id))
    )
    if position_id is not None:
        query = query.where(Candidate.position_id == position_id)
    if since is not None:
        query = query.where(col(Candidate.created_at) >= since)
    if until is not None:
        query = query.where(col(Candidate.created_at) < until)
    newest: dict[int, tuple[Candidate, Score, Attempt]] = {}
    for candidate, score, attempt in session.exec(query):
        newest[pk(candidate)] = (candidate, score, attempt)
    ids = list(newest)
    answers = {
        row.candidate_id: row
        for row in session.exec(
            select(SelfIdentification).where(
                owned_by(SelfIdentification, organization_id),
                col(SelfIdentification.candidate_id).in_(ids)))
    } if ids else {}
    decided: dict[int, set[str]] = {}
    if ids:
        for candidate_id, decision in session.exec(
            select(Decision.candidate_id, Decision.decision).where(
                owned_by(Decision, organization_id), col(Decision.candidate_id).in_(ids))
        ):
            decided.setdefault(candidate_id, set()).add(decision)
    people = []
    for candidate_id, (candidate, score, attempt) in newest.items():
        row = answers.get(candidate_id)
        groups = {key: selfid_service.group_of(row, key) for key in selfid_service.QUESTIONS}
        groups[TEST_LANGUAGE] = attempt.language
        made = decided.get(candidate_id, set())
        people.append(Person(
            candidate_id=candidate_id,
            position_id=candidate.position_id,
            groups=groups,
            fit_score=score.fit_score,
            steps={
                "knockouts": score.knockouts_passed is True,
                "requirements": score.requirements_passed is True,
                "band_ab": score.band in ("A", "B"),
                "advanced": bool(made & {"advance", "hire"}),
                "hired": "hire" in made,
            },
        ))
    return people


def _safe(report: dict[str, Any], min_cell: int) -> dict[str, Any]:
    """Show what is not in a shown group (unknown and small groups together) only when it is
    itself at least ``min_cell`` people or holds no small group; else hide it and the totals
    that would give it away."""
    rest_n = report["unknown_n"] + report["suppressed_n"]
    rest_selected = report["total_selected"] - sum(g["selected"] for g in report["groups"])
    # Unknown alone says nothing about a group; mixed with a small group it would.
    hidden = report["suppressed_n"] > 0 and rest_n < min_cell
    return {
        **report,
        "not_shown_n": rest_n if not hidden else None,
        "not_shown_selected": rest_selected if not hidden else None,
        "unknown_n": report["unknown_n"] if report["suppressed_n"] == 0 and not hidden
        else None,
        "unknown_selected": report["unknown_selected"]
        if report["suppressed_n"] == 0 and not hidden else None,
        "suppressed_n": report["suppressed_n"]
        if not hidden and report["suppressed_n"] >= min_cell else None,
        "total_selected": report["total_selected"] if not hidden else None,
        "hidden_remainder": hidden,
    }


def _step_report(
    selected: list[bool], groups: Sequence[str | None], min_cell: int
) -> dict[str, Any]:
    rates = selection_rates(selected, groups, min_cell=min_cell)
    tests = {test.group: test.to_dict() for test in stats.impact_tests(rates)}
    report = rates.to_dict()
    for group in report["groups"]:
        test = tests.get(group["group"], {})
        group["fisher_p"] = test.get("fisher_p")
        group["z"] = test.get("z")
        group["z_p"] = test.get("z_p")
    return _safe(report, min_cell)


def _scoring_report(
    people: list[Person], groups: list[str | None], min_cell: int
) -> dict[str, Any] | None:
    pairs = [(p.fit_score, g) for p, g in zip(people, groups, strict=True)
             if p.fit_score is not None]
    if not pairs:
        return None
    report = scoring_rates([s for s, _ in pairs], [g for _, g in pairs], min_cell=min_cell)
    return {"median": report.median, **_step_report(
        [s > report.median for s, _ in pairs], [g for _, g in pairs], min_cell)}


def impact_report(
    people: list[Person],
    *,
    attributes: Sequence[str] = ATTRIBUTES,
    intersection: Sequence[str] | None = None,
    min_cell: int = MIN_CELL,
) -> dict[str, Any]:
    """Per attribute (and the intersection) and per step: rates, ratios, flags and tests."""
    lines: list[tuple[str, list[str | None]]] = [
        (key, [p.groups.get(key) for p in people]) for key in attributes
    ]
    if intersection and len(intersection) >= 2 and people:
        labels = intersectional_groups({key: [p.groups.get(key) for p in people]
                                        for key in intersection})
        lines.append((" × ".join(intersection), labels))
    result = []
    for name, groups in lines:
        steps = {step: _step_report([p.steps[step] for p in people], groups, min_cell)
                 for step in STEPS} if people else {}
        result.append({
            "attribute": name,
            "known_n": sum(g is not None for g in groups),
            "steps": steps,
            "scoring_rate": _scoring_report(people, groups, min_cell) if people else None,
        })
    return {"n": len(people), "min_cell": min_cell, "steps": list(STEPS),
            "attributes": result}


def ll144_rows(report: dict[str, Any], *, step: str = LL144_STEP) -> list[dict[str, Any]]:
    """Local Law 144 style rows: per category, the selection rate at ``step`` and the scoring
    rate (share above the median fit score), each with its impact ratio."""
    rows = []
    for attribute in report["attributes"]:
        selection = attribute["steps"].get(step) or {"groups": []}
        scoring = attribute["scoring_rate"] or {"groups": []}
        scored = {g["group"]: g for g in scoring["groups"]}
        for group in selection["groups"]:
            s = scored.get(group["group"], {})
            rows.append({
                "attribute": attribute["attribute"], "group": group["group"],
                "n": group["n"], "selected": group["selected"],
                "selection_rate": group["rate"], "selection_impact_ratio": group["impact_ratio"],
                "selection_four_fifths_flag": group["four_fifths_flag"],
                "scored_above_median": s.get("selected"), "scoring_rate": s.get("rate"),
                "scoring_impact_ratio": s.get("impact_ratio"),
                "scoring_four_fifths_flag": s.get("four_fifths_flag"),
            })
        if selection.get("not_shown_n") is not None:
            rows.append({
                "attribute": attribute["attribute"], "group": "unknown or fewer than "
                f"{report['min_cell']}", "n": selection["not_shown_n"],
                "selected": selection["not_shown_selected"],
                "selection_rate": None, "selection_impact_ratio": None,
                "selection_four_fifths_flag": None, "scored_above_median": None,
                "scoring_rate": None, "scoring_impact_ratio": None,
                "scoring_four_fifths_flag": None,
            })
    return rows


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every shown group at every step, one row each (the CSV)."""
    rows = []
    for attribute in report["attributes"]:
        for step, data in attribute["steps"].items():
            for group in data["groups"]:
                rows.append({"attribute": attribute["attribute"], "step": step, **{
                    key: group[key] for key in ("group", "n", "selected", "rate",
                                                "impact_ratio", "four_fifths_flag",
                                                "is_reference", "fisher_p", "z", "z_p")}})
            if data.get("not_shown_n") is not None:
                rows.append({"attribute": attribute["attribute"], "step": step,
                             "group": "(unknown or small groups)", "n": data["not_shown_n"],
                             "selected": data["not_shown_selected"]})
    return rows
