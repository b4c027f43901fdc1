"""Every way a score row is made or remade, and the one way ``scoring/`` is called for it.

A score has two halves (SPEC §3):

* what the answers alone give (scale scores, CEFR estimate, flags): computed once, at
  submit, with :func:`scoring.measure`, and never changed, since the questionnaire version
  is immutable;
* what the norms and the position's rules make of it (percentiles, T, bands, fit score,
  hurdles, knock-outs, utility): :func:`scoring.evaluate_scales` on the scale scores, at
  submit, again whenever norms or the position's rules change (from the stored scale
  scores, a group of attempts at once), and for a report (from the answers).

Every path goes through :func:`_evaluate`, so a stored score, a rescored one and a report
show the same numbers for the same answers, norms and rules.

Handlers call these functions explicitly, in the transaction of the change that makes them
necessary: the candidate's submit (``score_submitted``), a change of a position's rules
(``rescore_position``), new norms (``rescore_organization``), an erasure
(``forget_screening``). The domains below this one (assessments, positions, norms) never call
up into it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.assessments.battery import Battery, ordered_items
from app.assessments.models import Answer, Attempt, AttemptSection
from app.assessments.service import answers_of
from app.bank.models import NormTable as NormRow
from app.candidates import notices
from app.candidates.models import Candidate
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import pk
from app.core.tenancy import owned_by, readable
from app.positions import service as position_service
from app.positions.models import Position
from app.scores.models import CompositeNorm as CompositeNormRow
from app.scores.models import Score
from app.webhooks import service as webhook_service
from questionnaires.keys import item_keys, scoring_inputs
from questionnaires.schema import is_answered
from scoring import (
    COMPETENCY_KEYS,
    SCORING_VERSION,
    CompositeNorm,
    CompositeResult,
    NormTable,
    PageCounters,
    ScaleEvaluation,
    ScaleScores,
    SectionProgress,
    apply_norms,
    build_composite_norm,
    candidate_utilities,
    candidate_utility,
    costed_option,
    evaluate_knockouts,
    evaluate_scales,
    expected_productivity,
    flag_candidate,
    knockouts_passed,
    measure,
    norm_status,
    norm_status_message,
    simulate_option,
    validate_weights,
)
from scoring.cost_assumptions import OPTIONS, CostAssumptions
from scoring.items import ItemKey
from scoring.serialization import optional_float
from scoring.utility import EXPERIENCED_YEARS, R_XY, SD_P

# --- inputs -------------------------------------------------------------------------------


def norms_for(
    session: Session, *, organization_id: int, versions: dict[str, int]
) -> list[NormTable]:
    """The organization's latest norm table for each questionnaire version, where one exists."""
    tables = []
    for key, version in versions.items():
        row = session.exec(
            readable(NormRow, organization_id)
            .where(NormRow.questionnaire_key == key, NormRow.questionnaire_version == version)
            .order_by(col(NormRow.id).desc())
        ).first()
        if row is not None:
            tables.append(NormTable.from_dict(row.data))
    return tables


def years_key_accounts(screening: dict[str, Any] | None) -> float | None:
    """Years with key accounts stated in the screening form (None when not stated)."""
    value = (screening or {}).get("years_key_accounts")
    return None if value is None else float(value)


def _answers(session: Session, attempt: Attempt) -> dict[str, Any]:
    return {
        item_id: value["v"]
        for item_id, value in session.exec(
            select(Answer.item_id, Answer.value).where(Answer.attempt_id == attempt.id)
        )
    }


def _inputs(
    battery: Battery, attempt: Attempt, answers: dict[str, Any]
) -> tuple[list[ItemKey], dict[str, Any], list[Any] | None]:
    """The keys of the items on the attempt's forms (bank v2: a candidate is scored on the
    items shown), the answers they score, and the impression-management answers (a flag,
    never a score)."""
    return scoring_inputs(list(battery.questionnaires.values()), answers, forms=attempt.forms)


# --- the one evaluation step --------------------------------------------------------------


