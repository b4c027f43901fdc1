"""Norm tables per organization and questionnaire version: rebuild, status, export, import, and
item analysis of the same norm group (SPEC §3.3, §3.4, §3.8).

The norm group of a questionnaire version is every completed attempt on that version in the
organization (demo candidates of a demo organization included; erased candidates' anonymous
answers included). Item scores are recomputed from the stored answers with the version's keys,
so α is computed per scale. Tables are rows that are only ever added: the newest row of a
version is the one in force, older rows stay for the record.

When norms are rebuilt automatically
------------------------------------
Never on the submit path (a rebuild reads every answer of the group and rescores every
position). :func:`rebuild_all_due` is for the worker (or cron: ``kam norms rebuild --due``); it
rebuilds a version's table when

* there is no table yet and at least one attempt is completed,
* the completed attempts have grown by at least 10 % since the table was built
  (``count ≥ ceil(1.1 · n)``, at least one more), or
* the count has crossed a status threshold since then (``KAM_NORM_MIN_N``, 300).

A version whose newest table was imported is left alone: an administrator chose that table.
A manual rebuild replaces it only when asked (``replace_imported``). After every rebuild or
import the handler rescores the organization's positions in the same transaction
(``app.scores.service.rescore_after_norms``), so the pipeline, reports and utilities use the
norms in force.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from app.assessments.models import Answer, Attempt, AttemptSection, ItemExposure
from app.audit import service as audit
from app.auth.models import User
from app.bank import service as bank_service
from app.bank.models import NormTable as NormRow
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.errors import N_, Invalid, NotFound, field_problem, input_error
from app.core.tenancy import owned_by, readable
from questionnaires.keys import item_keys
from questionnaires.schema import Questionnaire
from scoring import (
    SCORING_VERSION,
    KeySet,
    NormTable,
    ScoringInputError,
    alpha_is_low,
    build_norm_table,
    compile_keys,
    encode_responses,
    item_analysis,
    norm_status,
    norm_status_message,
    score_items,
    score_scales,
)
from scoring.item_analysis import DISTRACTOR_MIN, P_MAX, P_MIN, R_MIN
from scoring.reliability import alpha_threshold, form_alpha

GROWTH = 1.10

VersionKey = tuple[str, int]


@dataclass(frozen=True, eq=False)
class NormGroup:
    """The completed attempts on one questionnaire version: encoded answers and item scores."""

    key: str
    version: int
    questionnaire: Questionnaire
    keys: KeySet
    attempt_ids: list[int]
    responses: np.ndarray
    item_scores: np.ndarray
    #: The items each attempt was given (forms from pools, bank v2); None when all were.
    administered: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Size of the group."""
        return len(self.attempt_ids)

    @property
    def pooled(self) -> bool:
        """True when the attempts had forms drawn from pools."""
        return self.administered is not None


def _completed_attempts(organization_id: int, key: str, version: int) -> Any:
    """A subquery: ids of the organization's completed attempts on this version."""
    return (
        select(AttemptSection.attempt_id)
        .distinct()
        .join(Attempt, col(Attempt.id) == AttemptSection.attempt_id)
        .where(
            owned_by(Attempt, organization_id),
            Attempt.status == "completed",
            AttemptSection.questionnaire_key == key,
            AttemptSection.questionnaire_version == version,
        )
    )


def completed_counts(session: Session, *, organization_id: int) -> dict[VersionKey, int]:
    """Completed attempts per questionnaire version in the organization."""
    rows = session.exec(
        select(
            AttemptSection.questionnaire_key,
            AttemptSection.questionnaire_version,
            func.count(distinct(col(AttemptSection.attempt_id))),
        )
        .join(Attempt, col(Attempt.id) == AttemptSection.attempt_id)
        .where(owned_by(Attempt, organization_id), Attempt.status == "completed")
        .group_by(col(AttemptSection.questionnaire_key), col(AttemptSection.questionnaire_version))
    ).all()
    return {(key, int(version)): int(count) for key, version, count in rows}


