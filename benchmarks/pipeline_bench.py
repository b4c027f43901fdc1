"""Staff pages and API on a position with 10,000 scored candidates.

10,000 candidates with score rows are bulk-inserted (``tests/app/reports/scenario.py``:
``bulk_scored``), plus 12 candidates who really took the battery (invited, started, answered,
submitted and scored through the services) for the report, the comparison and the PDF;
then ``ANALYZE``, as autovacuum or a periodic job keeps statistics current. ``kam serve``
(one worker) answers one signed-in user's requests one after the other, each timed by the
client; the baseline's ``GET /ping`` is timed the same way for the ratio.

    .venv/bin/python benchmarks/pipeline_bench.py --backend sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness as h

SCORED = 10_000
REAL = 12
REPEAT = 30


def seed(url: str) -> dict[str, Any]:
    """10,000 bulk-scored candidates and 12 real ones in one position."""
    import warnings

    from sqlalchemy import text

    from app.auth.models import User
    from app.core.db import session_scope
    from app.norms import service as norm_service
    from app.positions.models import Position

    with warnings.catch_warnings():  # tests.factories imports Starlette's TestClient
        warnings.simplefilter("ignore")
        from tests.app.reports.scenario import bulk_scored, complete

    h.prepare(url)
    seeded = h.seed_position(questionnaires=["commercial-knowledge", "english"])
    with session_scope() as session:
        hr = session.get(User, seeded.hr_id)
        position = session.get(Position, seeded.position_id)
        real = [complete(session, position=position, actor=hr, seed=n,
                         ability=0.3 + 0.05 * n)[0].id for n in range(REAL)]
        # The norm tables the server's maintenance would build from the real attempts, built
        # now: built after the bulk rows, their rescoring (from stored scale scores, which
        # bulk rows do not have) would leave those without a fit score.
        norm_service.rebuild_all_due(session)
        bulk_scored(session, position=position, n=SCORED)
    with session_scope() as session:
        dialect = session.get_bind().dialect.name
        session.exec(text("ANALYZE" if dialect == "sqlite"
                          else "ANALYZE candidate, score, invitation, attempt"))
    h.release_database()
    return {"position_id": seeded.position_id, "real": real}


def database_pids(name: str) -> list[int]:
    """PostgreSQL's backends serving database ``name`` (``postgres: ... name host(port)``)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                words = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").split()
                if words[:1] == [b"postgres:"] and name.encode() in words:
                    found.append(int(proc.name))
    return found


def timed(client: Any, path: str, *, server: h.Server, database: str | None = None,
          repeat: int = REPEAT, **kwargs: Any) -> dict[str, Any]:
    """Latency of ``repeat`` sequential GETs (after one warm-up); all must be 200. CPU time
    per request, of the server and of PostgreSQL's backends (SQLite runs in the server),
    does not grow with other load on the machine as wall time does on a shared one."""
    statuses = []
    first = client.get(path, **kwargs)
    statuses.append(first.status_code)
    latencies = []
    backends = database_pids(database) if database else []
    cpu, db_cpu = h.cpu_seconds(server.pids()), h.cpu_seconds(backends)
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, **kwargs)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status_code)
    cpu, db_cpu = h.cpu_seconds(server.pids()) - cpu, h.cpu_seconds(backends) - db_cpu
    return {"path": re.sub(r"ids=[\d,]+", "ids=…", path), "p50_ms": h.percentile(latencies, 50),
            "p95_ms": h.percentile(latencies, 95), "max_ms": max(latencies),
            "server_cpu_ms": cpu * 1000 / repeat, "database_cpu_ms": db_cpu * 1000 / repeat,
            "bytes": len(first.content), "failed": sum(s != 200 for s in statuses)}


def login(client: Any) -> None:
    """Sign the HR user in through the form (session cookie on the client)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"email": h.HR_EMAIL, "password": h.PASSWORD,
                                           "csrf_token": token, "next": "/"})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


def run(backend: str = "sqlite", *, threads: int | None = None) -> dict[str, Any]:
    """Seed, serve, time every view."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="kam-pipeline-") as tmp:
        workdir = Path(tmp)
        database = h.Database(backend, workdir).create()
        try:
            h.log(f"pipeline/{backend}: seeding {SCORED} scored candidates")
            ids = seed(database.url)
            position, real = ids["position_id"], ids["real"]
            with h.running(h.Server.baseline(database.url, workdir)) as base, \
                    httpx.Client(base_url=base.url, timeout=30) as client:
                ping = timed(client, "/ping", server=base)
            env = {"KAM_WORKER_THREADS": str(threads)} if threads else {}
            server = h.Server.kam(database.url, workdir, **env)

            def view(client: Any, path: str, **kwargs: Any) -> dict[str, Any]:
                return timed(client, path, server=server, database=database.name
                             if backend == "postgresql" else None, **kwargs)

            with h.running(server):
                views: dict[str, dict[str, Any]] = {}
                api_headers = {"Authorization": f"Bearer {h.staff_token(server.url)}"}
                with httpx.Client(base_url=server.url, timeout=60, headers=api_headers) as api:
                    base_path = f"/api/v1/positions/{position}/candidates"
                    views["pipeline API (first page)"] = view(api, base_path)
                    views["pipeline API (sort -npv, offset 5000)"] = view(
                        api, f"{base_path}?sort=-npv&offset=5000")
                    views["pipeline API (search + status)"] = view(
                        api, f"{base_path}?q=bulk%200-99&status=completed")
                    views["pipeline API (band, flags, knock-outs, 200 rows)"] = view(
                        api, f"{base_path}?band=A&flagged=false&knockouts_passed=true"
                        "&sort=name&limit=200")
                    views["candidate report API"] = view(
                        api, f"/api/v1/candidates/{real[0]}/report")
                    five = ",".join(map(str, real[:5]))
                    views["comparison of five API"] = view(
                        api, f"/api/v1/positions/{position}/compare?ids={five}")
                with httpx.Client(base_url=server.url, timeout=60,
                                  headers={"Accept": "text/html"}) as browser:
                    login(browser)
                    views["pipeline page"] = view(browser, f"/positions/{position}")
                    views["pipeline page (sort, filter, page 100)"] = view(  # 50 a page
                        browser, f"/positions/{position}?sort=-fit&status=completed&offset=4950")
                    views["candidate report page"] = view(browser, f"/candidates/{real[0]}")
                    views["comparison of five page"] = view(
                        browser, f"/positions/{position}/compare?ids={five}")
                    views["PDF report"] = view(browser, f"/candidates/{real[0]}/report.pdf",
                                               repeat=8)
                server.sample_memory()
        finally:
            h.release_database()
            database.drop()
    return {"backend": backend, "scored": SCORED, "baseline_ping": ping, "views": views,
            "peak_worker_rss_mb": server.peak_rss_mb()}


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="Pipeline, reports and PDF at 10,000.")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(json.dumps(run(args.backend), indent=2))


if __name__ == "__main__":
    main()
