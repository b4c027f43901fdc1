"""CSV / XLSX pipeline exports and the offline PDF renderer."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from enum import Enum
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.charts import Series, radar
from app.documents.exports import (
    OFFLINE_BASE_URL,
    RefusedURL,
    neutralise_formula,
    pdf_from_html,
    pipeline_csv,
    pipeline_xlsx,
    static_url_fetcher,
)


class Status(Enum):
    COMPLETED = "completed"


COLUMNS = [
    ("name", "Candidate"),
    ("fit", "Fit (T)"),
    ("band", "Band"),
    ("invited", "Invited on"),
    ("submitted", "Submitted at"),
    ("status", "Status"),
    ("note", "Note"),
]
ROWS = [
    {
        "name": "Zoë D'Angelo",
        "fit": 61.5,
        "band": "A",
        "invited": dt.date(2026, 11, 2),
        "submitted": dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC),
        "status": Status.COMPLETED,
        "note": 'said "yes", then\nleft',
    },
    {
        "name": '=HYPERLINK("http://evil","x")',
        "fit": None,
        "band": None,
        "invited": dt.date(2026, 11, 4),
        "submitted": None,
        "status": "invited",
        "note": "-2+3",
    },
    {"name": "@SUM(A1)", "fit": -3, "band": "D", "note": "\tcmd|' /C calc'!A0"},
    {"name": "+1", "fit": Decimal("47.25"), "band": "C", "note": "\rx"},
]


# --- CSV ------------------------------------------------------------------------------------


def read_csv(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_csv_round_trips_through_the_csv_module() -> None:
    text = pipeline_csv(ROWS, COLUMNS)
    table = read_csv(text)
    assert table[0] == [header for _, header in COLUMNS]
    assert table[1] == [
        "Zoë D'Angelo",
        "61.5",
        "A",
        "2026-11-02",
        "2026-11-03T09:30:00+00:00",
        "completed",
        'said "yes", then\nleft',
    ]
    assert table[2][1:3] == ["", ""]  # None is an empty cell
    assert table[3][1] == "-3"  # a negative number is a number, not a formula
    assert table[4][1] == "47.25"
    assert len(table) == 1 + len(ROWS)


def test_csv_is_rfc_4180() -> None:
    text = pipeline_csv(ROWS[:1], COLUMNS)
    assert text.endswith("\r\n") and text.count("\r\n") == 2  # header + row; LF inside quotes
    assert '"said ""yes"", then\nleft"' in text
    assert not text.startswith("\ufeff")


def test_csv_neutralises_formulas() -> None:
    table = read_csv(pipeline_csv(ROWS, COLUMNS))
    assert table[2][0] == '\'=HYPERLINK("http://evil","x")'
    assert table[2][6] == "'-2+3"
    assert table[3][0] == "'@SUM(A1)"
    assert table[3][6] == "'\tcmd|' /C calc'!A0"
    assert table[4][0] == "'+1"
    assert table[4][6] == "'\rx"
    for row in table:
        for index, cell in enumerate(row):
            if index != 1:  # the numeric column keeps its minus sign
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_headers_are_guarded_too() -> None:
    table = read_csv(pipeline_csv([], [("x", "=cmd")]))
    assert table == [["'=cmd"]]


def test_csv_bom_and_semicolon_for_excel() -> None:
    text = pipeline_csv(ROWS[:1], COLUMNS[:2], bom=True, delimiter=";")
    assert text.startswith("\ufeff")
    assert read_csv(text.removeprefix("\ufeff"), delimiter=";") == [
        ["Candidate", "Fit (T)"],
        ["Zoë D'Angelo", "61.5"],
    ]
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_csv_rejects_a_bad_delimiter() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        pipeline_csv([], COLUMNS, delimiter='"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "'=1+1"), ("plain", "plain"), ("", ""), ("a=b", "a=b"), ("-", "'-")],
)
def test_neutralise_formula(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected


# --- XLSX -----------------------------------------------------------------------------------


def open_sheet(data: bytes):  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(data))
    return workbook, workbook.active


def test_xlsx_has_a_bold_frozen_header_and_typed_values() -> None:
    data = pipeline_xlsx(ROWS, COLUMNS, sheet_title="Pipeline: KAM Milano [2026]")
    assert data.startswith(b"PK")
    workbook, sheet = open_sheet(data)
    assert sheet.title == "Pipeline  KAM Milano  2026"
    assert [c.value for c in sheet[1]] == [header for _, header in COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G5"
    first = sheet[2]
    assert first[0].value == "Zoë D'Angelo" and first[0].data_type == "s"
    assert first[1].value == 61.5 and first[1].data_type == "n"
    assert first[3].is_date and first[3].value == dt.datetime(2026, 11, 2)
    assert first[3].number_format == "yyyy-mm-dd"
    assert first[4].is_date and first[4].value == dt.datetime(2026, 11, 3, 9, 30)  # UTC
    assert first[5].value == "completed"
    assert sheet.cell(row=4, column=2).value == -3
    assert sheet.cell(row=5, column=2).value == pytest.approx(47.25)
    assert sheet.cell(row=3, column=2).value is None
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width
    workbook.close()


def test_xlsx_neutralises_formulas() -> None:
    workbook, sheet = open_sheet(pipeline_xlsx(ROWS, COLUMNS, sheet_title="x"))
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert sheet["A3"].value == '\'=HYPERLINK("http://evil","x")'
    assert sheet["G3"].value == "'-2+3"
    assert sheet["A4"].value == "'@SUM(A1)"
    workbook.close()


def test_xlsx_drops_characters_xml_cannot_hold() -> None:
    data = pipeline_xlsx([{"name": "bell\x07 and\x00 nul"}], COLUMNS[:1], sheet_title="")
    workbook, sheet = open_sheet(data)
    assert sheet["A2"].value == "bell and nul"
    assert sheet.title == "Sheet1"
    workbook.close()


# --- PDF ------------------------------------------------------------------------------------


def report_html(name: str) -> str:
    chart = radar(
        ["Analysis", "Communication", "Languages"], [Series(name, [62, 48, None])], reference=50
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Report</title><link rel="stylesheet" href="/static/kam.css"></head>
<body><main><h1>Candidate report: {name}</h1><div class="card">{chart}</div></main></body>
</html>"""


