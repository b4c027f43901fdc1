"""Staff pages: pipeline, candidate report, comparison, decisions and exports."""

from __future__ import annotations

import csv
import html
import io
import re
import time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates.models import Decision
from app.scores.models import Score
from tests.app.reports.scenario import (
    VISIBILITY,
    bulk_scored,
    complete,
    import_norms,
    make_team,
    stored_answers,
    synthetic_norms,
)
from tests.factories import auth_headers, create_position, invite_candidate, login_browser

HTML = {"Accept": "text/html"}
KEYS = ["commercial-knowledge", "english"]


def _login(client, user) -> None:
    client.cookies.clear()
    login_browser(client, user)


def _csrf(page_text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_text).group(1)


def _cell(page_text: str, competency: str, field: str) -> str:
    """The text of a report table cell, by its competency row and field."""
    row = re.search(rf'<tr data-competency="{competency}">(.*?)</tr>', page_text, re.S).group(1)
    cell = re.search(rf'data-field="{field}">(.*?)</td>', row, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def _minus(sentence: str) -> str:
    return re.sub(r"-(?=\d)", "−", sentence)


def _normed(session, team) -> None:
    import_norms(
        session,
        organization_id=team.admin.organization_id,
        tables=synthetic_norms(session, keys=KEYS),
    )


@pytest.fixture
def trio(session, team):
    """Two candidates with identical answers and one much weaker (as in test_compare)."""
    strong, attempt = complete(
        session, position=team.position, actor=team.hr, ability=0.9, full_name="Stella Forte"
    )
    twin, _ = complete(
        session,
        position=team.position,
        actor=team.hr,
        answers=stored_answers(session, attempt),
        full_name="Gemma Pari",
    )
    weak, _ = complete(
        session,
        position=team.position,
        actor=team.hr,
        ability=0.1,
        seed=7,
        full_name="Walter Debole",
    )
    return strong, twin, weak


# --- who sees what ------------------------------------------------------------------------


def test_every_page_for_every_role(client, session, team, trio):
    strong, twin, _weak = trio
    pages = [
        f"/positions/{team.position.id}",
        f"/candidates/{strong.id}",
        f"/positions/{team.position.id}/compare?ids={strong.id},{twin.id}",
        f"/positions/{team.position.id}/pipeline.csv",
    ]
    for role, user in team.users().items():
        _login(client, user)
        for path in pages:
            response = client.get(path, headers=HTML)
            assert response.status_code == VISIBILITY[role], (role, path)
            if response.status_code == 404:
                assert "Page not found" in response.text  # the friendly page, not JSON
                assert strong.full_name not in response.text
    client.cookies.clear()
    for path in pages:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login?next="
        ), path


def test_a_manager_sees_only_assigned_positions_on_the_dashboard(client, session, team):
    hidden = create_position(session, actor=team.admin, title="Hidden KAM", questionnaires=KEYS)
    _login(client, team.other_manager)
    page = client.get("/")
    assert team.position.title not in page.text and hidden.title not in page.text
    _login(client, team.manager)
    page = client.get("/")
    assert f'href="/positions/{team.position.id}"' in page.text
    assert hidden.title not in page.text
    assert "Open the demo position" not in page.text


def test_the_demo_dashboard_points_at_the_demo_position(client, session):
    from app.organizations.models import Organization

    team = make_team(session)
    organization = session.get(Organization, team.admin.organization_id)
    organization.is_demo = True
    session.add(organization)
    session.flush()
    _login(client, team.hr)
    page = client.get("/")
    assert "Open the demo position to see a pipeline, reports and a comparison" in page.text
    assert f'href="/positions/{team.position.id}"' in page.text
    assert "demo data" in client.get(f"/positions/{team.position.id}").text


# --- the pipeline -------------------------------------------------------------------------


