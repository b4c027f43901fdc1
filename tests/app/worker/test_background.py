"""The delivery loop in a daemon thread of the web process, and its graceful stop."""

from __future__ import annotations

import threading
import time

from app.core.config import get_settings
from app.worker.background import start_background_worker
from app.worker.delivery import SmtpSender
from app.worker.dispatch import run_forever
from tests.app.worker.conftest import SmtpServer, enqueue, row


def wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_background_worker_delivers_and_stops(outbox_db, smtp: SmtpServer):
    settings = get_settings().model_copy(update={"smtp_url": smtp.url})
    handle = start_background_worker(settings, interval_s=0.1)
    try:
        [queued] = enqueue()
        assert wait_for(lambda: row(queued).status == "sent")
    finally:
        handle.stop(timeout=10)
    assert not handle.thread.is_alive()
    assert len(smtp.mailbox.envelopes) == 1


def test_run_forever_finishes_the_current_message_then_exits(outbox_db, smtp: SmtpServer):
    """Stop requested while a send is in progress: that send completes, the rest wait."""
    first, second = enqueue(2)
    smtp.mailbox.stall_next = (1.0, "250 accepted, slowly")
    stop = threading.Event()
    loop = threading.Thread(
        target=run_forever, args=(stop, 0.1), kwargs={"sender": SmtpSender(smtp.url, "k@x.it")}
    )
    loop.start()
    assert wait_for(lambda: row(first).locked_until is not None)
    stop.set()  # while the first send stalls at the server
    loop.join(10)

    assert not loop.is_alive()
    assert row(first).status == "sent"
    unsent = row(second)
    # Handed back at once, not left leased: the next worker start picks it up immediately.
    assert (unsent.status, unsent.attempts, unsent.locked_until) == ("pending", 0, None)
