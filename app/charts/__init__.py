"""SVG charts drawn by the server for staff pages and the PDF report (SPEC §6).

Pure functions: data in, :class:`markupsafe.Markup` out, ready for ``{{ chart }}`` in a
template. No database, no FastAPI, no JavaScript, no external fonts.

Every chart

* scales to its container (``viewBox`` + ``width="100%"``; give it a ``max-width`` in CSS
  through the ``kam-chart`` class), so it is readable on a phone and on paper;
* carries ``role="img"`` with a ``<title>`` and a ``<desc>`` that states the data in words,
  so a screen-reader user gets the numbers, not "image";
* survives black-and-white printing: each series has its own dash pattern and marker shape
  as well as its colour;
* uses presentation attributes only (no ``style`` attributes, no event handlers), so it also
  renders in WeasyPrint and under a strict Content-Security-Policy.

All text goes through :func:`markupsafe.escape`. Text the pages translate is taken from a
``labels`` mapping (English defaults below); axis and series names arrive already
translated. A missing score is never invented: it is drawn at the centre with a hollow
marker and said to be "not scored".
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from markupsafe import Markup, escape

from scoring.composite import BAND_CUTS_PERCENT, BAND_CUTS_T

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
MINUS = "\u2212"


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


def _labels(overrides: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(overrides or {})}


def _c(x: float) -> str:
    """A coordinate rounded to 0.1, without a trailing ``.0`` (keeps the SVG small)."""
    text = f"{round(x, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _fmt(x: float, decimals: int = 0, mark: str = ".") -> str:
    """A number with a fixed number of decimals, a real minus sign and the page's mark."""
    text = f"{abs(x):.{decimals}f}".replace(".", mark)
    negative = round(x, decimals) < 0
    return (MINUS if negative else "") + text


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


def _el(tag: str, content: str = "", **attrs: object) -> str:
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


def _with_unit(value: float, unit: str, mark: str, decimals: int = 0) -> str:
    return f"{_fmt(value, decimals, mark)} {unit}"


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(v) for v in scale)
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"scale must be (low, high) with low < high, got {scale!r}")
    return low, high


# ---------------------------------------------------------------------------------------------
# Radar


RADAR_WIDTH = 480.0
RADAR_RADIUS = 122.0
RADAR_FONT = 14.5
RADAR_LINE = 17.5
RADAR_GAP = 12.0  # between the rim and the axis labels
REFERENCE_STYLE = SeriesStyle(MUTED, "5 4", "circle")


@dataclass(frozen=True)
class _Line:
    """One line of an axis label: the competency name, the value, or "not scored"."""

    words: str
    kind: str  # "name" | "value" | "missing"
    markers: tuple[int, ...] = ()  # series (by index) drawn as hollow markers before words

    def width(self) -> float:
        bold = 1.12 if self.kind != "missing" else 1.02
        return _text_width(self.words, RADAR_FONT) * bold + 13 * len(self.markers)


@dataclass(frozen=True)
class _Spoke:
    """Geometry of one radar axis: unit direction and its label block."""

    dx: float
    dy: float
    anchor: str
    lines: tuple[_Line, ...]
    top: float  # y of the first baseline

    @property
    def label_x(self) -> float:
        return RADAR_WIDTH / 2 + self.dx * (RADAR_RADIUS + RADAR_GAP)

    def extent(self) -> tuple[float, float]:
        """Leftmost and rightmost x the label block reaches (estimated)."""
        width = max(line.width() for line in self.lines)
        shift = {"start": 0.0, "middle": -width / 2, "end": -width}[self.anchor]
        return self.label_x + shift, self.label_x + shift + width


