"""Inviting many candidates at once: a pasted list, a CSV or an XLSX file, read into rows
(name, e-mail, language, extra time), each checked on its own so a preview can show every
row's problem next to it before anything is sent.

Columns in this order, or in any order under a header row that names them (``name``,
``e-mail``, ``language``, ``extra time``, in English or Italian). Separators: tab, ``;`` or
``,`` (the first one found in the first line). Language and extra time may be left empty
(the position's default: the invitation form's language; no extra time).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from app.candidates.models import Candidate

#: At most this many rows in one go (a larger list: split it).
MAX_ROWS = 500
EXTRA_TIMES = (0, 25, 50, 100)
_HEADERS = {
    "name": ("name", "full name", "full_name", "nome", "nome e cognome", "candidate",
             "candidato", "candidata"),
    "email": ("email", "e-mail", "mail", "posta elettronica"),
    "language": ("language", "lang", "lingua"),
    "extra_time_pct": ("extra time", "extra_time", "extra_time_pct", "extra time %",
                       "tempo aggiuntivo", "tempo extra"),
}
_LANGUAGES = {"it": "it", "ita": "it", "italian": "it", "italiano": "it", "en": "en",
              "eng": "en", "english": "en", "inglese": "en"}
COLUMNS = ("name", "email", "language", "extra_time_pct")


@dataclass
class Row:
    """One line of the list, as read and as checked."""

    line: int
    name: str
    email: str
    language: str
    extra_time: str
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    language_code: str | None = None
    extra_time_pct: int | None = None

    @property
    def ok(self) -> bool:
        """No problem: this row can be sent."""
        return not self.problems

    def values(self) -> dict[str, str]:
        """The row as typed, for the preview and the form that sends it."""
        return {"name": self.name, "email": self.email, "language": self.language,
                "extra_time": self.extra_time}


class UnreadableFile(ValueError):
    """The upload is not a CSV or XLSX this module can read (the message says why)."""


def _cells_from_text(text: str) -> list[list[str]]:
    """One row per line, each line split at its own separator (a tab, else ";", else ","):
    rows pasted from a spreadsheet and rows typed by hand can be mixed in one list."""
    rows = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        separator = next((s for s in ("\t", ";", ",") if s in line), "\t")
        cells = next(csv.reader([line], delimiter=separator), [])
        rows.append([cell.strip() for cell in cells])
    return rows


def _cells_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise UnreadableFile("xlsx") from exc
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2):
        rows.append(["" if v is None else _cell_text(v) for v in values])
    workbook.close()
    return rows


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(*, text: str = "", filename: str = "", data: bytes = b"") -> list[Row]:
    """The rows of a pasted list or an uploaded file (header and blank lines left out)."""
    if data:
        if filename.lower().endswith(".xlsx"):
            cells = _cells_from_xlsx(data)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")  # Excel's CSV on Windows
            cells = _cells_from_text(text)
    else:
        cells = _cells_from_text(text)
    order: list[int | None] = list(range(len(COLUMNS)))
    rows: list[Row] = []
    for number, row in enumerate(cells, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if not rows and number == _first_filled(cells) and (found := _header(row)):
            order = found
            continue
        picked = [row[i].strip() if i is not None and i < len(row) else "" for i in order]
        name, email, language, extra_time = picked
        rows.append(Row(number, name, email, language, extra_time))
    return rows


def _first_filled(cells: list[list[str]]) -> int:
    return next((n for n, row in enumerate(cells, start=1) if any(c.strip() for c in row)), 0)


def _header(row: list[str]) -> list[int | None] | None:
    """The column of each field when ``row`` is a header row naming the e-mail column."""
    names = [re.sub(r"\s+", " ", cell.strip().lower()) for cell in row]
    positions: list[int | None] = []
    for key in COLUMNS:
        positions.append(next((i for i, n in enumerate(names) if n in _HEADERS[key]), None))
    return positions if positions[1] is not None else None


def check(
    session: Session, *, position_id: int, rows: list[Row], default_language: str
) -> list[Row]:
    """Each row's problems (as message keys with their values, worded by the page)."""
    if len(rows) > MAX_ROWS:
        for row in rows[MAX_ROWS:]:
            row.problems.append(("too_many", {"max": MAX_ROWS}))
    seen: dict[str, int] = {}
    emails = [row.email.strip().lower() for row in rows]
    invited = set(session.exec(
        select(Candidate.email).where(Candidate.position_id == position_id,
                                      col(Candidate.email).in_(emails),
                                      col(Candidate.erased_at).is_(None))
    ).all()) if emails else set()
    for row in rows:
        if not row.name.strip():
            row.problems.append(("name_missing", {}))
        elif len(row.name) > 200:
            row.problems.append(("name_long", {}))
        email = row.email.strip().lower()
        if not email:
            row.problems.append(("email_missing", {}))
        else:
            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                row.problems.append(("email_invalid", {"email": row.email}))
            else:
                if email in invited:
                    row.problems.append(("already_invited", {"email": email}))
                elif email in seen:
                    row.problems.append(("repeated", {"line": seen[email]}))
                seen.setdefault(email, row.line)
        language = row.language.strip().lower()
        row.language_code = _LANGUAGES.get(language) if language else default_language
        if row.language_code is None:
            row.problems.append(("language", {"value": row.language}))
        extra = row.extra_time.strip().rstrip("%").strip().lstrip("+")
        if not extra:
            row.extra_time_pct = 0
        elif extra.isdigit() and int(extra) in EXTRA_TIMES:
            row.extra_time_pct = int(extra)
        else:
            row.problems.append(("extra_time", {"value": row.extra_time}))
    return rows