def _evaluate(
    position: Position,
    scales: ScaleScores,
    cefr: Sequence[str | None] | None,
    norms: list[NormTable],
    composite_norms: dict[str, CompositeNorm],
) -> ScaleEvaluation:
    """Norms, composite and hurdles of scale scores under the position's rules."""
    return evaluate_scales(
        scales,
        cefr=None if cefr is None or all(level is None for level in cefr) else list(cefr),
        norms=norms or None,
        weights=position.weights,
        minimums=position.minimums or None,
        language_hurdle=position.hurdle_level,
        min_n=get_settings().norm_min_n,
        composite_norms=composite_norms,
    )


# --- the norm group of a position's composite ---------------------------------------------


@dataclass(frozen=True, eq=False)
class _Group:
    """Every completed attempt of an organization: competency z (against the norm tables
    in force, NaN where a competency is not normed) and percent scores, model order."""

    z: np.ndarray
    percent: np.ndarray


def _stored_rows(session: Session, *, where: Any) -> list[_Stored]:
    return [
        _Stored(id=score_id, versions=versions, scales=scales, cefr=cefr, screening=screening or {})
        for score_id, versions, scales, cefr, screening in session.exec(
            # Ignored: SQLModel's select() is typed for at most four columns.
            select(  # type: ignore[call-overload]
                Score.id, Score.questionnaire_versions, Score.scales, Score.cefr, Attempt.screening
            )
            .join(Attempt, col(Attempt.id) == Score.attempt_id)
            .where(where)
            .order_by(col(Score.id))
        )
    ]


def _by_versions(rows: list[_Stored]) -> list[list[_Stored]]:
    groups: dict[str, list[_Stored]] = defaultdict(list)
    for row in rows:
        groups[json.dumps(row.versions, sort_keys=True)].append(row)
    return list(groups.values())


def _organization_group(session: Session, *, organization_id: int) -> _Group:
    """The norm group's completed attempts (every scored attempt of the organization)."""
    z_rows, percent_rows = [], []
    for rows in _by_versions(_stored_rows(session, where=owned_by(Score, organization_id))):
        scales = stored_scales([r.scales for r in rows])
        columns = [COMPETENCY_KEYS.index(c) for c in scales.competencies]
        percent = np.full((len(rows), len(COMPETENCY_KEYS)), np.nan)
        percent[:, columns] = scales.percent
        z = np.full(percent.shape, np.nan)
        norms = norms_for(session, organization_id=organization_id, versions=rows[0].versions)
        if norms:
            normed = apply_norms(scales, norms=norms, min_n=get_settings().norm_min_n)
            z[:, columns] = np.where(normed.normed, normed.z, np.nan)
        z_rows.append(z)
        percent_rows.append(percent)
    empty = np.empty((0, len(COMPETENCY_KEYS)))
    return _Group(
        z=np.vstack(z_rows) if z_rows else empty,
        percent=np.vstack(percent_rows) if percent_rows else empty,
    )


def _composite_norms(position: Position, group: _Group) -> dict[str, CompositeNorm]:
    weighted = [c for c, w in validate_weights(position.weights).items() if w > 0]
    columns = [COMPETENCY_KEYS.index(c) for c in weighted]
    return {
        "z": build_composite_norm(group.z[:, columns], weighted, basis="z"),
        "percent": build_composite_norm(group.percent[:, columns], weighted, basis="percent"),
    }


def refresh_composite_norms(
    session: Session, *, position: Position, group: _Group | None = None
) -> dict[str, CompositeNorm]:
    """Rebuild and store what the position's fit scores are re-standardized against: the
    mean and covariance of its weighted competencies over the organization's completed
    attempts (when its weights or the norms change)."""
    group = group or _organization_group(session, organization_id=position.organization_id)
    norms = _composite_norms(position, group)
    data = {basis: norm.to_dict() for basis, norm in norms.items()}
    # An upsert: two first submits of a new position may build it at the same moment.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CompositeNormRow).values(
        organization_id=position.organization_id, position_id=position.id, data=data,
        created_at=utcnow(),
    )
    session.exec(statement.on_conflict_do_update(
        index_elements=["position_id"],
        set_={"data": statement.excluded.data, "created_at": statement.excluded.created_at},
    ))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, CompositeNormRow):
            session.expire(obj)
    return norms


