"""Hire vs grow for a position (SPEC §4): every input as a form, the comparison as a page.

The page computes with :func:`app.costs.service.compare`, the function behind
``POST /api/v1/cost-comparison``, so the numbers it shows are the API's for the same inputs.
Percentages are typed as percents (30 for 0.30) and converted with :class:`~decimal.Decimal`,
so "30" arrives as exactly the float the JSON literal ``0.3`` would be.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from app import charts
from app.audit import service as audit
from app.auth.dependencies import FormFirst, PageUser, PostedForm, client_ip
from app.auth.models import User
from app.auth.permissions import Action, can
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, Forbidden
from app.core.i18n import gettext_for
from app.core.numbers import Numbers, parse_decimal_entry, show_decimal
from app.core.templating import render
from app.costs import service as cost_service
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.schemas import PositionUpdate
from app.scores import service as score_service
from scoring.cost import CostAssumptions
from scoring.cost_assumptions import OPTIONS
from scoring.cost_assumptions import problems as cost_problems
from scoring.errors import ScoringInputError

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

MAX_BANDS = 12
_BAND_PATH = re.compile(r"^commission_bands\[(\d+)\]\.(name|share|rate)$")


def N_(message: str) -> str:
    """Mark a string for translation; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Input:
    """One number of the form: its field path (the API's), label and kind."""

    name: str
    label: str
    kind: str  # "money" | "percent" | "whole"


POSITION_INPUTS = (
    Input("horizon_months", N_("Horizon, months"), "whole"),
    Input("discount_rate_annual", N_("Discount rate, % a year"), "percent"),
    Input(
        "target_monthly_revenue", N_("Target revenue per KAM, € a month"), "money"
    ),
    Input("gross_margin_pct", N_("Gross margin, %"), "percent"),
)
OPTION_INPUTS = (
    Input("base_salary_monthly", N_("Base salary, € a month"), "money"),
    Input("overhead_pct", N_("Overhead (contributions, severance), % of base salary"), "percent"),
    Input("hiring_cost", N_("Hiring cost (agency fee, ads), €"), "money"),
    Input("training_cost_total", N_("Training cost, € in total"), "money"),
    Input("training_months", N_("Training, months without revenue"), "whole"),
    Input("ramp_months", N_("Ramp-up after training, months"), "whole"),
    Input("productivity", N_("Productivity at full speed, % of the target revenue"), "percent"),
    Input("monthly_attrition", N_("Attrition, % a month"), "percent"),
)
RUN_INPUTS = (
    Input("simulations", N_("Monte Carlo simulations (0 = none)"), "whole"),
    Input("seed", N_("Random seed"), "whole"),
)
OPTION_TITLES = {"experienced": N_("Experienced hire"), "grow_in_house": N_("Grow in-house")}
BASE_TITLES = {"revenue": N_("revenue"), "margin": N_("margin")}
BAND_PARTS = {"name": N_("name"), "share": N_("share of revenue"), "rate": N_("commission rate")}
BAND_NAMES = (N_("medium"), N_("large"))  # the default bands' names, shown translated


def _kinds() -> dict[str, str]:
    kinds = {i.name: i.kind for i in (*POSITION_INPUTS, *RUN_INPUTS)}
    kinds |= {f"{o}.{i.name}": i.kind for o in OPTIONS for i in OPTION_INPUTS}
    return kinds | {"hiring_budget": "money"}


KINDS = _kinds()


# --- numbers as people type them -----------------------------------------------------------


def parse_number(text: str, lang: str) -> Decimal | None:
    """A typed number (app.core.numbers: Babel, either mark for decimals); ``None`` when empty,
    ``ValueError`` for text that is not a number."""
    return parse_decimal_entry(text, lang)


def model_value(number: Decimal, kind: str) -> int | float:
    """The value the model takes: percents divided by 100, whole numbers as ``int``."""
    if kind == "percent":
        return float(number / 100)
    if kind == "whole" and number == number.to_integral_value() and abs(number) < 2**64:
        return int(number)
    return float(number)


def shown_value(value: float | int | None, kind: str, lang: str) -> str:
    """A model value as the form shows it; parsing it back gives exactly the same float."""
    if value is None:
        return ""
    number = Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))
    if kind == "percent":
        number *= 100
    return show_decimal(number, lang)


