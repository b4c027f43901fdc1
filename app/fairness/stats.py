"""P-values and quantiles that ``scoring/`` leaves to maintained libraries (issues 16 and 17).

``scoring/`` is pure Python + NumPy (SPEC §3). What it cannot compute exactly on its own comes
from SciPy and statsmodels, here, on top of its results:

* **Fisher's exact test** (``scipy.stats.fisher_exact``, two-sided) of each shown group's
  selection rate against the reference group's, on the 2 × 2 table
  ``[[selected_g, not_g], [selected_ref, not_ref]]``.
* **The two-proportion z test** (``statsmodels.stats.proportion.proportions_ztest``,
  two-sided, pooled variance): ``z = (p_g − p_ref) / √(p̄ (1 − p̄) (1/n_g + 1/n_ref))`` with
  ``p̄`` the pooled rate, so z < 0 when the group is selected less often. Undefined (``None``)
  when the pooled rate is 0 or 1: nobody, or everybody, in both groups was selected.
* **The confidence interval and F test of ICC(1)** (``scipy.stats.f``): the two F quantiles
  that :func:`scoring.icc_confidence_interval` needs, and ``P(F > F_obs)`` on (df1, df2).

The Mantel–Haenszel chi-square's p-value needs no library: it is exact in
:func:`scoring.chi_square_1df_p_value` (and checked against SciPy in the tests).

The ICC helpers sit here, beside the other SciPy calls, until the interview domain of issue 16
exists to own them.

SciPy and statsmodels (which brings pandas) are imported where they are used: importing them
with the app cost every worker about 100 MB of memory for pages most requests never open.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from scoring import IccInterval, IccResult, ImpactReport, icc_confidence_interval
from scoring.checks import check_probability_open
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict


@dataclass(frozen=True)
class GroupTest:
    """Tests of one group's selection rate against the reference group's."""

    group: str
    reference: str
    fisher_p: float
    z: float | None
    z_p: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "group": self.group,
                "reference": self.reference,
                "fisher_p": self.fisher_p,
                "z": self.z,
                "z_p": self.z_p,
            }
        )


def _check_counts(name: str, selected: int, n: int) -> None:
    for label, value in ((f"{name}_selected", selected), (f"{name}_n", n)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ScoringInputError(label, f"must be a whole number ≥ 0, got {value!r}")
    if n == 0:
        raise ScoringInputError(f"{name}_n", "must be ≥ 1")
    if selected > n:
        raise ScoringInputError(f"{name}_selected", f"is {selected}, more than the {n} people")


def fisher_exact_p(group_selected: int, group_n: int, ref_selected: int, ref_n: int) -> float:
    """Two-sided p-value of Fisher's exact test of two selection rates.

    >>> round(fisher_exact_p(3, 4, 1, 4), 10)        # Fisher's tea-tasting table: 17/35
    0.4857142857
    """
    _check_counts("group", group_selected, group_n)
    _check_counts("ref", ref_selected, ref_n)
    table = [
        [group_selected, group_n - group_selected],
        [ref_selected, ref_n - ref_selected],
    ]
    from scipy import stats

    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def two_proportion_z(
    group_selected: int, group_n: int, ref_selected: int, ref_n: int
) -> tuple[float | None, float | None]:
    """``(z, two-sided p)`` of the pooled two-proportion z test; ``(None, None)`` if undefined.

    >>> z, p = two_proportion_z(12, 25, 30, 50)      # 48 % against 60 %
    >>> round(z, 4), round(p, 4)
    (-0.9869, 0.3237)
    """
    _check_counts("group", group_selected, group_n)
    _check_counts("ref", ref_selected, ref_n)
    pooled = (group_selected + ref_selected) / (group_n + ref_n)
    if pooled in (0.0, 1.0):
        return None, None
    from statsmodels.stats.proportion import proportions_ztest

    z, p = proportions_ztest([group_selected, ref_selected], [group_n, ref_n])
    return float(z), float(p)


def impact_tests(report: ImpactReport) -> tuple[GroupTest, ...]:
    """Fisher's exact and the z test for every shown group against the reference group.

    Empty when the report has no reference group (nobody shown, or nobody selected).
    """
    if report.reference is None:
        return ()
    reference = report.group(report.reference)
    tests = []
    for group in report.groups:
        if group.is_reference:
            continue
        counts = (group.selected, group.n, reference.selected, reference.n)
        z, z_p = two_proportion_z(*counts)
        tests.append(
            GroupTest(
                group=group.group,
                reference=reference.group,
                fisher_p=fisher_exact_p(*counts),
                z=z,
                z_p=z_p,
            )
        )
    return tuple(tests)


def icc_interval(result: IccResult, *, confidence: float = 0.95) -> IccInterval:
    """Confidence interval of ICC(1) and ICC(1,k) with the F quantiles from SciPy."""
    from scipy import stats

    confidence = check_probability_open("confidence", confidence)
    upper = 1.0 - (1.0 - confidence) / 2.0
    return icc_confidence_interval(
        result,
        f_crit=float(stats.f.ppf(upper, result.df1, result.df2)),
        f_crit_swapped=float(stats.f.ppf(upper, result.df2, result.df1)),
        confidence=confidence,
    )


def icc_p_value(result: IccResult) -> float:
    """``P(F > F_obs)`` on (df1, df2): the test that ICC(1) is 0 (0 when F is infinite)."""
    from scipy import stats

    if math.isinf(result.f):
        return 0.0
    return float(stats.f.sf(result.f, result.df1, result.df2))
