"""Inter-rater reliability: one-way random-effects intraclass correlations ICC(1) and ICC(1,k).

Interview ratings fit the one-way model of Shrout & Fleiss (1979, *Psychological Bulletin*
86, 420–428, "Case 1"): every target (candidate) is rated by its own set of raters, drawn
from a larger pool, so rater identity is not a factor. Each rating is
``x_ij = μ + t_i + e_ij`` with independent target effects ``t_i ~ (0, σ²_t)`` and errors
``e_ij ~ (0, σ²_e)``, and ``ICC(1) = σ²_t / (σ²_t + σ²_e)`` is the correlation between two
ratings of the same target: the reliability of a single rating.

Formulas
--------
With n targets, ``k_i`` ratings of target i, ``N = Σ k_i`` ratings in all, target means
``m_i`` and grand mean ``M`` (one-way analysis of variance)::

    MSB = Σ k_i (m_i − M)² / (n − 1)               between targets, df1 = n − 1
    MSW = Σ_i Σ_j (x_ij − m_i)² / (N − n)          within targets,  df2 = N − n
    k0  = (N − Σ k_i² / N) / (n − 1)               (= k when every target has k ratings)

    ICC(1)   = (MSB − MSW) / (MSB + (k0 − 1) · MSW)
    ICC(1,k) = (MSB − MSW) / MSB                    reliability of the mean of k0 ratings
    F        = MSB / MSW  on (df1, df2) degrees of freedom

When every target has the same number k of ratings these are exactly the Shrout & Fleiss
(1979) estimators, and ``ICC(1,k)`` is ICC(1) stepped up by Spearman–Brown to k raters.

Missing ratings
---------------
A rating matrix has one row per target and one column per rating slot, NaN where a slot is
empty. Two documented policies:

* ``missing="unbalanced"`` (the default): every rating is used, with the unbalanced one-way
  ANOVA above and the ``k0`` correction for unequal group sizes (Snedecor & Cochran, 1989,
  *Statistical Methods*, 8th ed., §13.12; Donner, 1986, *International Statistical Review*
  54, 67–82). Interview panels differ in size from candidate to candidate, and dropping every
  candidate who was seen by one interviewer fewer than the others would throw away most of
  the evidence. ICC(1,k) then refers to a mean of ``k0`` ratings (a weighted average panel
  size); :func:`spearman_brown` gives the reliability for any other panel size.
* ``missing="complete"``: listwise deletion; only targets with every slot rated are kept.
  This is what pingouin's ``intraclass_corr(..., nan_policy="omit")`` does.

Targets without any rating are dropped under both policies; a target with a single rating
adds to the between-target sum of squares only.

Confidence interval
-------------------
The interval needs quantiles of the F distribution, which NumPy alone does not provide
accurately, so this module takes them as arguments (:func:`icc_confidence_interval`); the web
app computes them with SciPy (``app.fairness.stats.icc_confidence_interval``). With
``F_L = F / F_{1−α/2}(df1, df2)`` and ``F_U = F · F_{1−α/2}(df2, df1)`` (McGraw & Wong, 1996,
*Psychological Methods* 1, 30–46, Table 7, Case 1)::

    ICC(1):   [(F_L − 1) / (F_L + k0 − 1),  (F_U − 1) / (F_U + k0 − 1)]
    ICC(1,k): [1 − 1 / F_L,  1 − 1 / F_U]

For unbalanced data the interval is approximate (the F ratio is then only approximately F
distributed; Donner, 1986, §3).

Estimates are not truncated at 0: a negative ICC means the ratings of the same target agree
less than ratings of different targets, and presentation decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from scoring.checks import as_float_array, check_number, check_probability_open
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict

MissingPolicy = Literal["unbalanced", "complete"]
MISSING_POLICIES: tuple[str, ...] = ("unbalanced", "complete")


@dataclass(frozen=True)
class IccResult:
    """One-way random-effects ICCs of a rating matrix and the ANOVA they come from."""

    icc1: float
    icc1k: float
    f: float
    df1: int
    df2: int
    ms_between: float
    ms_within: float
    k: float
    n_targets: int
    n_ratings: int
    n_targets_dropped: int
    balanced: bool
    missing: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (an infinite F, from raters who never disagree, becomes null)."""
        return jsonable_dict(
            {
                "icc1": self.icc1,
                "icc1k": self.icc1k,
                "f": self.f,
                "df1": self.df1,
                "df2": self.df2,
                "ms_between": self.ms_between,
                "ms_within": self.ms_within,
                "k": self.k,
                "n_targets": self.n_targets,
                "n_ratings": self.n_ratings,
                "n_targets_dropped": self.n_targets_dropped,
                "balanced": self.balanced,
                "missing": self.missing,
            }
        )