def current_composite_norms(session: Session, *, position: Position) -> dict[str, CompositeNorm]:
    """The position's composite norms over the organization's completed attempts as they are
    now, built and not stored (the stored ones change only with the weights or the norms)."""
    return _composite_norms(
        position, _organization_group(session, organization_id=position.organization_id))


def composite_norms(session: Session, *, position: Position) -> dict[str, CompositeNorm]:
    """The position's stored composite norms (built on first use)."""
    row = session.exec(
        select(CompositeNormRow).where(CompositeNormRow.position_id == position.id)
    ).first()
    if row is None:
        return refresh_composite_norms(session, position=position)
    return {basis: CompositeNorm.from_dict(data) for basis, data in row.data.items()}


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


def name_hurdle_language(composite: dict[str, Any], language: str | None) -> dict[str, Any]:
    """A candidate's composite (``CompositeResult.candidate(i).to_dict()``) with its language
    hurdle naming the position's language, as stored scores do (scoring/ knows only the
    level); changed in place and returned."""
    explanation = composite.get("explanation") or {}
    for hurdle in [*composite.get("hurdles", []), *explanation.get("hurdles", [])]:
        hurdle["language"] = language if hurdle["rule"] == "language" else None
    return composite


def _present(x: Any) -> Any:
    return None if isinstance(x, float) and x != x else x  # NaN → None


def _scored(fit: float, partial: float) -> bool:
    return fit == fit or partial == partial  # either is not NaN


def composite_snapshots(
    composite: CompositeResult, *, hurdle_language: str | None = None
) -> list[dict[str, Any]]:
    """Each row's composite as stored: fit, band, basis, z and hurdle outcomes (the language
    hurdle names ``hurdle_language``, the position's, so it can be said in words)."""
    # No per-candidate explanation text: a report rebuilds it, and leaving it out keeps
    # rescoring a 10,000-candidate position to a few seconds.
    fit, band = composite.fit.tolist(), composite.band.tolist()
    z, complete = composite.composite_z.tolist(), composite.complete.tolist()
    partial_fit, coverage = composite.partial_fit.tolist(), composite.coverage.tolist()
    standardization = composite.standardization.to_dict()
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
                "language": hurdle_language if is_language else None,
            })
        out.append({
            "fit_score": _present(fit[i]),
            "unit": composite.unit,
            "basis": composite.basis,
            "band": band[i],
            "complete": bool(complete[i]),
            "composite_z": _present(z[i]),
            "standardization": standardization,
            "partial": None if partial_fit[i] != partial_fit[i] else composite.partial(i),
            "coverage": _present(coverage[i]) if _scored(fit[i], partial_fit[i]) else None,
            "weights": dict(zip(composite.competencies, composite.weights.tolist(), strict=True)),
            "hurdles": hurdles,
            "hurdles_passed": None if passed_all[i] != passed_all[i] else bool(passed_all[i]),
        })
    return out


def _knockouts(
    position: Position, screening: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], bool]:
    results = evaluate_knockouts(position.knockouts or None, screening)
    return [k.to_dict() for k in results], knockouts_passed(results)


def requirements_passed(knockouts: bool | None, hurdles: bool | None) -> bool | None:
    """Knock-outs, the language hurdle and the minimums together: False when any is missed,
    None when none is missed but one could not be evaluated, else True."""
    if knockouts is False or hurdles is False:
        return False
    if knockouts is None or hurdles is None:
        return None
    return True


def requirements(composite: dict[str, Any]) -> list[dict[str, Any]]:
    """Every requirement of a stored composite: knock-outs, then the language hurdle and the
    minimums, each ``{kind, rule, competency, required, actual, unit, passed}``."""
    out = [
        {"kind": "knockout", "rule": k["rule"], "competency": None, "required": k["required"],
         "actual": k["actual"], "unit": None, "passed": k["passed"], "language": None}
        for k in composite.get("knockouts") or []
    ]
    out.extend(
        {"kind": "language" if h["rule"] == "language" else "minimum", "rule": h["rule"],
         "competency": h["competency"], "required": h["required"], "actual": h["actual"],
         "unit": h["unit"], "passed": h["passed"], "language": h.get("language")}
        for h in composite.get("hurdles") or []
    )
    return out


