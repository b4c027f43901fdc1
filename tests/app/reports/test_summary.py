"""The report's first screen in plain words, then the interview guide (HTML and PDF, it/en)."""

from __future__ import annotations

import html
import io

from pypdf import PdfReader

from app.reports.summary import strongest_and_weakest
from questionnaires.interview_bank import load_interview_bank
from tests.app.reports.scenario import complete, import_norms, make_team, synthetic_norms
from tests.factories import login_browser

KEYS = ["commercial-knowledge", "english", "analysis"]


def _entry(t: float | None) -> dict:
    return {"t_score": t, "percent": None if t is None else t, "band_unit": "T", "band": "C"}


def test_strongest_and_weakest_never_overlap():
    four = {"a": _entry(60), "b": _entry(40), "c": _entry(55), "d": _entry(45), "e": _entry(None)}
    assert strongest_and_weakest(four) == (["a", "c"], ["b", "d"])
    assert strongest_and_weakest({"a": _entry(60), "b": _entry(40), "c": _entry(50)}) == (
        ["a", "c"], ["b"])
    assert strongest_and_weakest({"a": _entry(60)}) == (["a"], [])
    assert strongest_and_weakest(None) == ([], [])


def _candidate(session):
    team = make_team(session, questionnaires=KEYS, knockouts={"min_years_sales": 10})
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=KEYS))
    candidate, _ = complete(
        session, position=team.position, actor=team.hr, full_name="Rita Riassunto",
        ability={"commercial_knowledge": 0.9, "languages": 1.0, "analysis": 0.2},
        integrity={"paste_attempts": 4},
    )
    return team, candidate


def test_the_first_screen_says_it_in_plain_words_then_the_guide(client, session):
    team, candidate = _candidate(session)
    login_browser(client, team.manager)
    page = html.unescape(client.get(f"/candidates/{candidate.id}?lang=en").text)
    short = page.index("In short")
    assert short < page.index("Interview guide") < page.index("Technical detail")
    first = page[short:page.index("Interview guide", short + 10)]
    assert "of the norm group" in first  # the band in words
    assert "Strongest" in first and "Commercial knowledge" in first
    assert "Weakest" in first and "Analysis" in first
    assert "1 of 2 requirements missed." in first  # the knock-out, not the language level
    assert "Years in sales: 6 (needs 10)" in first
    assert "Paste attempts" in first
    assert "Expected value" in first and "costed as an experienced hire" in first
    assert "Rank 1 of 1, by fit score, best first" in first
    # The guide asks about the weakest competencies and the flag, from the interview bank.
    bank = load_interview_bank()
    analysis = bank.for_competency("analysis")
    assert analysis.questions[0].question.en in page
    assert analysis.questions[0].good_answer.en in page
    assert analysis.questions[0].weak_answer.en in page
    paste = bank.for_flag("paste_attempt")
    assert paste.follow_ups[0].question.en in page and paste.follow_ups[0].worrying.en in page
    assert page.count('class="answer-good"') == 3 + 2  # three questions, two follow-ups


def test_the_first_screen_and_the_guide_in_italian(client, session):
    team, candidate = _candidate(session)
    login_browser(client, team.manager)
    page = html.unescape(client.get(f"/candidates/{candidate.id}?lang=it").text)
    assert "In breve" in page and "Guida al colloquio" in page and "Dettagli tecnici" in page
    assert "del gruppo normativo" in page and "Punti deboli" in page
    assert "Anni nelle vendite: 6 (richiesto 10)" in page
    analysis = load_interview_bank().for_competency("analysis")
    assert analysis.questions[0].question.it in page
    assert analysis.questions[0].question.en not in page


def test_the_pdf_opens_on_the_summary(client, session):
    team, candidate = _candidate(session)
    login_browser(client, team.manager)
    response = client.get(f"/candidates/{candidate.id}/report.pdf?lang=en")
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    first = pages[0].extract_text()
    assert "In short" in first and "Expected value" in first and "requirements missed" in first
    text = "".join(p.extract_text() for p in pages)
    assert "Interview guide" in text and "Technical detail" in text
    assert "Record a decision" not in text


def _text_x(page) -> list[float]:
    """Where each piece of text on a PDF page starts, left to right, in points."""
    xs: list[float] = []

    def visit(text, cm, tm, *_):
        if text.strip():
            xs.append(cm[4] + tm[4] * cm[0])

    page.extract_text(visitor_text=visit)
    return xs


def test_a_comparison_of_five_fits_a4_landscape_in_four_pages(client, session):
    team = make_team(session, questionnaires=KEYS, knockouts={"min_years_sales": 5})
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=KEYS))
    names = ["Alessandra Bellini-Marchetti", "Bartolomeo Rossi", "Chiara Esposito",
             "Domenico Ferraraccio", "Elisabetta Colombo"]
    ids = [complete(session, position=team.position, actor=team.hr, ability=0.3 + 0.15 * i,
                    seed=i, full_name=name, integrity={"paste_attempts": i})[0].id
           for i, name in enumerate(names)]
    login_browser(client, team.manager)
    response = client.get(f"/positions/{team.position.id}/compare.pdf?ids="
                          f"{','.join(map(str, ids))}&lang=it")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(reader.pages) <= 4
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
        assert all(0 <= x < width for x in _text_x(page)), "text placed outside the page"
    first = reader.pages[0].extract_text()
    assert "In sintesi" in first and "Requisiti" in first and "Valore atteso" in first
    for name in names:  # every column of the summary table is on the first page
        assert name.split()[0] in first


def test_a_language_knockout_names_the_language_in_words():
    from app.core.i18n import gettext_for
    from app.reports.wording import knockout_rule

    it, en = gettext_for("it"), gettext_for("en")
    assert knockout_rule(it, "min_languages.en") == "Lingua inglese (QCER autovalutato)"
    assert knockout_rule(en, "min_languages.it") == "Italian (self-assessed CEFR)"
    assert knockout_rule(en, "min_languages.fr") == "Language fr (self-assessed CEFR)"


def test_the_language_hurdle_names_its_language_when_the_score_knows_it():
    from app.core.i18n import gettext_for
    from app.core.numbers import Numbers
    from app.reports.wording import hurdle_short

    hurdle = {"unit": "CEFR", "actual": "A2", "required": "B2", "language": "en"}
    assert hurdle_short(gettext_for("it"), hurdle, Numbers("it")).startswith(
        "Inglese (stimato A2")
    assert hurdle_short(gettext_for("en"), hurdle, Numbers("en")).startswith(
        "English (estimated A2")
    # A score stored before hurdles named their language keeps the general word.
    older = {k: v for k, v in hurdle.items() if k != "language"}
    assert hurdle_short(gettext_for("it"), older, Numbers("it")).startswith("lingua (stimato")
