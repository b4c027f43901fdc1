"""Fault: two `kam serve` instances behind HAProxy on one PostgreSQL; one is SIGKILLed.

The reference deployment of docs/operations.md, run the way an operator would: a throw-away
PostgreSQL database, two `kam serve --workers 2` instances on their own ports (two machines,
as far as the app can tell: they share nothing but the database), one `kam worker`, and
HAProxy from Debian on a loopback port in front of them (the configuration written is the
one the docs show). The hiring day runs through the balancer; ``--kill-at`` seconds in,
instance A and its workers are SIGKILLed and never come back. The balancer's health check
takes A out, and requests that A was serving fail in transit and are sent again by the
candidate's page (here: its stand-in, the hiring-day client), or retried by HAProxy when
no byte of the answer had arrived yet (every candidate request is idempotent).

Afterwards every save the client saw acknowledged must be in the database with its value,
every attempt must be completed (by its candidate, or by the worker from its saved answers
within deadline + grace + 30 s), and instance B must have served throughout.

    apt-get install -y haproxy
    .venv/bin/python benchmarks/faults/scale_out.py --candidates 600
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks import harness as h
from benchmarks import hiring_day

HAPROXY_CONFIG = """\
# KAM Assess behind HAProxy: the reference configuration (docs/operations.md).
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A request whose instance died before any byte of the answer came back is sent to the
    # other instance. Every candidate request is idempotent (saves are PUTs of a value,
    # submit and section ends answer the same result twice), so this never doubles work.
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout

frontend kam
    bind {bind}
    default_backend kam_instances
    # The candidate's address for rate limits and flags (uvicorn trusts it from the proxy:
    # FORWARDED_ALLOW_IPS).
    option forwardfor

backend kam_instances
    balance leastconn
    # /healthz is answered on the event loop, without a thread of the busy request pool or
    # the database, so a loaded instance is never taken for a dead one (a /readyz check
    # that queued behind requests for more than its timeout marked both instances down and
    # the balancer answered 503 itself). A dead instance is out at its first refused
    # connection (observe layer4), or after three failed checks two seconds apart.
    option httpchk GET /healthz
    timeout check 5s
    default-server inter 2s fall 3 rise 2 observe layer4 error-limit 1 on-error mark-down
{servers}
"""


def haproxy_config(bind: str, instances: list[tuple[str, str]]) -> str:
    """The HAProxy configuration for ``instances`` (name, host:port) behind ``bind``."""
    servers = "\n".join(f"    server {name} {address} check" for name, address in instances)
    return HAPROXY_CONFIG.format(bind=bind, servers=servers)


class Process:
    """A long-running helper process (`kam worker`, HAProxy) with its log file."""

    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.argv, self.log_path, self.env = argv, log_path, env
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log_path.open("a") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                            env=self.env, cwd=h.ROOT, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _wait_for(url: str, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def run(*, candidates: int = 600, kill_at_s: float = 60, section_seconds: int = 30,
        items: int = 3, ramp_s: float = 60, seed: int = 1) -> dict[str, Any]:
    """The whole fault run; the verdict is in ``result["passed"]``."""
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        raise SystemExit("haproxy is not installed: apt-get install -y haproxy")
    with tempfile.TemporaryDirectory(prefix="kam-scale-out-") as tmp:
        workdir = Path(tmp)
        database = h.Database("postgresql", workdir).create()
        processes: list[Any] = []
        try:
            h.prepare(database.url,
                      bank_dir=hiring_day.compressed_bank(workdir / "bank", section_seconds))
            seeded = h.seed_position(title="KAM scale-out day")
            tokens = h.invite(seeded, candidates, prefix="scale")
            h.release_database()
            (workdir / "tokens.json").write_text(json.dumps(tokens))
            a = h.Server.kam(database.url, workdir, workers=2, name="instance-a").start()
            b = h.Server.kam(database.url, workdir, workers=2, name="instance-b").start()
            processes += [a, b]
            worker = Process([str(h.VENV_BIN / "kam"), "worker", "--interval", "2"],
                             workdir / "worker.log", env=h.server_env(database.url)).start()
            processes.append(worker)
            port = h.free_port()
            config = haproxy_config(f"{h.LOOPBACK}:{port}",
                                    [("a", f"{h.LOOPBACK}:{a.port}"),
                                     ("b", f"{h.LOOPBACK}:{b.port}")])
            (workdir / "haproxy.cfg").write_text(config)
            balancer = Process([haproxy, "-db", "-f", str(workdir / "haproxy.cfg")],
                               workdir / "haproxy.log").start()
            processes.append(balancer)
            url = f"http://{h.LOOPBACK}:{port}"
            _wait_for(f"{url}/healthz")
            h.log(f"scale-out: {candidates} candidates through HAProxy to two instances")
            client = subprocess.Popen([
                sys.executable, hiring_day.__file__, "client", "--url", url, "--tokens",
                str(workdir / "tokens.json"), "--out", str(workdir / "client.json"),
                "--ramp", str(ramp_s), "--items", str(items), "--seed", str(seed)])
            try:
                time.sleep(kill_at_s)
                h.log("SIGKILL instance A and its workers; it does not come back")
                a.kill()
                killed_at = time.monotonic()
                b_alive_after = b.answers()
                client.wait(timeout=ramp_s + 10 * (section_seconds + 20) + 600)
                b_alive_at_end = b.answers()
            finally:
                if client.poll() is None:
                    client.kill()
            result = json.loads((workdir / "client.json").read_text())
            check = hiring_day.check_database(
                database.url, tokens, result.pop("acknowledged"),
                wait_until=time.time() + section_seconds * 10 + hiring_day.GRACE_S
                + hiring_day.FINALIZE_SLACK_S + 30)
            logs = "".join(server.log_text() for server in (a, b))
        finally:
            for process in reversed(processes):
                process.stop()
            h.release_database()
            database.drop()
    failed = sum(r["failed"] for name, r in result["requests"].items()
                 if name != "resent_save")  # refused by design (409 after submit)
    verdict = {
        "instance_b_served_throughout": b_alive_after and b_alive_at_end,
        "no_acknowledged_answer_lost": check["lost_answers"] == 0,
        "every_attempt_finalized_in_time": (check["completed"] == check["attempts"] == candidates
                                            and check["not_finalized_in_time"] == 0),
    }
    return {"candidates": candidates, "instances": 2, "workers_per_instance": 2,
            "kill_at_s": kill_at_s, "seconds_from_kill_to_end": round(time.monotonic()
                                                                     - killed_at, 1),
            **result, "database": check, "failed_tries": failed,
            "server_errors_logged": logs.count('"status": 5'),
            "haproxy_config": config, "verdict": verdict, "passed": all(verdict.values())}


def main() -> None:
    """Command line; exit 1 when the fault test fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=600)
    parser.add_argument("--kill-at", type=float, default=60)
    parser.add_argument("--ramp", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(candidates=args.candidates, kill_at_s=args.kill_at, ramp_s=args.ramp,
                 seed=args.seed)
    print(json.dumps({k: v for k, v in result.items() if k != "haproxy_config"}, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
