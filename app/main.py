"""The application factory: middleware, routers, static files, error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.assessments import api as assessment_api
from app.assessments import pages as assessment_pages
from app.audit import api as audit_api
from app.audit import pages as audit_pages
from app.auth import account_pages, staff_pages
from app.auth import api as auth_api
from app.auth import pages as auth_pages
from app.auth.permissions import can
from app.bank import api as bank_api
from app.candidates import api as candidate_api
from app.candidates import decisions_api
from app.candidates import pages as candidate_link_pages
from app.core.config import Settings, get_settings
from app.core.db import RequestSessions
from app.core.errors import STAFF_ERRORS, UnknownLink, error_responses, install_error_handlers
from app.core.templating import templates
from app.costs import api as cost_api
from app.costs import pages as cost_pages
from app.explanations import api as explanation_api
from app.explanations import pages as explanation_pages
from app.fairness import api as fairness_api
from app.fairness import pages as fairness_pages
from app.interviews import api as interview_api
from app.interviews import pages as interview_pages
from app.norms import api as norm_api
from app.norms import pages as norm_pages
from app.ops import health, observability
from app.ops.limits import BodySizeLimit, ids_in_range
from app.ops.observability import RequestContext
from app.ops.page_context import PageContext
from app.organizations import pages as organization_pages
from app.positions import api as position_api
from app.positions import pages as position_pages
from app.privacy import api as privacy_api
from app.reports import api as report_api
from app.reports import pages as report_pages
from app.webhooks import api as webhook_api
from app.worker.background import start_background_worker

STATIC_DIR = Path(__file__).parent / "static"
# Documented in the OpenAPI schema (and checked against it by tests/app/security).
CANDIDATE_ERRORS = error_responses(400, 404, 409, 410, 413, 422, 429)

def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: one process serves pages, the JSON API and health probes."""
    settings = settings or get_settings()
    # Templates ask the permission table which buttons and links to show.
    templates.env.globals["can"] = can

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in this thread pool; the DB pool has one connection per thread.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        # Embedded SQLite: deliver the outbox in-process, so `kam serve` alone sends e-mail.
        # Never in tests: their fixture holds the SQLite write lock for a whole test.
        worker = None
        if settings.is_sqlite and settings.env != "test":
            worker = start_background_worker(settings)
        try:
            yield
        finally:
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)

    app = FastAPI(
        title="KAM Assess",
        version="0.1.0",
        description="Assessments for hiring Key Account Managers.",
        lifespan=lifespan,
        # An id too large for the database is a 404 on every route, never a driver error.
        dependencies=[Depends(ids_in_range)],
    )
    install_error_handlers(app)
    app.add_exception_handler(UnknownLink, assessment_pages.unknown_link_page)
    app.add_middleware(BodySizeLimit, max_bytes=1_000_000)

    app.add_middleware(PageContext)
    app.add_middleware(RequestSessions)

    # Added last, so it is the outermost layer: every response carries X-Request-ID.
    app.add_middleware(RequestContext)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Routes are matched in order: the candidate API (autosave, the hottest path) first.
    app.include_router(assessment_api.router, responses=CANDIDATE_ERRORS)
    app.include_router(health.router)
    app.include_router(observability.router)
    app.include_router(auth_api.router, responses={**STAFF_ERRORS, **error_responses(429)})
    app.include_router(auth_pages.router)
    app.include_router(account_pages.router)
    app.include_router(staff_pages.router)
    app.include_router(bank_api.router, responses=STAFF_ERRORS)
    app.include_router(position_api.router, responses=STAFF_ERRORS)
    app.include_router(candidate_api.router, responses={**STAFF_ERRORS, **error_responses(429)})
    app.include_router(report_api.router, responses=STAFF_ERRORS)
    app.include_router(decisions_api.router, responses=STAFF_ERRORS)
    app.include_router(interview_api.router, responses=STAFF_ERRORS)
    app.include_router(cost_api.router, responses=STAFF_ERRORS)
    app.include_router(norm_api.router, responses=STAFF_ERRORS)
    app.include_router(privacy_api.router, responses=STAFF_ERRORS)
    app.include_router(audit_api.router, responses=STAFF_ERRORS)
    app.include_router(webhook_api.router, responses=STAFF_ERRORS)
    app.include_router(fairness_api.router, responses=STAFF_ERRORS)
    app.include_router(fairness_api.candidate_router, responses=CANDIDATE_ERRORS)
    app.include_router(explanation_api.router, responses=STAFF_ERRORS)
    app.include_router(explanation_api.candidate_router, responses=CANDIDATE_ERRORS)
    app.include_router(audit_pages.router)
    app.include_router(assessment_pages.router)
    app.include_router(explanation_pages.candidate_router)
    app.include_router(position_pages.router)
    app.include_router(report_pages.router)
    app.include_router(candidate_link_pages.router)
    app.include_router(interview_pages.router)
    app.include_router(cost_pages.router)
    app.include_router(norm_pages.router)
    app.include_router(organization_pages.router)
    app.include_router(fairness_pages.router)
    app.include_router(explanation_pages.router)
    return app
