"""Fixtures of the webhook tests."""

import pytest

from tests.app.reports.scenario import Team, make_team


@pytest.fixture
def team(session) -> Team:  # type: ignore[no-untyped-def]
    """Staff of one organization with a position (commercial knowledge + English)."""
    return make_team(session)


@pytest.fixture
def allow_loopback(monkeypatch):  # type: ignore[no-untyped-def]
    """An install that lets webhooks reach this machine (KAM_WEBHOOK_ALLOW_NETWORKS), as an
    on-premise one would its own network: the tests' receivers listen on 127.0.0.1."""
    from app.core.config import get_settings

    monkeypatch.setenv("KAM_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8, ::1/128")
    get_settings.cache_clear()
    yield get_settings().webhook_egress
    monkeypatch.delenv("KAM_WEBHOOK_ALLOW_NETWORKS")
    get_settings.cache_clear()
