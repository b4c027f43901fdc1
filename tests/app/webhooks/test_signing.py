"""Webhook signatures and URL rules (no database)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from app.core.errors import Invalid
from app.ops.egress import EgressPolicy, EgressRefused, Unresolvable, parse_networks
from app.webhooks import service as webhook_service

SECRET = "whsec_" + "k" * 43
BODY = b'{"data":{"candidate_id":7},"event":"decision.recorded","id":12}'


def test_a_signature_verifies_with_the_secret_and_within_the_tolerance():
    header = webhook_service.signature_header(SECRET, BODY, 1_800_000_000)
    t, v1 = header.split(",")
    assert t == "t=1800000000"
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert v1 == f"v1={expected}"
    assert webhook_service.verify(SECRET, BODY, header, now=1_800_000_000 + 299)
    assert webhook_service.verify(SECRET, BODY, header, now=1_800_000_000 - 299)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", BODY, 1_800_000_000),  # another secret
        (SECRET, BODY.replace(b"7", b"8"), 1_800_000_000),  # a changed body
        (SECRET, BODY, 1_800_000_000 + 301),  # too old: a replay
    ],
)
def test_anything_else_does_not_verify(secret, body, now):
    header = webhook_service.signature_header(SECRET, BODY, 1_800_000_000)
    assert not webhook_service.verify(secret, body, header, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1800000000", "garbage"])
def test_a_malformed_header_does_not_verify(header):
    assert not webhook_service.verify(SECRET, BODY, header, now=1_800_000_000)


def test_the_body_is_the_same_bytes_on_every_retry():
    payload = {"event": "assessment.completed", "occurred_at": "2026-11-27T10:00:00+00:00",
               "data": {"candidate_id": 3, "fit_score": 57.5}}
    assert webhook_service.body(41, payload) == webhook_service.body(41, dict(payload))
    assert webhook_service.body(41, payload).startswith(b'{"data":{"candidate_id":3')


def test_secrets_are_long_and_random():
    first, second = webhook_service.new_secret(), webhook_service.new_secret()
    assert first != second and first.startswith("whsec_")
    assert len(first.removeprefix("whsec_")) >= 43  # 32 bytes in URL-safe base64


def _no_dns(host: str, port: int) -> list[str]:
    raise Unresolvable(host)


NO_DNS = EgressPolicy(resolver=_no_dns)
LOOPBACK_ALLOWED = EgressPolicy(allowed=parse_networks("127.0.0.0/8,::1/128"), resolver=_no_dns)


@pytest.mark.parametrize(
    ("url", "env", "egress"),
    [
        ("https://hooks.example.com/kam", "production", NO_DNS),  # checked again when sent
        ("https://93.184.215.14:8443/in", "production", NO_DNS),
        ("https://[2606:4700::1111]/in", "production", NO_DNS),
        ("https://10.0.0.5:8443/in", "production", EgressPolicy(
            allowed=parse_networks("10.0.0.0/24"))),  # an on-premise receiver, allowed
        ("http://localhost:9000/hook", "development", LOOPBACK_ALLOWED),
        ("http://127.0.0.1:9000/hook", "test", LOOPBACK_ALLOWED),
        ("http://[::1]:9000/hook", "test", LOOPBACK_ALLOWED),
    ],
)
def test_allowed_urls(url, env, egress):
    assert webhook_service.check_url(url, env=env, egress=egress) == url


@pytest.mark.parametrize(
    ("url", "env", "problem"),
    [
        ("http://hooks.example.com/kam", "development", "https"),
        ("http://localhost:9000/hook", "production", "https"),
        ("ftp://hooks.example.com/", "development", "https"),
        ("hooks.example.com/kam", "development", "full URL"),
        ("https://user:pw@hooks.example.com/", "production", "password"),
        ("https://hooks.example.com/#x", "production", "fragment"),
        ("https://hooks.example.com/a b", "production", "spaces"),
        ("https://hooks.example.com:99999/", "production", "valid URL"),
        ("https://hooks.example.com/" + "x" * 2000, "production", "2000"),
    ],
)
def test_refused_urls_name_the_field(url, env, problem):
    with pytest.raises(Invalid) as caught:
        webhook_service.check_url(url, env=env, egress=NO_DNS)
    [error] = caught.value.detail
    assert error["field"] == "url" and problem in error["message"]


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.1", "loopback"),  # short form
        ("0x7f000001", "loopback"),  # one hexadecimal number
        ("2130706433", "loopback"),  # one decimal number
        ("017700000001", "loopback"),  # one octal number
        ("0177.0.0.1", "loopback"),  # octal parts
        ("0x7f.0.0.0x1", "loopback"),  # hexadecimal parts
        ("127.0.0.1.", "loopback"),  # a trailing dot
        ("localhost", "loopback"),
        ("LOCALHOST.", "loopback"),
        ("api.localhost", "loopback"),
        ("[::1]", "loopback"),
        ("[0:0:0:0:0:0:0:1]", "loopback"),
        ("[::ffff:127.0.0.1]", "IPv4-mapped"),
        ("[::ffff:7f00:1]", "IPv4-mapped"),
        ("[::ffff:8.8.8.8]", "IPv4-mapped"),
        ("[::127.0.0.1]", "IPv4-compatible"),
        ("[64:ff9b::127.0.0.1]", "translated (loopback)"),  # NAT64
        ("[2002:7f00:1::]", "translated (loopback)"),  # 6to4
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("0xc0a80101", "private"),
        ("[fc00::1]", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("[fe80::1]", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("[ff02::1]", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("0", "unspecified"),
        ("[::]", "unspecified"),
        ("192.0.2.10", "private"),  # documentation
        ("999.1.1.1", "not a valid IP address"),
        ("1.2.3.4.5", "not a valid IP address"),
    ],
)
def test_every_spelling_of_an_inside_address_is_refused_when_saved(host, kind):
    url = f"https://{host}:8443/hook"
    with pytest.raises(Invalid) as caught:
        webhook_service.check_url(url, env="production", egress=NO_DNS)
    [error] = caught.value.detail
    assert error["field"] == "url" and kind in error["message"], error["message"]


@pytest.mark.parametrize("answer", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1",
                                    "::ffff:10.0.0.1", "100.64.1.1"])
def test_a_name_that_resolves_inside_is_refused_when_saved(answer):
    egress = EgressPolicy(resolver=lambda host, port: ["93.184.215.14", answer])
    with pytest.raises(Invalid) as caught:
        webhook_service.check_url("https://hooks.example.com/kam", env="production",
                                  egress=egress)
    [error] = caught.value.detail
    assert error["field"] == "url" and f"resolves to {answer}" in error["message"]


def test_the_allow_list_lets_a_network_through_and_nothing_else():
    egress = EgressPolicy(allowed=parse_networks("10.20.0.0/16, 127.0.0.1/32"),
                          resolver=lambda host, port: ["10.20.3.4"])
    assert egress.vet("ats.corp.internal", 443) == ["10.20.3.4"]
    assert egress.vet("127.0.0.1", 443) == ["127.0.0.1"]
    assert egress.vet("[::ffff:127.0.0.1]", 443) == ["::ffff:7f00:1"]
    for host in ("10.21.0.1", "127.0.0.2", "169.254.169.254"):
        with pytest.raises(EgressRefused):
            egress.vet(host, 443)


def test_the_allow_list_setting_must_be_networks():
    from app.core.config import Settings

    assert Settings(webhook_allow_networks="10.0.0.0/8, fd00::/8").webhook_egress.allowed
    with pytest.raises(ValueError, match="KAM_WEBHOOK_ALLOW_NETWORKS"):
        Settings(webhook_allow_networks="10.0.0.0/8, intranet")


# --- Standard Webhooks --------------------------------------------------------------------


def test_the_standard_signature_matches_the_published_example():
    """The example of the Standard Webhooks reference library's own tests."""
    signature = webhook_service.standard_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_reference_library_verifies_our_headers():
    webhooks = pytest.importorskip("standardwebhooks.webhooks")
    secret = webhook_service.new_secret()
    headers = webhook_service.standard_headers(secret, "msg_12_20261127095824690000",
                                               int(time.time()), BODY)

    assert webhooks.Webhook(secret).verify(BODY, headers)["id"] == 12
    assert webhook_service.verify_standard(secret, BODY, headers)
    assert not webhook_service.verify_standard(secret, BODY + b" ", headers)
    assert not webhook_service.verify_standard(
        secret, BODY, headers, now=int(headers["webhook-timestamp"]) + 301
    )