def money(value: float, lang: str) -> str:
    """Whole euros in the page's language: €1,234 or 1.234 €."""
    return Numbers(lang).money(value)


def number(value: float, lang: str, decimals: int = 0) -> str:
    """A number with grouping and a fixed number of decimals."""
    return Numbers(lang).num(value, decimals)


def percent(fraction: float, lang: str, decimals: int = 0) -> str:
    """A fraction shown as a percent: 0.3 → 30 %."""
    return Numbers(lang).percent(fraction, decimals)


def _default_text(value: float | int | None, kind: str, lang: str, _: Callable[..., str]) -> str:
    if value is None:
        return _("none")
    if kind == "percent":
        shown = float(Decimal(repr(float(value))) * 100)
        decimals = 0 if shown == round(shown) else min(3, max(1, 4 - len(str(int(shown)))))
        return number(shown, lang, decimals)
    if kind == "money":
        return number(value, lang, 0 if float(value) == round(value) else 2)
    return str(value)


# --- the form ------------------------------------------------------------------------------


@dataclass
class Submitted:
    """A posted form: the request body it stands for, the text typed, and what is wrong."""

    overrides: dict[str, Any]
    values: dict[str, Any]
    errors: dict[str, str]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _yearly_turnover(
    form: FormData, option: str, lang: str, target: dict[str, Any], values: dict[str, Any],
    errors: dict[str, str], _: Callable[..., str],
) -> None:
    """Attrition typed as yearly turnover (the share who leave in a year), converted to the
    monthly rate the model takes: m = 1 − (1 − y)^(1/12). It wins over the monthly field."""
    path = f"{option}.yearly_turnover"
    text = _text(form, path)
    values[path] = text
    if not text:
        return
    try:
        yearly = parse_number(text, lang)
    except ValueError:
        yearly = None
    if yearly is None or not Decimal(0) <= yearly < Decimal(100):
        errors[path] = _("Enter the share who leave in a year, from 0 to %(max)s %%.", max=99)
        return
    target["monthly_attrition"] = 1 - (1 - float(yearly) / 100) ** (1 / 12)


#: Money a person rarely means: outside these bounds the page asks to confirm the amount
#: (a thousands point read as a decimal point is the usual cause).
PLAUSIBLE = {
    "target_monthly_revenue": (1_000, 5_000_000),
    "base_salary_monthly": (800, 30_000),
    "hiring_cost": (0, 200_000),
    "training_cost_total": (0, 300_000),
}


def implausible(submitted: Submitted, lang: str, _: Callable[..., str]) -> dict[str, str]:
    """Field → a question about an amount outside its usual range (empty when all fit)."""
    found = {}
    places = [("", submitted.overrides)] + [
        (f"{option}.", submitted.overrides.get(option) or {}) for option in OPTIONS]
    for prefix, values in places:
        for name, (low, high) in PLAUSIBLE.items():
            value = values.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not low <= value <= high:
                found[f"{prefix}{name}"] = _(
                    "%(amount)s is unusual here (usually %(low)s to %(high)s). If it is right, "
                    "tick «These amounts are right» below; in Italian a point separates "
                    "thousands (2.800 is two thousand eight hundred).",
                    amount=money(value, lang), low=money(low, lang), high=money(high, lang))
    return found


