"""The smallest change really flips the result: checked by recomputing with composite_scores."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import build_composite_norm, composite_scores
from scoring.composite import standardization
from scoring.counterfactual import band_changes, minimum_changes

COMPETENCIES = ["analysis", "business_sense", "communication", "commercial_knowledge"]
WEIGHTS = {"analysis": 0.3, "business_sense": 0.2, "communication": 0.2,
           "commercial_knowledge": 0.3}


def _group(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = 0.4 * np.ones((4, 4)) + 0.6 * np.eye(4)
    return rng.multivariate_normal(np.zeros(4), cov, size=200)


def _recompute(z_row: np.ndarray, norm, *, basis="z", minimums=None):
    return composite_scores([z_row], COMPETENCIES, WEIGHTS, basis=basis, norm=norm,
                            language_hurdle=None, minimums=minimums)


def _as_t(z_row: np.ndarray) -> dict[str, float]:
    return {c: 50.0 + 10.0 * float(z) for c, z in zip(COMPETENCIES, z_row, strict=True)}


@pytest.mark.parametrize("person", range(12))
def test_the_smallest_change_flips_the_band_and_a_smaller_one_does_not(person):
    group = _group()
    norm = build_composite_norm(group, COMPETENCIES, basis="z")
    std = standardization(norm, WEIGHTS, "z")
    z_row = group[person]
    before = _recompute(z_row, norm)
    result = band_changes(_as_t(z_row), WEIGHTS, unit="T", standardized=std.standardized,
                          mean=std.mean, sd=std.sd)

    assert result["fit"] == pytest.approx(float(before.fit[0]), abs=1e-9)
    assert result["band"] == before.band[0]
    for direction in ("up", "down"):
        for change in result[direction]:
            j = COMPETENCIES.index(change.competency)
            for share, flips in ((1.0 + 1e-6, True), (0.99, False)):
                moved = z_row.copy()
                moved[j] += share * change.delta / 10.0
                band = _recompute(moved, norm).band[0]
                assert (band == change.to) is flips, (direction, change, share, band)
    smallest = result["up"][0] if result["up"] else result["down"][0]
    heaviest = max(w for w in WEIGHTS.values())
    assert WEIGHTS[smallest.competency] == heaviest


def test_before_norms_changes_are_in_percent_points():
    percent = np.array([[62.0, 70.0, 55.0, 64.0]])
    result = band_changes(dict(zip(COMPETENCIES, percent[0], strict=True)), WEIGHTS,
                          unit="percent")
    before = composite_scores(percent, COMPETENCIES, WEIGHTS, basis="percent",
                              language_hurdle=None)
    assert result["fit"] == pytest.approx(float(before.fit[0]))
    change = result["up"][0]
    moved = percent.copy()
    moved[0, COMPETENCIES.index(change.competency)] += change.delta
    after = composite_scores(moved, COMPETENCIES, WEIGHTS, basis="percent", language_hurdle=None)
    assert after.band[0] == change.to


def test_a_minimum_flips_at_the_computed_score():
    z_row = np.array([-0.4, 0.2, 0.1, 0.3])  # analysis T 46
    minimums = {"analysis": 50.0}
    (change,) = minimum_changes(_as_t(z_row), minimums, unit="T")
    assert (change.to, change.delta) == ("met", pytest.approx(4.0))
    moved = z_row.copy()
    moved[0] += change.delta / 10.0
    assert _recompute(z_row, None, minimums=minimums).hurdle_passed[0][0] == 0.0
    assert _recompute(moved, None, minimums=minimums).hurdle_passed[0][0] == 1.0


def test_top_and_bottom_bands_have_no_change_beyond_them():
    top = band_changes({"analysis": 80.0}, {"analysis": 1.0}, unit="T")
    bottom = band_changes({"analysis": 30.0}, {"analysis": 1.0}, unit="T")
    assert top["band"] == "A" and top["up"] == [] and top["down"][0].to == "B"
    assert bottom["band"] == "D" and bottom["down"] == [] and bottom["up"][0].to == "C"
    assert bottom["up"][0].delta == pytest.approx(15.0)