def _spokes(axes: Sequence[str], extra: Sequence[_Line | None]) -> list[_Spoke]:
    """Place each axis label outside the rim, clockwise from the top."""
    spokes = []
    gap = RADAR_RADIUS + RADAR_GAP
    for index, name in enumerate(axes):
        angle = 2 * math.pi * index / len(axes)
        dx, dy = math.sin(angle), -math.cos(angle)
        if abs(dx) < 0.2:
            anchor, room = "middle", RADAR_WIDTH * 0.55
        else:
            anchor = "start" if dx > 0 else "end"
            room = RADAR_WIDTH / 2 - gap * abs(dx) - 6
        lines = [_Line(words, "name") for words in _wrap(name, room / 1.12, RADAR_FONT)]
        note = extra[index]
        if note is not None:
            lines.append(note)
        height = len(lines) * RADAR_LINE
        y = dy * gap
        if dy < -0.5:
            top = y - height + RADAR_LINE * 0.75
        elif dy > 0.5:
            top = y + RADAR_LINE * 0.85
        else:
            top = y - height / 2 + RADAR_LINE * 0.75
        spokes.append(_Spoke(dx, dy, anchor, tuple(lines), top))
    return spokes


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


def _radar_grid(spokes: Sequence[_Spoke], ticks: Sequence[float], low: float, high: float) -> str:
    cx = RADAR_WIDTH / 2
    parts = []
    for tick in ticks:
        r = _radius(tick, low, high)
        stroke, width = (FRAME, 1.2) if tick == ticks[-1] else (GRID, 0.8)
        parts.append(
            _polygon(
                ((cx + s.dx * r, s.dy * r) for s in spokes),
                fill="none",
                stroke=stroke,
                stroke_width=width,
            )
        )
    for s in spokes:
        parts.append(_line(cx, 0, cx + s.dx * RADAR_RADIUS, s.dy * RADAR_RADIUS, GRID, 0.8))
    return "".join(parts)


