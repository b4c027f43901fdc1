"""The shared parts of the charts: colours and series styles, the data they draw
(:class:`Series`, :class:`BarRow`), the English labels, and the small SVG building blocks
(elements, text, legend, ticks, the ``<svg>`` frame) every chart is drawn with.

The helpers with a leading underscore are the package's own: only the chart modules beside
this one use them.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from markupsafe import Markup, escape

from app.core.numbers import Numbers

T_SCALE: tuple[float, float] = (20.0, 80.0)
PERCENT_SCALE: tuple[float, float] = (0.0, 100.0)

#: Arial-metric faces, deliberately not ``system-ui``: on Linux (and so in WeasyPrint PDFs)
#: that is often DejaVu Sans, far wider than the label layout assumes.
FONT = "-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
INK = "#1b1f24"
MUTED = "#4a5561"
GRID = "#d0d7de"
FRAME = "#8c959f"
WHITE = "#ffffff"
BAD = "#cf222e"


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is told apart: colour, dash pattern (for print) and marker shape."""

    colour: str
    dash: str
    marker: str


#: Colour-blind-aware, ≥ 3:1 against white, and distinct in grey thanks to dash + marker.
STYLES: tuple[SeriesStyle, ...] = (
    SeriesStyle("#0b5cad", "", "circle"),
    SeriesStyle("#c2410c", "9 4", "square"),
    SeriesStyle("#1a7f37", "2 3", "triangle"),
    SeriesStyle("#8250df", "10 3 2 3", "diamond"),
    SeriesStyle("#7d5a00", "5 2 1 2", "triangle_down"),
)
MAX_SERIES = len(STYLES)


@dataclass(frozen=True)
class Series:
    """One line on a radar: a name and one value per axis (``None`` = not scored)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class BarRow:
    """One competency on the score-band chart; ``value`` ``None`` means not scored."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    band_letter: str | None = None
    unit: str = "T"


DEFAULT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "radar_title": "Competency profile",
        "comparison_title": "Competency comparison",
        "bars_title": "Scores and 90 % bands",
        "cash_title": "Cumulative cash: experienced hire vs grow in-house",
        "not_scored": "not scored",
        "band_interval": "90 % band {low}–{high}",
        "reference": "Reference",
        "reference_T": "Average",
        "scale": "Scale {low}–{high} {unit}.",
        "bands_legend": "Bands: A ≥ {a}, B {b}–{a}, C {c}–{b}, D < {c} {unit}.",
        "band": "band {letter}",
        "experienced": "Experienced hire",
        "grow_in_house": "Grow in-house",
        "month": "Month",
        "cash_axis": "Cumulative cash, thousand €",
        "money_k": "{value}k €",
        "break_even": "break-even month {month}",
        "no_break_even": "no break-even within {months} months",
        "budget": "Hiring budget {amount}",
        "cash_series": "{name}: {first} in month 1, lowest {low} (month {low_month}), "
        "{last} in month {months}, {break_even}.",
        "decimal_mark": ".",
    }
)


# ---------------------------------------------------------------------------------------------
# Small building blocks


def _labels(overrides: Mapping[str, str] | None, lang: str | None = None) -> dict[str, str]:
    """The chart's words, and under ``language`` the language its numbers are written in:
    ``lang``, else the one the labels' ``decimal_mark`` implies (a comma: Italian)."""
    text = {**DEFAULT_LABELS, **(overrides or {})}
    text["language"] = lang or ("it" if text["decimal_mark"] == "," else "en")
    return text


@functools.cache
def _numbers(lang: str) -> Numbers:
    return Numbers(lang)


def _c(x: float) -> str:
    """A coordinate rounded to 0.1, without a trailing ``.0`` (keeps the SVG small)."""
    text = f"{round(x, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _fmt(x: float, decimals: int, text: Mapping[str, str]) -> str:
    """A number a person reads, as the chart's language writes it (Babel, through
    :class:`app.core.numbers.Numbers`): its decimal mark and grouping, a real minus sign."""
    return _numbers(text["language"]).num(x, decimals)


