"""``kam worker``: deliver the outbox from the command line (a service, or cron with --once)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer
from pydantic import ValidationError

logger = logging.getLogger(__name__)


@contextmanager
def _stop_on_signals(stop_event: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop_event`` (the current send finishes) instead of killing us."""
    if threading.current_thread() is not threading.main_thread():
        # Python only delivers signals to the main thread; elsewhere the caller stops us.
        yield
        return

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info(
            "outbox worker: %s received, stopping after the current message",
            signal.Signals(signum).name,
        )
        stop_event.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit (cron, tests).")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between delivery passes.", min=0.1)
    ] = 5.0,
) -> None:
    """Deliver queued e-mails (the outbox) with retries; stops cleanly on SIGTERM/SIGINT."""
    from app.core.config import get_settings, settings_errors
    from app.core.migrations import is_up_to_date
    from app.worker.delivery import sender_from_settings
    from app.worker.dispatch import drain, run_forever
    from app.worker.maintenance import Every, run_once

    # No-op when logging is already configured (e.g. under pytest or a custom setup).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = get_settings()
        sender = sender_from_settings(settings)
    except ValidationError as exc:
        for line in settings_errors(exc):
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:  # a malformed KAM_SMTP_URL
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not is_up_to_date():
        typer.echo(
            "error: the database schema is not up to date; run `kam migrate` first", err=True
        )
        raise typer.Exit(1)

    stop_event = threading.Event()
    with _stop_on_signals(stop_event):
        if once:
            report = drain(sender=sender, stop_event=stop_event)
            typer.echo(f"outbox: {report.sent} sent, {report.retried} to retry, {report.dead} dead")
            done = run_once()
            typer.echo(f"maintenance: {len(done.finalized)} overdue attempts finalized, "
                       f"{done.norm_tables} norm tables rebuilt")
        else:
            # Housekeeping every 15 s: abandoned attempts are finalized soon after the grace.
            run_forever(stop_event, interval, sender=sender, tick=Every(15.0))
