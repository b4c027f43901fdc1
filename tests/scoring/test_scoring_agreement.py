"""Panel agreement (two-way ICC, Fleiss' kappa) and predicted alpha, on published values."""

from __future__ import annotations

import pytest

from scoring import ScoringInputError
from scoring.agreement import fleiss_kappa, icc_two_way, items_for_alpha, predicted_alpha

# Shrout & Fleiss (1979), Table 2, and their published ICCs (Table 4).
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                 [6, 2, 4, 7]]


def test_two_way_iccs_match_shrout_and_fleiss() -> None:
    r = icc_two_way(SHROUT_FLEISS)
    assert (round(r.icc2_1, 2), round(r.icc2_k, 2)) == (0.29, 0.62)
    assert (round(r.icc3_1, 2), round(r.icc3_k, 2)) == (0.71, 0.91)
    assert (r.n, r.k) == (6, 4)


def test_fleiss_kappa_worked_example() -> None:
    # Fleiss' kappa, the standard worked example: P-bar 0.378, P-e-bar 0.213, kappa 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
              [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
              [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert fleiss_kappa(counts) == pytest.approx(0.2099, abs=5e-4)


def test_unanimous_panel_has_kappa_one() -> None:
    assert fleiss_kappa([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 0, 3]]) == pytest.approx(1.0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ScoringInputError):
        icc_two_way([[1, 2]])
    with pytest.raises(ScoringInputError):
        fleiss_kappa([[3, 0], [1, 1]])


def test_predicted_alpha_is_spearman_brown_of_the_mean_correlation() -> None:
    # k r / (1 + (k - 1) r): r = .25, k = 12 -> 3 / 3.75 = 0.80; r = .15, k = 11 -> .66
    assert predicted_alpha(0.25, 12) == pytest.approx(0.8)
    assert predicted_alpha(0.15, 11) == pytest.approx(1.65 / 2.5)
    assert items_for_alpha(0.25, 0.80) == 12