def _columns(
    summary: dict[str, Any], knockouts: list[dict[str, Any]], passed: bool
) -> dict[str, Any]:
    """The score row's columns from a composite snapshot and the knock-outs."""
    partial = summary["partial"]
    return {
        "composite": {**summary, "knockouts": knockouts},
        "fit_score": summary["fit_score"],
        "fit_unit": summary["unit"],
        "band": summary["band"] if partial is None else partial["band"],
        "composite_z": summary["composite_z"],
        "partial_fit": None if partial is None else partial["fit_score"],
        "fit_coverage": summary["coverage"],
        "knockouts_passed": passed,
        "requirements_passed": requirements_passed(passed, summary["hurdles_passed"]),
    }


# --- submit -------------------------------------------------------------------------------


#: A section the clock ended counts as *timed out* (not left) when the candidate's last answer
#: in it came at most this long before the end, or this share of its time limit if longer.
STILL_ANSWERING = timedelta(minutes=2)
STILL_ANSWERING_SHARE = 0.25


def _clock_ended(row: AttemptSection, saved: list[datetime]) -> str:
    """``timed_out`` when the candidate was answering as the time ran out, ``left`` when the
    last answer came long before (or never): the clock ended a section nobody was working on."""
    if not saved or row.deadline_at is None:
        return "left"
    window = max(STILL_ANSWERING, timedelta(seconds=STILL_ANSWERING_SHARE * row.time_limit_s))
    return "timed_out" if row.deadline_at - max(saved) <= window else "left"


def _section_progress(
    sections: list[AttemptSection], battery: Battery, answers: dict[str, Any],
    saved_at: dict[str, datetime], forms: dict[str, Any] | None = None,
) -> list[SectionProgress]:
    progress = []
    for row in sections:
        # Every item of the candidate's form counts, the unscored checks included; a
        # best/worst item counts once both choices are made.
        items = battery.section_items(row.section_key, forms)
        answered = sum(1 for item in items if is_answered(item, answers.get(item.id)))
        if row.started_at is None or (row.completed_at == row.started_at and not answered):
            status = "not_started"
        elif row.completed_at is not None and row.completed_at == row.deadline_at:
            status = _clock_ended(row, [saved_at[i.id] for i in items if i.id in saved_at])
        elif answered < len(items):
            status = "ended_early"
        else:
            status = "completed"
        progress.append(SectionProgress(key=row.section_key, answered=answered,
                                        total=len(items), status=status))
    return progress


def _flags(session: Session, attempt: Attempt, battery: Battery, keys: list[ItemKey],
           answers: dict[str, Any], impression: list[Any] | None = None) -> list[dict[str, Any]]:
    """How the attempt was taken (timing, straight-lining, page counters, idealized answers):
    for a person, never for a score."""
    saved = answers_of(session, attempt)
    seconds = {item_id: answer.elapsed_ms / 1000 for item_id, answer in saved.items()
               if answer.elapsed_ms is not None and item_id in answers}
    sections = list(session.exec(
        select(AttemptSection).where(AttemptSection.attempt_id == attempt.id)
        .order_by(col(AttemptSection.position))
    ))
    likert_sequence = [
        answers.get(item.id)
        for row in sections
        for item in ordered_items(battery.sections[row.section_key][1], attempt.order_seed,
                                  attempt.forms)
        if item.type == "likert" and item.scored
    ]
    integrity = attempt.integrity or {}
    everything = {item_id: answer.value["v"] for item_id, answer in saved.items()}
    flags = flag_candidate(
        keys, answers, seconds,
        likert_sequence=likert_sequence or None,
        sections=_section_progress(sections, battery, everything,
                                   {item_id: a.saved_at for item_id, a in saved.items()},
                                   attempt.forms),
        counters=PageCounters(**{k: int(integrity.get(k, 0)) for k in
                                 ("focus_losses", "paste_attempts", "ip_changes", "ua_changes")}),
        impression=impression,
    )
    return [flag.to_dict() for flag in flags]


