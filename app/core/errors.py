"""Domain errors and how they reach people: JSON under /api, a friendly page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from scoring.errors import ScoringInputError

logger = logging.getLogger(__name__)

#: What a caller sees while the database is away (restart, failover, pool exhausted).
UNAVAILABLE = "The service is briefly unavailable; try again shortly."
UNAVAILABLE_RETRY_AFTER_S = 5
OUT_OF_RANGE = "A number or text in the request is out of the accepted range."
#: Errors that mean "the database cannot be reached or is busy", never "your request is bad".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


class Problem(BaseModel):
    """One invalid field: where it is, its name, and a one-line message naming it."""

    loc: list[str | int]
    field: str
    msg: str
    type: str | None = None
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer of the API: a message, or one entry per invalid field (422)."""

    detail: str | list[Problem]


_ERROR_DESCRIPTIONS = {
    400: "The request body cannot be read (not UTF-8, or not the declared content type).",
    401: "Not signed in: the bearer token is missing, expired or revoked.",
    403: "Signed in, but the role does not allow this (or a browser session without its "
    "X-CSRF-Token header).",
    404: "Not found, or it belongs to another organization (the answer is the same).",
    409: "The object is not in a state that allows this change.",
    410: "The invitation has expired or was withdrawn.",
    413: "The request body is too large.",
    422: "The input is not acceptable; `detail` names each field.",
    429: "Too many requests; the `Retry-After` header says in how many seconds to try again.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses=`` of a router or route for the error codes it can answer."""
    return {code: {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[code]}
            for code in codes}


#: What a staff endpoint may answer besides success.
STAFF_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it: a service raises in English
    and the page that shows the error translates it (``DomainError.translated``)."""
    return message


class Word(str):
    """A parameter of an error's sentence that is itself translated (a language's name, a
    status): the API reads it in English, a page in its own language."""

    __slots__ = ()


class DomainError(Exception):
    """Base of the errors services raise; the status says how the caller sees it.

    ``detail`` is what the API answers. A service that raises a sentence gives it as a
    template marked with ``N_`` (``%(name)s`` placeholders filled from ``params``) and,
    when the sentence is about one input, its ``field``: the API then answers
    ``"field: sentence"`` in English, and a page shows ``translated(_)`` beside the field.
    """

    status_code = 400

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None,
                 field: str | None = None, params: Mapping[str, object] | None = None) -> None:
        if detail is None:
            detail = self.default_detail()
        self.field = field
        self.params: dict[str, object] = dict(params or {})
        self.template: str | None = detail if isinstance(detail, str) else None
        if isinstance(detail, str):
            text = detail % self.params if self.params else detail
            detail = f"{field}: {text}" if field else text
        super().__init__(detail)
        self.detail: Any = detail
        self.headers = headers

    def default_detail(self) -> str:
        """The message when the service gave none."""
        return N_("Bad request.")

    def translated(self, _: Callable[..., str]) -> str:
        """The sentence in the language of ``_`` (a ``gettext_for`` function), without the
        field's name: a page shows it beside the field (``field``) or on its own."""
        text = self.sentence(_)
        if self.template is not None and _(self.template).startswith("%("):
            return text  # it begins with a name or a key: as it is
        return text[:1].upper() + text[1:]

    def sentence(self, _: Callable[..., str]) -> str:
        """``translated`` as written: lower case when it follows a field's name."""
        text = self._sentence(_)
        return text if text is not None else _(self.default_detail())

    @property
    def has_sentence(self) -> bool:
        """Whether the error carries a sentence for a person (not only data, such as the
        organizations to choose from)."""
        return self._sentence(lambda message, **_params: message) is not None

    def _sentence(self, _: Callable[..., str]) -> str | None:
        if self.template is not None:
            return _(self.template, **{name: _(value) if isinstance(value, Word) else value
                                        for name, value in self.params.items()})
        if isinstance(self.detail, list) and self.detail and all(
            isinstance(p, Mapping) and "msg" in p for p in self.detail
        ):
            return "; ".join(str(p["msg"]) for p in self.detail)
        return None

    def message_in(self, language: str) -> str:
        """The sentence in ``language`` ("it", "en")."""
        from app.core.i18n import gettext_for  # late: keeps the errors module light

        return self.translated(gettext_for(language))

    def field_errors(self, _: Callable[..., str]) -> dict[str, str]:
        """Field → translated sentence, for a form that shows each error beside its field
        (``"form"`` when the error is about no one field)."""
        if self.template is None and isinstance(self.detail, list):
            errors: dict[str, str] = {}
            for problem in self.detail:
                if isinstance(problem, Mapping) and "field" in problem:
                    text = _(str(problem.get("msg", "")))
                    errors.setdefault(str(problem["field"]), text[:1].upper() + text[1:])
            if errors:
                return errors
        return {self.field or "form": self.translated(_)}


