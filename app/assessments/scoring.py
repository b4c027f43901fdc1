"""Scoring a completed attempt with ``scoring/`` and storing the snapshot.

The snapshot keeps the questionnaire versions and the scoring version, so the numbers can be
reproduced years later from the stored answers. Flags go into the snapshot for a person to
read; they never change a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlmodel import Session, select

from app.assessments.battery import Battery, ordered_items
from app.assessments.models import Attempt, AttemptSection, Score
from app.bank.models import NormTable as NormRow
from app.candidates.models import Candidate
from app.config import get_settings
from app.positions import service as position_service
from app.positions.models import Position
from questionnaires.keys import item_keys
from scoring import (
    SCORING_VERSION,
    CompositeResult,
    NormTable,
    PageCounters,
    SectionProgress,
    candidate_utilities,
    costed_option,
    evaluate_knockouts,
    flag_candidate,
    knockouts_passed,
    score_battery,
)
from scoring.serialization import optional_float


def attempt_inputs(session: Session, attempt: Attempt) -> tuple[Battery, list, dict, dict]:
    """The battery, its item keys, the saved answers and the per-item seconds of an attempt."""
    from app.assessments.service import answers_of

    battery = Battery.load(session, attempt.questionnaire_versions)
    keys = item_keys(battery.questionnaires.values())
    saved = answers_of(session, attempt)
    answers = {item_id: answer.value["v"] for item_id, answer in saved.items()}
    seconds = {item_id: answer.elapsed_ms / 1000 for item_id, answer in saved.items()
               if answer.elapsed_ms is not None}
    return battery, keys, answers, seconds


def norms_for(session: Session, *, organization_id: int, versions: dict[str, int]) -> list:
    """The organization's latest norm table for each questionnaire version, where one exists."""
    tables = []
    for key, version in versions.items():
        row = session.exec(
            select(NormRow)
            .where(NormRow.organization_id == organization_id,
                   NormRow.questionnaire_key == key, NormRow.questionnaire_version == version)
            .order_by(NormRow.id.desc())
        ).first()
        if row is not None:
            tables.append(NormTable.from_dict(row.data))
    return tables


def years_key_accounts(screening: dict[str, Any] | None) -> float | None:
    """Years with key accounts stated in the screening form (None when not stated)."""
    value = (screening or {}).get("years_key_accounts")
    return None if value is None else float(value)