def test_pipeline_shows_scores_flags_requirements_and_pages(client, session, team):
    team.position.knockouts = {"min_years_key_accounts": 5}  # everyone states 4: all fail
    flagged, _ = complete(
        session,
        position=team.position,
        actor=team.hr,
        ability=0.8,
        integrity={"paste_attempts": 3},
        full_name="Flavia Flag",
    )
    complete(
        session, position=team.position, actor=team.hr, ability=0.4, seed=3, full_name="Bruno Basso"
    )
    invite_candidate(session, position=team.position, actor=team.hr, full_name="Ivo Invitato")
    _login(client, team.manager)
    page = client.get(f"/positions/{team.position.id}").text
    assert "Flavia Flag" in page and "Bruno Basso" in page and "Ivo Invitato" in page
    assert "✗ missed" in page  # a missed requirement is shown, never hidden
    assert "Years with key accounts: 4 (needs 5)" in page  # and which one
    assert "Rank:</strong> by fit score, best first" in page  # how the ranks were made
    assert "⚠ 1" in page  # the flagged candidate's marker
    assert re.search(r"\d+[.,]\d\u00a0%", page)  # fit score with its unit, before norms
    assert "1–3 of 3" in page
    assert f'href="/candidates/{flagged.id}"' in page
    assert f'href="/positions/{team.position.id}/costs"' in page
    assert 'action="/positions/' in page and "/compare" in page
    assert "Invite a candidate" not in page  # managers do not invite

    paged = client.get(f"/positions/{team.position.id}?limit=2&sort=name").text
    assert "1–2 of 3" in paged and 'rel="next"' in paged
    assert paged.index("Bruno Basso") < paged.index("Flavia Flag")
    assert "Ivo Invitato" not in paged
    second = client.get(f"/positions/{team.position.id}?limit=2&sort=name&offset=2").text
    assert "3–3 of 3" in second and "Ivo Invitato" in second and 'rel="prev"' in second

    only = client.get(f"/positions/{team.position.id}?status=invited&q=ivo").text
    assert "Ivo Invitato" in only and "Flavia Flag" not in only and "1–1 of 1" in only
    flagged_only = client.get(f"/positions/{team.position.id}?flagged=yes").text
    assert "Flavia Flag" in flagged_only and "Bruno Basso" not in flagged_only
    failed = client.get(f"/positions/{team.position.id}?knockouts=failed").text
    assert "1–2 of 2" in failed
    missed = client.get(f"/positions/{team.position.id}?requirements=missed").text
    assert "1–2 of 2" in missed and "Ivo Invitato" not in missed
    assert "No candidate matches" in client.get(
        f"/positions/{team.position.id}?requirements=met").text
    assert (
        "No candidate matches"
        in client.get(f"/positions/{team.position.id}?band=A&knockouts=passed").text
    )

    bad = client.get(f"/positions/{team.position.id}?band=Z", headers=HTML)
    assert bad.status_code == 422 and "band" in bad.text


def test_pipeline_page_stays_fast_with_ten_thousand_candidates(client, session, team):
    bulk_scored(session, position=team.position, n=10_000)
    analyze = (
        "ANALYZE"
        if session.get_bind().dialect.name == "sqlite"
        else ("ANALYZE candidate, score, invitation")
    )
    session.exec(text(analyze))
    _login(client, team.hr)
    for query in ("", "?sort=-npv&offset=5000&limit=200", "?band=A&flagged=no&q=bulk"):
        started = time.perf_counter()
        response = client.get(f"/positions/{team.position.id}{query}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        assert elapsed < 2.0, (query, elapsed)
    assert "1–50 of 10,000" in client.get(f"/positions/{team.position.id}").text


def test_invitation_from_the_pipeline_page_shows_the_link_once(client, session, team):
    _login(client, team.hr)
    path = f"/positions/{team.position.id}"
    page = client.post(
        f"{path}/candidates",
        data={
            "csrf_token": _csrf(client.get(path).text),
            "full_name": "Nina Nuova",
            "email": "nina@example.com",
            "language": "it",
            "extra_time_pct": "0",
        },
    )
    assert page.status_code == 200
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', page.text).group(1)
    assert "Nina Nuova" in page.text and "/a/" in link
    assert link not in client.get(path).text


# --- exports ------------------------------------------------------------------------------


def test_csv_and_xlsx_follow_the_filters_and_the_language(client, session, team, trio):
    invite_candidate(session, position=team.position, actor=team.hr, full_name="=cmd|x")
    _login(client, team.hr)
    base = f"/positions/{team.position.id}"
    english = client.get(f"{base}/pipeline.csv?status=completed&sort=name")
    assert english.status_code == 200
    assert english.headers["content-type"].startswith("text/csv")
    assert "attachment" in english.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(english.content.decode("utf-8"))))
    assert [r["Name"] for r in rows] == ["Gemma Pari", "Stella Forte", "Walter Debole"]
    assert {r["Status"] for r in rows} == {"completed"}
    assert rows[0]["Rank"] and float(rows[0]["Fit score"]) > 0 and rows[0]["Unit"] == "%"
    assert {r["Ranked by"] for r in rows} == {"fit"}
    # Every requirement, with the missed ones named (the trio's English is estimated).
    assert {r["Requirements"] for r in rows} <= {"met", "missed"}
    for row in rows:
        assert (row["Requirements"] == "missed") == bool(row["Requirements missed"])

    italian = client.get(f"{base}/pipeline.csv?lang=it").content.decode("utf-8")
    assert italian.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(italian.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][1] == "Nome" and len(rows) == 5
    assert any(r[1] == "'=cmd|x" for r in rows)  # formula guard

    xlsx = client.get(f"{base}/pipeline.xlsx?status=invited&lang=en")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][1] == "Name" and len(values) == 2 and values[1][1] == "'=cmd|x"


