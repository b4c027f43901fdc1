"""Positions: create, read, change, and who may see them."""

from __future__ import annotations

import copy
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import Role, User
from app.bank import service as bank_service
from app.core import tenancy
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import N_, Invalid, NotFound, Word
from app.core.i18n import LANGUAGE_WORDS
from app.positions.models import Position, PositionManager
from app.positions.schemas import PositionCreate, PositionPublic, PositionUpdate, Ranking
from questionnaires.hurdles import unsupported_reason
from scoring.competencies import DEFAULT_LANGUAGE_HURDLE, DEFAULT_WEIGHTS
from scoring.composite import validate_weights
from scoring.cost import CostAssumptions
from scoring.errors import ScoringInputError

#: Changes that alter stored scores (ranking does not: ranks are computed when listing).
RESCORING_FIELDS = {"weights", "minimums", "language_hurdle", "knockouts", "cost_assumptions"}


def readable(user: User) -> SelectOfScalar[Position]:
    """The positions ``user`` may see: the organization's, and for a manager only those
    assigned (the statement every position query starts from)."""
    query = tenancy.readable(Position, user.organization_id)
    if user.role == Role.manager:
        query = query.join(PositionManager, col(PositionManager.position_id) == Position.id).where(
            PositionManager.user_id == user.id
        )
    return query


def get(session: Session, *, position_id: int, user: User) -> Position:
    """A position the user may see; anything else (other org, not assigned) is a 404."""
    query = readable(user).where(Position.id == position_id)
    position = session.exec(query).first()
    if position is None:
        raise NotFound(N_("No such position."))
    return position


def list_visible(session: Session, *, user: User) -> list[Position]:
    """The positions the user may see, newest first."""
    return list(session.exec(readable(user).order_by(col(Position.id).desc())))


def manager_ids(session: Session, *, position: Position) -> list[int]:
    """The managers assigned to a position."""
    return sorted(
        session.exec(
            select(PositionManager.user_id).where(PositionManager.position_id == position.id)
        )
    )


def _check_questionnaires(session: Session, keys: list[str]) -> list[str]:
    known = bank_service.latest_keys(session)
    if not keys:
        raise Invalid(N_("choose at least one questionnaire"), field="questionnaires")
    for key in keys:
        if key not in known:
            raise Invalid(N_("unknown questionnaire %(key)r; available: %(available)s"),
                          field="questionnaires", params={"key": key,
                                                          "available": ", ".join(known)})
    return list(dict.fromkeys(keys))




def _check_hurdle(session: Session, *, keys: list[str], hurdle: dict[str, str] | None) -> None:
    """The language a hurdle names must be tested: its questionnaire is in the battery."""
    if hurdle is None:
        return
    tests = bank_service.language_tests(session)
    wanted = tests.get(hurdle["language"])
    if wanted is None or wanted not in keys:
        name = Word(LANGUAGE_WORDS.get(hurdle["language"], hurdle["language"]))
        if wanted:
            raise Invalid(N_("the position requires %(language)s %(level)s, so its battery must "
                             "test %(language)s; add the %(key)r questionnaire or remove the "
                             "hurdle"), field="language_hurdle",
                          params={"language": name, "level": hurdle["level"], "key": wanted})
        raise Invalid(N_("the position requires %(language)s %(level)s, so its battery must "
                         "test %(language)s, but no questionnaire tests it; remove the hurdle"),
                      field="language_hurdle", params={"language": name, "level": hurdle["level"]})
    version = {row.key: row.version for row in bank_service.latest_rows(session)}[wanted]
    why = unsupported_reason(wanted, version, hurdle["level"])
    if why is not None:
        name = Word(LANGUAGE_WORDS.get(hurdle["language"], hurdle["language"]))
        raise Invalid(N_("%(language)s %(level)s cannot be required yet: %(why)s; choose a "
                         "lower level"), field="language_hurdle",
                      params={"language": name, "level": hurdle["level"], "why": Word(why)})


def _default_hurdle(session: Session, keys: list[str]) -> dict[str, str] | None:
    """SPEC's default hurdle, B2 in the language the battery tests (English when it tests
    both); none when it tests no language."""
    tests = bank_service.language_tests(session)
    tested = [language for language, key in tests.items() if key in keys]
    if not tested:
        return None
    return {"language": "en" if "en" in tested else tested[0], "level": DEFAULT_LANGUAGE_HURDLE}