def _attrs(attrs: Mapping[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value == "":
            continue
        name = key.rstrip("_").replace("_", "-")
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        # Ignored: numeric is the isinstance test, which mypy does not carry over to the call.
        shown = _c(float(value)) if numeric else str(value)  # type: ignore[arg-type]
        parts.append(f' {name}="{escape(shown)}"')
    return "".join(parts)


def _el(tag: str, content: str = "", /, **attrs: object) -> str:
    """An element; ``content`` must already be markup (use :func:`_text` for words)."""
    if content:
        return f"<{tag}{_attrs(attrs)}>{content}</{tag}>"
    return f"<{tag}{_attrs(attrs)}/>"


def _line(
    x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, **attrs: object
) -> str:
    return _el("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width, **attrs)


def _polygon(points: Iterable[tuple[float, float]], **attrs: object) -> str:
    return _el("polygon", points=_points(points), **attrs)


def _text(x: float, y: float, words: str, **attrs: object) -> str:
    """A ``<text>`` element; ``words`` are escaped here."""
    attrs.setdefault("fill", INK)
    return f"<text{_attrs({'x': x, 'y': y, **attrs})}>{escape(words)}</text>"


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_c(x)},{_c(y)}" for x, y in points)


def _text_width(words: str, size: float) -> float:
    """Rough rendered width of sans-serif text, good enough for layout decisions."""
    width = 0.0
    for ch in words:
        if ch in "il.,:;'|!ftjrI ()":
            width += 0.32
        elif ch in "mwMW@%":
            width += 0.86
        elif ch.isupper() or ch in "€—–":
            width += 0.68
        else:
            width += 0.56
    return width * size


def _wrap(words: str, max_width: float, size: float, max_lines: int = 3) -> list[str]:
    """Greedy word wrap by estimated width; never breaks inside a word."""
    lines: list[str] = []
    for word in words.split():
        if lines and _text_width(f"{lines[-1]} {word}", size) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return lines or [""]


def _nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10^k apart) covering [low, high]."""
    if not high > low:
        high = low + 1.0
    raw = (high - low) / max(1, target)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude * (1 + 1e-9))
    start = math.floor(low / step + 1e-9) * step
    count = math.ceil((high - start) / step - 1e-9)
    return [round(start + i * step, 10) for i in range(count + 1)]


def _decimals_for(step: float) -> int:
    """Decimals needed to tell ticks ``step`` apart (0 for whole steps)."""
    return 0 if abs(step - round(step)) < 1e-9 else max(0, -math.floor(math.log10(step)) + 1)


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _marker(
    shape: str, x: float, y: float, colour: str, *, size: float = 4.0, hollow: bool = False
) -> str:
    """A series marker; hollow (white inside) marks a value that is not there."""
    paint = {"fill": WHITE if hollow else colour, "stroke": colour, "stroke_width": 1.6}
    s = size
    if shape == "circle":
        return _el("circle", cx=x, cy=y, r=s, **paint)
    if shape == "square":
        return _el("rect", x=x - s * 0.9, y=y - s * 0.9, width=s * 1.8, height=s * 1.8, **paint)
    corners = {
        "triangle": [(0, -1.25), (1.15, 0.85), (-1.15, 0.85)],
        "triangle_down": [(0, 1.25), (1.15, -0.85), (-1.15, -0.85)],
        "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
    }[shape]
    return _polygon(((x + dx * s, y + dy * s) for dx, dy in corners), **paint)


def _series_stroke(style: SeriesStyle, width: float) -> dict[str, object]:
    """The stroke of a series' line: its colour and dash pattern, round joins."""
    return {
        "stroke": style.colour,
        "stroke_width": width,
        "stroke_dasharray": style.dash,
        "stroke_linejoin": "round",
    }


def _line_swatch(
    style: SeriesStyle, *, marker: bool = True, width: float = 2.0, hollow: bool = False
) -> Callable[[float, float], str]:
    """A legend swatch: a short line in the series' dash pattern, with its marker."""

    def draw(x: float, y: float) -> str:
        line = _line(x, y, x + 34, y, style.colour, width, stroke_dasharray=style.dash)
        if not marker:
            return line
        return line + _marker(style.marker, x + 17, y, style.colour, size=4.5, hollow=hollow)

    return draw


def _legend(
    items: Sequence[tuple[Callable[[float, float], str], str]],
    *,
    top: float,
    width: float,
    size: float = 12.0,
) -> tuple[str, float]:
    """Centred legend rows that wrap to ``width``; returns the markup and its height."""
    row_height = size + 10
    rows: list[list[tuple[Callable[[float, float], str], str, float]]] = [[]]
    used = 0.0
    for swatch, name in items:
        item_width = 40 + _text_width(name, size) * 1.05
        if rows[-1] and used + 18 + item_width > width - 16:
            rows.append([])
            used = 0.0
        used += (18 if rows[-1] else 0) + item_width
        rows[-1].append((swatch, name, item_width))
    parts = []
    for index, row in enumerate(rows):
        total = sum(w for _, _, w in row) + 18 * (len(row) - 1)
        x = (width - total) / 2
        y = top + index * row_height + row_height / 2
        for swatch, name, item_width in row:
            parts.append(swatch(x, y))
            parts.append(_text(x + 40, y + size * 0.35, name, font_size=size))
            x += item_width + 18
    return "".join(parts), len(rows) * row_height


def _svg(
    kind: str, *, view: tuple[float, float, float, float], title: str, desc: str, body: str
) -> Markup:
    """The outer ``<svg>``: viewBox, full width, accessible name and description."""
    # An id, not a secret: SHA-1 only makes it short and stable.
    digest = hashlib.sha1(
        f"{kind}|{title}|{desc}".encode(), usedforsecurity=False
    ).hexdigest()[:10]
    chart_id = f"kam-{kind}-{digest}"
    x, y, w, h = view
    head = _attrs(
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"{_c(x)} {_c(y)} {_c(w)} {_c(h)}",
            "width": "100%",
            "role": "img",
            "aria_labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": f"kam-chart kam-chart-{kind}",
            "font_family": FONT,
        }
    )
    # Every part is escaped: head by _attrs, body by the element builders, title and desc here.
    return Markup(  # nosec B704
        f'<svg{head}><title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _unit_for(scale: tuple[float, float], unit: str | None) -> str:
    if unit is not None:
        return unit
    return "T" if tuple(scale) == T_SCALE else "%"


def _with_unit(value: float, unit: str, text: Mapping[str, str], decimals: int = 0) -> str:
    return f"{_fmt(value, decimals, text)} {unit}"


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(v) for v in scale)
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"scale must be (low, high) with low < high, got {scale!r}")
    return low, high


def _interval(low: float | None, high: float | None) -> tuple[float, float] | None:
    """A usable (low, high) pair, or ``None`` when either end is missing."""
    if low is None or high is None or _missing(low) or _missing(high):
        return None
    return float(low), float(high)


def _halo(x: float, y: float, words: str, **attrs: object) -> str:
    """Text over a white outline of itself, readable on top of lines (no paint-order:
    WeasyPrint ignores it)."""
    under = {
        **attrs,
        "fill": WHITE,
        "stroke": WHITE,
        "stroke_width": 3.0,
        "stroke_linejoin": "round",
    }
    return _text(x, y, words, **under) + _text(x, y, words, **attrs)
