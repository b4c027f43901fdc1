"""Fault: SIGKILL `kam serve` (and its workers) in the middle of a hiring day, start it again.

The hiring-day client keeps going: requests that fail while the server is down are sent
again after a pause, as the candidate page does. Afterwards every answer the client saw
acknowledged (200) must be in the database with its value, every attempt must be completed
(resumed by its candidate, or finalized by the worker), and nothing may be lost.

    .venv/bin/python benchmarks/faults/kill_server.py --candidates 200
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks import hiring_day


def run(*, candidates: int = 200, backend: str = "sqlite", kill_at_s: float = 45) -> dict[str, Any]:
    """A shorter hiring day with a crash ``kill_at_s`` seconds in; returns the verdict too."""
    result = hiring_day.run(candidates=candidates, backend=backend, ramp_s=20,
                            kill_at_s=kill_at_s)
    db = result["database"]
    failures = sum(r["failed"] for name, r in result["requests"].items()
                   if name != "resent_save")  # refused by design (409 after submit)
    result["verdict"] = {
        "killed_and_restarted": len(result["restarts_s"]) == 1,
        "no_acknowledged_answer_lost": db["lost_answers"] == 0,
        "attempts_resumed_and_completed": db["completed"] == db["attempts"] == candidates,
        "failed_tries_during_the_outage": failures,
    }
    checks = {k: v for k, v in result["verdict"].items() if k != "failed_tries_during_the_outage"}
    result["passed"] = all(checks.values())
    return result


def main() -> None:
    """Command line; exit 1 when the fault test fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--kill-at", type=float, default=45)
    args = parser.parse_args()
    result = run(candidates=args.candidates, backend=args.backend, kill_at_s=args.kill_at)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