def utilities(
    position: Position, *, z: Sequence[float | None], screenings: Sequence[dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """Costed option, expected productivity and NPV per candidate (one vectorised call)."""
    if not z:
        return []
    years = [years_key_accounts(s) for s in screenings]
    if position_service.cost_problem(position) is not None:
        # Assumptions that no longer validate (stored before a bound existed): no NPV rather
        # than no score; the position's pages say which field to correct.
        return [
            {"costed_option": costed_option(y), "expected_productivity": None,
             "expected_npv": None}
            for y in years
        ]
    result = candidate_utilities(
        np.array([np.nan if v is None else v for v in z], dtype=float),
        np.array([np.nan if y is None else y for y in years], dtype=float),
        position_service.cost_assumptions(position),
    )
    return [
        {
            "costed_option": str(result.option[i]),
            "expected_productivity": optional_float(result.expected_productivity[i]),
            "expected_npv": optional_float(result.npv[i]),
        }
        for i in range(len(z))
    ]


def _present(x: Any) -> Any:
    return None if isinstance(x, float) and x != x else x  # NaN → None


def composite_snapshots(composite: CompositeResult) -> list[dict[str, Any]]:
    """Each row's composite as stored: fit, band, basis, z and hurdle outcomes."""
    # No per-candidate explanation text: a report rebuilds it from the stored answers, and
    # leaving it out keeps rescoring a 10,000-candidate position to a few seconds.
    fit, band = composite.fit.tolist(), composite.band.tolist()
    z, complete = composite.composite_z.tolist(), composite.complete.tolist()
    passed_all = composite.hurdles_passed.tolist()
    passed, actual = composite.hurdle_passed.tolist(), composite.hurdle_actual.tolist()
    cefr = None if composite.cefr is None else composite.cefr.tolist()
    language = composite.language_hurdle is not None
    last = len(composite.hurdle_competencies) - 1
    out = []
    for i in range(len(composite)):
        hurdles = []
        for h, competency in enumerate(composite.hurdle_competencies):
            is_language = language and h == last
            hurdles.append({
                "rule": "language" if is_language else f"minimum.{competency}",
                "competency": competency,
                "required": composite.hurdle_required[h],
                "actual": (None if cefr is None else cefr[i]) if is_language
                else _present(actual[i][h]),
                "unit": "CEFR" if is_language else composite.unit,
                "passed": None if passed[i][h] != passed[i][h] else bool(passed[i][h]),
            })
        out.append({
            "fit_score": _present(fit[i]),
            "unit": composite.unit,
            "basis": composite.basis,
            "band": band[i],
            "complete": bool(complete[i]),
            "composite_z": _present(z[i]),
            "weights": dict(zip(composite.competencies, composite.weights.tolist(), strict=True)),
            "hurdles": hurdles,
            "hurdles_passed": None if passed_all[i] != passed_all[i] else bool(passed_all[i]),
        })
    return out


def _section_progress(
    sections: list[AttemptSection], battery: Battery, answers: dict[str, Any]
) -> list[SectionProgress]:
    progress = []
    for row in sections:
        items = battery.section_items(row.section_key)
        answered = sum(1 for item in items if item.id in answers)
        if row.started_at is None or (row.completed_at == row.started_at and not answered):
            status = "not_started"
        elif row.completed_at is not None and row.completed_at == row.deadline_at:
            status = "timed_out"
        elif answered < len(items):
            status = "ended_early"
        else:
            status = "completed"
        progress.append(SectionProgress(key=row.section_key, answered=answered,
                                        total=len(items), status=status))
    return progress


def score_attempt(session: Session, *, attempt: Attempt) -> Score:
    """Score a completed attempt against the position's current rules and store it."""
    candidate = session.get(Candidate, attempt.candidate_id)
    position = session.get(Position, candidate.position_id)
    battery, keys, answers, seconds = attempt_inputs(session, attempt)
    norms = norms_for(session, organization_id=attempt.organization_id,
                      versions=attempt.questionnaire_versions)
    result = score_battery(
        keys, [answers], norms=norms or None, weights=position.weights,
        minimums=position.minimums or None, language_hurdle=position.language_hurdle,
        min_n=get_settings().norm_min_n,
    )
    report = result.candidate(0)
    sections = list(session.exec(
        select(AttemptSection).where(AttemptSection.attempt_id == attempt.id)
        .order_by(AttemptSection.position)
    ))
    likert_sequence = [
        answers.get(item.id)
        for row in sections
        for item in ordered_items(battery.sections[row.section_key][1], attempt.order_seed)
        if item.type == "likert"
    ]
    integrity = attempt.integrity or {}
    flags = flag_candidate(
        keys, answers, seconds,
        likert_sequence=likert_sequence or None,
        sections=_section_progress(sections, battery, answers),
        counters=PageCounters(**{k: int(integrity.get(k, 0)) for k in
                                 ("focus_losses", "paste_attempts", "ip_changes", "ua_changes")}),
    )
    knockouts = evaluate_knockouts(position.knockouts or None, attempt.screening)
    summary = report.to_dict()
    composite = composite_snapshots(result.composite)[0]
    utility = utilities(position, z=[composite["composite_z"]], screenings=[attempt.screening])
    score = Score(
        organization_id=attempt.organization_id,
        attempt_id=attempt.id,
        candidate_id=candidate.id,
        position_id=position.id,
        questionnaire_versions=attempt.questionnaire_versions,
        scoring_version=SCORING_VERSION,
        scales=summary["competencies"],
        cefr=summary["cefr"],
        flags=[flag.to_dict() for flag in flags],
        composite={**composite, "knockouts": [k.to_dict() for k in knockouts]},
        fit_score=composite["fit_score"],
        fit_unit=composite["unit"],
        band=composite["band"],
        composite_z=composite["composite_z"],
        knockouts_passed=knockouts_passed(knockouts),
        flags_count=len(flags),
        **utility[0],
    )
    session.add(score)
    session.flush()
    return score


def snapshot_of(session: Session, *, attempt: Attempt) -> dict[str, Any] | None:
    """The stored score of an attempt, if it has one."""
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).first()
    return None if score is None else score.model_dump(mode="json")
