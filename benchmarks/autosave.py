"""Autosave under load, against the bare-FastAPI baseline in the same run.

For one backend: 100 candidates start the English test (through the service), then

1. the baseline app (``benchmarks/baseline_app.py``, same uvicorn workers) takes wrk's closed
   loop of 100 connections on ``GET /ping`` and on ``POST /insert`` (one INSERT + commit),
   and the open-loop generator's fixed rate on ``POST /insert``;
2. ``kam serve`` takes the same on ``PUT /api/v1/assessments/{token}/answers/{item}``: the
   real autosave (token → invitation, candidate and attempt; section open and deadline;
   upsert; commit before the 200).

Capacity is wrk's throughput (saves/s with 100 connections always busy). Latency is taken at
a fixed offered rate (default 300 saves/s from the same 100 candidates), timed from when
each save was due. The server log is searched for "database is locked" and 5xx.

    .venv/bin/python benchmarks/autosave.py --backend sqlite --workers 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness as h

CANDIDATES = 100


def make_plan(workdir: Path, url: str, candidates: int) -> Path:
    """Migrate, seed ``candidates`` started attempts and write the plan file."""
    h.prepare(url)
    seeded = h.seed_position(questionnaires=["english"])
    started = h.start_attempts(h.invite(seeded, candidates))
    h.release_database()
    plan = workdir / "plan.txt"
    plan.write_text("".join(f"{n} {s.token} {item} {json.dumps(value)}\n"
                            for n, s in enumerate(started) for item, value in s.answers))
    return plan


def closed_loop(server: h.Server, script: str, plan: Path, duration_s: int) -> dict[str, Any]:
    """wrk with 100 connections; throughput, latency and CPU per request."""
    cpu_before = h.cpu_seconds(server.pids())
    try:
        result = h.wrk(server.url, script=script, connections=CANDIDATES,
                       duration_s=duration_s, env={"BENCH_PLAN": str(plan)})
    except RuntimeError as exc:  # say why the server stopped answering
        raise RuntimeError(f"{exc}\nserver log:\n{server.log_text()[-3000:]}") from exc
    cpu = h.cpu_seconds(server.pids()) - cpu_before
    server.sample_memory()
    requests = result["requests"]
    errors = sum(result["errors"].values())
    latency = result["latency_us"]
    return {"rate_per_s": requests / result["duration_us"] * 1e6, "requests": requests,
            "errors": errors, "p50_ms": latency["p50"] / 1000, "p95_ms": latency["p95"] / 1000,
            "p99_ms": latency["p99"] / 1000, "max_ms": latency["max"] / 1000,
            "cpu_ms_per_request": cpu / max(requests, 1) * 1000}


def open_loop(server: h.Server, plan: Path, *, rate: float, duration_s: int,
              target: str) -> dict[str, Any]:
    """The fixed-rate generator in its own process."""
    out = plan.with_name(f"rate-{target}-{server.port}.json")
    subprocess.run([sys.executable, str(h.BENCH_DIR / "loadgen.py"), "rate", "--url",
                    server.url, "--plan", str(plan), "--rate", str(rate), "--duration",
                    str(duration_s), "--target", target, "--out", str(out)],
                   check=True, timeout=duration_s + 120)
    server.sample_memory()
    return json.loads(out.read_text())


def run(backend: str, *, workers: int, duration_s: int = 15, rate: float = 300,
        workdir: Path | None = None, threads: int | None = None) -> dict[str, Any]:
    """The whole comparison on one backend; returns every figure (``threads``: the app's
    KAM_WORKER_THREADS, the baseline keeps the default)."""
    server_env = {"KAM_WORKER_THREADS": str(threads)} if threads else {}
    with tempfile.TemporaryDirectory(prefix="kam-bench-") as tmp:
        workdir = workdir or Path(tmp)
        database = h.Database(backend, workdir).create()
        try:
            plan = make_plan(workdir, database.url, CANDIDATES)
            h.log(f"autosave/{backend}: baseline, {workers} worker(s)")
            with h.running(h.Server.baseline(database.url, workdir, workers=workers)) as base:
                ping = closed_loop(base, "ping.lua", plan, duration_s)
                insert = closed_loop(base, "insert.lua", plan, duration_s)
                insert_rate = open_loop(base, plan, rate=rate, duration_s=duration_s,
                                        target="insert")
            h.log(f"autosave/{backend}: kam serve, {workers} worker(s)")
            app = h.Server.kam(database.url, workdir, workers=workers, **server_env)
            with h.running(app):
                time.sleep(2)  # the in-process outbox sends the 100 invitations first
                save = closed_loop(app, "save.lua", plan, duration_s)
                save_rate = open_loop(app, plan, rate=rate, duration_s=duration_s,
                                      target="save")
            log_text = app.log_text()
        finally:
            h.release_database()
            database.drop()
    return {
        "backend": backend, "workers": workers, "threads": threads or h.default_threads(),
        "candidates": CANDIDATES, "rate": rate,
        "baseline_ping": ping, "baseline_insert": insert, "baseline_insert_at_rate": insert_rate,
        "save": save, "save_at_rate": save_rate,
        "database_is_locked": log_text.count("database is locked"),
        "server_errors_logged": log_text.count('"status": 5'),
        "peak_worker_rss_mb": app.peak_rss_mb(),
    }


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="Autosave vs the baseline app.")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--threads", type=int, help="KAM_WORKER_THREADS of the app")
    args = parser.parse_args()
    print(json.dumps(run(args.backend, workers=args.workers, duration_s=args.duration,
                         rate=args.rate, threads=args.threads), indent=2))


if __name__ == "__main__":
    main()
