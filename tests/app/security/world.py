"""One organization with every kind of caller, a position and candidates in each state, and
another organization: the data the security tests aim their requests at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.auth.security import csrf_for
from app.bank import service as bank_service
from app.core.config import get_settings
from tests.app.reports.scenario import complete, import_norms, make_team, synthetic_norms
from tests.factories import SCREENING, auth_headers, invite_candidate, login_browser

#: Who calls, from the least to the most privileged, then another organization's admin.
CALLERS = (
    "anonymous",
    "candidate",
    "manager_unassigned",
    "manager",
    "hr",
    "admin",
    "other_admin",
)


@dataclass
class World:
    """Ids, secrets and a browser and API identity per caller."""

    position_id: int
    user_id: int
    completed_ids: list[int]
    invited_id: int
    token: str  # a started attempt's link (the resource of the candidate routes)
    other_token: str  # another attempt's link: what the "candidate" caller holds
    item_id: str
    item_value: Any
    section_key: str
    questionnaire_key: str
    questionnaire_version: int
    hr_email: str
    api: TestClient
    password_link: str = ""  # a colleague's unused set-password link
    api_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    browsers: dict[str, TestClient] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    contest_id: int = 0  # a review request on the first completed candidate's decision

    def csrf(self, caller: str) -> str:
        """The form token of this caller's browser (signed double submit)."""
        cookie = self.browsers[caller].cookies.get("kam_csrf")
        assert cookie, f"{caller} has no CSRF cookie"
        return csrf_for(get_settings().secret_key, cookie)


def _first_item(session: Session, token: str) -> tuple[str, Any, str]:
    """The first item of the current section, a valid answer to it, and the section key."""
    ctx = assessment_service.resolve(session, token=token)
    state = assessment_service.state(session, ctx=ctx, language="en")
    section = state["current_section"]
    item = section["items"][0]
    if item.get("options"):
        value: Any = item["options"][0]["id"]
    elif item.get("scale"):
        value = item["scale"]["min"]
    else:
        value = 1
    return item["id"], value, section["key"]


@contextmanager
def open_world(session: Session, app: FastAPI, client: TestClient) -> Iterator[World]:
    """Create the organizations and sign every caller in (API token and browser session).

    Each browser is a started TestClient: one event loop for all its requests, not one each.
    """
    with ExitStack() as stack:
        yield build_world(session, app, client, stack)


def build_world(session: Session, app: FastAPI, client: TestClient, stack: ExitStack) -> World:
    """The world, its clients entered on ``stack``."""
    team = make_team(session)
    position = team.position
    completed = [
        complete(session, position=position, actor=team.hr, ability=ability, seed=seed)[0]
        for seed, ability in ((1, 0.7), (2, 0.4))
    ]
    invited, _invited_token = invite_candidate(session, position=position, actor=team.hr)
    started = []
    for _ in range(2):
        _candidate, token = invite_candidate(session, position=position, actor=team.hr)
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.start(
            session,
            ctx=ctx,
            data=StartRequest(consent=True, language="en", screening=SCREENING),
            ip="127.0.0.1",
            user_agent="pytest",
        )
        started.append(token)
    item_id, item_value, section_key = _first_item(session, started[0])
    # A norm table of organization A, for the routes that export one.
    import_norms(
        session,
        organization_id=team.admin.organization_id,
        tables=synthetic_norms(session, keys=["english"], n=120),
    )
    row = bank_service.get_row(session, key="english", version=1)  # the synthetic table's
    # A decision by the manager, contested: the reviewer is an admin or hr member.
    from app.candidates import decisions as decision_service
    from app.explanations import service as explanation_service

    decision_service.record(session, candidate=completed[0], decision="hold", note="",
                            actor=team.manager)
    contest = explanation_service.open_contest(session, candidate=completed[0], reason="Why?")
    users = {
        "manager_unassigned": team.other_manager,
        "manager": team.manager,
        "hr": team.hr,
        "admin": team.admin,
        "other_admin": team.outsider,
    }
    from app.auth import links

    password_link = links.issue(session, user=team.other_manager, purpose="welcome")
    session.commit()
    world = World(
        position_id=position.id,
        user_id=team.hr.id,
        completed_ids=[c.id for c in completed],
        invited_id=invited.id,
        token=started[0],
        other_token=started[1],
        item_id=item_id,
        item_value=item_value,
        section_key=section_key,
        questionnaire_key=row.key,
        questionnaire_version=row.version,
        hr_email=team.hr.email,
        api=stack.enter_context(TestClient(app)),
        password_link=password_link,
        contest_id=contest.id,
    )
    world.api_headers["anonymous"] = {}
    world.api_headers["candidate"] = {"Authorization": f"Bearer {started[1]}"}
    for caller in CALLERS:
        browser = stack.enter_context(TestClient(app))
        browser.headers["Accept"] = "text/html"
        browser.get("/login")  # the CSRF cookie
        world.browsers[caller] = browser
        if caller in users:
            world.api_headers[caller] = auth_headers(client, users[caller])
            login_browser(browser, users[caller])
            world.secrets[f"{caller} bearer"] = world.api_headers[caller]["Authorization"][7:]
            world.secrets[f"{caller} session"] = browser.cookies.get("kam_session")
    # The candidate caller's browser presents its link as if it were a staff session.
    world.browsers["candidate"].cookies.set("kam_session", started[1])
    world.secrets["candidate link"] = started[0]
    world.secrets["other candidate link"] = started[1]
    return world


@contextmanager
def rolled_back(session: Session) -> Iterator[None]:
    """Undo whatever one request did (a savepoint around it), so every call sees the world as
    it was built: a revoked link or an erased candidate cannot spoil the next caller's call."""
    session.commit()  # release the test session's own savepoint; the outer transaction stays
    savepoint = session.get_bind().begin_nested()
    try:
        yield
    finally:
        session.rollback()
        savepoint.rollback()
        session.expire_all()


@contextmanager
def kept_cookies(browser: TestClient) -> Iterator[None]:
    """Put the browser's cookies back afterwards (a rolled-back sign-in or sign-out changes
    them; the rollback cannot)."""
    saved = list(browser.cookies.jar)
    try:
        yield
    finally:
        browser.cookies.clear()
        for cookie in saved:
            browser.cookies.jar.set_cookie(cookie)
