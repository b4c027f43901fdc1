"""Candidates, their invitations and the decisions people record about them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow

#: Where a candidate is in the hiring process, in order (``outcome`` only after a hire).
STAGES = ("assessment", "interview", "decision", "outcome")


class Candidate(SQLModel, table=True):
    """An applicant for one position."""

    __tablename__ = "candidate"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    full_name: str = Field(max_length=200)
    email: str = Field(max_length=320, index=True)
    language: str = Field(default="en", max_length=2)
    extra_time_pct: int = Field(default=0)
    # invited | in_progress | completed | expired | revoked
    status: str = Field(default="invited", max_length=16, index=True)
    # Where the hiring process is: assessment -> interview -> decision -> outcome (after a hire).
    stage: str = Field(default="assessment", max_length=16, index=True)
    is_demo: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    erased_at: datetime | None = None


class Invitation(SQLModel, table=True):
    """An invitation link. Only the SHA-256 of the token is stored; the token itself is
    re-derivable from ``link_nonce`` and the secret key (app/candidates/links.py)."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    # None for links made before tokens were derived (their reminders cannot repeat them).
    link_nonce: str | None = Field(default=None, max_length=32)
    expires_at: datetime
    revoked_at: datetime | None = None
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # When the worker queued each reminder (app/candidates/reminders.py); None: not yet.
    reminded_unstarted_at: datetime | None = None
    reminded_expiry_at: datetime | None = None


class Decision(SQLModel, table=True):
    """A decision a person recorded: the product never decides alone."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    decision: str = Field(max_length=16)  # advance | reject | hire | hold
    note: str = Field(default="", max_length=4000)
    # The score the decision was based on, and what it said then: a later rescore rewrites the
    # score row, never this.
    score_id: int | None = Field(default=None, foreign_key="score.id", ondelete="SET NULL")
    scoring_version: str | None = Field(default=None, max_length=20)
    basis: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
