"""The outbox worker as a daemon thread in the web process (embedded SQLite only).

On the SQLite default there is no second service to run, so ``kam serve`` delivers its own
e-mails. With ``--workers N`` each process runs one; they take turns claiming (BEGIN
IMMEDIATE), so nothing is sent twice in normal operation. On PostgreSQL run ``kam worker``
instead: web processes stay stateless and delivery scales on its own.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from app.core.config import Settings
from app.core.db import make_engine
from app.worker.delivery import sender_from_settings
from app.worker.dispatch import run_forever
from app.worker.maintenance import Every

logger = logging.getLogger(__name__)


class BackgroundWorker:
    """A running delivery thread; ``stop()`` lets the current message finish, then joins."""

    def __init__(
        self, thread: threading.Thread, stop_event: threading.Event, engine: Engine
    ) -> None:
        self.thread = thread
        self._stop_event = stop_event
        self._engine = engine

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop, wait up to ``timeout`` seconds, release its connection."""
        self._stop_event.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            # A send stuck past the timeout: the daemon thread dies with the process and its
            # lease hands the message to the next run, so nothing is lost.
            logger.warning("outbox background worker still busy after %.0f s", timeout)
            return
        self._engine.dispose()


def start_background_worker(settings: Settings, *, interval_s: float = 5.0) -> BackgroundWorker:
    """Start delivering the outbox in a daemon thread of this process."""
    sender = sender_from_settings(settings)  # a bad KAM_SMTP_URL fails start-up, not later
    # Its own one-connection engine: the request pool is sized one connection per request
    # thread, and this thread must not take one of theirs.
    engine = make_engine(settings.model_copy(update={"worker_threads": 1}))
    stop_event = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(stop_event, interval_s),
        # Housekeeping every 15 s: an abandoned attempt is finalized soon after its grace.
        kwargs={"sender": sender, "engine": engine, "tick": Every(15.0, engine)},
        name="kam-outbox",
        daemon=True,
    )
    thread.start()
    return BackgroundWorker(thread, stop_event, engine)
