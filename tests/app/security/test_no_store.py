"""What a signed-in staff member is shown is never kept in a browser's or a proxy's cache."""

from __future__ import annotations

from tests.app.reports.scenario import complete, make_team
from tests.factories import auth_headers, login_browser


def test_staff_pages_and_answers_with_personal_data_are_not_stored(client, session):
    team = make_team(session)
    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    headers = auth_headers(client, team.hr)
    login_browser(client, team.hr)

    for path in ("/", f"/positions/{team.position.id}", f"/candidates/{candidate.id}",
                 f"/positions/{team.position.id}/costs", "/positions"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store", path
    for path in (f"/api/v1/candidates/{candidate.id}/report",
                 f"/api/v1/positions/{team.position.id}/candidates", "/api/v1/me"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path


def test_the_public_sign_in_page_may_be_cached_as_usual(client):
    page = client.get("/login", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "cache-control" not in page.headers
