"""JSON log lines with request ids; candidate tokens never reach the log."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import textwrap

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.ops.observability import RequestContext, configure_logging, redact_path


@pytest.fixture
def log_lines():
    """Root logging into a buffer as JSON (restored afterwards); returns a line reader."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging("INFO", json=True, stream=buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def tiny_app() -> FastAPI:
    """An app with a sync and an async endpoint that log, and one that fails."""
    application = FastAPI()
    log = logging.getLogger("kam.tests")

    @application.get("/sync")
    def sync_endpoint() -> dict[str, str]:
        log.info("inside a pool thread", extra={"attempt_id": 7})
        return {"ok": "yes"}

    @application.put("/api/v1/assessments/{token}/answers/{item_id}")
    async def async_endpoint(token: str, item_id: str) -> dict[str, str]:
        log.info("saving")
        return {"item": item_id}

    @application.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    application.add_middleware(RequestContext)
    return application


def test_redact_path_hides_candidate_tokens():
    token = "q3ZKx9Wd0rN5bT7uVy1mHc8sLp2eFgAa"
    assert redact_path(f"/a/{token}") == "/a/***"
    assert redact_path(f"/a/{token}/section/en-1") == "/a/***/section/en-1"
    assert redact_path(f"/api/v1/assessments/{token}/answers/en-01") == (
        "/api/v1/assessments/***/answers/en-01"
    )
    assert redact_path("/api/v1/positions/3") == "/api/v1/positions/3"
    assert redact_path("/about") == "/about"


def test_every_line_of_a_request_carries_its_id_and_the_response_returns_it(tiny_app,
                                                                            log_lines):
    with TestClient(tiny_app) as client:
        response = client.get("/sync")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0  # uuid4 hex
    lines = [line for line in log_lines() if line["request_id"] == request_id]
    inside, access = lines
    assert inside["message"] == "inside a pool thread"
    assert inside["logger"] == "kam.tests" and inside["attempt_id"] == 7
    assert access["logger"] == "kam.access"
    assert access["method"] == "GET" and access["path"] == "/sync" and access["status"] == 200
    assert access["duration_ms"] >= 0
    assert {"ts", "level", "message"} <= access.keys()


def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(tiny_app, log_lines):
    with TestClient(tiny_app) as client:
        kept = client.get("/sync", headers={"X-Request-ID": "lb-4f2a.9_x"})
        too_long = client.get("/sync", headers={"X-Request-ID": "a" * 65})
        odd = client.get("/sync", headers={"X-Request-ID": "x\" injected=1"})
    assert kept.headers["X-Request-ID"] == "lb-4f2a.9_x"
    assert too_long.headers["X-Request-ID"] != "a" * 65
    assert len(odd.headers["X-Request-ID"]) == 32
    assert {line["request_id"] for line in log_lines()} >= {"lb-4f2a.9_x"}


def test_candidate_tokens_never_appear_in_the_log(tiny_app, log_lines):
    token = "q3ZKx9Wd0rN5bT7uVy1mHc8sLp2eFgAa"
    with TestClient(tiny_app) as client:
        client.put(f"/api/v1/assessments/{token}/answers/en-01?lang=it")
    lines = [line for line in log_lines() if line["logger"] != "httpx"]  # the test's client
    access = next(line for line in lines if line["logger"] == "kam.access")
    assert access["path"] == "/api/v1/assessments/***/answers/en-01"
    assert access["route"] == "/api/v1/assessments/{token}/answers/{item_id}"
    assert token not in json.dumps(lines)


def test_an_unhandled_error_is_logged_with_its_request_id(tiny_app, log_lines):
    with TestClient(tiny_app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
    [access] = [line for line in log_lines() if line["logger"] == "kam.access"]
    assert access["level"] == "ERROR" and access["status"] == 500
    assert "RuntimeError: kaput" in access["exc"]
    assert access["request_id"]


def test_health_probes_are_logged_at_debug_only(log_lines):
    application = FastAPI()
    application.get("/healthz")(lambda: {"status": "ok"})
    application.add_middleware(RequestContext)
    with TestClient(application) as client:
        client.get("/healthz")
    assert [line for line in log_lines() if line["logger"] == "kam.access"] == []


def test_uvicorn_log_config_gives_json_lines_for_uvicorn_and_the_app():
    script = textwrap.dedent("""
        import logging, logging.config
        from app.ops.observability import uvicorn_log_config
        logging.config.dictConfig(uvicorn_log_config("info"))
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("uvicorn.access").info("uvicorn's own access line is muted")
        logging.getLogger("app.outbox").warning("retrying", extra={"message_id": 5})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=True)
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Started server process"),
        ("app.outbox", "retrying"),
    ]
    assert lines[1]["message_id"] == 5 and lines[1]["level"] == "WARNING"
