"""Completed candidates for report, pipeline, norm and cost tests, made through the services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, func

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.models import Answer, Attempt
from app.assessments.schemas import StartRequest
from app.auth.models import User
from app.candidates.models import Candidate
from app.scores import service as score_service
from questionnaires.schema import ChoiceItem, LikertItem, NumericItem
from tests.factories import SCREENING, invite_candidate


def generated_answers(
    battery: Battery, *, ability: float | dict[str, float], seed: int
) -> dict[str, Any]:
    """Answers of a candidate who gets each item right with probability ``ability`` (one
    number, or one per competency)."""
    rng = random.Random(seed)
    answers: dict[str, Any] = {}
    for item_id, (section, item) in battery.items.items():
        p = ability if isinstance(ability, float | int) else ability[item.competency]
        good = rng.random() < p
        if isinstance(item, ChoiceItem):
            ranked = sorted(item.options, key=lambda o: o.score, reverse=True)
            answers[item_id] = ranked[0].id if good else rng.choice(ranked[1:]).id
        elif isinstance(item, LikertItem):
            low, high = (section.scale.min, section.scale.max) if section.scale else (1, 5)
            level = round(low + (high - low) * min(1.0, max(0.0, p + rng.gauss(0, 0.25))))
            answers[item_id] = low + high - level if item.reverse else level
        elif isinstance(item, NumericItem):
            answers[item_id] = item.answer if good else item.answer + 10 * item.tolerance + 7
    return answers


def complete(
    session: Session,
    *,
    position: Any,
    actor: User,
    ability: float | dict[str, float] = 0.6,
    seed: int = 0,
    answers: dict[str, Any] | None = None,
    screening: dict[str, Any] | None = None,
    integrity: dict[str, int] | None = None,
    **invite: Any,
) -> tuple[Candidate, Attempt]:
    """Invite, start, answer (saved directly, as the answer API would) and submit."""
    candidate, token = invite_candidate(session, position=position, actor=actor, **invite)
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(
        session,
        ctx=ctx,
        data=StartRequest(consent=True, language="en", screening=screening or SCREENING),
        ip="127.0.0.1",
        user_agent="pytest",
    )
    attempt = ctx.attempt
    if answers is None:
        battery = Battery.load(session, attempt.questionnaire_versions)
        answers = generated_answers(battery, ability=ability, seed=seed)
        # Bank v2 draws a form per candidate: only the items given can have answers.
        forms = attempt.forms or {}
        answers = {item_id: value for item_id, value in answers.items()
                   if battery.items[item_id][0].key not in forms
                   or item_id in forms[battery.items[item_id][0].key]}
    session.add_all(
        Answer(attempt_id=attempt.id, item_id=item_id, value={"v": value}, elapsed_ms=6000)
        for item_id, value in answers.items()
    )
    if integrity:
        attempt.integrity = {**attempt.integrity, **integrity}
        session.add(attempt)
    session.flush()
    assert assessment_service.submit(session, ctx=ctx)
    score_service.score_submitted(session, attempt=attempt)
    return candidate, attempt


def stored_answers(session: Session, attempt: Attempt) -> dict[str, Any]:
    """The saved answers of an attempt, ``{item_id: value}``."""
    return {
        item_id: answer.value["v"]
        for item_id, answer in assessment_service.answers_of(session, attempt).items()
    }


def bulk_completed(
    session: Session, *, position: Any, n: int, seed: int = 0, spread: float = 0.3
) -> list[Attempt]:
    """``n`` completed attempts on the position's questionnaires, written straight to the
    tables the norm group is read from (attempts, sections, answers; no score snapshot)."""
    from app.bank import service as bank_service
    from app.candidates.models import Invitation
    from app.core.clock import utcnow

    pinned = position.questionnaire_versions or {}
    versions = {k: pinned.get(k) or bank_service.get_row(session, key=k).version
                for k in position.questionnaires}
    battery = Battery.load(session, versions)
    rng = random.Random(seed)
    now = utcnow()
    candidates = [
        Candidate(organization_id=position.organization_id, position_id=position.id,
                  full_name=f"Norm {seed}-{i}", email=f"norm{seed}-{i}@example.com",
                  status="completed")
        for i in range(n)
    ]
    session.add_all(candidates)
    session.flush()
    invitations = [
        Invitation(candidate_id=c.id, token_hash=f"{seed:08d}{c.id:056d}", expires_at=now,
                   used_at=now)
        for c in candidates
    ]
    session.add_all(invitations)
    session.flush()
    attempts = [
        Attempt(organization_id=position.organization_id, candidate_id=c.id,
                invitation_id=inv.id, status="completed", consent_at=now, screening=SCREENING,
                questionnaire_versions=versions, order_seed=i, submitted_at=now)
        for i, (c, inv) in enumerate(zip(candidates, invitations, strict=True))
    ]
    session.add_all(attempts)
    session.flush()
    from sqlalchemy import insert

    from app.assessments.models import AttemptSection

    sections, answer_rows = [], []
    for attempt in attempts:
        for index, (section_key, (key, _section)) in enumerate(battery.sections.items()):
            sections.append({
                "attempt_id": attempt.id, "questionnaire_key": key,
                "questionnaire_version": versions[key], "section_key": section_key,
                "position": index, "time_limit_s": 600, "status": "completed",
                "started_at": now, "deadline_at": now, "completed_at": now})
        ability = min(0.95, max(0.05, rng.gauss(0.55, spread)))
        answers = generated_answers(battery, ability=ability, seed=rng.randrange(1 << 30))
        answer_rows.extend(
            {"attempt_id": attempt.id, "item_id": item_id, "value": {"v": value},
             "elapsed_ms": 6000, "changes": 0, "saved_at": now}
            for item_id, value in answers.items()
        )
    session.exec(insert(AttemptSection), params=sections)
    session.exec(insert(Answer), params=answer_rows)
    return attempts


def bulk_scored(session: Session, *, position: Any, n: int, seed: int = 0) -> None:
    """``n`` candidates, most with a score row (fit, band, NPV, flags...), written with bulk
    inserts: pipeline volume without taking the assessments."""
    from sqlalchemy import insert, select

    from app.candidates.models import Invitation
    from app.core.clock import utcnow
    from app.scores.models import Score

    rng = random.Random(seed)
    now = utcnow()
    org = position.organization_id
    statuses = ("completed", "completed", "completed", "invited", "in_progress")
    # One id for a candidate, its invitation and its attempt, above every id in use.
    first = 1 + max(session.exec(select(func.max(m.id))).scalar_one() or 0
                    for m in (Candidate, Invitation, Attempt))
    ids = range(first, first + n)
    status = {cid: statuses[cid % len(statuses)] for cid in ids}
    session.exec(insert(Candidate.__table__), params=[
        {"id": cid, "organization_id": org, "position_id": position.id,
         "full_name": f"Bulk {seed}-{cid - first}",
         "email": f"bulk{seed}-{cid - first}@example.com",
         "language": "en", "extra_time_pct": 0, "status": status[cid], "is_demo": False,
         "created_at": now}
        for cid in ids
    ])
    session.exec(insert(Invitation.__table__), params=[
        {"id": cid, "candidate_id": cid, "token_hash": f"b{seed:07d}{cid:056d}",
         "expires_at": now + timedelta(days=30), "created_at": now,
         "used_at": None if status[cid] == "invited" else now}
        for cid in ids
    ])
    session.exec(insert(Attempt.__table__), params=[
        {"id": cid, "organization_id": org, "candidate_id": cid, "invitation_id": cid,
         "status": status[cid], "language": "en", "consent_at": now, "screening": SCREENING,
         "questionnaire_versions": {}, "order_seed": 1, "started_at": now, "integrity": {}}
        for cid in ids if status[cid] != "invited"
    ])
    rows = []
    for cid in ids:
        if status[cid] != "completed":
            continue
        fit = rng.gauss(50, 10)
        band = "A" if fit >= 60 else "B" if fit >= 55 else "C" if fit >= 45 else "D"
        rows.append({
            "organization_id": org, "attempt_id": cid, "candidate_id": cid,
            "position_id": position.id, "questionnaire_versions": {}, "scoring_version": "1.0.0",
            "scales": {}, "cefr": "B2", "flags": [], "composite": {}, "fit_score": fit,
            "fit_unit": "T", "band": band, "composite_z": (fit - 50) / 10,
            "knockouts_passed": rng.random() < 0.8, "flags_count": int(rng.random() < 0.1),
            "costed_option": "experienced", "expected_productivity": 1.0,
            "expected_npv": rng.gauss(400_000, 100_000), "computed_at": now})
    session.exec(insert(Score.__table__), params=rows)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("candidate", "invitation", "attempt"):  # explicit ids: move the sequences
            session.exec(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                              f" (SELECT max(id) FROM {table}))"))


@dataclass
class Team:
    """An organization's staff, one position and an outsider from another organization."""

    admin: User
    hr: User
    manager: User
    other_manager: User
    outsider: User
    position: Any

    def users(self) -> dict[str, User]:
        """Every role by name."""
        return {"admin": self.admin, "hr": self.hr, "manager": self.manager,
                "other_manager": self.other_manager, "outsider": self.outsider}


