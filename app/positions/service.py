"""Positions: create, read, change, and who may see them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.auth.models import Role, User
from app.bank import service as bank_service
from app.clock import utcnow
from app.errors import Invalid, NotFound
from app.positions.models import Position, PositionManager
from app.positions.schemas import PositionCreate, PositionPublic, PositionUpdate, Ranking
from scoring.competencies import DEFAULT_WEIGHTS
from scoring.composite import validate_weights
from scoring.cost import CostAssumptions
from scoring.errors import ScoringInputError

#: Changes that alter stored scores (ranking does not: ranks are computed when listing).
RESCORING_FIELDS = {"weights", "minimums", "language_hurdle", "knockouts", "cost_assumptions"}


def _visible(query, user: User):  # type: ignore[no-untyped-def]
    query = query.where(Position.organization_id == user.organization_id)
    if user.role == Role.manager:
        query = query.join(PositionManager, PositionManager.position_id == Position.id).where(
            PositionManager.user_id == user.id
        )
    return query


def get(session: Session, *, position_id: int, user: User) -> Position:
    """A position the user may see; anything else (other org, not assigned) is a 404."""
    query = _visible(select(Position), user).where(Position.id == position_id)
    position = session.exec(query).first()
    if position is None:
        raise NotFound("No such position.")
    return position


def list_visible(session: Session, *, user: User) -> list[Position]:
    """The positions the user may see, newest first."""
    return list(session.exec(_visible(select(Position), user).order_by(Position.id.desc())))


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
        raise Invalid("questionnaires: choose at least one questionnaire")
    for key in keys:
        if key not in known:
            raise Invalid(
                f"questionnaires: unknown questionnaire {key!r}; available: {', '.join(known)}"
            )
    return list(dict.fromkeys(keys))


def _weights_for(
    session: Session, *, questionnaires: list[str], weights: dict[str, float] | None
) -> dict[str, float]:
    """Given weights, checked against what the questionnaires measure; else the defaults
    restricted to the measured competencies and rescaled to sum to 1."""
    measured = bank_service.competencies_measured(session, keys=questionnaires)
    if weights is None:
        defaults = {c: w for c, w in DEFAULT_WEIGHTS.items() if c in measured}
        total = sum(defaults.values())
        return validate_weights({c: w / total for c, w in defaults.items()})
    weights = validate_weights(weights)
    unmeasured = sorted(c for c, w in weights.items() if w > 0 and c not in measured)
    if unmeasured:
        raise Invalid(
            f"weights: {', '.join(unmeasured)} carries weight but none of the position's "
            "questionnaires measures it; add its questionnaire or set its weight to 0"
        )
    return weights


def _set_managers(session: Session, *, position: Position, user_ids: list[int]) -> None:
    managers = []
    for user_id in dict.fromkeys(user_ids):
        manager = session.get(User, user_id)
        if manager is None or manager.organization_id != position.organization_id:
            raise Invalid(f"manager_ids: no user {user_id} in your organization")
        if manager.role != Role.manager:
            raise Invalid(f"manager_ids: user {user_id} is not a hiring manager")
        managers.append(manager)
    for row in session.exec(
        select(PositionManager).where(PositionManager.position_id == position.id)
    ):
        session.delete(row)
    session.flush()
    for manager in managers:
        session.add(PositionManager(position_id=position.id, user_id=manager.id))


def create(session: Session, *, data: PositionCreate, actor: User) -> Position:
    """A new position in the actor's organization, defaults filled in."""
    keys = data.questionnaires if data.questionnaires is not None else bank_service.latest_keys(
        session
    )
    keys = _check_questionnaires(session, keys)
    position = Position(
        organization_id=actor.organization_id,
        title=data.title.strip(),
        territory=data.territory,
        questionnaires=keys,
        weights=_weights_for(session, questionnaires=keys, weights=data.weights),
        minimums=data.minimums or {},
        language_hurdle=data.language_hurdle,
        knockouts=data.knockouts or {},
        cost_assumptions=data.cost_assumptions or {},
        ranking=data.ranking.model_dump(),
        invitation_expiry_days=data.invitation_expiry_days,
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
    if "title" in changes and changes["title"] is None:
        raise Invalid("title: a position needs a title")
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
        manager_ids=manager_ids(session, position=position),
        created_at=position.created_at,
        updated_at=position.updated_at,
    )