def test_exports_carry_competency_scores_dates_and_the_languages_number_format(
        client, session, team, trio):
    _login(client, team.hr)
    base = f"/positions/{team.position.id}"
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"{base}/pipeline.csv?status=completed&sort=name").content.decode("utf-8"))))
    first = rows[0]
    assert "Commercial knowledge (score)" in first and "Languages (score)" in first
    assert re.fullmatch(r"\d+(\.\d)?", first["Commercial knowledge (score)"])
    assert re.fullmatch(r"\d+(\.\d)?", first["Fit score"])  # rounded to one decimal
    assert first["Started at"] and first["Completed at"] >= first["Started at"]
    italian = client.get(f"{base}/pipeline.csv?status=completed&sort=name&lang=it")
    it_rows = list(csv.DictReader(io.StringIO(italian.content.decode("utf-8").lstrip("\ufeff")),
                                  delimiter=";"))
    values = [v for v in it_rows[0].values() if v]
    assert any(re.fullmatch(r"\d+,\d", v) for v in values)  # a decimal comma in Italian
    assert not any(re.fullmatch(r"\d+\.\d+", v) for v in values)
    sheet = load_workbook(io.BytesIO(client.get(f"{base}/pipeline.xlsx?status=completed&lang=en")
                                     .content)).active
    header = [c.value for c in sheet[1]]
    fit = sheet.cell(row=2, column=header.index("Fit score") + 1)
    assert isinstance(fit.value, float) and fit.number_format == "0.0##"
    started = sheet.cell(row=2, column=header.index("Started at") + 1)
    assert started.number_format == "yyyy-mm-dd hh:mm"


