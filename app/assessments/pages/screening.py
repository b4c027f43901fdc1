"""Reading the landing page's form: consent and screening answers into a start request, the
mistakes by field in the candidate's words, and the signed cookie that carries what was
typed back to the form (POST → redirect → GET).
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.assessments.schemas import StartRequest
from app.core.config import get_settings
from app.core.i18n import gettext_for

LANGUAGE_ROWS = 3


NUMBER_FIELDS = (
    "years_sales",
    "years_key_accounts",
    "client_base_size",
    "salary_expectation_monthly",
)


ERROR_ORDER = (
    "form",
    "consent",
    "education",
    "languages",
    "lang_1",
    "lang_2",
    "lang_3",
    *NUMBER_FIELDS,
    "variable_pay",
)


START_COOKIE = "kam_start_form"


START_COOKIE_AGE = 15 * 60


def _start_errors(
    exc: ValidationError, rows: list[int], _: Callable[..., str], lang: str
) -> dict[str, str]:
    """The validation errors of the start form, by form field, in the candidate's words."""
    example = "2,5" if lang == "it" else "2.5"
    messages = {
        "education": _("Choose your highest level of education."),
        "years_sales": _(
            "Enter a number of years from 0 to 60, for example %(example)s.", example=example
        ),
        "years_key_accounts": _(
            "Enter a number of years from 0 to 60, for example %(example)s.", example=example
        ),
        "client_base_size": _("Enter a whole number from 0 to 100000."),
        "salary_expectation_monthly": _(
            "Enter an amount in euros from 0 to 100000, or leave it empty."
        ),
        "languages": _("Each language can be listed only once."),
        "variable_pay": _("Choose one of the options."),
    }
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "screening" and len(loc) >= 3 and loc[1] == "languages":
            row = rows[int(loc[2])] if isinstance(loc[2], int) and loc[2] < len(rows) else 1
            errors.setdefault(
                f"lang_{row}", _("Choose the language and your level, or leave both empty.")
            )
        elif loc and loc[0] == "screening" and len(loc) >= 2 and loc[1] in messages:
            errors.setdefault(str(loc[1]), messages[str(loc[1])])
        elif loc and loc[0] == "screening":
            errors.setdefault("languages", messages["languages"])
        else:
            errors.setdefault(
                "form", _("Some answers could not be read. Check the form and send it again.")
            )
    return errors


def _start_request(form: FormData, lang: str) -> tuple[dict[str, Any], list[int], dict[str, str]]:
    """The StartRequest body from the form, the row of each language entry, row errors."""
    _ = gettext_for(lang)
    screening: dict[str, Any] = {"education": form.get("education") or None, "languages": []}
    rows, errors = [], {}
    for row in range(1, LANGUAGE_ROWS + 1):
        code, level = form.get(f"lang_{row}") or "", form.get(f"cefr_{row}") or ""
        if not code and not level:
            continue
        if not code or not level:
            errors[f"lang_{row}"] = _("Choose the language and your level, or leave both empty.")
            continue
        screening["languages"].append({"language": code, "cefr_self": level})
        rows.append(row)
    for key in NUMBER_FIELDS:
        screening[key] = str(form.get(key) or "").strip()
    if form.get("variable_pay"):
        screening["variable_pay"] = str(form.get("variable_pay"))
    body = {"consent": form.get("consent") == "yes", "language": lang, "screening": screening}
    return body, rows, errors


def _checked_start(form: Any, lang: str) -> tuple[StartRequest | None, dict[str, str]]:
    """The start request from the landing form, or the errors to show next to its fields."""
    _ = gettext_for(lang)
    body, rows, errors = _start_request(form, lang)
    data = None
    try:
        data = StartRequest.model_validate(body)
    except ValidationError as exc:
        errors = {**_start_errors(exc, rows, _, lang), **errors}
    if not body["consent"]:
        errors["consent"] = _(
            "Tick the box to give your consent: the assessment can only start after you do."
        )
    return data, errors


def _signature(token: str, payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"start:{token}:{payload}".encode(), "sha256").hexdigest()


def _signed(token: str, values: dict[str, str]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
    return f"{payload}.{_signature(token, payload)}"


def _unsigned(token: str, cookie: str | None) -> dict[str, str] | None:
    """The values in the cookie, if this server signed them for this link."""
    payload, _dot, signature = (cookie or "").partition(".")
    if not payload or not hmac.compare_digest(_signature(token, payload), signature):
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else None
