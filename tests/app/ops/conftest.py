"""Helpers for the operations tests: a migrated database of its own with started attempts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from app.assessments import service as assessment_service
from app.assessments.models import Answer
from app.assessments.schemas import StartRequest
from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from tests.factories import SCREENING, create_position, create_user, invite_candidate

CLIENT_IP = "127.0.0.1"
USER_AGENT = "kam-ops-tests"


@dataclass(frozen=True)
class Save:
    """One answer a candidate gives: which attempt, which item, which option."""

    attempt_id: int
    token: str
    item_id: str
    value: str


@pytest.fixture
def migrated(fresh_database: str) -> str:
    """A fresh database at the schema head with the shipped questionnaire bank."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    return fresh_database


def start_attempts(n: int) -> list[list[Save]]:
    """``n`` candidates who started the English test; per candidate, one save per item."""
    with session_scope() as session:
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        tokens = [invite_candidate(session, position=position, actor=hr)[1] for _ in range(n)]
    plans = []
    for token in tokens:
        with session_scope() as session:
            ctx = assessment_service.resolve(session, token=token)
            attempt = assessment_service.start(
                session, ctx=ctx, data=StartRequest(consent=True, screening=SCREENING),
                ip=CLIENT_IP, user_agent=USER_AGENT,
            )
            items = assessment_service.state(session, ctx=ctx)["current_section"]["items"]
        plans.append([Save(attempt.id, token, item["id"], item["options"][-1]["id"])
                      for item in items])
    return plans


def save(job: Save) -> None:
    """Save one answer through the service, committed (what a 2xx stands for)."""
    with session_scope() as session:
        ctx = assessment_service.resolve(session, token=job.token)
        assessment_service.save_answer(
            session, ctx=ctx, item_id=job.item_id, value=job.value, elapsed_ms=1000,
            ip=CLIENT_IP, user_agent=USER_AGENT,
        )


def stored_answers(database_url: str) -> dict[tuple[int, str], str]:
    """Every answer in the database at ``database_url``: (attempt id, item id) -> value."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Answer.attempt_id, Answer.item_id, Answer.value)  # type: ignore[call-overload]
            ).all()
    finally:
        engine.dispose()
    return {(attempt_id, item_id): value["v"] for attempt_id, item_id, value in rows}


@contextmanager
def configured_database(url: str) -> Iterator[None]:
    """Point the settings (not the already built engine) at ``url`` for a CLI call."""
    from app.core.config import get_settings

    previous = os.environ.get("KAM_DATABASE_URL")
    os.environ["KAM_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("KAM_DATABASE_URL", None)
        else:
            os.environ["KAM_DATABASE_URL"] = previous
        get_settings.cache_clear()