def test_secrets_made_before_the_standard_headers_still_sign():
    old = "whsec_" + "k-_" * 14 + "k"  # URL-safe base64, no padding: the earlier form
    headers = webhook_service.standard_headers(old, "msg_1_1", 1_800_000_000, BODY)
    assert webhook_service.verify_standard(old, BODY, headers, now=1_800_000_000)


def test_the_verification_snippet_in_the_docs_accepts_our_signatures():
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
    [snippet] = re.findall(r"```python\n(.*?)```", docs.read_text(), flags=re.S)
    namespace: dict = {}
    exec(snippet, namespace)  # the code readers will copy
    verify = namespace["verify"]
    secret = webhook_service.new_secret()
    headers = webhook_service.standard_headers(secret, "msg_12_20261127095824690000",
                                               1_800_000_000, BODY)
    assert verify(secret, BODY, headers, now=1_800_000_100)
    assert verify(secret, BODY, {k.title(): v for k, v in headers.items()}, now=1_800_000_100)
    assert not verify(secret, BODY + b" ", headers, now=1_800_000_100)
    assert not verify("whsec_" + "A" * 44, BODY, headers, now=1_800_000_100)
    assert not verify(secret, BODY, headers, now=1_800_000_301)
    assert not verify(secret, BODY, {**headers, "webhook-id": "msg_13_1"}, now=1_800_000_100)
    published = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                 "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    assert verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"test": 2432232314}', published,
                  now=1614265330)
