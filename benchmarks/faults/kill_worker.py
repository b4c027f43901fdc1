"""Fault: SIGKILL `kam worker` while it sends e-mails and webhooks; after a restart every
message is delivered at least once.

An SMTP sink (aiosmtpd) and a webhook receiver listen on 127.0.0.1, each taking 30 ms per
message so the worker is caught mid-send. 150 invitation e-mails and 150 webhook events are
queued, `kam worker` starts, and is SIGKILLed once about a third has arrived. A new
`kam worker` then delivers the rest. Messages the dead worker had claimed stay leased to it
for ``LEASE_SECONDS`` (5 minutes, so that a slow SMTP server never gets a message twice from
two live workers); the new worker sends them once the lease has run out. The script waits
for that, so it takes about six minutes.

Every outbox row must end ``sent`` and reach its sink at least once (e-mails are matched by
their Message-ID, webhooks by their ``KAM-Delivery`` id); duplicates are counted, not failed.

    .venv/bin/python benchmarks/faults/kill_worker.py
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks import harness as h

#: The receivers listen on loopback, which webhooks may only reach when an install allows it.
LOOPBACK_NETWORK = "127.0.0.0/8"

DELAY_S = 0.03


class SmtpSink:
    """Counts e-mails by outbox id (from the Message-ID ``<outbox.{id}.…>``)."""

    def __init__(self) -> None:
        self.received: Counter[int] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: one message arrived."""
        import asyncio

        await asyncio.sleep(DELAY_S)
        match = re.search(rb"Message-ID: <outbox\.(\d+)\.", envelope.content, re.IGNORECASE)
        if match:
            self.received[int(match.group(1))] += 1
        return "250 OK"


def webhook_receiver(received: Counter[int]) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 counting deliveries by their ``KAM-Delivery`` id."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(DELAY_S)
            received[int(self.headers.get("KAM-Delivery", "0"))] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((h.LOOPBACK, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def queue_messages(url: str, hook_url: str, count: int) -> dict[str, list[int]]:
    """``count`` invitations (e-mails) and ``count`` webhook events in the outbox."""
    from sqlmodel import select

    from app.core.db import session_scope
    from app.ops.egress import EgressPolicy, parse_networks
    from app.organizations.models import Organization
    from app.outbox.models import OutboxMessage
    from app.webhooks import service as webhook_service

    h.prepare(url)
    seeded = h.seed_position(questionnaires=["english"])
    h.invite(seeded, count, prefix="mail")
    with session_scope() as session:
        organization = session.get(Organization, seeded.organization_id)
        webhook_service.configure(session, organization=organization, url=hook_url,
                                  events=list(webhook_service.EVENTS), rotate_secret=True,
                                  env="development",
                                  egress=EgressPolicy(allowed=parse_networks(LOOPBACK_NETWORK)))
        for n in range(count):
            webhook_service.enqueue_event(session, organization_id=organization.id,
                                          event="decision.recorded",
                                          data={"candidate_id": n, "decision": "hold"})
    with session_scope(read_only=True) as session:
        rows = session.exec(select(OutboxMessage.id, OutboxMessage.kind)).all()
    h.release_database()
    return {kind: [i for i, k in rows if k == kind] for kind in ("email", "webhook")}


def outbox_status(url: str) -> Counter[str]:
    """How many outbox rows are pending, sent or dead."""
    from sqlmodel import select

    from app.core.db import session_scope
    from app.outbox.models import OutboxMessage

    h.use_database(url)
    with session_scope(read_only=True) as session:
        statuses = Counter(session.exec(select(OutboxMessage.status)).all())
    h.release_database()
    return statuses


def run(*, count: int = 150, backend: str = "sqlite", max_wait_s: float = 480) -> dict[str, Any]:
    """Queue, send, kill, restart, check."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    smtp_port = h.free_port()
    controller = Controller(sink, hostname=h.LOOPBACK, port=smtp_port)
    controller.start()
    hooks: Counter[int] = Counter()
    receiver = webhook_receiver(hooks)
    hook_url = f"http://{h.LOOPBACK}:{receiver.server_address[1]}/kam"
    with tempfile.TemporaryDirectory(prefix="kam-worker-") as tmp:
        workdir = Path(tmp)
        database = h.Database(backend, workdir).create()
        try:
            queued = queue_messages(database.url, hook_url, count)
            total = len(queued["email"]) + len(queued["webhook"])
            env = h.server_env(database.url, KAM_ENV="development",
                               KAM_WEBHOOK_ALLOW_NETWORKS=LOOPBACK_NETWORK,
                               KAM_SMTP_URL=f"smtp://{h.LOOPBACK}:{smtp_port}",
                               KAM_LOG_LEVEL="INFO")
            argv = [str(h.VENV_BIN / "kam"), "worker", "--interval", "0.5"]
            log = (workdir / "worker.log").open("w")
            first = subprocess.Popen(argv, env=env, cwd=h.ROOT, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 120
            while sum(sink.received.values()) + sum(hooks.values()) < total / 3:
                if time.monotonic() > deadline or first.poll() is not None:
                    raise RuntimeError("the worker did not start delivering")
                time.sleep(0.02)
            first.kill()
            first.wait(10)
            at_kill = sum(sink.received.values()) + sum(hooks.values())
            h.log(f"worker SIGKILLed after {at_kill} of {total} deliveries; restarting it")
            started = time.monotonic()
            second = subprocess.Popen(argv, env=env, cwd=h.ROOT, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
            try:
                while time.monotonic() - started < max_wait_s:
                    statuses = outbox_status(database.url)
                    if statuses.get("pending", 0) == 0:
                        break
                    time.sleep(5)
            finally:
                second.terminate()
                second.wait(30)
                log.close()
            statuses = outbox_status(database.url)
        finally:
            h.release_database()
            database.drop()
            controller.stop()
            receiver.shutdown()
    missing_mail = [i for i in queued["email"] if sink.received[i] == 0]
    missing_hooks = [i for i in queued["webhook"] if hooks[i] == 0]
    duplicates = sum(n - 1 for n in [*sink.received.values(), *hooks.values()] if n > 1)
    result = {
        "queued": {"email": len(queued["email"]), "webhook": len(queued["webhook"])},
        "delivered_before_kill": at_kill, "seconds_to_deliver_the_rest": round(
            time.monotonic() - started, 1), "outbox": dict(statuses),
        "missing_email": len(missing_mail), "missing_webhook": len(missing_hooks),
        "duplicates": duplicates,
    }
    result["passed"] = not missing_mail and not missing_hooks and statuses.get("sent") == total
    return result


def main() -> None:
    """Command line; exit 1 when a message was not delivered."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    result = run(count=args.count, backend=args.backend)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
