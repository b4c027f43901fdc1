"""Shapes of the candidates API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.core.fields import TitleText


class CandidateCreate(BaseModel):
    """An applicant to invite."""

    model_config = ConfigDict(extra="forbid")

    full_name: TitleText
    email: EmailStr
    language: Literal["it", "en"] = "en"
    extra_time_pct: int = Field(
        default=0, ge=0, le=200, description="accommodation: +25 or +50 (any 0–200) % time"
    )


class CandidateInvite(CandidateCreate):
    """An applicant to invite through the API, and what to do when the e-mail was invited to
    the position already."""

    on_duplicate: Literal["invite", "refuse", "resend"] = Field(
        default="invite",
        description="when a candidate of this position already has this e-mail (erased "
        "candidates are forgotten): `invite` (default) creates a second candidate and lists "
        "the earlier ones in `already_invited`; `refuse` answers 409 naming them and creates, "
        "sends and records nothing; `resend` creates no candidate and gives the most recent "
        "earlier one whose assessment has not started a fresh link, as POST "
        "/candidates/{id}/resend does (the old link stops working), answering 200 with "
        "`resent: true`, or 409 when none can get one (all completed, started or revoked). "
        "Without an earlier candidate every choice invites.",
    )


class CandidatePublic(BaseModel):
    """A candidate as the API shows it."""

    id: int
    position_id: int
    full_name: str
    email: str
    language: str
    extra_time_pct: int
    status: str
    is_demo: bool
    created_at: datetime


class InvitedCandidate(CandidatePublic):
    """A candidate just invited: the link is shown once (only its hash is stored)."""

    invitation_url: str
    expires_at: datetime
    email_queued: bool
    already_invited: list[int] = Field(
        default_factory=list,
        description="other candidates of this position with the same e-mail (a second "
        "invitation is usually a mistake: POST /candidates/{id}/resend sends a fresh link)",
    )
    resent: bool = Field(
        default=False,
        description="true when an existing candidate got a fresh link (a resend, or "
        "on_duplicate=resend) rather than a new candidate being invited",
    )
