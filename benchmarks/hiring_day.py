"""A hiring day: 1,000 candidates start within a minute and take the battery at a human pace.

What is compressed, and why (a real battery lasts 50 minutes; the suite must end in 15):

- **The battery** is the newest version of every shipped questionnaire (bank v2: the default
  position's battery, each candidate's form drawn from the pools),
  republished in the throw-away database as version 2 with every section limited to
  ``--section-seconds`` (30 s) instead of 3.5-11 minutes. Candidates go through every
  section: read the state, answer, end the section, then submit (scoring the whole battery).
- **Answers**: each candidate answers ``--items`` (3) items of every section, so 21 saves,
  at a human pace of 2-5 s between answers (the per-answer pace of a real candidate is
  about 30 s; 1,000 candidates at 2-5 s is about 285 saves/s at the peak, which is what
  1,000 × 97 answers in 50 minutes would be at ten times real speed).
- **Who does what**: 92 % answer and submit; 5 % are slow (8-14 s per answer) and run out
  of time in most sections, so the clock (catch-up on their next request) moves them on;
  like the candidate page, which re-sends the answers it still holds, they send the answer
  they were writing after the section has closed (``late_save``: kept within the 60 s grace,
  so checked like any acknowledged answer);
- **The error path**: after submitting, every candidate's page re-sends its last answer
  once (a save whose reply it never saw); the attempt is submitted, so the server answers
  409 (``resent_save``, counted apart, never as a failure): about 950 refused requests
  spread over the day, the path that used to stall the service;
  3 % abandon after a random section and never come back, so the worker must finalize them
  from their saved answers within deadline + grace (60 s) + 30 s.
- **Speed**: ``--speed`` (10) is how many times faster than a real day the run goes; every
  pause and the section limits scale with it. ``--speed 1`` is the same day at real speed
  (answers every 20-50 s, at most 300 s per section: about 15 minutes).

Afterwards every attempt must be completed within that bound, and every save the client saw
acknowledged (200) must be in the database with its value. The workers' memory is sampled
every 2 s. One command::

    .venv/bin/python benchmarks/hiring_day.py --candidates 1000
    .venv/bin/python benchmarks/hiring_day.py --candidates 1000 --speed 1   # real speed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness as h
from benchmarks.loadgen import Connection, HttpError, Tally
from benchmarks.loadgen import run as loadgen_run

GRACE_S = 60
FINALIZE_SLACK_S = 30
SLOW_SHARE = 0.05
ABANDON_SHARE = float(os.environ.get("BENCH_ABANDON_SHARE", "0.03"))


BENCH_VERSION = 100
#: At ``--speed 10`` (the compressed day): 30 s per section, an answer every 2-5 s (8-14 s
#: for the slow); ``--speed 1`` multiplies each by ten.
COMPRESSED_SPEED = 10.0
COMPRESSED_SECTION_S = 30


def compressed_bank(directory: Path, section_seconds: int) -> Path:
    """The newest version of each shipped questionnaire, republished as version
    ``BENCH_VERSION`` with every section limited to ``section_seconds`` (positions take the
    newest version, so the bench's attempts run on these)."""
    from app.bank.service import BANK_DIR

    directory.mkdir(parents=True, exist_ok=True)
    newest: dict[str, tuple[int, Path]] = {}
    for source in Path(BANK_DIR).glob("*.v*.yaml"):
        key, version = re.fullmatch(r"(.+)\.v(\d+)\.yaml", source.name).groups()  # type: ignore[union-attr]
        if int(version) > newest.get(key, (0, source))[0]:
            newest[key] = (int(version), source)
    for key, (version, source) in sorted(newest.items()):
        text = source.read_text()
        text = re.sub(rf"(?m)^version: {version}$", f"version: {BENCH_VERSION}", text)
        text = re.sub(r"(?m)^(\s+time_limit_s:) \d+$", rf"\1 {section_seconds}", text)
        (directory / f"{key}.v{BENCH_VERSION}.yaml").write_text(text)
    return directory


# --- the client (its own process) ---------------------------------------------------------


def _answer(item: dict[str, Any], rng: random.Random) -> Any:
    if item.get("response") == "best_worst":
        best, worst = rng.sample(item["options"], 2)
        return {"best": best["id"], "worst": worst["id"]}
    if item.get("options"):
        return rng.choice(item["options"])["id"]
    if item.get("scale"):
        return rng.randint(item["scale"]["min"], item["scale"]["max"])
    return round(rng.uniform(1, 500), 1)


async def _candidate(n: int, token: str, *, url: str, ramp_s: float, items: int,
                     tallies: dict[str, Tally], acknowledged: list[list[Any]],
                     outcomes: dict[str, int], seed: int, speed: float) -> None:
    rng = random.Random(seed * 100_003 + n)
    kind = rng.random()
    slow, abandon_after = kind < SLOW_SHARE, None
    if SLOW_SHARE <= kind < SLOW_SHARE + ABANDON_SHARE:
        abandon_after = rng.randrange(0, 7)
    stretch = COMPRESSED_SPEED / speed
    pace = tuple(stretch * s for s in ((8.0, 14.0) if slow else (2.0, 5.0)))
    await asyncio.sleep(rng.uniform(0, ramp_s))
    connection = Connection(url, timeout=60)
    base = f"/api/v1/assessments/{token}"

    async def call(name: str, method: str, path: str, body: Any = None) -> Any:
        # Like the candidate page: a request that fails in transit or with a 503 is sent
        # again after a pause (the page keeps unsaved answers and re-sends them). Every
        # failed try is counted; only the final outcome decides what was acknowledged.
        for pause in (1, 2, 4, 8, 8, 8, 8):
            started = time.monotonic()
            try:
                status, _, content = await connection.request(method, path, body)
            except HttpError as exc:
                tallies[name].add((time.monotonic() - started) * 1000, None, str(exc))
                await asyncio.sleep(pause)
                continue
            error = None if 200 <= status < 300 else content[:200].decode(errors="replace")
            tallies[name].add((time.monotonic() - started) * 1000, status, error)
            if status == 503:
                await asyncio.sleep(pause)
                continue
            return json.loads(content) if error is None and content else None
        return None

    last_save: tuple[str, Any] | None = None
    try:
        await call("state", "GET", base)
        await call("start", "POST", f"{base}/start", {
            "consent": True, "language": "en", "screening": h.SCREENING})
        done = 0
        while True:
            if abandon_after is not None and done >= abandon_after:
                outcomes["abandoned"] += 1
                return
            state = await call("state", "GET", base)
            if not state or state["status"] != "in_progress" or not state["current_section"]:
                break
            section = state["current_section"]
            deadline = time.monotonic() + section["remaining_s"]
            timed_out = False
            for item in section["items"][:items]:
                think = rng.uniform(*pace)
                if time.monotonic() + think > deadline - 2:
                    # Out of time: the page shows 0:00 and, as the real page does with the
                    # answers it still holds, sends the one being written; the section has
                    # closed, so the server refuses it (the error path, on a busy day).
                    await asyncio.sleep(max(0.0, deadline - time.monotonic() + 1))
                    value = _answer(item, rng)
                    saved = await call("late_save", "PUT", f"{base}/answers/{item['id']}",
                                       {"value": value, "elapsed_ms": int(think * 1000)})
                    if saved is not None:  # inside the server's grace: kept, so checked
                        acknowledged.append([token, item["id"], value])
                    timed_out = True
                    break
                await asyncio.sleep(think)
                value = _answer(item, rng)
                saved = await call("save", "PUT", f"{base}/answers/{item['id']}",
                                   {"value": value, "elapsed_ms": int(think * 1000)})
                if saved is not None:
                    acknowledged.append([token, item["id"], value])
                    last_save = (item["id"], value)
            if not timed_out:
                await call("complete", "POST", f"{base}/sections/{section['key']}/complete")
            done += 1
        await call("submit", "POST", f"{base}/submit")
        outcomes["timed_out" if slow else "submitted"] += 1
        if last_save is not None:
            # The page re-sends an answer whose reply it never saw (a save that crossed the
            # submit): the attempt is submitted, so the server refuses it with 409. The error
            # path of every request, taken ~1,000 times on a busy day.
            await call("resent_save", "PUT", f"{base}/answers/{last_save[0]}",
                       {"value": last_save[1], "elapsed_ms": 1000})
    finally:
        await connection.close()


async def _client(url: str, tokens: list[str], *, ramp_s: float, items: int,
                  seed: int, speed: float) -> dict[str, Any]:
    tallies = {name: Tally()
               for name in ("state", "start", "save", "complete", "submit", "late_save",
                            "resent_save")}
    acknowledged: list[list[Any]] = []
    outcomes = {"submitted": 0, "timed_out": 0, "abandoned": 0}
    started = time.monotonic()
    await asyncio.gather(*(
        _candidate(n, token, url=url, ramp_s=ramp_s, items=items, tallies=tallies,
                   acknowledged=acknowledged, outcomes=outcomes, seed=seed, speed=speed)
        for n, token in enumerate(tokens)))
    duration = time.monotonic() - started
    return {"duration_s": duration, "outcomes": outcomes, "acknowledged": acknowledged,
            "requests": {name: tally.summary(duration) for name, tally in tallies.items()}}


# --- the orchestrator ---------------------------------------------------------------------


class MemorySampler(threading.Thread):
    """Samples the server's workers' RSS every ``every`` seconds."""

    def __init__(self, server: h.Server, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.every):
            self.server.sample_memory()


def check_database(url: str, tokens: list[str], acknowledged: list[list[Any]],
                   *, wait_until: float) -> dict[str, Any]:
    """Wait for every attempt to be finalized (up to ``wait_until``), then compare."""
    from sqlmodel import select

    from app.assessments import service as assessment_service
    from app.assessments.models import Answer, Attempt
    from app.auth.security import token_hash
    from app.candidates.models import Invitation
    from app.core.db import session_scope

    h.use_database(url)
    while True:
        with session_scope(read_only=True) as session:
            open_attempts = session.exec(
                select(Attempt.id).where(Attempt.status == "in_progress")).all()
        if not open_attempts or time.time() > wait_until:
            break
        time.sleep(2)
    late, lateness, completed = [], [], 0
    with session_scope(read_only=True) as session:
        by_hash = {token_hash(t): t for t in tokens}
        attempts = {by_hash[invitation.token_hash]: attempt for attempt, invitation in session.exec(
            select(Attempt, Invitation).join(Invitation, Invitation.id == Attempt.invitation_id))}
        for attempt in attempts.values():
            sections = assessment_service.sections_of(session, attempt)
            deadline = assessment_service.final_deadline(sections)
            completed += attempt.status == "completed"
            if attempt.status != "completed" or attempt.submitted_at is None or deadline is None:
                late.append(attempt.id)
                continue
            overdue = (attempt.submitted_at - deadline).total_seconds()
            lateness.append(overdue)
            if attempt.submitted_at > deadline + timedelta(seconds=GRACE_S + FINALIZE_SLACK_S):
                late.append(attempt.id)
        stored = {(a.attempt_id, a.item_id): a.value["v"] for a in session.exec(select(Answer))}
    lost = [row for row in acknowledged
            if row[0] not in attempts
            or stored.get((attempts[row[0]].id, row[1]), object()) != row[2]]
    h.release_database()
    return {"attempts": len(attempts), "not_started": len(tokens) - len(attempts),
            "completed": completed,
            "not_finalized_in_time": len(late), "max_seconds_past_deadline": max(lateness,
                                                                                default=0),
            "acknowledged_answers": len(acknowledged), "lost_answers": len(lost)}


def profile_worker(server: h.Server, out: Path, *, start_after_s: float, seconds: int) -> None:
    """Sample one worker with py-spy (``pip install py-spy``) at the peak of the day and write
    its folded stacks to ``out``; :func:`profile_summary` reads them."""
    time.sleep(start_after_s)
    worker = next(pid for pid in server.pids()[1:] if h._is_worker(pid))
    spy = shutil.which("py-spy") or str(h.VENV_BIN / "py-spy")
    subprocess.run([spy, "record", "--pid", str(worker), "--duration", str(seconds),
                    "--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"],
                   check=False, capture_output=True, timeout=seconds + 60)


def profile_summary(folded: Path, top: int = 25) -> list[tuple[str, float]]:
    """Share of the samples each function appears in (inclusive), from py-spy's folded stacks."""
    counts: dict[str, int] = {}
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        for frame in set(stack.split(";")):
            counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [(frame, 100 * n / max(total, 1)) for frame, n in ranked]


def _children_cpu_s() -> float:
    """CPU seconds of the child processes waited for so far (here: the client)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(*, candidates: int = 1000, workers: int = 2, backend: str = "sqlite",
        section_seconds: int | None = None, items: int = 3, ramp_s: float = 60, seed: int = 1,
        kill_at_s: float | None = None, threads: int | None = None,
        speed: float = COMPRESSED_SPEED, profile: Path | None = None) -> dict[str, Any]:
    """Seed, serve, run the client process, check the database; ``kill_at_s`` SIGKILLs the
    server that many seconds in and starts it again (the crash fault). ``speed`` is how many
    times faster than real the day goes (section limits default to 300 s / ``speed``)."""
    if section_seconds is None:
        section_seconds = round(COMPRESSED_SECTION_S * COMPRESSED_SPEED / speed)
    with tempfile.TemporaryDirectory(prefix="kam-hiring-") as tmp:
        workdir = Path(tmp)
        database = h.Database(backend, workdir).create()
        try:
            h.prepare(database.url, bank_dir=compressed_bank(workdir / "bank", section_seconds))
            seeded = h.seed_position(title="KAM hiring day")
            tokens = h.invite(seeded, candidates, prefix="day")
            h.release_database()
            (workdir / "tokens.json").write_text(json.dumps(tokens))
            env = {"KAM_WORKER_THREADS": str(threads)} if threads else {}
            # The capped wait between sections shrinks with the day (5 minutes at real speed).
            env["KAM_SECTION_BREAK_SECONDS"] = str(round(300 / speed))
            server = h.Server.kam(database.url, workdir, workers=workers, **env).start()
            sampler = MemorySampler(server)
            sampler.start()
            h.log(f"hiring day: {candidates} candidates on {backend}, {workers} worker(s)")
            server_cpu = h.cpu_seconds(server.pids())
            children_cpu = _children_cpu_s()
            client = subprocess.Popen([
                sys.executable, __file__, "client", "--url", server.url, "--tokens",
                str(workdir / "tokens.json"), "--out", str(workdir / "client.json"),
                "--ramp", str(ramp_s), "--items", str(items), "--seed", str(seed),
                "--speed", str(speed)])
            restarts = []
            try:
                if profile is not None:
                    profile_worker(server, profile, start_after_s=ramp_s, seconds=30)
                if kill_at_s is not None:
                    time.sleep(kill_at_s)
                    h.log("SIGKILL the server (and its workers)")
                    server.kill()
                    down_at = time.monotonic()
                    server.start()
                    restarts.append(round(time.monotonic() - down_at, 1))
                    h.log(f"server back after {restarts[-1]} s")
                client.wait(timeout=ramp_s + 10 * (section_seconds + 20) + 600)
                # Where the two cores went: the server's workers and the client process.
                # (Not the server's after a restart: its new processes started from zero.)
                cpu = {"server_cpu_s": None if restarts
                       else h.cpu_seconds(server.pids()) - server_cpu,
                       "client_cpu_s": _children_cpu_s() - children_cpu}
            finally:
                if client.poll() is None:
                    client.kill()
            result = json.loads((workdir / "client.json").read_text())
            check = check_database(
                database.url, tokens, result["acknowledged"],
                wait_until=time.time() + section_seconds * 10 + GRACE_S + FINALIZE_SLACK_S + 30)
            sampler.halt.set()
            server.stop()
            log_text = server.log_text()
            if os.environ.get("BENCH_KEEP_LOGS"):
                shutil.copy(server.log_path, os.environ["BENCH_KEEP_LOGS"])
        finally:
            h.release_database()
            database.drop()
    result.pop("acknowledged")
    return {"candidates": candidates, "workers": workers, "threads": threads or h.default_threads(),
            "backend": backend,
            "speed": speed, "section_seconds": section_seconds, "items_per_section": items,
            "ramp_s": ramp_s,
            **result, **cpu, "database": check, "peak_worker_rss_mb": server.peak_rss_mb(),
            "restarts_s": restarts, "database_is_locked": log_text.count("database is locked"),
            "server_errors_logged": log_text.count('"status": 5')}


def main() -> None:
    """Command line: the whole run (default) or the client process (``client``)."""
    parser = argparse.ArgumentParser(description="The hiring-day scenario.")
    parser.add_argument("mode", nargs="?", choices=["run", "client"], default="run")
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--speed", type=float, default=COMPRESSED_SPEED,
                        help="times faster than a real day (10: compressed; 1: real speed)")
    parser.add_argument("--section-seconds", type=int,
                        help="each section's limit (default 300 s / speed)")
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--ramp", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, help="KAM_WORKER_THREADS of the server")
    parser.add_argument("--profile", type=Path,
                        help="py-spy one worker for 30 s after the ramp; folded stacks here")
    parser.add_argument("--url")
    parser.add_argument("--tokens", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.mode == "client":
        tokens = json.loads(args.tokens.read_text())
        result = loadgen_run(_client(args.url, tokens, ramp_s=args.ramp, items=args.items,
                                     seed=args.seed, speed=args.speed))
        args.out.write_text(json.dumps(result))
        return
    print(json.dumps(run(candidates=args.candidates, workers=args.workers,
                         backend=args.backend, section_seconds=args.section_seconds,
                         items=args.items, ramp_s=args.ramp, seed=args.seed,
                         threads=args.threads, speed=args.speed, profile=args.profile),
                     indent=2))
    if args.profile is not None and args.profile.exists():
        for frame, share in profile_summary(args.profile):
            print(f"{share:5.1f} %  {frame}", file=sys.stderr)


if __name__ == "__main__":
    main()
