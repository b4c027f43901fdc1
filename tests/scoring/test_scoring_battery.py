"""End to end: answers → item scores → scales → norms → CEFR → composite."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scoring import (
    ItemKey,
    ScoringInputError,
    build_norm_table,
    composite_scores,
    score_battery,
    score_candidate,
)

NAN = math.nan


def simulated_group(keys: list[ItemKey], n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    cols = []
    for key in keys:
        signal = ability + rng.normal(size=n)
        if key.type == "likert":
            cols.append(np.clip(np.round(3 + signal), 1, 5))
        elif key.type == "numeric":
            cols.append(np.where(signal > 0, key.answer, key.answer + 5))
        else:
            cols.append(np.clip(np.floor(signal + 2), 0, len(key.option_ids) - 1))
    X = np.column_stack(cols)
    X[rng.random(X.shape) < 0.04] = NAN
    return X


def test_candidate_report_before_norms(small_keys: list[ItemKey]) -> None:
    answers = (
        {f"bs{i}": "a" for i in range(5)}  # 5 × 3 = 15 / 15 → 100 %
        | {"an0": 10.0, "an1": 20.2, "an2": 31.0, "an3": 40.0, "an4": 50.0}  # 4 / 5 → 80 %
        | {"sr0": 4, "sr1": 2, "sr2": 4, "sr3": 2, "sr4": "d"}  # 4+4+4+4+2 = 18 of [4, 23]
        | {f"en{i}": "b" for i in range(6)}  # A2, B1, B2 all right (2 items each) …
        | {"en6": "c"}  # … C1: one wrong, one unanswered → B2; 7 of 8 answered → prorated
        | {"ck0": "b", "ck1": "b", "ck2": "b"}  # 3 of 5 answered (60 %) → incomplete
    )
    report = score_candidate(
        small_keys,
        answers,
        weights={
            "business_sense": 0.3,
            "analysis": 0.3,
            "stress_resistance": 0.2,
            "languages": 0.2,
        },
    ).to_dict()
    json.dumps(report)
    c = report["competencies"]
    assert (c["business_sense"]["raw"], c["business_sense"]["percent"]) == (15, 100)
    assert c["analysis"]["percent"] == 80
    assert c["stress_resistance"]["percent"] == pytest.approx(100 * 14 / 19)
    # 6 right of 7 answered: raw = 6/7 × 8 = 6.857 → 85.71 %
    assert c["languages"]["percent"] == pytest.approx(100 * 6 / 7)
    assert c["languages"]["prorated"] is True
    assert c["commercial_knowledge"]["raw"] is None
    assert c["commercial_knowledge"]["complete"] is False
    assert c["analysis"]["band"] == "A" and c["analysis"]["band_unit"] == "percent"
    assert c["analysis"]["percentile"] is None
    assert c["analysis"]["norm_status"] == "none"
    assert report["cefr"] == "B2"
    comp = report["composite"]
    # .3 × 100 + .3 × 80 + .2 × 73.68 + .2 × 85.71 = 30 + 24 + 14.737 + 17.143 = 85.88 → A
    assert comp["fit_score"] == pytest.approx(30 + 24 + 0.2 * 1400 / 19 + 0.2 * 600 / 7)
    assert comp["band"] == "A" and comp["unit"] == "percent"
    assert comp["hurdles"][-1]["passed"] is True  # B2 ≥ B2
    assert comp["explanation"]["complete"] is True


def test_group_scoring_equals_one_by_one(small_keys: list[ItemKey]) -> None:
    norm_group = simulated_group(small_keys, 400, seed=1)
    first = score_battery(small_keys, norm_group, language_hurdle=None)
    table = build_norm_table(
        first.scales,
        questionnaire_key="kam",
        questionnaire_version=1,
        created="2025-03-01",
        item_scores=first.item_scores,
        keys=small_keys,
    )
    weights = {
        "business_sense": 0.25,
        "analysis": 0.25,
        "stress_resistance": 0.1,
        "languages": 0.1,
        "commercial_knowledge": 0.3,
    }
    X = simulated_group(small_keys, 50, seed=2)
    group = score_battery(small_keys, X, norms=table, weights=weights, minimums={"analysis": 45})
    assert group.composite.basis == "z"
    for i in range(len(X)):
        alone = score_battery(
            small_keys, X[i : i + 1], norms=table, weights=weights, minimums={"analysis": 45}
        )
        assert alone.candidate(0).to_dict() == group.candidate(i).to_dict()
    # and the composite is the hand formula on the normed z-scores
    z = group.normed.z
    w = np.array([weights.get(c, 0.0) for c in group.scales.competencies])
    expected = 50 + 10 * (z @ w)
    np.testing.assert_allclose(group.composite.fit, expected)
    json.dumps(group.to_dict())


def test_answer_dicts_and_matrix_give_the_same_result(small_keys: list[ItemKey]) -> None:
    answers = [{"bs0": "a", "sr0": 5, "an0": 10.0}, {"bs0": "c", "en0": "b"}]
    from_dicts = score_battery(small_keys, answers)
    again = score_battery(small_keys, from_dicts.responses)
    np.testing.assert_array_equal(from_dicts.item_scores, again.item_scores)


def test_unnormed_competency_falls_back_to_percent(small_keys: list[ItemKey]) -> None:
    X = simulated_group(small_keys, 150, seed=3)
    first = score_battery(small_keys, X)
    table = build_norm_table(
        first.scales.raw[:, :2],
        first.scales.competencies[:2],
        questionnaire_key="partial",
        questionnaire_version=1,
        created="2025-03-01",
    )
    result = score_battery(small_keys, X, norms=table)
    assert result.composite.basis == "percent"  # weighted scales without norms: no z mixing
    np.testing.assert_allclose(
        result.composite.fit,
        composite_scores(
            first.scales.percent,
            first.scales.competencies,
            basis="percent",
            cefr=first.cefr.level,
        ).fit,
    )


def test_bad_battery_input(small_keys: list[ItemKey]) -> None:
    with pytest.raises(ScoringInputError, match=r"^X: has 3 columns"):
        score_battery(small_keys, np.zeros((2, 3)))
    with pytest.raises(ScoringInputError, match=r"^weights: sum to"):
        score_battery(small_keys, np.zeros((1, 28)), weights={"analysis": 0.5})
    with pytest.raises(ScoringInputError, match=r"^weights\['charisma'\]"):
        score_battery(small_keys, np.zeros((1, 28)), weights={"charisma": 1.0})
    with pytest.raises(ScoringInputError, match=r"^X: contains an infinite"):
        score_battery(small_keys, np.full((1, 28), np.inf))
