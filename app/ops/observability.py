"""Structured logs with request ids, and Prometheus metrics.

- ``configure_logging`` / ``uvicorn_log_config``: one JSON object per line on stderr.
- ``RequestContext``: a pure ASGI middleware that gives every request an id (kept from a sane
  ``X-Request-ID`` header or made up), puts it on every log line of the request and on the
  response, writes one access line and records the HTTP metrics by route template.
- ``router``: ``GET /metrics``, open to loopback and private networks, or to a bearer token
  (``KAM_METRICS_TOKEN``) from anywhere once one is set.

Candidate invitation tokens are credentials: paths are logged with the token segment replaced
by ``***`` and metrics are labelled with route templates, never raw paths.
"""

from __future__ import annotations

import atexit
import hmac
import ipaddress
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import SessionRoute

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("kam.access")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
request_id_var: ContextVar[str | None] = ContextVar("kam_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return request_id_var.get()


# --- paths -------------------------------------------------------------------------------

# The invitation token is the segment right after these prefixes (pages and JSON API).
_TOKEN_PATH = re.compile(r"^(/a|/api/v1/assessments)/[^/]+")


def redact_path(path: str) -> str:
    """``path`` with a candidate's invitation token replaced by ``***``.

    >>> redact_path("/api/v1/assessments/Zm9vYmFy/answers/en-01")
    '/api/v1/assessments/***/answers/en-01'
    >>> redact_path("/a/Zm9vYmFy")
    '/a/***'
    """
    return _TOKEN_PATH.sub(r"\1/***", path)


# --- log formatting ----------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}
)
_CORE_FIELDS = ("ts", "level", "logger", "message", "request_id")


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id and the extra fields.

    Access lines add method, path (token redacted), route, status and duration_ms. Extra fields
    that would shadow a core field are renamed ``extra_<name>``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in _extra_fields(record).items():
            if key == "request_id":
                continue
            entry[f"extra_{key}" if key in _CORE_FIELDS else key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines for development, still carrying the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return super().format(record)


class RequestIdFilter(logging.Filter):
    """Stamps the request id on a record when it is emitted, in the request's own context."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def _formatter(json_lines: bool) -> logging.Formatter:
    return JsonFormatter() if json_lines else TextFormatter()


_HANDLER_MARK = "_kam_handler"


def configure_logging(
    level: str | int = "INFO", *, json: bool = True, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record (root logger) to ``stream`` (stderr) as JSON or plain text.

    Idempotent: a handler installed by an earlier call is replaced; other handlers are kept.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_formatter(json))
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def uvicorn_log_config(level: str = "INFO", *, json: bool = True) -> dict[str, Any]:
    """The ``log_config`` for uvicorn: its logs and the app's go to stderr in one format.

    Pass ``access_log=False`` as well: ``RequestContext`` writes the access lines (with the
    request id and without candidate tokens); uvicorn's own access logger is kept at WARNING.
    """
    level = level.upper()
    formatter = (
        "app.ops.observability.JsonFormatter" if json else "app.ops.observability.TextFormatter"
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "filters": {"request_id": {"()": "app.ops.observability.RequestIdFilter"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


# --- metrics -----------------------------------------------------------------------------

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ
UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by route template.",
    ["method", "route", "status"],
)  # fmt: skip
HTTP_DURATION = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"],
)  # fmt: skip
ANSWERS_SAVED = Counter("answers_saved_total", "Candidate answers saved (acknowledged 2xx/303).")
ATTEMPTS_SUBMITTED = Counter(
    "attempts_submitted_total", "Submit requests acknowledged (a repeated submit counts again)."
)

ANSWER_ROUTE = "/api/v1/assessments/{token}/answers/{item_id}"
BATCH_ANSWERS_ROUTE = "/api/v1/assessments/{token}/answers"
PAGE_SECTION_ROUTE = "/a/{token}/section/{section_key}"
SUBMIT_ROUTES = frozenset({"/api/v1/assessments/{token}/submit", "/a/{token}/submit"})
_BATCH_BODY_LIMIT = 256 * 1024


def count_answer_saved(n: int = 1) -> None:
    """Count ``n`` saved answers (for callers outside HTTP, e.g. an import)."""
    if n > 0:
        ANSWERS_SAVED.inc(n)


def count_attempt_submitted() -> None:
    """Count one submitted attempt."""
    ATTEMPTS_SUBMITTED.inc()


class DatabaseCollector(Collector):
    """Gauges read at scrape time: pool use of this process and the outbox backlog.

    The outbox query is one indexed count in a read-only transaction (2 s statement timeout on
    PostgreSQL); when the database does not answer, the outbox gauges are left out and
    ``metrics_database_up`` is 0.
    """

    def describe(self) -> Iterator[Metric]:
        """The gauges' names for the registry, without a query: registering the collector
        (at import) must not open, or create, the database."""
        for name in (
            "db_pool_checked_out",
            "db_pool_size",
            "metrics_database_up",
            "outbox_pending",
            "outbox_oldest_pending_age_seconds",
        ):
            yield GaugeMetricFamily(name, "")

    def collect(self) -> Iterator[Metric]:
        from app.core.db import get_engine

        engine = get_engine()
        pool = engine.pool
        checked_out = getattr(pool, "checkedout", None)
        size = getattr(pool, "size", None)
        if callable(checked_out):
            yield GaugeMetricFamily(
                "db_pool_checked_out",
                "Database connections in use in the worker process that answered the scrape.",
                value=checked_out(),
            )
        if callable(size):
            yield GaugeMetricFamily(
                "db_pool_size", "Connections the pool holds at most per worker process.",
                value=size(),
            )  # fmt: skip
        up = GaugeMetricFamily("metrics_database_up", "1 when the scrape-time query succeeded.")
        try:
            pending, oldest = _outbox_backlog(engine)
        except Exception as exc:  # a scrape must never fail because the database does
            logger.warning("metrics: outbox query failed: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "outbox_pending", "Outbox messages (e-mails, webhooks) waiting for delivery.",
            value=pending,
        )  # fmt: skip
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox message (0 when none): a stuck worker grows it.",
            value=age,
        )


def _outbox_backlog(engine: Any) -> tuple[int, datetime | None]:
    from sqlalchemy import func, select, text
    from sqlmodel import col

    from app.core.db import READ_ONLY
    from app.outbox.models import OutboxMessage

    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.status) == "pending"
    )
    with engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL statement_timeout = 2000"))
        pending, oldest = connection.execute(query).one()
        connection.rollback()
    return int(pending), oldest


_database_collector = DatabaseCollector()
if not MULTIPROCESS:
    REGISTRY.register(_database_collector)


def prepare_multiprocess_metrics(workers: int) -> Path | None:
    """Before starting ``workers`` > 1 processes: a fresh PROMETHEUS_MULTIPROC_DIR for them.

    Call it in the parent before uvicorn spawns the workers (they read the variable when they
    import prometheus_client). An operator's directory is kept but emptied of the previous
    run's files; otherwise a temporary one is made and removed at exit.
    """
    if workers <= 1:
        return None
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return directory
    directory = Path(tempfile.mkdtemp(prefix="kam-metrics-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def render_metrics() -> bytes:
    """The exposition text; with PROMETHEUS_MULTIPROC_DIR, summed over every worker process."""
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    # Ignored: prometheus_client's multiprocess module has no annotations.
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(_database_collector)
    return generate_latest(registry)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    return getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED


def _record_domain_events(
    route: str, method: str, status: int, location: str | None, body: bytes
) -> None:
    """Count saved answers and submits from the route template and the response."""
    if method == "PUT" and route == ANSWER_ROUTE and 200 <= status < 300:
        ANSWERS_SAVED.inc()
    elif method == "POST" and route == BATCH_ANSWERS_ROUTE and 200 <= status < 300:
        try:
            saved = json.loads(body).get("saved") or []
        except (ValueError, AttributeError):
            saved = []
        count_answer_saved(len(saved))
    elif method == "POST" and route == PAGE_SECTION_ROUTE and status == 303 and location:
        # The no-JavaScript form redirects to ...?saved=N after committing N answers.
        values = parse_qs(urlsplit(location).query).get("saved") or ["0"]
        count_answer_saved(int(values[0]) if values[0].isdigit() else 0)
    elif method == "POST" and route in SUBMIT_ROUTES and (200 <= status < 300 or status == 303):
        ATTEMPTS_SUBMITTED.inc()


# --- the middleware ----------------------------------------------------------------------

QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
    return None


class RequestContext:
    """Request id, access log line and HTTP metrics for every HTTP request.

    Add it last (outermost) so its line and metrics cover every other middleware's answers.
    ``count_domain_events=False`` stops counting answers and submits from routes (for when
    the services count them with ``count_answer_saved`` / ``count_attempt_submitted``).
    """

    def __init__(self, app: ASGIApp, *, count_domain_events: bool = True) -> None:
        self.app = app
        self.count_domain_events = count_domain_events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        location: str | None = None
        body = bytearray()
        keep_body = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, location, keep_body
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                location = headers.get("location")
                keep_body = (
                    self.count_domain_events and _route_template(scope) == BATCH_ANSWERS_ROUTE
                )
            elif message["type"] == "http.response.body" and keep_body:
                body.extend(message.get("body", b""))
                keep_body = len(body) <= _BATCH_BODY_LIMIT
            await send(message)

        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            duration = time.perf_counter() - started
            self._observe(scope, status, duration, failure)
            if self.count_domain_events and failure is None:
                _record_domain_events(
                    _route_template(scope), scope["method"], status, location, bytes(body)
                )
            request_id_var.reset(token)

    def _observe(
        self, scope: Scope, status: int, duration: float, failure: BaseException | None
    ) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = _route_template(scope)
        HTTP_REQUESTS.labels(method, route, str(status)).inc()
        HTTP_DURATION.labels(method, route).observe(duration)
        path = redact_path(scope.get("path", ""))
        if isinstance(failure, Exception):
            level = logging.ERROR
        elif failure is not None or status >= 500:  # a 5xx, or cancelled (client gone)
            level = logging.WARNING
        elif scope.get("path") in QUIET_PATHS:
            level = logging.DEBUG  # probes and scrapes every few seconds would drown the log
        else:
            level = logging.INFO
        if not access_logger.isEnabledFor(level):
            return
        access_logger.log(
            level,
            "%s %s %s",
            scope["method"],
            path,
            status,
            exc_info=failure if isinstance(failure, Exception) else None,
            extra={
                "method": scope["method"],
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
            },
        )


# --- the /metrics endpoint ---------------------------------------------------------------

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def metrics_token() -> str | None:
    """The bearer token that opens /metrics (``KAM_METRICS_TOKEN``), or None."""
    from app.core.config import get_settings

    return getattr(get_settings(), "metrics_token", None) or None


# Loopback and RFC 1918 / RFC 4193 networks. Not ``ip_address.is_private``: that also holds
# for documentation and other special ranges that real clients can come from.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::1/128",
        "fc00::/7",
    )
)


def _is_private(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in PRIVATE_NETWORKS)


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials else None


def allowed(request: Request, token: str | None) -> bool:
    """With a token, only its bearer; without one, only loopback and private addresses."""
    if token:
        given = _bearer(request)
        return given is not None and hmac.compare_digest(given.encode(), token.encode())
    return _is_private(request.client.host if request.client else None)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics (a sync handler: the outbox count uses a pool thread's connection)."""
    token = metrics_token()
    if not allowed(request, token):
        if token:
            return PlainTextResponse(
                "a valid bearer token is needed\n",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return PlainTextResponse("metrics are served to private networks only\n", status_code=403)
    return Response(render_metrics(), media_type=CONTENT_TYPE_LATEST)


def sample_value(name: str, labels: dict[str, str] | None = None) -> float:
    """A metric's current value in this process (0 when never touched); for tests and checks."""
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0
