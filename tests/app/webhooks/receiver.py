"""A real HTTP(S) receiver on 127.0.0.1 that checks signatures the way docs/webhooks.md says."""

from __future__ import annotations

import ssl
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.webhooks import service as webhook_service


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool  # the KAM-Signature header
    verified_standard: bool  # the Standard Webhooks headers


class Receiver:
    """Answers each POST with the next queued status (200 when none is queued)."""

    def __init__(self, secret: str = "", *, tls: ssl.SSLContext | None = None) -> None:
        self.secret = secret
        self.tls = tls
        self.requests: list[Received] = []
        self.statuses: deque[int] = deque()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signature = self.headers.get(webhook_service.SIGNATURE_HEADER, "")
                receiver.requests.append(Received(
                    path=self.path,
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                    verified=webhook_service.verify(receiver.secret, body, signature),
                    verified_standard=webhook_service.verify_standard(
                        receiver.secret, body, dict(self.headers.items())
                    ),
                ))
                status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/kam"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
