"""The radar (spider) chart: one or more score profiles around the competencies."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from app.charts.svg import (
    FRAME,
    GRID,
    INK,
    MAX_SERIES,
    MUTED,
    STYLES,
    T_SCALE,
    Series,
    SeriesStyle,
    _check_scale,
    _decimals_for,
    _el,
    _fmt,
    _halo,
    _interval,
    _labels,
    _legend,
    _line,
    _line_swatch,
    _marker,
    _missing,
    _nice_ticks,
    _polygon,
    _series_stroke,
    _svg,
    _text,
    _text_width,
    _unit_for,
    _with_unit,
    _wrap,
)

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

    def at(self, r: float) -> tuple[float, float]:
        """The point ``r`` from the centre along this axis."""
        return RADAR_WIDTH / 2 + self.dx * r, self.dy * r

    @property
    def label_x(self) -> float:
        return self.at(RADAR_RADIUS + RADAR_GAP)[0]

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




def _ring(spokes: Sequence[_Spoke], r: float, stroke: str, width: float, **attrs: object) -> str:
    """The polygon through every axis at ``r`` from the centre (a grid ring, the reference)."""
    points = (s.at(r) for s in spokes)
    return _polygon(points, fill="none", stroke=stroke, stroke_width=width, **attrs)


def _radar_grid(spokes: Sequence[_Spoke], ticks: Sequence[float], low: float, high: float) -> str:
    parts = []
    for tick in ticks:
        stroke, width = (FRAME, 1.2) if tick == ticks[-1] else (GRID, 0.8)
        parts.append(_ring(spokes, _radius(tick, low, high), stroke, width))
    for s in spokes:
        parts.append(_line(*s.at(0.0), *s.at(RADAR_RADIUS), GRID, 0.8))
    return "".join(parts)


def _radar_ticks(
    spokes: Sequence[_Spoke],
    ticks: Sequence[float],
    low: float,
    high: float,
    text: Mapping[str, str],
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
        label = _fmt(tick, decimals, text)
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
    points = [
        s.at(0.0 if value is None or _missing(value) else _radius(float(value), low, high))
        for s, value in zip(spokes, series.values, strict=True)
    ]
    polygon = _polygon(
        points, fill=style.colour, fill_opacity=fill_opacity, **_series_stroke(style, 2.2)
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
    parts = []
    for s, band in zip(spokes, bands, strict=True):
        interval = None if band is None else _interval(band[0], band[1])
        if interval is None:
            continue
        ox, oy = -s.dy * offset, s.dx * offset  # perpendicular shift between series
        ends = [s.at(_radius(end, low, high)) for end in interval]
        (x0, y0), (x1, y1) = ((x + ox, y + oy) for x, y in ends)
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
    sentences = [
        text["scale"].format(low=_fmt(scale[0], 0, text), high=_fmt(scale[1], 0, text), unit=unit)
    ]
    for index, one in enumerate(series):
        parts = []
        band_set = bands[index]
        for axis_index, (axis, value) in enumerate(zip(axes, one.values, strict=True)):
            if value is None or _missing(value):
                parts.append(f"{axis} {text['not_scored']}")
                continue
            item = f"{axis} {_with_unit(float(value), unit, text)}"
            band = band_set[axis_index] if band_set else None
            interval = None if band is None else _interval(band[0], band[1])
            if interval is not None:
                item += (
                    " ("
                    + text["band_interval"].format(
                        low=_fmt(interval[0], 0, text), high=_fmt(interval[1], 0, text)
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
    return f"{name} ({_with_unit(reference, unit, text)})"


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
    band_sets: list[Sequence[tuple[float, float] | None] | None] = (
        list(bands) if bands is not None else [None] * len(series)
    )
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
    if len(series) == 1:
        return [
            _Line(text["not_scored"], "missing")
            if v is None or _missing(v)
            else _Line(_with_unit(float(v), unit, text), "value")
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
    lang: str | None = None,
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
    text = _labels(labels, lang)
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
        body.append(_ring(spokes, r, MUTED, 1.6, stroke_dasharray=REFERENCE_STYLE.dash))
        swatch = _line_swatch(REFERENCE_STYLE, marker=False, width=1.6)
        legend.append((swatch, _reference_label(unit, float(reference), text)))
    for index, band_set in enumerate(band_sets):
        if band_set is not None:
            offset = (index - (len(series) - 1) / 2) * 5.0  # whiskers side by side
            body.append(_radar_bands(spokes, band_set, STYLES[index], low, high, offset))
    opacity = "0.14" if single else "0.05"
    for index, one in enumerate(series):
        body.append(_radar_series(spokes, one, STYLES[index], low, high, fill_opacity=opacity))
    body.append(_radar_ticks(spokes, ticks, low, high, text))
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