def make_team(session: Session, **position: Any) -> Team:
    """Admin, hr, an assigned and an unassigned manager, a position, another org's admin."""
    from app.organizations.models import Organization
    from tests.factories import create_position, create_user

    admin = create_user(session, role="admin")
    organization = session.get(Organization, admin.organization_id)
    hr = create_user(session, organization=organization, role="hr")
    manager = create_user(session, organization=organization, role="manager")
    other_manager = create_user(session, organization=organization, role="manager")
    outsider = create_user(session, role="admin")
    position.setdefault("questionnaires", ["commercial-knowledge", "english"])
    made = create_position(session, actor=admin, manager_ids=[manager.id], **position)
    return Team(admin, hr, manager, other_manager, outsider, made)


#: Who may see a position's candidates (200) and who gets a 404 (never a 403).
VISIBILITY = {"admin": 200, "hr": 200, "manager": 200, "other_manager": 404, "outsider": 404}


def synthetic_norms(
    session: Session, *, keys: list[str], n: int = 150, alpha: float = 0.8, seed: int = 0,
    version: int | None = 1,
) -> list[dict[str, Any]]:
    """Exportable norm tables (as JSON) for ``version`` of ``keys`` (the v1 bank the test
    positions take; None: the newest), built from ``n`` normally distributed scale scores
    with the given α: a shared table to import."""
    import numpy as np

    from app.bank import service as bank_service
    from questionnaires.keys import item_keys
    from scoring import build_norm_table, compile_keys

    rng = np.random.default_rng(seed)
    tables = []
    for key in keys:
        row = bank_service.get_row(session, key=key, version=version)
        keyset = compile_keys(item_keys([bank_service.parsed(row)]))
        low = keyset.item_min @ keyset.membership
        high = keyset.item_max @ keyset.membership
        mean, sd = low + 0.55 * (high - low), 0.18 * (high - low)
        scores = np.clip(rng.normal(mean, sd, size=(n, len(low))), low, high)
        table = build_norm_table(
            scores, keyset.competencies, questionnaire_key=key, questionnaire_version=row.version,
            created="2026-01-15", alphas={c: alpha for c in keyset.competencies},
        )
        tables.append(table.to_dict())
    return tables


def import_norms(session: Session, *, organization_id: int, tables: list[dict[str, Any]]) -> None:
    """Import the tables into an organization (rescoring its positions)."""
    from app.norms import service as norm_service

    rows = [norm_service.import_table(session, organization_id=organization_id, data=table)
            for table in tables]
    score_service.rescore_after_norms(session, rows=rows)
