"""Taking an assessment: start, timed sections, idempotent answers, submit exactly once.

Time lives in the database. Each section opens with an intro screen; its clock starts when
the candidate presses "Begin" (or first receives its questions through the API, or first
saves an answer), and at the latest :func:`section_break` (5 minutes) after the previous
section ended (or after consent, for the first one). So a candidate gets a breather between
sections, can never bank time (the wait is capped and never added to a section), and an
abandoned attempt has a known end. A section is *in its intro* while it is active and
``started_at`` is still in the future. Nothing is advanced by a clock
in the browser or a timer in the server: every access first catches the attempt up with the
current time (``catch_up``), and the worker does the same for attempts nobody opens again.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, case, func, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from app.assessments.battery import (
    Battery,
    candidate_section,
    draw_forms,
    form_size,
    practice_views,
)
from app.assessments.models import Answer, Attempt, AttemptSection, ItemExposure
from app.assessments.schemas import StartRequest
from app.auth.security import token_hash
from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import pk, table_of
from app.core.errors import N_, Conflict, Gone, Invalid, NotFound
from app.positions.models import Position
from questionnaires.schema import (
    ChoiceItem,
    Item,
    LikertItem,
    NumericItem,
    Section,
    SjtItem,
    is_answered,
)

GRACE = timedelta(seconds=60)
#: The longest wait before a section's clock starts by itself (its intro screen).


def section_break() -> timedelta:
    """The longest wait between sections (``KAM_SECTION_BREAK_SECONDS``, default 5 minutes)."""
    return timedelta(seconds=get_settings().section_break_seconds)
# After the candidate ends the last section early, the attempt waits this long for the
# explicit submit (the page shows a summary first) before it is finalized anyway.
SUBMIT_WINDOW = timedelta(minutes=15)
MAX_TRACKED_ADDRESSES = 10
SUBMITTED = N_("The assessment has been submitted; answers can no longer be changed.")


@dataclass
class Context:
    """Everything a candidate request is about."""

    invitation: Invitation
    candidate: Candidate
    attempt: Attempt | None


def resolve(session: Session, *, token: str) -> Context:
    """The invitation, candidate and attempt behind a token (404 unknown, 410 withdrawn)."""
    # The hot path of every candidate request: one prebuilt statement for all three rows.
    row = session.exec(_by_token_statement(), params={"token_hash": token_hash(token)}).first()
    if row is None or row[0].revoked_at is not None or row[1].erased_at is not None:
        # The candidates service owns the refusals (and their wording): it raises here.
        invitation, candidate = candidate_service.by_token(session, token=token)
        attempt = session.exec(
            select(Attempt).where(Attempt.invitation_id == invitation.id)
        ).first()
    else:
        invitation, candidate, attempt = row
    if attempt is None and candidate_service.is_expired(invitation):
        raise Gone(N_(
            "This assessment link has expired. Ask the company that invited you for a new one."
        ))
    return Context(invitation, candidate, attempt)


# Statements of the candidate's hot paths, built once: building a select and computing its
# cache key costs more than running it on SQLite.
_statements: dict[str, Any] = {}


def _by_token_statement() -> Any:
    if "by_token" not in _statements:
        _statements["by_token"] = (
            select(Invitation, Candidate, Attempt)
            .join(Candidate, col(Candidate.id) == Invitation.candidate_id)
            .outerjoin(Attempt, col(Attempt.invitation_id) == Invitation.id)
            .where(Invitation.token_hash == bindparam("token_hash"))
            # A session that read these rows before another transaction changed them (the
            # request that finalizes an overdue attempt) must see the new values.
            .execution_options(populate_existing=True)
        )
    return _statements["by_token"]


def sections_of(session: Session, attempt: Attempt) -> list[AttemptSection]:
    """The attempt's sections in the order they are taken."""
    if "sections" not in _statements:
        _statements["sections"] = (
            select(AttemptSection)
            .where(AttemptSection.attempt_id == bindparam("attempt_id"))
            .order_by(col(AttemptSection.position))
            .execution_options(populate_existing=True)
        )
    return list(session.exec(_statements["sections"], params={"attempt_id": attempt.id}))


def _scaled(seconds: int, extra_time_pct: int) -> int:
    return math.ceil(seconds * (1 + extra_time_pct / 100))


# --- start -------------------------------------------------------------------------------


