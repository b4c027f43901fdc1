"""Every route of the app, called by every kind of caller, gets the answer its rule says.

The table below names each route's rule. A route that is not in it fails
``test_every_route_has_a_rule``: a new route must be added here consciously, with who may call
it and which organization's object its path names.

Callers: anonymous, a candidate (holding a valid link of another attempt, presented as a bearer
token and as a session cookie), a manager not assigned to the position, the assigned manager,
hr, admin, and another organization's admin. Expected classes:

- anonymous and candidate on staff routes: 401 (API) or a 303 to the sign-in page (pages);
- a role the route does not allow: 403;
- an object of another organization, or a position the manager is not assigned to: 404;
- allowed: a GET succeeds (2xx/3xx); a change may be refused for its content (409, 422) but
  never 401, 403 or 404; nothing ever answers 5xx.

The same run checks every response for security headers and for secrets that must never be
sent back (password hashes, other callers' tokens, stored token hashes).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import routing
from starlette.routing import Mount

from app.auth.permissions import Action, roles_for
from tests.app.security.world import CALLERS, World, kept_cookies, open_world, rolled_back
from tests.factories import PASSWORD

# The roles come from the permission table the app itself reads (app/auth/permissions.py).
STAFF = roles_for(Action.work)
HR = roles_for(Action.manage_hiring)
ADMIN = roles_for(Action.administer)

Value = Any | Callable[[World], Any]


@dataclass(frozen=True)
class Rule:
    """Who may call a route, and with what."""

    # "staff"; "public" (anyone); "token" (the link is the credential); "metrics"; "signout"
    kind: str
    roles: frozenset[str] = frozenset()
    # The path names an object of organization A: other organizations get 404, and so does a
    # manager not assigned to the position when the object belongs to a position.
    scope: str | None = None  # "position", "candidate", "organization"
    json: Value = None
    form: Value = None  # page forms: the CSRF token is added
    params: Value = None
    candidate: str = "completed"  # which candidate {candidate_id} names: completed / invited


def staff(roles: frozenset[str], scope: str | None = None, **kwargs: Any) -> Rule:
    """A route for signed-in staff."""
    return Rule("staff", roles, scope, **kwargs)


PUBLIC = Rule("public")
TOKEN = Rule("token")
COMPARE = {"ids": lambda w: ",".join(map(str, w.completed_ids))}
PAGE_COMPARE = {"ids": lambda w: [str(i) for i in w.completed_ids]}
POSITION_FORM = {
    "title": "Key Account Manager, North",
    "questionnaires": ["commercial-knowledge", "english"],
    "language_hurdle": "B2",
    "invitation_expiry_days": "14",
    "ranking_mode": "fit",
    "weight_commercial_knowledge": "0.8",
    "weight_languages": "0.2",
}

RULES: dict[tuple[str, str], Rule] = {
    # --- public: documentation, probes, static files, sign-in ---------------------------------
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # Private networks only (the test client is not one) or a bearer token of its own.
    ("GET", "/metrics"): Rule("metrics"),
    ("POST", "/api/v1/auth/token"): Rule(
        "public", form=lambda w: {"username": w.hr_email, "password": PASSWORD}
    ),
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): Rule(
        "public", form=lambda w: {"email": w.hr_email, "password": PASSWORD, "next": "/"}
    ),
    ("POST", "/logout"): Rule("signout", form={}),  # anyone: back to the sign-in page
    # --- auth and users ----------------------------------------------------------------------
    ("POST", "/api/v1/auth/logout"): staff(STAFF),
    ("GET", "/api/v1/me"): staff(STAFF),
    ("GET", "/api/v1/users"): staff(ADMIN),
    ("POST", "/api/v1/users"): staff(
        ADMIN,
        json={
            "email": "new.hr@example.com",
            "full_name": "New HR",
            "role": "hr",
            "password": "a-long-password",
        },
    ),
    ("GET", "/api/v1/users/{user_id}"): staff(ADMIN, "organization"),
    ("PATCH", "/api/v1/users/{user_id}"): staff(ADMIN, "organization", json={"is_active": True}),
    # --- bank, positions, invitations --------------------------------------------------------
    ("GET", "/api/v1/competencies"): staff(STAFF),
    ("GET", "/api/v1/questionnaires"): staff(STAFF),
    ("GET", "/api/v1/questionnaires/{key}"): staff(STAFF),
    ("POST", "/api/v1/positions"): staff(HR, json={"title": "KAM", "questionnaires": ["english"]}),
    ("GET", "/api/v1/positions"): staff(STAFF),
    ("GET", "/api/v1/positions/{position_id}"): staff(STAFF, "position"),
    ("PATCH", "/api/v1/positions/{position_id}"): staff(
        HR, "position", json={"title": "KAM (renamed)"}
    ),
    ("POST", "/api/v1/positions/{position_id}/candidates"): staff(
        HR, "position", json={"full_name": "Nora New", "email": "nora@example.com"}
    ),
    ("POST", "/api/v1/candidates/{candidate_id}/resend"): staff(
        HR, "position", candidate="invited"
    ),
    ("POST", "/api/v1/candidates/{candidate_id}/revoke"): staff(
        HR, "position", candidate="invited"
    ),
    # --- the candidate API: the link is the credential ---------------------------------------
    ("GET", "/api/v1/assessments/{token}"): TOKEN,
    ("POST", "/api/v1/assessments/{token}/start"): Rule(
        "token",
        json={
            "consent": True,
            "language": "en",
            "screening": {
                "education": "master",
                "languages": [{"language": "en", "cefr_self": "B2"}],
                "years_sales": 6,
                "years_key_accounts": 4,
                "client_base_size": 25,
            },
        },
    ),
    ("PUT", "/api/v1/assessments/{token}/answers/{item_id}"): Rule(
        "token", json=lambda w: {"value": w.item_value}
    ),
    ("POST", "/api/v1/assessments/{token}/answers"): Rule(
        "token", json=lambda w: {"answers": {w.item_id: {"value": w.item_value}}}
    ),
    ("POST", "/api/v1/assessments/{token}/events"): Rule("token", json={"focus_losses": 1}),
    ("POST", "/api/v1/assessments/{token}/sections/{section_key}/complete"): TOKEN,
    ("POST", "/api/v1/assessments/{token}/submit"): TOKEN,
    # --- reports, decisions, costs -----------------------------------------------------------
    ("GET", "/api/v1/positions/{position_id}/candidates"): staff(STAFF, "position"),
    ("GET", "/api/v1/candidates/{candidate_id}/report"): staff(STAFF, "position"),
    ("GET", "/api/v1/positions/{position_id}/compare"): staff(STAFF, "position", params=COMPARE),
    ("POST", "/api/v1/candidates/{candidate_id}/decision"): staff(
        STAFF, "position", json={"decision": "hold", "note": "Second interview."}
    ),
    ("GET", "/api/v1/candidates/{candidate_id}/decisions"): staff(STAFF, "position"),
    ("POST", "/api/v1/cost-comparison"): staff(STAFF, json={}),
    # --- interviews, overall score, outcomes, validity (issue 16) -----------------------------
    ("GET", "/api/v1/candidates/{candidate_id}/interview"): staff(STAFF, "position"),
    ("POST", "/api/v1/candidates/{candidate_id}/interviewers"): staff(
        HR, "position", json=lambda w: {"interviewer_ids": [w.user_id]}
    ),
    # Nobody is on the panel in this world: a 422 naming interviewer_id.
    ("DELETE", "/api/v1/candidates/{candidate_id}/interviewers/{interviewer_id}"): staff(
        HR, "position"
    ),
    # Allowed callers who are not on the panel get a 409 (only interviewers rate).
    ("POST", "/api/v1/candidates/{candidate_id}/interview/rating"): staff(
        STAFF, "position", json={"ratings": {}}
    ),
    ("POST", "/api/v1/candidates/{candidate_id}/interview/revision"): staff(
        STAFF, "position", json={"ratings": {}, "reason": "Misread my notes."}
    ),
    ("GET", "/api/v1/candidates/{candidate_id}/interview-kit"): staff(STAFF, "position"),
    ("GET", "/api/v1/candidates/{candidate_id}/overall"): staff(STAFF, "position"),
    ("GET", "/api/v1/positions/{position_id}/overall-weights"): staff(STAFF, "position"),
    ("PUT", "/api/v1/positions/{position_id}/overall-weights"): staff(
        HR, "position", json={"test": 0.5, "interview": 0.5}
    ),
    ("GET", "/api/v1/positions/{position_id}/interview-reliability"): staff(STAFF, "position"),
    ("GET", "/api/v1/positions/{position_id}/stages"): staff(STAFF, "position"),
    ("GET", "/api/v1/candidates/{candidate_id}/outcomes"): staff(STAFF, "position"),
    ("POST", "/api/v1/candidates/{candidate_id}/outcomes"): staff(
        HR, "position", json={"months": 6, "performance": 3}
    ),
    ("GET", "/api/v1/positions/{position_id}/validity"): staff(ADMIN, "position"),
    ("GET", "/api/v1/positions/{position_id}/suggested-weights"): staff(ADMIN, "position"),
    ("POST", "/api/v1/positions/{position_id}/suggested-weights/apply"): staff(
        ADMIN, "position", json={"reason": "The outcomes say so."}
    ),
    ("GET", "/api/v1/positions/{position_id}/cost-learning"): staff(ADMIN, "position"),
    ("POST", "/api/v1/positions/{position_id}/cost-learning/apply"): staff(
        ADMIN, "position", json={"reason": "Our hires stay longer."}
    ),
    ("GET", "/api/v1/positions/{position_id}/cost-comparison"): staff(STAFF, "position"),
    # --- norms (admins) ----------------------------------------------------------------------
    ("GET", "/api/v1/norms"): staff(ADMIN),
    ("POST", "/api/v1/norms/rebuild"): staff(ADMIN),
    ("GET", "/api/v1/norms/{key}/{version}/export"): staff(ADMIN, "organization"),
    ("POST", "/api/v1/norms/import"): staff(ADMIN, json={}),
    ("GET", "/api/v1/questionnaires/{key}/item-analysis"): staff(ADMIN),
    # --- privacy, audit, webhooks (admins) ---------------------------------------------------
    ("GET", "/api/v1/candidates/{candidate_id}/export"): staff(ADMIN, "position"),
    ("GET", "/api/v1/candidates/{candidate_id}/export.pdf"): staff(ADMIN, "position"),
    ("DELETE", "/api/v1/candidates/{candidate_id}"): staff(ADMIN, "position"),
    ("GET", "/api/v1/organization"): staff(ADMIN),
    ("PATCH", "/api/v1/organization"): staff(ADMIN, json={"retention_months": 24}),
    ("GET", "/api/v1/audit"): staff(ADMIN),
    ("GET", "/api/v1/audit.csv"): staff(ADMIN),
    ("GET", "/api/v1/audit/verify"): staff(ADMIN),
    ("GET", "/api/v1/webhooks"): staff(ADMIN),
    ("PUT", "/api/v1/webhooks"): staff(ADMIN, json={"url": "https://hooks.example.com/kam"}),
    ("DELETE", "/api/v1/webhooks"): staff(ADMIN),
    # --- fairness and accountability ---------------------------------------------------------
    ("GET", "/api/v1/fairness/impact"): staff(HR),
    ("GET", "/api/v1/fairness/impact.csv"): staff(HR),
    ("GET", "/api/v1/fairness/ll144.csv"): staff(HR),
    ("GET", "/api/v1/fairness/settings"): staff(ADMIN),
    ("PATCH", "/api/v1/fairness/settings"): staff(ADMIN, json={"hide_rankings": False}),
    ("GET", "/api/v1/candidates/{candidate_id}/explanation"): staff(STAFF, "position"),
    ("GET", "/api/v1/contests"): staff(HR),
    # Only the assigned reviewer records an outcome: others get 409 (the request's state).
    ("POST", "/api/v1/contests/{contest_id}/outcome"): staff(
        HR, "organization", json={"outcome": "upheld", "note": "Checked."}
    ),
    ("GET", "/api/v1/assessments/{token}/explanation"): TOKEN,
    ("POST", "/api/v1/assessments/{token}/contest"): Rule("token", json={"reason": "Why?"}),
    ("GET", "/api/v1/assessments/{token}/self-identification"): TOKEN,
    ("PUT", "/api/v1/assessments/{token}/self-identification"): Rule(
        "token", json={"consent": True, "gender": "prefer_not"}
    ),
    ("DELETE", "/api/v1/assessments/{token}/self-identification"): Rule("token"),
    ("GET", "/a/{token}/explanation"): TOKEN,
    ("POST", "/a/{token}/contest"): Rule("token", form={"reason": "Why?"}),
    ("GET", "/contests"): staff(HR),
    ("GET", "/candidates/{candidate_id:int}/explanation"): staff(STAFF, "position"),
    ("POST", "/contests/{contest_id}"): staff(
        HR, "organization", form={"outcome": "upheld", "note": "Checked."}
    ),
    ("POST", "/api/v1/positions/{position_id}/what-if"): staff(
        HR, "position", json={"weights": {"commercial_knowledge": 0.8, "languages": 0.2}}
    ),
    ("POST", "/positions/{position_id}/what-if"): staff(HR, "position", form=POSITION_FORM),
    ("GET", "/fairness"): staff(HR),
    ("GET", "/admin/documents/{kind}"): staff(HR),
    ("GET", "/admin/documents/{kind}.pdf"): staff(HR),
    ("GET", "/admin/fairness-settings"): staff(ADMIN),
    ("POST", "/admin/fairness-settings"): staff(
        ADMIN, form={"audit_retention_months": "24", "self_identification": "gender"}
    ),
    # --- norms and item analysis pages (admins) ----------------------------------------------
    ("GET", "/admin/psychometrics"): staff(ADMIN),
    ("POST", "/admin/psychometrics/rebuild"): staff(ADMIN, form={}),
    ("GET", "/admin/psychometrics/{key}/{version}/export"): staff(ADMIN, "organization"),
    ("POST", "/admin/psychometrics/import"): staff(ADMIN, form={}),
    ("GET", "/admin/psychometrics/{key}/{version}/items"): staff(ADMIN),
    # --- candidate pages ---------------------------------------------------------------------
    ("GET", "/a/{token}"): TOKEN,
    ("GET", "/a/{token}/start"): TOKEN,
    ("POST", "/a/{token}/start"): Rule("token", form={"consent": "yes", "education": "master"}),
    ("GET", "/a/{token}/section"): TOKEN,
    ("GET", "/a/{token}/section/{section_key}"): TOKEN,
    ("POST", "/a/{token}/section/{section_key}"): Rule(
        "token", form=lambda w: {f"item-{w.item_id}": str(w.item_value)}
    ),
    ("POST", "/a/{token}/section/{section_key}/begin"): Rule("token", form={}),
    ("POST", "/a/{token}/submit"): Rule("token", form={}),
    ("GET", "/a/{token}/submit"): TOKEN,
    ("GET", "/a/{token}/done"): TOKEN,
    ("GET", "/a/{token}/about-you"): TOKEN,
    ("POST", "/a/{token}/about-you"): Rule("token", form={"action": "skip"}),
    # --- staff pages -------------------------------------------------------------------------
    ("GET", "/"): staff(STAFF),
    ("GET", "/account"): staff(STAFF),
    ("GET", "/admin/staff"): staff(ADMIN),
    ("POST", "/admin/organization/time-zone"): staff(ADMIN, form={"time_zone": "Europe/Rome"}),
    ("POST", "/admin/staff"): staff(ADMIN, form={"full_name": "Cleo Collega",
                                                 "email": "cleo@example.com", "role": "hr"}),
    ("POST", "/admin/staff/{user_id:int}/role"): staff(
        ADMIN, "organization", form={"role": "hr"}
    ),
    ("POST", "/admin/staff/{user_id:int}/active"): staff(
        ADMIN, "organization", form={"active": "yes"}
    ),
    ("POST", "/admin/staff/{user_id:int}/welcome"): staff(ADMIN, "organization", form={}),
    ("GET", "/forgot-password"): PUBLIC,
    ("POST", "/forgot-password"): Rule("public", form={"email": "nobody@example.com"}),
    ("GET", "/set-password/{link}"): PUBLIC,
    ("POST", "/set-password/{link}"): Rule(
        "public", form={"password": "x", "password_again": "y"}
    ),
    ("POST", "/account/notifications"): staff(STAFF, form={"notify_completions": "on"}),
    ("POST", "/account/password"): staff(STAFF, form={
        "current_password": PASSWORD, "new_password": "a quiet harbour at dawn",
        "new_password_again": "a quiet harbour at dawn"}),
    ("GET", "/admin/audit"): staff(ADMIN),
    ("GET", "/positions"): staff(STAFF),
    ("GET", "/positions/new"): staff(HR),
    ("POST", "/positions/new"): staff(HR, form=POSITION_FORM),
    ("GET", "/positions/{position_id}/edit"): staff(HR, "position"),
    ("POST", "/positions/{position_id}/edit"): staff(HR, "position", form=POSITION_FORM),
    ("GET", "/positions/{position_id:int}"): staff(STAFF, "position"),
    ("POST", "/positions/{position_id:int}/candidates"): staff(
        HR, "position", form={"full_name": "Nora New", "email": "nora@example.com"}
    ),
    ("GET", "/positions/{position_id:int}/invite-many"): staff(HR, "position"),
    ("POST", "/positions/{position_id:int}/invite-many"): staff(
        HR, "position", form={"text": "Nora New\tnora.bulk@example.com\tit\t0",
                              "action": "send"}
    ),
    ("GET", "/positions/{position_id:int}/pipeline.csv"): staff(STAFF, "position"),
    ("GET", "/positions/{position_id:int}/funnel"): staff(STAFF, "position"),
    ("POST", "/positions/{position_id}/status"): staff(HR, "position", form={"status": "open"}),
    ("GET", "/positions/{position_id:int}/pipeline.xlsx"): staff(STAFF, "position"),
    ("GET", "/candidates/{candidate_id:int}"): staff(STAFF, "position"),
    ("GET", "/candidates/{candidate_id:int}/report.pdf"): staff(STAFF, "position"),
    ("POST", "/candidates/{candidate_id:int}/decision"): staff(
        STAFF, "position", form={"decision": "hold", "note": "Call back."}
    ),
    ("POST", "/candidates/{candidate_id:int}/link"): staff(
        HR, "position", form={"back": "candidate"}, candidate="invited"
    ),
    ("POST", "/candidates/{candidate_id:int}/resend"): staff(
        HR, "position", form={"back": "pipeline"}, candidate="invited"
    ),
    ("POST", "/candidates/{candidate_id:int}/revoke"): staff(
        HR, "position", form={}, candidate="invited"
    ),
    ("POST", "/candidates/{candidate_id:int}/erase"): staff(
        ADMIN, "position", form={}, candidate="invited"
    ),
    ("GET", "/candidates/{candidate_id:int}/message"): staff(
        HR, "position", params={"kind": "advance"}
    ),
    ("POST", "/candidates/{candidate_id:int}/message"): staff(
        HR, "position", form={"kind": "hold", "subject": "Hello", "body": "We will write."}
    ),
    ("GET", "/admin/messages"): staff(ADMIN),
    ("POST", "/admin/messages"): staff(ADMIN, form={"advance-en-subject": "Next step"}),
    ("GET", "/candidates/{candidate_id:int}/interview"): staff(STAFF, "position"),
    ("POST", "/candidates/{candidate_id:int}/interview/assign"): staff(
        HR, "position", form=lambda w: {"interviewer_ids": str(w.user_id)}
    ),
    ("POST", "/candidates/{candidate_id:int}/interview/unassign"): staff(
        HR, "position", form={"interviewer_id": "1"}
    ),
    # Allowed callers who are not on the panel get a 409 page (only interviewers rate).
    ("POST", "/candidates/{candidate_id:int}/interview/rate"): staff(STAFF, "position", form={}),
    ("GET", "/candidates/{candidate_id:int}/interview-kit"): staff(STAFF, "position"),
    ("GET", "/candidates/{candidate_id:int}/interview-kit.pdf"): staff(STAFF, "position"),
    ("POST", "/candidates/{candidate_id:int}/outcomes"): staff(
        HR, "position", form={"months": "6"}
    ),
    ("GET", "/positions/{position_id:int}/validity"): staff(ADMIN, "position"),
    ("GET", "/admin/validity"): staff(ADMIN),
    ("GET", "/api/v1/validity"): staff(ADMIN),
    ("POST", "/positions/{position_id:int}/overall-weights"): staff(
        HR, "position", form={"interview_pct": "40"}
    ),
    ("POST", "/positions/{position_id:int}/validity/apply"): staff(
        ADMIN, "position", form={"reason": "The outcomes say so."}
    ),
    ("GET", "/positions/{position_id}/costs"): staff(STAFF, "position"),
    ("POST", "/positions/{position_id}/costs"): staff(
        STAFF, "position", form={"action": "calculate"}
    ),
    ("GET", "/positions/{position_id:int}/compare"): staff(STAFF, "position", params=PAGE_COMPARE),
    ("GET", "/positions/{position_id:int}/compare.pdf"): staff(
        STAFF, "position", params=PAGE_COMPARE
    ),
}

# Shown on the HTML documentation pages only: Swagger UI and ReDoc need inline script.
NO_CSP_PATHS = ("/docs", "/redoc")
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def app_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) the app serves; mounts count as GET of their prefix."""
    found = []
    for context in routing.iter_route_contexts(app.routes):
        original = getattr(context, "original_route", context)
        if isinstance(original, Mount):
            found.append(("GET", context.path))
            continue
        for method in sorted(getattr(context, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, context.path))
    return found


