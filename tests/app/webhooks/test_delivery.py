"""Delivering webhooks through the outbox to a real receiver: signed, retried, dead, leased."""

from __future__ import annotations

import json
import logging
import socket
import ssl
from datetime import timedelta

import pytest

from app.bank import service as bank_service
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.ops.egress import EgressPolicy, parse_networks
from app.organizations.models import Organization
from app.outbox.models import OutboxMessage
from app.webhooks import service as webhook_service
from app.worker.delivery import KindRouter, LogSender, WebhookSender, sender_from_settings
from app.worker.dispatch import LEASE_SECONDS, _snapshot, claim, deliver_due
from tests.app.webhooks.receiver import Receiver
from tests.factories import create_organization


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def organization_id(fresh_database, receiver, allow_loopback) -> int:
    """A committed organization whose webhooks go to the receiver (on this machine, which
    the install allows)."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        organization = create_organization(session)
        _config, secret = webhook_service.configure(
            session, organization=organization, url=receiver.url,
            events=list(webhook_service.EVENTS), rotate_secret=False, env="test",
            egress=allow_loopback,
        )
        receiver.secret = secret
        return organization.id


def _event(organization_id: int, candidate_id: int = 7) -> int:
    with session_scope() as session:
        message = webhook_service.decision_recorded(
            session, organization_id=organization_id, candidate_id=candidate_id, position_id=2,
            decision_id=5, decision="advance", user_id=3, at=utcnow(),
        )
        return message.id


def _row(message_id: int) -> OutboxMessage:
    with session_scope(read_only=True) as session:
        return session.get(OutboxMessage, message_id)


def test_an_event_arrives_signed_with_its_headers(organization_id, receiver):
    message_id = _event(organization_id)

    report = deliver_due(sender=sender_from_settings(get_settings()))

    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    [request] = receiver.requests
    assert request.verified and request.verified_standard and request.path == "/hooks/kam"
    assert request.headers["webhook-id"].startswith(f"msg_{message_id}_")
    assert "." not in request.headers["webhook-id"]
    assert request.headers["KAM-Event"] == "decision.recorded"
    assert request.headers["KAM-Delivery"] == str(message_id)
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["id"] == message_id and body["event"] == "decision.recorded"
    assert body["data"]["candidate_id"] == 7 and body["data"]["decision"] == "advance"
    assert _row(message_id).status == "sent"


def test_a_failing_receiver_is_retried_with_the_same_delivery_id_and_body(
    organization_id, receiver, caplog
):
    caplog.set_level(logging.DEBUG)
    message_id = _event(organization_id)
    receiver.statuses.extend([503, 429])
    sender = WebhookSender()
    now = utcnow()

    first = deliver_due(now=now, sender=sender)
    assert first.retried == 1
    failed = _row(message_id)
    assert failed.status == "pending" and "503" in failed.last_error
    second = deliver_due(now=failed.next_attempt_at, sender=sender)
    assert second.retried == 1 and "429" in _row(message_id).last_error
    third = deliver_due(now=_row(message_id).next_attempt_at, sender=sender)

    assert third.sent == 1
    delivered = _row(message_id)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert len(receiver.requests) == 3 and all(r.verified for r in receiver.requests)
    assert all(r.verified_standard for r in receiver.requests)
    assert {r.headers["KAM-Delivery"] for r in receiver.requests} == {str(message_id)}
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    # The secret is never logged, nor kept with the failure.
    assert receiver.secret not in caplog.text
    assert all(receiver.secret not in (r.getMessage() + str(r.__dict__)) for r in caplog.records)
    assert receiver.secret not in (failed.last_error or "")


def test_a_receiver_refusing_for_good_makes_the_event_dead(organization_id, receiver):
    statuses = (400, 404, 410, 422)
    message_ids = [_event(organization_id, candidate_id=n) for n in range(len(statuses))]
    receiver.statuses.extend(statuses)

    report = deliver_due(sender=WebhookSender())

    assert report.dead == len(statuses)
    for message_id, status in zip(message_ids, statuses, strict=True):
        dead = _row(message_id)
        assert dead.status == "dead" and str(status) in dead.last_error


def test_an_unreachable_receiver_is_retried(organization_id, receiver):
    with socket.socket() as probe:  # a port where nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with session_scope() as session:
        organization = session.get(Organization, organization_id)
        webhook_service.configure(session, organization=organization,
                                  url=f"http://127.0.0.1:{port}/", events=["decision.recorded"],
                                  rotate_secret=False, env="test",
                                  egress=get_settings().webhook_egress)
    message_id = _event(organization_id)

    report = deliver_due(sender=WebhookSender())

    assert report.retried == 1
    assert "ConnectError" in _row(message_id).last_error


def test_events_of_an_organization_without_webhooks_any_more_are_dead(organization_id, receiver):
    message_id = _event(organization_id)
    with session_scope() as session:
        webhook_service.remove(session, organization=session.get(Organization, organization_id))

    assert deliver_due(sender=WebhookSender()).dead == 1

    assert "not configured" in _row(message_id).last_error and receiver.requests == []


def test_a_crash_between_claiming_and_sending_does_not_lose_the_event(organization_id, receiver):
    message_id = _event(organization_id)
    now = utcnow()
    # Worker A claims and commits, then "dies" before sending.
    with session_scope() as session:
        assert [m.id for m in claim(session, now=now, limit=10,
                                    lease_seconds=LEASE_SECONDS)] == [message_id]
    sender = KindRouter({"email": LogSender(), "webhook": WebhookSender()})

    early = deliver_due(now=now + timedelta(seconds=LEASE_SECONDS - 1), sender=sender)
    assert early.claimed == 0 and receiver.requests == []

    late = deliver_due(now=now + timedelta(seconds=LEASE_SECONDS + 1), sender=sender)

    assert late.sent == 1 and len(receiver.requests) == 1 and receiver.requests[0].verified
    assert _row(message_id).status == "sent"


def test_a_rotated_secret_signs_the_events_still_waiting(organization_id, receiver):
    _event(organization_id)
    with session_scope() as session:
        organization = session.get(Organization, organization_id)
        _config, rotated = webhook_service.configure(
            session, organization=organization, url=receiver.url,
            events=list(webhook_service.EVENTS), rotate_secret=True, env="test",
            egress=get_settings().webhook_egress,
        )
    old, receiver.secret = receiver.secret, rotated

    assert deliver_due(sender=WebhookSender()).sent == 1

    [request] = receiver.requests
    assert request.verified and rotated != old
    assert not webhook_service.verify(old, request.body, request.headers["KAM-Signature"])


def test_an_event_sent_whose_sent_mark_was_lost_comes_again_with_the_same_webhook_id(
    organization_id, receiver
):
    """Worker A sends, then dies before recording it; the lease runs out and worker B sends
    the event again: the receiver can tell it is the same event by ``webhook-id``."""
    message_id = _event(organization_id)
    now = utcnow()
    with session_scope() as session:
        [claimed] = claim(session, now=now, limit=10, lease_seconds=LEASE_SECONDS)
        snapshot = _snapshot(claimed)
    WebhookSender().send(snapshot)  # worker A: delivered, and no "sent" mark follows

    again = deliver_due(now=now + timedelta(seconds=LEASE_SECONDS + 1), sender=WebhookSender())

    assert again.sent == 1 and _row(message_id).status == "sent"
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["KAM-Delivery"] == second.headers["KAM-Delivery"] == str(message_id)
    assert first.body == second.body and first.verified_standard and second.verified_standard


def test_a_redirect_is_not_followed(organization_id, receiver):
    message_id = _event(organization_id)
    receiver.statuses.append(302)

    assert deliver_due(sender=WebhookSender()).retried == 1

    assert len(receiver.requests) == 1 and "302" in _row(message_id).last_error


# --- where a delivery may connect (SSRF) ------------------------------------------------------

HOOK_HOST = "hooks.kam.test"


class Resolver:
    """A DNS stand-in: answers from ``answers`` and counts the questions."""

    def __init__(self, **answers: list[str]) -> None:
        self.answers = {host.replace("_", "."): found for host, found in answers.items()}
        self.questions: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.questions.append(host)
        return self.answers[host]


@pytest.fixture
def certificates():
    """A private CA and a certificate for ``hooks.kam.test`` (trustme)."""
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    return authority, authority.issue_cert(HOOK_HOST)


@pytest.fixture
def tls_receiver(certificates):
    """An HTTPS receiver on 127.0.0.1 presenting the certificate of ``hooks.kam.test``."""
    _authority, certificate = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    with Receiver(tls=context) as running:
        yield running


@pytest.fixture
def hook_organization(fresh_database, tls_receiver) -> int:
    """An organization whose URL names ``hooks.kam.test``, which resolved to a public address
    when the admin saved it."""
    upgrade()
    public = EgressPolicy(resolver=Resolver(hooks_kam_test=["93.184.215.14"]))
    with session_scope() as session:
        organization = create_organization(session)
        _config, secret = webhook_service.configure(
            session, organization=organization,
            url=f"https://{HOOK_HOST}:{tls_receiver.port}/hooks/kam",
            events=list(webhook_service.EVENTS), rotate_secret=False, env="production",
            egress=public,
        )
        tls_receiver.secret = secret
        return organization.id


def _trusting(certificates) -> ssl.SSLContext:
    authority, _certificate = certificates
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def test_a_name_that_now_resolves_to_loopback_is_refused_at_delivery(
    hook_organization, tls_receiver, certificates
):
    message_id = _event(hook_organization)
    rebound = Resolver(hooks_kam_test=["127.0.0.1"])
    sender = WebhookSender(egress=EgressPolicy(resolver=rebound), verify=_trusting(certificates))

    report = deliver_due(sender=sender)

    assert report.dead == 1 and tls_receiver.requests == []
    assert "127.0.0.1" in _row(message_id).last_error
    assert "loopback" in _row(message_id).last_error


def test_an_allowed_network_is_reached_at_the_checked_address_with_the_host_name_for_tls(
    hook_organization, tls_receiver, certificates
):
    """On-premise: the allow-list lets the event through. It connects to the address that was
    checked (one DNS question; the system resolver knows no ``hooks.kam.test``), and TLS
    verifies the certificate of the host name, which the Host header carries too."""
    _event(hook_organization)
    resolver = Resolver(hooks_kam_test=["127.0.0.1"])
    egress = EgressPolicy(allowed=parse_networks("127.0.0.0/8"), resolver=resolver)

    report = deliver_due(sender=WebhookSender(egress=egress, verify=_trusting(certificates)))

    assert report.sent == 1
    [request] = tls_receiver.requests
    assert request.verified_standard and request.verified
    assert request.headers["Host"] == f"{HOOK_HOST}:{tls_receiver.port}"
    assert resolver.questions == [HOOK_HOST]


def test_the_certificate_must_belong_to_the_host_name_not_the_address(
    hook_organization, tls_receiver, certificates
):
    message_id = _event(hook_organization)
    resolver = Resolver(hooks_kam_test=["127.0.0.1"])
    egress = EgressPolicy(allowed=parse_networks("127.0.0.0/8"), resolver=resolver)
    untrusted = ssl.create_default_context()  # does not know the private CA

    report = deliver_due(sender=WebhookSender(egress=egress, verify=untrusted))

    assert report.retried == 1 and tls_receiver.requests == []
    assert "CERTIFICATE_VERIFY_FAILED" in _row(message_id).last_error


def test_without_the_allow_list_a_listener_on_this_machine_receives_nothing(
    fresh_database, receiver
):
    """Settings written before the rules (or by hand) still cannot reach 127.0.0.1."""
    upgrade()
    with session_scope() as session:
        organization = create_organization(session)
        organization.settings = {"webhooks": {
            "url": receiver.url, "secret": webhook_service.new_secret(),
            "events": list(webhook_service.EVENTS),
        }}
        session.add(organization)
        session.flush()
        organization_id = organization.id
    message_id = _event(organization_id)

    report = deliver_due(sender=sender_from_settings(get_settings()))

    assert report.dead == 1 and receiver.requests == []
    assert "loopback" in _row(message_id).last_error
