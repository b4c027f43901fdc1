"""The audit log for admins: JSON with filters and paging, CSV, and the page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.organizations.models import Organization
from tests.factories import auth_headers, create_user, login_browser


@pytest.fixture
def staff(session):
    """An admin, hr and manager of one organization, and another organization's admin."""
    admin = create_user(session, role="admin", full_name="Ada Admin")
    organization = session.get(Organization, admin.organization_id)
    hr = create_user(session, organization=organization, role="hr", full_name="Harriet HR")
    manager = create_user(session, organization=organization, role="manager")
    outsider = create_user(session, role="admin")
    return {"admin": admin, "hr": hr, "manager": manager, "outsider": outsider}


def _entry(session, *, actor, action, days_ago, object_id=1, details=None, organization_id=None):
    entry = AuditEntry(
        organization_id=organization_id or actor.organization_id,
        actor_user_id=actor.id if actor else None, action=action, object_type="candidate",
        object_id=str(object_id), details=details or {}, ip="10.0.0.7",
        created_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC) - timedelta(days=days_ago),
    )
    session.add(entry)
    session.flush()
    return entry


@pytest.fixture
def log(session, staff):
    """Five entries of ours (one by the system) and one of another organization."""
    hr, admin = staff["hr"], staff["admin"]
    return {
        "invite": _entry(session, actor=hr, action="candidate.invite", days_ago=10),
        "decision": _entry(session, actor=hr, action="candidate.decision", days_ago=5,
                           details={"decision": "advance"}),
        "export": _entry(session, actor=admin, action="candidate.export", days_ago=3),
        "erase": _entry(session, actor=None, action="candidate.erase", days_ago=1,
                        details={"reason": "retention", "by": "system"},
                        organization_id=admin.organization_id),
        "formula": _entry(session, actor=hr, action="candidate.decision", days_ago=0,
                          details={"decision": "=HYPERLINK(\"http://x\")"}),
        "theirs": _entry(session, actor=staff["outsider"], action="candidate.invite",
                         days_ago=0),
    }


def test_the_log_is_newest_first_filtered_and_paged(client, staff, log):
    headers = auth_headers(client, staff["admin"])

    everything = client.get("/api/v1/audit", headers=headers).json()

    assert everything["total"] == 5
    ids = [item["id"] for item in everything["items"]]
    expected = [log[k].id for k in ("formula", "erase", "export", "decision", "invite")]
    # The admin's own sign-in is not an audited action, so only the fixture's entries.
    assert ids == expected
    erased = everything["items"][1]
    assert erased["actor"] == "system" and erased["actor_user_id"] is None
    assert everything["items"][2]["actor"] == "Ada Admin"
    decisions = client.get("/api/v1/audit", headers=headers,
                           params={"action": "candidate.decision"}).json()
    assert [i["id"] for i in decisions["items"]] == [log["formula"].id, log["decision"].id]
    recent = client.get("/api/v1/audit", headers=headers, params={"since": "2026-11-24"}).json()
    assert recent["total"] == 3
    zoned = client.get("/api/v1/audit", headers=headers,
                       params={"since": "2026-11-26T09:00:00+00:00"}).json()
    assert zoned["total"] == 2
    page = client.get("/api/v1/audit", headers=headers, params={"limit": 2, "offset": 2}).json()
    assert [i["id"] for i in page["items"]] == expected[2:4]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"since": "yesterday"}):
        assert client.get("/api/v1/audit", headers=headers, params=params).status_code == 422


def test_only_admins_see_their_own_organizations_log(client, staff, log):
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        assert client.get(path).status_code == 401
        for role in ("hr", "manager"):
            assert client.get(path, headers=auth_headers(client, staff[role])).status_code == 403
    theirs = client.get("/api/v1/audit", headers=auth_headers(client, staff["outsider"])).json()
    assert [i["id"] for i in theirs["items"]] == [log["theirs"].id]


