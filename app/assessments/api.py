"""The candidate API (SPEC §5): state, start, answers, complete a section, submit.

Every save is committed before the response, so a 2xx means the answer is on disk.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.schemas import AnswerRequest, BatchAnswers, PageEvents, StartRequest
from app.auth.dependencies import client_ip
from app.core.clock import utcnow
from app.core.db import ReadSessionDep, SessionDep, WriteSessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.json_response import PydanticJSON
from app.ops.ratelimit import CandidateApiRoute, guard_candidate_token
from app.scores import service as score_service

# Unknown tokens are counted per client address (429 past the limit); valid ones pass.
router = APIRouter(
    route_class=CandidateApiRoute,
    prefix="/api/v1/assessments",
    tags=["assessment (candidate)"],
    dependencies=[Depends(guard_candidate_token)],
)

ItemId = Annotated[str, Path(min_length=1, max_length=40)]
Token = Annotated[str, Path(min_length=20, max_length=100)]

# Each handler resolves the token itself and commits as its very last database step, so the
# whole unit of work (and on SQLite the write lock) stays in one thread of the pool.
# The state and save routes return PydanticJSON themselves (see app/core/json_response.py).


@router.get("/{token}", response_class=PydanticJSON,
             response_model=dict[str, Any])
def get_state(
    token: Token,
    session: SessionDep,
    write_session: WriteSessionDep,
    language: Annotated[Literal["it", "en"] | None, Query()] = None,
) -> PydanticJSON:
    """The assessment state; catches up with the clock and finalizes an overdue attempt.

    The state hands out the open section's questions, so a section still in its intro
    starts its clock now (the page's "Begin" does the same).
    Read first; only when time has moved a section on does it write, in its own short
    transaction, so polling pages do not queue for the SQLite write lock.
    """
    ctx = assessment_service.resolve(session, token=token)
    if (assessment_service.needs_update(session, ctx=ctx)
            or assessment_service.current_in_intro(session, ctx=ctx)):
        session.commit()
        write_ctx = assessment_service.resolve(write_session, token=token)
        attempt = assessment_service.require_running(write_ctx)
        if assessment_service.finalize_if_overdue(write_session, ctx=write_ctx):
            score_service.score_submitted(write_session, attempt=attempt)
        else:
            assessment_service.catch_up(write_session, attempt, utcnow())
            assessment_service.begin_section(write_session, ctx=write_ctx)
        write_session.commit()
        ctx = assessment_service.resolve(session, token=token)
    result = assessment_service.state(session, ctx=ctx, language=language, catch_up_first=False)
    session.commit()
    return PydanticJSON(result)


@router.post("/{token}/start", response_class=PydanticJSON, response_model=dict[str, Any])
def start(
    token: Token,
    request: Request,
    session: WriteSessionDep,
    read_session: ReadSessionDep,
    data: StartRequest,
) -> PydanticJSON:
    """Give consent, answer the screening form and start the first section."""
    ctx = assessment_service.resolve(read_session, token=token)
    if ctx.attempt is None:
        # Only a first start writes; a repeated one (a reload, a second tab) is a read.
        read_session.commit()
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.start(session, ctx=ctx, data=data, ip=client_ip(request),
                                 user_agent=request.headers.get("user-agent"))
        session.commit()
    return PydanticJSON(_state_after_write(read_session, ctx, session, token))


def _state_after_write(
    read_session: Session, ctx: assessment_service.Context, write_session: Session,
    token: str,
) -> dict[str, Any]:
    """The state once the write is committed, read outside the write transaction: building
    it (every item of the running section) must not hold SQLite's write lock.

    The state hands out the open section's questions, so a section still in its intro
    starts its clock first (in a short write of its own).
    """
    if assessment_service.current_in_intro(read_session, ctx=ctx):
        read_session.commit()
        write_ctx = assessment_service.resolve(write_session, token=token)
        assessment_service.begin_section(write_session, ctx=write_ctx)
        write_session.commit()
        ctx = assessment_service.resolve(read_session, token=token)
    result = assessment_service.state(read_session, ctx=ctx, catch_up_first=False)
    read_session.commit()
    return result


@router.put("/{token}/answers/{item_id}", response_class=PydanticJSON,
             response_model=dict[str, Any])
def save_answer(
    token: Token,
    item_id: ItemId,
    request: Request,
    read_session: ReadSessionDep,
    write_session: WriteSessionDep,
    data: AnswerRequest,
) -> PydanticJSON:
    """Save one answer (idempotent); 409 once its section is closed.

    The common case reads first and then writes one guarded statement, so on SQLite the
    write lock is held only for that statement; every other case takes the full path.
    """
    ip, user_agent = client_ip(request), request.headers.get("user-agent")
    # PostgreSQL locks rows, not the database: one transaction saves the round trips.
    sqlite = write_session.get_bind().dialect.name == "sqlite"
    read = read_session if sqlite else write_session
    result = assessment_service.save_answer_quickly(
        read, write_session, token=token, item_id=item_id, value=data.value,
        elapsed_ms=data.elapsed_ms, ip=ip, user_agent=user_agent,
    )
    if result is None:
        # A save the quick path could not take. Its guarded statement may have begun a
        # write that wrote nothing: end it (and give back the lock and the connection)
        # before reading again. Then refuse what a read can refuse (a submitted attempt, a
        # closed section, a bad value) without the write lock.
        if read is not write_session:
            write_session.rollback()
        ctx = assessment_service.resolve(read, token=token)
        assessment_service.refuse_save(read, ctx=ctx, item_id=item_id, value=data.value)
        if sqlite:
            read.commit()
        ctx = assessment_service.resolve(write_session, token=token)
        result = assessment_service.save_answer(
            write_session, ctx=ctx, item_id=item_id, value=data.value,
            elapsed_ms=data.elapsed_ms, ip=ip, user_agent=user_agent,
        )
    write_session.commit()
    return PydanticJSON(result)


@router.post("/{token}/answers", response_class=PydanticJSON,
             response_model=dict[str, Any])
def save_answers(
    token: Token, request: Request, session: WriteSessionDep, read_session: ReadSessionDep,
    data: BatchAnswers,
) -> PydanticJSON:
    """Save several answers in one transaction (the page's re-send of unsaved answers).

    An answer the server cannot take (closed section, unknown item, bad value) is listed
    under ``refused`` with the reason; every other answer is saved. Answers that a read can
    already refuse never take the write lock; when none is left, nothing is written.
    """
    ctx = assessment_service.resolve(read_session, token=token)
    refused: dict[str, str] = {}
    for item_id, answer in data.answers.items():
        try:
            assessment_service.refuse_save(read_session, ctx=ctx, item_id=item_id,
                                           value=answer.value)
        except (Conflict, Invalid, NotFound) as exc:
            refused[item_id] = exc.detail
    read_session.commit()
    saved = []
    remaining = {k: v for k, v in data.answers.items() if k not in refused}
    if remaining:
        ctx = assessment_service.resolve(session, token=token)
        for item_id, answer in remaining.items():
            try:
                assessment_service.save_answer(
                    session, ctx=ctx, item_id=item_id, value=answer.value,
                    elapsed_ms=answer.elapsed_ms, ip=client_ip(request),
                    user_agent=request.headers.get("user-agent"),
                )
                saved.append(item_id)
            except (Conflict, Invalid, NotFound) as exc:
                refused[item_id] = exc.detail
        session.commit()
    return PydanticJSON({"saved": saved, "refused": refused})


@router.post("/{token}/events", status_code=204)
def report_events(
    token: Token, session: WriteSessionDep, read_session: ReadSessionDep, data: PageEvents
) -> None:
    """Focus losses and paste attempts counted by the page (for flags, never for scores)."""
    ctx = assessment_service.resolve(read_session, token=token)
    attempt = assessment_service.require_running(ctx)
    read_session.commit()
    if not (data.focus_losses or data.paste_attempts) or attempt.status != "in_progress":
        return
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.record_events(session, ctx=ctx, focus_losses=data.focus_losses,
                                     paste_attempts=data.paste_attempts)
    session.commit()


@router.post("/{token}/sections/{section_key}/complete", response_class=PydanticJSON,
             response_model=dict[str, Any])
def complete_section(
    token: Token,
    section_key: Annotated[str, Path(max_length=80)],
    session: WriteSessionDep,
    read_session: ReadSessionDep,
) -> PydanticJSON:
    """End a section early; the next one becomes current."""
    ctx = assessment_service.resolve(read_session, token=token)
    if assessment_service.completing_changes_something(read_session, ctx=ctx,
                                                       section_key=section_key):
        read_session.commit()
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.complete_section(session, ctx=ctx, section_key=section_key)
        session.commit()
    return PydanticJSON(_state_after_write(read_session, ctx, session, token))


@router.post("/{token}/submit")
def submit(token: Token, session: WriteSessionDep, read_session: ReadSessionDep) -> dict[str, Any]:
    """Complete the attempt; repeated or concurrent calls return the same result."""
    ctx = assessment_service.resolve(read_session, token=token)
    attempt = assessment_service.require_running(ctx)
    if attempt.status == "in_progress":
        read_session.commit()
        ctx = assessment_service.resolve(session, token=token)
        attempt = assessment_service.require_running(ctx)
        if assessment_service.submit(session, ctx=ctx):
            score_service.score_submitted(session, attempt=attempt)
        session.commit()
    return {"status": attempt.status, "submitted_at": attempt.submitted_at}
