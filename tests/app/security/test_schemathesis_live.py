"""Property-based requests to a real server (uvicorn on 127.0.0.1, real commits): no input
gives a 5xx or a reset connection.

Where ``test_schemathesis.py`` checks every answer against the schema in process, this test
speaks HTTP to a running server, as an attacker would: an exception that escapes the app
there resets the connection instead of failing a test. Every operation of ``/openapi.json``
gets a bounded, derandomized set of generated requests, valid and invalid, as an admin with a
bearer token (the candidate routes with a started attempt's link), and each request is also
sent once more with every integer in its path, query and JSON body pushed past 64 bits.
Data is committed and not rolled back: a request may see what an earlier one changed, as on
a real server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from tests.app.reports.scenario import complete, make_team
from tests.factories import PASSWORD, SCREENING, invite_candidate
from tests.live_server import running_server

MAX_EXAMPLES = 10
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
PAST_64_BITS = 2**64
_PARAM = re.compile(r"\{(\w+)\}")


@pytest.fixture
def served(fresh_database) -> Iterator[dict[str, Any]]:
    """A server on a committed database: an organization with a position, a completed and a
    started candidate, and an admin's bearer token."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        team = make_team(session)
        completed, _attempt = complete(session, position=team.position, actor=team.hr)
        _candidate, token = invite_candidate(session, position=team.position, actor=team.hr)
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.start(session, ctx=ctx, ip="127.0.0.1", user_agent="pytest",
                                 data=StartRequest(consent=True, screening=SCREENING))
        real = {"token": token, "position_id": team.position.id, "candidate_id": completed.id,
                "user_id": team.hr.id, "key": "english", "version": 1,
                "section_key": ctx.attempt and "english", "item_id": None}
        admin_email = team.admin.email
    with running_server() as base_url:
        yield {"base_url": base_url, "real": real, "admin_email": admin_email}


def _admin_headers(served: dict[str, Any], http: requests.Session) -> dict[str, str]:
    """A fresh bearer token: an earlier operation may have revoked the last one (logout)."""
    issued = requests.post(f"{served['base_url']}/api/v1/auth/token", timeout=10,
                       data={"username": served["admin_email"], "password": PASSWORD})
    assert issued.status_code == 200, issued.text
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}


def _past_64_bits(value: Any) -> Any:
    """``value`` with every integer in it replaced by 2**64 (booleans stay)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return PAST_64_BITS
    if isinstance(value, dict):
        return {key: _past_64_bits(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_past_64_bits(item) for item in value]
    return value


def _integer_params(operation: Any) -> dict[str, set[str]]:
    """Names of the integer path and query parameters of an operation."""
    found: dict[str, set[str]] = {"path": set(), "query": set()}
    for parameter in operation.definition.raw.get("parameters", []):
        schema = parameter.get("schema", {})
        kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
        if "integer" in kinds and parameter.get("in") in found:
            found[parameter["in"]].add(parameter["name"])
    return found


def _send_pushed(
    case: Any, integers: dict[str, set[str]], base_url: str, http: requests.Session,
    headers: dict[str, str],
) -> requests.Response | None:
    """Send the same request with its integers past 64 bits (None: it has none)."""
    body = case.body if isinstance(case.body, dict | list) else None
    pushed_body = None if body is None else _past_64_bits(body)
    if not integers["path"] and not integers["query"] and pushed_body == body:
        return None
    values = {name: (PAST_64_BITS if name in integers["path"] else value)
              for name, value in (case.path_parameters or {}).items()}
    path = _PARAM.sub(lambda m: quote(str(values.get(m.group(1), "")), safe=""), case.path)
    query = {**(case.query or {}), **dict.fromkeys(integers["query"], PAST_64_BITS)}
    return http.request(case.method, base_url + path, params=query, json=pushed_body,
                        headers={**headers, **(case.headers or {})}, timeout=30)


def _run(operation: Any, served: dict[str, Any], http: requests.Session) -> list[str]:
    real = {name: value for name, value in served["real"].items() if value is not None}
    path_values = {name: real[name] for name in _PARAM.findall(operation.path) if name in real}
    strategies = [operation.as_strategy(mode, path_parameters=path_values or None)
                  for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    headers = {} if "{token}" in operation.path else _admin_headers(served, http)
    integers = _integer_params(operation)
    problems: list[str] = []

    def note(label: str, send: Any) -> None:
        try:
            response = send()
        except requests.RequestException as exc:  # a reset, a truncated answer
            problems.append(f"{label}: no answer ({exc!r})")
            return
        if response is not None and response.status_code >= 500:
            problems.append(f"{label}: {response.status_code} {response.text[:300]}")

    @SETTINGS
    @given(case=st.one_of(*strategies))
    def check(case: Any) -> None:
        label = (f"{case.method} {case.formatted_path} query={case.query} "
                 f"body={str(case.body)[:200]}")
        note(label, lambda: case.call(base_url=served["base_url"], session=http,
                                      headers=headers, timeout=30))
        note(f"{label} (integers past 64 bits)", lambda: _send_pushed(
            case, integers, served["base_url"], http, headers))

    check()
    return problems


def test_no_request_gets_a_server_error_or_a_reset_connection(served):
    schema = schemathesis.openapi.from_url(f"{served['base_url']}/openapi.json")
    problems: list[str] = []
    operations = 0
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            problems += _run(operation, served, http)
    assert operations >= 40
    assert not problems, "\n".join(problems[:40])