def is_api(path: str) -> bool:
    """JSON routes answer 401; pages redirect to the sign-in page."""
    return path.startswith("/api/")


def expected(rule: Rule, caller: str) -> str | int:
    """The status class ``caller`` must get from a route with ``rule``."""
    if rule.kind in ("public", "token"):
        return "ok"
    if rule.kind == "metrics":
        return 403
    if rule.kind == "signout":
        return 303
    if caller in ("anonymous", "candidate"):
        return "signin"
    role = {"manager_unassigned": "manager", "other_admin": "admin"}.get(caller, caller)
    if role not in rule.roles:
        return 403
    if caller == "other_admin" and rule.scope:
        return 404
    if caller == "manager_unassigned" and rule.scope == "position":
        return 404
    return "ok"


def callers_of(rule: Rule) -> tuple[str, ...]:
    """Everyone for staff routes; a sample where every caller must get the same answer."""
    if rule.kind == "staff":
        return CALLERS
    return ("anonymous", "candidate", "other_admin")


def _value(value: Value, world: World) -> Any:
    if callable(value):
        return value(world)
    if isinstance(value, dict):
        return {key: _value(item, world) for key, item in value.items()}
    return value


def concrete_path(path: str, rule: Rule, world: World) -> str:
    """The route's path with organization A's objects in it."""
    values = {
        "user_id": world.user_id,
        "position_id": world.position_id,
        "candidate_id": world.invited_id if rule.candidate == "invited" else world.completed_ids[0],
        "key": world.questionnaire_key,
        "version": world.questionnaire_version,
        "token": world.token,
        "item_id": world.item_id,
        "section_key": world.section_key,
        "link": world.password_link,
        "contest_id": world.contest_id,
        "kind": "instructions",
        "interviewer_id": world.user_id,
    }
    if path == "/static":
        return "/static/kam.css"
    return _PARAM.sub(lambda match: str(values[match.group(1)]), path)


