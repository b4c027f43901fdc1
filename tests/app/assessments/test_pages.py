"""The candidate's pages without JavaScript: landing, screening, section forms, submit, end."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.assessments.models import Answer, Attempt, AttemptSection
from app.bank import service as bank_service
from app.candidates import service as candidate_service
from app.candidates.models import Invitation
from app.core.clock import utcnow
from app.organizations.models import Organization
from app.scores.models import Score
from questionnaires.schema import NumericItem
from tests.factories import create_position, create_user, invite_candidate

HTML = {"Accept": "text/html"}


def _invite(session, *, questionnaires=("stress-resistance",), language="en", **overrides):
    admin_email = overrides.pop("admin_email", None)
    user = create_user(session, **({"email": admin_email} if admin_email else {}))
    position = create_position(
        session,
        actor=user,
        questionnaires=list(questionnaires),
        title=overrides.pop("title", "KAM North-East"),
    )
    candidate, token = invite_candidate(
        session, position=position, actor=user, language=language, **overrides
    )
    session.commit()
    return user, position, candidate, token


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _start_form(csrf: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf,
        "consent": "yes",
        "education": "master",
        "lang_1": "en",
        "cefr_1": "B2",
        "lang_2": "",
        "cefr_2": "",
        "years_sales": "6",
        "years_key_accounts": "4",
        "client_base_size": "25",
        "salary_expectation_monthly": "3800",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def _start(client, token: str, **overrides: str):
    landing = client.get(f"/a/{token}", headers=HTML)
    assert landing.status_code == 200, landing.text
    return client.post(
        f"/a/{token}/start",
        data=_start_form(_csrf(landing.text), **overrides),
        headers=HTML,
        follow_redirects=False,
    )


def _started(client, session, **invite):
    _, _, candidate, token = _invite(session, **invite)
    response = _start(client, token)
    assert response.status_code == 303, response.text
    _begin(client, token)
    return candidate, token


def _begin(client, token: str) -> str:
    """Press "Begin" on the open section's intro screen; the section page that follows."""
    intro = client.get(f"/a/{token}/section", headers=HTML)
    assert 'id="section-intro"' in intro.text, intro.text[:3000]
    key = re.search(r'action="/a/[^/]+/section/([^/"]+)/begin"', intro.text).group(1)
    begun = client.post(f"/a/{token}/section/{key}/begin", data={"csrf_token": _csrf(intro.text)},
                        headers=HTML, follow_redirects=False)
    assert begun.status_code == 303 and begun.headers["location"] == f"/a/{token}/section"
    return client.get(f"/a/{token}/section", headers=HTML).text


def _state(client, token: str) -> dict:
    response = client.get(f"/api/v1/assessments/{token}")
    assert response.status_code == 200, response.text
    return response.json()


def _item_block(html: str, item_id: str) -> str:
    """The markup of one question (from its wrapper to the next one)."""
    start = html.index(f'id="item-{item_id}"')
    following = html.find('class="item card', start + 1)
    return html[start : following if following > 0 else len(html)]


def _attempt(session, candidate) -> Attempt | None:
    session.expire_all()
    return session.exec(select(Attempt).where(Attempt.candidate_id == candidate.id)).first()


# --- landing and start -------------------------------------------------------------------


def test_landing_shows_who_asks_how_long_privacy_and_consent(client, session):
    user, _, _, token = _invite(session, extra_time_pct=50, admin_email="dpo@acme.example")
    page = client.get(f"/a/{token}", headers=HTML)
    assert page.status_code == 200
    html = page.text
    organization = session.get(Organization, user.organization_id)
    assert organization.name in html and "KAM North-East" in html
    # stress-resistance: 210 s + 240 s, with 50 % extra time = 675 s -> 12 minutes
    assert "About 12 minutes" in html and "in 2 timed sections" in html
    # The total is the sum of the minutes listed per section, never a minute apart.
    assert sum(int(m) for m in re.findall(r"questions, (\d+) min", html)) == 12
    assert "Privacy notice" in html and "dpo@acme.example" in html
    assert "24 months" in html  # the organization's retention period
    assert re.search(
        r'<input type="checkbox" id="f-consent" name="consent" value="yes" required', html
    )
    assert '<label for="f-consent">I have read the privacy notice' in html
    for name in (
        "education",
        "lang_1",
        "cefr_1",
        "lang_3",
        "years_sales",
        "years_key_accounts",
        "client_base_size",
        "salary_expectation_monthly",
    ):
        assert f'name="{name}"' in html
    assert 'inputmode="decimal"' in html
    assert 'href="?lang=it"' in html  # the language switch
    assert "Start the assessment" in html
    assert page.headers["cache-control"] == "no-store"


