"""Utility of a candidate: Brogden–Cronbach–Gleser expected productivity and expected NPV.

Under the linear-regression model of Brogden (1949, *Personnel Psychology* 2, 171–183) and
Cronbach & Gleser (1965, *Psychological Tests and Personnel Decisions*), a candidate whose
predictor score is z standard deviations above the norm-group mean is expected to perform
``r_xy · z`` standard deviations of performance above the mean. With output expressed
relative to mean output (SD_p as a share of the mean; Schmidt & Hunter, 1983; Hunter,
Schmidt & Judiesch, 1990, *J. Applied Psychology* 75, 28–42)::

    expected_productivity = 1 + r_xy · z · SD_p

Defaults (SPEC §4): r_xy = 0.45 – the validity of a multi-method battery of job knowledge,
reasoning and SJTs, in line with the operational validities of Sackett et al. (2022) – and
SD_p = 0.48, the spread of output in high-complexity jobs (Hunter et al., 1990).

z is the candidate's composite z against the norm group – here ``Σ w_i z_i`` (see
:mod:`scoring.composite`), which is not re-standardised and so slightly conservative.

The candidate is costed as ``experienced`` with at least ``experienced_years`` (3) years of
key-account work, otherwise as ``grow_in_house``; that option's productivity is multiplied by
the expected productivity (floored at 0 – a negative output has no meaning) and its NPV
recomputed with the model of :mod:`scoring.cost`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number
from scoring.cost import npv_batch, simulate_option
from scoring.cost_assumptions import OPTIONS, CostAssumptions
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict, unsigned_zero

R_XY = 0.45
SD_P = 0.48
EXPERIENCED_YEARS = 3.0


def _check_parameters(r_xy: float, sd_p: float) -> tuple[float, float]:
    return (
        check_number("r_xy", r_xy, minimum=-1.0, maximum=1.0),
        check_number("sd_p", sd_p, minimum=0.0),
    )


def expected_productivity(z: Any, r_xy: float = R_XY, sd_p: float = SD_P) -> Any:
    """``1 + r_xy · z · sd_p`` (Brogden–Cronbach–Gleser). Vectorised; NaN stays NaN.

    >>> expected_productivity(1.0)           # 1 + 0.45 × 1 × 0.48
    1.216
    >>> expected_productivity([-1.0, 0.0, 2.0]).round(3)
    array([0.784, 1.   , 1.432])
    """
    r_xy, sd_p = _check_parameters(r_xy, sd_p)
    values = as_float_array("z", z)
    result = 1.0 + r_xy * values * sd_p
    return float(result) if result.ndim == 0 else result


def costed_option(
    years_key_accounts: float | None, experienced_years: float = EXPERIENCED_YEARS
) -> str:
    """``"experienced"`` with ≥ ``experienced_years`` of key-account work, else ``"grow_in_house"``.

    Unknown years count as fewer.

    >>> costed_option(3), costed_option(2.5), costed_option(None)
    ('experienced', 'grow_in_house', 'grow_in_house')
    """
    experienced_years = check_number("experienced_years", experienced_years, minimum=0.0)
    if years_key_accounts is None:
        return "grow_in_house"
    years = check_number("years_key_accounts", years_key_accounts, minimum=0.0)
    return "experienced" if years >= experienced_years else "grow_in_house"


@dataclass(frozen=True)
class CandidateUtility:
    """A candidate's expected productivity and expected NPV under the costed option."""

    composite_z: float
    years_key_accounts: float | None
    option: str
    expected_productivity: float
    productivity: float
    npv: float
    break_even_month: int | None
    r_xy: float
    sd_p: float

    @property
    def explanation(self) -> str:
        """Plain-English statement of how the numbers were made."""
        who = "an experienced hire" if self.option == "experienced" else "growing in-house"
        return (
            f"Costed as {who}. Expected productivity = 1 + {self.r_xy:g}"
            f" × z {unsigned_zero(self.composite_z, 2):+.2f} × {self.sd_p:g}"
            f" = {self.expected_productivity:.3f} of a typical KAM's output,"
            f" so productivity {self.productivity:.3f};"
            f" expected NPV €{unsigned_zero(self.npv):,.0f}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "composite_z": self.composite_z,
                "years_key_accounts": self.years_key_accounts,
                "option": self.option,
                "expected_productivity": self.expected_productivity,
                "productivity": self.productivity,
                "npv": self.npv,
                "break_even_month": self.break_even_month,
                "r_xy": self.r_xy,
                "sd_p": self.sd_p,
                "explanation": self.explanation,
            }
        )


