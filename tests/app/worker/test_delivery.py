"""Senders: KAM_SMTP_URL, SMTP with auth and TLS against aiosmtpd, the log stand-in."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.core.config import Settings
from app.worker.delivery import (
    KindRouter,
    LogSender,
    Outgoing,
    PermanentDeliveryError,
    SmtpConfig,
    SmtpSender,
    build_email,
    message_id,
    parse_smtp_url,
    sender_from_settings,
)
from app.worker.dispatch import deliver_due
from tests.app.worker.conftest import SmtpServer, enqueue, row, tls_context

FROM = "KAM Assess <no-reply@kam.example>"


def outgoing(**payload: object) -> Outgoing:
    fields = {"to": "a@example.com", "subject": "Oggetto", "text": "Città\n"} | payload
    return Outgoing(
        id=42,
        kind="email",
        organization_id=None,
        payload=fields,
        attempts=0,
        created_at=datetime(2026, 5, 1, 9, 30, 0, 123456, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpConfig("mail.example.com", 25, "none", None, None, 10.0)),
        ("smtp://u:p@mail.example.com:2525?timeout=3",
         SmtpConfig("mail.example.com", 2525, "none", "u", "p", 3.0)),
        ("smtps://u%40acme.it:p%3Aw%2Fd%40@smtp.acme.it",
         SmtpConfig("smtp.acme.it", 465, "tls", "u@acme.it", "p:w/d@", 10.0)),
        ("smtp+starttls://u:p@smtp.acme.it",
         SmtpConfig("smtp.acme.it", 587, "starttls", "u", "p", 10.0)),
        ("smtp://u:p@smtp.acme.it:587?starttls=1",
         SmtpConfig("smtp.acme.it", 587, "starttls", "u", "p", 10.0)),
    ],
)  # fmt: skip
def test_smtp_urls(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h:notaport"])
def test_bad_smtp_urls_name_the_setting(url):
    with pytest.raises(ValueError, match="KAM_SMTP_URL"):
        parse_smtp_url(url)


def test_sender_from_settings_picks_smtp_or_the_log():
    configured = Settings(smtp_url="smtp://mail.example.com:2525")
    assert sender_from_settings(configured).kinds == {"email", "webhook"}
    assert isinstance(sender_from_settings(configured).senders["email"], SmtpSender)
    assert isinstance(sender_from_settings(Settings(smtp_url=None)).senders["email"], LogSender)


def test_the_message_id_is_stable_per_row_and_uses_the_sender_domain():
    first = message_id(outgoing(), mail_from=FROM)
    assert first == message_id(outgoing(subject="retry"), mail_from=FROM)
    assert first == "<outbox.42.20260501093000123456@kam.example>"
    email = build_email(outgoing(), mail_from=FROM)
    assert email["Message-ID"] == first
    assert email["Date"] == "Fri, 01 May 2026 09:30:00 +0000"


@pytest.mark.parametrize(
    "payload",
    [{"subject": "Hi\r\nBcc: victim@example.com"}, {"to": None}, {"text": None}],
)
def test_a_malformed_payload_is_a_permanent_failure(payload):
    with pytest.raises(PermanentDeliveryError):
        build_email(outgoing(**payload), mail_from=FROM)


def test_the_log_sender_logs_the_whole_body_and_counts_it_sent(outbox_db, caplog):
    link = "http://testserver/a/Xy7_-invito"
    [queued] = enqueue(
        to="giulia@example.it",
        subject="Il suo invito",
        text=f"Gentile Giulia,\napra il link:\n{link}\n",
    )

    with caplog.at_level(logging.INFO, logger="app.outbox"):
        report = deliver_due(sender=KindRouter({"email": LogSender()}))

    assert report.sent == 1
    assert row(queued).status == "sent"
    logged = caplog.text
    assert "giulia@example.it" in logged and "Il suo invito" in logged
    assert link in logged and "Gentile Giulia," in logged


def test_smtp_login_uses_url_decoded_credentials(outbox_db, smtp_server: SmtpServer):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    # Plain-text AUTH is only acceptable on a loopback test server.
    smtp_server.start(authenticator=authenticator, auth_require_tls=False)
    [queued] = enqueue()
    url = f"smtp://hr%40acme.it:p%C3%A0ss%3Aw%40rd@127.0.0.1:{smtp_server.port}"

    assert deliver_due(sender=SmtpSender(url, FROM)).sent == 1

    assert seen == [(b"hr@acme.it", "pàss:w@rd".encode())]
    assert row(queued).status == "sent"


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_modes_verify_the_server_certificate(
    outbox_db, smtp_server, tmp_path, monkeypatch, mode
):
    context, cert_file = tls_context(tmp_path)
    if mode == "starttls":
        smtp_server.start(tls_context=context, require_starttls=True)
        url = f"smtp+starttls://127.0.0.1:{smtp_server.port}"
    else:
        smtp_server.start(ssl_context=context)
        url = f"smtps://127.0.0.1:{smtp_server.port}"
    [refused, delivered] = enqueue(2)

    # Not trusted yet: the certificate is checked, so the attempt fails and will be retried.
    first = deliver_due(sender=SmtpSender(url, FROM), limit=1)
    assert first.retried == 1 and "CERTIFICATE_VERIFY_FAILED" in (row(refused).last_error or "")

    monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # now our self-signed certificate is trusted
    assert deliver_due(sender=SmtpSender(url, FROM)).sent == 1
    assert row(delivered).status == "sent"
    assert len(smtp_server.mailbox.envelopes) == 1