def score_submitted(session: Session, *, attempt: Attempt) -> Score:
    """Score a just-completed attempt, store it and queue ``assessment.completed``.

    The handler that completed the attempt calls this in the same transaction, so a
    completion is committed with its score and its event, or not at all.
    """
    candidate = session.get_one(Candidate, attempt.candidate_id)
    position = session.get_one(Position, candidate.position_id)
    battery = Battery.load(session, attempt.questionnaire_versions)
    keys, answers, impression = _inputs(battery, attempt, _answers(session, attempt))
    measured = measure(keys, [answers])
    cefr = None if measured.cefr is None else [str(measured.cefr.level[0])]
    norms = norms_for(session, organization_id=attempt.organization_id,
                      versions=attempt.questionnaire_versions)
    evaluation = _evaluate(position, measured.scales, cefr, norms,
                           composite_norms(session, position=position))
    composite = composite_snapshots(evaluation.composite,
                                    hurdle_language=position.hurdle_language)[0]
    knockouts, passed = _knockouts(position, attempt.screening)
    [utility] = utilities(position, z=[composite["composite_z"]], screenings=[attempt.screening])
    flags = _flags(session, attempt, battery, keys, answers, impression)
    score = Score(
        organization_id=attempt.organization_id,
        attempt_id=pk(attempt),
        candidate_id=pk(candidate),
        position_id=pk(position),
        questionnaire_versions=attempt.questionnaire_versions,
        scoring_version=SCORING_VERSION,
        scales=evaluation.competency_entries()[0],
        cefr=None if cefr is None else cefr[0],
        flags=flags,
        **_columns(composite, knockouts, passed),
        flags_count=len(flags),
        **utility,
    )
    session.add(score)
    session.flush()
    # In this transaction: the event exists if and only if the completion is committed.
    webhook_service.assessment_completed(
        session, organization_id=attempt.organization_id, candidate_id=pk(candidate),
        position_id=pk(position), attempt_id=pk(attempt),
        fit_score=score.fit_score, fit_unit=score.fit_unit, band=score.band,
        partial_fit=score.partial_fit, fit_coverage=score.fit_coverage,
        requirements_passed=score.requirements_passed,
        requirements_missed=[r["rule"] for r in requirements(score.composite)
                             if r["passed"] is False],
        completed_at=attempt.submitted_at,
    )
    notices.completed(session, candidate=candidate, position=position,
                      base_url=get_settings().base_url)
    return score


# --- rescoring ----------------------------------------------------------------------------


#: The fields of a stored competency entry that come from the answers alone.
SCALE_FIELDS = ("raw", "percent", "answered", "n_items", "min_possible", "max_possible",
                "complete", "prorated")


@dataclass(frozen=True)
class _Stored:
    """What rescoring reads of one score."""

    id: int
    versions: dict[str, int]
    scales: dict[str, dict[str, Any]]
    cefr: str | None
    screening: dict[str, Any]


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)


def stored_scales(rows: Sequence[dict[str, dict[str, Any]]]) -> ScaleScores:
    """The scale scores stored with a group's scores (taken on the same versions)."""
    competencies = tuple(c for c in COMPETENCY_KEYS if any(c in r for r in rows))

    def matrix(name: str, kind: type = float) -> np.ndarray:
        return np.array(
            [[_number(r.get(c, {}).get(name)) for c in competencies] for r in rows], float
        ).reshape(len(rows), len(competencies)).astype(kind)

    def constant(name: str) -> np.ndarray:
        return np.array([
            next((_number(r[c].get(name)) for r in rows if c in r), np.nan)
            for c in competencies
        ], float)

    return ScaleScores(
        competencies=competencies,
        raw=matrix("raw"),
        percent=matrix("percent"),
        answered=np.nan_to_num(matrix("answered")).astype(np.int64),
        n_items=constant("n_items").astype(np.int64),
        min_possible=constant("min_possible"),
        max_possible=constant("max_possible"),
        complete=np.nan_to_num(matrix("complete")).astype(bool),
        prorated=np.nan_to_num(matrix("prorated")).astype(bool),
    )


