"""Reliability: Cronbach's α, standard error of measurement, 90 % bands (SPEC §3.4).

Formulas
--------
Cronbach's α for k items with item variances s²_i and total-score variance s²_X
(Cronbach, 1951, *Psychometrika* 16, 297–334)::

    α = k / (k − 1) · (1 − Σ s²_i / s²_X)

Standard error of measurement (Crocker & Algina, 1986, §6.3)::

    SEM = SD · √(1 − α)

90 % band around an observed score x: ``x ± 1.645 · SEM`` (1.645 = the 95th percentile of
the standard normal, so 90 % of the normal falls inside).

*Not reliably different.* SPEC §3.4: "two candidates whose difference is inside the bands
are shown as not reliably different". This library reads that literally: two scores are
reliably different only when their 90 % bands do not overlap, i.e.
``|a − b| > 1.645 · (SEM_a + SEM_b)``. This is deliberately conservative – stricter than a
test on the standard error of the difference, ``√(SEM_a² + SEM_b²)`` – because a hiring
manager should not read meaning into small gaps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring.checks import as_float_array
from scoring.errors import ScoringInputError

#: z of a two-sided 90 % interval, as written in SPEC §3.4 (exact value 1.64485…).
Z90 = 1.645
#: α below which a scale is flagged (SPEC §3.4) …
ALPHA_MIN = 0.70
#: … and the lower threshold for SJT scales, which are heterogeneous by design.
ALPHA_MIN_SJT = 0.50


def cronbach_alpha(matrix: Any) -> float:
    """Cronbach's coefficient α of an item-score matrix (rows = people, columns = items).

    Rows containing NaN are dropped (listwise deletion). Variances use ``ddof=1``
    throughout (the ratio does not depend on the choice, as long as it is the same).

    Parameters
    ----------
    matrix : array_like, shape (n_people, k_items)

    Returns
    -------
    float
        ``k/(k−1) · (1 − Σ s²_i / s²_X)``; may be negative when items correlate negatively.

    Raises
    ------
    ScoringInputError
        Fewer than 2 items, fewer than 2 complete rows, or zero total-score variance.

    Examples
    --------
    Statology, "How to Calculate Cronbach's Alpha in Python" (pingouin), 10 respondents ×
    3 items; published α = 0.7734375:

    >>> q = [[1, 1, 1], [2, 1, 1], [2, 1, 2], [3, 2, 1], [2, 3, 2],
    ...      [2, 3, 3], [3, 2, 3], [3, 3, 3], [2, 3, 2], [3, 3, 3]]
    >>> round(cronbach_alpha(q), 7)
    0.7734375
    """
    data = as_float_array("matrix", matrix, ndim=2)
    if data.shape[1] < 2:
        raise ScoringInputError("matrix", f"needs at least 2 items, got {data.shape[1]}")
    data = data[~np.isnan(data).any(axis=1)]
    if data.shape[0] < 2:
        raise ScoringInputError(
            "matrix", f"needs at least 2 rows without missing values, got {data.shape[0]}"
        )
    k = data.shape[1]
    item_variance = data.var(axis=0, ddof=1).sum()
    total_variance = data.sum(axis=1).var(ddof=1)
    if total_variance <= 0:
        raise ScoringInputError("matrix", "total scores have zero variance; α is undefined")
    return float(k / (k - 1) * (1.0 - item_variance / total_variance))


def cronbach_alpha_from_cov(cov: Any) -> float:
    """Cronbach's α from an item covariance matrix C: ``k/(k−1) · (1 − tr C / ΣΣ C)``.

    Examples
    --------
    The worked example of Julia's StatsBase ``cronbachalpha`` documentation:

    >>> c = [[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]]
    >>> round(cronbach_alpha_from_cov(c), 4)
    0.8136
    """
    c = as_float_array("cov", cov, ndim=2, allow_nan=False)
    if c.shape[0] != c.shape[1]:
        raise ScoringInputError("cov", f"must be square, got shape {c.shape}")
    if c.shape[0] < 2:
        raise ScoringInputError("cov", "needs at least 2 items")
    if not np.allclose(c, c.T):
        raise ScoringInputError("cov", "must be symmetric")
    total = c.sum()
    if total <= 0:
        raise ScoringInputError("cov", "total-score variance is zero; α is undefined")
    k = c.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(c) / total))


def alpha_if_deleted(cov: Any) -> np.ndarray:
    """α of the remaining items when each item in turn is dropped, from the covariance matrix.

    For item j: ``(k−1)/(k−2) · (1 − (tr C − C_jj) / (ΣΣ C − 2 Σ_l C_jl + C_jj))``.
    NaN when fewer than 3 items or the remaining total has no variance.

    >>> c = [[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]]
    >>> [round(float(a), 4) for a in alpha_if_deleted(c)]
    [0.75, 0.7606, 0.7714, 0.7826]
    """
    c = as_float_array("cov", cov, ndim=2)
    k = c.shape[0]
    if k < 3:
        return np.full(k, np.nan)
    diag = np.diag(c)
    rest_total = c.sum() - 2.0 * c.sum(axis=1) + diag
    rest_trace = np.trace(c) - diag
    ratio = np.divide(rest_trace, rest_total, out=np.full(k, np.nan), where=rest_total > 0)
    alpha: np.ndarray = (k - 1) / (k - 2) * (1.0 - ratio)
    return alpha


def standard_error_of_measurement(sd: Any, alpha: Any) -> np.ndarray | float:
    """SEM = SD · √(1 − α) (Crocker & Algina, 1986).

    >>> standard_error_of_measurement(10.0, 0.84)
    4.0
    """
    sd_a = as_float_array("sd", sd)
    alpha_a = as_float_array("alpha", alpha)
    if np.any(sd_a < 0):
        raise ScoringInputError("sd", "must be ≥ 0")
    if np.any(alpha_a > 1):
        raise ScoringInputError("alpha", "must be ≤ 1")
    result = sd_a * np.sqrt(1.0 - alpha_a)
    return float(result) if result.ndim == 0 else result


def band90(score: Any, sem: Any) -> tuple[np.ndarray | float, np.ndarray | float]:
    """90 % band ``score ± 1.645 · SEM``; returns ``(low, high)``.

    >>> low, high = band90(50.0, 4.0)
    >>> round(low, 3), round(high, 3)
    (43.42, 56.58)
    """
    score_a = as_float_array("score", score)
    sem_a = as_float_array("sem", sem)
    if np.any(sem_a < 0):
        raise ScoringInputError("sem", "must be ≥ 0")
    low, high = score_a - Z90 * sem_a, score_a + Z90 * sem_a
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def difference_margin(sem_a: Any, sem_b: Any) -> np.ndarray | float:
    """The smallest reliable difference at 90 %: ``1.645 · √(SEM_a² + SEM_b²)``.

    ``√(SEM_a² + SEM_b²)`` is the standard error of the difference between two independent
    scores (Crocker & Algina, 1986, §7.6; Harvill, 1991, *EM:IP* 10(2), 33–41).

    >>> round(difference_margin(3.0, 4.0), 4)   # 1.645 × 5
    8.225
    """
    sa = as_float_array("sem_a", sem_a)
    sb = as_float_array("sem_b", sem_b)
    if np.any(sa < 0) or np.any(sb < 0):
        raise ScoringInputError("sem_a" if np.any(sa < 0) else "sem_b", "must be ≥ 0")
    margin = Z90 * np.hypot(sa, sb)
    return float(margin) if margin.shape == () else margin


def reliably_different(score_a: Any, score_b: Any, sem_a: Any, sem_b: Any) -> np.ndarray | bool:
    """True where two scores differ by at least the 90 % margin of their difference:
    ``|a − b| ≥ 1.645 · √(SEM_a² + SEM_b²)`` (see :func:`difference_margin`); below it the
    two are *not reliably different*.

    Missing (NaN) scores are never reliably different. Vectorised.

    >>> reliably_different(57.0, 50.0, 3.0, 3.0)   # 7 ≥ 1.645 × 4.243 = 6.98
    True
    >>> reliably_different(56.5, 50.0, 3.0, 3.0)   # 6.5 < 6.98
    False
    """
    a = as_float_array("score_a", score_a)
    b = as_float_array("score_b", score_b)
    sa = as_float_array("sem_a", sem_a)
    sb = as_float_array("sem_b", sem_b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape, sa.shape, sb.shape)
    except ValueError:
        raise ScoringInputError(
            "score_b", f"shapes {a.shape}, {b.shape}, {sa.shape}, {sb.shape} do not match"
        ) from None
    margin = difference_margin(sa, sb)
    with np.errstate(invalid="ignore"):
        difference = np.abs(a - b)
        result = (difference >= margin) & (difference > 0)  # equal scores never differ
    return bool(result) if shape == () else result


def alpha_threshold(sjt: bool) -> float:
    """The α below which a scale is flagged: 0.70, or 0.50 for SJT scales."""
    return ALPHA_MIN_SJT if sjt else ALPHA_MIN


def alpha_is_low(alpha: float | None, *, sjt: bool = False) -> bool | None:
    """Whether α is below its threshold (``None`` when α is unknown).

    >>> alpha_is_low(0.65), alpha_is_low(0.65, sjt=True)
    (True, False)
    """
    if alpha is None or not np.isfinite(alpha):
        return None
    return bool(alpha < alpha_threshold(sjt))


def form_alpha(item_scores: Any, k: int, *, min_pairs: int = 10) -> float:
    """Alpha of a k-item form drawn from a pool, from pairwise-complete item covariances.

    Each candidate answers only the items of their form, so no one has the whole pool and the
    listwise alpha is undefined. With the pool's mean item variance v̄ and mean inter-item
    covariance c̄ (every pair answered together by at least ``min_pairs`` people), a random
    form of k items has (unstandardized alpha, Cronbach 1951; the pool items as a random
    sample of the domain)::

        alpha_k = k c̄ / (v̄ + (k − 1) c̄)

    >>> rng = np.random.default_rng(1)
    >>> trait = rng.normal(size=(4000, 1))
    >>> full = trait + rng.normal(size=(4000, 12))
    >>> shown = full.copy()
    >>> shown[rng.random(full.shape) < 0.5] = np.nan        # each sees about half the pool
    >>> round(form_alpha(full, 12), 2), round(cronbach_alpha(full), 2)
    (0.92, 0.92)
    >>> round(form_alpha(shown, 12), 2)
    0.92
    """
    x = as_float_array("item_scores", item_scores, ndim=2)
    m = x.shape[1]
    if m < 2 or k < 2:
        raise ScoringInputError("item_scores", "needs at least 2 items and k >= 2")
    present = ~np.isnan(x)
    filled = np.where(present, x, 0.0)
    counts = present.T.astype(float) @ present.astype(float)
    sums = filled.T @ present.astype(float)  # sums[i, j]: Σ x_i over rows where j is present
    products = filled.T @ filled
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (products - sums * sums.T / counts) / (counts - 1)
    usable = counts >= min_pairs
    variances = np.diag(cov)[np.diag(usable)]
    off = usable & ~np.eye(m, dtype=bool)
    if variances.size < 2 or not off.any():
        raise ScoringInputError("item_scores", f"too few items answered together ({min_pairs}+)")
    v_bar, c_bar = float(variances.mean()), float(cov[off].mean())
    denominator = v_bar + (k - 1) * c_bar
    if denominator <= 0:
        raise ScoringInputError("item_scores", "no variance to estimate alpha from")
    return k * c_bar / denominator