def read_form(form: FormData, lang: str, _: Callable[..., str]) -> Submitted:
    """The posted form as a SPEC §4 request body; blank and unreadable numbers are noted."""
    overrides: dict[str, Any] = {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def take(
        path: str, kind: str, target: dict[str, Any], key: str, blank_ok: bool = False
    ) -> None:
        text = _text(form, path)
        values[path] = text
        try:
            parsed = parse_number(text, lang)
        except ValueError:
            target[key] = text  # the scoring library names the field and says what it takes
            return
        if parsed is None:
            if blank_ok:
                target[key] = None
            else:
                errors[path] = _("Enter a number (the default is shown below the field).")
            return
        target[key] = model_value(parsed, kind)

    for item in (*POSITION_INPUTS, *RUN_INPUTS):
        take(item.name, item.kind, overrides, item.name)
    take("hiring_budget", "money", overrides, "hiring_budget", blank_ok=True)
    values["commission_base"] = overrides["commission_base"] = _text(form, "commission_base")
    for option in OPTIONS:
        overrides[option] = {}
        for item in OPTION_INPUTS:
            # Blank, the experienced hire's hiring cost follows the salary (None: the rule).
            follows = option == "experienced" and item.name == "hiring_cost"
            take(f"{option}.{item.name}", item.kind, overrides[option], item.name,
                 blank_ok=follows)
        _yearly_turnover(form, option, lang, overrides[option], values, errors, _)

    # Empty rows are dropped, so band i of the body is row i of the form shown again.
    bands, rows = [], []
    columns = [form.getlist(f"band_{part}") for part in ("name", "share", "rate")]
    for name, share, rate in itertools.islice(
        itertools.zip_longest(*columns, fillvalue=""), MAX_BANDS
    ):
        row = {"name": str(name).strip(), "share": str(share).strip(), "rate": str(rate).strip()}
        if not any(row.values()):
            continue
        rows.append(row)
        band: dict[str, Any] = {"name": row["name"]} if row["name"] else {}
        for part in ("share", "rate"):
            try:
                parsed = parse_number(row[part], lang)
            except ValueError:
                band[part] = row[part]
                continue
            if parsed is not None:
                band[part] = model_value(parsed, "percent")
        bands.append(band)
    overrides["commission_bands"] = bands
    values["bands"] = rows
    return Submitted(overrides, values, errors)


def _substitute(overrides: dict[str, Any], path: str, base: CostAssumptions) -> bool:
    """Put a valid value where ``path`` was wrong, so the next check finds the next error."""
    if match := _BAND_PATH.match(path):
        index, part = int(match.group(1)), match.group(2)
        overrides["commission_bands"][index][part] = f"\x00{index}" if part == "name" else 0.0
        return True
    if path == "commission_bands":
        overrides[path] = [band.to_dict() for band in base.commission_bands]
        return True
    option, _dot, name = path.partition(".")
    if option in OPTIONS and name == "yearly_turnover":  # a form-only field: the monthly rate
        name = "monthly_attrition"
    if option in OPTIONS and name:
        overrides[option][name] = getattr(base.option(option), name)
        return True
    if path in overrides and path not in OPTIONS:
        overrides[path] = getattr(base, path)
        return True
    return False


def check(
    submitted: Submitted, base: CostAssumptions, lang: str = "en",
    _: Callable[..., str] | None = None,
) -> dict[str, str]:
    """Every wrong field with the scoring library's message, keyed by the form's field path,
    found in one pass (scoring.cost_assumptions.problems)."""
    _ = _ or gettext_for(lang)
    errors = dict(submitted.errors)
    trial = {
        key: (dict(value) if isinstance(value, dict) else value)
        for key, value in submitted.overrides.items()
    }
    trial["commission_bands"] = [dict(band) for band in trial["commission_bands"]]
    for path in errors:  # blank fields: check the rest with the position's value in their place
        _substitute(trial, path, base)
    for exc in cost_problems(trial, base=base):
        errors.setdefault(exc.argument, problem_text(exc, lang, _))
    return errors


def values_of(
    assumptions: CostAssumptions, lang: str, *, hiring_cost_set: bool = True
) -> dict[str, Any]:
    """The form's text for a set of assumptions; the experienced hiring cost blank when it
    follows the salary (``hiring_cost_set`` False)."""
    a = assumptions.to_dict()
    values: dict[str, Any] = {
        item.name: shown_value(a[item.name], item.kind, lang)
        for item in (*POSITION_INPUTS, *RUN_INPUTS)
    }
    values["hiring_budget"] = shown_value(a["hiring_budget"], "money", lang)
    values["commission_base"] = a["commission_base"]
    for option in OPTIONS:
        for item in OPTION_INPUTS:
            values[f"{option}.{item.name}"] = shown_value(a[option][item.name], item.kind, lang)
    if not hiring_cost_set:
        values["experienced.hiring_cost"] = ""
    values["bands"] = [
        {
            "name": band["name"],
            "share": shown_value(band["share"], "percent", lang),
            "rate": shown_value(band["rate"], "percent", lang),
        }
        for band in a["commission_bands"]
    ]
    return values


def _field(
    path: str,
    label: str,
    kind: str,
    default: Any,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    lang: str,
    _: Callable[..., str],
) -> dict[str, Any]:
    default_text = _default_text(default, kind, lang, _)
    if path == "experienced.hiring_cost":
        default_text = _("blank: 20 %% of the first-year base (%(fee)s at the default salary)",
                         fee=money(float(default), lang))
    if path.endswith("monthly_attrition"):
        yearly = percent(1 - (1 - float(default)) ** 12, lang)
        default_text = _("%(monthly)s (%(yearly)s a year)", monthly=default_text, yearly=yearly)
    return {
        "path": path,
        "id": "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path),
        "label": _(label),
        "kind": kind,
        "default": default_text,
        "value": values.get(path, ""),
        "error": errors.get(path),
    }


def form_context(
    values: Mapping[str, Any], errors: Mapping[str, str], lang: str, _: Callable[..., str]
) -> dict[str, Any]:
    """The form's fields grouped for the template, each with its default and its error."""
    defaults = CostAssumptions()

    def field(item: Input, prefix: str = "") -> dict[str, Any]:
        path = f"{prefix}{item.name}"
        source = defaults.option(prefix[:-1]) if prefix else defaults
        return _field(
            path, item.label, item.kind, getattr(source, item.name), values, errors, lang, _
        )

    empty = {"name": "", "share": "", "rate": ""}
    bands = [row for row in values.get("bands") or [] if any(row.values())]
    bands += [dict(empty) for _row in range(max(1, 3 - len(bands)))]  # always one to add
    band_rows = []
    for index, row in enumerate(bands[:MAX_BANDS]):
        cells = {}
        for part in ("name", "share", "rate"):
            path = f"commission_bands[{index}].{part}"
            cells[part] = {
                "id": f"band-{part}-{index}",
                "field": f"band_{part}",
                "value": row.get(part, ""),
                "error": errors.get(path),
            }
        band_rows.append({"index": index, **cells})
    default_bands = ", ".join(
        _(
            "%(name)s %(share)s at %(rate)s",
            name=_(band.name),
            share=percent(band.share, lang),
            rate=percent(band.rate, lang),
        )
        for band in defaults.commission_bands
    )
    return {
        "position_fields": [field(item) for item in POSITION_INPUTS],
        "budget_field": _field(
            "hiring_budget",
            N_("Hiring budget, € (empty: none)"),
            "money",
            None,
            values,
            errors,
            lang,
            _,
        ),
        "commission_base": values.get("commission_base", defaults.commission_base),
        "commission_base_error": errors.get("commission_base"),
        "commission_base_default": _(BASE_TITLES[defaults.commission_base]),
        "base_titles": {key: _(title) for key, title in BASE_TITLES.items()},
        "band_rows": band_rows,
        "bands_error": errors.get("commission_bands"),
        "bands_default": default_bands,
        "option_fields": {
            option: [field(item, f"{option}.") for item in OPTION_INPUTS] for option in OPTIONS
        },
        "run_fields": [field(item) for item in RUN_INPUTS],
        "values": values,
        "errors": errors,
        "error_list": _error_list(errors, lang, _),
    }


def field_label(path: str, _: Callable[..., str]) -> str:
    """The form's label of a field path (``experienced.hiring_cost`` → "Experienced hire ·
    Hiring cost (agency fee, ads), €"), translated."""
    labels = {i.name: i.label for i in (*POSITION_INPUTS, *RUN_INPUTS)}
    labels |= {
        "hiring_budget": N_("Hiring budget, € (empty: none)"),
        "commission_base": N_("Commission paid on"),
        "commission_bands": N_("Commission bands"),
    }
    if match := _BAND_PATH.match(path):
        index, part = match.groups()
        return _(
            "Commission band %(number)s, %(part)s",
            number=int(index) + 1,
            part=_(BAND_PARTS[part]),
        )
    option, _dot, name = path.partition(".")
    if option in OPTIONS and name:
        item = next((i for i in OPTION_INPUTS if i.name == name), None)
        return f"{_(OPTION_TITLES[option])} · {_(item.label) if item else name}"
    return _(labels.get(path, path))


def problem_text(exc: ScoringInputError, lang: str, _: Callable[..., str]) -> str:
    """What is wrong with a field, in the page's language where the library says enough."""
    if exc.maximum is None or exc.value is None:
        return exc.problem
    return _(
        "must be ≤ %(maximum)s, got %(value)s",
        maximum=_any_number(exc.maximum, lang),
        value=_any_number(exc.value, lang),
    )


def _any_number(value: float, lang: str) -> str:
    """Any finite float in the page's language; past Babel's 28 digits, in e-notation."""
    try:
        return format_decimal(value, format="#,##0.###", locale=lang)
    except ArithmeticError:  # decimal.InvalidOperation: more digits than the context holds
        text = f"{value:.6g}"
        return text.replace(".", ",") if lang == "it" else text


def stored_problem(exc: ScoringInputError, lang: str) -> dict[str, str]:
    """A position's stored assumptions that no longer validate, as pages show it: the field
    and what is wrong (the pipeline, the report and the cost page)."""
    _ = gettext_for(lang)
    return {"path": exc.argument, "label": field_label(exc.argument, _),
            "message": problem_text(exc, lang, _)}


def _error_list(
    errors: Mapping[str, str], lang: str, _: Callable[..., str]
) -> list[dict[str, str]]:
    """The summary at the top: which field, what is wrong, and a link to it."""
    out = []
    for path, message in errors.items():
        if match := _BAND_PATH.match(path):
            index, part = match.groups()
            anchor = f"band-{part}-{index}"
        else:
            anchor = "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)
            if path == "commission_bands":
                anchor = "bands"
            elif path == "commission_base":
                anchor = "f-commission_base"
        label = field_label(path, _)
        out.append({"label": label, "message": message, "anchor": anchor, "path": path})
    return out


# --- the results ---------------------------------------------------------------------------


def chart_labels(lang: str, _: Callable[..., str]) -> dict[str, str]:
    """The cash chart's words in the page's language."""
    return {
        "cash_title": _("Cumulative cash: experienced hire vs grow in-house"),
        "experienced": _("Experienced hire"),
        "grow_in_house": _("Grow in-house"),
        "month": _("Month"),
        "cash_axis": _("Cumulative cash, thousand €"),
        "money_k": _("{value}k €"),
        "break_even": _("break-even month {month}"),
        "no_break_even": _("no break-even within {months} months"),
        "budget": _("Hiring budget {amount}"),
        "cash_series": _(
            "{name}: {first} in month 1, lowest {low} (month {low_month}), {last} in month"
            " {months}, {break_even}."
        ),
        "decimal_mark": "," if lang == "it" else ".",
    }


def results_context(result: dict[str, Any], lang: str, _: Callable[..., str]) -> dict[str, Any]:
    """What the results part of the page shows, from a SPEC §4 response."""
    assumptions = result["assumptions"]
    budget = assumptions["hiring_budget"]
    chart = charts.cash_curves(
        {option: [row["cumulative"] for row in result[option]["monthly"]] for option in OPTIONS},
        break_even={option: result[option]["break_even_month"] for option in OPTIONS},
        budget=budget,
        labels=chart_labels(lang, _),
    )
    experienced = result["experienced"]
    budget_rule = None
    if budget is not None:
        budget_rule = {
            "budget": budget,
            "peak": experienced["peak_funding"],
            "applies": experienced["peak_funding"] > budget,
        }
    monte_carlo = result["monte_carlo"]
    ranges = None
    if monte_carlo is not None:
        relative = monte_carlo["ranges"]["relative"]
        ranges = {
            "relative": {key: percent(value, lang) for key, value in relative.items()},
            "revenue": [money(v, lang) for v in monte_carlo["ranges"]["target_monthly_revenue"]],
            "options": {
                option: {
                    "ramp_months": [
                        number(v, lang, 1) for v in monte_carlo["ranges"][option]["ramp_months"]
                    ],
                    "productivity": [
                        percent(v, lang) for v in monte_carlo["ranges"][option]["productivity"]
                    ],
                    "monthly_attrition": [
                        percent(v, lang, 2)
                        for v in monte_carlo["ranges"][option]["monthly_attrition"]
                    ],
                }
                for option in OPTIONS
            },
        }
    return {
        "result": result,
        "reasons": [cost_reason(_, r, lang) for r in result["reason_codes"]],
        "chart": chart,
        "budget_rule": budget_rule,
        "mc_ranges": ranges,
        "horizon": assumptions["horizon_months"],
    }


def _break_even(_: Callable[..., str], month: int | None) -> str:
    if month is None:
        return _("does not break even within the horizon")
    return _("breaks even in month %(month)s", month=month)


def cost_reason(_: Callable[..., str], reason: Mapping[str, Any], lang: str) -> str:
    """A reason of the recommendation (``scoring.cost.Reason``) in the reader's language."""
    code: str = reason["code"]
    v = reason["values"]
    names = {"experienced": _("The experienced hire"), "grow_in_house": _("Growing in-house")}
    if code == "budget_rule":
        return _(
            "Budget rule: the experienced hire needs up to %(peak)s of cash before it breaks"
            " even, more than the hiring budget of %(budget)s; growing a KAM in-house is"
            " recommended for that reason.",
            peak=money(v["peak_funding"], lang), budget=money(v["hiring_budget"], lang),
        )
    if code == "same_npv":
        return _("Both options have the same NPV over %(months)s months; growing in-house is"
                 " the smaller commitment.", months=v["horizon"])
    if code == "higher_npv":
        return _(
            "%(better)s has the higher NPV over %(months)s months: %(high)s against %(low)s"
            " (difference %(difference)s).",
            better=names[v["better"]], months=v["horizon"], high=money(v["better_npv"], lang),
            low=money(v["worse_npv"], lang), difference=money(v["difference"], lang),
        )
    if code == "break_even":
        return _(
            "The experienced hire %(experienced)s and needs peak funding of %(peak_e)s;"
            " growing in-house %(grow)s with peak funding of %(peak_g)s.",
            experienced=_break_even(_, v["experienced_month"]),
            peak_e=money(v["experienced_peak"], lang),
            grow=_break_even(_, v["grow_month"]), peak_g=money(v["grow_peak"], lang),
        )
    if code == "no_payback":
        return _("Neither option pays back within the horizon at these assumptions; check the"
                 " revenue target and the horizon.")
    if code == "simulations":
        count, share = number(v["simulations"], lang), number(100 * v["share"], lang)
        if v["sensitive"]:
            return _(
                "In %(count)s simulations the experienced hire had the higher NPV in %(share)s %%"
                " of the draws, so the choice is sensitive to the assumptions.",
                count=count, share=share,
            )
        return _(
            "In %(count)s simulations the experienced hire had the higher NPV in %(share)s %%"
            " of the draws.",
            count=count, share=share,
        )
    return code


# --- routes --------------------------------------------------------------------------------




def _hiring_cost_set(position: Position) -> bool:
    """Whether the position sets the experienced hire's hiring cost (else it follows the
    salary: 20 % of the first-year base)."""
    experienced = (position.cost_assumptions or {}).get("experienced") or {}
    return experienced.get("hiring_cost") is not None


def _base(position: Position) -> tuple[CostAssumptions, ScoringInputError | None]:
    """The position's assumptions; the defaults if stored ones no longer validate."""
    problem = position_service.cost_problem(position)
    if problem is not None:
        return CostAssumptions(), problem
    return cost_service.base_assumptions(position), None


def _stored_text(position: Position, path: str, lang: str) -> str | None:
    """What is stored for ``path`` (``experienced.hiring_cost``), as the form shows it."""
    stored: Any = position.cost_assumptions or {}
    for part in path.split("."):
        stored = stored.get(part) if isinstance(stored, Mapping) else None
    if isinstance(stored, bool) or not isinstance(stored, int | float):
        return None if stored is None else str(stored)
    try:
        return shown_value(stored, KINDS.get(path, "money"), lang)
    except (ValueError, OverflowError, ArithmeticError):
        return str(stored)


def _page(
    request: Request,
    user: User,
    position: Position,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    result: dict[str, Any] | None,
    edited: bool,
    notice: str | None = None,
    status_code: int = 200,
    confirm_amounts: bool = False,
) -> Response:
    lang = getattr(request.state, "language", "en")
    _ = gettext_for(lang)
    context: dict[str, Any] = {
        "position": position,
        "can_save": can(user, Action.manage_hiring),
        "edited": edited,
        "notice": notice,
        "confirm_amounts": confirm_amounts,
        "turnover_values": {option: values.get(f"{option}.yearly_turnover", "")
                            for option in OPTIONS},
        "option_titles": {key: _(title) for key, title in OPTION_TITLES.items()},
        "options": OPTIONS,
        "money": lambda value: money(value, lang),
        "number": lambda value, decimals=0: number(value, lang, decimals),
        "percent": lambda value, decimals=0: percent(value, lang, decimals),
        **form_context(values, errors, lang, _),
    }
    if result is not None:
        context.update(results_context(result, lang, _))
    # A calculator: its page is derived from the values, so mistakes keep the 422 answer.
    return render(request, "costs/compare.html", context, status_code=status_code,
                  form_page=False)


@router.get("/positions/{position_id}/costs", response_class=HTMLResponse)
def cost_page(
    position_id: int, request: Request, session: SessionDep, user: PageUser, saved: bool = False
) -> Response:
    """The position's saved assumptions, their comparison, and the form to change them."""
    position = position_service.get(session, position_id=position_id, user=user)
    session.commit()  # nothing to write; the comparison below is pure computation
    base, problem = _base(position)
    lang = getattr(request.state, "language", "en")
    notice = "saved" if saved else None
    values = values_of(base, lang, hiring_cost_set=_hiring_cost_set(position))
    errors: dict[str, str] = {}
    if problem is not None:
        # The stored value that no longer validates, shown in its field with what is wrong
        # (the comparison below uses the default in its place).
        shown = stored_problem(problem, lang)
        errors[shown["path"]] = shown["message"]
        stored = _stored_text(position, shown["path"], lang)
        if stored is not None:
            values[shown["path"]] = stored
    return _page(
        request,
        user,
        position,
        values=values,
        errors=errors,
        result=cost_service.compare(base=base),
        edited=False,
        notice=notice,
    )


@router.post("/positions/{position_id}/costs", dependencies=FormFirst)
def calculate(
    position_id: int, request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """ "Calculate" shows the edited inputs' comparison; "Save" also stores them (HR, admin)."""
    saving = form.get("action") == "save"
    if saving and not can(user, Action.manage_hiring):
        raise Forbidden(N_("Only HR and administrators change a position's assumptions."))
    position = position_service.get(session, position_id=position_id, user=user)
    session.commit()  # release the (SQLite) write lock while computing; saving starts anew
    lang = getattr(request.state, "language", "en")
    _ = gettext_for(lang)
    base, _problem = _base(position)
    submitted = read_form(form, lang, _)
    errors = check(submitted, base, lang, _)
    confirm = False
    if not errors and form.get("confirm_amounts") != "yes":
        errors = implausible(submitted, lang, _)
        confirm = bool(errors)
    result = None
    if not errors:
        try:
            result = cost_service.compare(base=base, overrides=submitted.overrides)
        except DomainError as exc:  # a rule the field-by-field check cannot see
            errors = exc.field_errors(_)
    if errors:
        return _page(
            request,
            user,
            position,
            values=submitted.values,
            errors=errors,
            result=None,
            edited=True,
            status_code=422,
            confirm_amounts=confirm,
        )
    if not saving:
        return _page(
            request, user, position, values=submitted.values, errors={}, result=result, edited=True
        )
    stored = dict(submitted.overrides)
    if "monte_carlo_ranges" in (position.cost_assumptions or {}):
        stored["monte_carlo_ranges"] = position.cost_assumptions["monte_carlo_ranges"]
    try:
        changes = position_service.update(
            session, position=position, data=PositionUpdate(cost_assumptions=stored)
        )
    except (ValidationError, DomainError) as exc:
        session.rollback()
        return _page(
            request,
            user,
            position,
            values=submitted.values,
            errors={"form": exc.translated(_) if isinstance(exc, DomainError) else str(exc)},
            result=None,
            edited=True,
            status_code=422,
        )
    if position_service.changes_scores(changes):
        score_service.rescore_position(session, position=position)
    audit.record(
        session,
        actor=user,
        action="position.cost_assumptions",
        object_type="position",
        object_id=position.id,
        details={"cost_assumptions": stored},
        ip=client_ip(request),
    )
    session.commit()
    return RedirectResponse(f"/positions/{position.id}/costs?saved=1", status_code=303)
