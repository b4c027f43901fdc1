"""Pipeline exports (CSV, XLSX) and the PDF report renderer (SPEC §6).

Pure functions: rows in, bytes or text out. Pages decide which rows and columns a user may
export; this module only writes them safely.

Spreadsheet formula injection (OWASP "CSV Injection"): a text cell starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return can run as a formula when the file is opened in
Excel or LibreOffice, so such text is prefixed with a single quote. Numbers stay numbers (a
negative number is not text and is left alone).

openpyxl and WeasyPrint are imported when first used: WeasyPrint alone takes over a second
to import and needs Pango, which the rest of the service does not.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

Columns = Sequence[tuple[str, str]]  # (row key, header shown to people)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: Base URL of HTML rendered without one: the reserved ``.invalid`` TLD never resolves, and
#: the fetcher maps ``/static/...`` under it to ``app/static`` on disk.
OFFLINE_BASE_URL = "https://kam-assess.invalid/"
XLSX_MAX_WIDTH = 60
XLSX_MAX_CELL_CHARS = 32_767  # Excel's limit per cell
XLSX_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def neutralise_formula(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with a single quote.

    >>> neutralise_formula("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise_formula("Rossi")
    'Rossi'
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _plain(value: Any) -> Any:
    """Unwrap enums (their value) so both writers see plain Python values."""
    return value.value if isinstance(value, Enum) else value


def _csv_cell(value: Any, decimal: str = ".") -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value).replace(".", decimal)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    return neutralise_formula(str(value))


def pipeline_csv(
    rows: Iterable[Mapping[str, Any]],
    columns: Columns,
    *,
    bom: bool = False,
    delimiter: str = ",",
    decimal: str = ".",
) -> str:
    """The rows as RFC 4180 CSV text: CRLF line ends, fields quoted when needed.

    Parameters
    ----------
    rows : mappings; a missing key is an empty cell.
    columns : ``(key, header)`` pairs, in order; the headers form the first line.
    bom : start with U+FEFF so Excel opens the UTF-8 file with the right accents.
    delimiter : ``","`` by default; ``";"`` suits Excel in locales with a decimal comma
        (Italian), which otherwise puts every row in one column.
    decimal : the decimal mark of numbers, ``"."`` by default; ``","`` for Italian Excel
        (then the delimiter must not be ``","``).

    Numbers are written with ``decimal`` as decimal mark (no thousands separator), dates
    and datetimes in ISO 8601, booleans as ``true``/``false``, ``None`` and NaN as empty;
    text starting with ``= + - @`` tab or CR gets a leading ``'`` (:func:`neutralise_formula`).
    """
    if len(delimiter) != 1 or delimiter in "\"'\r\n":
        raise ValueError(
            f"delimiter must be one character other than quotes and line ends, got {delimiter!r}"
        )
    if decimal not in (".", ",") or decimal == delimiter:
        raise ValueError(f"decimal must be '.' or ',' and differ from the delimiter, "
                         f"got {decimal!r}")
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise_formula(header) for _, header in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key), decimal) for key, _ in columns])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# XLSX


def _xlsx_cell(value: Any, illegal: re.Pattern[str]) -> tuple[Any, str | None]:
    """A value openpyxl stores with its type, and the number format it needs.

    ``illegal`` matches the control characters XML (hence XLSX) cannot hold.
    """
    value = _plain(value)
    if value is None or isinstance(value, bool | int | Decimal):
        return value, None
    if isinstance(value, float):
        return (value if math.isfinite(value) else None), "0.0##"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # Excel has no time zones: store UTC wall time
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value, "yyyy-mm-dd hh:mm"
    if isinstance(value, dt.date):
        return value, "yyyy-mm-dd"
    text = neutralise_formula(illegal.sub("", str(value)))
    return text[:XLSX_MAX_CELL_CHARS], None


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``, not empty."""
    cleaned = XLSX_SHEET_TITLE_FORBIDDEN.sub(" ", title).strip().strip("'")
    return cleaned[:31] or "Sheet1"