@dataclass(frozen=True)
class IccInterval:
    """Confidence limits of ICC(1) and ICC(1,k) at one confidence level."""

    confidence: float
    icc1: tuple[float, float]
    icc1k: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {"confidence": self.confidence, "icc1": self.icc1, "icc1k": self.icc1k}
        )


def icc_oneway(ratings: Any, *, missing: MissingPolicy = "unbalanced") -> IccResult:
    """ICC(1) and ICC(1,k) (one-way random effects) of a targets × rating-slots matrix.

    Parameters
    ----------
    ratings : array_like, shape (n_targets, n_slots)
        One row per target (candidate), one column per rating slot; NaN marks an empty slot.
        Which rater filled which slot does not matter in the one-way model.
    missing : {"unbalanced", "complete"}
        How empty slots are handled (see the module docstring): use every rating with the
        ``k0`` correction, or keep only fully rated targets (pingouin's ``nan_policy="omit"``).

    Returns
    -------
    IccResult
        ``icc1 = (MSB − MSW) / (MSB + (k0 − 1) MSW)``, ``icc1k = (MSB − MSW) / MSB``,
        ``f = MSB / MSW`` with ``df1 = n − 1`` and ``df2 = N − n``, and the ANOVA behind them.
        ``f`` is infinite and both ICCs are 1 when ratings of the same target never differ;
        ``icc1k`` is NaN when the targets' means are all equal (MSB = 0).

    Raises
    ------
    ScoringInputError
        Unknown ``missing``; fewer than 2 targets left; no target with 2 ratings; all
        ratings identical.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges. Their Table 4 publishes
    ICC(1,1) = .17 and ICC(1,4) = .44 (MSB = 11.24, MSW = 6.26 in their Table 3):

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...       [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> r = icc_oneway(sf)
    >>> round(r.icc1, 2), round(r.icc1k, 2), round(r.ms_between, 2), round(r.ms_within, 2)
    (0.17, 0.44, 11.24, 6.26)
    >>> r.df1, r.df2, r.k
    (5, 18, 4.0)
    """
    if missing not in MISSING_POLICIES:
        raise ScoringInputError("missing", f"must be one of {MISSING_POLICIES}, got {missing!r}")
    data = as_float_array("ratings", ratings, ndim=2)
    observed = ~np.isnan(data)
    counts = observed.sum(axis=1)
    keep = counts == data.shape[1] if missing == "complete" else counts > 0
    data, observed, counts = data[keep], observed[keep], counts[keep]
    n = int(data.shape[0])
    if n < 2:
        raise ScoringInputError(
            "ratings", f"needs at least 2 rated targets ({missing!r} policy), got {n}"
        )
    n_ratings = int(counts.sum())
    df1, df2 = n - 1, n_ratings - n
    if df2 < 1:
        raise ScoringInputError("ratings", "needs at least one target with 2 or more ratings")

    sums = np.where(observed, data, 0.0).sum(axis=1)
    means = sums / counts
    grand_mean = sums.sum() / n_ratings
    ss_between = float((counts * (means - grand_mean) ** 2).sum())
    ss_within = float((np.where(observed, data - means[:, None], 0.0) ** 2).sum())
    ms_between, ms_within = ss_between / df1, ss_within / df2
    k0 = float((n_ratings - (counts**2).sum() / n_ratings) / df1)

    if ms_within == 0.0:
        if ms_between == 0.0:
            raise ScoringInputError("ratings", "every rating is the same value; ICC is undefined")
        icc1 = icc1k = 1.0
        f = float("inf")
    else:
        icc1 = (ms_between - ms_within) / (ms_between + (k0 - 1.0) * ms_within)
        icc1k = (ms_between - ms_within) / ms_between if ms_between > 0 else float("nan")
        f = ms_between / ms_within
    return IccResult(
        icc1=float(icc1),
        icc1k=float(icc1k),
        f=float(f),
        df1=df1,
        df2=df2,
        ms_between=ms_between,
        ms_within=ms_within,
        k=k0,
        n_targets=n,
        n_ratings=n_ratings,
        n_targets_dropped=int((~keep).sum()),
        balanced=bool((counts == counts[0]).all()),
        missing=missing,
    )