def start(
    session: Session,
    *,
    ctx: Context,
    data: StartRequest,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> Attempt:
    """Record consent and screening and start the first section; a repeat start is a no-op."""
    if ctx.attempt is not None:
        return ctx.attempt
    if not data.consent:
        raise Invalid(N_("the assessment can only start after you give your consent"),
                      field="consent")
    now = now or utcnow()
    from app.bank import service as bank_service

    position = session.get_one(Position, ctx.candidate.position_id)
    pinned = position.questionnaire_versions or {}
    versions = {
        key: pinned.get(key) or bank_service.get_row(session, key=key).version
        for key in position.questionnaires
    }
    seed = secrets.randbits(31)
    battery = Battery.load(session, versions)
    forms = draw_forms(battery, seed=seed, hurdle=position.hurdle_level)
    attempt = Attempt(
        organization_id=ctx.candidate.organization_id,
        candidate_id=pk(ctx.candidate),
        invitation_id=pk(ctx.invitation),
        language=data.language or ctx.candidate.language,
        consent_at=now,
        screening=data.screening.model_dump(mode="json"),
        questionnaire_versions=versions,
        forms=forms,
        order_seed=seed,
        started_at=now,
        first_ip=ip,
        first_user_agent=_agent(user_agent),
        integrity={"focus_losses": 0, "paste_attempts": 0, "ip_changes": 0, "ua_changes": 0},
    )
    session.add(attempt)
    session.flush()
    _count_exposures(session, organization_id=attempt.organization_id, versions=versions,
                     battery=battery, forms=forms)
    index = 0
    for questionnaire_key, version in versions.items():
        for section in battery.questionnaires[questionnaire_key].sections:
            limit = _scaled(section.time_limit_s, ctx.candidate.extra_time_pct)
            session.add(
                AttemptSection(
                    attempt_id=pk(attempt),
                    questionnaire_key=questionnaire_key,
                    questionnaire_version=version,
                    section_key=section.key,
                    position=index,
                    time_limit_s=limit,
                    status="active" if index == 0 else "pending",
                    started_at=now + section_break() if index == 0 else None,
                    deadline_at=(now + section_break() + timedelta(seconds=limit)
                                 if index == 0 else None),
                )
            )
            index += 1
    ctx.invitation.used_at = now
    ctx.candidate.status = "in_progress"
    session.add_all([ctx.invitation, ctx.candidate])
    session.flush()
    ctx.attempt = attempt
    return attempt


def _count_exposures(
    session: Session, *, organization_id: int, versions: dict[str, int], battery: Battery,
    forms: dict[str, list[str]],
) -> None:
    """One more exposure for every item on the new attempt's forms (item analysis shows them)."""
    rows = [
        {"organization_id": organization_id, "questionnaire_key": key,
         "questionnaire_version": versions[key], "item_id": item_id}
        for section_key, item_ids in forms.items()
        for key in [battery.sections[section_key][0]]
        for item_id in item_ids
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = table_of(ItemExposure)
    statement = insert(table).values(exposures=1)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "questionnaire_key", "questionnaire_version",
                            "item_id"],
            set_={"exposures": table.c.exposures + 1},
        ),
        rows,
    )


# --- time --------------------------------------------------------------------------------


def _known(value: datetime | None) -> datetime:
    """A time a section has once it opens (``started_at``, ``deadline_at``) or ends
    (``completed_at``): the columns allow None for the sections still waiting."""
    if value is None:
        raise RuntimeError("a section that opened has its times")
    return value


def _needs_catch_up(sections: list[AttemptSection], now: datetime) -> bool:
    return any(s.status == "active" and _known(s.deadline_at) <= now for s in sections)


def catch_up(session: Session, attempt: Attempt, now: datetime) -> list[AttemptSection]:
    """End every section whose time is up and start the next one at that instant."""
    sections = sections_of(session, attempt)
    if attempt.status != "in_progress" or not _needs_catch_up(sections, now):
        return sections
    _lock(session, attempt)
    sections = sections_of(session, attempt)  # re-read under the lock
    for index, section in enumerate(sections):
        if section.status != "active" or _known(section.deadline_at) > now:
            continue
        section.status = "completed"
        section.completed_at = section.deadline_at
        session.add(section)
        _activate_next(session, sections, index, at=_known(section.deadline_at), now=now)
    session.flush()
    return sections


def _activate_next(
    session: Session, sections: list[AttemptSection], index: int, *, at: datetime,
    now: datetime,
) -> None:
    """Open the section after ``index`` (the previous one ended at ``at``): its clock starts
    at the latest one break later; it may itself already be over by ``now``."""
    while index + 1 < len(sections):
        index += 1
        following = sections[index]
        if following.status != "pending":
            return
        following.status = "active"
        following.started_at = at + section_break()
        following.deadline_at = following.started_at + timedelta(seconds=following.time_limit_s)
        session.add(following)
        if following.deadline_at > now:
            return
        following.status = "completed"
        following.completed_at = following.deadline_at
        at = following.deadline_at


def in_intro(section: AttemptSection, now: datetime) -> bool:
    """An open section whose clock has not started yet (its intro screen shows)."""
    return section.status == "active" and section.started_at is not None and now < _aware(
        section.started_at)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _begin_row(session: Session, section: AttemptSection, now: datetime) -> bool:
    """Start the section's clock now, if it is in its intro; True when it did (conditional,
    so two tabs pressing "Begin" start it once)."""
    if not in_intro(section, now):
        return False
    changed = session.exec(
        update(AttemptSection)
        .where(col(AttemptSection.id) == section.id, col(AttemptSection.status) == "active",
               col(AttemptSection.started_at) > now)
        .values(started_at=now, deadline_at=now + timedelta(seconds=section.time_limit_s))
    ).rowcount
    session.refresh(section)
    return changed == 1


