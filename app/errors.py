"""Domain errors and how they reach people: JSON under /api, a friendly page elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException


class DomainError(Exception):
    """Base of the errors services raise; the status says how the caller sees it."""

    status_code = 400

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.default_detail()
        self.headers = headers

    def default_detail(self) -> str:
        """The message when the service gave none."""
        return "Bad request."


class NotFound(DomainError):
    """Missing, or belonging to another organization: the caller cannot tell which."""

    status_code = 404

    def default_detail(self) -> str:
        return "Not found."


class NotAuthenticated(DomainError):
    """No valid session or token."""

    status_code = 401

    def default_detail(self) -> str:
        return "Sign in first: the session or token is missing, expired or invalid."


class Forbidden(DomainError):
    """Signed in, but the role does not allow this."""

    status_code = 403

    def default_detail(self) -> str:
        return "Your role does not allow this action."


class Conflict(DomainError):
    """The object is not in a state that allows this change."""

    status_code = 409


class Gone(DomainError):
    """Existed, but no longer usable (an expired or revoked invitation)."""

    status_code = 410


class Invalid(DomainError):
    """Well-formed but unacceptable input."""

    status_code = 422


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


def _error_response(request: Request, status: int, detail: Any, headers: dict | None) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    from app.templating import render  # late: templating imports i18n, which is heavier

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
        return _error_response(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_response(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [_readable(error) for error in exc.errors()]
        return _error_response(request, 422, errors, None)


def _readable(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error with a one-line message naming the field."""
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location) or "request"
    message = error.get("msg", "invalid value")
    if error.get("type") == "json_invalid":
        field, message = "body", "The request body is not valid JSON."
    return {"loc": list(error.get("loc", ())), "field": field, "msg": message,
            "type": error.get("type"), "message": f"{field}: {message}"}
