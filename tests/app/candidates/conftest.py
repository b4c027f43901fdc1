"""Fixtures of the candidates tests."""

import pytest

from tests.app.reports.scenario import Team, make_team


@pytest.fixture
def team(session) -> Team:  # type: ignore[no-untyped-def]
    """Staff of one organization with a position (commercial knowledge + English)."""
    return make_team(session)
