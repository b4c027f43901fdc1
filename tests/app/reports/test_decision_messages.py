"""Messages to a candidate after a decision: templated (it/en, editable per organization),
signed by a contact person, sent through the outbox and recorded on the candidate."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from app.candidates import messages
from app.outbox.models import OutboxMessage
from tests.app.reports.scenario import complete
from tests.factories import form_shown_again, login_browser


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_hr_sends_a_rejection_in_the_candidates_language(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr,
                            full_name="Rosa Rifiutata", language="it")
    login_browser(client, team.hr)
    report = client.get(f"/candidates/{candidate.id}").text
    assert f'/candidates/{candidate.id}/message?kind=reject' in report
    form = client.get(f"/candidates/{candidate.id}/message?kind=reject")
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert "Gentile Rosa Rifiutata" in text  # Italian: the candidate's language
    assert team.hr.full_name in text and team.hr.email in text  # the person to contact
    assert team.position.title in text
    body = re.search(r'<textarea id="m-body" name="body"[^>]*>(.*?)</textarea>', form.text,
                     re.S).group(1)
    sent = client.post(f"/candidates/{candidate.id}/message", data={
        "csrf_token": _csrf(form.text), "kind": "reject",
        "subject": "La tua candidatura", "body": html.unescape(body) + "\nP.S. Grazie!"},
        follow_redirects=False)
    assert sent.status_code == 303
    mail = [m for m in session.exec(select(OutboxMessage)).all()
            if m.payload["reference"].get("decision_message") == "reject"]
    assert len(mail) == 1 and mail[0].payload["to"] == candidate.email
    assert mail[0].payload["text"].rstrip().endswith("P.S. Grazie!")
    page = client.get(f"/candidates/{candidate.id}?done=message").text
    assert "is on its way" in page
    listed = page[page.index('id="messages-sent"'):]
    assert "La tua candidatura" in listed and team.hr.full_name in listed
    empty = client.post(f"/candidates/{candidate.id}/message", data={
        "csrf_token": _csrf(form.text), "kind": "reject", "subject": "", "body": ""})
    assert "Write a subject." in form_shown_again(empty).text


def test_an_admin_edits_the_templates_and_managers_cannot_send(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr, language="en")
    login_browser(client, team.admin)
    page = client.get("/admin/messages")
    assert page.status_code == 200 and "{contact_name}" in page.text
    saved = client.post("/admin/messages", data={
        "csrf_token": _csrf(page.text), "advance-en-subject": "Good news, {name}",
        "advance-en-body": "Hi {name}, see you soon. {contact_name} {unknown}"},
        follow_redirects=False)
    assert saved.status_code == 303
    draft = html.unescape(client.get(f"/candidates/{candidate.id}/message?kind=advance").text)
    assert f"Good news, {candidate.full_name}" in draft
    assert "{unknown}" in draft  # an unknown brace stays as written
    # An empty field goes back to the standard text.
    client.post("/admin/messages", data={"csrf_token": _csrf(page.text)})
    draft = html.unescape(client.get(f"/candidates/{candidate.id}/message?kind=advance").text)
    assert "Next step for the position" in draft
    login_browser(client, team.manager)
    assert client.get(f"/candidates/{candidate.id}/message?kind=hold").status_code == 403


def test_every_default_template_fills_every_placeholder():
    values = {name: f"<{name}>" for name in messages.PLACEHOLDERS}
    for kind in messages.KINDS:
        for lang in messages.LANGUAGES:
            for part in ("subject", "body"):
                filled = messages.fill(messages.DEFAULTS[kind][lang][part], values)
                assert "{" not in filled, (kind, lang, part)
            assert "punteggi" not in messages.DEFAULTS[kind][lang]["body"].lower()
            assert "score" not in messages.DEFAULTS[kind][lang]["body"].lower()


def test_the_template_page_says_what_each_placeholder_becomes(client, session, team):
    login_browser(client, team.admin)
    page = html.unescape(client.get("/admin/messages", params={"lang": "it"}).text)
    help_text = re.search(r'<p class="help" id="placeholders">([^<]+)</p>', page)[1]
    assert "{name} (il nome della persona candidata)" in help_text
    assert "{contact_email} (il suo indirizzo e-mail)" in help_text
