"""Server-drawn SVG charts: well-formed, accessible, honest about missing data."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.charts import (
    BAD,
    BARS_LEFT,
    BARS_RIGHT,
    MAX_SERIES,
    PERCENT_SCALE,
    STYLES,
    WHITE,
    BarRow,
    Series,
    cash_curves,
    radar,
    score_bars,
)
from scoring.composite import BAND_CUTS_PERCENT, BAND_CUTS_T

NS = {"svg": "http://www.w3.org/2000/svg"}
AXES = [
    "Business sense",
    "Analysis",
    "Stress resistance",
    "Languages",
    "Communication",
    "Commercial knowledge",
]


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    return ET.fromstring(str(svg))


def all_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iterfind(".//svg:text", NS))


def series_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iterfind(".//svg:g", NS) if g.get("class") == "kam-series"]


def assert_accessible(root: ET.Element) -> tuple[str, str]:
    """role=img, a title and a desc referenced by aria-labelledby, scalable, script-free."""
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert len(root.get("viewBox", "").split()) == 4
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    for element in root.iter():
        assert not element.tag.endswith(("script", "foreignObject", "image", "style"))
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name != "style" and "href" not in name
            assert "url(" not in value
    return title.text, desc.text


def polygon_points(element: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in element.get("points", "").split()]


# --- radar ----------------------------------------------------------------------------------


def test_radar_single_candidate_is_accessible_and_describes_the_scores() -> None:
    svg = radar(AXES, [Series("Anna Rossi", [62, 58, 51, 66, 48, 60])], reference=50)
    root = parse(svg)
    title, desc = assert_accessible(root)
    assert "Anna Rossi" in title
    assert "Analysis 58 T" in desc and "Business sense 62 T" in desc
    assert "Average (50 T)" in desc
    assert len(series_groups(root)) == 1
    # one series: the value is printed beside each axis label
    assert "62 T" in all_text(root) and "48 T" in all_text(root)


def test_radar_draws_one_polygon_per_series_with_distinct_patterns() -> None:
    series = [Series(f"Candidate {i}", [40 + i * 5] * 6) for i in range(3)]
    root = parse(radar(AXES, series))
    groups = series_groups(root)
    assert len(groups) == 3
    polygons = [g.find("svg:polygon", NS) for g in groups]
    assert all(p is not None for p in polygons)
    assert len({(p.get("stroke"), p.get("stroke-dasharray")) for p in polygons}) == 3
    assert len({p.get("stroke-dasharray") for p in polygons}) == 3  # black-and-white print
    legend = all_text(root)
    assert all(f"Candidate {i}" in legend for i in range(3))


def test_radar_handles_five_series_and_refuses_six() -> None:
    five = [Series(f"C{i}", [50 + i] * 6) for i in range(MAX_SERIES)]
    assert len(series_groups(parse(radar(AXES, five)))) == MAX_SERIES == 5
    with pytest.raises(ValueError, match="1 to 5 series"):
        radar(AXES, [*five, Series("C6", [50] * 6)])


def test_radar_does_not_invent_a_missing_value() -> None:
    svg = radar(AXES, [Series("Anna", [62, 58, 51, None, 48, math.nan])])
    root = parse(svg)
    _, desc = assert_accessible(root)
    assert "Languages not scored" in desc and "Commercial knowledge not scored" in desc
    group = series_groups(root)[0]
    points = polygon_points(group.find("svg:polygon", NS))
    centre = points[3]
    assert points[5] == centre  # both missing vertices sit at the centre, not interpolated
    assert centre[1] == 0 and points[0][1] < 0
    hollow = [m for m in group if m.get("fill") == WHITE]
    assert len(hollow) == 2
    assert all_text(root).count("not scored") == 2


def test_radar_comparison_marks_who_is_not_scored_at_the_axis() -> None:
    series = [Series("Anna", [60] * 6), Series("Marco", [50, 50, 50, 50, 50, None])]
    root = parse(radar(AXES, series))
    assert "not scored" in all_text(root)
    _, desc = assert_accessible(root)
    assert "Marco: " in desc and "Commercial knowledge not scored" in desc


def test_radar_escapes_every_text() -> None:
    evil = "<script>alert('x')</script>"
    svg = radar(
        [evil, "B & C", 'say "hi"'],
        [Series(evil, [50, None, 70])],
        labels={"not_scored": "<b>nope</b>"},
        title=evil,
    )
    text = str(svg)
    assert "<script>" not in text and "<b>" not in text
    root = parse(svg)  # still well-formed XML
    assert root.find(".//svg:script", NS) is None
    title, desc = assert_accessible(root)
    assert title == evil
    assert evil in desc and "B & C" in desc
    assert evil in all_text(root)


def test_radar_bands_are_drawn_as_whiskers_and_described() -> None:
    bands = [[(55, 69), (52, 64), None, (60, 72), (41, 55), (53, 67)]]
    root = parse(radar(AXES, [Series("Anna", [62, 58, 51, 66, 48, 60])], bands=bands))
    whiskers = [g for g in root.iterfind(".//svg:g", NS) if g.get("class") == "kam-bands"]
    assert len(whiskers) == 1
    assert len(whiskers[0].findall("svg:line", NS)) == 5 * 3  # bar and two caps per band
    _, desc = assert_accessible(root)
    assert "Business sense 62 T (90 % band 55–69)" in desc


def test_radar_reference_is_a_dashed_polygon() -> None:
    root = parse(radar(AXES, [Series("Anna", [60] * 6)], reference=50))
    dashed = [p for p in root.iterfind("svg:polygon", NS) if p.get("stroke-dasharray")]
    assert len(dashed) == 1


def test_radar_percent_scale_and_translated_labels() -> None:
    svg = radar(
        AXES[:3],
        [Series("Anna", [71, None, 40])],
        scale=PERCENT_SCALE,
        labels={"not_scored": "non valutato", "scale": "Scala {low}–{high} {unit}."},
    )
    _, desc = assert_accessible(parse(svg))
    assert desc.startswith("Scala 0–100 %.")
    assert "Business sense 71 %" in desc and "Analysis non valutato" in desc


def test_radar_keeps_coordinates_short() -> None:
    svg = str(radar(AXES, [Series("Anna", [61.23456] * 6)]))
    numbers = re.findall(r' (?:points|[xy][12]?|c[xy]|width|height)="([^"]+)"', svg)
    decimals = [n.split(".")[1] for value in numbers for n in re.split(r"[ ,]", value) if "." in n]
    assert decimals and all(len(d) == 1 for d in decimals)


@pytest.mark.parametrize(
    ("axes", "series", "message"),
    [
        (AXES[:2], [Series("A", [1, 2])], "at least 3 axes"),
        (AXES, [Series("A", [50] * 5)], "has 5 values for 6 axes"),
        (AXES, [], "1 to 5 series"),
    ],
)
def test_radar_rejects_bad_input(axes: list[str], series: list[Series], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        radar(axes, series)


def test_radar_rejects_bands_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="bands"):
        radar(AXES, [Series("A", [50] * 6)], bands=[[(40, 60)]])


# --- score bars -----------------------------------------------------------------------------


def bar_rects(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iterfind("svg:rect", NS) if r.get("fill") == STYLES[0].colour]


def x_of(value: float, low: float = 20, high: float = 80) -> float:
    return BARS_LEFT + (BARS_RIGHT - BARS_LEFT) * (value - low) / (high - low)


def test_score_bars_place_values_on_the_scale_with_bands_and_letters() -> None:
    rows = [
        BarRow("Analysis", 62, 55, 69, "A"),
        BarRow("Communication", 41, 34, 48, "D"),
        BarRow("Off the scale", 95, 88, 102, "A"),
    ]
    root = parse(score_bars(rows))
    _, desc = assert_accessible(root)
    assert "Analysis: 62 T, 90 % band 55–69, band A." in desc
    assert "A ≥ 60, B 55–60, C 45–55, D < 45 T" in desc
    bars = bar_rects(root)
    assert len(bars) == 3
    for bar, value in zip(bars, (62, 41, 80), strict=True):  # 95 is drawn at the rim
        end = float(bar.get("x")) + float(bar.get("width"))
        assert BARS_LEFT <= end <= BARS_RIGHT
        assert end == pytest.approx(x_of(value), abs=0.11)
    intervals = [r for r in root.iterfind("svg:rect", NS) if r.get("fill-opacity")]
    assert len(intervals) == 3
    first = intervals[0]
    assert float(first.get("x")) == pytest.approx(x_of(55), abs=0.11)
    assert float(first.get("x")) + float(first.get("width")) == pytest.approx(x_of(69), abs=0.2)
    texts = all_text(root)
    assert "62 T" in texts and "(55–69)" in texts
    assert [t for t in texts.split() if t in "ABCD"].count("A") >= 3  # zone + two badges


def zone_edges(root: ET.Element) -> dict[str, tuple[float, float]]:
    letters = {
        t.text: float(t.get("x"))
        for t in root.iterfind("svg:text", NS)
        if t.text in ("A", "B", "C", "D") and t.get("font-size") == "14"
    }
    zones = [r for r in root.iterfind("svg:rect", NS) if r.get("y") == "0"]
    edges = {}
    for rect in zones:
        x0 = float(rect.get("x"))
        x1 = x0 + float(rect.get("width"))
        letter = next(k for k, x in letters.items() if x0 < x < x1)
        edges[letter] = (x0, x1)
    return edges


def test_score_bars_zones_follow_the_composite_band_cuts() -> None:
    a, b, c = BAND_CUTS_T
    edges = zone_edges(parse(score_bars([BarRow("Analysis", 50)])))
    assert set(edges) == {"A", "B", "C", "D"}
    assert edges["A"][0] == pytest.approx(x_of(a), abs=0.1)
    assert edges["B"][0] == pytest.approx(x_of(b), abs=0.1)
    assert edges["C"][0] == pytest.approx(x_of(c), abs=0.1)
    a, b, c = BAND_CUTS_PERCENT
    edges = zone_edges(parse(score_bars([BarRow("Analysis", 50, unit="%")], scale=PERCENT_SCALE)))
    assert edges["A"][0] == pytest.approx(x_of(a, 0, 100), abs=0.1)
    assert edges["C"][0] == pytest.approx(x_of(c, 0, 100), abs=0.1)


def test_score_bars_say_not_scored_and_draw_no_bar() -> None:
    root = parse(score_bars([BarRow("Languages", None), BarRow("Analysis", 58, None, None, "B")]))
    _, desc = assert_accessible(root)
    assert "Languages: not scored." in desc
    assert len(bar_rects(root)) == 1
    assert "not scored" in all_text(root)


def test_score_bars_escape_labels_and_need_rows() -> None:
    root = parse(score_bars([BarRow("<script>x</script>", 50, 45, 55, "<C>")]))
    assert "<script>x</script>" in all_text(root)
    with pytest.raises(ValueError, match="at least one row"):
        score_bars([])


# --- cash curves ----------------------------------------------------------------------------

EXPERIENCED = [-13_500.0, -4_000.0, 2_000.0, 11_289.0, 25_000.0, 40_000.0]
IN_HOUSE = [-7_510.0, -15_000.0, -19_220.0, -16_000.0, -8_000.0, 3_000.0]


def polylines(root: ET.Element) -> list[ET.Element]:
    return root.findall("svg:polyline", NS)


def test_cash_curves_draw_both_options_with_zero_line_and_break_even() -> None:
    svg = cash_curves(
        {"experienced": EXPERIENCED, "grow_in_house": IN_HOUSE},
        break_even={"experienced": 3, "grow_in_house": 6},
    )
    root = parse(svg)
    title, desc = assert_accessible(root)
    assert "Cumulative cash" in title
    assert "Experienced hire: −13.5k € in month 1" in desc
    assert "lowest −19.2k € (month 3)" in desc and "break-even month 6" in desc
    lines = polylines(root)
    assert len(lines) == 2
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    starts = [polygon_points(line)[0] for line in lines]
    assert starts[0] == starts[1]  # both start from 0 at month 0
    zero_y = starts[0][1]
    ys = [y for line in lines for _, y in polygon_points(line)]
    assert min(ys) < zero_y < max(ys)  # values above and below zero
    zero_line = [
        ln
        for ln in root.iterfind("svg:line", NS)
        if ln.get("y1") == ln.get("y2")
        and float(ln.get("y1")) == zero_y
        and ln.get("stroke-width") == "1.4"
    ]
    assert len(zero_line) == 1
    hollow = [
        el
        for el in root.iter()
        if el.get("fill") == WHITE and el.get("stroke") in (STYLES[0].colour, STYLES[1].colour)
    ]
    assert len(hollow) >= 2  # break-even markers (and their legend swatches)
    texts = all_text(root)
    assert "Experienced hire · break-even month 3" in texts
    assert "−20" in texts and "40" in texts  # y ticks in thousands
    assert BAD not in str(svg)  # no budget line when no budget


def test_cash_curves_budget_line_and_no_break_even() -> None:
    svg = cash_curves(
        {"experienced": EXPERIENCED, "grow_in_house": IN_HOUSE},
        break_even={"experienced": 3, "grow_in_house": None},
        budget=15_000,
    )
    root = parse(svg)
    _, desc = assert_accessible(root)
    assert "no break-even within 6 months" in desc and "Hiring budget 15k €." in desc
    budget = [ln for ln in root.iterfind("svg:line", NS) if ln.get("stroke") == BAD]
    assert len(budget) == 1 and budget[0].get("stroke-dasharray")
    assert "Hiring budget 15k €" in all_text(root)


def test_cash_curves_budget_below_the_data_extends_the_axis() -> None:
    root = parse(cash_curves({"experienced": [1_000.0, 5_000.0]}, budget=50_000))
    budget_y = float(
        next(ln.get("y1") for ln in root.iterfind("svg:line", NS) if ln.get("stroke") == BAD)
    )
    _, _, _, height = map(float, root.get("viewBox").split())
    assert 0 < budget_y < height
    assert "−50" in all_text(root)


def test_cash_curves_translate_labels_and_escape_names() -> None:
    labels = {"experienced": "Assumere <esperto>", "month": "Mese", "decimal_mark": ","}
    root = parse(cash_curves({"experienced": [-1_250.0, 500.0]}, labels=labels))
    texts = all_text(root)
    assert "Assumere <esperto>" in texts and "Mese" in texts
    _, desc = assert_accessible(root)
    assert "−1,2k €" in desc or "−1,3k €" in desc


@pytest.mark.parametrize(
    ("series", "budget", "message"),
    [
        ({}, None, "1 to 5 series"),
        ({"experienced": []}, None, "at least one month"),
        ({"experienced": [1.0, math.inf]}, None, "finite"),
        ({"experienced": [1.0]}, -5.0, "budget"),
    ],
)
def test_cash_curves_reject_bad_input(
    series: dict[str, list[float]], budget: float | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cash_curves(series, budget=budget)


def test_charts_are_deterministic_and_ids_differ_between_charts() -> None:
    one = radar(AXES, [Series("Anna", [60] * 6)])
    assert one == radar(AXES, [Series("Anna", [60] * 6)])
    other = radar(AXES, [Series("Marco", [60] * 6)])
    assert parse(one).get("aria-labelledby") != parse(other).get("aria-labelledby")


@pytest.mark.parametrize(
    ("lang", "grouped", "decimal", "tick"),
    [("it", "1.500k €", "−30,5k €", "0,20"), ("en", "1,500k €", "−30.5k €", "0.20")],
)
def test_every_number_in_a_chart_is_written_in_the_page_language(
    lang: str, grouped: str, decimal: str, tick: str
) -> None:
    """Babel writes the numbers a person reads (app.core.numbers): the decimal mark and the
    grouping of thousands of the page's language, on the axes, labels and descriptions."""
    cash = parse(
        cash_curves({"experienced": [-30_500.0, -1_250_000.0, 2_000_000.0]}, budget=1_500_000.0,
                    lang=lang)
    )
    _, desc = assert_accessible(cash)
    assert f"Hiring budget {grouped}" in all_text(cash)  # the budget line's label
    assert decimal in desc and grouped in desc
    assert "1500" not in all_text(cash) + desc  # never ungrouped

    # A scale of fractions: ring values and the scale sentence with the page's decimal mark.
    profile = parse(radar(AXES[:3], [Series("A", [0.25, 0.5, 0.75])], scale=(0.0, 1.0),
                          unit="", lang=lang))
    _, desc = assert_accessible(profile)
    assert tick in all_text(profile).split()
    bars = parse(score_bars([BarRow("Analysis", 0.4, 0.25, 0.5)], scale=(0.0, 1.0), lang=lang))
    assert tick in all_text(bars).split()


def test_without_a_language_the_labels_decimal_mark_chooses_it() -> None:
    """The cost page passes its decimal mark among the labels: a comma means Italian."""
    root = parse(cash_curves({"experienced": [-1_250_000.0]}, labels={"decimal_mark": ","}))
    assert "−1.250k €" in assert_accessible(root)[1]
