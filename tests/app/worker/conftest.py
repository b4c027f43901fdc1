"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a real, separately committed database."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from app.core.db import session_scope
from app.core.migrations import upgrade
from app.outbox import service as outbox
from app.outbox.models import OutboxMessage


def free_port() -> int:
    """A TCP port nobody listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every accepted envelope; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()
        # (seconds, reply): the next DATA is answered late with this reply instead of accepted.
        self.stall_next: tuple[float, str] | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.stall_next is not None:
            (seconds, reply), self.stall_next = self.stall_next, None
            await asyncio.sleep(seconds)
            return reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed."""
        return [
            message_from_bytes(envelope.original_content or b"", policy=policy.default)  # type: ignore[misc]
            for envelope in self.envelopes
        ]


class SmtpServer:
    """An aiosmtpd server on a fixed free port that can be started (and stopped) on demand."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, **smtp_options: Any) -> SmtpServer:
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **smtp_options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server, not started: the port refuses connections until ``start()``."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """A running SMTP server."""
    return smtp_server.start()


@pytest.fixture
def outbox_db(fresh_database: str) -> str:
    """A migrated database of its own: the worker commits across connections and threads."""
    upgrade()
    return fresh_database


def enqueue(n: int = 1, **overrides: Any) -> list[int]:
    """Commit ``n`` e-mails to the outbox; returns their ids."""
    ids = []
    with session_scope() as session:
        for i in range(n):
            fields: dict[str, Any] = {
                "to": f"candidate{i}@example.com",
                "subject": f"Invitation {i}",
                "text": f"Open http://testserver/a/token-{i}\n",
            }
            fields.update(overrides)
            message = outbox.enqueue_email(session, organization_id=None, **fields)
            ids.append(message.id)
    return ids


def row(message_id: int) -> OutboxMessage:
    """The committed state of an outbox row."""
    with session_scope(read_only=True) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def tls_context(tmp_path: Any) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1, and its file."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, str(cert)
