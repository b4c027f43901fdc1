"""Agreement of a fixed panel of raters: two-way ICCs and Fleiss' kappa.

Used to document how far the blind panels that keyed bank v2 agreed (docs/instrument.md).

Two-way ICCs (Shrout & Fleiss, 1979, *Psychological Bulletin* 86(2), 420–428; McGraw &
Wong, 1996) for n targets rated by the same k raters, from the two-way ANOVA mean squares
(rows = targets, columns = raters)::

    ICC(2,1) = (MSR − MSE) / (MSR + (k − 1) MSE + k (MSC − MSE) / n)   absolute agreement
    ICC(2,k) = (MSR − MSE) / (MSR + (MSC − MSE) / n)                   mean of the k raters
    ICC(3,1) = (MSR − MSE) / (MSR + (k − 1) MSE)                       consistency
    ICC(3,k) = (MSR − MSE) / MSR

Fleiss' kappa (Fleiss, 1971, *Psychological Bulletin* 76(5), 378–382) for n subjects each
classified by m raters into categories, from the counts ``n_ij``::

    P_i = (Σ_j n_ij² − m) / (m (m − 1)),   P̄ = mean P_i,   p_j = Σ_i n_ij / (n m)
    κ = (P̄ − Σ p_j²) / (1 − Σ p_j²)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.checks import as_float_array
from scoring.errors import ScoringInputError
from scoring.interrater import spearman_brown


@dataclass(frozen=True)
class TwoWayIcc:
    """Two-way ICCs of a complete targets × raters matrix (Shrout & Fleiss notation)."""

    n: int
    k: int
    icc2_1: float
    icc2_k: float
    icc3_1: float
    icc3_k: float

    def to_dict(self) -> dict[str, float | int]:
        """JSON-able form."""
        return {"n": self.n, "k": self.k, "icc2_1": self.icc2_1, "icc2_k": self.icc2_k,
                "icc3_1": self.icc3_1, "icc3_k": self.icc3_k}


def icc_two_way(ratings: Any) -> TwoWayIcc:
    """ICC(2,1), ICC(2,k), ICC(3,1), ICC(3,k) of an n × k matrix without missing values.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets, four judges.

    >>> r = icc_two_way([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...                  [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> round(r.icc2_1, 2), round(r.icc2_k, 2), round(r.icc3_1, 2), round(r.icc3_k, 2)
    (0.29, 0.62, 0.71, 0.91)
    """
    x = as_float_array("ratings", ratings, ndim=2)
    n, k = x.shape
    if n < 2 or k < 2:
        raise ScoringInputError("ratings", "needs at least 2 targets and 2 raters")
    if np.isnan(x).any():
        raise ScoringInputError("ratings", "must be complete (every rater rates every target)")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    if msr == 0:
        raise ScoringInputError("ratings", "the targets do not differ: the ICC is undefined")
    return TwoWayIcc(
        n=n,
        k=k,
        icc2_1=float((msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)),
        icc2_k=float((msr - mse) / (msr + (msc - mse) / n)),
        icc3_1=float((msr - mse) / (msr + (k - 1) * mse)),
        icc3_k=float((msr - mse) / msr),
    )


def fleiss_kappa(counts: Any) -> float:
    """Fleiss' kappa of an n subjects × categories matrix of rater counts.

    Every row must add up to the same number of raters m ≥ 2. Returns 1.0 when every rater
    puts every subject in the same single category (perfect agreement, no chance term).

    Examples
    --------
    The worked example of Fleiss' kappa (10 subjects, 14 raters, 5 categories): κ = 0.210.

    >>> round(fleiss_kappa([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6],
    ...                     [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0],
    ...                     [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0],
    ...                     [0, 2, 2, 3, 7]]), 3)
    0.21
    """
    x = as_float_array("counts", counts, ndim=2)
    if np.isnan(x).any() or (x < 0).any():
        raise ScoringInputError("counts", "must be non-negative counts")
    m = x.sum(axis=1)
    if len(set(m.tolist())) != 1 or m[0] < 2:
        raise ScoringInputError("counts", "every subject needs the same number (≥ 2) of raters")
    raters = m[0]
    p_i = ((x**2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_j = x.sum(axis=0) / x.sum()
    chance = float((p_j**2).sum())
    if chance == 1.0:
        return 1.0
    return float((p_i.mean() - chance) / (1 - chance))


def predicted_alpha(mean_r: Any, k: Any) -> np.ndarray | float:
    """Alpha of k items whose inter-item correlations average ``mean_r`` (Spearman–Brown).

    Standardized alpha, ``k r̄ / (1 + (k − 1) r̄)`` (Lord & Novick, 1968, ch. 6): the
    reliability predicted for a form of k items before any data exist.

    >>> round(predicted_alpha(0.25, 12), 3), round(predicted_alpha(0.12, 7), 3)
    (0.8, 0.488)
    """
    r = np.asarray(mean_r, dtype=float)
    n = np.asarray(k, dtype=float)
    if np.any(n < 1) or np.any((r <= -1) | (r >= 1)):
        raise ScoringInputError("mean_r", "needs k >= 1 and -1 < mean_r < 1")
    # The same formula as a panel's reliability: one implementation (scoring.interrater).
    return spearman_brown(r, n)


def items_for_alpha(mean_r: float, target: float) -> int:
    """The smallest number of items with average inter-item r whose predicted alpha ≥ target.

    >>> items_for_alpha(0.12, 0.70)
    18
    """
    if not 0 < mean_r < 1 or not 0 < target < 1:
        raise ScoringInputError("mean_r", "needs 0 < mean_r < 1 and 0 < target < 1")
    k = target * (1 - mean_r) / (mean_r * (1 - target))
    return int(np.ceil(k - 1e-9))
