"""Criterion validity from the organization's own outcomes: correlations with confidence
intervals, the correction for range restriction, the validity of a composite, and suggested
weights shrunk toward the current ones.

Formulas
--------
**Pearson r with a Fisher-z interval** (Fisher, 1921, *Metron* 1, 3–32): with
``z = atanh r`` and ``SE = 1 / √(n − 3)``, the 100(1 − α) % interval is
``tanh(z ± z_{1−α/2} · SE)``. (The same interval as ``scipy.stats.pearsonr(x, y)
.confidence_interval()``.)

**Thorndike's Case II** (Thorndike, 1949, *Personnel Selection*; Pearson, 1903): hires
are selected on the predictor, so its spread among them is smaller than among applicants and
r is too low. With ``u = SD_applicants / SD_selected`` of the predictor (direct selection on
it, linear and homoscedastic regression of the criterion on it)::

    r_c = u · r / √(1 + r² (u² − 1))

The function is increasing in r for u > 0, so the corrected interval is the interval of r with
both ends corrected (Hunter & Schmidt, 2004, *Methods of Meta-Analysis*, 2nd ed., ch. 3),
conditional on u being known.

**Validity of a weighted composite** of standardized predictors with weights w, validities
``r`` (each predictor with the criterion) and intercorrelations R (Nunnally & Bernstein,
1994, *Psychometric Theory*, 3rd ed., ch. 5: the covariance of a linear combination)::

    r_c = w·r / √(wᵀ R w);   two parts: (w1 r1 + w2 r2) / √(w1² + w2² + 2 w1 w2 r12)

**Suggested weights.** The ordinary least-squares weights of the standardized predictors,
``β = R_xx⁻¹ r_xy``, are noisy until n is large (Schmidt, 1971, *Educational and
Psychological Measurement* 31, 699–714: below a few hundred cases a priori or equal weights
predict new cases as well as regression weights). They are therefore only a pull on the
current weights, in proportion to the evidence::

    w_ols  = max(β, 0) / Σ max(β, 0)              negative weights clipped, sum 1
    λ      = n / (n + n0)
    w_new  = λ · w_ols + (1 − λ) · w_current      (non-negative, sum 1)

``n0`` (default 100) is the prior strength: the current weights count as much as n0 hires'
outcomes. This is the credibility-weighted mean of actuarial practice (Bühlmann, 1967,
*ASTIN Bulletin* 4, 199–207): with 25 hires and n0 = 100 the suggestion moves a fifth of the
way from the current weights to the regression weights, with 900 hires nine tenths. When no
predictor has a positive regression weight there is no direction to move in and the current
weights are returned unchanged (λ = 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number, check_probability_open
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict

#: Prior strength of the current weights, in hires (see the module docstring).
N0 = 100.0
#: Below this many outcomes a validity estimate is shown with a plain warning (issue 16).
SMALL_N = 30


@dataclass(frozen=True)
class Correlation:
    """A Pearson correlation with its Fisher-z confidence interval."""

    r: float
    n: int
    low: float
    high: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "r": self.r,
                "n": self.n,
                "low": self.low,
                "high": self.high,
                "confidence": self.confidence,
                "small_n": self.n < SMALL_N,
            }
        )


def _z_critical(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def fisher_interval(
    r: Any, n: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Fisher-z confidence interval ``tanh(atanh r ± z_{1−α/2} / √(n − 3))``. Vectorised.

    n = 3 gives (−1, 1); |r| = 1 gives (r, r).

    >>> low, high = fisher_interval(0.5, 30)
    >>> round(low, 4), round(high, 4)
    (0.1704, 0.729)
    """
    confidence = check_probability_open("confidence", confidence)
    r_a = as_float_array("r", r)
    n_a = as_float_array("n", n)
    if np.any(np.abs(r_a) > 1):
        raise ScoringInputError("r", "must lie in [−1, 1]")
    if np.any(n_a < 3) or np.any(n_a != np.floor(n_a)):
        raise ScoringInputError("n", "must be a whole number ≥ 3")
    r_b, n_b = np.broadcast_arrays(r_a, n_a)
    with np.errstate(divide="ignore"):
        z = np.arctanh(r_b)
        half = _z_critical(confidence) / np.sqrt(n_b - 3.0)
    with np.errstate(invalid="ignore"):
        low, high = np.tanh(z - half), np.tanh(z + half)
    # atanh(±1) is ±inf: the interval collapses to the point (inf − inf would be NaN).
    exact = np.abs(r_b) == 1.0
    low, high = np.where(exact, r_b, low), np.where(exact, r_b, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def pearson(x: Any, y: Any, *, confidence: float = 0.95) -> Correlation:
    """Pearson r of two variables with its Fisher-z confidence interval.

    Pairs with a missing value (NaN) on either side are left out; ``n`` counts the pairs
    used.

    Parameters
    ----------
    x, y : array_like, shape (n,)
    confidence : float
        Level of the interval (default 0.95).

    Returns
    -------
    Correlation
        ``r = Σ (x − x̄)(y − ȳ) / √(Σ (x − x̄)² Σ (y − ȳ)²)`` and ``(low, high)`` from
        :func:`fisher_interval`.

    Raises
    ------
    ScoringInputError
        Fewer than 3 complete pairs, different lengths, or no variance in x or y.

    Examples
    --------
    >>> c = pearson([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    >>> round(c.r, 6), c.n, round(c.low, 4), round(c.high, 4)
    (0.828571, 6, 0.0519, 0.9807)
    """
    xa = as_float_array("x", x, ndim=1)
    ya = as_float_array("y", y, ndim=1)
    if xa.shape != ya.shape:
        raise ScoringInputError("y", f"has {ya.shape[0]} values but x has {xa.shape[0]}")
    both = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[both], ya[both]
    n = int(xa.shape[0])
    if n < 3:
        raise ScoringInputError("x", f"needs at least 3 complete pairs, got {n}")
    dx, dy = xa - xa.mean(), ya - ya.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    if sxx == 0:
        raise ScoringInputError("x", "has no variance; the correlation is undefined")
    if syy == 0:
        raise ScoringInputError("y", "has no variance; the correlation is undefined")
    r = float(np.clip(float(dx @ dy) / math.sqrt(sxx * syy), -1.0, 1.0))
    low, high = fisher_interval(r, n, confidence=confidence)
    return Correlation(r=r, n=n, low=float(low), high=float(high), confidence=confidence)


def correct_range_restriction(r: Any, u: Any) -> np.ndarray | float:
    """Thorndike Case II: ``u r / √(1 + r² (u² − 1))``, u = SD_applicants / SD_selected.

    Vectorised over r and u; apply it to the ends of a confidence interval to correct the
    interval. u < 1 (hires more spread out than applicants) is allowed and lowers |r|.

    >>> round(correct_range_restriction(0.25, 1.40), 7)   # personnelSelectionUtility docs
    0.3399501
    >>> correct_range_restriction([0.0, 1.0, -1.0], 2.0).tolist()
    [0.0, 1.0, -1.0]
    """
    r_a = as_float_array("r", r)
    u_a = as_float_array("u", u)
    if np.any(np.abs(r_a) > 1):
        raise ScoringInputError("r", "must lie in [−1, 1]")
    if np.any(u_a <= 0):
        raise ScoringInputError("u", "must be > 0 (a ratio of standard deviations)")
    result = u_a * r_a / np.sqrt(1.0 + r_a**2 * (u_a**2 - 1.0))
    return float(result) if result.ndim == 0 else result


def range_restriction_ratio(sd_applicants: float, sd_selected: float) -> float:
    """``u = SD_applicants / SD_selected`` of the predictor, for :func:`correct_range_restriction`.

    >>> range_restriction_ratio(10.0, 8.0)
    1.25
    """
    unrestricted = check_number("sd_applicants", sd_applicants)
    restricted = check_number("sd_selected", sd_selected)
    if unrestricted <= 0:
        raise ScoringInputError("sd_applicants", "must be > 0")
    if restricted <= 0:
        raise ScoringInputError("sd_selected", "must be > 0")
    return unrestricted / restricted


def _correlation_matrix(name: str, matrix: Any, p: int) -> np.ndarray:
    r = as_float_array(name, matrix, allow_nan=False)
    if r.ndim == 0 and p == 2:
        r = np.array([[1.0, float(r)], [float(r), 1.0]])
    if r.shape != (p, p):
        raise ScoringInputError(name, f"must be a {p}×{p} correlation matrix, got shape {r.shape}")
    if not np.allclose(r, r.T, atol=1e-12) or not np.allclose(np.diag(r), 1.0, atol=1e-12):
        raise ScoringInputError(name, "must be symmetric with ones on the diagonal")
    if np.any(np.abs(r) > 1 + 1e-12):
        raise ScoringInputError(name, "correlations must lie in [−1, 1]")
    if np.linalg.eigvalsh(r).min() < -1e-10:
        raise ScoringInputError(
            name, "is not a possible correlation matrix (not positive semidefinite)"
        )
    return r


def composite_validity(weights: Any, validities: Any, intercorrelations: Any) -> float:
    """Validity of a weighted sum of standardized predictors: ``w·r / √(wᵀ R w)``.

    Parameters
    ----------
    weights : array_like, shape (p,)
        Weights of the standardized parts (any scale: the result does not depend on it).
    validities : array_like, shape (p,)
        Each part's correlation with the criterion.
    intercorrelations : array_like, shape (p, p), or a number when p = 2
        The parts' correlation matrix; for two parts their correlation r12 will do.

    Examples
    --------
    Equal weights on a test composite (r = .45) and an interview (r = .42) that correlate
    .30: (.45 + .42) / √(2 + 2 × .30) = .5396:

    >>> round(composite_validity([0.5, 0.5], [0.45, 0.42], 0.30), 4)
    0.5396
    """
    w = as_float_array("weights", weights, ndim=1, allow_nan=False)
    r = as_float_array("validities", validities, ndim=1, allow_nan=False)
    if r.shape != w.shape:
        raise ScoringInputError("validities", f"has {r.size} values for {w.size} weights")
    if np.any(np.abs(r) > 1):
        raise ScoringInputError("validities", "must lie in [−1, 1]")
    rxx = _correlation_matrix("intercorrelations", intercorrelations, w.size)
    variance = float(w @ rxx @ w)
    if variance <= 0:
        raise ScoringInputError("weights", "give a composite with no variance")
    return float(w @ r / math.sqrt(variance))


@dataclass(frozen=True)
class SuggestedWeights:
    """Regression weights from outcomes, shrunk toward the current weights."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    current: tuple[float, ...]
    regression: tuple[float, ...]
    regression_normalized: tuple[float, ...] | None
    n: int
    n0: float
    shrinkage: float
    validity_current: float
    validity_suggested: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, weights keyed by predictor name."""
        normalized = self.regression_normalized
        return jsonable_dict(
            {
                "weights": dict(zip(self.names, self.weights, strict=True)),
                "current": dict(zip(self.names, self.current, strict=True)),
                "regression": dict(zip(self.names, self.regression, strict=True)),
                "regression_normalized": None
                if normalized is None
                else dict(zip(self.names, normalized, strict=True)),
                "n": self.n,
                "n0": self.n0,
                "shrinkage": self.shrinkage,
                "validity_current": self.validity_current,
                "validity_suggested": self.validity_suggested,
                "small_n": self.n < SMALL_N,
            }
        )


def suggested_weights(
    predictors: Any,
    criterion: Any,
    current: Any,
    *,
    n0: float = N0,
    names: Sequence[str] | None = None,
) -> SuggestedWeights:
    """Weights suggested by the outcomes, shrunk toward the current ones by ``n / (n + n0)``.

    Parameters
    ----------
    predictors : array_like, shape (n, p)
        Each hire's scores on the p weighted parts (any scale: they are standardized here).
        Rows with a missing value are left out.
    criterion : array_like, shape (n,)
        The outcome (performance rating, quota attainment, ...).
    current : array_like, shape (p,)
        The weights in force: non-negative, summing to 1.
    n0 : float
        Prior strength of the current weights, in hires (default 100).
    names : sequence of str, optional
        Names of the parts, for :meth:`SuggestedWeights.to_dict`.

    Returns
    -------
    SuggestedWeights
        ``weights = λ w_ols + (1 − λ) w_current`` with ``λ = n / (n + n0)`` and ``w_ols`` the
        standardized regression weights ``β = R_xx⁻¹ r_xy`` clipped at 0 and rescaled to sum
        1 (module docstring), plus ``validity_current`` and ``validity_suggested``: the
        in-sample correlation of each weighted composite with the criterion (the suggested
        one is optimistic, having been fitted to the same data).

    Raises
    ------
    ScoringInputError
        Fewer than p + 2 complete rows, a part without variance, parts that are linearly
        dependent, or current weights that are negative or do not sum to 1.

    Examples
    --------
    >>> x = [[1, 2], [2, 1], [3, 4], [4, 3], [5, 6], [6, 5]]
    >>> y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]    # follows the first part exactly
    >>> s = suggested_weights(x, y, [0.5, 0.5], n0=6)
    >>> s.shrinkage, [round(w, 4) for w in s.regression_normalized]
    (0.5, [1.0, 0.0])
    >>> [round(w, 4) for w in s.weights]     # half-way from (0.5, 0.5) to (1, 0)
    [0.75, 0.25]
    """
    x = as_float_array("predictors", predictors, ndim=2)
    y = as_float_array("criterion", criterion, ndim=1)
    if x.shape[0] != y.shape[0]:
        raise ScoringInputError("criterion", f"has {y.shape[0]} values for {x.shape[0]} rows")
    p = x.shape[1]
    w_current = as_float_array("current", current, ndim=1, allow_nan=False)
    if w_current.shape[0] != p:
        raise ScoringInputError("current", f"has {w_current.shape[0]} weights for {p} parts")
    if np.any(w_current < 0) or not math.isclose(float(w_current.sum()), 1.0, abs_tol=1e-9):
        raise ScoringInputError("current", "must be non-negative and sum to 1")
    n0 = check_number("n0", n0)
    if n0 <= 0:
        raise ScoringInputError("n0", "must be > 0")
    labels = tuple(names) if names is not None else tuple(str(j) for j in range(p))
    if len(labels) != p:
        raise ScoringInputError("names", f"has {len(labels)} names for {p} parts")

    complete = ~(np.isnan(x).any(axis=1) | np.isnan(y))
    x, y = x[complete], y[complete]
    n = int(x.shape[0])
    if n < p + 2:
        raise ScoringInputError(
            "predictors", f"needs at least {p + 2} complete rows for {p} parts, got {n}"
        )
    sd = x.std(axis=0, ddof=1)
    for j in np.flatnonzero(sd == 0):
        raise ScoringInputError(f"predictors[:, {j}]", f"{labels[j]} has no variance")
    if y.std(ddof=1) == 0:
        raise ScoringInputError("criterion", "has no variance")
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = corr[:p, :p], corr[:p, p]
    if np.linalg.matrix_rank(rxx) < p:
        raise ScoringInputError(
            "predictors", "parts are linearly dependent; weights are not identified"
        )
    beta = np.linalg.solve(rxx, rxy)

    positive = np.clip(beta, 0.0, None)
    if positive.sum() > 0:
        w_ols = positive / positive.sum()
        shrinkage = n / (n + n0)
        weights = shrinkage * w_ols + (1.0 - shrinkage) * w_current
        normalized: tuple[float, ...] | None = tuple(float(v) for v in w_ols)
    else:
        shrinkage, weights, normalized = 0.0, w_current.copy(), None
    weights = weights / weights.sum()
    return SuggestedWeights(
        names=labels,
        weights=tuple(float(v) for v in weights),
        current=tuple(float(v) for v in w_current),
        regression=tuple(float(v) for v in beta),
        regression_normalized=normalized,
        n=n,
        n0=n0,
        shrinkage=float(shrinkage),
        validity_current=composite_validity(w_current, rxy, rxx),
        validity_suggested=composite_validity(weights, rxy, rxx),
    )
