"""`kam serve` on SIGTERM: stops accepting connections, finishes in-flight saves, loses none.

A real server process on the test database. Candidates keep saving answers from threads; the
test then holds the database's write lock so that saves pile up in flight, sends SIGTERM,
checks that new connections are refused while the process is still finishing, releases the
lock and checks that every save that got a 2xx is in the database, that the in-flight ones
were answered, and that nothing got a 5xx.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from app.cli import app as kam
from tests.app.ops.conftest import USER_AGENT, Save, start_attempts, stored_answers
from tests.live_server import TLS, free_port

CANDIDATES = 4


@dataclass
class Outcome:
    """One save as the browser saw it."""

    job: Save
    started: float
    finished: float
    status: int | None = None
    error: str | None = None


class WriteLock:
    """Holds the database's write lock from outside the server (saves then wait in flight)."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._release = None

    def acquire(self) -> None:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            connection = sqlite3.connect(url.database, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")

            def release() -> None:
                connection.execute("ROLLBACK")
                connection.close()
        else:
            engine = create_engine(self.url, poolclass=NullPool)
            pg = engine.connect()
            pg.execute(text("LOCK TABLE answer IN EXCLUSIVE MODE"))  # reads still pass

            def release() -> None:
                pg.rollback()
                pg.close()
                engine.dispose()
        self._release = release

    def release(self) -> None:
        if self._release is not None:
            release, self._release = self._release, None
            release()


class Candidate(threading.Thread):
    """Saves its answers one after the other (then again) until the server is gone."""

    def __init__(self, base_url: str, plan: list[Save]) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.plan = plan
        self.outcomes: list[Outcome] = []
        self.stop = threading.Event()

    def waiting(self) -> bool:
        """True while a save has been sent and not answered yet."""
        last = self.outcomes[-1] if self.outcomes else None
        return last is not None and not last.finished

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30, verify=TLS,
                          headers={"User-Agent": USER_AGENT}) as client:
            n = 0
            while not self.stop.is_set():
                job = self.plan[n % len(self.plan)]
                n += 1
                outcome = Outcome(job, started=time.monotonic(), finished=0.0)
                self.outcomes.append(outcome)
                try:
                    response = client.put(
                        f"/api/v1/assessments/{job.token}/answers/{job.item_id}",
                        json={"value": job.value},
                    )
                    outcome.status = response.status_code
                except httpx.TransportError as exc:
                    outcome.error = type(exc).__name__
                outcome.finished = time.monotonic()
                if outcome.error:
                    return


def kam_command() -> list[str]:
    script = Path(sys.executable).with_name("kam")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from app.cli import main; main()"]


def refused(base_url: str) -> bool:
    try:
        httpx.get(f"{base_url}/healthz", timeout=2, verify=TLS)
    except httpx.ConnectError:
        return True
    except httpx.TransportError:
        return False
    return False


def wait_until(condition, timeout: float, step: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def test_sigterm_finishes_in_flight_saves_and_refuses_new_connections(fresh_database,
                                                                      tmp_path):
    migrated = CliRunner().invoke(kam, ["migrate"])  # what `kam migrate` does, in-process
    assert migrated.exit_code == 0, migrated.output
    plans = start_attempts(CANDIDATES)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KAM_DATABASE_URL": fresh_database, "KAM_ENV": "test",
           "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "serve.log"
    lock = WriteLock(fresh_database)
    candidates = [Candidate(base_url, plan) for plan in plans]
    with log_path.open("w") as log:
        server = subprocess.Popen([*kam_command(), "serve", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        up = wait_until(lambda: server.poll() is not None or not refused(base_url), 60, 0.05)
        assert up and server.poll() is None, log_path.read_text()
        for candidate in candidates:
            candidate.start()
        assert wait_until(lambda: sum(len(c.outcomes) for c in candidates) >= 20, 15)

        lock.acquire()
        # Every candidate's next save is now sent and waiting for the lock, in flight.
        time.sleep(0.2)
        assert wait_until(lambda: all(c.waiting() for c in candidates), 3)
        sigterm_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        stopped_listening = wait_until(lambda: refused(base_url), 3)
        still_finishing = server.poll() is None
        lock.release()
        assert stopped_listening, "the port still accepted connections after SIGTERM"
        assert still_finishing, "the server exited without waiting for in-flight requests"
        # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly.
        assert server.wait(timeout=20) in (0, -signal.SIGTERM), log_path.read_text()
        for candidate in candidates:
            candidate.join(timeout=20)
    finally:
        lock.release()
        for candidate in candidates:
            candidate.stop.set()
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        for candidate in candidates:
            candidate.join(timeout=10)

    outcomes = [o for c in candidates for o in c.outcomes]
    log_text = log_path.read_text()
    assert [o for o in outcomes if o.status is not None and o.status >= 500] == [], log_text
    assert {o.status for o in outcomes if o.status is not None} == {200}
    acknowledged = [o for o in outcomes if o.status is not None and 200 <= o.status < 300]
    stored = stored_answers(fresh_database)
    lost = [o.job for o in acknowledged
            if stored.get((o.job.attempt_id, o.job.item_id)) != o.job.value]
    assert lost == []
    # The saves that were waiting when SIGTERM came were finished and acknowledged.
    in_flight = [o for o in acknowledged if o.started < sigterm_at < o.finished]
    assert len(in_flight) == CANDIDATES, [(o.started, o.finished) for o in outcomes[-8:]]
    # Afterwards the door is shut: requests fail at the transport, never with an HTTP error.
    # A new connection is refused (ConnectError). uvicorn's pure-Python h11 protocol closes a
    # kept-alive connection after its last response without saying "Connection: close", so a
    # client's next request on it can fail reading instead (browsers retry those by themselves).
    failures = [o for o in outcomes if o.error is not None]
    assert {o.error for o in failures} <= {"ConnectError", "ReadError", "RemoteProtocolError"}
    assert all(o.started > sigterm_at for o in failures)
    assert refused(base_url)
