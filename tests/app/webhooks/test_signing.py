"""Webhook signatures and URL rules (no database)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from app.errors import Invalid
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


@pytest.mark.parametrize(
    ("url", "env"),
    [
        ("https://hooks.example.com/kam", "production"),
        ("https://10.0.0.5:8443/in", "production"),
        ("http://localhost:9000/hook", "development"),
        ("http://127.0.0.1:9000/hook", "test"),
        ("http://[::1]:9000/hook", "test"),
    ],
)
def test_allowed_urls(url, env):
    assert webhook_service.check_url(url, env=env) == url


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
        webhook_service.check_url(url, env=env)
    [error] = caught.value.detail
    assert error["field"] == "url" and problem in error["message"]


def test_the_verification_snippet_in_the_docs_accepts_our_signatures():
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
    [snippet] = re.findall(r"```python\n(.*?)```", docs.read_text(), flags=re.S)
    namespace: dict = {}
    exec(snippet, namespace)  # the code readers will copy
    header = webhook_service.signature_header(SECRET, BODY, 1_800_000_000)
    assert namespace["verify"](SECRET, BODY, header, now=1_800_000_100)
    assert not namespace["verify"](SECRET, BODY + b" ", header, now=1_800_000_100)
    assert not namespace["verify"](SECRET, BODY, header, now=1_800_000_301)
