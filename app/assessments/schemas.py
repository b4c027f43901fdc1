"""Shapes of the candidate API (SPEC §5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from questionnaires.screening import ScreeningAnswers


class StartRequest(BaseModel):
    """Consent, language and the screening answers."""

    model_config = ConfigDict(extra="forbid")

    consent: StrictBool
    language: Literal["it", "en"] | None = None
    screening: ScreeningAnswers


class AnswerRequest(BaseModel):
    """One answer: an option id, a Likert integer or a number; null clears it."""

    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="option id (choice items), integer (likert), number (numeric)")
    elapsed_ms: int | None = Field(
        default=None, ge=0, le=86_400_000, description="time the page saw on this item"
    )


class BatchAnswers(BaseModel):
    """Several answers at once (the page's re-send of its local buffer)."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerRequest] = Field(max_length=200)


class PageEvents(BaseModel):
    """Integrity counters the page reports since its last report (never used for scores)."""

    model_config = ConfigDict(extra="forbid")

    focus_losses: int = Field(default=0, ge=0, le=10_000)
    paste_attempts: int = Field(default=0, ge=0, le=10_000)