def _rescore_group(
    position: Position,
    rows: list[_Stored],
    norms: list[NormTable],
    group_norms: dict[str, CompositeNorm],
    now: datetime,
    renorm: bool,
) -> list[dict[str, Any]]:
    """New score columns for attempts taken on the same questionnaire versions."""
    evaluation = _evaluate(position, stored_scales([r.scales for r in rows]),
                           [r.cefr for r in rows], norms, group_norms)
    snapshots = composite_snapshots(evaluation.composite,
                                    hurdle_language=position.hurdle_language)
    utility = utilities(position, z=[s["composite_z"] for s in snapshots],
                        screenings=[r.screening for r in rows])
    entries = evaluation.competency_entries() if renorm else None
    outcomes: dict[str, tuple[list[dict[str, Any]], bool]] = {}
    updates = []
    for i, row in enumerate(rows):
        screening = json.dumps(row.screening, sort_keys=True)
        if screening not in outcomes:  # many candidates state the same things
            outcomes[screening] = _knockouts(position, row.screening)
        knockout_dicts, passed = outcomes[screening]
        updates.append(
            {
                "id": row.id,
                "scoring_version": SCORING_VERSION,
                **({} if entries is None else {"scales": entries[i]}),
                **_columns(snapshots[i], knockout_dicts, passed),
                **utility[i],
                "computed_at": now,
            }
        )
    return updates


def rescore_position(
    session: Session,
    *,
    position: Position,
    renorm: bool = False,
    now: datetime | None = None,
    group: _Group | None = None,
) -> int:
    """Rescore a position's completed attempts from stored scale scores; returns how many.

    Called by the handler that changed the position's rules (weights, minimums, hurdles,
    knock-outs, cost assumptions) in its transaction: the pipeline re-ranks without a retake.
    The composite's norm group is rebuilt first, for the position's weights.
    """
    # ``renorm`` (the norms changed) also rewrites each competency's percentile, T, band and
    # 90 % band; new rules of the position leave those as they are.
    now = now or utcnow()
    session.flush()
    group_norms = refresh_composite_norms(session, position=position, group=group)
    updates = []
    for rows in _by_versions(_stored_rows(session, where=Score.position_id == position.id)):
        norms = norms_for(
            session, organization_id=position.organization_id, versions=rows[0].versions
        )
        updates.extend(_rescore_group(position, rows, norms, group_norms, now, renorm))
    if updates:
        session.exec(update(Score), params=updates)  # bulk UPDATE by primary key
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Score):
                session.expire(obj)
    return len(updates)


def rescore_organization(session: Session, *, organization_id: int) -> int:
    """Rescore every position of an organization; the handler that changed its norms calls
    this in the same transaction."""
    session.flush()
    group = _organization_group(session, organization_id=organization_id)
    positions = session.exec(readable(Position, organization_id))
    return sum(rescore_position(session, position=p, renorm=True, group=group) for p in positions)


def rescore_after_norms(session: Session, *, rows: Sequence[NormRow]) -> int:
    """Rescore the organizations whose norm tables ``rows`` just replaced."""
    organizations = sorted({row.organization_id for row in rows})
    return sum(rescore_organization(session, organization_id=o) for o in organizations)


def forget_screening(session: Session, *, attempt_ids: Sequence[int], position: Position) -> None:
    """Rewrite erased attempts' scores without what the screening form and the page gave.

    Knock-outs and the costed option came from the screening form, flags from how the attempt
    was taken: recomputed without the form, as the next rescoring would.
    """
    knockouts, passed = _knockouts(position, {})
    for score in session.exec(select(Score).where(col(Score.attempt_id).in_(attempt_ids))):
        [utility] = utilities(position, z=[score.composite_z], screenings=[{}])
        score.composite = {**(score.composite or {}), "knockouts": knockouts}
        score.knockouts_passed = passed
        score.requirements_passed = requirements_passed(
            passed, (score.composite or {}).get("hurdles_passed"))
        score.flags = []
        score.flags_count = 0
        for name, value in utility.items():
            setattr(score, name, value)
        session.add(score)


