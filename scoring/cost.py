"""Experienced hire vs grow in-house: the cost model of SPEC §4, vectorised over months.

Model (monthly steps t = 1..H)::

    f(t)           = 0 while t <= training_months, then min(1, (t - training_months) / ramp_months)
    revenue(t)     = target_monthly_revenue * productivity * f(t)
    margin(t)      = revenue(t) * gross_margin_pct
    effective_rate = sum(share_b * rate_b) over deal-size bands b
    commission(t)  = effective_rate * (revenue(t) if commission_base == "revenue" else margin(t))
    fixed(t)       = base_salary_monthly * (1 + overhead_pct)
                     + training_cost_total / max(1, training_months)
                       while t <= max(1, training_months)
    survival(t)    = (1 - monthly_attrition) ** (t - 1)
    net(t)         = survival(t) * (margin(t) - commission(t) - fixed(t))
                     - (hiring_cost if t == 1 else 0)
    NPV            = sum(net(t) / (1 + discount_rate_annual) ** (t / 12))
    break_even     = first t with sum(net(1..t)) >= 0, else None
    total_cost     = hiring_cost + sum(survival * (commission + fixed))
    total_margin   = sum(survival * margin)
    net_contribution = sum(net) ;  peak_funding = -min(0, min_t cumulative(t))

The ``monthly`` rows report *expected* amounts – revenue, margin, commission and fixed cost
multiplied by survival(t), the hiring cost included in month 1's fixed cost – so every row
adds up (``net = margin − commission − fixed``) and the columns sum to the totals.

Recommendation: if ``hiring_budget`` is set and the experienced option's peak funding (the
cash needed before it breaks even) exceeds it, ``grow_in_house`` – companies without the
funds for an experienced hire should grow their own. Otherwise the option with the higher
NPV (a tie goes to ``grow_in_house``, the smaller commitment).

Monte Carlo: N draws of four multipliers, each *symmetric triangular* on
``[1 − s, 1 + s]`` with its mode at 1 (the point estimate is the most likely value):
ramp_months (s = 0.30), productivity (0.15), monthly_attrition (0.30) – drawn independently
for each option, since two different people ramp and stay independently – and
target_monthly_revenue (0.20), drawn once per draw and shared by both options (it is the
same market). Draws use ``numpy.random.default_rng(seed)``: the same seed gives the same
result, and zero spreads reproduce the deterministic NPV. The (N × H) computation runs in
chunks, using NPV = R·p·k·Σ d·s·f − Σ d·s·fixed − hiring·d(1) with k = margin − commission
per unit of revenue, d(t) the discount factor and s(t) survival.

The assumptions, their validation and their documented defaults live in
:mod:`scoring.cost_assumptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring.checks import check_number
from scoring.cost_assumptions import (
    DEFAULT_BANDS,
    DEFAULT_EXPERIENCED,
    DEFAULT_GROW_IN_HOUSE,
    MAX_SIMULATIONS,
    OPTIONS,
    CommissionBand,
    CostAssumptions,
    MonteCarloRanges,
    OptionAssumptions,
)
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable, jsonable_dict, unsigned_zero

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_EXPERIENCED",
    "DEFAULT_GROW_IN_HOUSE",
    "CommissionBand",
    "CostAssumptions",
    "CostComparison",
    "MonteCarloRanges",
    "MonteCarloResult",
    "OptionAssumptions",
    "OptionResult",
    "compare",
    "monte_carlo",
    "npv_batch",
    "simulate_option",
]

_CHUNK = 8192


# --------------------------------------------------------------------------- deterministic


@dataclass(frozen=True, eq=False)
class OptionResult:
    """Monthly series and totals of one option (amounts in the currency of the inputs)."""

    name: str
    month: np.ndarray
    revenue: np.ndarray
    margin: np.ndarray
    commission: np.ndarray
    fixed: np.ndarray
    survival: np.ndarray
    net: np.ndarray
    cumulative: np.ndarray
    npv: float
    break_even_month: int | None
    peak_funding: float
    total_cost: float
    total_margin: float
    net_contribution: float

    def monthly(self) -> list[dict[str, Any]]:
        """Rows ``{month, revenue, margin, commission, fixed, net, cumulative}`` (expected
        amounts: × survival, hiring cost in month 1's ``fixed``)."""
        columns = zip(
            self.month.tolist(),
            self.revenue.tolist(),
            self.margin.tolist(),
            self.commission.tolist(),
            self.fixed.tolist(),
            self.net.tolist(),
            self.cumulative.tolist(),
            strict=True,
        )
        keys = ("month", "revenue", "margin", "commission", "fixed", "net", "cumulative")
        return [dict(zip(keys, row, strict=True)) for row in columns]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (SPEC §4 response shape)."""
        return {
            "npv": self.npv,
            "break_even_month": self.break_even_month,
            "peak_funding": self.peak_funding,
            "total_cost": self.total_cost,
            "total_margin": self.total_margin,
            "net_contribution": self.net_contribution,
            "monthly": self.monthly(),
        }


def _ramp(t: np.ndarray, training: float, ramp: Any) -> np.ndarray:
    """f(t) = 0 while t ≤ training, then min(1, (t − training)/ramp); broadcasts over ramp."""
    share: np.ndarray = np.clip((t - training) / ramp, 0.0, 1.0)
    return share


def _fixed(option: OptionAssumptions, t: np.ndarray) -> np.ndarray:
    training_span = max(1, option.training_months)
    training = np.where(t <= training_span, option.training_cost_total / training_span, 0.0)
    return option.base_salary_monthly * (1.0 + option.overhead_pct) + training


def _margin_less_commission(a: CostAssumptions) -> float:
    """k: margin − commission per unit of revenue."""
    base = 1.0 if a.commission_base == "revenue" else a.gross_margin_pct
    return a.gross_margin_pct - a.effective_rate * base


def simulate_option(
    option: OptionAssumptions, assumptions: CostAssumptions, name: str = "option"
) -> OptionResult:
    """The monthly series, NPV, break-even and totals of one option (SPEC §4).

    Examples
    --------
    Two months, no ramp-up: revenue 1000, margin 300, commission 10 % of revenue = 100,
    fixed 100·(1 + 0) = 100, no attrition, hiring 50:
    net = [300 − 100 − 100 − 50, 100] = [50, 100].

    >>> a = CostAssumptions(horizon_months=2, discount_rate_annual=0.0,
    ...     target_monthly_revenue=1000, gross_margin_pct=0.3,
    ...     commission_bands=(CommissionBand("all", 1.0, 0.10),))
    >>> o = OptionAssumptions(100, 0.0, 50, 0, 0, 1, 1.0, 0.0)
    >>> r = simulate_option(o, a)
    >>> r.net.tolist(), r.npv, r.break_even_month
    ([50.0, 100.0], 150.0, 1)
    """
    a = assumptions
    t = np.arange(1, a.horizon_months + 1, dtype=float)
    f = _ramp(t, option.training_months, option.ramp_months)
    revenue = a.target_monthly_revenue * option.productivity * f
    margin = revenue * a.gross_margin_pct
    commission = a.effective_rate * (revenue if a.commission_base == "revenue" else margin)
    fixed = _fixed(option, t)
    survival = (1.0 - option.monthly_attrition) ** (t - 1.0)
    hiring = np.where(t == 1.0, option.hiring_cost, 0.0)
    net = survival * (margin - commission - fixed) - hiring
    discount = (1.0 + a.discount_rate_annual) ** (t / 12.0)
    cumulative = np.cumsum(net)
    reached = np.flatnonzero(cumulative >= 0)
    return OptionResult(
        name=name,
        month=t.astype(np.int64),
        revenue=survival * revenue,
        margin=survival * margin,
        commission=survival * commission,
        fixed=survival * fixed + hiring,
        survival=survival,
        net=net,
        cumulative=cumulative,
        npv=float(np.sum(net / discount)),
        break_even_month=int(reached[0]) + 1 if reached.size else None,
        peak_funding=float(-min(0.0, cumulative.min())),
        total_cost=float(option.hiring_cost + np.sum(survival * (commission + fixed))),
        total_margin=float(np.sum(survival * margin)),
        net_contribution=float(np.sum(net)),
    )


def npv_batch(
    option: OptionAssumptions,
    assumptions: CostAssumptions,
    *,
    ramp_months: Any = None,
    productivity: Any = None,
    monthly_attrition: Any = None,
    target_monthly_revenue: Any = None,
) -> np.ndarray:
    """NPVs of one option for N parameter vectors at once (the Monte Carlo / utility kernel).

    Each keyword is an array of length N (or ``None`` for the option's own value). Computes
    ``R·p·k·Σ_t d(t)·s(t)·f(t) − Σ_t d(t)·s(t)·fixed(t) − hiring·d(1)`` in chunks of rows.
    """
    a = assumptions
    given = [
        np.asarray(v, dtype=float)
        for v in (ramp_months, productivity, monthly_attrition, target_monthly_revenue)
        if v is not None
    ]
    n = max((v.size for v in given), default=1)

    def column(value: Any, default: float, name: str) -> np.ndarray:
        if value is None:
            return np.full(n, float(default))
        arr = np.asarray(value, dtype=float).reshape(-1)
        if arr.size != n:
            raise ScoringInputError(name, f"has {arr.size} values, expected {n}")
        if not np.isfinite(arr).all():
            raise ScoringInputError(name, "must be finite")
        return arr

    ramp = np.maximum(column(ramp_months, option.ramp_months, "ramp_months"), 1.0)
    prod = np.maximum(column(productivity, option.productivity, "productivity"), 0.0)
    attr = np.clip(column(monthly_attrition, option.monthly_attrition, "monthly_attrition"), 0, 1)
    rev = np.maximum(
        column(target_monthly_revenue, a.target_monthly_revenue, "target_monthly_revenue"), 0.0
    )
    t = np.arange(1, a.horizon_months + 1, dtype=float)
    discount = (1.0 + a.discount_rate_annual) ** (-t / 12.0)
    fixed = _fixed(option, t)
    k = _margin_less_commission(a)
    out = np.empty(n)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        ds = np.power((1.0 - attr[start:stop])[:, None], t - 1.0) * discount
        f = _ramp(t, option.training_months, ramp[start:stop, None])
        earned = (ds * f).sum(axis=1)
        paid = (ds * fixed).sum(axis=1)
        out[start:stop] = rev[start:stop] * prod[start:stop] * k * earned - paid
    npv: np.ndarray = out - option.hiring_cost * discount[0]
    return npv


# --------------------------------------------------------------------------- Monte Carlo


def _triangular(rng: np.random.Generator, spread: float, n: int) -> np.ndarray:
    """Multipliers from a symmetric triangular distribution on [1 − s, 1 + s], mode 1.

    Inverse CDF: u < ½ → −1 + √(2u); else 1 − √(2(1 − u)); scaled by s (exactly 1 when s = 0).
    """
    u = rng.random(n)
    x = np.where(u < 0.5, np.sqrt(2.0 * u) - 1.0, 1.0 - np.sqrt(2.0 * (1.0 - u)))
    return 1.0 + spread * x


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Distribution of the two NPVs over N draws."""

    simulations: int
    seed: int
    npv_experienced: np.ndarray = field(repr=False)
    npv_grow_in_house: np.ndarray = field(repr=False)
    ranges: MonteCarloRanges
    assumptions: CostAssumptions = field(repr=False)

    @property
    def p_experienced_better(self) -> float:
        """Share of draws in which the experienced hire has the higher NPV."""
        return float(np.mean(self.npv_experienced > self.npv_grow_in_house))

    @staticmethod
    def _summary(values: np.ndarray) -> dict[str, float]:
        p10, p50, p90 = np.percentile(values, [10, 50, 90])
        return {
            "p10": float(p10),
            "p50": float(p50),
            "p90": float(p90),
            "mean": float(values.mean()),
        }

    def _absolute_ranges(self) -> dict[str, Any]:
        r, a = self.ranges, self.assumptions
        out: dict[str, Any] = {
            "distribution": "triangular (mode = point estimate)",
            "relative": r.to_dict(),
            "target_monthly_revenue": [
                a.target_monthly_revenue * (1 - r.target_monthly_revenue),
                a.target_monthly_revenue * (1 + r.target_monthly_revenue),
            ],
        }
        for name in OPTIONS:
            o = a.option(name)
            out[name] = {
                "ramp_months": [
                    max(1.0, o.ramp_months * (1 - r.ramp_months)),
                    o.ramp_months * (1 + r.ramp_months),
                ],
                "productivity": [
                    o.productivity * (1 - r.productivity),
                    o.productivity * (1 + r.productivity),
                ],
                "monthly_attrition": [
                    o.monthly_attrition * (1 - r.monthly_attrition),
                    min(1.0, o.monthly_attrition * (1 + r.monthly_attrition)),
                ],
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (SPEC §4 ``monte_carlo``)."""
        return jsonable_dict(
            {
                "simulations": self.simulations,
                "seed": self.seed,
                "p_experienced_better": self.p_experienced_better,
                "experienced": self._summary(self.npv_experienced),
                "grow_in_house": self._summary(self.npv_grow_in_house),
                "ranges": self._absolute_ranges(),
            }
        )


def monte_carlo(assumptions: CostAssumptions, simulations: int | None = None) -> MonteCarloResult:
    """Seeded Monte Carlo of both options' NPV (see the module docstring).

    Draw order (fixed, so a seed reproduces a run): revenue multiplier; then, for
    experienced and for grow in-house, ramp, productivity and attrition multipliers.
    """
    a = assumptions
    n = (
        a.simulations
        if simulations is None
        else int(
            check_number(
                "simulations", simulations, minimum=1, maximum=MAX_SIMULATIONS, integer=True
            )
        )
    )
    if n < 1:
        raise ScoringInputError("simulations", "must be ≥ 1 for a Monte Carlo run")
    r = a.monte_carlo_ranges
    rng = np.random.default_rng(a.seed)
    revenue = a.target_monthly_revenue * _triangular(rng, r.target_monthly_revenue, n)
    npvs = {}
    for name in OPTIONS:
        o = a.option(name)
        npvs[name] = npv_batch(
            o,
            a,
            ramp_months=o.ramp_months * _triangular(rng, r.ramp_months, n),
            productivity=o.productivity * _triangular(rng, r.productivity, n),
            monthly_attrition=o.monthly_attrition * _triangular(rng, r.monthly_attrition, n),
            target_monthly_revenue=revenue,
        )
    return MonteCarloResult(
        simulations=n,
        seed=a.seed,
        npv_experienced=npvs["experienced"],
        npv_grow_in_house=npvs["grow_in_house"],
        ranges=r,
        assumptions=a,
    )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Reason:
    """One reason for the recommendation: a code and the numbers it states, so a page can
    word it in its reader's language (:func:`reason_text` words it in English).

    Codes: ``budget_rule`` (peak_funding, hiring_budget), ``higher_npv`` (better, horizon,
    better_npv, worse_npv, difference), ``same_npv`` (horizon), ``break_even``
    (experienced_month, experienced_peak, grow_month, grow_peak; a month is None when the
    option does not break even), ``no_payback``, ``simulations`` (simulations, share,
    sensitive).
    """

    code: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"code": self.code, "values": jsonable(dict(self.values))}


def _break_even_words(month: int | None) -> str:
    if month is None:
        return "does not break even within the horizon"
    return f"breaks even in month {month}"


def reason_text(reason: Reason) -> str:
    """A reason in English (the API's ``reasons``)."""
    v = reason.values
    label = {"experienced": "The experienced hire", "grow_in_house": "Growing in-house"}
    if reason.code == "budget_rule":
        return (
            f"Budget rule: the experienced hire needs up to {_money(v['peak_funding'])} of cash"
            f" before it breaks even, more than the hiring budget of"
            f" {_money(v['hiring_budget'])}; growing a KAM in-house is recommended for that"
            " reason."
        )
    if reason.code == "same_npv":
        return (
            f"Both options have the same NPV over {v['horizon']} months; growing in-house"
            " is the smaller commitment."
        )
    if reason.code == "higher_npv":
        return (
            f"{label[v['better']]} has the higher NPV over {v['horizon']} months:"
            f" {_money(v['better_npv'])} against {_money(v['worse_npv'])}"
            f" (difference {_money(v['difference'])})."
        )
    if reason.code == "break_even":
        return (
            f"The experienced hire {_break_even_words(v['experienced_month'])} and needs peak"
            f" funding of {_money(v['experienced_peak'])}; growing in-house"
            f" {_break_even_words(v['grow_month'])} with peak funding of"
            f" {_money(v['grow_peak'])}."
        )
    if reason.code == "no_payback":
        return (
            "Neither option pays back within the horizon at these assumptions; check the"
            " revenue target and the horizon."
        )
    if reason.code == "simulations":
        text = (
            f"In {v['simulations']:,} simulations the experienced hire had the higher NPV in"
            f" {100 * v['share']:.0f} % of the draws"
        )
        return text + (", so the choice is sensitive to the assumptions." if v["sensitive"]
                       else ".")
    raise ScoringInputError("reason", f"unknown code {reason.code!r}")


@dataclass(frozen=True, eq=False)
class CostComparison:
    """Result of :func:`compare`."""

    assumptions: CostAssumptions
    experienced: OptionResult
    grow_in_house: OptionResult
    npv_difference: float
    recommendation: str
    reason_codes: tuple[Reason, ...]
    monte_carlo: MonteCarloResult | None

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in English."""
        return tuple(reason_text(r) for r in self.reason_codes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (SPEC §4 response)."""
        return {
            "experienced": self.experienced.to_dict(),
            "grow_in_house": self.grow_in_house.to_dict(),
            "npv_difference": self.npv_difference,
            "recommendation": self.recommendation,
            "reasons": list(self.reasons),
            "reason_codes": [r.to_dict() for r in self.reason_codes],
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.to_dict(),
            "assumptions": self.assumptions.to_dict(),
        }


def _money(x: float) -> str:
    return f"€{unsigned_zero(x):,.0f}"


def _recommend(
    a: CostAssumptions,
    exp: OptionResult,
    grow: OptionResult,
    mc: MonteCarloResult | None,
) -> tuple[str, list[Reason]]:
    difference = exp.npv - grow.npv
    reasons = []
    over_budget = a.hiring_budget is not None and exp.peak_funding > a.hiring_budget
    if over_budget:
        recommendation = "grow_in_house"
        reasons.append(Reason("budget_rule", {"peak_funding": exp.peak_funding,
                                              "hiring_budget": a.hiring_budget}))
    else:
        recommendation = "experienced" if difference > 0 else "grow_in_house"
    better, worse = (exp, grow) if difference > 0 else (grow, exp)
    if difference == 0:
        reasons.append(Reason("same_npv", {"horizon": a.horizon_months}))
    else:
        reasons.append(Reason("higher_npv", {
            "better": better.name, "horizon": a.horizon_months, "better_npv": better.npv,
            "worse_npv": worse.npv, "difference": abs(difference)}))
    reasons.append(Reason("break_even", {
        "experienced_month": exp.break_even_month, "experienced_peak": exp.peak_funding,
        "grow_month": grow.break_even_month, "grow_peak": grow.peak_funding}))
    if exp.npv < 0 and grow.npv < 0:
        reasons.append(Reason("no_payback"))
    if mc is not None:
        p = mc.p_experienced_better
        reasons.append(Reason("simulations", {"simulations": mc.simulations, "share": p,
                                              "sensitive": 0.35 <= p <= 0.65}))
    return recommendation, reasons


def compare(assumptions: CostAssumptions | Mapping[str, Any] | None = None) -> CostComparison:
    """Compare an experienced hire with growing a KAM in-house (SPEC §4).

    Parameters
    ----------
    assumptions : CostAssumptions or mapping, optional
        A mapping is merged over the defaults with :meth:`CostAssumptions.from_dict`.

    Returns
    -------
    CostComparison
        Both options' series and totals, ``npv_difference`` (experienced − grow in-house),
        ``recommendation``, ``reasons`` and ``monte_carlo`` (``None`` when
        ``simulations == 0``).
    """
    if not isinstance(assumptions, CostAssumptions):
        assumptions = CostAssumptions.from_dict(assumptions)
    a = assumptions
    exp = simulate_option(a.experienced, a, "experienced")
    grow = simulate_option(a.grow_in_house, a, "grow_in_house")
    mc = monte_carlo(a) if a.simulations > 0 else None
    recommendation, reasons = _recommend(a, exp, grow, mc)
    return CostComparison(
        assumptions=a,
        experienced=exp,
        grow_in_house=grow,
        npv_difference=exp.npv - grow.npv,
        recommendation=recommendation,
        reason_codes=tuple(reasons),
        monte_carlo=mc,
    )
