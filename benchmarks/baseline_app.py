"""The baseline: a bare FastAPI app with what the service cannot do without, and nothing else.

``GET /ping`` answers a small JSON object (the floor of FastAPI + uvicorn on this machine).
``POST /insert`` runs one INSERT and commits, with the service's own engine (same driver,
same pool size, and on SQLite the same WAL / busy timeout / BEGIN IMMEDIATE hooks), in a sync
endpoint on a thread pool of the same size: the floor of a save that reaches the disk.

Run with uvicorn, as the benchmarks do::

    KAM_DATABASE_URL=sqlite:////tmp/b.db .venv/bin/python -m uvicorn \
        benchmarks.baseline_app:create_app --factory --port 8001
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, insert

from app.core.config import get_settings
from app.core.db import make_engine

metadata = MetaData()
saves = Table(
    "bench_baseline",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(100), nullable=False),
    Column("item_id", String(40), nullable=False),
    Column("value", JSON, nullable=False),
    Column("saved_at", DateTime, nullable=False),
)


def create_app() -> FastAPI:
    """The baseline application."""
    settings = get_settings()
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        with engine.begin() as connection:
            metadata.create_all(connection, checkfirst=True)
        yield
        engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/ping")
    def ping() -> dict[str, Any]:
        """The smallest JSON answer."""
        return {"status": "ok"}

    @app.post("/insert")
    def insert_one(body: dict[str, Any]) -> dict[str, Any]:
        """One INSERT, committed before the answer."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as connection:
            connection.execute(insert(saves), {
                "token": str(body.get("token", "")), "item_id": str(body.get("item_id", "")),
                "value": {"v": body.get("value")}, "saved_at": now})
        return {"saved": True, "saved_at": now}

    return app
