"""Fault: restart PostgreSQL under load; saves fail with 503 and a retry hint, then recover
without restarting the app.

The script makes a private PostgreSQL cluster (``initdb`` in a temporary directory, on a
free port of 127.0.0.1) so that restarting it disturbs no other database on the machine.
`kam serve --workers 2` runs on it while 50 candidates save 100 answers a second (the
open-loop generator, 40 s). Ten seconds in, PostgreSQL is stopped (``pg_ctl stop -m fast``:
every connection is cut), a probe save must get 503 with ``Retry-After``, and three seconds
later it starts again. The app must answer 200 again within seconds, without a restart (its
process ids do not change), and no request may end in a 500 or a dropped connection.

    .venv/bin/python benchmarks/faults/restart_postgres.py

Needs the PostgreSQL server binaries (Debian: postgresql-15) and root (to run them as the
``postgres`` user).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks import harness as h
from benchmarks.autosave import make_plan


def pg_bin() -> Path:
    """The newest installed PostgreSQL server binaries."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    return versions[-1].parent


class Cluster:
    """A throw-away PostgreSQL cluster owned by the ``postgres`` user."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = h.free_port()
        self.bin = pg_bin()

    def _as_postgres(self, *argv: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def init(self) -> Cluster:
        """initdb with trust authentication."""
        shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres")
        return self

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.directory / "postgres.log"), "-w", "-o",
                          f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1",
                          "start")

    def stop(self) -> None:
        """Fast shutdown: every connection is terminated."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                          "stop")

    @property
    def admin_url(self) -> str:
        """Superuser URL of the ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


def probe(url: str, token: str, item: str, value: Any) -> dict[str, Any]:
    """One save, as a candidate's page would send it."""
    import httpx

    try:
        response = httpx.put(f"{url}/api/v1/assessments/{token}/answers/{item}",
                             json={"value": value}, timeout=30)
    except httpx.TransportError as exc:
        return {"status": None, "error": type(exc).__name__}
    return {"status": response.status_code, "retry_after": response.headers.get("retry-after"),
            "body": response.json() if response.headers.get("content-type", "").startswith(
                "application/json") else response.text[:200]}


def run(*, rate: float = 100, duration_s: int = 40) -> dict[str, Any]:
    """The whole fault test; returns the figures and the verdict."""
    directory = Path(tempfile.mkdtemp(prefix="kam-pg-"))
    cluster = Cluster(directory).init()
    cluster.start()
    database = h.Database("postgresql", directory, admin_url=cluster.admin_url).create()
    try:
        plan = make_plan(directory, database.url, 50)
        token, item, value = plan.read_text().splitlines()[0].split(" ", 3)[1:]
        value = json.loads(value)
        server = h.Server.kam(database.url, directory, workers=2).start()
        pids_before = server.pids()
        out = directory / "load.json"
        load = subprocess.Popen([sys.executable, str(h.BENCH_DIR / "loadgen.py"), "rate",
                                 "--url", server.url, "--plan", str(plan), "--rate", str(rate),
                                 "--duration", str(duration_s), "--out", str(out)])
        timeline: list[dict[str, Any]] = []
        stop_probing = threading.Event()

        def watch() -> None:
            while not stop_probing.is_set():
                timeline.append({"t": round(time.monotonic(), 2),
                                 **probe(server.url, token, item, value)})
                time.sleep(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        time.sleep(10)
        watcher.start()
        h.log("stopping PostgreSQL (fast shutdown)")
        stopped_at = time.monotonic()
        cluster.stop()
        time.sleep(1)
        during = probe(server.url, token, item, value)
        time.sleep(2)
        h.log("starting PostgreSQL again")
        cluster.start()
        started_at = time.monotonic()
        recovered_at = None
        while time.monotonic() - started_at < 30:
            if probe(server.url, token, item, value)["status"] == 200:
                recovered_at = time.monotonic()
                break
            time.sleep(0.2)
        load.wait(timeout=duration_s + 120)
        stop_probing.set()
        watcher.join(10)
        pids_after = server.pids()
        server.stop()
        log_text = server.log_text()
        result = json.loads(out.read_text())
    finally:
        h.release_database()
        try:
            database.drop()
        finally:
            cluster.stop()
            shutil.rmtree(directory, ignore_errors=True)
    statuses = result["statuses"]
    result.pop("errors", None)
    verdict = {
        "503_with_retry_after_while_down": during.get("status") == 503
        and during.get("retry_after") is not None,
        "recovered_without_app_restart": recovered_at is not None and pids_before == pids_after,
        "no_500_and_no_dropped_connection": set(statuses) <= {"200", "503"}
        and '"status": 500' not in log_text,
    }
    return {"load": result, "probe_while_down": during,
            "seconds_down": round(started_at - stopped_at, 1),
            "seconds_to_recover_after_start": None if recovered_at is None
            else round(recovered_at - started_at, 2),
            "verdict": verdict, "passed": all(verdict.values())}


def main() -> None:
    """Command line; exit 1 when the fault test fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=int, default=40)
    args = parser.parse_args()
    result = run(rate=args.rate, duration_s=args.duration)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
