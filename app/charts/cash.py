"""Cumulative cash curves of the cost comparison, with the budget line and break-even."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from app.charts.svg import (
    BAD,
    FRAME,
    GRID,
    INK,
    MAX_SERIES,
    MUTED,
    STYLES,
    SeriesStyle,
    _decimals_for,
    _el,
    _fmt,
    _halo,
    _labels,
    _legend,
    _line,
    _line_swatch,
    _marker,
    _nice_ticks,
    _points,
    _series_stroke,
    _svg,
    _text,
    _text_width,
)

# ---------------------------------------------------------------------------------------------
# Cumulative cash curves


CASH_WIDTH = 480.0
CASH_LEFT = 48.0
CASH_RIGHT = 466.0
CASH_TOP = 40.0
CASH_BOTTOM = 270.0
BUDGET_STYLE = SeriesStyle(BAD, "8 3 2 3", "circle")


@dataclass(frozen=True)
class _Frame:
    """Maps months and euros to the plot area."""

    months: int
    y_low: float
    y_high: float

    def x(self, month: float) -> float:
        return CASH_LEFT + (CASH_RIGHT - CASH_LEFT) * month / self.months

    def y(self, euros: float) -> float:
        span = self.y_high - self.y_low
        return CASH_BOTTOM - (CASH_BOTTOM - CASH_TOP) * (euros - self.y_low) / span


def _month_step(months: int) -> int:
    return next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8) if months <= 480 else 120


def _cash_axes(frame: _Frame, y_ticks: Sequence[float], text: Mapping[str, str]) -> str:
    """Gridlines with values in thousands (a dark zero line), month ticks, axis titles."""
    decimals = _decimals_for((y_ticks[1] - y_ticks[0]) / 1000) if len(y_ticks) > 1 else 0
    small = {"font_size": 13, "fill": MUTED}
    title = {"font_size": 14, "font_weight": "600", "fill": MUTED}
    parts = []
    for tick in y_ticks:
        y = frame.y(tick)
        stroke, width = (INK, 1.4) if tick == 0 else (GRID, 0.8)
        parts.append(_line(CASH_LEFT, y, CASH_RIGHT, y, stroke, width))
        label = _fmt(tick / 1000, decimals, text)
        parts.append(_text(CASH_LEFT - 8, y + 4, label, text_anchor="end", **small))
    parts.append(_text(CASH_LEFT - 40, CASH_TOP - 18, text["cash_axis"], **title))
    parts.append(_line(CASH_LEFT, CASH_BOTTOM, CASH_RIGHT, CASH_BOTTOM, FRAME, 1))
    for month in range(0, frame.months + 1, _month_step(frame.months)):
        x = frame.x(month)
        parts.append(_line(x, CASH_BOTTOM, x, CASH_BOTTOM + 5, FRAME, 1))
        label = _fmt(month, 0, text)
        parts.append(_text(x, CASH_BOTTOM + 20, label, text_anchor="middle", **small))
    centre = (CASH_LEFT + CASH_RIGHT) / 2
    parts.append(_text(centre, CASH_BOTTOM + 40, text["month"], text_anchor="middle", **title))
    return "".join(parts)


def _money_k(euros: float, text: Mapping[str, str]) -> str:
    decimals = 0 if abs(euros) >= 100_000 or euros % 1000 == 0 else 1
    return text["money_k"].format(value=_fmt(euros / 1000, decimals, text))


def _crosses(
    box: tuple[float, float, float, float], curves: Iterable[Sequence[tuple[float, float]]]
) -> bool:
    """Whether any curve passes through ``box`` (x0, y0, x1, y1), sampled every 3 units."""
    x0, y0, x1, y1 = box
    for points in curves:
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            steps = max(1, int(math.hypot(bx - ax, by - ay) / 3))
            for i in range(steps + 1):
                px, py = ax + (bx - ax) * i / steps, ay + (by - ay) * i / steps
                if x0 <= px <= x1 and y0 <= py <= y1:
                    return True
    return False


def _budget_line(y: float, label: str, curves: Iterable[Sequence[tuple[float, float]]]) -> str:
    """The budget line and its label at the right end: below the line, unless a curve or
    the month axis is in the way there."""
    size = 13
    width, height = _text_width(label, size) * 1.12, size * 1.2
    below = (CASH_RIGHT - 4 - width, y + 4, CASH_RIGHT - 4, y + 4 + height)
    fits = below[3] <= CASH_BOTTOM and not _crosses(below, curves)
    baseline = y + 4 + height * 0.8 if fits else y - 4 - height * 0.2
    line = _line(CASH_LEFT, y, CASH_RIGHT, y, BAD, 1.6, stroke_dasharray=BUDGET_STYLE.dash)
    return line + _halo(
        CASH_RIGHT - 4,
        baseline,
        label,
        text_anchor="end",
        font_size=size,
        font_weight="600",
        fill=BAD,
    )


def _break_even_marker(x: float, y: float, style: SeriesStyle) -> str:
    """Hollow marker where the curve turns positive and a drop line to the month axis."""
    drop = _line(x, y, x, CASH_BOTTOM, style.colour, 1.2, stroke_dasharray="2 3")
    return drop + _marker(style.marker, x, y, style.colour, size=5.5, hollow=True)


def _break_even_text(month: int | None, months: int, text: Mapping[str, str]) -> str:
    if month is None:
        return text["no_break_even"].format(months=months)
    return text["break_even"].format(month=month)


def _cash_desc(
    series: Mapping[str, Sequence[float]],
    break_even: Mapping[str, int | None],
    budget: float | None,
    text: Mapping[str, str],
) -> str:
    sentences = []
    for key, values in series.items():
        lowest = min(range(len(values)), key=lambda i: values[i])
        sentences.append(
            text["cash_series"].format(
                name=text.get(key, key),
                first=_money_k(values[0], text),
                low=_money_k(values[lowest], text),
                low_month=lowest + 1,
                last=_money_k(values[-1], text),
                months=len(values),
                break_even=_break_even_text(break_even.get(key), len(values), text),
            )
        )
    if budget is not None:
        sentences.append(text["budget"].format(amount=_money_k(budget, text)) + ".")
    return " ".join(sentences)


def _check_cash_input(
    series: Mapping[str, Sequence[float]], budget: float | None
) -> dict[str, list[float]]:
    if not 1 <= len(series) <= MAX_SERIES:
        raise ValueError(f"cash_curves shows 1 to {MAX_SERIES} series, got {len(series)}")
    clean = {key: [float(v) for v in values] for key, values in series.items()}
    if any(not values or not all(map(math.isfinite, values)) for values in clean.values()):
        raise ValueError("each cash series needs at least one month of finite values")
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise ValueError(f"budget must be a non-negative number, got {budget!r}")
    return clean


def cash_curves(
    series: Mapping[str, Sequence[float]],
    *,
    break_even: Mapping[str, int | None] | None = None,
    budget: float | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> Markup:
    """Cumulative cash per month of each hiring option, with break-even and budget.

    Parameters
    ----------
    series : ``{"experienced": [...], "grow_in_house": [...]}`` — cumulative cash in euros
        for months 1..H (SPEC §4 ``monthly[].cumulative``). Every curve starts from 0 at
        month 0, before anything is spent. Names come from ``labels[key]``.
    break_even : month of break-even per key (``None`` = none within the horizon): a hollow
        marker on the curve with a drop line to the month axis, and "break-even month N"
        (or "no break-even within H months") beside the name in the legend.
    budget : the hiring budget in euros, drawn as a red dash-dot line at ``−budget``: a
        curve dipping below it needs more cash than the budget allows.
    labels : translated strings overriding :data:`DEFAULT_LABELS`.
    title : accessible title; defaults to ``labels["cash_title"]``.
    """
    text = _labels(labels, lang)
    clean = _check_cash_input(series, budget)
    marks = dict(break_even or {})
    everything = [0.0, *(v for values in clean.values() for v in values)]
    if budget is not None:
        everything.append(-budget)
    y_ticks = _nice_ticks(min(everything), max(everything), 6)
    frame = _Frame(max(map(len, clean.values())), y_ticks[0], y_ticks[-1])
    curves = {
        key: [(frame.x(m), frame.y(v)) for m, v in enumerate([0.0, *values])]
        for key, values in clean.items()
    }

    body = [_cash_axes(frame, y_ticks, text)]
    if budget is not None:
        label = text["budget"].format(amount=_money_k(budget, text))
        body.append(_budget_line(frame.y(-budget), label, curves.values()))
    legend: list[tuple[Callable[[float, float], str], str]] = []
    for index, (key, points) in enumerate(curves.items()):
        style = STYLES[index]
        body.append(
            _el("polyline", points=_points(points), fill="none", **_series_stroke(style, 2.6))
        )
        month = marks.get(key)
        marked = month is not None and 1 <= month < len(points)
        if month is not None and marked:
            body.append(_break_even_marker(*points[month], style))
        name = text.get(key, key)
        if key in marks:
            name += " · " + _break_even_text(month, len(clean[key]), text)
        legend.append((_line_swatch(style, marker=marked, width=2.6, hollow=True), name))
    markup, height = _legend(legend, top=CASH_BOTTOM + 50, width=CASH_WIDTH, size=14)
    body.append(markup)
    return _svg(
        "cash",
        view=(0.0, 0.0, CASH_WIDTH, CASH_BOTTOM + 56 + height),
        title=title or text["cash_title"],
        desc=_cash_desc(clean, marks, budget, text),
        body="".join(body),
    )