def candidate_utility(
    z: float,
    years_key_accounts: float | None,
    assumptions: CostAssumptions | None = None,
    *,
    r_xy: float = R_XY,
    sd_p: float = SD_P,
    experienced_years: float = EXPERIENCED_YEARS,
) -> CandidateUtility:
    """Expected productivity and NPV of one candidate (see the module docstring).

    Examples
    --------
    >>> u = candidate_utility(1.0, 5)
    >>> u.option, round(u.expected_productivity, 3), round(u.productivity, 3)
    ('experienced', 1.216, 1.216)
    """
    if z is None:
        raise ScoringInputError("z", "composite z is missing (incomplete composite or no norms)")
    z = check_number("z", z)
    r_xy, sd_p = _check_parameters(r_xy, sd_p)
    a = assumptions if assumptions is not None else CostAssumptions()
    if not isinstance(a, CostAssumptions):
        raise ScoringInputError("assumptions", "must be CostAssumptions")
    option_name = costed_option(years_key_accounts, experienced_years)
    option = a.option(option_name)
    ep = expected_productivity(z, r_xy, sd_p)
    productivity = max(0.0, option.productivity * ep)
    result = simulate_option(replace(option, productivity=productivity), a, option_name)
    return CandidateUtility(
        composite_z=z,
        years_key_accounts=None if years_key_accounts is None else float(years_key_accounts),
        option=option_name,
        expected_productivity=ep,
        productivity=productivity,
        npv=result.npv,
        break_even_month=result.break_even_month,
        r_xy=r_xy,
        sd_p=sd_p,
    )


@dataclass(frozen=True, eq=False)
class GroupUtility:
    """Vectorised utilities of a group (NaN where z is missing)."""

    option: np.ndarray
    expected_productivity: np.ndarray
    npv: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "option": self.option,
                "expected_productivity": self.expected_productivity,
                "npv": self.npv,
            }
        )


def candidate_utilities(
    z: Any,
    years_key_accounts: Any,
    assumptions: CostAssumptions | None = None,
    *,
    r_xy: float = R_XY,
    sd_p: float = SD_P,
    experienced_years: float = EXPERIENCED_YEARS,
) -> GroupUtility:
    """Vectorised :func:`candidate_utility` for a group (one NPV kernel call per option).

    ``years_key_accounts`` may contain NaN (unknown → ``grow_in_house``).
    """
    z_arr = as_float_array("z", z, ndim=1)
    years = as_float_array("years_key_accounts", years_key_accounts, ndim=1)
    if years.shape != z_arr.shape:
        raise ScoringInputError(
            "years_key_accounts", f"has {years.size} values for {z_arr.size} candidates"
        )
    experienced_years = check_number("experienced_years", experienced_years, minimum=0.0)
    a = assumptions if assumptions is not None else CostAssumptions()
    ep = expected_productivity(z_arr, r_xy, sd_p)
    with np.errstate(invalid="ignore"):
        experienced = years >= experienced_years
    option = np.where(experienced, OPTIONS[0], OPTIONS[1]).astype(object)
    npv = np.full(z_arr.shape, np.nan)
    for name in OPTIONS:
        rows = (option == name) & ~np.isnan(z_arr)
        if rows.any():
            o = a.option(name)
            npv[rows] = npv_batch(o, a, productivity=np.maximum(0.0, o.productivity * ep[rows]))
    return GroupUtility(option=option, expected_productivity=np.asarray(ep), npv=npv)
