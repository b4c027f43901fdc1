"""Inputs of the cost comparison (SPEC §4): dataclasses, validation and documented defaults.

Every field can be set per position and overridden per request
(:meth:`CostAssumptions.from_dict` merges a request body over a base). Validation follows
SPEC §4: band shares sum to 1 (within 1e-9), rates and percentages lie in [0, 1], months are
whole and ≥ 0, ``ramp_months`` ≥ 1, the horizon is 1–600 months, ``simulations``
0–200,000, every amount of money (salary, costs, revenue, budget) 0–1,000,000,000 € and
productivity 0–10 (1,000 %); anything else raises :class:`~scoring.errors.ScoringInputError`
naming the field path (``"experienced.ramp_months"``, ``"commission_bands[1].share"``). The
bounds keep every result a finite number that pages can show: 10⁹ € a month for 600 months
at ten times the target is still far inside a float's exact range.

Defaults (Italy, 2025; documented for the hiring manager, overridable per position/request)
-------------------------------------------------------------------------------------------
``experienced``: base 5,000 €/month (≈ 60 k€ RAL/12, with 13th/14th-month pay spread over the
year); overhead 0.35 (employer social-security contributions, INPS ≈ 28–30 % of gross pay,
plus the TFR severance accrual of 6.91 %: ≈ 0.35–0.37 of base); hiring cost = the agency fee,
20 % of the first-year base (12,000 € at the default base), and it **follows the base salary**
unless set: a position or a request that changes the experienced base without setting the
hiring cost gets 20 % of the new first-year base, and ``"hiring_cost": null`` asks for that
rule explicitly; no training; ramp 6 months; productivity 1.0; monthly
attrition 0.0353 (35 % a year: ``1 − 0.65 ** (1/12)``; external hires leave sooner than the
≈ 30 % a year of sales staff in general).
``grow_in_house``: base 2,600 €/month (≈ 31 k€ RAL); overhead 0.35; hiring cost 2,000 € (job
ads and interview time); training 6,000 € over 3 months (courses plus a senior colleague's
time), then a 12-month ramp; productivity 0.85; monthly attrition 0.0293 (30 % a year:
``1 − 0.7 ** (1/12)``).
Position: horizon 36 months, discount rate 10 % a year, target revenue 150,000 €/month,
gross margin 30 %, commission on revenue, bands medium (share 0.4, rate 15 %) and large
(share 0.6, rate 5 %) → effective rate 9 %.

Monte Carlo ranges (relative half-widths of symmetric triangular multipliers, see
:mod:`scoring.cost`): ramp ±30 %, productivity ±15 %, attrition ±30 %, revenue ±20 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

import numpy as np

from scoring.checks import check_number
from scoring.errors import ScoringInputError

OptionName = Literal["experienced", "grow_in_house"]
OPTIONS: tuple[str, str] = ("experienced", "grow_in_house")
SHARE_TOLERANCE = 1e-9
MAX_HORIZON = 600
MAX_SIMULATIONS = 200_000
#: The largest amount of money any field takes, in euros (a month's revenue or salary, a
#: one-off cost, the hiring budget).
MAX_MONEY = 1_000_000_000.0


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


@dataclass(frozen=True)
class CommissionBand:
    """A deal-size band: the share of revenue in it and the commission rate paid on it."""

    name: str
    share: float
    rate: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"name": self.name, "share": self.share, "rate": self.rate}


DEFAULT_BANDS: tuple[CommissionBand, ...] = (
    CommissionBand("medium", 0.4, 0.15),
    CommissionBand("large", 0.6, 0.05),
)

_OPTION_FIELDS = {
    # name: (minimum, maximum, whole)
    "base_salary_monthly": (0.0, MAX_MONEY, False),
    "overhead_pct": (0.0, 1.0, False),
    "hiring_cost": (0.0, MAX_MONEY, False),
    "training_cost_total": (0.0, MAX_MONEY, False),
    "training_months": (0.0, float(MAX_HORIZON), True),
    "ramp_months": (1.0, float(MAX_HORIZON), True),
    "productivity": (0.0, 10.0, False),
    "monthly_attrition": (0.0, 1.0, False),
}


@dataclass(frozen=True)
class OptionAssumptions:
    """Assumptions of one hiring option (see the module docstring for the defaults)."""

    base_salary_monthly: float
    overhead_pct: float
    hiring_cost: float
    training_cost_total: float
    training_months: int
    ramp_months: int
    productivity: float
    monthly_attrition: float

    def __post_init__(self) -> None:
        self._validate("")

    def _validate(self, prefix: str) -> None:
        for name, (low, high, whole) in _OPTION_FIELDS.items():
            value = check_number(
                _path(prefix, name), getattr(self, name), minimum=low, maximum=high, integer=whole
            )
            object.__setattr__(self, name, int(value) if whole else value)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        base: OptionAssumptions | None = None,
        path: str = "",
        fee_share: float | None = None,
    ) -> OptionAssumptions:
        """Build from a mapping, missing fields from ``base``; errors name ``path.field``.

        With ``fee_share`` (the experienced hire's agency fee), a hiring cost that is not
        given follows the base salary (``fee_share × 12 × base_salary_monthly``) as long as
        ``base``'s did; ``"hiring_cost": None`` applies that rule explicitly.
        """
        if not isinstance(data, Mapping):
            raise ScoringInputError(path or "option", "must be an object")
        values = asdict(base) if base is not None else {}
        follows = fee_share is not None and (
            base is None or math.isclose(base.hiring_cost, agency_fee(base, fee_share))
        )
        for name, value in data.items():
            if name not in _OPTION_FIELDS:
                raise ScoringInputError(_path(path, str(name)), "unknown field")
            values[name] = value
        if fee_share is not None and (
            ("hiring_cost" in data and data["hiring_cost"] is None)
            or ("hiring_cost" not in data and follows)
        ):
            salary = values.get("base_salary_monthly")
            salary = check_number(_path(path, "base_salary_monthly"), salary, minimum=0.0)
            values["hiring_cost"] = fee_share * 12.0 * salary
        for name, (low, high, whole) in _OPTION_FIELDS.items():
            if name not in values:
                raise ScoringInputError(_path(path, name), "is required")
            check_number(_path(path, name), values[name], minimum=low, maximum=high, integer=whole)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


#: The experienced hire's default hiring cost: an agency fee of 20 % of the first-year base.
EXPERIENCED_FEE_SHARE = 0.20


def agency_fee(option: OptionAssumptions, share: float = EXPERIENCED_FEE_SHARE) -> float:
    """``share × 12 × base_salary_monthly``: the agency fee on the first-year base."""
    return share * 12.0 * option.base_salary_monthly


#: 35 % a year → monthly rate 1 − 0.65^(1/12).
EXPERIENCED_ATTRITION = 1.0 - 0.65 ** (1.0 / 12.0)
#: 30 % a year → monthly rate 1 − 0.70^(1/12).
IN_HOUSE_ATTRITION = 1.0 - 0.70 ** (1.0 / 12.0)

DEFAULT_EXPERIENCED = OptionAssumptions(
    base_salary_monthly=5000.0,
    overhead_pct=0.35,
    hiring_cost=12_000.0,  # agency fee: 20 % of the first-year base, 0.20 × 12 × 5,000
    training_cost_total=0.0,
    training_months=0,
    ramp_months=6,
    productivity=1.0,
    monthly_attrition=EXPERIENCED_ATTRITION,
)
DEFAULT_GROW_IN_HOUSE = OptionAssumptions(
    base_salary_monthly=2600.0,
    overhead_pct=0.35,
    hiring_cost=2000.0,
    training_cost_total=6000.0,
    training_months=3,
    ramp_months=12,
    productivity=0.85,
    monthly_attrition=IN_HOUSE_ATTRITION,
)


@dataclass(frozen=True)
class MonteCarloRanges:
    """Relative half-widths s of the triangular multipliers on [1 − s, 1 + s]."""

    ramp_months: float = 0.30
    productivity: float = 0.15
    monthly_attrition: float = 0.30
    target_monthly_revenue: float = 0.20

    def __post_init__(self) -> None:
        for f in fields(self):
            value = check_number(
                f"monte_carlo_ranges.{f.name}", getattr(self, f.name), minimum=0.0, maximum=1.0
            )
            object.__setattr__(self, f.name, value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


_POSITION_FIELDS = {
    "horizon_months": (1.0, float(MAX_HORIZON), True),
    "discount_rate_annual": (0.0, 1.0, False),
    "target_monthly_revenue": (0.0, MAX_MONEY, False),
    "gross_margin_pct": (0.0, 1.0, False),
    "simulations": (0.0, float(MAX_SIMULATIONS), True),
    "seed": (0.0, float(2**63 - 1), True),
}


@dataclass(frozen=True)
class CostAssumptions:
    """All inputs of the cost comparison (SPEC §4), validated on construction."""

    horizon_months: int = 36
    discount_rate_annual: float = 0.10
    target_monthly_revenue: float = 150_000.0
    gross_margin_pct: float = 0.30
    commission_base: Literal["revenue", "margin"] = "revenue"
    commission_bands: tuple[CommissionBand, ...] = DEFAULT_BANDS
    hiring_budget: float | None = None
    experienced: OptionAssumptions = DEFAULT_EXPERIENCED
    grow_in_house: OptionAssumptions = DEFAULT_GROW_IN_HOUSE
    simulations: int = 0
    seed: int = 1
    monte_carlo_ranges: MonteCarloRanges = field(default_factory=MonteCarloRanges)

    def __post_init__(self) -> None:
        for name, (low, high, whole) in _POSITION_FIELDS.items():
            raw = getattr(self, name)
            value = check_number(name, raw, minimum=low, maximum=high, integer=whole)
            if whole:  # keep an int as given (a large seed must not pass through float)
                value = int(raw) if isinstance(raw, (int, np.integer)) else int(value)
            object.__setattr__(self, name, value)
        if self.commission_base not in ("revenue", "margin"):
            raise ScoringInputError(
                "commission_base", f"must be 'revenue' or 'margin', got {self.commission_base!r}"
            )
        object.__setattr__(self, "commission_bands", _check_bands(self.commission_bands))
        if self.hiring_budget is not None:
            object.__setattr__(
                self,
                "hiring_budget",
                check_number("hiring_budget", self.hiring_budget, minimum=0, maximum=MAX_MONEY),
            )
        for name in OPTIONS:
            option = getattr(self, name)
            if not isinstance(option, OptionAssumptions):
                raise ScoringInputError(name, "must be OptionAssumptions")
            option._validate(name)
        if not isinstance(self.monte_carlo_ranges, MonteCarloRanges):
            raise ScoringInputError("monte_carlo_ranges", "must be MonteCarloRanges")

    @property
    def effective_rate(self) -> float:
        """Σ share_b · rate_b over the commission bands."""
        return float(sum(b.share * b.rate for b in self.commission_bands))

    def option(self, name: str) -> OptionAssumptions:
        """The assumptions of option ``name``."""
        if name not in OPTIONS:
            raise ScoringInputError("option", f"must be one of {', '.join(OPTIONS)}")
        option: OptionAssumptions = getattr(self, name)
        return option

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, base: CostAssumptions | None = None
    ) -> CostAssumptions:
        """Merge ``data`` (the API request body) over ``base`` (default: the defaults).

        Option objects and Monte Carlo ranges merge field by field; ``commission_bands``
        replaces the list. Unknown fields and bad values raise
        :class:`~scoring.errors.ScoringInputError` naming the field path
        (``"experienced.ramp_months"``, ``"commission_bands[1].share"``).
        """
        base = base if base is not None else cls()
        if data is None:
            return base
        if not isinstance(data, Mapping):
            raise ScoringInputError("cost_assumptions", "must be an object")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                raise ScoringInputError(str(name), "unknown field")
            if name in OPTIONS:
                values[name] = OptionAssumptions.from_dict(
                    value, base=getattr(base, name), path=name,
                    fee_share=EXPERIENCED_FEE_SHARE if name == "experienced" else None,
                )
            elif name == "commission_bands":
                values[name] = _bands_from_list(value)
            elif name == "monte_carlo_ranges":
                if not isinstance(value, Mapping):
                    raise ScoringInputError(name, "must be an object")
                unknown = set(value) - {f.name for f in fields(MonteCarloRanges)}
                if unknown:
                    raise ScoringInputError(f"{name}.{sorted(unknown)[0]}", "unknown field")
                values[name] = replace(base.monte_carlo_ranges, **value)
            else:
                values[name] = value
        return replace(base, **values)

    def merged(self, overrides: Mapping[str, Any] | None) -> CostAssumptions:
        """These assumptions with ``overrides`` applied (see :meth:`from_dict`)."""
        return CostAssumptions.from_dict(overrides, base=self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the request-body shape)."""
        return {
            "horizon_months": self.horizon_months,
            "discount_rate_annual": self.discount_rate_annual,
            "target_monthly_revenue": self.target_monthly_revenue,
            "gross_margin_pct": self.gross_margin_pct,
            "commission_base": self.commission_base,
            "commission_bands": [b.to_dict() for b in self.commission_bands],
            "hiring_budget": self.hiring_budget,
            "experienced": self.experienced.to_dict(),
            "grow_in_house": self.grow_in_house.to_dict(),
            "simulations": self.simulations,
            "seed": self.seed,
            "monte_carlo_ranges": self.monte_carlo_ranges.to_dict(),
        }


def problems(
    data: Mapping[str, Any], *, base: CostAssumptions | None = None
) -> list[ScoringInputError]:
    """Every problem of a request body at once, in one pass (``from_dict`` stops at the
    first): each field is checked on its own, against the same bounds and with the same
    messages; the checks across fields (the commission shares' sum, the hiring cost that
    follows the salary) run once the fields themselves are right.

    >>> [str(p) for p in problems({"horizon_months": 0, "experienced": {"ramp_months": 0}})]
    ['horizon_months: must be ≥ 1, got 0', 'experienced.ramp_months: must be ≥ 1, got 0']
    """
    found: list[ScoringInputError] = []

    def attempt(check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except ScoringInputError as exc:
            found.append(exc)
            return None

    if not isinstance(data, Mapping):
        return [ScoringInputError("cost_assumptions", "must be an object")]
    known = {f.name for f in fields(CostAssumptions)}
    for name, value in data.items():
        if name not in known:
            found.append(ScoringInputError(str(name), "unknown field"))
        elif name in _POSITION_FIELDS:
            low, high, whole = _POSITION_FIELDS[name]
            attempt(check_number, name, value, minimum=low, maximum=high, integer=whole)
        elif name == "hiring_budget" and value is not None:
            attempt(check_number, name, value, minimum=0, maximum=MAX_MONEY)
        elif name == "commission_base" and value not in ("revenue", "margin"):
            found.append(ScoringInputError(name, f"must be 'revenue' or 'margin', got {value!r}"))
        elif name in OPTIONS:
            found.extend(_option_problems(name, value))
        elif name == "commission_bands":
            found.extend(_band_problems(value))
    if not found:
        attempt(CostAssumptions.from_dict, data, base=base)
    return found


def _option_problems(name: str, value: Any) -> list[ScoringInputError]:
    if not isinstance(value, Mapping):
        return [ScoringInputError(name, "must be an object")]
    found = []
    for field_name, field_value in value.items():
        if field_name not in _OPTION_FIELDS:
            found.append(ScoringInputError(_path(name, str(field_name)), "unknown field"))
            continue
        if field_value is None and field_name == "hiring_cost" and name == "experienced":
            continue  # the agency-fee rule: checked with the salary, across fields
        low, high, whole = _OPTION_FIELDS[field_name]
        try:
            check_number(
                _path(name, field_name), field_value, minimum=low, maximum=high, integer=whole
            )
        except ScoringInputError as exc:
            found.append(exc)
    return found


def _band_problems(value: Any) -> list[ScoringInputError]:
    if not isinstance(value, (list, tuple)):
        return [ScoringInputError("commission_bands", "must be a list of {name, share, rate}")]
    if not value:
        return [ScoringInputError("commission_bands", "needs at least one band")]
    found = []
    names = set()
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            found.append(ScoringInputError(f"commission_bands[{i}]", "must be {name, share, rate}"))
            continue
        unknown = set(entry) - {"name", "share", "rate"}
        if unknown:
            found.append(ScoringInputError(
                f"commission_bands[{i}].{sorted(unknown)[0]}", "unknown field"
            ))
        for part in ("name", "share", "rate"):
            if part not in entry:
                found.append(ScoringInputError(f"commission_bands[{i}].{part}", "is required"))
        band_name = entry.get("name")
        if "name" in entry:
            if not isinstance(band_name, str) or not band_name:
                found.append(ScoringInputError(
                    f"commission_bands[{i}].name", "must be a non-empty string"
                ))
            elif band_name in names:
                found.append(ScoringInputError(
                    f"commission_bands[{i}].name", f"duplicate {band_name!r}"
                ))
            else:
                names.add(band_name)
        for part in ("share", "rate"):
            if part in entry:
                try:
                    check_number(f"commission_bands[{i}].{part}", entry[part], minimum=0, maximum=1)
                except ScoringInputError as exc:
                    found.append(exc)
    return found


def _bands_from_list(value: Any) -> tuple[CommissionBand, ...]:
    if not isinstance(value, (list, tuple)):
        raise ScoringInputError("commission_bands", "must be a list of {name, share, rate}")
    bands = []
    for i, entry in enumerate(value):
        if isinstance(entry, CommissionBand):
            bands.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise ScoringInputError(f"commission_bands[{i}]", "must be {name, share, rate}")
        unknown = set(entry) - {"name", "share", "rate"}
        if unknown:
            raise ScoringInputError(f"commission_bands[{i}].{sorted(unknown)[0]}", "unknown field")
        for name in ("name", "share", "rate"):
            if name not in entry:
                raise ScoringInputError(f"commission_bands[{i}].{name}", "is required")
        bands.append(CommissionBand(entry["name"], entry["share"], entry["rate"]))
    return tuple(bands)


def _check_bands(bands: Any) -> tuple[CommissionBand, ...]:
    bands = _bands_from_list(bands)
    if not bands:
        raise ScoringInputError("commission_bands", "needs at least one band")
    names = set()
    checked = []
    for i, band in enumerate(bands):
        if not isinstance(band.name, str) or not band.name:
            raise ScoringInputError(f"commission_bands[{i}].name", "must be a non-empty string")
        if band.name in names:
            raise ScoringInputError(f"commission_bands[{i}].name", f"duplicate {band.name!r}")
        names.add(band.name)
        share = check_number(f"commission_bands[{i}].share", band.share, minimum=0, maximum=1)
        rate = check_number(f"commission_bands[{i}].rate", band.rate, minimum=0, maximum=1)
        checked.append(CommissionBand(band.name, share, rate))
    total = math.fsum(b.share for b in checked)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ScoringInputError(
            "commission_bands", f"shares sum to {total!r}, must sum to 1 within 1e-9"
        )
    return tuple(checked)