def begin_section(
    session: Session, *, ctx: Context, section_key: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Start the clock of the open section (the named one, or whichever is open) now; True
    when it started now, False when it was running already or is not open."""
    attempt = require_running(ctx)
    now = now or utcnow()
    if attempt.status != "in_progress":
        return False
    sections = catch_up(session, attempt, now)
    for section in sections:
        if section.status == "active" and section_key in (None, section.section_key):
            begun = _begin_row(session, section, now)
            session.flush()
            return begun
    return False


def current_in_intro(session: Session, *, ctx: Context, now: datetime | None = None) -> bool:
    """Whether the attempt's open section is still in its intro (a read)."""
    if ctx.attempt is None or ctx.attempt.status != "in_progress":
        return False
    now = now or utcnow()
    return any(in_intro(s, now) for s in sections_of(session, ctx.attempt))


def _lock(session: Session, attempt: Attempt) -> None:
    """Serialize changes to one attempt (PostgreSQL row lock; SQLite writers already queue)."""
    session.exec(select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())


def _status_under_share_lock(session: Session, attempt: Attempt) -> str:
    """The attempt's status, read under a shared row lock (PostgreSQL; SQLite writers queue).

    Saves take this lock and submit's conditional UPDATE takes the exclusive one, so the two
    serialize on the attempt row: a save that got in first is committed before submit reads
    the answers, and one that comes after waits for the submit and then sees it (a 409).
    Without it, under READ COMMITTED a save could check "in progress", write, and answer 200
    after the submit had already scored from a snapshot that missed it.
    """
    return session.exec(
        select(Attempt.status).where(Attempt.id == attempt.id).with_for_update(read=True)
    ).one()


def final_deadline(sections: list[AttemptSection]) -> datetime | None:
    """When the last section ends if nobody ends it early (None until all are scheduled)."""
    ends = [s.completed_at or s.deadline_at for s in sections]
    known = [end for end in ends if end is not None]
    return max(known) if len(known) == len(ends) else None


def all_sections_over(sections: list[AttemptSection]) -> bool:
    """True when no section is still running or waiting."""
    return all(s.status == "completed" for s in sections)


def is_overdue(sections: list[AttemptSection], now: datetime) -> bool:
    """Every section over, and the late-save grace (time ran out) or the window for the
    explicit submit (the candidate ended the last section early) has passed too."""
    if not all_sections_over(sections):
        return False
    last = max(sections, key=lambda s: _known(s.completed_at))
    timed_out = last.completed_at == last.deadline_at
    return now > _known(last.completed_at) + (GRACE if timed_out else SUBMIT_WINDOW)


# --- answers -----------------------------------------------------------------------------


def check_value(item: Item, section: Section, value: Any) -> Any:
    """The value in its stored form, or 422 naming the item and what it accepts.

    A best/worst SJT takes ``{"best": option id, "worst": option id}``; either may be null
    while the candidate has chosen only one (saved, so nothing is lost, but the item counts
    as answered only with both: ``questionnaires.schema.is_answered``).
    """
    if isinstance(item, SjtItem) and item.best_worst:
        return _best_worst_value(item, value)
    if isinstance(item, ChoiceItem):
        ids = [option.id for option in item.options]
        if not isinstance(value, str) or value not in ids:
            raise Invalid(N_("item %(item)s accepts one of the option ids %(ids)s"),
                          params={"item": item.id, "ids": ", ".join(ids)})
        return value
    if isinstance(item, LikertItem):
        low, high = (section.scale.min, section.scale.max) if section.scale else (1, 5)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(N_("item %(item)s accepts an integer from %(low)s to %(high)s"),
                          params={"item": item.id, "low": low, "high": high})
        return value
    if isinstance(item, NumericItem):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value
        ) or abs(value) > 1e12:
            raise Invalid(N_("item %(item)s accepts a number (use a decimal point, e.g. 12.5)"),
                          params={"item": item.id})
        return value
    raise Invalid(N_("item %(item)s cannot be answered"),  # pragma: no cover - exhaustive types
                  params={"item": item.id})


def _best_worst_value(item: SjtItem, value: Any) -> dict[str, str | None]:
    ids = [option.id for option in item.options]
    if not isinstance(value, dict) or not set(value) <= {"best", "worst"} or not value:
        raise Invalid(N_(
            'item %(item)s accepts {"best": option id, "worst": option id} with two '
            "different options among %(ids)s (null for one not chosen yet)"
        ), params={"item": item.id, "ids": ", ".join(ids)})
    best, worst = value.get("best"), value.get("worst")
    for name, choice in (("best", best), ("worst", worst)):
        if choice is not None and (not isinstance(choice, str) or choice not in ids):
            raise Invalid(N_("item %(item)s: %(name)s must be one of the option ids %(ids)s"),
                          params={"item": item.id, "name": name, "ids": ", ".join(ids)})
    if best is None and worst is None:
        raise Invalid(N_("item %(item)s: choose the most or the least effective option"),
                      params={"item": item.id})
    if best == worst:
        raise Invalid(
            N_("item %(item)s: the most and the least effective option must be different"),
            params={"item": item.id})
    return {"best": best, "worst": worst}


