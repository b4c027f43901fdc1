"""Item bias from live data: Mantel–Haenszel DIF per item (issue 17).

For one questionnaire version, every completed attempt's item scores are made 0/1 (1 for the
best answer an item allows: the key of a choice item, the best-scored SJT option, the
highest point of a Likert item after reverse keying, a right number), and people are matched
on the total of those 0/1 scores over the items of the *same competency* (the studied item
included; Holland & Thayer, 1988). ``scoring.mantel_haenszel_dif`` then gives α_MH, MH
D-DIF, its SE, χ²_MH and the ETS A/B/C category of each item, for each comparison:

* the language the questionnaires were taken in (Italian / English), and
* each self-identified attribute the organization asks about (gender, age band, first
  language, disability): the largest group is the reference, each other group a focal group;

only where both groups have at least :data:`MIN_DIF_GROUP` people. On a version whose
sections draw forms from pools, an item is analysed over the people who were given it, and
they are matched on their share of best answers among the items they were given, on the
scale of the typical form (:func:`_matching`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from app.assessments.models import Attempt
from app.fairness import selfid as selfid_service
from app.fairness.models import SelfIdentification
from app.norms import service as norm_service
from scoring import mantel_haenszel_dif

#: People each group needs before an item's DIF is computed for a comparison.
MIN_DIF_GROUP = 30


def _groups(
    session: Session, attempt_ids: list[int], asked: list[str]
) -> dict[str, list[str | None]]:
    """Per attribute, each attempt's group (None: unknown)."""
    attempts = dict(session.exec(
        select(Attempt.id, Attempt.candidate_id).where(col(Attempt.id).in_(attempt_ids))
    ).all()) if attempt_ids else {}
    languages = dict(session.exec(
        select(Attempt.id, Attempt.language).where(col(Attempt.id).in_(attempt_ids))
    ).all()) if attempt_ids else {}
    rows: dict[int | None, SelfIdentification] = {
        row.candidate_id: row for row in session.exec(select(SelfIdentification).where(
            col(SelfIdentification.candidate_id).in_(list(attempts.values()))))
    } if attempts else {}
    out: dict[str, list[str | None]] = {"test_language": [languages.get(a) for a in attempt_ids]}
    for key in asked:
        out[key] = [selfid_service.group_of(rows.get(attempts.get(a)), key)
                    for a in attempt_ids]
    return out


def _dichotomous(scores: np.ndarray, item_max: np.ndarray) -> np.ndarray:
    """1 where an item got its highest score, 0 otherwise, NaN where not answered/given."""
    with np.errstate(invalid="ignore"):
        best = (scores >= item_max[np.newaxis, :] - 1e-9).astype(float)
    best[np.isnan(scores)] = np.nan
    return best


def analyse(
    session: Session, *, organization_id: int, key: str, version: int, asked: list[str],
    min_group: int = MIN_DIF_GROUP,
) -> dict[str, Any]:
    """DIF of every item of a version for each comparison the counts allow."""
    group = norm_service.load_group(session, organization_id=organization_id, key=key,
                                    version=version)
    keys = group.keys
    binary = _dichotomous(group.item_scores, np.asarray(keys.item_max, float))
    given = group.administered if group.administered is not None else np.ones(
        binary.shape, dtype=bool)
    answered = ~np.isnan(binary)
    # An item given but not answered counts 0 (as it does in the score); not given: out.
    binary = np.where(given & ~answered, 0.0, binary)
    labels = _groups(session, group.attempt_ids, asked)
    comparisons = []
    skipped = []
    for attribute, values in labels.items():
        counts: dict[str, int] = {}
        for value in values:
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
        if len(counts) < 2:
            continue
        reference = max(counts, key=lambda g: (counts[g], g))
        for focal in sorted(g for g in counts if g != reference):
            if counts[reference] < min_group or counts[focal] < min_group:
                skipped.append({"attribute": attribute, "reference": reference,
                                "focal": focal, "n_reference": counts[reference],
                                "n_focal": counts[focal]})
                continue
            comparisons.append(_compare(keys, binary, given, values, attribute, reference,
                                        focal, min_group))
    flagged: dict[str, list[dict[str, Any]]] = {}
    for comparison in comparisons:
        for item in comparison["items"]:
            if item["category"] in ("B", "C"):
                flagged.setdefault(item["item"], []).append({
                    "attribute": comparison["attribute"], "reference": comparison["reference"],
                    "focal": comparison["focal"], **item})
    return {"questionnaire_key": key, "questionnaire_version": version, "n": group.n,
            "min_group": min_group, "comparisons": comparisons, "skipped": skipped,
            "flagged": flagged}


def _matching(binary: np.ndarray, given: np.ndarray) -> np.ndarray:
    """The matching score: the number of best answers on the competency's items; when forms
    differ in length (pools), the share of best answers among the items given, put on the
    scale of the typical form (rounded), so people who saw more items are not set apart."""
    best: np.ndarray = np.nansum(np.where(given, binary, 0.0), axis=1)
    counts = given.sum(axis=1)
    if counts.size == 0 or counts.min() == counts.max():
        return best
    typical = float(np.median(counts))
    scaled: np.ndarray = np.round(best / np.maximum(counts, 1) * typical)
    return scaled


def _compare(keys: Any, binary: np.ndarray, given: np.ndarray, values: list[str | None],
             attribute: str, reference: str, focal: str, min_group: int) -> dict[str, Any]:
    in_pair = np.array([v in (reference, focal) for v in values])
    labels = [v if v in (reference, focal) else None for v in values]
    items = []
    for j, item_id in enumerate(keys.ids):
        scale = keys.scale_of_item[j]
        same_scale = np.flatnonzero(keys.scale_of_item == scale)
        rows = in_pair & given[:, j] & ~np.isnan(binary[:, j])
        groups_here = [labels[i] for i in np.flatnonzero(rows)]
        if groups_here.count(reference) < min_group or groups_here.count(focal) < min_group:
            continue
        matching = _matching(binary[np.ix_(rows, same_scale)], given[np.ix_(rows, same_scale)])
        (result,) = mantel_haenszel_dif(binary[rows, j][:, np.newaxis], groups_here,
                                        reference=reference, focal=focal, matching=matching,
                                        item_ids=[item_id])
        items.append(result.to_dict())
    return {"attribute": attribute, "reference": reference, "focal": focal, "items": items}
