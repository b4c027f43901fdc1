"""Real commits, real threads, a real server: no answer lost, one result per attempt."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from app.assessments.models import Answer
from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.scores.models import Score
from tests.factories import SCREENING, create_position, create_user, invite_candidate
from tests.live_server import TLS, running_server


@pytest.fixture
def live(fresh_database):
    """A migrated database with the bank and a started attempt, and a server on it."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr,
                                   questionnaires=["english", "stress-resistance"])
        _, token = invite_candidate(session, position=position, actor=hr)
    with running_server() as base_url:
        start = httpx.post(f"{base_url}/api/v1/assessments/{token}/start",
                           json={"consent": True, "screening": SCREENING}, timeout=10,
                           verify=TLS)
        assert start.status_code == 200, start.text
        yield base_url, token, start.json()


def test_fifty_concurrent_saves_to_one_attempt_all_persist(live):
    base_url, token, state = live
    items = state["current_section"]["items"]  # 24 English items
    # 50 saves: every item once, then a change of mind on every item plus two repeats.
    first_round = [(item["id"], item["options"][0]["id"]) for item in items]
    second_round = [(item["id"], item["options"][1]["id"]) for item in items + items[:2]]
    final = dict(second_round)

    def save(job):
        item_id, value = job
        with httpx.Client(timeout=30, verify=TLS) as client:
            return client.put(f"{base_url}/api/v1/assessments/{token}/answers/{item_id}",
                              json={"value": value}).status_code

    # The rounds run one after the other, so each item's final value is known.
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(save, first_round))
        statuses += list(pool.map(save, second_round))
    assert statuses == [200] * 50, statuses
    with session_scope(read_only=True) as session:
        stored = {a.item_id: a.value["v"] for a in session.exec(select(Answer))}
    assert stored == final


def test_fifty_concurrent_saves_of_different_items_and_states(live):
    base_url, token, state = live
    items = state["current_section"]["items"]

    def work(n):
        with httpx.Client(timeout=30, verify=TLS) as client:
            if n % 2:
                return client.get(f"{base_url}/api/v1/assessments/{token}").status_code
            item = items[(n // 2) % len(items)]
            return client.put(f"{base_url}/api/v1/assessments/{token}/answers/{item['id']}",
                              json={"value": item["options"][0]["id"]}).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(work, range(100)))
    assert statuses == [200] * 100
    with session_scope(read_only=True) as session:
        assert len(session.exec(select(Answer)).all()) == 24


def test_submit_racing_submit_gives_one_result(live):
    base_url, token, _ = live

    def submit(_n):
        with httpx.Client(timeout=30, verify=TLS) as client:
            return client.post(f"{base_url}/api/v1/assessments/{token}/submit")

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(submit, range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.json()["submitted_at"] for r in responses}) == 1
    with session_scope(read_only=True) as session:
        assert len(session.exec(select(Score)).all()) == 1
