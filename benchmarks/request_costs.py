"""CPU per candidate request, by kind, through the whole app in-process.

Each of ``--candidates`` candidates takes the full battery as the hiring day's client does
(preview, start, and for every section: read the state, answer three items, end it; then
submit), through an httpx client over the ASGI app (no network, no uvicorn) on a fresh
SQLite file. Each request is timed with ``time.process_time()``, so the figures include the
client's own ~1 ms per request; they say where a candidate's server time goes::

    .venv/bin/python benchmarks/request_costs.py --candidates 15
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness as h

KINDS = ("preview", "start", "state", "complete", "save", "submit")


def _value(item: dict[str, Any]) -> Any:
    if item["type"] == "likert":
        return 4
    if item.get("response") == "best_worst":
        return {"best": item["options"][0]["id"], "worst": item["options"][1]["id"]}
    return item["options"][0]["id"]


async def _take(client: Any, token: str, cpu: dict[str, list[float]]) -> None:
    from tests.factories import SCREENING

    async def call(kind: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        started = time.process_time()
        response = await client.request(method, path, **kwargs)
        cpu[kind].append(time.process_time() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    base = f"/api/v1/assessments/{token}"
    await call("preview", "GET", base)
    state = await call("start", "POST", f"{base}/start",
                       json={"consent": True, "language": "en", "screening": SCREENING})
    while state.get("current_section"):
        section = state["current_section"]
        await call("state", "GET", base)
        answerable = [i for i in section["items"] if i["type"] == "likert" or i.get("options")]
        for item in answerable[:3]:
            await call("save", "PUT", f"{base}/answers/{item['id']}",
                       json={"value": _value(item)})
        state = await call("complete", "POST", f"{base}/sections/{section['key']}/complete")
    await call("submit", "POST", f"{base}/submit")


def run(candidates: int) -> dict[str, dict[str, float]]:
    """Mean CPU ms and count per request kind."""
    with tempfile.TemporaryDirectory(prefix="kam-costs-") as tmp:
        url = f"sqlite:///{tmp}/costs.db"
        os.environ.update(KAM_DATABASE_URL=url, KAM_ENV="production",
                          KAM_SECRET_KEY="request-costs-" + "x" * 40, KAM_SMTP_URL="")
        logging.disable(logging.WARNING)
        h.prepare(url)
        tokens = h.invite(h.seed_position(), candidates)
        h.release_database()

        import httpx

        from app.main import create_app

        cpu: dict[str, list[float]] = defaultdict(list)

        async def main() -> None:
            app = create_app()
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    for token in tokens:
                        await _take(client, token, cpu)

        asyncio.run(main())
        h.release_database()
    return {kind: {"n": len(cpu[kind]), "cpu_ms": 1000 * sum(cpu[kind]) / len(cpu[kind])}
            for kind in KINDS if cpu[kind]}


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description="CPU per candidate request kind.")
    parser.add_argument("--candidates", type=int, default=15)
    args = parser.parse_args()
    for kind, figures in run(args.candidates).items():
        print(f"{kind:9s} n={figures['n']:5d}  CPU ms {figures['cpu_ms']:6.2f}")


if __name__ == "__main__":
    main()