class NotFound(DomainError):
    """Missing, or belonging to another organization: the caller cannot tell which."""

    status_code = 404

    def default_detail(self) -> str:
        return N_("Not found.")


class NotAuthenticated(DomainError):
    """No valid session or token."""

    status_code = 401

    def default_detail(self) -> str:
        return N_("Sign in first: the session or token is missing, expired or invalid.")


class Forbidden(DomainError):
    """Signed in, but the role does not allow this."""

    status_code = 403

    def default_detail(self) -> str:
        return N_("Your role does not allow this action.")


class Conflict(DomainError):
    """The object is not in a state that allows this change."""

    status_code = 409


class Gone(DomainError):
    """Existed, but no longer usable (an expired or revoked invitation)."""

    status_code = 410


class Invalid(DomainError):
    """Well-formed but unacceptable input."""

    status_code = 422



def input_error(exc: ScoringInputError, *, location: str = "body") -> Invalid:
    """A 422 naming the field, in the shape of the app's request-validation errors."""
    return Invalid(
        [
            {
                "loc": [location, *exc.argument.split(".")],
                "field": exc.argument,
                "msg": exc.problem,
                "type": "value_error",
                "message": str(exc),
            }
        ]
    )


def field_problem(field: str, template: str, *, params: Mapping[str, object] | None = None,
                  loc: list[str | int] | None = None) -> Invalid:
    """A 422 about one field in the shape of the request-validation errors (a list with one
    entry), whose sentence ``template`` (marked with ``N_``) a page shows translated."""
    error = Invalid(template, field=field, params=params)
    text = template % error.params if error.params else template
    error.detail = [{"loc": loc if loc is not None else ["body", *field.split(".")],
                     "field": field, "msg": text, "type": "value_error",
                     "message": f"{field}: {text}"}]
    return error


class UnknownLink(NotFound):
    """A candidate page for a link that does not exist: a friendly page, not the staff one."""


class TooManyRequests(DomainError):
    """Rate limited; ``Retry-After`` says when to try again."""

    status_code = 429


class LoginRequired(Exception):
    """A page needs a signed-in user: redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def wants_json(request: Request) -> bool:
    """API paths and JSON clients get JSON errors; browsers get pages."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or "text/html" not in accept


def _error_response(
    request: Request, status: int, detail: Any, headers: Mapping[str, str] | None,
    message: str | None = None,
) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    from app.core.templating import render  # late: templating imports i18n, which is heavier

    if message is None:
        message = detail if isinstance(detail, str) else None
    response = render(
        request, "errors/error.html", {"status": status, "message": message}, status_code=status
    )
    if headers:
        response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into 4xx responses people can act on."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        # A browser reads the sentence in the page's language; the API keeps the English.
        message = None
        if not wants_json(request) and exc.has_sentence:
            message = exc.message_in(getattr(request.state, "language", "en"))
        return _error_response(request, exc.status_code, exc.detail, exc.headers, message)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_response(request, exc.status_code, exc.detail, exc.headers)

    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        # Retryable by the caller (the candidate page keeps the answer and re-sends it): a
        # 503 with a hint, never a 500. Logged with its cause, so a real bug still shows.
        logger.warning("database unavailable: %s", exc, exc_info=exc)
        message = UNAVAILABLE
        if not wants_json(request):
            from app.core.i18n import gettext_for

            message = gettext_for(getattr(request.state, "language", "en"))(UNAVAILABLE)
        return _error_response(request, 503, message,
                               {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)})

    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [_readable(error) for error in exc.errors()]
        return _error_response(request, 422, errors, None)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # SQLite's driver refuses an integer past 64 bits with OverflowError: the request
        # carried it (every field is bounded, app/core/fields.py; this is the net below them).
        return await _out_of_range(request, exc)

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # A value the database cannot hold (PostgreSQL: a number past INTEGER, a text longer
        # than its column) came from the request: a 422, never a 500. Logged, in case a
        # handler forgot a limit.
        logger.warning("value out of the database's range: %s", getattr(exc, "orig", exc))
        message = OUT_OF_RANGE
        if not wants_json(request):
            from app.core.i18n import gettext_for

            message = gettext_for(getattr(request.state, "language", "en"))(OUT_OF_RANGE)
        return _error_response(request, 422, message, None)


def _readable(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error with a one-line message naming the field."""
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location) or "request"
    message = error.get("msg", "invalid value")
    if error.get("type") == "json_invalid":
        field, message = "body", "The request body is not valid JSON."
    return {"loc": list(error.get("loc", ())), "field": field, "msg": message,
            "type": error.get("type"), "message": f"{field}: {message}"}
