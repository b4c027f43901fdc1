"""The worker against a real SMTP server and a real database: sent, retried, dead, re-claimed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

from app.core.clock import utcnow
from app.core.db import session_scope
from app.outbox.models import OutboxMessage
from app.outbox.service import enqueue_email
from app.worker.delivery import KindRouter, SmtpSender
from app.worker.dispatch import (
    BACKOFF_CAP,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    DeliveryReport,
    backoff,
    claim,
    deliver_due,
)
from tests.app.worker.conftest import SmtpServer, enqueue, row
from tests.conftest import BACKEND

FROM = "KAM Assess <no-reply@kam.example>"
SUBJECT = "Invito alla valutazione: perché è importante"
TEXT = (
    "Gentile Niccolò,\n\n"
    "Acme S.p.A. di Forlì la invita a una valutazione online.\n"
    "Apra il suo link personale: http://testserver/a/Zx9-città\n"
    "Il link è valido fino al 31/12, può essere usato una sola volta.\n"
)
HTML = "<p>Gentile Niccolò, apra il <a href='http://testserver/a/Zx9'>suo link</a>.</p>"


def sender_for(server: SmtpServer) -> SmtpSender:
    return SmtpSender(server.url, FROM)


def test_an_italian_email_goes_through_a_real_smtp_conversation(outbox_db, smtp):
    with session_scope() as session:
        queued = enqueue_email(
            session,
            organization_id=None,
            to="niccolo@example.it",
            subject=SUBJECT,
            text=TEXT,
            html=HTML,
        )
        outgoing_id = queued.id

    report = deliver_due(sender=sender_for(smtp))

    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    [envelope] = smtp.mailbox.envelopes
    assert envelope.mail_from == "no-reply@kam.example"
    assert envelope.rcpt_tos == ["niccolo@example.it"]
    [received] = smtp.mailbox.messages
    assert received["To"] == "niccolo@example.it"
    assert received["From"] == FROM
    assert received["Subject"] == SUBJECT
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert "suo link" in received.get_body(("html",)).get_content()
    sent = row(outgoing_id)
    assert sent.status == "sent"
    assert sent.sent_at is not None and sent.locked_until is None and sent.attempts == 0
    # Stable and derived from the row, so a re-sent copy carries the same Message-ID.
    assert received["Message-ID"].startswith(f"<outbox.{outgoing_id}.")
    assert received["Message-ID"].endswith("@kam.example>")
    assert deliver_due(sender=sender_for(smtp)).claimed == 0


def test_smtp_down_is_retried_with_backoff_then_delivered(outbox_db, smtp_server):
    [queued] = enqueue()
    now = utcnow()

    report = deliver_due(now=now, sender=sender_for(smtp_server))  # nobody listens yet

    assert (report.sent, report.retried, report.dead) == (0, 1, 0)
    failed = row(queued)
    assert failed.status == "pending" and failed.attempts == 1 and failed.locked_until is None
    assert "Connection refused" in (failed.last_error or "")
    delay = failed.next_attempt_at - now
    assert timedelta(seconds=27) <= delay <= timedelta(seconds=30)

    smtp_server.start()
    # Not due yet: the server is up but the backoff has not run out.
    assert deliver_due(now=now + timedelta(seconds=20), sender=sender_for(smtp_server)).claimed == 0
    assert smtp_server.mailbox.envelopes == []

    report = deliver_due(now=now + delay, sender=sender_for(smtp_server))

    assert report.sent == 1
    assert len(smtp_server.mailbox.envelopes) == 1
    delivered = row(queued)
    assert delivered.status == "sent" and delivered.attempts == 1


def test_after_max_attempts_a_message_is_dead(outbox_db, smtp_server):
    [queued] = enqueue()
    now = utcnow()
    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due(now=now, sender=sender_for(smtp_server))
        assert report.claimed == 1
        state = row(queued)
        assert state.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert state.status == "pending"
            delays.append(state.next_attempt_at - now)
            now = state.next_attempt_at
    assert state.status == "dead" and report.dead == 1
    assert "Connection refused" in (state.last_error or "")
    # 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then the 6 h cap; each up to 10 % earlier.
    nominal = [30, 120, 480, 1920, 7680, 21600, 21600]
    for delay, expected in zip(delays, nominal, strict=True):
        assert 0.9 * expected <= delay.total_seconds() <= expected
    smtp_server.start()
    assert deliver_due(now=now + timedelta(days=30), sender=sender_for(smtp_server)).claimed == 0
    assert smtp_server.mailbox.envelopes == []


def test_backoff_is_seeded_per_message_and_capped():
    assert backoff(3, message_id=7) == backoff(3, message_id=7)
    assert len({backoff(1, message_id=i) for i in range(20)}) > 1  # the herd spreads out
    assert all(backoff(n, message_id=1) <= BACKOFF_CAP for n in range(1, 30))


def test_a_recipient_refused_for_good_is_dead_at_once(outbox_db, smtp):
    smtp.mailbox.refuse.add("nobody@example.com")
    [refused] = enqueue(to="nobody@example.com")

    report = deliver_due(sender=sender_for(smtp))

    assert report.dead == 1
    state = row(refused)
    assert state.status == "dead" and state.attempts == 1
    assert "550" in (state.last_error or "")


def test_a_crash_between_claiming_and_sending_does_not_lose_the_email(outbox_db, smtp):
    [queued] = enqueue()
    now = utcnow()
    # Worker A claims and commits, then "dies": it never sends and never records anything.
    with session_scope() as session:
        claimed = claim(session, now=now, limit=10, lease_seconds=LEASE_SECONDS)
        assert [message.id for message in claimed] == [queued]

    # Worker B, while A's lease runs: the message is not available.
    early = deliver_due(now=now + timedelta(seconds=LEASE_SECONDS - 1), sender=sender_for(smtp))
    assert early.claimed == 0 and smtp.mailbox.envelopes == []

    # After the lease: B claims it again and delivers it.
    late = deliver_due(now=now + timedelta(seconds=LEASE_SECONDS + 1), sender=sender_for(smtp))

    assert late.sent == 1
    assert len(smtp.mailbox.envelopes) == 1
    assert row(queued).status == "sent"


def test_a_slow_worker_whose_lease_ran_out_does_not_undo_the_takeover(outbox_db, smtp):
    """A's send outlives its lease; B re-claims and delivers; A's late failure changes nothing."""
    [queued] = enqueue()
    # A's SMTP server stalls long enough for B to claim and send meanwhile.
    smtp.mailbox.stall_next = (1.0, "451 4.3.0 try again later")
    claimed_at = utcnow()
    reports = []
    worker_a = threading.Thread(
        target=lambda: reports.append(
            deliver_due(now=claimed_at, sender=sender_for(smtp), lease_seconds=2)
        )
    )
    worker_a.start()
    deadline = time.monotonic() + 10
    while row(queued).locked_until is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until A has claimed

    # B comes after A's lease on the injected clock: no waiting for it to run out for real.
    taken_over = deliver_due(now=claimed_at + timedelta(seconds=2.2), sender=sender_for(smtp))
    worker_a.join(15)

    assert taken_over.sent == 1
    assert reports == [DeliveryReport()]  # A's failure was not recorded: it lost the claim
    state = row(queued)
    assert (state.status, state.attempts, state.last_error) == ("sent", 0, None)
    assert len(smtp.mailbox.envelopes) == 1


def test_webhooks_wait_for_a_sender_that_delivers_them(outbox_db, smtp):
    with session_scope() as session:
        hook = OutboxMessage(kind="webhook", payload={"url": "https://example.com/hook"})
        session.add(hook)
        session.flush()
        hook_id = hook.id
    [mail] = enqueue()

    report = deliver_due(sender=KindRouter({"email": sender_for(smtp)}))

    assert report.sent == 1 and row(mail).status == "sent"
    untouched = row(hook_id)
    assert (untouched.status, untouched.attempts, untouched.locked_until) == ("pending", 0, None)


def test_two_concurrent_workers_deliver_each_message_exactly_once(outbox_db, smtp):
    ids = enqueue(30)
    sender = sender_for(smtp)
    workers = 2
    start = threading.Barrier(workers)
    errors: list[BaseException] = []
    sent_by: Counter[int] = Counter()

    def work(n: int) -> None:
        try:
            start.wait()
            while True:
                report = deliver_due(sender=sender, limit=3)
                sent_by[n] += report.sent
                if report.claimed == 0:
                    return
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    received = Counter(message["Message-ID"] for message in smtp.mailbox.messages)
    assert len(received) == 30 and set(received.values()) == {1}, (BACKEND, received)
    assert sum(sent_by.values()) == 30
    assert {row(i).status for i in ids} == {"sent"}
    assert {int(mid.split(".")[1]) for mid in received} == set(ids)