def _radar_ticks(
    spokes: Sequence[_Spoke], ticks: Sequence[float], low: float, high: float, mark: str
) -> str:
    """Ring values on the bisector of the first two spokes, where no marker ever sits;
    drawn last, on a halo, so no polygon hides them. With few axes the bisector is short,
    so every other value is left out when they would crowd."""
    a, b = spokes[0], spokes[1]
    bx, by = (a.dx + b.dx) / 2, (a.dy + b.dy) / 2  # ring edge midpoint direction (length <1)
    decimals = _decimals_for(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    spacing = math.hypot(bx, by) * RADAR_RADIUS / max(1, len(ticks))
    shown = ticks if spacing >= 14 else ticks[::-2]  # from the outer ring inwards
    parts = []
    for tick in shown:
        r = _radius(tick, low, high)
        label = _fmt(tick, decimals, mark)
        x, y = RADAR_WIDTH / 2 + bx * r, by * r + 3.5
        parts.append(_halo(x, y, label, font_size=10.5, fill=MUTED, text_anchor="middle"))
    return "".join(parts)


def _radius(value: float, low: float, high: float) -> float:
    return RADAR_RADIUS * (min(max(value, low), high) - low) / (high - low)


def _radar_series(
    spokes: Sequence[_Spoke],
    series: Series,
    style: SeriesStyle,
    low: float,
    high: float,
    *,
    fill_opacity: str,
) -> str:
    cx = RADAR_WIDTH / 2
    points = []
    for s, value in zip(spokes, series.values, strict=True):
        r = 0.0 if value is None or _missing(value) else _radius(float(value), low, high)
        points.append((cx + s.dx * r, s.dy * r))
    polygon = _polygon(
        points,
        fill=style.colour,
        fill_opacity=fill_opacity,
        stroke=style.colour,
        stroke_width=2.2,
        stroke_dasharray=style.dash,
        stroke_linejoin="round",
    )
    markers = "".join(
        _marker(style.marker, x, y, style.colour, hollow=_missing(value))
        for (x, y), value in zip(points, series.values, strict=True)
    )
    return _el("g", polygon + markers, class_="kam-series")


def _radar_bands(
    spokes: Sequence[_Spoke],
    bands: Sequence[tuple[float, float] | None],
    style: SeriesStyle,
    low: float,
    high: float,
    offset: float,
) -> str:
    """90 % intervals as translucent whiskers along each axis, capped at both ends."""
    cx = RADAR_WIDTH / 2
    parts = []
    for s, band in zip(spokes, bands, strict=True):
        interval = None if band is None else _interval(band[0], band[1])
        if interval is None:
            continue
        r0, r1 = _radius(interval[0], low, high), _radius(interval[1], low, high)
        ox, oy = -s.dy * offset, s.dx * offset  # perpendicular shift between series
        x0, y0 = cx + s.dx * r0 + ox, s.dy * r0 + oy
        x1, y1 = cx + s.dx * r1 + ox, s.dy * r1 + oy
        parts.append(_line(x0, y0, x1, y1, style.colour, 7, stroke_opacity="0.3"))
        for x, y in ((x0, y0), (x1, y1)):  # caps across the axis
            cap = (x - s.dy * 4.5, y + s.dx * 4.5, x + s.dy * 4.5, y - s.dx * 4.5)
            parts.append(_line(*cap, style.colour, 1.5))
    return _el("g", "".join(parts), class_="kam-bands") if parts else ""


def _radar_labels(spokes: Sequence[_Spoke], single: bool) -> str:
    parts = []
    for s in spokes:
        for index, line in enumerate(s.lines):
            y = s.top + index * RADAR_LINE
            attrs: dict[str, object] = {"font_size": RADAR_FONT, "text_anchor": s.anchor}
            if line.kind == "name":
                attrs.update(font_weight="600", fill=MUTED if single else INK)
            elif line.kind == "value":
                attrs.update(font_weight="700", fill=INK)
            else:
                attrs.update(font_style="italic", fill=MUTED)
            x = s.label_x
            if line.markers:
                left = {"start": x, "middle": x - line.width() / 2, "end": x - line.width()}
                x0 = left[s.anchor]
                for n, series_index in enumerate(line.markers):
                    style = STYLES[series_index]
                    parts.append(
                        _marker(style.marker, x0 + 6 + 13 * n, y - 4.5, style.colour, hollow=True)
                    )
                attrs["text_anchor"] = "start"
                x = x0 + 13 * len(line.markers)
            parts.append(_text(x, y, line.words, **attrs))
    return "".join(parts)


def _radar_desc(
    axes: Sequence[str],
    series: Sequence[Series],
    bands: Sequence[Sequence[tuple[float, float] | None] | None],
    reference: float | None,
    unit: str,
    scale: tuple[float, float],
    text: Mapping[str, str],
) -> str:
    mark = text["decimal_mark"]
    sentences = [
        text["scale"].format(low=_fmt(scale[0], 0, mark), high=_fmt(scale[1], 0, mark), unit=unit)
    ]
    for index, one in enumerate(series):
        parts = []
        band_set = bands[index]
        for axis_index, (axis, value) in enumerate(zip(axes, one.values, strict=True)):
            if value is None or _missing(value):
                parts.append(f"{axis} {text['not_scored']}")
                continue
            item = f"{axis} {_with_unit(float(value), unit, mark)}"
            band = band_set[axis_index] if band_set else None
            interval = None if band is None else _interval(band[0], band[1])
            if interval is not None:
                item += (
                    " ("
                    + text["band_interval"].format(
                        low=_fmt(interval[0], 0, mark), high=_fmt(interval[1], 0, mark)
                    )
                    + ")"
                )
            parts.append(item)
        sentences.append(f"{one.name}: " + ", ".join(parts) + ".")
    if reference is not None:
        sentences.append(f"{_reference_label(unit, reference, text)}.")
    return " ".join(sentences)


def _reference_label(unit: str, reference: float, text: Mapping[str, str]) -> str:
    name = text["reference_T"] if unit == "T" else text["reference"]
    return f"{name} ({_with_unit(reference, unit, text['decimal_mark'])})"


def _check_radar_input(
    axes: Sequence[str],
    series: Sequence[Series],
    bands: Sequence[Sequence[tuple[float, float] | None] | None] | None,
) -> list[Sequence[tuple[float, float] | None] | None]:
    if len(axes) < 3:
        raise ValueError(f"a radar needs at least 3 axes, got {len(axes)}")
    if not 1 <= len(series) <= MAX_SERIES:
        raise ValueError(f"a radar shows 1 to {MAX_SERIES} series, got {len(series)}")
    for one in series:
        if len(one.values) != len(axes):
            raise ValueError(
                f"series {one.name!r} has {len(one.values)} values for {len(axes)} axes"
            )
    band_sets = list(bands) if bands is not None else [None] * len(series)
    if len(band_sets) != len(series) or any(
        b is not None and len(b) != len(axes) for b in band_sets
    ):
        raise ValueError("bands must give, per series, None or one (low, high) per axis")
    return band_sets


def _radar_bounds(spokes: Sequence[_Spoke]) -> tuple[float, float, float, float]:
    """Left, top, right, bottom of the drawing, labels included (estimated widths)."""
    left = min(0.0, min(s.extent()[0] for s in spokes) - 6)
    right = max(RADAR_WIDTH, max(s.extent()[1] for s in spokes) + 6)
    top = min(s.top for s in spokes) - RADAR_FONT - 4
    bottom = max(s.top + (len(s.lines) - 1) * RADAR_LINE for s in spokes) + 8
    return left, top, right, bottom


def _axis_notes(
    axes: Sequence[str], series: Sequence[Series], unit: str, text: Mapping[str, str]
) -> list[_Line | None]:
    """The extra label line per axis: the value (one series) or who is not scored."""
    mark = text["decimal_mark"]
    if len(series) == 1:
        return [
            _Line(text["not_scored"], "missing")
            if v is None or _missing(v)
            else _Line(_with_unit(float(v), unit, mark), "value")
            for v in series[0].values
        ]
    notes: list[_Line | None] = []
    for axis_index in range(len(axes)):
        absent = tuple(i for i, one in enumerate(series) if _missing(one.values[axis_index]))
        notes.append(_Line(text["not_scored"], "missing", absent) if absent else None)
    return notes


def radar(
    axes: Sequence[str],
    series: Sequence[Series],
    *,
    scale: tuple[float, float] = T_SCALE,
    bands: Sequence[Sequence[tuple[float, float] | None] | None] | None = None,
    reference: float | None = None,
    unit: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Markup:
    """Radar (spider) chart of one candidate, or 2–5 overlaid for a comparison.

    Parameters
    ----------
    axes : competency labels, already translated, clockwise from the top (at least 3).
    series : one :class:`Series` per candidate; ``values`` in the order of ``axes``.
        ``None`` (or NaN) is drawn at the centre with a hollow marker and labelled
        "not scored" at the axis — never interpolated.
    scale : ``(20, 80)`` for T-scores (the default) or ``(0, 100)`` for percent of maximum.
        Values outside are drawn at the rim or centre; the description keeps the real value.
    bands : per series, ``None`` or one ``(low, high)`` 90 % interval (or ``None``) per axis,
        drawn as a translucent, capped whisker along the axis.
    reference : a value drawn as a dashed grey polygon, e.g. 50 for the T average.
    unit : shown after values; ``"T"`` on the T scale and ``"%"`` otherwise by default.
    labels : translated strings overriding :data:`DEFAULT_LABELS`.
    title : accessible title; defaults to the profile or comparison title and the names.

    With one series each axis label also shows the value; with several, a legend tells
    them apart (colour, dash and marker) and the page's table carries the numbers.
    """
    text = _labels(labels)
    low, high = _check_scale(scale)
    unit = _unit_for((low, high), unit)
    band_sets = _check_radar_input(axes, series, bands)
    single = len(series) == 1
    spokes = _spokes(axes, _axis_notes(axes, series, unit, text))
    ticks = [t for t in _nice_ticks(low, high, 6) if low < t <= high]

    body = [_radar_grid(spokes, ticks, low, high)]
    legend: list[tuple[Callable[[float, float], str], str]] = [
        (_line_swatch(STYLES[index]), one.name) for index, one in enumerate(series)
    ]
    if reference is not None:
        r = _radius(float(reference), low, high)
        ring = ((RADAR_WIDTH / 2 + s.dx * r, s.dy * r) for s in spokes)
        body.append(
            _polygon(
                ring,
                fill="none",
                stroke=MUTED,
                stroke_width=1.6,
                stroke_dasharray=REFERENCE_STYLE.dash,
            )
        )
        swatch = _line_swatch(REFERENCE_STYLE, marker=False, width=1.6)
        legend.append((swatch, _reference_label(unit, float(reference), text)))
    for index, band_set in enumerate(band_sets):
        if band_set is not None:
            offset = (index - (len(series) - 1) / 2) * 5.0  # whiskers side by side
            body.append(_radar_bands(spokes, band_set, STYLES[index], low, high, offset))
    opacity = "0.14" if single else "0.05"
    for index, one in enumerate(series):
        body.append(_radar_series(spokes, one, STYLES[index], low, high, fill_opacity=opacity))
    body.append(_radar_ticks(spokes, ticks, low, high, text["decimal_mark"]))
    body.append(_radar_labels(spokes, single))

    left, top, right, bottom = _radar_bounds(spokes)
    if not single or reference is not None:
        markup, height = _legend(legend, top=bottom + 6, width=RADAR_WIDTH, size=14)
        body.append(markup)
        bottom += 6 + height
    names = ", ".join(one.name for one in series)
    default_title = text["radar_title"] if single else text["comparison_title"]
    return _svg(
        "radar",
        view=(left, top, right - left, bottom - top),
        title=title or f"{default_title}: {names}",
        desc=_radar_desc(axes, series, band_sets, reference, unit, (low, high), text),
        body="".join(body),
    )


# ---------------------------------------------------------------------------------------------
# Score bars with band zones


BARS_WIDTH = 480.0
BARS_LEFT = 8.0
BARS_RIGHT = 428.0  # the band letter sits to the right of the plot
BARS_ROW = 52.0
BARS_HEADER = 26.0
#: A, B, C, D: lightness alternates so neighbouring zones stay apart in grey print.
ZONE_FILLS = ("#cbe7d3", "#ecf6ef", "#e4e7eb", "#fcecea")


def _zones(low: float, high: float) -> list[tuple[str, float, float]]:
    """Band zones (letter, from, to) inside the scale, cuts from scoring.composite."""
    a, b, c = BAND_CUTS_T if (low, high) == T_SCALE else BAND_CUTS_PERCENT
    edges = [("A", a, high), ("B", b, a), ("C", c, b), ("D", low, c)]
    return [
        (letter, max(lo, low), min(hi, high))
        for letter, lo, hi in edges
        if min(hi, high) > max(lo, low)
    ]


def _bar_x(value: float, low: float, high: float) -> float:
    """x of a value on the bar scale, clamped to the plot."""
    clamped = min(max(value, low), high)
    return BARS_LEFT + (BARS_RIGHT - BARS_LEFT) * (clamped - low) / (high - low)


def _rect(x: float, y: float, width: float, height: float, **attrs: object) -> str:
    return _el("rect", x=x, y=y, width=width, height=height, **attrs)


def _bars_background(low: float, high: float, plot_bottom: float, mark: str) -> str:
    """Band zones with their letters on top, and the scale along the bottom."""
    parts = []
    fills = dict(zip("ABCD", ZONE_FILLS, strict=True))
    small = {"text_anchor": "middle", "fill": MUTED}
    for letter, lo, hi in _zones(low, high):
        x0, x1 = _bar_x(lo, low, high), _bar_x(hi, low, high)
        parts.append(_rect(x0, 0, x1 - x0, plot_bottom, fill=fills[letter]))
        parts.append(_text((x0 + x1) / 2, 18, letter, font_size=14, font_weight="700", **small))
        if lo > low:
            parts.append(_line(x0, 0, x0, plot_bottom, WHITE, 1.5))
    ticks = [t for t in _nice_ticks(low, high, 6) if low <= t <= high]
    decimals = _decimals_for(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    parts.append(_line(BARS_LEFT, plot_bottom, BARS_RIGHT, plot_bottom, FRAME, 1))
    for tick in ticks:
        x = _bar_x(tick, low, high)
        parts.append(_line(x, plot_bottom, x, plot_bottom + 5, FRAME, 1))
        parts.append(_text(x, plot_bottom + 20, _fmt(tick, decimals, mark), font_size=13, **small))
    return "".join(parts)


def _interval(low: float | None, high: float | None) -> tuple[float, float] | None:
    """A usable (low, high) pair, or ``None`` when either end is missing."""
    if low is None or high is None or _missing(low) or _missing(high):
        return None
    return float(low), float(high)


def _bar_row(row: BarRow, top: float, low: float, high: float, text: Mapping[str, str]) -> str:
    """Label and value on one line; below, the bar, its 90 % band and the band letter."""
    mark = text["decimal_mark"]
    parts = [_text(BARS_LEFT + 4, top + 17, row.label, font_size=15, font_weight="600")]
    bar_y = top + 26
    if row.value is None or _missing(row.value):
        parts.append(
            _text(
                BARS_LEFT + 4,
                bar_y + 12,
                text["not_scored"],
                font_size=14,
                font_style="italic",
                fill=MUTED,
            )
        )
        return "".join(parts)
    value = float(row.value)
    x_value = _bar_x(value, low, high)
    shown = _with_unit(value, row.unit, mark)
    band = _interval(row.low, row.high)
    if band is not None:
        shown += f"  ({_fmt(band[0], 0, mark)}–{_fmt(band[1], 0, mark)})"
    parts.append(
        _text(BARS_RIGHT - 4, top + 17, shown, text_anchor="end", font_size=15, font_weight="700")
    )
    parts.append(_rect(BARS_LEFT, bar_y, x_value - BARS_LEFT, 12, fill=STYLES[0].colour, rx=2))
    if band is not None:
        x0, x1 = _bar_x(band[0], low, high), _bar_x(band[1], low, high)
        parts.append(
            _rect(
                x0,
                bar_y - 3,
                max(x1 - x0, 1.0),
                18,
                fill=INK,
                fill_opacity="0.12",
                stroke=INK,
                stroke_width=1,
            )
        )
        parts.append(_line(x0, bar_y + 6, x1, bar_y + 6, INK, 1.4))
    parts.append(_line(x_value, bar_y - 5, x_value, bar_y + 17, INK, 2.4))
    if row.band_letter:
        cx, cy = (BARS_RIGHT + BARS_WIDTH) / 2, bar_y + 6
        parts.append(
            _rect(cx - 13, cy - 12, 26, 24, rx=5, fill=WHITE, stroke=INK, stroke_width=1.4)
        )
        parts.append(
            _text(
                cx, cy + 5.5, row.band_letter, text_anchor="middle", font_size=15, font_weight="700"
            )
        )
    return "".join(parts)


def _bars_desc(
    rows: Sequence[BarRow], low: float, high: float, unit: str, text: Mapping[str, str]
) -> str:
    mark = text["decimal_mark"]
    a, b, c = BAND_CUTS_T if (low, high) == T_SCALE else BAND_CUTS_PERCENT
    sentences = [
        text["scale"].format(low=_fmt(low, 0, mark), high=_fmt(high, 0, mark), unit=unit),
        text["bands_legend"].format(
            a=_fmt(a, 0, mark), b=_fmt(b, 0, mark), c=_fmt(c, 0, mark), unit=unit
        ),
    ]
    for row in rows:
        if row.value is None or _missing(row.value):
            sentences.append(f"{row.label}: {text['not_scored']}.")
            continue
        item = f"{row.label}: {_with_unit(float(row.value), row.unit, mark)}"
        band = _interval(row.low, row.high)
        if band is not None:
            item += ", " + text["band_interval"].format(
                low=_fmt(band[0], 0, mark), high=_fmt(band[1], 0, mark)
            )
        if row.band_letter:
            item += ", " + text["band"].format(letter=row.band_letter)
        sentences.append(item + ".")
    return " ".join(sentences)


def score_bars(
    rows: Sequence[BarRow],
    *,
    scale: tuple[float, float] = T_SCALE,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Markup:
    """One horizontal bar per competency over the A/B/C/D band zones.

    The bar runs from the bottom of the scale to the score (a dark tick marks the score);
    the 90 % band is a shaded, outlined interval across the bar end; the band letter sits
    in a box at the right. Zones use :data:`scoring.composite.BAND_CUTS_T` on the T scale
    ``(20, 80)`` and :data:`~scoring.composite.BAND_CUTS_PERCENT` on ``(0, 100)``.
    A row whose value is ``None`` says "not scored" and draws no bar.
    """
    text = _labels(labels)
    low, high = _check_scale(scale)
    if not rows:
        raise ValueError("score_bars needs at least one row")
    unit = _unit_for((low, high), None)
    plot_bottom = BARS_HEADER + BARS_ROW * len(rows) + 4
    body = [_bars_background(low, high, plot_bottom, text["decimal_mark"])]
    for index, row in enumerate(rows):
        body.append(_bar_row(row, BARS_HEADER + index * BARS_ROW, low, high, text))
    return _svg(
        "bars",
        view=(0.0, 0.0, BARS_WIDTH, plot_bottom + 28),
        title=title or text["bars_title"],
        desc=_bars_desc(rows, low, high, unit, text),
        body="".join(body),
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
    mark = text["decimal_mark"]
    decimals = _decimals_for((y_ticks[1] - y_ticks[0]) / 1000) if len(y_ticks) > 1 else 0
    small = {"font_size": 13, "fill": MUTED}
    title = {"font_size": 14, "font_weight": "600", "fill": MUTED}
    parts = []
    for tick in y_ticks:
        y = frame.y(tick)
        stroke, width = (INK, 1.4) if tick == 0 else (GRID, 0.8)
        parts.append(_line(CASH_LEFT, y, CASH_RIGHT, y, stroke, width))
        label = _fmt(tick / 1000, decimals, mark)
        parts.append(_text(CASH_LEFT - 8, y + 4, label, text_anchor="end", **small))
    parts.append(_text(CASH_LEFT - 40, CASH_TOP - 18, text["cash_axis"], **title))
    parts.append(_line(CASH_LEFT, CASH_BOTTOM, CASH_RIGHT, CASH_BOTTOM, FRAME, 1))
    for month in range(0, frame.months + 1, _month_step(frame.months)):
        x = frame.x(month)
        parts.append(_line(x, CASH_BOTTOM, x, CASH_BOTTOM + 5, FRAME, 1))
        parts.append(_text(x, CASH_BOTTOM + 20, str(month), text_anchor="middle", **small))
    centre = (CASH_LEFT + CASH_RIGHT) / 2
    parts.append(_text(centre, CASH_BOTTOM + 40, text["month"], text_anchor="middle", **title))
    return "".join(parts)


def _money_k(euros: float, text: Mapping[str, str]) -> str:
    decimals = 0 if abs(euros) >= 100_000 or euros % 1000 == 0 else 1
    return text["money_k"].format(value=_fmt(euros / 1000, decimals, text["decimal_mark"]))


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
    text = _labels(labels)
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
            _el(
                "polyline",
                points=_points(points),
                fill="none",
                stroke=style.colour,
                stroke_width=2.6,
                stroke_dasharray=style.dash,
                stroke_linejoin="round",
            )
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