def test_landing_language_comes_from_the_link_then_sticks(client, session):
    _, _, _, token = _invite(session, language="en")
    page = client.get(f"/a/{token}?lang=it", headers=HTML)
    assert '<html lang="it">' in page.text
    assert "Informativa sul trattamento dei dati personali" in page.text
    assert "Inizia la valutazione" in page.text
    assert client.cookies.get("kam_lang") == "it"
    again = client.get(f"/a/{token}", headers=HTML)
    assert "Inizia la valutazione" in again.text


def test_landing_uses_the_invitation_language(client, session):
    _, _, _, token = _invite(session, language="it")
    html = client.get(f"/a/{token}", headers=HTML).text
    assert '<html lang="it">' in html and "Qualche domanda sul tuo percorso" in html


def test_start_without_consent_shows_the_error_next_to_the_field(client, session):
    _, _, candidate, token = _invite(session)
    response = _start(client, token, consent=None, years_sales="2,5")
    # POST → redirect → GET: the form with its mistakes is a GET; what was typed waits in a
    # signed cookie scoped to the link, not in the address.
    assert response.status_code == 303 and response.headers["location"] == f"/a/{token}?check=1"
    assert "years_sales" not in response.headers["location"]
    response = client.get(response.headers["location"], headers=HTML)
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html and 'href="#f-consent"' in html
    checkbox = re.search(r'<input type="checkbox" id="f-consent"[^>]*>', html).group(0)
    assert 'aria-describedby="err-consent"' in checkbox and 'aria-invalid="true"' in checkbox
    assert "checked" not in checkbox
    assert '<p class="field-error" id="err-consent">Tick the box' in html
    # The other answers are kept.
    assert 'value="2,5"' in html
    assert '<option value="master" selected>' in html
    assert _attempt(session, candidate) is None
    assert _state(client, token)["status"] == "invited"


def test_start_form_errors_name_each_field(client, session):
    _, _, candidate, token = _invite(session)
    response = _start(
        client, token, years_sales="lots", education="", lang_2="de", client_base_size="2.5"
    )
    assert response.status_code == 303
    response = client.get(response.headers["location"], headers=HTML)
    assert response.status_code == 422
    html = response.text
    for key in ("years_sales", "education", "lang_2", "client_base_size"):
        assert f'id="err-{key}"' in html, key
    field = re.search(r'<input type="text" id="f-years_sales"[^>]*>', html).group(0)
    assert "err-years_sales" in field and 'value="lots"' in field
    assert _attempt(session, candidate) is None


