"""Prometheus metrics: route templates as labels, domain counters, scrape-time gauges, access."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from app.core.db import session_scope
from app.ops import observability
from app.ops.observability import RequestContext, sample_value
from app.outbox import service as outbox
from tests.factories import SCREENING, create_position, create_user, invite_candidate

LOCAL = ("127.0.0.1", 50000)


def observed(application):  # type: ignore[no-untyped-def]
    """The app with RequestContext and /metrics (unless create_app already has them)."""
    if not any(m.cls is RequestContext for m in application.user_middleware):
        application.add_middleware(RequestContext)
    paths = {getattr(context, "path", None)
             for context in routing.iter_route_contexts(application.routes)}
    if "/metrics" not in paths:
        application.include_router(observability.router)
    return application


@pytest.fixture
def local_client(app):  # type: ignore[no-untyped-def]
    with TestClient(observed(app), client=LOCAL) as test_client:
        yield test_client


def requests_total(method: str, route: str, status: str) -> float:
    return sample_value("http_requests_total", {"method": method, "route": route,
                                                "status": status})


def test_candidate_requests_are_counted_by_route_template(local_client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    _, token = invite_candidate(session, position=position, actor=hr)
    route = "/api/v1/assessments/{token}/answers/{item_id}"
    before = {
        "put": requests_total("PUT", route, "200"),
        "answers": sample_value("answers_saved_total"),
        "submits": sample_value("attempts_submitted_total"),
        "unmatched": requests_total("GET", "unmatched", "404"),
        "seconds": sample_value("http_request_duration_seconds_count",
                                {"method": "PUT", "route": route}),
    }
    api = f"/api/v1/assessments/{token}"
    state = local_client.post(f"{api}/start", json={"consent": True, "screening": SCREENING})
    assert state.status_code == 200, state.text
    items = state.json()["current_section"]["items"]
    for item in items[:3]:
        response = local_client.put(f"{api}/answers/{item['id']}",
                                    json={"value": item["options"][0]["id"]})
        assert response.status_code == 200, response.text
    batch = local_client.post(f"{api}/answers", json={"answers": {
        item["id"]: {"value": item["options"][1]["id"]} for item in items[3:7]}})
    assert batch.status_code == 200 and len(batch.json()["saved"]) == 4, batch.text
    assert local_client.put(f"{api}/answers/no-such-item", json={"value": "x"}).status_code == 404
    assert local_client.post(f"{api}/submit").status_code == 200
    assert local_client.get("/no/such/page").status_code == 404

    assert requests_total("PUT", route, "200") - before["put"] == 3
    assert requests_total("PUT", route, "404") >= 1
    assert sample_value("answers_saved_total") - before["answers"] == 3 + 4
    assert sample_value("attempts_submitted_total") - before["submits"] == 1
    assert requests_total("GET", "unmatched", "404") - before["unmatched"] == 1
    assert sample_value("http_request_duration_seconds_count",
                        {"method": "PUT", "route": route}) - before["seconds"] == 4

    exposition = local_client.get("/metrics")
    assert exposition.status_code == 200
    assert exposition.headers["content-type"].startswith("text/plain")
    text = exposition.text
    assert token not in text
    assert 'route="/api/v1/assessments/{token}/answers/{item_id}"' in text
    for name in ("http_request_duration_seconds_bucket", "answers_saved_total",
                 "attempts_submitted_total", "outbox_pending", "db_pool_checked_out",
                 "metrics_database_up 1.0"):
        assert name in text, name


def test_outbox_backlog_is_read_at_scrape_time(migrated):
    with session_scope() as session:
        for n in range(3):
            outbox.enqueue_email(session, organization_id=None, to=f"c{n}@example.com",
                                 subject="Invitation", text="Open the link\n")
    from app.main import create_app

    with TestClient(observed(create_app()), client=LOCAL) as client:
        text = client.get("/metrics").text
    assert "outbox_pending 3.0" in text
    [age] = [float(line.split()[1]) for line in text.splitlines()
             if line.startswith("outbox_oldest_pending_age_seconds ")]
    assert 0 <= age < 600


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "10.1.2.3", "172.20.0.5", "192.168.0.7", "fd00::5"]
)
def test_metrics_are_open_to_private_networks_without_a_token(app, address):
    with TestClient(observed(app), client=(address, 40000)) as client:
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.9", "8.8.8.8", "2001:db8::1", "testclient"])
def test_metrics_are_closed_to_the_internet_without_a_token(app, address):
    with TestClient(observed(app), client=(address, 40000)) as client:
        assert client.get("/metrics").status_code == 403


def test_with_a_token_metrics_need_it_from_everywhere(app, monkeypatch):
    monkeypatch.setattr(observability, "metrics_token", lambda: "s3cret-scrape-token")
    with TestClient(observed(app), client=("203.0.113.9", 40000)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert right.status_code == 200
    with TestClient(observed(app), client=LOCAL) as client:
        assert client.get("/metrics").status_code == 401


def test_multiprocess_mode_sums_every_worker(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, each worker writes its counts there; a scrape sums them."""
    script = textwrap.dedent("""
        from app.ops import observability as o
        o.HTTP_REQUESTS.labels("GET", "/api/v1/positions", "200").inc()
        o.count_answer_saved(2)
        print(o.render_metrics().decode())
    """)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
           "KAM_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    (tmp_path / "prom").mkdir()
    outputs = [
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                       timeout=60, check=True).stdout
        for _worker in range(2)
    ]
    second = outputs[1]
    assert 'http_requests_total{method="GET",route="/api/v1/positions",status="200"} 2.0' in second
    assert "answers_saved_total 4.0" in second
    assert "metrics_database_up 0.0" in second  # an unmigrated database: no outbox gauges


def test_serving_several_workers_prepares_a_multiprocess_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "placeholder")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert observability.prepare_multiprocess_metrics(1) is None
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    made = observability.prepare_multiprocess_metrics(4)
    assert made is not None and made.is_dir()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    made.rmdir()

    kept = tmp_path / "prom"
    kept.mkdir()
    (kept / "counter_123.db").write_bytes(b"stale")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(kept))
    assert observability.prepare_multiprocess_metrics(2) == kept
    assert list(kept.iterdir()) == []