def load_group(session: Session, *, organization_id: int, key: str, version: int) -> NormGroup:
    """The norm group of a version, scored from the stored answers (404 for an unknown one)."""
    questionnaire = bank_service.get(session, key=key, version=version)
    keys = compile_keys(item_keys([questionnaire]))
    attempt_ids = sorted(session.exec(_completed_attempts(organization_id, key, version)).all())
    answers: dict[int, dict[str, Any]] = {attempt_id: {} for attempt_id in attempt_ids}
    if attempt_ids:
        rows = session.exec(
            select(Answer.attempt_id, Answer.item_id, Answer.value).where(
                col(Answer.attempt_id).in_(_completed_attempts(organization_id, key, version)),
                col(Answer.item_id).in_(keys.ids),
            )
        )
        for attempt_id, item_id, value in rows:
            answers[attempt_id][item_id] = value["v"]
    responses = (
        encode_responses(keys, [answers[a] for a in attempt_ids])
        if attempt_ids
        else np.empty((0, len(keys)))
    )
    return NormGroup(
        key=key,
        version=version,
        questionnaire=questionnaire,
        keys=keys,
        attempt_ids=attempt_ids,
        responses=responses,
        item_scores=score_items(keys, responses),
        administered=_administered(session, questionnaire, keys, attempt_ids),
    )


def _administered(
    session: Session, questionnaire: Questionnaire, keys: KeySet, attempt_ids: list[int]
) -> np.ndarray | None:
    """Which items each attempt was given, for a version whose sections draw forms."""
    pooled = [s.key for s in questionnaire.sections if s.form_length or s.form_by_hurdle]
    if not pooled:
        return None
    forms = dict(session.exec(
        select(Attempt.id, Attempt.forms).where(col(Attempt.id).in_(attempt_ids))
    ).all()) if attempt_ids else {}
    section_of = {item.id: section.key for section, item in questionnaire.iter_items()}
    given = np.ones((len(attempt_ids), len(keys)), dtype=bool)
    for row, attempt_id in enumerate(attempt_ids):
        form = forms.get(attempt_id) or {}
        for col_index, item_id in enumerate(keys.ids):
            items = form.get(section_of[item_id])
            if items is not None:
                given[row, col_index] = item_id in items
    return given


def _newest_rows(session: Session, *, organization_id: int) -> dict[VersionKey, NormRow]:
    """The table in force (the newest row) per version; the JSON is loaded when first read."""
    newest = (
        select(func.max(NormRow.id))
        .where(owned_by(NormRow, organization_id))
        .group_by(col(NormRow.questionnaire_key), col(NormRow.questionnaire_version))
    )
    rows = session.exec(select(NormRow).where(col(NormRow.id).in_(newest)))
    return {(row.questionnaire_key, row.questionnaire_version): row for row in rows}


def newest(session: Session, *, organization_id: int, key: str, version: int) -> NormRow | None:
    """The table in force for one version, if any."""
    return session.exec(
        readable(NormRow, organization_id)
        .where(
            NormRow.questionnaire_key == key,
            NormRow.questionnaire_version == version,
        )
        .order_by(col(NormRow.id).desc())
    ).first()


def _build(group: NormGroup, now: datetime) -> NormTable:
    scales = score_scales(group.keys, group.item_scores, administered=group.administered)
    return build_norm_table(
        scales,
        questionnaire_key=group.key,
        questionnaire_version=group.version,
        created=now.isoformat(),
        item_scores=group.item_scores,
        keys=group.keys,
        alphas=_form_alphas(group, scales) if group.pooled else None,
        min_n=get_settings().norm_min_n,
    )


def _form_alphas(group: NormGroup, scales: Any) -> dict[str, float]:
    """Alpha of each scale for a form of its length, from the pool's pairwise covariances
    (nobody answers a whole pool, so the listwise alpha does not exist)."""
    alphas = {}
    for j, competency in enumerate(scales.competencies):
        cols = group.keys.items_of(competency)
        try:
            alphas[competency] = form_alpha(group.item_scores[:, cols], int(scales.n_items[j]))
        except ScoringInputError:
            continue
    return alphas


