"""Real-browser tests: Debian's Chromium driven by Playwright, the app served by uvicorn.

Playwright's own browser downloads are never used (no ``playwright install``): the tests
launch the system Chromium at ``/usr/bin/chromium`` with a throw-away profile, so they run the
same on a developer machine and in CI (``.ci/run`` installs the ``chromium`` package).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_reason() -> str | None:
    """Why browser tests cannot run here, or None. In CI a missing browser is a failure."""
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return None
    return f"{CHROMIUM} is missing (apt-get install -y chromium); CI must run these tests"


@contextmanager
def chromium(**context_options: Any) -> Iterator[Any]:
    """A fresh headless Chromium profile (a Playwright BrowserContext), closed afterwards."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="kam-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                **context_options,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def sign_in(page: Any, url: str, email: str) -> None:
    """Sign a staff member in on the login page (the test password) and wait for the
    dashboard."""
    from tests.factories import PASSWORD

    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and a free port; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def begin_section(page: Any) -> None:
    """Press "Begin" when the page shows a section's intro (its clock starts then)."""
    if page.locator("#section-intro").count():
        page.click("#begin")
        page.wait_for_load_state("networkidle")