def decision_basis(session: Session, *, candidate_id: int) -> dict[str, Any] | None:
    """What a decision recorded now is based on: the candidate's stored score (id, scoring
    version, when computed) and what it says (fit, band, requirements); None without one."""
    score = session.exec(
        select(Score).where(Score.candidate_id == candidate_id).order_by(col(Score.id).desc())
    ).first()
    if score is None:
        return None
    return {
        "score_id": score.id,
        "scoring_version": score.scoring_version,
        "computed_at": score.computed_at.isoformat(),
        "fit_score": score.fit_score,
        "fit_unit": score.fit_unit,
        "partial_fit": score.partial_fit,
        "fit_coverage": score.fit_coverage,
        "band": score.band,
        "requirements_passed": score.requirements_passed,
        "requirements_missed": [r["rule"] for r in requirements(score.composite or {})
                                if r["passed"] is False],
    }


# --- a report's scores, recomputed from the answers ---------------------------------------


def _option_reason(years: float | None, option: str) -> str:
    if years is None:
        return "Years with key accounts not stated: costed as growing in-house."
    if option == "experienced":
        return (
            f"{years:g} years with key accounts, at least {EXPERIENCED_YEARS:g}:"
            " costed as an experienced hire."
        )
    return (
        f"{years:g} years with key accounts, fewer than {EXPERIENCED_YEARS:g}:"
        " costed as growing in-house."
    )


def _as_option(z: float, name: str, assumptions: CostAssumptions,
               r_xy: float = R_XY) -> dict[str, Any]:
    """Expected productivity and NPV were the candidate costed as ``name``."""
    ep = expected_productivity(z, r_xy)
    option = assumptions.option(name)
    productivity = max(0.0, option.productivity * ep)
    result = simulate_option(replace(option, productivity=productivity), assumptions, name)
    return {
        "expected_productivity": ep,
        "productivity": productivity,
        "npv": result.npv,
        "break_even_month": result.break_even_month,
        "peak_funding": result.peak_funding,
    }


def utility(position: Position, *, z: float | None, screening: dict[str, Any],
            r_xy: float = R_XY) -> dict[str, Any]:
    """Expected productivity and NPV under both options, which one applies and why; ``r_xy``
    is the validity of the score ``z`` (the battery's by default; the combined validity of
    test and interview for the overall score, issue 16)."""
    years = years_key_accounts(screening)
    option = costed_option(years)
    result: dict[str, Any] = {
        "option": option,
        "option_reason": _option_reason(years, option),
        "years_key_accounts": years,
        "experienced_years": EXPERIENCED_YEARS,
        "r_xy": r_xy,
        "sd_p": SD_P,
        "composite_z": z,
    }
    unavailable = {**result, "available": False, "expected_productivity": None,
                   "productivity": None, "npv": None, "break_even_month": None, "options": None}
    if z is None:
        return {
            **unavailable,
            "explanation": (
                "Expected productivity and NPV need the composite z-score, which exists once"
                " norms are established for every weighted competency."
            ),
        }
    problem = position_service.cost_problem(position)
    if problem is not None:
        return {
            **unavailable,
            "problem": {"field": f"cost_assumptions.{problem.argument}",
                        "message": problem.problem},
            "explanation": (
                f"The position's cost assumptions cannot be used (cost_assumptions.{problem}):"
                " correct that field on the position's cost page to see the expected NPV."
            ),
        }
    assumptions = position_service.cost_assumptions(position)
    applied = candidate_utility(z, years, assumptions, r_xy=r_xy)
    return {
        **result,
        "available": True,
        "expected_productivity": applied.expected_productivity,
        "productivity": applied.productivity,
        "npv": applied.npv,
        "break_even_month": applied.break_even_month,
        "options": {name: _as_option(z, name, assumptions, r_xy) for name in OPTIONS},
        "explanation": applied.explanation,
    }


