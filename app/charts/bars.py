"""Score bars: each competency's score with its 90 % band over the band zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup

from app.charts.svg import (
    FRAME,
    INK,
    MUTED,
    STYLES,
    T_SCALE,
    WHITE,
    BarRow,
    _check_scale,
    _decimals_for,
    _el,
    _fmt,
    _interval,
    _labels,
    _line,
    _missing,
    _nice_ticks,
    _svg,
    _text,
    _unit_for,
    _with_unit,
)
from scoring.composite import BAND_CUTS_PERCENT, BAND_CUTS_T

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


def _bars_background(low: float, high: float, plot_bottom: float, text: Mapping[str, str]) -> str:
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
        parts.append(_text(x, plot_bottom + 20, _fmt(tick, decimals, text), font_size=13, **small))
    return "".join(parts)




def _bar_row(row: BarRow, top: float, low: float, high: float, text: Mapping[str, str]) -> str:
    """Label and value on one line; below, the bar, its 90 % band and the band letter."""
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
    shown = _with_unit(value, row.unit, text)
    band = _interval(row.low, row.high)
    if band is not None:
        shown += f"  ({_fmt(band[0], 0, text)}–{_fmt(band[1], 0, text)})"
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
    a, b, c = BAND_CUTS_T if (low, high) == T_SCALE else BAND_CUTS_PERCENT
    sentences = [
        text["scale"].format(low=_fmt(low, 0, text), high=_fmt(high, 0, text), unit=unit),
        text["bands_legend"].format(
            a=_fmt(a, 0, text), b=_fmt(b, 0, text), c=_fmt(c, 0, text), unit=unit
        ),
    ]
    for row in rows:
        if row.value is None or _missing(row.value):
            sentences.append(f"{row.label}: {text['not_scored']}.")
            continue
        item = f"{row.label}: {_with_unit(float(row.value), row.unit, text)}"
        band = _interval(row.low, row.high)
        if band is not None:
            item += ", " + text["band_interval"].format(
                low=_fmt(band[0], 0, text), high=_fmt(band[1], 0, text)
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
    lang: str | None = None,
) -> Markup:
    """One horizontal bar per competency over the A/B/C/D band zones.

    The bar runs from the bottom of the scale to the score (a dark tick marks the score);
    the 90 % band is a shaded, outlined interval across the bar end; the band letter sits
    in a box at the right. Zones use :data:`scoring.composite.BAND_CUTS_T` on the T scale
    ``(20, 80)`` and :data:`~scoring.composite.BAND_CUTS_PERCENT` on ``(0, 100)``.
    A row whose value is ``None`` says "not scored" and draws no bar.
    """
    text = _labels(labels, lang)
    low, high = _check_scale(scale)
    if not rows:
        raise ValueError("score_bars needs at least one row")
    unit = _unit_for((low, high), None)
    plot_bottom = BARS_HEADER + BARS_ROW * len(rows) + 4
    body = [_bars_background(low, high, plot_bottom, text)]
    for index, row in enumerate(rows):
        body.append(_bar_row(row, BARS_HEADER + index * BARS_ROW, low, high, text))
    return _svg(
        "bars",
        view=(0.0, 0.0, BARS_WIDTH, plot_bottom + 28),
        title=title or text["bars_title"],
        desc=_bars_desc(rows, low, high, unit, text),
        body="".join(body),
    )