def test_start_with_an_italian_decimal_comma(client, session):
    _, _, candidate, token = _invite(session, language="it")
    response = _start(
        client, token, years_sales="2,5", years_key_accounts="0,5", salary_expectation_monthly=""
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/a/{token}/section"
    attempt = _attempt(session, candidate)
    assert attempt.screening["years_sales"] == 2.5
    assert attempt.screening["years_key_accounts"] == 0.5
    assert attempt.screening["salary_expectation_monthly"] is None
    assert attempt.screening["languages"] == [{"language": "en", "cefr_self": "B2"}]
    assert attempt.language == "it"
    # Started: the landing page and a second start lead to the section.
    assert (
        client.get(f"/a/{token}", follow_redirects=False).headers["location"].endswith("/section")
    )


def test_start_without_csrf_is_refused(client, session):
    _, _, candidate, token = _invite(session)
    client.get(f"/a/{token}")
    form = _start_form("")
    del form["csrf_token"]
    response = client.post(f"/a/{token}/start", data=form, headers=HTML)
    assert response.status_code == 422
    assert "The form could not be accepted" in response.text
    assert _attempt(session, candidate) is None


# --- sections ----------------------------------------------------------------------------


def test_section_page_shows_the_items_without_any_key(client, session):
    _, token = _started(client, session, questionnaires=("analysis", "stress-resistance"))
    page = client.get(f"/a/{token}/section", headers=HTML)
    assert page.status_code == 200
    html = page.text
    analysis = bank_service.get(session, key="analysis", version=1)
    section = analysis.sections[0]
    for item in section.items:
        assert f'data-item-id="{item.id}"' in html
        assert f'name="item-{item.id}"' in html
    assert "<table class=\"stack\">" in html and "<caption" in html and '<th scope="col"' in html
    assert 'class="table-scroll"' in html
    assert 'inputmode="decimal"' in html
    assert re.search(r'<progress id="progress-bar" max="\d+" value="0">', html)
    # The count is the whole assessment's, beside the section's own "Question 1 of n".
    assert re.search(r"0 of \d+ questions answered in the whole assessment", html)
    assert re.search(r'role="timer"[^>]*>1[01]:\d\d left<', html)
    assert re.search(r'data-remaining="\d+"', html) and 'data-deadline="20' in html
    # No key, score, tolerance, rationale or reverse flag anywhere.
    lowered = html.lower()
    for word in ("rationale", "tolerance", "reverse", "competency"):
        assert word not in lowered, word
    for name, value in re.findall(r'(data-[a-z-]+)="([^"]*)"', html):
        assert not re.search(r"score|rationale|toleran|reverse|correct|key|cefr", name), name
        assert not re.search(r"score|rationale|toleran", value.lower()), (name, value)
    assert not re.search(r"\bdata-answer\b|\bdata-score\b", html)
    # The correct values of numeric items are nowhere, unless the questions show them anyway.
    shown = " ".join(text.pick("en") for item in section.items for _, text in item.texts())
    shown += " ".join(
        str(cell)
        for item in section.items
        if item.stimulus and item.stimulus.rows
        for row in item.stimulus.rows
        for cell in row
    )
    # Tokens and times are no answers: leave them out of the scan.
    content = re.sub(
        r'(value|data-deadline|data-remaining|data-token|data-api|action)="[^"]*"', "", html
    )
    content = re.sub(r">\d+:\d\d left<", "", content).replace(token, "")
    checked = 0
    for item in section.items:
        assert item.rationale is None or item.rationale not in html
        if not isinstance(item, NumericItem):
            continue
        for form in {repr(item.answer), f"{item.answer:g}", f"{item.answer:g}".replace(".", ",")}:
            if form not in shown:
                pattern = rf"(?<![\w.,]){re.escape(form)}(?![\w]|[.,]\d)"
                assert not re.search(pattern, content), (item.id, form)
                checked += 1
    assert checked >= 5


def test_section_page_is_one_form_with_save_and_finish(client, session):
    _, token = _started(client, session)
    html = client.get(f"/a/{token}/section", headers=HTML).text
    assert re.search(
        rf'<form method="post" action="/a/{re.escape(token)}/section/stress-self-report"', html
    )
    assert html.count('name="csrf_token"') == 1
    assert '<button type="submit" name="action" value="save"' in html
    assert '<button type="submit" name="action" value="complete"' in html
    assert '<script src="/static/assessment.js" defer></script>' in html
    assert "<script>" not in html and "onclick" not in html
    block = _item_block(html, "sr01")
    assert "<fieldset" in block and "<legend" in block
    assert block.count('type="radio"') == 5 and "Strongly disagree" in block
    assert 'aria-live="polite"' in block


def test_section_form_saves_answers_and_shows_a_bad_one_next_to_its_item(client, session):
    _, token = _started(client, session)
    html = client.get(f"/a/{token}/section", headers=HTML).text
    response = client.post(
        f"/a/{token}/section/stress-self-report",
        data={
            "csrf_token": _csrf(html),
            "action": "save",
            "item-sr01": "4",
            "item-sr02": "2",
            "item-sr03": "9",
            "item-sr04": "",
        },
        headers=HTML,
        follow_redirects=False,
    )
    # POST → redirect → GET: the page with the mistakes is a GET (no resubmission on reload).
    assert response.status_code == 303 and "check=stress-self-report" in response.headers[
        "location"]
    response = client.get(response.headers["location"], headers=HTML)
    assert response.status_code == 422
    assert client.get(response.url, headers=HTML).status_code == 422  # a reload: the same
    block = _item_block(response.text, "sr03")
    assert 'id="err-sr03"' in block and "from 1 to 5" in block
    assert 'aria-describedby="status-sr03 err-sr03"' in block
    assert 'href="#item-sr03"' in response.text  # the summary links to the item
    assert 'id="err-sr01"' not in response.text
    items = _state(client, token)["current_section"]["items"]
    answers = {item["id"]: item["answer"] for item in items}
    assert answers["sr01"] == 4 and answers["sr02"] == 2
    assert answers["sr03"] is None and answers["sr04"] is None
    # The saved answers are shown checked on the page with the errors.
    assert re.search(r'id="sr01-4" name="item-sr01" value="4" checked', response.text)


def test_saved_answers_stay_checked_after_a_reload(client, session):
    _, token = _started(client, session)
    html = client.get(f"/a/{token}/section", headers=HTML).text
    response = client.post(
        f"/a/{token}/section/stress-self-report",
        data={"csrf_token": _csrf(html), "action": "save", "item-sr01": "5", "item-sr05": "1"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/a/{token}/section?saved=2"
    page = client.get(response.headers["location"], headers=HTML).text
    assert "Your answers are saved." in page
    reloaded = client.get(f"/a/{token}/section", headers=HTML).text
    assert re.search(r'id="sr01-5" name="item-sr01" value="5" checked', reloaded)
    assert re.search(r'id="sr05-1" name="item-sr05" value="1" checked', reloaded)
    assert len(re.findall(r" checked>", reloaded)) == 2
    assert re.search(r'<progress id="progress-bar" max="\d+" value="2">', reloaded)


def test_numeric_answers_accept_a_decimal_comma(client, session):
    _, token = _started(client, session, questionnaires=("analysis",), language="it")
    html = client.get(f"/a/{token}/section", headers=HTML).text
    assert "per esempio 12,5" in html
    response = client.post(
        f"/a/{token}/section/analysis",
        data={
            "csrf_token": _csrf(html),
            "action": "save",
            "item-an01": " 22,6 ",
            "item-an02": "35.5",
            "item-an03": "circa 7",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    response = client.get(response.headers["location"], headers=HTML)
    assert response.status_code == 422
    assert 'id="err-an03"' in _item_block(response.text, "an03")
    assert 'value="circa 7"' in _item_block(response.text, "an03")
    assert 'value="22,6"' in _item_block(response.text, "an01")  # shown the Italian way
    items = _state(client, token)["current_section"]["items"]
    answers = {item["id"]: item["answer"] for item in items}
    assert answers["an01"] == 22.6 and answers["an02"] == 35.5 and answers["an03"] is None


def test_section_form_without_csrf_saves_nothing(client, session):
    _, token = _started(client, session)
    client.get(f"/a/{token}/section")
    response = client.post(
        f"/a/{token}/section/stress-self-report",
        data={"action": "save", "item-sr01": "4"},
        headers=HTML,
    )
    assert response.status_code == 422
    assert "The form could not be accepted" in response.text
    assert _state(client, token)["progress"]["answered"] == 0


def test_finishing_a_section_moves_on_and_closes_it(client, session):
    _, token = _started(client, session)
    html = client.get(f"/a/{token}/section", headers=HTML).text
    response = client.post(
        f"/a/{token}/section/stress-self-report",
        data={"csrf_token": _csrf(html), "action": "complete", "item-sr01": "3"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/a/{token}/section"
    intro = client.get(f"/a/{token}/section", headers=HTML).text
    assert "Situations under pressure" in intro and "Section 2 of 2" in intro
    assert 'id="section-intro"' in intro and 'data-item-id="sr15"' not in intro
    page = _begin(client, token)
    assert 'data-item-id="sr15"' in page and 'data-item-id="sr01"' not in page
    state = _state(client, token)
    assert [s["status"] for s in state["sections"]] == ["completed", "active"]
    assert state["progress"]["answered"] == 1
    # A late form for the closed section saves nothing and says so.
    late = client.post(
        f"/a/{token}/section/stress-self-report",
        data={"csrf_token": _csrf(page), "action": "save", "item-sr02": "3"},
        headers=HTML,
        follow_redirects=True,
    )
    assert "could not be saved" in late.text
    assert _state(client, token)["progress"]["answered"] == 1


def _time_out_current_section(session, candidate) -> None:
    """Move the active section's deadline into the past (its time is up, grace still on)."""
    attempt = _attempt(session, candidate)
    section = session.exec(
        select(AttemptSection).where(
            AttemptSection.attempt_id == attempt.id, AttemptSection.status == "active"
        )
    ).one()
    section.deadline_at = utcnow() - timedelta(seconds=5)
    session.add(section)
    session.commit()


def test_the_whole_journey_ends_on_the_submit_and_thank_you_pages(client, session):
    candidate, token = _started(client, session)
    html = client.get(f"/a/{token}/section", headers=HTML).text
    likert = {f"item-sr{n:02d}": str(1 + n % 5) for n in range(1, 15)}
    response = client.post(
        f"/a/{token}/section/stress-self-report",
        data={"csrf_token": _csrf(html), "action": "complete", **likert},
        headers=HTML,
    )
    assert response.status_code == 200 and "Situations under pressure" in response.text
    page = _begin(client, token)
    option = re.search(r'name="item-sr15" value="([a-z0-9]+)"', page).group(1)
    client.post(
        f"/a/{token}/section/stress-scenarios",
        data={"csrf_token": _csrf(page), "action": "save", "item-sr15": option},
        headers=HTML,
    )
    # The last section's time runs out: inside the grace period the page offers to submit.
    _time_out_current_section(session, candidate)
    page = client.get(f"/a/{token}/section", headers=HTML)
    assert page.status_code == 200
    assert "Submit your answers" in page.text
    assert re.search(r"How you react to pressure</th><td>14 of 14", page.text)
    assert re.search(r"Situations under pressure</th><td>1 of \d", page.text)
    done = client.post(
        f"/a/{token}/submit",
        data={"csrf_token": _csrf(page.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/a/{token}/done"
    thanks = client.get(f"/a/{token}/done", headers=HTML)
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    lowered = thanks.text.lower()
    for word in ("score", "percentile", "sten", "band"):
        assert word not in lowered, word
    attempt = _attempt(session, candidate)
    assert attempt.status == "completed"
    stored = {
        a.item_id: a.value["v"]
        for a in session.exec(select(Answer).where(Answer.attempt_id == attempt.id))
    }
    assert stored == {**{key[5:]: int(value) for key, value in likert.items()}, "sr15": option}
    assert session.exec(select(Score).where(Score.attempt_id == attempt.id)).first() is not None
    # Every page of a completed attempt leads to the end page.
    for path in ("", "/section"):
        moved = client.get(f"/a/{token}{path}", follow_redirects=False)
        assert moved.headers["location"] == f"/a/{token}/done"


def test_finishing_the_last_section_leads_to_the_submit_page(client, session):
    candidate, token = _started(client, session)
    for key in ("stress-self-report", "stress-scenarios"):
        html = client.get(f"/a/{token}/section", headers=HTML).text
        response = client.post(
            f"/a/{token}/section/{key}",
            data={"csrf_token": _csrf(html), "action": "complete"},
            headers=HTML,
            follow_redirects=False,
        )
        assert response.status_code == 303
    final = client.get(f"/a/{token}/section", headers=HTML)
    assert f'action="/a/{token}/submit"' in final.text
    assert _attempt(session, candidate).status == "in_progress"
    done = client.post(f"/a/{token}/submit", data={"csrf_token": _csrf(final.text)},
                       headers=HTML, follow_redirects=False)
    assert done.headers["location"] == f"/a/{token}/done"
    assert _attempt(session, candidate).status == "completed"


def test_done_before_the_end_goes_back_to_the_section(client, session):
    _, token = _started(client, session)
    moved = client.get(f"/a/{token}/done", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/a/{token}/section"


def test_section_before_the_start_goes_to_the_landing_page(client, session):
    _, _, _, token = _invite(session)
    moved = client.get(f"/a/{token}/section", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/a/{token}"


def test_language_items_are_marked_english_on_an_italian_page(client, session):
    _, token = _started(client, session, questionnaires=("english",), language="it")
    html = client.get(f"/a/{token}/section", headers=HTML).text
    assert '<html lang="it">' in html and "Domanda 1 di" in html
    assert re.search(r'<legend class="prompt" lang="en">', html)
    assert re.search(r'<div class="options" lang="en">', html)


# --- links that no longer work -----------------------------------------------------------


def test_expired_invitation_shows_a_friendly_page_in_italian(client, session):
    _, _, candidate, token = _invite(session, language="it")
    invitation = session.exec(
        select(Invitation).where(Invitation.candidate_id == candidate.id)
    ).one()
    invitation.expires_at = utcnow() - timedelta(days=1)
    session.add(invitation)
    session.commit()
    response = client.get(f"/a/{token}", headers=HTML)
    assert response.status_code == 410
    assert '<html lang="it">' in response.text
    assert "Questo link è scaduto" in response.text
    assert "chiedi un nuovo link a Org " in response.text
    assert "application/json" not in response.headers["content-type"]


def test_revoked_invitation_shows_a_friendly_page_in_italian(client, session):
    _, _, candidate, token = _invite(session, language="it")
    candidate_service.revoke(session, candidate=candidate)
    session.commit()
    for path in ("", "/section", "/done"):
        response = client.get(f"/a/{token}{path}", headers=HTML)
        assert response.status_code == 410, path
        assert "Questo link è stato ritirato" in response.text
    csrf = _csrf(client.get("/login").text)
    posted = client.post(f"/a/{token}/start", data=_start_form(csrf), headers=HTML)
    assert posted.status_code == 410 and "ritirato" in posted.text


@pytest.mark.parametrize("token", ["x" * 43, "short"])
def test_unknown_link_shows_a_friendly_404(client, token):
    response = client.get(f"/a/{token}", headers=HTML)
    assert response.status_code == 404
    assert "This link does not work" in response.text


# --- intro screens, capped breaks, time's up ----------------------------------------------


def test_each_section_opens_with_an_intro_and_its_clock_starts_on_begin(client, session):
    _, _, candidate, token = _invite(session, questionnaires=("analysis",), extra_time_pct=25)
    assert _start(client, token).status_code == 303
    intro = client.get(f"/a/{token}/section", headers=HTML)
    assert intro.status_code == 200 and intro.headers["cache-control"] == "no-store"
    html = intro.text
    assert 'id="section-intro"' in html and "data-item-id=" not in html  # no question yet
    assert re.search(r'id="intro-questions">\d+<', html)
    assert "including your extra time of 25 %" in html
    assert "A calculator is on the page" in html  # a numeric section
    assert "What it measures:</strong> Analysis" in html
    assert re.search(r'<meta http-equiv="refresh" content="(29\d|30\d)">', html)
    attempt = _attempt(session, candidate)
    first = session.exec(select(AttemptSection).where(
        AttemptSection.attempt_id == attempt.id, AttemptSection.position == 0)).one()
    assert first.started_at > utcnow() + timedelta(minutes=4)  # not running yet
    page = _begin(client, token)
    session.refresh(first)
    assert abs((first.started_at - utcnow()).total_seconds()) < 30
    assert (first.deadline_at - first.started_at).total_seconds() == first.time_limit_s
    assert 'data-calculator' in page and 'id="minute-warning"' in page
    # Begin again (a second tab, the Back button) changes nothing.
    deadline = first.deadline_at
    again = client.post(f"/a/{token}/section/{first.section_key}/begin",
                        data={"csrf_token": _csrf(page)}, headers=HTML, follow_redirects=False)
    assert again.status_code == 303
    session.refresh(first)
    assert first.deadline_at == deadline


def test_the_break_is_capped_and_the_section_starts_by_itself(client, session):
    _, _, candidate, token = _invite(session, questionnaires=("stress-resistance",))
    assert _start(client, token).status_code == 303
    attempt = _attempt(session, candidate)
    first = session.exec(select(AttemptSection).where(
        AttemptSection.attempt_id == attempt.id, AttemptSection.position == 0)).one()
    # Six minutes later, nobody pressed Begin: the clock has been running for a minute.
    first.started_at -= timedelta(minutes=6)
    first.deadline_at -= timedelta(minutes=6)
    session.add(first)
    session.commit()
    page = client.get(f"/a/{token}/section", headers=HTML).text
    assert 'id="section-intro"' not in page and "data-item-id=" in page
    remaining = int(re.search(r'data-remaining="(\d+)"', page).group(1))
    assert first.time_limit_s - 65 <= remaining <= first.time_limit_s - 55


def test_times_up_is_said_on_the_next_intro(client, session):
    candidate, token = _started(client, session)
    _time_out_current_section(session, candidate)
    intro = client.get(f"/a/{token}/section", headers=HTML).text
    assert 'id="times-up"' in intro and "Time's up for" in html.unescape(intro)
    assert "How you react to pressure" in intro and 'id="section-intro"' in intro


def test_the_intro_speaks_italian(client, session):
    _, _, _candidate, token = _invite(session, language="it")
    assert _start(client, token, language="it").status_code == 303
    intro = client.get(f"/a/{token}/section", headers=HTML).text
    assert "Che cosa è consentito" in intro and ">Inizia<" in intro


def test_a_forged_start_cookie_shows_a_clean_form(client, session):
    _, _, _candidate, token = _invite(session)
    client.cookies.set("kam_start_form", "eyJ4IjoxfQ.bad", path=f"/a/{token}")
    page = client.get(f"/a/{token}?check=1", headers=HTML)
    assert page.status_code == 200 and 'role="alert"' not in page.text
