"""Voluntary self-identification on the candidate's pages, kept apart, erased and exported;
the impact report and the fairness settings on the API and pages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates import decisions as decision_service
from app.fairness import selfid as selfid_service
from app.fairness.models import SelfIdentification
from app.organizations.models import Organization
from app.privacy import service as privacy_service
from tests.app.reports.scenario import complete, make_team
from tests.factories import auth_headers, login_browser


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _ask(session, organization_id, questions=("gender", "age_band")):
    organization = session.get(Organization, organization_id)
    organization.settings = {**(organization.settings or {}),
                             "self_identification": list(questions)}
    session.add(organization)
    session.flush()


@pytest.fixture
def team(session):
    return make_team(session)


def _completed_with_token(session, team, **kwargs):
    from tests.factories import invite_candidate  # noqa: F401  (kept for symmetry)

    candidate, attempt = complete(session, position=team.position, actor=team.hr, **kwargs)
    return candidate, attempt


def _token_for(session, candidate):
    """A fresh link for a completed candidate (the invitation's own token is not stored)."""
    from app.candidates.models import Invitation

    invitation = session.exec(select(Invitation).where(
        Invitation.candidate_id == candidate.id)).one()
    token = f"test-token-{candidate.id}-" + "x" * 40
    from app.candidates.service import token_hash

    invitation.token_hash = token_hash(token)
    session.add(invitation)
    session.flush()
    return token


def test_the_optional_page_saves_only_with_consent_and_can_be_withdrawn(client, session, team):
    _ask(session, team.admin.organization_id)
    candidate, _attempt = _completed_with_token(session, team)
    token = _token_for(session, candidate)

    done = client.get(f"/a/{token}/done")
    assert done.status_code == 200 and f"/a/{token}/about-you" in done.text
    page = client.get(f"/a/{token}/about-you")
    assert page.status_code == 200
    assert 'name="gender"' in page.text and 'name="age_band"' in page.text
    assert 'name="disability"' not in page.text  # not chosen by the organization
    csrf = _csrf(page.text)

    refused = client.post(f"/a/{token}/about-you", data={
        "csrf_token": csrf, "action": "save", "gender": "female"})
    assert refused.status_code == 422
    assert selfid_service.get(session, candidate_id=candidate.id) is None

    saved = client.post(f"/a/{token}/about-you", data={
        "csrf_token": csrf, "action": "save", "consent": "yes", "gender": "female",
        "age_band": "prefer_not", "disability": "yes"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("about_you=saved")
    row = selfid_service.get(session, candidate_id=candidate.id)
    assert (row.gender, row.age_band, row.disability) == ("female", "prefer_not", None)

    bad = client.post(f"/a/{token}/about-you", data={
        "csrf_token": csrf, "action": "save", "consent": "yes", "gender": "robot"})
    assert bad.status_code == 422  # a friendly page naming the field, nothing changed
    assert selfid_service.get(session, candidate_id=candidate.id).gender == "female"

    client.post(f"/a/{token}/about-you", data={"csrf_token": csrf, "action": "withdraw"})
    assert selfid_service.get(session, candidate_id=candidate.id) is None


def test_the_page_waits_for_submit_and_is_absent_when_nothing_is_asked(client, session, team):
    from tests.factories import invite_candidate

    _candidate, token = invite_candidate(session, position=team.position, actor=team.hr)
    early = client.get(f"/a/{token}/about-you", follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"].endswith("/section")

    candidate, _attempt = _completed_with_token(session, team)
    done_token = _token_for(session, candidate)
    assert "about-you" not in client.get(f"/a/{done_token}/done").text
    absent = client.get(f"/a/{done_token}/about-you", follow_redirects=False)
    assert absent.status_code == 303 and absent.headers["location"].endswith("/done")


def test_answers_are_exported_with_the_candidate_and_erased_with_them(session, team):
    _ask(session, team.admin.organization_id)
    candidate, _attempt = _completed_with_token(session, team)
    selfid_service.save(session, organization_id=candidate.organization_id,
                        candidate_id=candidate.id, questions=["gender", "age_band"],
                        answers={"gender": "male", "age_band": "40_plus"})

    exported = privacy_service.export(session, candidate=candidate)
    assert exported["self_identification"]["gender"] == "male"

    privacy_service.erase(session, candidate=candidate, actor=team.admin)
    assert session.exec(select(SelfIdentification).where(
        SelfIdentification.candidate_id == candidate.id)).first() is None


def test_staff_never_see_answers_per_candidate(client, session, team):
    _ask(session, team.admin.organization_id)
    candidate, _attempt = _completed_with_token(session, team)
    selfid_service.save(session, organization_id=candidate.organization_id,
                        candidate_id=candidate.id, questions=["gender"],
                        answers={"gender": "another"})
    headers = auth_headers(client, team.admin)

    report = client.get(f"/api/v1/candidates/{candidate.id}/report", headers=headers)
    pipeline = client.get(f"/api/v1/positions/{team.position.id}/candidates", headers=headers)
    assert report.status_code == 200 and pipeline.status_code == 200
    for text in (report.text, pipeline.text):
        assert "another" not in text and "self_identification" not in text


def test_impact_report_counts_groups_steps_and_unknown_from_live_data(client, session, team):
    _ask(session, team.admin.organization_id, ("gender",))
    genders = ["female"] * 6 + ["male"] * 6 + [None] * 2
    for i, gender in enumerate(genders):
        candidate, _attempt = complete(session, position=team.position, actor=team.hr, seed=i)
        if gender:
            selfid_service.save(session, organization_id=candidate.organization_id,
                                candidate_id=candidate.id, questions=["gender"],
                                answers={"gender": gender})
        # Advance 2 of 6 women and 5 of 6 men; one unknown.
        if (gender == "female" and i < 2) or (gender == "male" and i < 11) or i == 12:
            decision_service.record(session, candidate=candidate, decision="advance", note="",
                                    actor=team.hr)
    headers = auth_headers(client, team.hr)

    body = client.get("/api/v1/fairness/impact", headers=headers,
                      params={"position_id": team.position.id}).json()

    assert body["n"] == 14 and body["asked"] == ["gender"]
    gender = next(a for a in body["attributes"] if a["attribute"] == "gender")
    advanced = gender["steps"]["advanced"]
    shown = {g["group"]: g for g in advanced["groups"]}
    assert (shown["female"]["selected"], shown["male"]["selected"]) == (2, 5)
    assert shown["female"]["four_fifths_flag"] is True
    assert shown["female"]["impact_ratio"] == pytest.approx((2 / 6) / (5 / 6))
    assert (advanced["unknown_n"], advanced["unknown_selected"]) == (2, 1)
    language = next(a for a in body["attributes"] if a["attribute"] == "test_language")
    assert language["known_n"] == 14

    table = client.get("/api/v1/fairness/impact.csv", headers=headers).text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {"attribute": "gender", "step": "advanced", "group": "female"}.items() <= next(
        r for r in rows if r["group"] == "female" and r["step"] == "advanced").items()
    ll144 = client.get("/api/v1/fairness/ll144.csv", headers=headers).text
    assert "scoring_rate" in ll144.splitlines()[0]

    assert client.get("/api/v1/fairness/impact", headers=headers,
                      params={"intersect": "gender,shoe_size"}).status_code == 422
    assert client.get("/api/v1/fairness/impact", headers=headers,
                      params={"since": "yesterday"}).status_code == 422
    outsider = auth_headers(client, team.outsider)
    assert client.get("/api/v1/fairness/impact", headers=outsider,
                      params={"position_id": team.position.id}).status_code == 404
    assert client.get("/api/v1/fairness/impact",
                      headers=auth_headers(client, team.manager)).status_code == 403

    login_browser(client, team.hr)
    page = client.get("/fairness", params={"position_id": team.position.id})
    assert page.status_code == 200 and "below 0.80" in page.text


def test_settings_are_validated_and_every_change_is_audited(client, session, team):
    headers = auth_headers(client, team.admin)

    changed = client.patch("/api/v1/fairness/settings", headers=headers, json={
        "self_identification": ["gender", "disability"], "hide_rankings": True,
        "audit_retention_months": 12, "oversight_contact": "Ada, hr@example.com"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["self_identification"] == ["gender", "disability"]
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "oversight.settings")).one()
    assert entry.details["hide_rankings"] == {"from": False, "to": True}

    for body in ({}, {"self_identification": ["shoe_size"]}, {"audit_retention_months": 0},
                 {"hide_rankings": True, "colour": "red"}, {"oversight_contact": "a\nb"}):
        response = client.patch("/api/v1/fairness/settings", headers=headers, json=body)
        assert response.status_code == 422, body


def test_hiding_rankings_lists_alphabetically_and_keeps_scores_on_the_report(client, session,
                                                                            team):
    for i, name in enumerate(["Zoe Zed", "Anna Alpha", "Marco Medio"]):
        complete(session, position=team.position, actor=team.hr, seed=i, full_name=name,
                 ability=0.3 + 0.3 * i)
    login_browser(client, team.hr)
    ranked = client.get(f"/positions/{team.position.id}")
    assert "Fit score" in ranked.text
    assert "never replace, a person&#39;s judgement" in ranked.text

    client.patch("/api/v1/fairness/settings", headers=auth_headers(client, team.admin),
                 json={"hide_rankings": True})
    hidden = client.get(f"/positions/{team.position.id}", params={"sort": "-fit"})
    assert hidden.status_code == 200
    assert "Fit score" not in hidden.text and "Expected NPV" not in hidden.text
    names = [hidden.text.index(n) for n in ("Anna Alpha", "Marco Medio", "Zoe Zed")]
    assert names == sorted(names)
    assert "hides rankings" in hidden.text
    exported = client.get(f"/positions/{team.position.id}/pipeline.csv",
                          params={"sort": "-fit"}).text
    header = exported.splitlines()[0]
    assert "Fit score" not in header and "Band" not in header and "Rank" not in header
    rows = exported.splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == sorted(r.split(",")[0] for r in rows)
    api = client.get(f"/api/v1/positions/{team.position.id}/candidates",
                     headers=auth_headers(client, team.hr), params={"sort": "-fit"}).json()
    assert api["rankings_hidden"] is True
    assert [i["full_name"] for i in api["items"]] == ["Anna Alpha", "Marco Medio", "Zoe Zed"]
    assert all(i["rank"] is None and i["fit_score"] is None and i["band"] is None
               for i in api["items"])
    report = client.get(f"/api/v1/candidates/{api['items'][0]['id']}/report",
                        headers=auth_headers(client, team.hr)).json()
    assert report["composite"] is not None  # the report keeps its scores


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_deployer_documents_render_with_live_figures(client, session, team, lang):
    _ask(session, team.admin.organization_id, ("gender", "disability"))
    for i in range(3):
        complete(session, position=team.position, actor=team.hr, seed=i)
    login_browser(client, team.admin)
    instructions = client.get("/admin/documents/instructions", params={"lang": lang})
    dpia = client.get("/admin/documents/dpia", params={"lang": lang})
    assert instructions.status_code == 200 and dpia.status_code == 200
    assert team.position.title in instructions.text
    heading = {"en": "Instructions for use", "it": "Istruzioni per l&#39;uso"}[lang]
    assert heading in instructions.text
    figures = {"en": "3 assessed", "it": "3 valutate"}[lang]
    assert figures in dpia.text
    # Disability is asked: the special category is named.
    assert {"en": "Art. 9", "it": "art. 9"}[lang] in dpia.text
    pdf = client.get("/admin/documents/dpia.pdf", params={"lang": lang})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/admin/documents/nothing").status_code == 404


def test_what_if_recomputes_impact_and_value_without_saving(client, session, team):
    from app.scores.models import Score

    _ask(session, team.admin.organization_id, ("gender",))
    for i in range(12):
        candidate, _attempt = complete(session, position=team.position, actor=team.hr, seed=i,
                                       ability={"commercial_knowledge": 0.3 + 0.05 * i,
                                                "languages": 0.9 - 0.05 * i})
        selfid_service.save(session, organization_id=candidate.organization_id,
                            candidate_id=candidate.id, questions=["gender"],
                            answers={"gender": "female" if i % 2 else "male"})
    bands_before = sorted((s.id, s.band) for s in session.exec(
        select(Score).where(Score.position_id == team.position.id)))
    weights_before = dict(team.position.weights)
    headers = auth_headers(client, team.hr)

    response = client.post(f"/api/v1/positions/{team.position.id}/what-if", headers=headers,
                           json={"weights": {"commercial_knowledge": 0.1, "languages": 0.9}})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changes"]["weights"]["to"] == {"commercial_knowledge": 0.1, "languages": 0.9}
    assert body["before"]["value"]["assessed"] == body["after"]["value"]["assessed"] == 12
    # Validity: w·ρ/√(wᵀRw) with the norm group's correlations; knowledge (ρ .40) weighted
    # less and the language hurdle (ρ 0) more gives a lower estimate.
    assert body["after"]["validity"]["value"] < body["before"]["validity"]["value"]
    assert {r["step"] for r in body["rows"]} <= {"knockouts", "requirements", "band_ab"}
    session.expire_all()
    assert dict(session.get(type(team.position), team.position.id).weights) == weights_before
    assert sorted((s.id, s.band) for s in session.exec(
        select(Score).where(Score.position_id == team.position.id))) == bands_before
    bad = client.post(f"/api/v1/positions/{team.position.id}/what-if", headers=headers,
                      json={"weights": {"commercial_knowledge": 2}})
    assert bad.status_code == 422

    # The preview is what saving does: save the same change and compare.
    saved = client.patch(f"/api/v1/positions/{team.position.id}", headers=headers,
                         json={"weights": {"commercial_knowledge": 0.1, "languages": 0.9}})
    assert saved.status_code == 200
    now = client.get("/api/v1/fairness/impact", headers=headers,
                     params={"position_id": team.position.id}).json()
    gender_now = next(a for a in now["attributes"] if a["attribute"] == "gender")
    gender_preview = next(a for a in body["after"]["impact"]["attributes"]
                          if a["attribute"] == "gender")
    assert gender_now["steps"]["band_ab"] == gender_preview["steps"]["band_ab"]
    session.expire_all()
    selected = sum(s.band in ("A", "B") for s in session.exec(
        select(Score).where(Score.position_id == team.position.id)))
    assert selected == body["after"]["value"]["selected"]

    login_browser(client, team.hr)
    edit = client.get(f"/positions/{team.position.id}/edit")
    assert f'formaction="/positions/{team.position.id}/what-if"' in edit.text
    page = client.post(f"/positions/{team.position.id}/what-if", data={
        "csrf_token": _csrf(edit.text), "title": team.position.title,
        "questionnaires": ["commercial-knowledge", "english"],
        "weight_commercial_knowledge": "0.5", "weight_languages": "0.5"})
    assert page.status_code == 200 and "Nothing has been saved" in page.text


def test_the_candidate_api_for_the_optional_questions(client, session, team):
    _ask(session, team.admin.organization_id, ("gender", "first_language"))
    candidate, _attempt = _completed_with_token(session, team)
    token = _token_for(session, candidate)
    url = f"/api/v1/assessments/{token}/self-identification"

    shown = client.get(url).json()
    assert shown["available"] is True and shown["answers"] is None
    assert shown["questions"]["gender"] == ["female", "male", "another", "prefer_not"]
    assert client.put(url, json={"consent": False, "gender": "male"}).status_code == 422
    assert client.put(url, json={"consent": True, "gender": "robot"}).status_code == 422
    saved = client.put(url, json={"consent": True, "gender": "male", "disability": "yes"})
    assert saved.status_code == 200
    assert saved.json()["answers"]["gender"] == "male"
    assert saved.json()["answers"]["disability"] is None  # not asked: not kept
    assert client.delete(url).status_code == 204
    assert selfid_service.get(session, candidate_id=candidate.id) is None


def test_the_pdf_export_shows_the_optional_answers(client, session, team):
    _ask(session, team.admin.organization_id, ("gender",))
    candidate, _attempt = _completed_with_token(session, team)
    selfid_service.save(session, organization_id=candidate.organization_id,
                        candidate_id=candidate.id, questions=["gender"],
                        answers={"gender": "another"})
    pdf = client.get(f"/api/v1/candidates/{candidate.id}/export.pdf",
                     headers=auth_headers(client, team.admin))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_impact_page_combines_the_chosen_pair_of_attributes(client, session, team):
    _ask(session, team.admin.organization_id, ("gender", "age_band"))
    for i in range(6):
        candidate, _attempt = complete(session, position=team.position, actor=team.hr, seed=i)
        selfid_service.save(session, organization_id=candidate.organization_id,
                            candidate_id=candidate.id, questions=["gender", "age_band"],
                            answers={"gender": "female", "age_band": "under_40"})
    login_browser(client, team.hr)
    page = client.get("/fairness", params={"intersect": "gender,test_language", "min_cell": 1})
    assert page.status_code == 200
    assert "Gender × Language of the questionnaires" in page.text
    assert "Woman × English" in page.text
    odd = client.get("/fairness", params={"intersect": "shoe,size"})
    assert odd.status_code == 200 and "Gender × Age" in odd.text  # back to the default


def test_the_instructions_write_knockouts_and_ranking_in_words(client, session, team):
    """No stored JSON ({"min_years_sales": 2.0}) and no raw key on the Italian document."""
    from app.positions.models import Position

    position = session.get(Position, team.position.id)
    position.knockouts = {"min_education": "bachelor", "min_languages": {"en": "B2"},
                          "min_years_sales": 2.5}
    position.ranking = {"mode": "mix", "fit_weight": 0.5}
    session.add(position)
    session.flush()
    _ask(session, team.admin.organization_id, ("gender", "age_band"))
    login_browser(client, team.admin)
    instructions = client.get("/admin/documents/instructions", params={"lang": "it"}).text
    line = next(li for li in instructions.split("<li>")
                if f"<strong>{team.position.title}</strong>" in li)
    assert "min_" not in line and "{" not in line and "mix" not in line
    assert "Anni nelle vendite ≥ 2,5" in line
    assert "Lingua inglese (QCER autovalutato) ≥ B2" in line
    assert "ordinamento: combinazione" in line
    dpia = client.get("/admin/documents/dpia", params={"lang": "it"}).text
    assert "age_band" not in dpia and "Genere, Età" in dpia