def _pinned(session: Session, keys: list[str], pinned: dict[str, int] | None = None
            ) -> dict[str, int]:
    """The versions of a battery: kept where pinned already, else the newest published."""
    pinned = pinned or {}
    unknown = sorted(set(pinned) - set(keys))
    if unknown:
        raise Invalid(N_("%(key)r is not one of the questionnaires"),
                      field="questionnaire_versions", params={"key": unknown[0]})
    versions = {}
    for key in keys:
        try:
            versions[key] = bank_service.get_row(session, key=key, version=pinned.get(key)).version
        except NotFound:
            raise Invalid(N_("%(key)s has no published version %(version)s"),
                          field="questionnaire_versions",
                          params={"key": key, "version": pinned.get(key)}) from None
    return versions


def _weights_for(
    session: Session, *, questionnaires: list[str], weights: dict[str, float] | None
) -> dict[str, float]:
    """Given weights, checked against what the questionnaires measure; else the defaults
    restricted to the measured competencies and rescaled to sum to 1."""
    measured = bank_service.competencies_measured(session, keys=questionnaires)
    if weights is None:
        defaults = {c: w for c, w in DEFAULT_WEIGHTS.items() if c in measured}
        if not defaults:  # only competencies without a default weight (e.g. drive alone)
            defaults = dict.fromkeys(sorted(measured), 1.0)
        total = sum(defaults.values())
        return validate_weights({c: w / total for c, w in defaults.items()})
    weights = validate_weights(weights)
    unmeasured = sorted(c for c, w in weights.items() if w > 0 and c not in measured)
    if unmeasured:
        raise Invalid(N_("%(competencies)s carries weight but none of the position's "
                         "questionnaires measures it; add its questionnaire or set its weight "
                         "to 0"), field="weights", params={"competencies": ", ".join(unmeasured)})
    return weights


def _set_managers(session: Session, *, position: Position, user_ids: list[int]) -> None:
    managers = []
    for user_id in dict.fromkeys(user_ids):
        manager = session.get(User, user_id)
        if manager is None or not tenancy.belongs(manager, position.organization_id):
            raise Invalid(N_("no user %(user)s in your organization"), field="manager_ids",
                          params={"user": user_id})
        if manager.role != Role.manager:
            raise Invalid(N_("user %(user)s is not a hiring manager"), field="manager_ids",
                          params={"user": user_id})
        managers.append(manager)
    for row in session.exec(
        select(PositionManager).where(PositionManager.position_id == position.id)
    ):
        session.delete(row)
    session.flush()
    for manager in managers:
        session.add(PositionManager(position_id=pk(position), user_id=pk(manager)))


def create(session: Session, *, data: PositionCreate, actor: User) -> Position:
    """A new position in the actor's organization, defaults filled in."""
    hurdle = data.language_hurdle
    keys = data.questionnaires if data.questionnaires is not None else (
        bank_service.default_battery(
            session, language=hurdle["language"] if hurdle else None
        )
    )
    keys = _check_questionnaires(session, keys)
    if "language_hurdle" not in data.model_fields_set:
        hurdle = _default_hurdle(session, keys)
    _check_hurdle(session, keys=keys, hurdle=hurdle)
    position = Position(
        organization_id=actor.organization_id,
        title=data.title.strip(),
        territory=data.territory,
        questionnaires=keys,
        questionnaire_versions=_pinned(session, keys, data.questionnaire_versions),
        weights=_weights_for(session, questionnaires=keys, weights=data.weights),
        minimums=data.minimums or {},
        language_hurdle=hurdle,
        knockouts=data.knockouts or {},
        cost_assumptions=data.cost_assumptions or {},
        ranking=data.ranking.model_dump(),
        invitation_expiry_days=data.invitation_expiry_days,
        reminders=data.reminders,
        feedback_page=data.feedback_page,
        created_by_id=actor.id,
    )
    session.add(position)
    session.flush()
    _set_managers(session, position=position, user_ids=data.manager_ids)
    session.flush()
    return position