def test_report_pdf_contains_the_name(client, session, team, trio):
    _login(client, team.manager)
    response = client.get(f"/candidates/{trio[0].id}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text_of = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Stella Forte" in text_of and "Fit score" in text_of
    assert "Record a decision" not in text_of  # the form is not printed

    ids = ",".join(str(c.id) for c in trio)
    compared = client.get(f"/positions/{team.position.id}/compare.pdf?ids={ids}")
    assert compared.status_code == 200 and compared.content.startswith(b"%PDF")
    text_of = "".join(p.extract_text() for p in PdfReader(io.BytesIO(compared.content)).pages)
    assert "Walter Debole" in text_of and "Gemma Pari" in text_of


# --- the candidate report -----------------------------------------------------------------


def test_report_page_numbers_equal_the_report_api(client, session, team):
    team.position.knockouts = {"min_years_key_accounts": 5}
    candidate, _ = complete(
        session,
        position=team.position,
        actor=team.hr,
        ability=0.7,
        integrity={"paste_attempts": 3},
        full_name="Rita Report",
    )
    _normed(session, team)
    api = client.get(
        f"/api/v1/candidates/{candidate.id}/report", headers=auth_headers(client, team.hr)
    ).json()
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}").text
    for key, entry in api["competencies"].items():
        assert _cell(page, key, "t_score") == f"{entry['t_score']:.1f}"
        assert _cell(page, key, "percent") == f"{entry['percent']:.1f}"
        assert _cell(page, key, "percentile") == f"{entry['percentile']:.0f}"
        low, high = entry["ci90"]
        assert _cell(page, key, "ci90") == f"{low:.1f}–{high:.1f}"
        assert _cell(page, key, "alpha") == f"{entry['alpha']:.2f}"
    fit = re.search(r'id="fit-score">([^<]+)<', page).group(1)
    assert fit == f"{api['composite']['fit_score']:.1f}\u00a0T"
    assert f"€{api['utility']['npv']:,.0f}" in page
    assert "provisional norms (n = 150)" in page
    assert "<svg" in page and "kam-chart-bars" in page
    assert "Flags inform a person; they never change a score" in page
    assert "3 paste attempt(s) into an answer field." in page
    assert "Years with key accounts" in page and "✗ not met" in page
    assert "Language hurdle" not in page or "English (estimated" in page  # named, not "language"
    shown = html.unescape(page)
    for term in api["composite"]["explanation"]["terms"]:  # the API's words, real minus signs
        assert _minus(term["sentence"]) in shown
    # The page names the hurdle's language, which scoring/'s own summary cannot know.
    summary = _minus(api["composite"]["explanation"]["summary"])
    assert summary.replace("language (estimated", "English (estimated") in shown
    assert "costed as an experienced hire" in page


def test_report_before_norms_says_so_and_shows_percent(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr, ability=0.6)
    _login(client, team.manager)
    page = client.get(f"/candidates/{candidate.id}").text
    assert "norms not yet established (n = 0 of 100)" in page
    assert _cell(page, "commercial_knowledge", "t_score") == "—"
    assert "need the composite z-score" in page
    assert "A radar chart needs at least three competencies" in page


def test_report_with_a_radar_when_three_competencies_are_measured(client, session):
    team = make_team(session, questionnaires=["commercial-knowledge", "english", "analysis"])
    candidate, _ = complete(session, position=team.position, actor=team.hr, ability=0.6)
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}?lang=it").text
    assert "kam-chart-radar" in page and "kam-chart-bars" in page
    assert "Profilo delle competenze" in page  # Italian, decimal comma
    assert '<th scope="row">Conoscenze commerciali' in page and "Commercial knowledge" not in page
    assert re.search(r'data-field="percent">\d+,\d<', page)


def test_a_candidate_who_has_not_finished_shows_status_and_no_scores(client, session, team):
    candidate, _ = invite_candidate(
        session, position=team.position, actor=team.hr, full_name="Nora Nonfinito"
    )
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}").text
    assert "Nora Nonfinito" in page and 'id="no-scores"' in page
    assert "kam-chart" not in page and 'id="fit-score"' not in page


# --- decisions ----------------------------------------------------------------------------


