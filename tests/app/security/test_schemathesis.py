"""Property-based API testing from the OpenAPI schema (Schemathesis, offline, in process).

Every operation of ``/openapi.json`` gets a bounded, derandomized set of generated requests,
valid and invalid, sent as an admin with a bearer token; the candidate routes get a valid
invitation link. Each response must not be a server error, must have a documented status
code and content type, and a JSON body that matches the documented schema. Every request is
rolled back, so one example (a revoked token, an erased candidate) never spoils the next.

Schemathesis' own pytest integration (``from_fixture``) does not run under pytest 9, so the
operations are driven here with Hypothesis directly, one ``@given`` per operation, in one
test that shares one set of test data.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.security.world import World, open_world, rolled_back

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation, valid and invalid together: enough to find the shapes a handler
# cannot take, small enough for CI (about 60 operations, twice: SQLite and PostgreSQL).
MAX_EXAMPLES = 15
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the failure message is enough
    suppress_health_check=list(HealthCheck),
)
_PARAM = re.compile(r"\{(\w+)\}")


def _real_parameters(world: World, path: str) -> dict[str, Any]:
    """Organization A's objects for the path's parameters, so handlers run past lookups."""
    real = {
        "token": world.token,
        "position_id": world.position_id,
        "candidate_id": world.completed_ids[0],
        "user_id": world.user_id,
        "key": world.questionnaire_key,
        "version": world.questionnaire_version,
        "item_id": world.item_id,
        "section_key": world.section_key,
    }
    return {name: real[name] for name in _PARAM.findall(path) if name in real}


def _strategy(operation: Any, world: World) -> st.SearchStrategy:
    """Valid and invalid requests; path parameters real, or generated (404 paths) too."""
    real = _real_parameters(world, operation.path)
    strategies = [
        operation.as_strategy(mode, path_parameters=real or None)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    if real and "token" not in real:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE))
    return st.one_of(*strategies)


def _run(operation: Any, world: World, session: Any, client: Any) -> None:
    headers = {} if "{token}" in operation.path else dict(world.api_headers["admin"])

    @SETTINGS
    @given(case=_strategy(operation, world))
    def check(case: Any) -> None:
        with rolled_back(session):
            response = case.call(session=client, headers=headers)
        case.validate_response(response, checks=CHECKS)

    check()


def test_api_matches_its_schema(session, app, client, monkeypatch):
    monkeypatch.setattr(
        "app.privacy.service.export_pdf", lambda *args, **kwargs: b"%PDF-1.7 test", raising=False
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, operations = [], 0
    with open_world(session, app, client) as world, asgi.get_client(app) as asgi_client:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            try:
                _run(operation, world, session, asgi_client)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation's failures
                failures.append(f"--- {operation.method.upper()} {operation.path}\n{exc}")
    assert operations >= 40
    assert not failures, "\n".join(failures)
