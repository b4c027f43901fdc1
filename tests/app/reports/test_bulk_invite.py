"""Inviting several candidates at once: paste, CSV, XLSX, preview with per-row problems,
send the valid rows, the hourly limit per row."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from openpyxl import Workbook
from sqlmodel import select

from app.candidates.models import Candidate
from app.core.clock import utcnow
from app.ops import ratelimit
from app.ops.ratelimit import RateEvent
from app.outbox.models import OutboxMessage
from tests.factories import form_shown_again, invite_candidate, login_browser

PASTED = """Nome\tE-mail\tLingua\tTempo aggiuntivo
Giulia Bianchi\tgiulia.bianchi@example.com\tit\t0
Mark Twain\tmark@example.com\ten\t25
\tno-name@example.com\tit\t
Lia Doppia\tnot-an-email\tit\t0
Rita Ripetuta\tgiulia.bianchi@example.com\t\t
Otto Lingua\totto@example.com\tde\t10
Vera Vecchia\tvera@example.com\t\t
"""


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _candidates(session, position_id: int) -> list[str]:
    return sorted(session.exec(select(Candidate.email).where(
        Candidate.position_id == position_id)).all())


def test_paste_preview_shows_each_rows_problem_and_sends_the_valid_rows(client, session, team):
    invite_candidate(session, position=team.position, actor=team.hr, email="vera@example.com")
    login_browser(client, team.hr)
    path = f"/positions/{team.position.id}/invite-many"
    form_page = client.get(path)
    assert "you can send 200 more now" in form_page.text
    before = _candidates(session, team.position.id)
    preview = client.post(path, data={"csrf_token": _csrf(form_page.text), "text": PASTED,
                                      "action": "preview"})
    assert preview.status_code == 200
    text = preview.text
    assert "Preview: nothing has been sent yet" in text
    assert "Ready to send: 2. With a problem: 5" in text
    assert "The name is missing." in text
    assert "not-an-email is not an e-mail address." in text
    assert "The same e-mail as line 2." in text
    assert "Language de: write it (Italian) or en (English)." in text
    assert "Extra time 10: write 0, 25, 50 or 100." in text
    assert "Already invited to this position" in text
    assert _candidates(session, team.position.id) == before  # nothing sent by a preview
    resend = re.search(r'name="text" value="([^"]*)"', text).group(1)
    sent = client.post(path, data={"csrf_token": _csrf(text), "text": resend.replace("&#9;", "\t"),
                                   "action": "send"})
    assert sent.status_code == 200 and "Invitations sent: 2" in sent.text
    session.expire_all()
    new = {c.email: c for c in session.exec(select(Candidate).where(
        Candidate.position_id == team.position.id)).all()}
    assert new["giulia.bianchi@example.com"].language == "it"
    assert new["mark@example.com"].language == "en" and new["mark@example.com"].extra_time_pct == 25
    mails = [m for m in session.exec(select(OutboxMessage)).all()
             if m.payload["to"] in ("giulia.bianchi@example.com", "mark@example.com")]
    assert len(mails) == 2
    # Sending the same list again sends nothing: every row is now already invited.
    again = client.post(path, data={"csrf_token": _csrf(text), "text": resend, "action": "send"})
    assert "Invitations sent: 0" in again.text


def test_csv_with_semicolons_and_a_bom_and_an_xlsx_file(client, session, team):
    login_browser(client, team.hr)
    path = f"/positions/{team.position.id}/invite-many"
    csrf = _csrf(client.get(path).text)
    csv_bytes = "\ufeffnome;email;lingua\nAnna Csv;anna.csv@example.com;it\n".encode()
    preview = client.post(path, data={"csrf_token": csrf, "action": "preview"},
                          files={"file": ("list.csv", csv_bytes, "text/csv")})
    assert "Ready to send: 1. With a problem: 0" in preview.text
    assert "anna.csv@example.com" in preview.text
    book = Workbook()
    sheet = book.active
    sheet.append(["E-mail", "Name", "Extra time"])
    sheet.append(["xl@example.com", "Xena Excel", 50])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = client.post(path, data={"csrf_token": csrf, "action": "preview"},
                          files={"file": ("list.xlsx", buffer.getvalue(),
                                          "application/octet-stream")})
    assert "Xena Excel" in preview.text and "Ready to send: 1." in preview.text
    broken = client.post(path, data={"csrf_token": csrf, "action": "preview"},
                         files={"file": ("list.xlsx", b"not a zip", "application/octet-stream")})
    assert "The file could not be read" in form_shown_again(broken).text


def test_rows_past_the_hourly_limit_are_listed_as_not_sent(client, session, team):
    now = utcnow()
    key = ratelimit.INVITATIONS.key(f"user:{team.hr.id}")
    for n in range(ratelimit.INVITATIONS.max_events - 1):
        session.add(RateEvent(key=key, created_at=now - timedelta(minutes=1, seconds=n)))
    session.flush()
    login_browser(client, team.hr)
    path = f"/positions/{team.position.id}/invite-many"
    page = client.get(path)
    assert "you can send 1 more now" in page.text
    sent = client.post(path, data={
        "csrf_token": _csrf(page.text), "action": "send",
        "text": "Uno Primo\tuno@example.com\nDue Secondo\tdue@example.com\n"})
    assert "Invitations sent: 1" in sent.text
    assert "Not sent: the hourly limit of invitations was reached" in sent.text
    assert _candidates(session, team.position.id) == ["uno@example.com"]


def test_managers_cannot_invite_many(client, session, team):
    login_browser(client, team.manager)
    assert client.get(f"/positions/{team.position.id}/invite-many").status_code == 403


def test_the_bulk_page_speaks_italian(client, session, team):
    login_browser(client, team.hr)
    page = client.get(f"/positions/{team.position.id}/invite-many?lang=it")
    assert "Invita più persone candidate" in page.text and "Controlla l&#39;elenco" in page.text


def test_the_preview_names_languages_and_writes_extra_time_as_a_percent(client, session, team):
    login_browser(client, team.hr)
    path = f"/positions/{team.position.id}/invite-many?lang=it"
    csrf = _csrf(client.get(path).text)
    preview = client.post(path, data={"csrf_token": csrf, "action": "preview", "text":
                                      "Giulia Bianchi\tgiulia.b@example.com\tit\t0\n"
                                      "Mark Twain\tmark@example.com\ten\t25\n"}).text
    cells = re.findall(r'<td data-label="(?:Lingua|Tempo aggiuntivo)">([^<]*)</td>', preview)
    assert cells == ["Italiano", "0 %", "Inglese", "25 %"]  # not "it", "0"


def test_rows_pasted_from_a_spreadsheet_and_rows_typed_by_hand_can_be_mixed():
    from app.candidates import bulk

    rows = bulk.read(text="Anna Neri\tanna@example.com\tit\t25\n"
                          "Bruno Gialli, bruno@example.com, en\n"
                          "Carla Viola; carla@example.com; it; 50\n")
    assert [(r.name, r.email, r.language, r.extra_time) for r in rows] == [
        ("Anna Neri", "anna@example.com", "it", "25"),
        ("Bruno Gialli", "bruno@example.com", "en", ""),
        ("Carla Viola", "carla@example.com", "it", "50"),
    ]