def rebuild(
    session: Session,
    *,
    organization_id: int,
    versions: Iterable[VersionKey] | None = None,
    replace_imported: bool = False,
    now: datetime | None = None,
) -> list[NormRow]:
    """Build and store a table per version with completed attempts (the caller rescores)."""
    now = now or utcnow()
    wanted = None if versions is None else set(versions)
    in_force = _newest_rows(session, organization_id=organization_id)
    rows = []
    for key, version in sorted(completed_counts(session, organization_id=organization_id)):
        if wanted is not None and (key, version) not in wanted:
            continue
        current = in_force.get((key, version))
        if current is not None and current.source == "imported" and not replace_imported:
            continue
        group = load_group(session, organization_id=organization_id, key=key, version=version)
        table = _build(group, now)
        row = NormRow(
            organization_id=organization_id,
            questionnaire_key=key,
            questionnaire_version=version,
            n=group.n,
            source="computed",
            data=table.to_dict(),
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def is_due(
    count: int, table: NormRow | None, min_n: int, *, settled_before: datetime | None = None
) -> bool:
    """Whether a computed table should be rebuilt for ``count`` completed attempts (see
    above); with ``settled_before``, a table built after that moment is not due yet."""
    if table is None:
        return count > 0
    if table.source == "imported":
        return False
    if settled_before is not None and table.created_at > settled_before:
        return False
    if count <= table.n:
        return False
    if count >= math.ceil(GROWTH * table.n):
        return True
    return norm_status(count, min_n) != norm_status(table.n, min_n)


def due(
    session: Session, *, organization_id: int, settled_before: datetime | None = None
) -> list[VersionKey]:
    """The versions whose table is due for an automatic rebuild."""
    min_n = get_settings().norm_min_n
    in_force = _newest_rows(session, organization_id=organization_id)
    return sorted(
        version
        for version, count in completed_counts(session, organization_id=organization_id).items()
        if is_due(count, in_force.get(version), min_n, settled_before=settled_before)
    )


def organizations_with_attempts(session: Session) -> list[int]:
    """Organizations that have at least one completed attempt."""
    return sorted(
        session.exec(
            select(Attempt.organization_id).distinct().where(Attempt.status == "completed")
        ).all()
    )


def rebuild_due(
    session: Session, *, organization_id: int, settled_before: datetime | None = None
) -> list[NormRow]:
    """Rebuild the tables that are due in one organization (the worker's entry point)."""
    versions = due(session, organization_id=organization_id, settled_before=settled_before)
    if not versions:
        return []
    return rebuild(session, organization_id=organization_id, versions=versions)


def any_due(session: Session, *, settled_before: datetime | None = None) -> bool:
    """Whether any organization has a table due (a read: the worker checks this first and
    takes the write lock only when there is something to rebuild)."""
    return any(
        due(session, organization_id=organization_id, settled_before=settled_before)
        for organization_id in organizations_with_attempts(session)
    )


def rebuild_all_due(session: Session, *, settled_before: datetime | None = None) -> list[NormRow]:
    """Rebuild every due table of every organization (one call per worker pass)."""
    return [
        row
        for organization_id in organizations_with_attempts(session)
        for row in rebuild_due(
            session, organization_id=organization_id, settled_before=settled_before
        )
    ]


# --- status -------------------------------------------------------------------------------


def _scale_status(name: str, scale: Mapping[str, Any], min_n: int) -> dict[str, Any]:
    alpha, sjt, n = scale.get("alpha"), bool(scale.get("sjt", False)), int(scale["n"])
    return {
        "competency": name,
        "n": n,
        "status": norm_status(n, min_n),
        "mean": scale.get("mean"),
        "sd": scale.get("sd"),
        "sem": scale.get("sem"),
        "alpha": alpha,
        "alpha_threshold": alpha_threshold(sjt),
        "alpha_low": alpha_is_low(alpha, sjt=sjt),
        "sjt": sjt,
    }


def _version_status(
    key: str, version: int, count: int, row: NormRow | None, min_n: int
) -> dict[str, Any]:
    n = row.n if row is not None else count
    table = None
    scales: list[dict[str, Any]] = []
    if row is not None:
        table = {
            "id": row.id,
            "source": row.source,
            "n": row.n,
            "created_at": row.created_at,
            "scoring_version": row.data.get("scoring_version"),
        }
        scales = [_scale_status(name, s, min_n) for name, s in row.data["scales"].items()]
    return {
        "questionnaire_key": key,
        "questionnaire_version": version,
        "completed_attempts": count,
        "n": n,
        "min_n": min_n,
        "status": norm_status(n, min_n) if row is not None else "none",
        "message": norm_status_message(n, min_n),
        "table": table,
        "scales": scales,
        "rebuild_due": is_due(count, row, min_n),
    }


def status(session: Session, *, organization_id: int) -> list[dict[str, Any]]:
    """Norm status per questionnaire version: n, none/provisional/operational, α per scale."""
    min_n = get_settings().norm_min_n
    counts = completed_counts(session, organization_id=organization_id)
    in_force = _newest_rows(session, organization_id=organization_id)
    versions = {(row.key, row.version) for row in bank_service.latest_rows(session)}
    versions |= set(counts) | set(in_force)
    return [
        _version_status(
            key, version, counts.get((key, version), 0), in_force.get((key, version)), min_n
        )
        for key, version in sorted(versions)
    ]


# --- export and import --------------------------------------------------------------------


def export(session: Session, *, organization_id: int, key: str, version: int) -> dict[str, Any]:
    """The table in force for a version, as portable JSON."""
    row = newest(session, organization_id=organization_id, key=key, version=version)
    if row is None:
        raise NotFound(N_("No norm table for %(key)s version %(version)s in your organization."),
                       params={"key": key, "version": version})
    return row.data


def _field_error(field: str, problem: str, **params: object) -> Invalid:
    return field_problem(field, problem, params=params)


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def audit_import(session: Session, row: NormRow, *, actor: User, ip: str | None) -> None:
    """The audit entry of a table imported by ``actor`` (the API and the page write it)."""
    audit.record(
        session,
        actor=actor,
        action="norms.import",
        object_type="norm_table",
        object_id=row.id,
        details={
            "questionnaire_key": row.questionnaire_key,
            "questionnaire_version": row.questionnaire_version,
            "n": row.n,
        },
        ip=ip,
    )


def audit_rebuild(session: Session, rows: list[NormRow], *, actor: User, ip: str | None) -> None:
    """The audit entry of the tables rebuilt at ``actor``'s request (the API and the page)."""
    audit.record(
        session,
        actor=actor,
        action="norms.rebuild",
        object_type="norm_table",
        details={"tables": [row.id for row in rows]},
        ip=ip,
    )


def import_table(session: Session, *, organization_id: int, data: Any) -> NormRow:
    """Store an uploaded table for a known questionnaire version (the caller rescores)."""
    try:
        table = NormTable.from_dict(data)
    except ScoringInputError as exc:
        raise input_error(exc) from None
    version = table.questionnaire_version
    if not isinstance(version, int):
        raise _field_error("questionnaire_version", N_("must be an integer questionnaire version"))
    try:
        questionnaire = bank_service.get(session, key=table.questionnaire_key, version=version)
    except NotFound:
        raise _field_error(
            "questionnaire_version",
            N_("no questionnaire %(key)r version %(version)s in the bank"),
            key=table.questionnaire_key, version=version,
        ) from None
    if _major(table.scoring_version) != _major(SCORING_VERSION):
        raise _field_error(
            "scoring_version",
            N_("the table was built by scoring %(built)s; this installation runs %(running)s "
               "and accepts tables of the same major version only"),
            built=table.scoring_version, running=SCORING_VERSION,
        )
    measured = {item.competency for _section, item in questionnaire.iter_items()}
    for scale in table.scales:
        if scale not in measured:
            raise _field_error(
                f"scales.{scale}",
                N_("is not measured by %(key)s version %(version)s (it measures %(scales)s)"),
                key=table.questionnaire_key, version=version, scales=", ".join(sorted(measured)),
            )
    row = NormRow(
        organization_id=organization_id,
        questionnaire_key=table.questionnaire_key,
        questionnaire_version=version,
        n=max(norm.n for norm in table.scales.values()),
        source="imported",
        data=table.to_dict(),
    )
    session.add(row)
    session.flush()
    return row


def summary(row: NormRow) -> dict[str, Any]:
    """A stored table without its scores."""
    return {
        "id": row.id,
        "questionnaire_key": row.questionnaire_key,
        "questionnaire_version": row.questionnaire_version,
        "n": row.n,
        "source": row.source,
        "created_at": row.created_at,
        "scoring_version": row.data.get("scoring_version"),
    }


# --- item analysis ------------------------------------------------------------------------


def analyse_items(
    session: Session, *, organization_id: int, key: str, version: int | None = None
) -> dict[str, Any]:
    """Item analysis over the organization's completed attempts on a version."""
    version = version if version is not None else bank_service.get_row(session, key=key).version
    group = load_group(session, organization_id=organization_id, key=key, version=version)
    analysis = item_analysis(group.keys, group.item_scores, group.responses, pooled=group.pooled)
    exposures = dict(session.exec(
        select(ItemExposure.item_id, ItemExposure.exposures).where(
            owned_by(ItemExposure, organization_id),
            ItemExposure.questionnaire_key == key,
            ItemExposure.questionnaire_version == version,
        )
    ).all())
    result = analysis.to_dict()
    for item in result.get("items", []):
        # How many candidates were shown the item (attempts started, completed or not).
        item["exposures"] = exposures.get(item["item_id"], group.n if not group.pooled else 0)
    return {
        "questionnaire_key": key,
        "questionnaire_version": version,
        "n": group.n,
        "pooled": group.pooled,
        "flagged": len(analysis.flagged),
        "thresholds": {
            "r_min": R_MIN,
            "p_min": P_MIN,
            "p_max": P_MAX,
            "distractor_min": DISTRACTOR_MIN,
        },
        **result,
    }