def icc_confidence_interval(
    result: IccResult, *, f_crit: float, f_crit_swapped: float, confidence: float = 0.95
) -> IccInterval:
    """Confidence limits of ICC(1) and ICC(1,k) from the two F quantiles they need.

    Parameters
    ----------
    result : IccResult
        From :func:`icc_oneway`.
    f_crit : float
        ``F_{1−α/2}(df1, df2)``, the upper α/2 quantile of F on (df1, df2) degrees of freedom
        (``scipy.stats.f.ppf(1 − α/2, df1, df2)``).
    f_crit_swapped : float
        ``F_{1−α/2}(df2, df1)``, the same quantile with the degrees of freedom swapped.
    confidence : float
        The level ``1 − α`` the quantiles belong to (recorded in the result).

    Returns
    -------
    IccInterval
        With ``F_L = F / f_crit`` and ``F_U = F · f_crit_swapped`` (McGraw & Wong, 1996,
        Table 7, Case 1): ICC(1) in ``[(F_L − 1)/(F_L + k − 1), (F_U − 1)/(F_U + k − 1)]``
        and ICC(1,k) in ``[1 − 1/F_L, 1 − 1/F_U]``. An infinite F gives ``(1, 1)``.

    Examples
    --------
    Shrout & Fleiss's data (F = 1.7947 on 5 and 18 df) with the 97.5 % quantiles
    F(5, 18) = 3.38197 and F(18, 5) = 6.36188 (from ``scipy.stats.f.ppf``):

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...       [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> ci = icc_confidence_interval(icc_oneway(sf), f_crit=3.38197, f_crit_swapped=6.36188)
    >>> [round(v, 2) for v in ci.icc1], [round(v, 2) for v in ci.icc1k]
    ([-0.13, 0.72], [-0.88, 0.91])
    """
    if not isinstance(result, IccResult):
        raise ScoringInputError("result", f"must be an IccResult, got {type(result).__name__}")
    f_crit = check_number("f_crit", f_crit)
    f_crit_swapped = check_number("f_crit_swapped", f_crit_swapped)
    if f_crit <= 0:
        raise ScoringInputError("f_crit", f"must be > 0, got {f_crit!r}")
    if f_crit_swapped <= 0:
        raise ScoringInputError("f_crit_swapped", f"must be > 0, got {f_crit_swapped!r}")
    confidence = check_probability_open("confidence", confidence)
    if np.isinf(result.f):
        return IccInterval(confidence=confidence, icc1=(1.0, 1.0), icc1k=(1.0, 1.0))
    f_low = result.f / f_crit
    f_high = result.f * f_crit_swapped
    k = result.k
    icc1 = ((f_low - 1.0) / (f_low + k - 1.0), (f_high - 1.0) / (f_high + k - 1.0))
    icc1k = (
        1.0 - 1.0 / f_low if f_low > 0 else float("-inf"),
        1.0 - 1.0 / f_high if f_high > 0 else float("-inf"),
    )
    return IccInterval(
        confidence=confidence,
        icc1=(float(icc1[0]), float(icc1[1])),
        icc1k=(float(icc1k[0]), float(icc1k[1])),
    )


def spearman_brown(reliability: Any, k: Any) -> np.ndarray | float:
    """Reliability of the mean of k parallel ratings: ``k ρ / (1 + (k − 1) ρ)``.

    Spearman (1910) and Brown (1910), *British Journal of Psychology* 3, 271–295 and 296–322.
    Turns ICC(1) into the reliability of a panel of any size k (k may be fractional).
    Vectorised.

    >>> round(spearman_brown(0.1657, 4), 4)     # Shrout & Fleiss: ICC(1,1) → ICC(1,4)
    0.4427
    >>> spearman_brown([0.5, 0.5], [1, 3]).tolist()
    [0.5, 0.75]
    """
    rho = as_float_array("reliability", reliability)
    panel = as_float_array("k", k)
    if np.any(panel <= 0):
        raise ScoringInputError("k", "must be > 0")
    if np.any(rho > 1):
        raise ScoringInputError("reliability", "must be ≤ 1")
    with np.errstate(divide="ignore", invalid="ignore"):
        result = panel * rho / (1.0 + (panel - 1.0) * rho)
    return float(result) if result.ndim == 0 else result
