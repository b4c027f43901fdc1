"""An open-loop load generator for 127.0.0.1: many virtual candidates, one keep-alive
connection each, requests sent on a schedule whether or not the server keeps up.

wrk measures capacity (a closed loop: each connection sends its next request when the last
is answered, so a slow server is simply sent less). Latency targets are about a given load,
so this sends at a fixed rate and times every request from the moment it was *due*: a request
that had to wait for its connection counts that wait (no coordinated omission).

A small HTTP/1.1 client on asyncio streams keeps the generator cheap (the server and the load
share two cores). It runs as its own process::

    python benchmarks/loadgen.py rate --url http://127.0.0.1:8000 --plan plan.txt \
        --rate 300 --duration 20 --out result.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_DURATION_S = 900  # every run stops by itself


def run(coroutine: Any) -> Any:
    """Run the generator's event loop: uvloop (installed with the service) when present,
    so that the client takes less of the CPU it shares with the server."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


class HttpError(Exception):
    """The connection failed or the answer could not be read."""


class Connection:
    """One keep-alive HTTP/1.1 connection to a loopback server; reconnects when closed."""

    def __init__(self, url: str, *, timeout: float = 30.0, user_agent: str = "kam-bench") -> None:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the load generator only targets loopback addresses")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.user_agent = user_agent
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; returns (status, headers, body). Raises HttpError.

        Like browsers and HTTP libraries, a request that fails on a kept-alive connection
        before any byte of an answer arrives (the server closed the idle connection as the
        request left) is sent once more on a new connection.
        """
        reused = self._writer is not None and not self._writer.is_closing()
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers),
                                          self.timeout)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError) as exc:
            await self.close()
            stale = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
            if not (reused and stale):
                raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        except (TimeoutError, OSError, ValueError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers),
                                          self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc} (retried)") from exc

    async def _request(
        self, method: str, path: str, body: Any, headers: dict[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"User-Agent: {self.user_agent}", "Accept: application/json",
                 f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        assert self._reader is not None
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        answer_headers = {}
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                answer_headers[key.strip().lower()] = value.strip()
        if answer_headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self._reader.readexactly(int(answer_headers.get("content-length",
                                                                            "0")))
        if answer_headers.get("connection", "").lower() == "close":
            await self.close()
        return status, answer_headers, content

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Tally:
    """Latencies (ms) and outcomes of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, latency_ms: float, status: int | None, error: str | None = None) -> None:
        """Count one request."""
        self.latencies.append(latency_ms)
        key = str(status) if status is not None else "transport"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        if error and len(self.errors) < 20:
            self.errors.append(error)

    def summary(self, duration_s: float | None = None) -> dict[str, Any]:
        """Counts, percentiles and (given the duration) the rate."""
        from benchmarks.harness import percentile

        ok = sum(n for s, n in self.statuses.items() if s.startswith("2"))
        result = {
            "requests": len(self.latencies), "ok": ok, "failed": len(self.latencies) - ok,
            "statuses": self.statuses, "errors": self.errors,
            "p50_ms": percentile(self.latencies, 50), "p95_ms": percentile(self.latencies, 95),
            "p99_ms": percentile(self.latencies, 99), "max_ms": max(self.latencies, default=0),
        }
        if duration_s:
            result["rate_per_s"] = ok / duration_s
        return result


def read_plan(path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """The plan file wrk reads too: ``candidate token item_id json_value`` per line."""
    candidates: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for line in path.read_text().splitlines():
        index, token, item, value = line.split(" ", 3)
        candidates.setdefault(int(index), (token, []))[1].append((item, value))
    return [candidates[i] for i in sorted(candidates)]


async def fixed_rate(url: str, plan: list[tuple[str, list[tuple[str, str]]]], *, rate: float,
                     duration_s: float, target: str = "save") -> dict[str, Any]:
    """Every candidate saves its answers in turn, together ``rate`` saves a second
    (``target="insert"``: the same bodies to the baseline's ``POST /insert``)."""
    duration_s = min(duration_s, MAX_DURATION_S)
    tally = Tally()
    interval = len(plan) / rate
    started = time.monotonic() + 0.5

    async def candidate(n: int, token: str, answers: list[tuple[str, str]]) -> None:
        connection = Connection(url)
        due = started + interval * n / len(plan)  # spread the candidates over one interval
        k = 0
        while due < started + duration_s:
            if time.monotonic() > started + duration_s + 30:
                break  # a server far behind: stop, the figures already say so
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            item, value = answers[k % len(answers)]
            k += 1
            if target == "insert":
                request = ("POST", "/insert",
                           {"token": token, "item_id": item, "value": json.loads(value)})
            else:
                request = ("PUT", f"/api/v1/assessments/{token}/answers/{item}",
                           {"value": json.loads(value), "elapsed_ms": 4000})
            try:
                status, _, _ = await connection.request(*request)
                tally.add((time.monotonic() - due) * 1000, status)
            except HttpError as exc:
                tally.add((time.monotonic() - due) * 1000, None, str(exc))
            due += interval
        await connection.close()

    await asyncio.gather(*(candidate(n, token, answers)
                           for n, (token, answers) in enumerate(plan)))
    elapsed = max(duration_s, time.monotonic() - started)
    return tally.summary(elapsed) | {"offered_rate_per_s": rate, "candidates": len(plan),
                                     "elapsed_s": elapsed}


def main() -> None:
    """Command line: ``rate`` mode (the hiring day has its own client in hiring_day.py)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["rate"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--target", choices=["save", "insert"], default="save")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run(fixed_rate(args.url, read_plan(args.plan), rate=args.rate,
                                    duration_s=args.duration, target=args.target))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