def update(session: Session, *, position: Position, data: PositionUpdate) -> dict[str, Any]:
    """Apply a partial change; returns the fields that changed (for the audit log and
    :func:`changes_scores`)."""
    changes = data.model_dump(exclude_unset=True)
    if "questionnaires" in changes:
        changes["questionnaires"] = _check_questionnaires(session, changes["questionnaires"] or [])
        changes["questionnaire_versions"] = _pinned(
            session, changes["questionnaires"], position.questionnaire_versions
        )
    if "questionnaires" in changes or "language_hurdle" in changes:
        _check_hurdle(
            session,
            keys=changes.get("questionnaires", position.questionnaires),
            hurdle=changes.get("language_hurdle", position.language_hurdle),
        )
    if "weights" in changes or "questionnaires" in changes:
        changes["weights"] = _weights_for(
            session,
            questionnaires=changes.get("questionnaires", position.questionnaires),
            weights=changes.get("weights", position.weights),
        )
    for nullable in ("minimums", "knockouts", "cost_assumptions"):
        if nullable in changes and changes[nullable] is None:
            changes[nullable] = {}
    if "ranking" in changes:
        changes["ranking"] = Ranking.model_validate(changes["ranking"] or {}).model_dump()
    for flag in ("reminders", "feedback_page"):
        if flag in changes and changes[flag] is None:
            changes.pop(flag)
    if "title" in changes and changes["title"] is None:
        raise Invalid(N_("a position needs a title"), field="title")
    # Fields that always have a value: null is a 422 naming them, never a database error.
    for required in ("status", "invitation_expiry_days"):
        if required in changes and changes[required] is None:
            raise Invalid(N_("must have a value; leave it out to keep it as it is"),
                          field=required)
    managers = changes.pop("manager_ids", None)
    for name, value in changes.items():
        setattr(position, name, value)
    if managers is not None:
        _set_managers(session, position=position, user_ids=managers)
        changes["manager_ids"] = managers
    position.updated_at = utcnow()
    session.add(position)
    session.flush()
    return changes


#: The rules that shape scores and decisions: their old and new values go in the audit log.
RULE_FIELDS = ("weights", "minimums", "knockouts", "language_hurdle", "ranking",
               "questionnaires")


def rule_snapshot(position: Position) -> dict[str, Any]:
    """The position's rules as they are now (before a change)."""
    return {name: copy.deepcopy(getattr(position, name)) for name in RULE_FIELDS}


def rule_changes(before: dict[str, Any], position: Position) -> dict[str, Any]:
    """``{rule: {"from", "to"}}`` for each rule that changed since ``before``."""
    return {name: {"from": before[name], "to": getattr(position, name)}
            for name in RULE_FIELDS if before[name] != getattr(position, name)}


def changes_scores(changes: dict[str, Any]) -> bool:
    """Whether a change returned by :func:`update` alters stored scores: the handler then
    rescores the position (``app.scores.service.rescore_position``) in its transaction."""
    return bool(RESCORING_FIELDS & changes.keys())


def cost_assumptions(position: Position) -> CostAssumptions:
    """The position's cost assumptions: its overrides over the documented defaults.

    Raises ScoringInputError when a stored value no longer validates (see ``cost_problem``).
    """
    return CostAssumptions.from_dict(position.cost_assumptions or None)


def cost_problem(position: Position) -> ScoringInputError | None:
    """Why the stored cost assumptions cannot be used (a value saved before its bound
    existed, or written by hand), or None: callers show the field instead of failing."""
    try:
        cost_assumptions(position)
    except ScoringInputError as exc:
        return exc
    return None


def public(session: Session, position: Position) -> PositionPublic:
    """The API view of a position."""
    problem = cost_problem(position)
    return PositionPublic(
        id=position.id,
        title=position.title,
        territory=position.territory,
        status=position.status,
        questionnaires=position.questionnaires,
        questionnaire_versions=position.questionnaire_versions or {},
        weights=position.weights,
        minimums=position.minimums,
        language_hurdle=position.language_hurdle,
        knockouts=position.knockouts,
        cost_assumptions=position.cost_assumptions,
        cost_assumptions_effective=(
            {} if problem is not None else cost_assumptions(position).to_dict()
        ),
        cost_assumptions_problem=(
            None if problem is None else f"cost_assumptions.{problem}"
        ),
        ranking=Ranking.model_validate(position.ranking or {}),
        invitation_expiry_days=position.invitation_expiry_days,
        reminders=position.reminders,
        feedback_page=position.feedback_page,
        manager_ids=manager_ids(session, position=position),
        created_at=position.created_at,
        updated_at=position.updated_at,
    )