def test_pdf_renders_the_report_with_its_text() -> None:
    pdf = pdf_from_html(report_html("Zoë D'Angelo"))
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Zoë D'Angelo" in text
    assert "Communication" in text and "not scored" in text  # the inline SVG chart


def test_pdf_does_not_fetch_from_the_network(caplog: pytest.LogCaptureFixture) -> None:
    html = (
        '<html><body><p>Offline</p><img src="http://127.0.0.1:9/track.png">'
        '<link rel="stylesheet" href="https://example.com/x.css"></body></html>'
    )
    pdf = pdf_from_html(html, base_url="https://kam.example.com/")
    assert pdf.startswith(b"%PDF")
    refused = [r for r in caplog.records if "RefusedURL" in r.getMessage()]
    assert len(refused) == 2


def test_url_fetcher_refuses_http_and_files_outside_static() -> None:
    fetcher = static_url_fetcher()
    for url in (
        "http://example.com/logo.png",
        "https://example.com/static/kam.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        f"{OFFLINE_BASE_URL}static/../main.py",
        f"{OFFLINE_BASE_URL}static/%2e%2e/main.py",
        f"{OFFLINE_BASE_URL}static/missing.css",
        f"{OFFLINE_BASE_URL}main.py",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_url_fetcher_serves_static_files_and_data_urls() -> None:
    static_css = Path(__file__).resolve().parents[3] / "app" / "static" / "kam.css"
    fetcher = static_url_fetcher(base_url="https://kam.example.com/")
    for url in ("https://kam.example.com/static/kam.css?v=2", static_css.as_uri()):
        response = fetcher.fetch(url)
        assert response.content_type == "text/css"
        assert response.read() == static_css.read_bytes()
        response.close()
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    response.close()
