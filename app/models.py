"""Every table, imported in one place: the registry Alembic and the tests use."""

from app.assessments.models import Answer, Attempt, AttemptSection, ItemExposure
from app.audit.models import AuditEntry, AuditHead
from app.auth.models import AuthSession, LoginAddress, LoginAttempt, User
from app.bank.models import NormTable, QuestionnaireVersion
from app.candidates.models import Candidate, Decision, Invitation
from app.core.db import metadata
from app.explanations.models import Contest
from app.fairness.models import SelfIdentification
from app.interviews.models import (
    InterviewAssignment,
    Outcome,
    OutcomeReminder,
    OverallWeights,
)
from app.ops.ratelimit import RateEvent
from app.organizations.models import Organization
from app.outbox.models import OutboxMessage
from app.positions.models import Position, PositionManager
from app.scores.models import CompositeNorm, Score

__all__ = [
    "Answer",
    "Attempt",
    "AttemptSection",
    "AuditEntry",
    "AuditHead",
    "AuthSession",
    "Candidate",
    "CompositeNorm",
    "Contest",
    "Decision",
    "InterviewAssignment",
    "Invitation",
    "ItemExposure",
    "LoginAddress",
    "LoginAttempt",
    "NormTable",
    "Organization",
    "OutboxMessage",
    "Outcome",
    "OutcomeReminder",
    "OverallWeights",
    "Position",
    "PositionManager",
    "QuestionnaireVersion",
    "RateEvent",
    "Score",
    "SelfIdentification",
    "User",
    "metadata",
]
