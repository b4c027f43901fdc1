"""A save answered 2xx is in the score: saves racing a submit, many times, on a real server.

On PostgreSQL (READ COMMITTED) a save used to check "attempt in progress" without a lock,
write after the submit had read the answers, and still answer 200: the stored score missed
an acknowledged answer in about a quarter of the trials. Saves and submit now serialize on
the attempt row, so every stored score equals a rescore of the stored answers, and every
save answered 200 is among them; a save that comes after the submit gets a 409.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from app.assessments.battery import Battery
from app.assessments.models import Answer, Attempt
from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.scores.models import Score
from questionnaires.keys import item_keys
from scoring import score_battery
from tests.conftest import BACKEND
from tests.factories import SCREENING, create_position, create_user, invite_candidate
from tests.live_server import TLS, running_server

# PostgreSQL is where the race lived; SQLite writers queue on one lock and are checked less.
TRIALS = 200 if BACKEND == "postgresql" else 40
SAVES = 6


@pytest.fixture
def tokens(fresh_database: str) -> list[str]:
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        return [invite_candidate(session, position=position, actor=hr)[1]
                for _ in range(TRIALS)]


def _race(client: httpx.Client, base_url: str, token: str) -> dict[str, int]:
    """Start, then fire SAVES saves and one submit at the same instant; the save statuses."""
    state = client.post(f"{base_url}/api/v1/assessments/{token}/start",
                        json={"consent": True, "screening": SCREENING})
    assert state.status_code == 200, state.text
    items = state.json()["current_section"]["items"][:SAVES]
    ready = threading.Barrier(SAVES + 1)

    def save(item: dict) -> tuple[str, int]:
        ready.wait()
        response = client.put(f"{base_url}/api/v1/assessments/{token}/answers/{item['id']}",
                              json={"value": item["options"][0]["id"]})
        return item["id"], response.status_code

    def submit() -> int:
        ready.wait()
        return client.post(f"{base_url}/api/v1/assessments/{token}/submit").status_code

    with ThreadPoolExecutor(max_workers=SAVES + 1) as pool:
        saves = [pool.submit(save, item) for item in items]
        submitted = pool.submit(submit)
        statuses = dict(future.result() for future in saves)
        assert submitted.result() == 200
    assert set(statuses.values()) <= {200, 409}, statuses
    return statuses


def _rescored_answered(session, attempt: Attempt) -> dict:  # type: ignore[no-untyped-def]
    """The answered counts per competency, scored afresh from the stored answers."""
    keys = item_keys(Battery.load(session, attempt.questionnaire_versions).questionnaires.values())
    answers = {item_id: value["v"] for item_id, value in session.exec(
        select(Answer.item_id, Answer.value).where(Answer.attempt_id == attempt.id))}
    summary = score_battery(keys, [answers]).candidate(0).to_dict()["competencies"]
    return {competency: scale["answered"] for competency, scale in summary.items()}


def test_every_acknowledged_save_is_in_the_stored_score(tokens: list[str]) -> None:
    acknowledged: dict[str, set[str]] = {}
    with running_server() as base_url, httpx.Client(timeout=60, verify=TLS,
                                                     limits=httpx.Limits(
                                                         max_connections=SAVES + 1)) as client:
        for token in tokens:
            statuses = _race(client, base_url, token)
            acknowledged[token] = {item for item, status in statuses.items() if status == 200}
    missing, differing = [], []
    with session_scope(read_only=True) as session:
        from app.auth.security import token_hash
        from app.candidates.models import Invitation

        for token, saved in acknowledged.items():
            invitation = session.exec(
                select(Invitation).where(Invitation.token_hash == token_hash(token))).one()
            attempt = session.exec(
                select(Attempt).where(Attempt.invitation_id == invitation.id)).one()
            stored = set(session.exec(
                select(Answer.item_id).where(Answer.attempt_id == attempt.id)))
            score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).one()
            if not saved <= stored:
                missing.append((token[:8], sorted(saved - stored)))
            in_score = {c: scale["answered"] for c, scale in score.scales.items()}
            if in_score != _rescored_answered(session, attempt):
                differing.append((token[:8], in_score))
    assert not missing, f"acknowledged saves not stored: {missing}"
    assert not differing, f"{len(differing)} of {TRIALS} scores miss stored answers: {differing}"
