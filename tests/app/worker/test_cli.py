"""``kam worker`` as typer runs it, on a tiny app built from app.worker.cli.worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from app.core.config import get_settings
from app.worker.cli import worker
from tests.app.worker.conftest import SmtpServer, enqueue, row

cli = typer.Typer()
cli.command()(worker)


@pytest.fixture
def smtp_env(outbox_db, smtp: SmtpServer, monkeypatch) -> Iterator[SmtpServer]:
    """KAM_SMTP_URL pointing at the test SMTP server, for settings read by the command."""
    monkeypatch.setenv("KAM_SMTP_URL", smtp.url)
    get_settings.cache_clear()
    yield smtp
    monkeypatch.delenv("KAM_SMTP_URL")
    get_settings.cache_clear()


def test_worker_once_delivers_what_is_due_and_exits(smtp_env):
    ids = enqueue(3)

    result = CliRunner().invoke(cli, ["--once"])

    assert result.exit_code == 0, result.output
    assert "3 sent, 0 to retry, 0 dead" in result.output
    assert len(smtp_env.mailbox.envelopes) == 3
    assert {row(i).status for i in ids} == {"sent"}


def test_worker_once_with_nothing_due(smtp_env):
    result = CliRunner().invoke(cli, ["--once"])
    assert result.exit_code == 0 and "0 sent" in result.output


def test_worker_refuses_a_malformed_smtp_url(outbox_db, monkeypatch):
    monkeypatch.setenv("KAM_SMTP_URL", "imap://mail.example.com")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["--once"])
    finally:
        monkeypatch.delenv("KAM_SMTP_URL")
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "KAM_SMTP_URL" in result.output


def test_worker_refuses_an_unmigrated_database(fresh_database):
    result = CliRunner().invoke(cli, ["--once"])
    assert result.exit_code == 1
    assert "kam migrate" in result.output


def test_sigterm_stops_the_worker_loop_cleanly(smtp_env):
    [queued] = enqueue()

    previous = signal.getsignal(signal.SIGTERM)

    def terminate_after_delivery() -> None:
        deadline = time.monotonic() + 20
        while not smtp_env.mailbox.envelopes and time.monotonic() < deadline:
            time.sleep(0.05)
        # Only while the worker's handler is installed: SIGTERM must never reach pytest itself.
        if signal.getsignal(signal.SIGTERM) is not previous:
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_after_delivery)
    killer.start()
    result = CliRunner().invoke(cli, ["--interval", "0.2"])
    killer.join()

    assert result.exit_code == 0, result.output
    assert row(queued).status == "sent"
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers restored