def test_the_csv_export_has_every_matching_entry_and_no_formulas(client, staff, log):
    response = client.get("/api/v1/audit.csv", headers=auth_headers(client, staff["admin"]),
                          params={"action": "candidate.decision"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "audit-log.csv" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [int(r["id"]) for r in rows] == [log["formula"].id, log["decision"].id]
    assert rows[1]["actor"] == "Harriet HR" and rows[1]["ip"] == "10.0.0.7"
    assert rows[1]["details"] == '{"decision": "advance"}'
    assert rows[1]["created_at"].startswith("2026-11-22T09:00:00")
    assert all(not cell.startswith("=") for row in rows for cell in row.values())


def test_the_page_shows_filters_paging_and_the_csv_link(client, session, staff, log):
    for n in range(60):  # more than one page
        audit.record(session, actor=staff["hr"], action="position.update",
                     object_type="position", object_id=n)
    login_browser(client, staff["admin"])

    page = client.get("/admin/audit")

    assert page.status_code == 200
    assert "Audit log" in page.text and "page 1 of 2" in page.text
    assert 'href="/api/v1/audit.csv"' in page.text
    assert 'href="/admin/audit?page=2"' in page.text
    assert "The system erased" not in page.text  # the system's erasure is on page 2
    older = client.get("/admin/audit?page=2")
    assert "The system erased the personal data of" in older.text
    assert 'href="/admin/audit"' in older.text
    filtered = client.get("/admin/audit", params={"action": "candidate.erase",
                                                  "since": "2026-11-01"})
    assert "Matching entries: 1" in filtered.text and "retention" in filtered.text
    assert ('href="/api/v1/audit.csv?action=candidate.erase&amp;since=2026-11-01"'
            in filtered.text)
    assert "position.update" in filtered.text  # offered in the action filter
    bad = client.get("/admin/audit", params={"since": "27/11/2026"})
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.text
    italian = client.get("/admin/audit", params={"lang": "it"})
    assert "Registro delle attività" in italian.text


def test_the_page_is_for_admins_only(client, staff):
    anonymous = client.get("/admin/audit", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    login_browser(client, staff["hr"])
    assert client.get("/admin/audit", headers={"accept": "text/html"}).status_code == 403


def test_entries_read_as_sentences_with_links_and_json_one_click_away(client, session, staff):
    from tests.factories import create_position, invite_candidate

    position = create_position(session, actor=staff["hr"], title="Key Account Manager – Nord",
                               questionnaires=["english"])
    candidate, _token = invite_candidate(session, position=position, actor=staff["hr"],
                                         full_name="Giulia Bianchi")
    audit.record(session, actor=staff["hr"], action="candidate.invite", object_type="candidate",
                 object_id=candidate.id, details={"position_id": position.id})
    login_browser(client, staff["admin"])
    page = client.get("/admin/audit", params={"action": "candidate.invite"}).text
    hr_name = staff["hr"].full_name
    assert (f'{hr_name} invited <a href="/candidates/{candidate.id}">Giulia Bianchi</a> to '
            f'<a href="/positions/{position.id}">Key Account Manager – Nord</a>') in page
    assert '<details class="audit-json"><summary>JSON</summary>' in page
    assert '&#34;action&#34;: &#34;candidate.invite&#34;' in page
    italian = client.get("/admin/audit", params={"action": "candidate.invite", "lang": "it"})
    assert f"{hr_name} ha invitato" in italian.text


def test_every_action_the_product_records_reads_as_a_sentence_and_has_a_filter_name():
    """No raw key such as ``contest.open`` on the page: each action recorded anywhere in app/
    has its own sentence and its own name in the action filter, in Italian too."""
    import re
    from pathlib import Path

    from app.audit.wording import action_label, sentence
    from app.core.i18n import gettext_for

    app_dir = Path(__file__).resolve().parents[3] / "app"
    recorded = {m for path in app_dir.rglob("*.py")
                for m in re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text())}
    assert {"contest.open", "interview.rate", "explanation.view"} <= recorded
    italian = gettext_for("it")
    known = {"candidate": {"7": "Giulia Bianchi"}, "position": {}, "user": {}}
    for action in sorted(recorded):
        entry = {"object_type": "candidate", "object_id": "7", "details": {"months": 6},
                 "actor": "Ada Admin", "actor_user_id": 1, "action": action}
        words = str(sentence(italian, entry, known, {}))
        assert action not in words, words
        assert action_label(italian, action) != action


def test_a_role_change_names_the_role_as_the_staff_page_does():
    from app.audit.wording import sentence
    from app.core.i18n import gettext_for

    entry = {"object_type": "user", "object_id": "3", "details": {"from": "hr", "to": "manager"},
             "actor": "Ada Admin", "actor_user_id": 1, "action": "user.role"}
    known = {"candidate": {}, "position": {}, "user": {"3": "Paola Prova"}}
    words = str(sentence(gettext_for("it"), entry, known, {}))
    assert words.endswith("il ruolo responsabile di selezione")