def _norm_summary(
    versions: dict[str, int], tables: list[NormTable], min_n: int
) -> list[dict[str, Any]]:
    by_key = {t.questionnaire_key: t for t in tables}
    out = []
    for key, version in versions.items():
        table = by_key.get(key)
        n = max((s.n for s in table.scales.values()), default=0) if table else 0
        out.append(
            {
                "questionnaire_key": key,
                "questionnaire_version": version,
                "n": n,
                "status": norm_status(n, min_n) if table else "none",
                "message": norm_status_message(n, min_n)
                if table
                else "norms not yet established (no norm table)",
            }
        )
    return out


@dataclass
class Shared:
    """What the reports of one request share, per set of questionnaire versions: the item
    keys and the organization's norm tables (a comparison of five read them five times)."""

    keys: dict[tuple[tuple[str, int], ...], list[Any]] = field(default_factory=dict)
    norms: dict[tuple[tuple[str, int], ...], list[NormTable]] = field(default_factory=dict)


def report_scores(
    session: Session, *, position: Position, attempt: Attempt, shared: Shared | None = None
) -> tuple[dict[str, Any], list[NormTable]]:
    """The score part of a completed attempt's report (recomputed from the answers the same
    way a stored score is made, nothing written), and the norm tables used."""
    shared = shared or Shared()
    min_n = get_settings().norm_min_n
    versions = tuple(attempt.questionnaire_versions.items())
    if versions not in shared.keys:
        battery = Battery.load(session, attempt.questionnaire_versions)
        shared.keys[versions] = item_keys(battery.questionnaires.values())
        shared.norms[versions] = norms_for(
            session, organization_id=attempt.organization_id,
            versions=attempt.questionnaire_versions,
        )
    keys, tables = shared.keys[versions], shared.norms[versions]
    answers = _answers(session, attempt)
    if attempt.forms:  # bank v2: scored on the items of the attempt's own forms
        keys, answers, _impression = _inputs(
            Battery.load(session, attempt.questionnaire_versions), attempt, answers)
    else:
        keyed = {key.id for key in keys}
        answers = {item_id: value for item_id, value in answers.items() if item_id in keyed}
    measured = measure(keys, [answers])
    cefr_detail = None if measured.cefr is None else measured.cefr.candidate(0)
    evaluation = _evaluate(position, measured.scales,
                           None if cefr_detail is None else [cefr_detail["cefr"]], tables,
                           composite_norms(session, position=position))
    composite = name_hurdle_language(evaluation.composite.candidate(0).to_dict(),
                                     position.hurdle_language)
    knockouts, passed = _knockouts(position, attempt.screening)
    snapshot = session.exec(select(Score).where(Score.attempt_id == attempt.id)).first()
    return {
        "competencies": evaluation.competency_entries()[0],
        "cefr": None if cefr_detail is None else cefr_detail["cefr"],
        "cefr_detail": cefr_detail,
        "composite": composite,
        "hurdles": composite["hurdles"],
        "knockouts": knockouts,
        "knockouts_passed": passed,
        "requirements": requirements({"knockouts": knockouts, "hurdles": composite["hurdles"]}),
        "requirements_passed": requirements_passed(passed, composite["hurdles_passed"]),
        "flags": snapshot.flags if snapshot is not None else [],
        "utility": utility(position, z=composite["composite_z"], screening=attempt.screening),
        "norms": _norm_summary(attempt.questionnaire_versions, tables, min_n),
        "scoring_version": SCORING_VERSION,
        "score_id": None if snapshot is None else snapshot.id,
        "scored_at_submit": None
        if snapshot is None
        else {
            "scoring_version": snapshot.scoring_version,
            "computed_at": snapshot.computed_at,
        },
    }, tables


def no_scores() -> dict[str, Any]:
    """The score part of a report before the attempt is completed."""
    return {
        "competencies": None,
        "cefr": None,
        "cefr_detail": None,
        "composite": None,
        "hurdles": [],
        "knockouts": [],
        "knockouts_passed": None,
        "requirements": [],
        "requirements_passed": None,
        "flags": [],
        "utility": None,
        "norms": [],
        "scoring_version": SCORING_VERSION,
        "score_id": None,
        "scored_at_submit": None,
    }
