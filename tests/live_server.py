"""A real server for tests that need real commits and real concurrency: uvicorn in a thread."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

# One TLS context for the tests' HTTP clients: httpx makes one per client otherwise, loading
# the CA bundle each time (tens of milliseconds of CPU), though the tests speak plain http.
TLS = ssl.create_default_context()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server() -> Iterator[str]:
    """Serve ``app.main:create_app`` on 127.0.0.1 and yield its base URL."""
    from app.main import create_app

    port = free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1, verify=TLS).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
