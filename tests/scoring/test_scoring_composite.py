"""Composite fit score, bands, hurdles and explanation (SPEC §3.5)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    COMPETENCIES,
    COMPETENCY_KEYS,
    DEFAULT_WEIGHTS,
    ScoringInputError,
    bands,
    composite_scores,
    validate_weights,
)

NAN = math.nan
# The six weighted competencies of the default model (drive carries no default weight).
ALL = [c for c in COMPETENCY_KEYS if c != "drive"]


def test_default_weights_follow_the_spec() -> None:
    assert dict(DEFAULT_WEIGHTS) == {
        "business_sense": 0.20,
        "analysis": 0.20,
        "stress_resistance": 0.10,
        "languages": 0.05,
        "communication": 0.20,
        "commercial_knowledge": 0.25,
    }
    assert math.isclose(sum(c.default_weight for c in COMPETENCIES), 1.0)


def test_normed_composite_by_hand() -> None:
    z = [[1.0, 0.5, -1.0, 0.0, 2.0, -0.4]]
    r = composite_scores(z, ALL, basis="z", language_hurdle=None)
    # Σ w z = .20×1 + .20×.5 + .10×(−1) + .05×0 + .20×2 + .25×(−.4)
    #       = .20 + .10 − .10 + 0 + .40 − .10 = 0.50 → fit T = 50 + 10 × 0.5 = 55 → band B
    assert r.fit[0] == pytest.approx(55.0)
    assert r.band[0] == "B"
    assert r.composite_z[0] == pytest.approx(0.5)
    np.testing.assert_allclose(r.contributions[0], [0.2, 0.1, -0.1, 0.0, 0.4, -0.1])


def test_percent_composite_by_hand() -> None:
    pct = [[80.0, 60.0, 50.0, 100.0, 70.0, 64.0]]
    r = composite_scores(pct, ALL, basis="percent", language_hurdle=None)
    # .20×80 + .20×60 + .10×50 + .05×100 + .20×70 + .25×64 = 16 + 12 + 5 + 5 + 14 + 16 = 68
    assert r.fit[0] == pytest.approx(68.0)
    assert r.band[0] == "B"  # 65 ≤ 68 < 75
    assert r.unit == "percent"
    assert np.isnan(r.composite_z[0])  # no z before norms


def test_band_boundaries() -> None:
    assert bands([60, 59.999, 55, 54.999, 45, 44.999, NAN]).tolist() == [
        "A",
        "B",
        "B",
        "C",
        "C",
        "D",
        None,
    ]
    assert bands([75, 74.9, 65, 64.9, 50, 49.9], "percent").tolist() == [
        "A",
        "B",
        "B",
        "C",
        "C",
        "D",
    ]


def test_missing_weighted_competency_makes_composite_incomplete() -> None:
    z = [[1.0, NAN, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, NAN, 0.0, 0.0]]
    weights = {"business_sense": 0.5, "analysis": 0.5, "languages": 0.0}
    r = composite_scores(z, ALL, weights, basis="z", language_hurdle=None)
    # row 0: analysis (w .5) missing → no fit; row 1: languages missing but weight 0 → fit
    # 50 + 10 × (.5 × 1 + .5 × 0) = 55
    assert np.isnan(r.fit[0]) and r.band[0] is None and not r.complete[0]
    assert r.fit[1] == pytest.approx(55.0)
    e = r.explain(0)
    assert e.missing == ("analysis",)
    assert e.summary.startswith("No fit score: Analysis has no score")
    assert "not guessed" in e.summary
    assert "Languages: weight 0" not in e.summary
    terms = {t.competency: t for t in e.terms}
    assert terms["analysis"].score is None and terms["analysis"].contribution is None
    assert "cannot be computed" in terms["analysis"].sentence


def test_weighted_competency_not_in_the_battery_is_missing() -> None:
    r = composite_scores([[1.0]], ["analysis"], basis="z", language_hurdle=None)
    assert np.isnan(r.fit[0])
    assert set(r.explain(0).missing) == set(ALL) - {"analysis"}  # the default weights


def test_hurdles_are_non_compensatory() -> None:
    z = [[3.0, -1.5, 0.0, 0.0, 3.0, 3.0]]
    r = composite_scores(
        z,
        ALL,
        basis="z",
        minimums={"analysis": 40, "communication": 60},
        cefr=["B1"],
        language_hurdle="B2",
    )
    # fit = 50 + 10 × (.6 − .3 + 0 + 0 + .6 + .75) = 50 + 16.5 = 66.5 → A, yet hurdles fail:
    # analysis T = 50 + 10 × (−1.5) = 35 < 40; communication T = 80 ≥ 60; B1 < B2
    assert r.fit[0] == pytest.approx(66.5) and r.band[0] == "A"
    c = r.candidate(0)
    by_rule = {h.to_dict()["rule"]: h for h in c.hurdles}
    assert by_rule["minimum.analysis"].passed is False
    assert by_rule["minimum.analysis"].actual == pytest.approx(35.0)
    assert by_rule["minimum.communication"].passed is True
    assert by_rule["language"].passed is False and by_rule["language"].actual == "B1"
    assert c.hurdles_passed is False
    assert (
        "Hurdles not met: Analysis (35.0 T, minimum 40 T); language (estimated B1, minimum B2)."
        in c.explanation.summary
    )
    assert c.to_dict()["hurdles"][0] == {
        "rule": "minimum.analysis",
        "competency": "analysis",
        "required": 40.0,
        "actual": pytest.approx(35.0),
        "unit": "T",
        "passed": False,
        "message": "Analysis minimum 40 T: not met (score 35.0 T).",
    }


def test_percent_hurdles_and_unknown_language() -> None:
    pct = [[80.0] * 6, [80.0, 49.0, 80.0, 80.0, 80.0, 80.0]]
    r = composite_scores(pct, ALL, basis="percent", minimums={"analysis": 50})
    # no CEFR estimate given: the B2 hurdle is not evaluated (None), not failed
    assert r.hurdles_passed[0] != r.hurdles_passed[0]  # NaN
    assert r.hurdles_passed[1] == 0.0  # analysis 49 < 50
    assert r.candidate(0).hurdles_passed is None
    assert "Hurdles not evaluated: language (no estimate, minimum B2)." in r.explain(0).summary


def test_language_hurdle_levels() -> None:
    r = composite_scores([[0.0] * 6] * 4, ALL, basis="z", cefr=["C1", "B2", "below_A2", None])
    assert r.hurdle_passed[:, -1].tolist()[:3] == [1.0, 1.0, 0.0]
    assert np.isnan(r.hurdle_passed[3, -1])


def test_explanation_is_json_and_lists_every_term() -> None:
    r = composite_scores([[1.0, 0.5, -1.0, 0.0, 2.0, -0.4]], ALL, basis="z", cefr=["B2"])
    d = r.candidate(0).to_dict()
    json.dumps(d)
    terms = d["explanation"]["terms"]
    assert [t["competency"] for t in terms] == ALL
    ck = terms[-1]
    # commercial knowledge: z −0.40 × .25 = −0.100 → −1.0 T points
    assert ck["weight"] == 0.25 and ck["contribution"] == pytest.approx(-0.1)
    assert ck["contribution_t"] == pytest.approx(-1.0)
    assert (
        ck["sentence"] == "Commercial knowledge: z = -0.40 × weight 0.25 = -0.100 (-1.0 T points)."
    )
    assert d["explanation"]["summary"].startswith(
        "Fit T = 50 + 10 × +0.500 (the weighted sum of competency z-scores) = 55.0, band B."
    )
    assert sum(t["contribution"] for t in terms) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("weights", "argument"),
    [
        ({"analysis": 0.5, "charisma": 0.5}, "weights['charisma']"),
        ({"analysis": 0.5, "languages": 0.4}, "weights"),
        ({"analysis": 1.2, "languages": -0.2}, "weights['languages']"),
        ({"analysis": NAN}, "weights['analysis']"),
        ({"analysis": "1"}, "weights['analysis']"),
        ({}, "weights"),
    ],
)
def test_bad_weights(weights: dict, argument: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        validate_weights(weights)
    assert str(info.value).startswith(argument + ":")


def test_weights_sum_tolerance() -> None:
    validate_weights({"analysis": 0.7, "languages": 0.3 + 5e-10})
    with pytest.raises(ValueError, match=r"^weights: sum to"):
        validate_weights({"analysis": 0.7, "languages": 0.3 + 2e-9})


def test_other_bad_inputs() -> None:
    with pytest.raises(ScoringInputError, match=r"^minimums\['charisma'\]"):
        composite_scores([[0.0]], ["analysis"], basis="z", minimums={"charisma": 40})
    with pytest.raises(ScoringInputError, match=r"^language_hurdle"):
        composite_scores([[0.0]], ["analysis"], basis="z", language_hurdle="C2")
    with pytest.raises(ScoringInputError, match=r"^competencies: has 2 names"):
        composite_scores([[0.0]], ["analysis", "languages"], basis="z")
    with pytest.raises(ScoringInputError, match=r"^cefr\[0\]"):
        composite_scores([[0.0]], ["analysis"], basis="z", cefr=["fluent"])
    with pytest.raises(ScoringInputError, match=r"^basis"):
        composite_scores([[0.0]], ["analysis"], basis="T")  # type: ignore[arg-type]


# A weight is 0 or a real share (≥ 1 %); weights like 1e-250 are not position settings.
weights_strategy = st.lists(
    st.one_of(st.just(0.0), st.floats(0.01, 1.0)), min_size=6, max_size=6
).filter(lambda w: sum(w) > 0)


@settings(deadline=None)
@given(
    weights_strategy,
    st.lists(st.floats(-3, 3), min_size=6, max_size=6),
    st.integers(0, 5),
    st.floats(0.01, 2.0),
)
def test_composite_is_monotone_in_each_positively_weighted_competency(
    raw_w: list[float], z: list[float], j: int, bump: float
) -> None:
    total = math.fsum(raw_w)
    weights = dict(zip(ALL, [w / total for w in raw_w], strict=True))
    # renormalised weights can miss 1 by an ulp or two: put the remainder on the largest
    top = max(weights, key=weights.get)
    weights[top] += 1.0 - math.fsum(weights.values())
    higher = list(z)
    higher[j] += bump
    r = composite_scores([z, higher], ALL, weights, basis="z", language_hurdle=None)
    if weights[ALL[j]] > 0:
        assert r.fit[1] > r.fit[0]
    else:
        assert r.fit[1] == r.fit[0]
    p = composite_scores(
        [[50 + 10 * v for v in z], [50 + 10 * v for v in higher]],
        ALL,
        weights,
        basis="percent",
        language_hurdle=None,
    )
    assert p.fit[1] >= p.fit[0]
