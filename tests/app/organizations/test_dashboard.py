"""The dashboard's counts cover what the signed-in person may see."""

from __future__ import annotations

import re

from tests.app.reports.scenario import complete, make_team
from tests.factories import create_position, invite_candidate, login_browser


def _counts(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    shown = {label: number for number, label in re.findall(
        r'<span class="number">(\d+)</span>\s*([^<]+?)\s*</li>', page.text)}
    return {"positions": int(shown["positions open for invitations"]),
            "candidates": int(shown["candidates invited, all time"]),
            "completed": int(shown["assessments completed, all time"])}


def test_a_manager_counts_only_the_positions_assigned_to_them(client, session):
    team = make_team(session)  # the manager is assigned to team.position only
    complete(session, position=team.position, actor=team.hr, seed=1)
    other = create_position(session, actor=team.hr, questionnaires=["english"])
    for _ in range(3):
        invite_candidate(session, position=other, actor=team.hr)

    login_browser(client, team.manager)
    assert _counts(client) == {"positions": 1, "candidates": 1, "completed": 1}

    client.cookies.clear()
    login_browser(client, team.admin)
    assert _counts(client) == {"positions": 2, "candidates": 4, "completed": 1}