def test_the_decision_form_records_a_decision_and_an_audit_entry(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    _login(client, team.manager)
    path = f"/candidates/{candidate.id}"
    token = _csrf(client.get(path).text)
    data = {"csrf_token": token, "decision": "advance", "note": "Strong on numbers."}
    asked = client.post(f"{path}/decision", data=data, follow_redirects=False)
    assert asked.status_code == 200 and "Confirm and record" in asked.text  # nothing yet
    assert "Record «Advance» for" in html.unescape(asked.text)
    assert session.exec(select(Decision)).all() == []
    response = client.post(
        f"{path}/decision", data={**data, "csrf_token": _csrf(asked.text), "confirm": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"{path}#decisions"
    row = session.exec(select(Decision).where(Decision.candidate_id == candidate.id)).one()
    assert (row.decision, row.note, row.user_id) == (
        "advance",
        "Strong on numbers.",
        team.manager.id,
    )
    score = session.exec(select(Score).where(Score.candidate_id == candidate.id)).one()
    assert row.score_id == score.id and row.scoring_version == score.scoring_version
    assert row.basis["fit_score"] == score.fit_score
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "candidate.decision")).one()
    assert entry.actor_user_id == team.manager.id and entry.object_id == str(candidate.id)
    history = client.get(path).text
    assert "Strong on numbers." in history and team.manager.full_name in history

    refused = client.post(
        f"{path}/decision", data={"decision": "reject", "note": "x"}, headers=HTML
    )
    assert refused.status_code == 422
    bad = client.post(
        f"{path}/decision", data={"csrf_token": token, "decision": "fire"}, headers=HTML
    )
    assert bad.status_code == 422
    assert len(session.exec(select(Decision)).all()) == 1

    _login(client, team.other_manager)
    token = _csrf(client.get("/").text)
    hidden = client.post(
        f"{path}/decision", data={"csrf_token": token, "decision": "hire"}, headers=HTML
    )
    assert hidden.status_code == 404
    assert len(session.exec(select(Decision)).all()) == 1


# --- comparison ---------------------------------------------------------------------------


def test_comparison_marks_pairs_inside_the_measurement_error(client, session, team, trio):
    strong, twin, weak = trio
    _normed(session, team)
    _login(client, team.manager)
    query = f"ids={strong.id}&ids={twin.id}&ids={weak.id}"  # as the pipeline's checkboxes
    page = client.get(f"/positions/{team.position.id}/compare?{query}")
    assert page.status_code == 200
    row = re.search(
        r'<tr data-competency="commercial_knowledge">(.*?)</tr>', page.text, re.S
    ).group(1)
    marks = re.findall(r'<span class="same-mark" title="([^"]+)">([^<]+)</span>', row)
    assert [text for _title, text in marks] == ["≈ Stella Forte – Gemma Pari"]
    assert "measurement error" in marks[0][0]  # the explanation travels with the mark
    assert "pairs reliably different: 2" in row  # the weak one differs from both
    assert "kam-chart-radar" not in page.text  # two competencies: no radar, table only
    # The summary table comes first, the competency detail with its marks after.
    summary_at = page.text.index("At a glance")
    assert summary_at < page.text.index("Competency by competency")
    for label in ("Rank", "Fit score", "Band", "Requirements", "Expected value", "CEFR"):
        assert f">{label}</th>" in page.text[summary_at:page.text.index("Competency by")]
    assert "1.645 × √(SEM a² + SEM b²)" in page.text  # the standard error of the difference


def test_comparison_overlays_a_radar_of_three(client, session):
    team = make_team(session, questionnaires=["commercial-knowledge", "english", "analysis"])
    ids = [
        complete(session, position=team.position, actor=team.hr, ability=a, seed=i)[0].id
        for i, a in enumerate((0.3, 0.6, 0.9))
    ]
    _login(client, team.hr)
    page = client.get(f"/positions/{team.position.id}/compare?ids={','.join(map(str, ids))}")
    assert page.status_code == 200
    assert "kam-chart-radar" in page.text and page.text.count("<svg") == 1


def test_bad_compare_ids_give_a_page_with_a_way_back(client, session, team):
    a, b, c = (
        invite_candidate(session, position=team.position, actor=team.hr)[0].id for _ in range(3)
    )
    elsewhere = create_position(session, actor=team.admin, questionnaires=["english"])
    stranger, _ = invite_candidate(session, position=elsewhere, actor=team.admin)
    cases = [
        (f"ids={a}", 422, "Choose 2 to 5 candidates to compare; 1 chosen."),
        ("&".join(f"ids={i}" for i in (a, b, c, c + 100, c + 101, c + 102)), 422, "6 chosen"),
        (f"ids={a},{a}", 422, "listed twice"),
        (f"ids={a}&ids={stranger.id}", 404, "not in this position"),
        (f"ids={a},x", 422, "is not a candidate id"),
    ]
    _login(client, team.hr)
    for query, status, needle in cases:
        for suffix in ("compare", "compare.pdf"):
            page = client.get(f"/positions/{team.position.id}/{suffix}?{query}", headers=HTML)
            assert page.status_code == status, (suffix, query, page.text[:300])
            assert needle in html.unescape(page.text), (suffix, query)
            assert f'href="/positions/{team.position.id}"' in page.text
            assert "Traceback" not in page.text
    assert client.get(f"/positions/{team.position.id}/compare?ids={a},{b}").status_code == 200