def _display_width(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    return len(str(value)) if value is not None else 0


def pipeline_xlsx(
    rows: Iterable[Mapping[str, Any]], columns: Columns, *, sheet_title: str
) -> bytes:
    """The rows as an Excel workbook with one sheet.

    The header row is bold, frozen and has an autofilter; numbers are stored as numbers,
    dates as dates (``yyyy-mm-dd``; aware datetimes converted to UTC, as Excel has no time
    zones), text through the same formula guard as the CSV. Column widths follow the
    longest value (up to 60 characters).
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(sheet_title)
    headers = [neutralise_formula(header) for _, header in columns]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(header) for header in headers]
    for row_number, row in enumerate(rows, start=2):
        for column_number, (key, _) in enumerate(columns, start=1):
            value, number_format = _xlsx_cell(row.get(key), ILLEGAL_CHARACTERS_RE)
            cell = sheet.cell(row=row_number, column=column_number, value=value)
            if number_format:
                cell.number_format = number_format
            widths[column_number - 1] = max(widths[column_number - 1], _display_width(value))
    for column_number, width in enumerate(widths, start=1):
        letter = get_column_letter(column_number)
        sheet.column_dimensions[letter].width = min(XLSX_MAX_WIDTH, max(8, width + 2))
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{sheet.max_row}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF


class RefusedURL(ValueError):
    """The PDF renderer asked for something outside app/static (or a data: URL)."""


@functools.cache
def _fetcher_class() -> type:
    """The WeasyPrint ``URLFetcher`` subclass, built on first use (lazy import)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    # Ignored: WeasyPrint ships no type information, so its base class is Any to mypy.
    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves ``data:`` URLs and files under one directory; refuses everything else.

        ``static_url`` (an absolute URL prefix such as ``https://host/static/``) is mapped
        to the directory on disk, so pages can keep their usual ``/static/...`` links and
        nothing ever goes to the network.
        """

        def __init__(self, static_dir: Path, static_url: str | None) -> None:
            super().__init__(
                allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False
            )
            self.static_dir = static_dir.resolve()
            self.static_url = static_url

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            path = self._local_path(url, scheme)
            if path is None:
                raise RefusedURL(f"the PDF renderer only reads app/static, refused {url!r}")
            mime, _ = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                url, path.read_bytes(), {"Content-Type": mime or "application/octet-stream"}
            )

        def _local_path(self, url: str, scheme: str) -> Path | None:
            if self.static_url and url.startswith(self.static_url):
                relative = unquote(urlsplit(url[len(self.static_url) :]).path)
                candidate = self.static_dir / relative.lstrip("/")
            elif scheme == "file":
                candidate = Path(url2pathname(urlsplit(url).path))
            else:
                return None
            resolved = candidate.resolve()
            if not resolved.is_relative_to(self.static_dir) or not resolved.is_file():
                return None
            return resolved

    return StaticOnlyFetcher


def static_url_fetcher(*, base_url: str | None = None, static_dir: Path = STATIC_DIR) -> Any:
    """A WeasyPrint URL fetcher that only reads ``static_dir`` and ``data:`` URLs.

    ``/static/...`` under ``base_url`` (or under :data:`OFFLINE_BASE_URL` when there is no
    base) is read from ``static_dir``; ``file:`` URLs inside it are allowed too. Anything
    else — http(s) elsewhere, other files, path tricks — raises :class:`RefusedURL`, which
    WeasyPrint logs and skips (the resource is left out of the PDF).
    """
    static_url = urljoin(base_url or OFFLINE_BASE_URL, "/static/")
    return _fetcher_class()(static_dir, static_url)


def pdf_from_html(
    html: str, *, base_url: str | None = None, static_dir: Path = STATIC_DIR
) -> bytes:
    """Render an HTML page (a report template's output) to PDF bytes with WeasyPrint.

    ``/static/...`` links (as ``base.html`` writes them) are read from ``static_dir`` on
    disk; every other URL is refused and logged, so nothing is fetched from the network.
    Pass the request's base URL as ``base_url`` so links in the PDF point at the site;
    without it an offline placeholder is used. Inline ``<svg>`` charts from
    :mod:`app.charts` render as vectors; fonts come from the machine (fontconfig).
    """
    from weasyprint import HTML

    base = base_url or OFFLINE_BASE_URL
    document = HTML(
        string=html,
        base_url=base,
        url_fetcher=static_url_fetcher(base_url=base, static_dir=static_dir),
    )
    pdf = document.write_pdf()
    if pdf is None:  # only when a target is given; keeps the return type honest
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
