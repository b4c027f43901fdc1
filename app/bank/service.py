"""Publishing the questionnaire bank into the database and reading versions back.

A version, once in the database, never changes: loading a file whose key and version exist
with other content is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.bank.models import QuestionnaireVersion
from app.core.errors import N_, Conflict, NotFound
from questionnaires.loader import (
    BANK_DIR,
    LoadedQuestionnaire,
    PublishedVersionChangedError,
    check_published,
    load_bank,
)
from questionnaires.schema import Questionnaire


@dataclass(frozen=True)
class LoadOutcome:
    """What happened to one file during a load."""

    key: str
    version: int
    status: str  # "published" | "unchanged"


def publish(
    session: Session, *, directory: Path | str = BANK_DIR, delivery_rules: bool = True
) -> list[LoadOutcome]:
    """Store every questionnaire version of ``directory`` not yet in the database (idempotent).

    ``delivery_rules=False`` is for load tests that publish the bank with compressed time
    limits; everything else (structure, keys, published versions unchanged) still holds.
    """
    bank = load_bank(directory, delivery_rules=delivery_rules)
    published = {
        (row.key, row.version): row.content_hash
        for row in session.exec(select(QuestionnaireVersion))
    }
    outcomes = []
    for loaded in bank:
        try:
            check_published(loaded, published)
        except PublishedVersionChangedError as exc:
            raise Conflict(str(exc)) from None
        if (loaded.key, loaded.version) in published:
            outcomes.append(LoadOutcome(loaded.key, loaded.version, "unchanged"))
            continue
        session.add(_row(loaded))
        outcomes.append(LoadOutcome(loaded.key, loaded.version, "published"))
    session.flush()
    return outcomes


def _row(loaded: LoadedQuestionnaire) -> QuestionnaireVersion:
    return QuestionnaireVersion(
        key=loaded.key,
        version=loaded.version,
        content_hash=loaded.content_hash,
        content=loaded.questionnaire.model_dump(mode="json"),
    )


def latest_rows(session: Session) -> list[QuestionnaireVersion]:
    """The newest version of every questionnaire, by key."""
    newest = (
        select(QuestionnaireVersion.key, func.max(QuestionnaireVersion.version).label("version"))
        .group_by(QuestionnaireVersion.key)
        .subquery()
    )
    return list(
        session.exec(
            select(QuestionnaireVersion)
            .join(
                newest,
                (col(QuestionnaireVersion.key) == newest.c.key)
                & (col(QuestionnaireVersion.version) == newest.c.version),
            )
            .order_by(QuestionnaireVersion.key)
        )
    )


def latest_keys(session: Session) -> list[str]:
    """Keys of every questionnaire in the bank."""
    return [row.key for row in latest_rows(session)]


def language_tests(session: Session) -> dict[str, str]:
    """Language code -> the key of the questionnaire that tests it (newest versions)."""
    tests: dict[str, str] = {}
    for row in latest_rows(session):
        target = parsed(row).target_language
        if target is not None:
            tests.setdefault(target, row.key)
    return tests


def default_battery(session: Session, *, language: str | None) -> list[str]:
    """The questionnaires a new position gets: the newest versions marked for the default
    battery, with the language test in ``language`` only (none without a hurdle).

    A bank without such marks (the v1 bank alone) gives every questionnaire, as before.
    """
    rows = latest_rows(session)
    marked = [row for row in rows if parsed(row).default_battery]
    if not marked:
        return [row.key for row in rows]
    return [
        row.key for row in marked
        if parsed(row).target_language is None or parsed(row).target_language == language
    ]


def get_row(session: Session, *, key: str, version: int | None = None) -> QuestionnaireVersion:
    """One stored version (the newest when ``version`` is None), or NotFound."""
    query = select(QuestionnaireVersion).where(QuestionnaireVersion.key == key)
    if version is not None:
        query = query.where(QuestionnaireVersion.version == version)
    row = session.exec(query.order_by(col(QuestionnaireVersion.version).desc())).first()
    if row is None:
        if version is not None:
            raise NotFound(N_("No questionnaire %(key)r version %(version)s."),
                           params={"key": key, "version": version})
        raise NotFound(N_("No questionnaire %(key)r."), params={"key": key})
    return row


def competencies_measured(session: Session, *, keys: list[str]) -> set[str]:
    """The competencies the newest versions of these questionnaires measure."""
    return {
        item.competency
        for key in keys
        for _section, item in get(session, key=key).iter_items()
    }


def versions_of(session: Session, *, key: str) -> list[int]:
    """Every stored version number of a questionnaire, oldest first."""
    return list(
        session.exec(
            select(QuestionnaireVersion.version)
            .where(QuestionnaireVersion.key == key)
            .order_by(col(QuestionnaireVersion.version))
        )
    )


def parsed(row: QuestionnaireVersion) -> Questionnaire:
    """The stored version as the schema model (parsed once per content hash)."""
    questionnaire = _parsed.get(row.content_hash)
    if questionnaire is None:
        questionnaire = Questionnaire.model_validate(row.content)
        _parsed[row.content_hash] = questionnaire
    return questionnaire


def get(session: Session, *, key: str, version: int | None = None) -> Questionnaire:
    """The parsed questionnaire (newest version when ``version`` is None)."""
    return parsed(get_row(session, key=key, version=version))


# Versions are immutable, so a parse keyed by content hash never goes stale.
_parsed: dict[str, Questionnaire] = {}