def send(world: World, caller: str, method: str, path: str, rule: Rule):  # type: ignore[no-untyped-def]
    """One request as ``caller``: the API with its bearer token, pages with its browser."""
    url = concrete_path(path, rule, world)
    browser = world.browsers[caller]
    kwargs: dict[str, Any] = {"params": _value(rule.params, world), "follow_redirects": False}
    if rule.form is not None:
        kwargs["data"] = {**_value(rule.form, world), "csrf_token": world.csrf(caller)}
    elif rule.json is not None:
        kwargs["json"] = _value(rule.json, world)
    if is_api(path):
        # API calls carry the caller's bearer token only, never a browser's cookies.
        world.api.cookies.clear()
        headers = {"Accept": "application/json", **world.api_headers[caller]}
        return world.api.request(method, url, headers=headers, **kwargs)
    with kept_cookies(browser):
        return browser.request(method, url, **kwargs)


def verdict(outcome: str | int, method: str, path: str, response: Any) -> str | None:
    """None when the response matches the expected class, else what is wrong."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if outcome == "signin":
        if is_api(path):
            return None if status == 401 else f"expected 401, got {status}"
        location = response.headers.get("location", "")
        good = status == 303 and location.startswith("/login?next=")
        return None if good else f"expected a redirect to sign in, got {status} {location}"
    if isinstance(outcome, int):
        return None if status == outcome else f"expected {outcome}, got {status}"
    if status in (401, 403, 404):
        return f"allowed caller got {status}"
    if status == 303 and response.headers.get("location", "").startswith("/login"):
        return "allowed caller sent to sign in"
    if method == "GET" and status >= 400:
        return f"allowed GET got {status}"
    return None


def header_problems(path: str, response: Any) -> list[str]:
    """Security headers every response carries."""
    headers = response.headers
    problems = []
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not headers.get("referrer-policy"):
        problems.append("no Referrer-Policy")
    if headers.get("x-frame-options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    csp = headers.get("content-security-policy", "")
    if not path.startswith(NO_CSP_PATHS):
        if "frame-ancestors 'none'" not in csp:
            problems.append(f"CSP without frame-ancestors 'none': {csp!r}")
        if "unsafe-inline" in csp or "unsafe-eval" in csp:
            problems.append(f"CSP allows inline code: {csp!r}")
    return problems


def leaked_secrets(world: World, caller: str, path: str, response: Any) -> list[str]:
    """Secrets in a response body: password hashes anywhere; tokens, sessions and their
    stored hashes in API answers (pages legitimately print the candidate's own link)."""
    body = response.content
    found = []
    if b"$argon2" in body:
        found.append("a password hash")
    if not is_api(path):
        return found
    for name, secret in world.secrets.items():
        own_link = name == "candidate link" and "{token}" in path
        if not own_link and secret.encode() in body:
            found.append(name)
        if hashlib.sha256(secret.encode()).hexdigest().encode() in body:
            found.append(f"the stored hash of {name}")
    return found


@pytest.fixture
def world(session, app, client, monkeypatch) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """Organization A's data and every caller, signed in."""
    # Authorization does not depend on the rendering: skip WeasyPrint (seconds per PDF).
    monkeypatch.setattr(
        "app.documents.exports.pdf_from_html",
        lambda *args, **kwargs: b"%PDF-1.7 test",
        raising=False,
    )
    monkeypatch.setattr(
        "app.privacy.service.export_pdf", lambda *args, **kwargs: b"%PDF-1.7 test", raising=False
    )
    with open_world(session, app, client) as opened:
        yield opened


def test_every_route_has_a_rule(app):
    served = app_routes(app)
    missing = sorted(set(served) - set(RULES))
    stale = sorted(set(RULES) - set(served))
    assert not missing, (
        "routes without an authorization rule: add each to RULES in "
        f"tests/app/security/test_authorization_matrix.py with who may call it: {missing}"
    )
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_authorization_matrix(world, app, session):
    failures, leaks, headers = [], [], set()
    for method, path in app_routes(app):
        rule = RULES.get((method, path))
        if rule is None:
            continue  # test_every_route_has_a_rule names it
        for caller in callers_of(rule):
            with rolled_back(session):
                response = send(world, caller, method, path, rule)
            outcome = expected(rule, caller)
            problem = verdict(outcome, method, path, response)
            if problem:
                failures.append(f"{method} {path} as {caller}: {problem}: {response.text[:160]!r}")
            for secret in leaked_secrets(world, caller, path, response):
                leaks.append(f"{method} {path} as {caller} sends {secret}")
            for header in header_problems(path, response):
                headers.add(f"{method} {path}: {header}")
    assert not failures, "\n".join(failures)
    assert not leaks, "\n".join(leaks)
    assert not headers, "\n".join(sorted(headers))