def _writable_section(
    section_row: AttemptSection | None, item_id: str, now: datetime
) -> AttemptSection:
    if section_row is None:
        raise NotFound(N_("Item %(item)s is not part of this assessment."),
                       params={"item": item_id})
    if section_row.status == "pending":
        raise Conflict(N_("The section of item %(item)s has not started yet."),
                       params={"item": item_id})
    if section_row.status == "completed":
        ended_by_time = section_row.completed_at == section_row.deadline_at
        if not ended_by_time or now > _known(section_row.deadline_at) + GRACE:
            raise Conflict(
                N_("The section of item %(item)s is closed; answers can no longer be changed."),
                params={"item": item_id})
    return section_row


def save_answer(
    session: Session,
    *,
    ctx: Context,
    item_id: str,
    value: Any,
    elapsed_ms: int | None,
    ip: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Save (or clear, with None) one answer; committed by the caller before it answers 2xx."""
    attempt = require_running(ctx)
    now = now or utcnow()
    section, item = _item_of(session, attempt, item_id)
    sections = catch_up(session, attempt, now)
    section_row = _writable_section(
        next((s for s in sections if s.section_key == section.key), None), item_id, now
    )
    _begin_row(session, section_row, now)  # an answer during the intro starts the clock
    if _status_under_share_lock(session, attempt) != "in_progress":
        raise Conflict(SUBMITTED)
    _note_client(session, attempt, ip=ip, user_agent=user_agent)
    if value is None:
        session.exec(
            delete(Answer).where(col(Answer.attempt_id) == attempt.id,
                                 col(Answer.item_id) == item_id)
        )
    else:
        _upsert(session, attempt_id=pk(attempt), item_id=item_id,
                value=check_value(item, section, value), elapsed_ms=elapsed_ms, now=now)
    session.flush()
    return {"item_id": item_id, "saved": True, "value": value, "saved_at": now,
            "section": {"key": section_row.section_key,
                        "remaining_s": _remaining(section_row, now)}}


def _item_of(session: Session, attempt: Attempt, item_id: str) -> tuple[Section, Item]:
    """The item of the attempt's battery and its section, or 404 (an item of a pool that is
    not on the candidate's form is not part of the assessment either)."""
    found = Battery.load(session, attempt.questionnaire_versions).find(item_id, attempt.forms)
    if found is None:
        raise NotFound(N_("Item %(item)s is not part of this assessment."),
                       params={"item": item_id})
    return found


def refuse_save(
    session: Session, *, ctx: Context, item_id: str, value: Any, now: datetime | None = None
) -> None:
    """Raise the error ``save_answer`` would end in, when a read can already tell.

    The same checks in the same order, on the stored rows without catching up with the
    clock (catching up writes; it never reopens a closed section): an attempt not started
    or submitted, an unknown item, a section that is closed, a value the item cannot take.
    A save that passes may still be refused by ``save_answer``, under the write lock.
    """
    attempt = require_running(ctx)
    now = now or utcnow()
    section, item = _item_of(session, attempt, item_id)
    row = next((s for s in sections_of(session, attempt) if s.section_key == section.key), None)
    if row is None or row.status == "completed":
        _writable_section(row, item_id, now)
    if attempt.status != "in_progress":
        raise Conflict(SUBMITTED)
    if value is not None:
        check_value(item, section, value)


def save_answer_quickly(
    read: Session,
    write: Session,
    *,
    token: str,
    item_id: str,
    value: Any,
    elapsed_ms: int | None,
    ip: str | None,
    user_agent: str | None,
) -> dict[str, Any] | None:
    """The common autosave in one guarded statement; None when the full path must decide.

    Everything that can be checked before writing is read in ``read``, in one narrow Core
    query (``_running_section_statement``): the token of a running attempt, its running
    section (the item's, with time left), nothing new to note about the client. On
    SQLite ``read`` is a read-only session, so the write lock is then held only for one
    ``INSERT ... SELECT ... WHERE <section still active and attempt still running>`` upsert
    in ``write`` (the state may have moved on in between; the statement sees the committed
    state and writes nothing then). Any other case (a section not started or over, time up,
    clearing an answer, a new address, a statement that wrote nothing) returns None, and
    ``save_answer`` decides with the same rules as ever, errors included. The caller
    commits ``write``.
    """
    now = utcnow()
    found = running = None
    if value is not None:
        running = read.connection().execute(
            _running_section_statement(), {"token_hash": token_hash(token)}
        ).first()
        if running is not None:
            found = Battery.load(read, running.questionnaire_versions).find(
                item_id, running.forms
            )
    if read is not write:
        read.commit()
    if (
        found is None or running is None or found[0].key != running.section_key
        or running.deadline_at <= now or _aware(running.started_at) > now
        or _new_client(running, ip=ip, user_agent=user_agent)
    ):
        return None
    section, item = found
    stored = check_value(item, section, value)
    written = write.connection().execute(
        _guarded_upsert_statement(write.get_bind().dialect.name),
        {"attempt_id": running.attempt_id, "item_id": item_id, "value": {"v": stored},
         "elapsed_ms": elapsed_ms, "saved_at": now, "section_id": running.section_id,
         "now": now},
    )
    if written.first() is None:
        return None
    return {"item_id": item_id, "saved": True, "value": value, "saved_at": now,
            "section": {"key": running.section_key, "remaining_s": _remaining(running, now)}}


def _upsert(
    session: Session, *, attempt_id: int, item_id: str, value: Any, elapsed_ms: int | None,
    now: datetime,
) -> None:
    """One statement, safe under concurrency: insert, or update the existing answer."""
    statement = _upsert_statement(session.get_bind().dialect.name)
    # Core, not the ORM's bulk-insert machinery: the same SQL at a third of the cost.
    session.connection().execute(statement, {
        "attempt_id": attempt_id, "item_id": item_id, "value": {"v": value},
        "elapsed_ms": elapsed_ms, "changes": 0, "saved_at": now,
    })


_upserts: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    """The answer upsert, built once per dialect (the hot path of every autosave)."""
    if dialect not in _upserts:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _upserts[dialect] = _on_answer_conflict(insert(Answer))
    return _upserts[dialect]


def _on_answer_conflict(statement: Any) -> Any:
    """``statement`` (an INSERT into answer) updating the existing answer of the item instead:
    new value and time, elapsed time kept when none is sent, one more change counted."""
    answer = table_of(Answer)
    return statement.on_conflict_do_update(
        index_elements=["attempt_id", "item_id"],
        set_={
            "value": statement.excluded.value,
            "elapsed_ms": func.coalesce(statement.excluded.elapsed_ms, answer.c.elapsed_ms),
            "changes": answer.c.changes + 1,
            "saved_at": statement.excluded.saved_at,
        },
    )


def _running_section_statement() -> Any:
    """A valid token's running attempt and its one active section, in the columns the quick
    save needs (no ORM objects: building them cost more than the query on SQLite)."""
    if "running" not in _statements:
        invitation, candidate = table_of(Invitation), table_of(Candidate)
        attempt, section = table_of(Attempt), table_of(AttemptSection)
        _statements["running"] = (
            # Ignored: SQLModel's select() is typed for at most four columns.
            select(  # type: ignore[call-overload]
                attempt.c.id.label("attempt_id"), attempt.c.questionnaire_versions,
                attempt.c.forms, attempt.c.integrity, attempt.c.first_ip,
                attempt.c.first_user_agent,
                section.c.id.label("section_id"), section.c.section_key, section.c.status,
                section.c.deadline_at, section.c.started_at, section.c.time_limit_s,
            )
            .select_from(invitation)
            .join(candidate, candidate.c.id == invitation.c.candidate_id)
            .join(attempt, attempt.c.invitation_id == invitation.c.id)
            .join(section, section.c.attempt_id == attempt.c.id)
            .where(invitation.c.token_hash == bindparam("token_hash"),
                   invitation.c.revoked_at.is_(None), candidate.c.erased_at.is_(None),
                   attempt.c.status == "in_progress", section.c.status == "active")
        )
    return _statements["running"]


def _guarded_upsert_statement(dialect: str) -> Any:
    """The answer upsert that writes only while its section runs and the attempt is open."""
    key = f"guarded-{dialect}"
    if key not in _upserts:
        answer, section, attempt = table_of(Answer), table_of(AttemptSection), table_of(Attempt)
        # FOR SHARE OF attempt (PostgreSQL; SQLite has no row locks and needs none): the
        # save and submit serialize on the attempt row, see _status_under_share_lock.
        still_open = (
            select(section.c.id)
            .where(section.c.id == bindparam("section_id"), section.c.status == "active",
                   section.c.deadline_at > bindparam("now", type_=section.c.deadline_at.type),
                   attempt.c.id == section.c.attempt_id, attempt.c.status == "in_progress")
            .with_for_update(read=True, of=attempt)
            .exists()
        )
        columns = ["attempt_id", "item_id", "value", "elapsed_ms", "changes", "saved_at"]
        # Ignored: SQLModel's select() is typed for at most four columns.
        source = select(  # type: ignore[call-overload]
            bindparam("attempt_id", type_=answer.c.attempt_id.type),
            bindparam("item_id", type_=answer.c.item_id.type),
            bindparam("value", type_=answer.c.value.type),
            bindparam("elapsed_ms", type_=answer.c.elapsed_ms.type),
            literal(0, type_=answer.c.changes.type),
            bindparam("saved_at", type_=answer.c.saved_at.type),
        ).where(still_open)
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # RETURNING tells whether a row was written (psycopg leaves rowcount at -1 here).
        _upserts[key] = _on_answer_conflict(
            insert(answer).from_select(columns, source)
        ).returning(answer.c.id)
    return _upserts[key]


class _SectionClock(Protocol):
    """What the time left in a section depends on (an AttemptSection, or a row of its
    columns)."""

    @property
    def status(self) -> str: ...
    @property
    def time_limit_s(self) -> int: ...
    @property
    def deadline_at(self) -> datetime | None: ...


class _ClientNotes(Protocol):
    """What an attempt notes about its clients (an Attempt, or a row of its columns)."""

    @property
    def integrity(self) -> dict[str, Any] | None: ...
    @property
    def first_ip(self) -> str | None: ...
    @property
    def first_user_agent(self) -> str | None: ...


def _new_client(attempt: _ClientNotes, *, ip: str | None, user_agent: str | None) -> bool:
    """Does this request come from an address or browser the attempt has not noted yet?"""
    return any(_client_changes(attempt, ip=ip, user_agent=user_agent)[2:])


def _client_changes(
    attempt: _ClientNotes, *, ip: str | None, user_agent: str | None
) -> tuple[list[str], list[str], bool, bool]:
    """The noted addresses and browsers, and whether this request adds one of each."""
    seen = attempt.integrity or {}
    ips = seen.get("ips") or ([attempt.first_ip] if attempt.first_ip else [])
    agents = seen.get("agents") or ([attempt.first_user_agent] if attempt.first_user_agent else [])
    agent = _agent(user_agent)
    new_ip = ip is not None and ip not in ips and len(ips) < MAX_TRACKED_ADDRESSES
    new_agent = agent is not None and agent not in agents and len(agents) < MAX_TRACKED_ADDRESSES
    return ips, agents, new_ip, new_agent


def _agent(user_agent: str | None) -> str | None:
    """The browser as noted: at most 400 characters, None when not sent."""
    return (user_agent or "")[:400] or None


def _note_client(
    session: Session, attempt: Attempt, *, ip: str | None, user_agent: str | None
) -> None:
    """Count changes of address or browser mid-attempt (a flag for a person, never a score)."""
    ips, agents, new_ip, new_agent = _client_changes(attempt, ip=ip, user_agent=user_agent)
    if not (new_ip or new_agent):
        return
    agent = _agent(user_agent)
    _lock(session, attempt)
    session.refresh(attempt)
    integrity = dict(attempt.integrity or {})
    if new_ip:
        integrity["ips"] = [*ips, ip]
        integrity["ip_changes"] = integrity.get("ip_changes", 0) + 1
    if new_agent:
        integrity["agents"] = [*agents, agent]
        integrity["ua_changes"] = integrity.get("ua_changes", 0) + 1
    attempt.integrity = integrity
    session.add(attempt)


def record_events(
    session: Session, *, ctx: Context, focus_losses: int, paste_attempts: int
) -> None:
    """Add the page's focus-loss and paste counters to a running attempt."""
    attempt = require_running(ctx)
    if not (focus_losses or paste_attempts) or attempt.status != "in_progress":
        return
    _lock(session, attempt)
    session.refresh(attempt)
    integrity = dict(attempt.integrity or {})
    integrity["focus_losses"] = integrity.get("focus_losses", 0) + focus_losses
    integrity["paste_attempts"] = integrity.get("paste_attempts", 0) + paste_attempts
    attempt.integrity = integrity
    session.add(attempt)
    session.flush()


def require_running(ctx: Context) -> Attempt:
    """The attempt behind the link, or 409 when the candidate has not started yet."""
    if ctx.attempt is None:
        raise Conflict(N_("The assessment has not started yet: give your consent first."))
    return ctx.attempt


# --- sections and submit -----------------------------------------------------------------


def completing_changes_something(
    session: Session, *, ctx: Context, section_key: str, now: datetime | None = None
) -> bool:
    """Would ``complete_section`` change anything? Its errors, decided by a read.

    False for a submitted attempt or a section already over (ending it again changes
    nothing); True when the section runs, or when the clock may have moved things on.
    """
    attempt = require_running(ctx)
    now = now or utcnow()
    sections = sections_of(session, attempt)
    section = next((s for s in sections if s.section_key == section_key), None)
    if section is None:
        raise NotFound(N_("Section %(section)s is not part of this assessment."),
                       params={"section": section_key})
    if section.status == "completed" or attempt.status != "in_progress":
        return False
    if section.status == "pending" and not _needs_catch_up(sections, now):
        raise Conflict(N_("Section %(section)s has not started yet; finish the current one "
                          "first."), params={"section": section_key})
    return True


def complete_section(
    session: Session, *, ctx: Context, section_key: str, now: datetime | None = None
) -> None:
    """End the current section early and start the next; repeating it changes nothing."""
    attempt = require_running(ctx)
    now = now or utcnow()
    sections = catch_up(session, attempt, now)
    index = next((i for i, s in enumerate(sections) if s.section_key == section_key), None)
    if index is None:
        raise NotFound(N_("Section %(section)s is not part of this assessment."),
                       params={"section": section_key})
    section = sections[index]
    if section.status == "completed" or attempt.status != "in_progress":
        return
    if section.status == "pending":
        raise Conflict(N_("Section %(section)s has not started yet; finish the current one "
                          "first."), params={"section": section_key})
    _lock(session, attempt)
    session.refresh(section)
    if section.status != "active":
        return
    section.status = "completed"
    section.completed_at = now
    section.started_at = min(_aware(_known(section.started_at)), now)  # ended on its intro screen
    session.add(section)
    _activate_next(session, sections, index, at=now, now=now)
    session.flush()


def submit(session: Session, *, ctx: Context, now: datetime | None = None) -> bool:
    """Complete the attempt exactly once; True only for the call that completed it.

    The state change is conditional (``WHERE status = 'in_progress'``), so two submits racing
    from two tabs produce one completion and one score; the loser sees the winner's result.
    The caller that gets True scores the attempt in the same transaction
    (``app.scores.service.score_submitted``).
    """
    attempt = require_running(ctx)
    now = now or utcnow()
    changed = session.exec(
        update(Attempt)
        .where(col(Attempt.id) == attempt.id, col(Attempt.status) == "in_progress")
        .values(status="completed", submitted_at=now)
    ).rowcount
    if changed != 1:
        session.refresh(attempt)
        return False
    session.refresh(attempt)
    for section in sections_of(session, attempt):
        if section.status != "completed":
            section.status = "completed"
            section.completed_at = min(now, section.deadline_at) if section.deadline_at else now
            section.started_at = section.started_at or now
            session.add(section)
    ctx.candidate.status = "completed"
    session.add(ctx.candidate)
    session.flush()
    return True


def needs_update(session: Session, *, ctx: Context, now: datetime | None = None) -> bool:
    """True when the clock has moved a section on (or the attempt is overdue): a read can
    decide this, so most state requests never take the write lock."""
    if ctx.attempt is None or ctx.attempt.status != "in_progress":
        return False
    now = now or utcnow()
    sections = sections_of(session, ctx.attempt)
    return _needs_catch_up(sections, now) or is_overdue(sections, now)


def finalize_if_overdue(session: Session, *, ctx: Context, now: datetime | None = None) -> bool:
    """Submit an attempt whose time (and grace) is over, from its saved answers."""
    if ctx.attempt is None or ctx.attempt.status != "in_progress":
        return False
    now = now or utcnow()
    sections = catch_up(session, ctx.attempt, now)
    if not is_overdue(sections, now):
        return False
    return submit(session, ctx=ctx, now=now)


def overdue_attempt_ids(session: Session, *, now: datetime | None = None) -> list[int]:
    """Attempts in progress that may be overdue; ``finalize_if_overdue`` decides exactly.

    Sections run one after the other, each opening at most a break after the previous one
    ended, so the stored rows bound when an attempt ends even if nobody
    has opened it since: the running section's deadline plus the limits of those still
    waiting, or the end of the last one when all are over. Past that end and the grace an
    attempt that ran out of time takes no more answers; one whose last section the
    candidate ended early waits for the submit window too (``is_overdue`` checks it).
    """
    now = now or utcnow()
    rows = session.exec(
        # Ignored: SQLModel's select() is typed for at most four columns.
        select(  # type: ignore[call-overload]
            Attempt.id,
            Attempt.started_at,
            func.sum(AttemptSection.time_limit_s),
            func.sum(case((col(AttemptSection.status) == "pending", AttemptSection.time_limit_s),
                          else_=0)),
            func.max(case((col(AttemptSection.status) == "active", AttemptSection.deadline_at))),
            func.sum(case((col(AttemptSection.status) != "completed", 1), else_=0)),
            func.max(AttemptSection.completed_at),
            func.sum(case((col(AttemptSection.status) == "pending", 1), else_=0)),
            func.count(col(AttemptSection.id)),
        )
        .join(AttemptSection, AttemptSection.attempt_id == Attempt.id)
        .where(Attempt.status == "in_progress")
        .group_by(Attempt.id, Attempt.started_at)
    ).all()
    due = []
    for (attempt_id, started_at, total, waiting, running_deadline, still_open, last_end,
         pending, count) in rows:
        # Each section waiting may yet open with a full break before its clock starts.
        if running_deadline is not None:
            end = (_as_datetime(running_deadline) + timedelta(seconds=int(waiting or 0))
                   + section_break() * int(pending or 0))
        elif still_open or last_end is None:
            end = started_at + timedelta(seconds=int(total)) + section_break() * int(count)
        else:
            end = _as_datetime(last_end)
        if end + GRACE < now:
            due.append(attempt_id)
    return due


def _as_datetime(value: datetime | str) -> datetime:
    # Should a driver hand back a CASE over a datetime column as text, read it as UTC.
    value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- the state the candidate's page shows --------------------------------------------------


def _remaining(section: _SectionClock, now: datetime) -> int:
    if section.status == "pending":
        return section.time_limit_s
    if section.status == "completed":
        return 0
    left = math.ceil((_aware(_known(section.deadline_at)) - now).total_seconds())
    return max(0, min(section.time_limit_s, left))


def answers_of(session: Session, attempt: Attempt) -> dict[str, Answer]:
    """The saved answers of an attempt by item id."""
    return {
        answer.item_id: answer
        for answer in session.exec(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def _header(session: Session, ctx: Context) -> dict[str, Any]:
    """Who asks and for which position: one narrow read of two names."""
    from app.organizations.models import Organization

    row = session.connection().execute(
        select(Position.title, Organization.name)
        .join(Organization, col(Organization.id) == Position.organization_id)
        .where(Position.id == ctx.candidate.position_id)
    ).first()
    return {
        "organization": row.name if row else "",
        "position": row.title if row else "",
        "candidate": {"full_name": ctx.candidate.full_name},
        "expires_at": ctx.invitation.expires_at,
    }


def answer_values(session: Session, attempt: Attempt) -> dict[str, Any]:
    """The saved values of an attempt by item id (no ORM objects: a narrow Core read)."""
    rows = session.connection().execute(
        select(Answer.item_id, Answer.value).where(Answer.attempt_id == attempt.id))
    return {item_id: value["v"] for item_id, value in rows}


def state(
    session: Session,
    *,
    ctx: Context,
    language: str | None = None,
    now: datetime | None = None,
    catch_up_first: bool = True,
) -> dict[str, Any]:
    """The assessment state of SPEC §5 (items never carry keys).

    With ``catch_up_first=False`` nothing is written (the caller caught up already), so the
    state can be read in a read-only transaction.
    """
    now = now or utcnow()
    attempt = ctx.attempt
    if attempt is None:
        position = session.get(Position, ctx.candidate.position_id)
        return {**_header(session, ctx), **_preview(session, ctx, position, language)}
    header = _header(session, ctx)
    language = language or attempt.language
    battery = Battery.load(session, attempt.questionnaire_versions)
    sections = catch_up(session, attempt, now) if catch_up_first else sections_of(session, attempt)
    answers = answer_values(session, attempt)
    section_views = []
    current = None
    answered_total = total = 0
    for row in sections:
        _, section = battery.sections[row.section_key]
        items = battery.section_items(row.section_key, attempt.forms)
        answered = sum(
            1 for item in items
            if item.id in answers and is_answered(item, answers[item.id])
        )
        answered_total, total = answered_total + answered, total + len(items)
        section_views.append({
            "key": row.section_key,
            "title": section.title.pick(language),
            "status": row.status,
            # True when the clock ended it (not the candidate): the page says "time's up".
            "ended_by_time": row.status == "completed" and row.completed_at is not None
            and row.completed_at == row.deadline_at,
            "time_limit_s": row.time_limit_s,
            "remaining_s": _remaining(row, now),
            "answered": answered,
            "total": len(items),
        })
        if row.status == "active" and current is None and attempt.status == "in_progress":
            intro = in_intro(row, now)
            current = {
                "key": row.section_key,
                "title": section.title.pick(language),
                "instructions": section.instructions.pick(language),
                # "intro": the clock has not started; it starts by itself at ``starts_at``.
                "phase": "intro" if intro else "running",
                "starts_at": row.started_at,
                "starts_in_s": max(0, math.ceil((_aware(_known(row.started_at)) - now)
                                                .total_seconds()))
                if intro else 0,
                "time_limit_s": row.time_limit_s,
                "deadline_at": row.deadline_at,
                "remaining_s": _remaining(row, now),
                # Practice comes first, unscored and never saved: the page shows the feedback.
                "practice": practice_views(section, attempt.order_seed, language),
                "items": candidate_section(
                    tuple(attempt.questionnaire_versions.items()), row.section_key,
                    attempt.order_seed, language, answers, attempt.forms),
            }
    status = attempt.status
    return {
        **header,
        "status": status,
        "language": language,
        "sections": section_views,
        "current_section": current,
        "progress": {"answered": answered_total, "total": total},
    }


def _preview(
    session: Session, ctx: Context, position: Position | None, language: str | None
) -> dict[str, Any]:
    """The state before the start: what the battery holds and how long it takes."""
    from app.bank import service as bank_service

    language = language or ctx.candidate.language
    section_views = []
    total_items = 0
    pinned = (position.questionnaire_versions or {}) if position else {}
    for key in position.questionnaires if position else []:
        for section in bank_service.get(session, key=key, version=pinned.get(key)).sections:
            limit = _scaled(section.time_limit_s, ctx.candidate.extra_time_pct)
            count = form_size(section, hurdle=position.hurdle_level if position else None)
            section_views.append({
                "key": section.key, "title": section.title.pick(language), "status": "pending",
                "time_limit_s": limit, "remaining_s": limit, "answered": 0,
                "total": count,
            })
            total_items += count
    return {
        "status": "invited",
        "language": language,
        "sections": section_views,
        "current_section": None,
        "progress": {"answered": 0, "total": total_items},
    }
