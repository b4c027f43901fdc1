"""Scoring a completed attempt with ``scoring/`` and storing the snapshot.

The snapshot keeps the questionnaire versions and the scoring version, so the numbers can be
reproduced years later from the stored answers. Flags go into the snapshot for a person to
read; they never change a score.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.assessments.battery import Battery, ordered_items
from app.assessments.models import Attempt, AttemptSection, Score
from app.bank.models import NormTable as NormRow
from app.candidates.models import Candidate
from app.config import get_settings
from app.positions.models import Position
from questionnaires.keys import item_keys
from scoring import (
    SCORING_VERSION,
    NormTable,
    PageCounters,
    SectionProgress,
    evaluate_knockouts,
    flag_candidate,
    knockouts_passed,
    score_candidate,
)


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
    report = score_candidate(
        keys, answers, norms=norms or None, weights=position.weights,
        minimums=position.minimums or None, language_hurdle=position.language_hurdle,
        min_n=get_settings().norm_min_n,
    )
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
        composite={**summary["composite"], "knockouts": [k.to_dict() for k in knockouts]},
        fit_score=summary["composite"]["fit_score"],
        band=summary["composite"]["band"],
        knockouts_passed=knockouts_passed(knockouts),
    )
    session.add(score)
    session.flush()
    return score


def snapshot_of(session: Session, *, attempt: Attempt) -> dict[str, Any] | None:
    """The stored score of an attempt, if it has one."""
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).first()
    return None if score is None else score.model_dump(mode="json")
