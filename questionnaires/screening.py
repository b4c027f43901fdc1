"""The screening form (questionnaires/screening.yaml) and validation of a candidate's answers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from questionnaires.parsing import read_yaml
from questionnaires.schema import LocalizedText, Model
from scoring.vocabulary import (
    CEFR_SCALE,
    EDUCATION_LEVELS,
    CefrScaleLevel,
    Education,
    VariablePay,
)

SCREENING_PATH = Path(__file__).resolve().parent / "screening.yaml"

# Education levels, variable-pay choices and the CEFR scale are scoring's vocabulary
# (scoring/vocabulary.py).
MAX_LANGUAGES = 10
NUMBER_BOUNDS: dict[str, tuple[int, int]] = {
    "years_sales": (0, 60),
    "years_key_accounts": (0, 60),
    "client_base_size": (0, 100_000),
    "salary_expectation_monthly": (0, 100_000),
}


class Choice(Model):
    """One choice of a choice field (with an optional help line saying what it covers)."""

    value: str
    label: LocalizedText
    help: LocalizedText | None = None


class SubField(Model):
    """One column of a repeatable field."""

    label: LocalizedText
    help: LocalizedText | None = None
    choices: tuple[Choice, ...]


class FieldBase(Model):
    """What every screening field has."""

    key: str
    type: str
    label: LocalizedText
    help: LocalizedText
    required: bool = True


class ChoiceField(FieldBase):
    """Pick one of a fixed list."""

    type: Literal["choice"]
    choices: tuple[Choice, ...]


class LanguageListField(FieldBase):
    """Repeatable (language, self-assessed CEFR level) pairs."""

    type: Literal["language_list"]
    max_entries: int
    language: SubField
    cefr_self: SubField


class NumberField(FieldBase):
    """A number (or a whole number) within bounds."""

    type: Literal["number", "integer"]
    min: float
    max: float
    step: float | None = None
    unit: LocalizedText | None = None


ScreeningField = Annotated[
    ChoiceField | LanguageListField | NumberField, Field(discriminator="type")
]


class ScreeningForm(Model):
    """The screening form as data: labels and help texts in Italian and English."""

    version: int
    title: LocalizedText
    intro: LocalizedText
    fields: tuple[ScreeningField, ...]

    def field(self, key: str) -> ChoiceField | LanguageListField | NumberField:
        """Return the field named ``key``."""
        for field in self.fields:
            if field.key == key:
                return field
        raise KeyError(key)


def load_screening_form(path: str | Path = SCREENING_PATH) -> ScreeningForm:
    """Load the screening form definition."""
    return ScreeningForm.model_validate(read_yaml(Path(path)))


def education_at_least(education: str, minimum: str) -> bool:
    """Return True if ``education`` is ``minimum`` or higher."""
    return EDUCATION_LEVELS.index(education) >= EDUCATION_LEVELS.index(minimum)


def cefr_at_least(level: str, minimum: str) -> bool:
    """Return True if CEFR ``level`` (A1-C2) is ``minimum`` or higher."""
    return CEFR_SCALE.index(level) >= CEFR_SCALE.index(minimum)


def _error(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("screening", message, context or None)


def _choice(value: Any, allowed: tuple[str, ...], name: str, normalize: Any) -> str:
    text = normalize(value.strip()) if isinstance(value, str) else value
    if text not in allowed:
        raise _error(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return str(text)


class LanguageSkill(BaseModel):
    """A foreign language and the candidate's own CEFR estimate of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Annotated[str, Field(description="ISO 639-1 code, e.g. en")]
    cefr_self: CefrScaleLevel

    @field_validator("language", mode="before")
    @classmethod
    def _language_code(cls, value: Any) -> str:
        code = value.strip().lower() if isinstance(value, str) else ""
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise _error(f"language must be a two-letter code such as en or de (got {value!r})")
        return code

    @field_validator("cefr_self", mode="before")
    @classmethod
    def _cefr(cls, value: Any) -> str:
        return _choice(value, CEFR_SCALE, "cefr_self", str.upper)


class ScreeningAnswers(BaseModel):
    """A candidate's screening answers as submitted to the API or the form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    education: Education
    languages: Annotated[tuple[LanguageSkill, ...], Field(max_length=MAX_LANGUAGES)] = ()
    years_sales: Annotated[float, Field(ge=0, le=60)]
    years_key_accounts: Annotated[float, Field(ge=0, le=60)]
    client_base_size: Annotated[int, Field(ge=0, le=100_000)]
    salary_expectation_monthly: Annotated[float, Field(ge=0, le=100_000)] | None = None
    variable_pay: VariablePay | None = Field(
        default=None, description="the largest share of variable pay accepted (bank v2)"
    )

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in cls.model_fields)
            if unknown:
                expected = ", ".join(cls.model_fields)
                raise _error(f"unknown field {unknown[0]!r}; the fields are {expected}")
        return data

    @field_validator("education", mode="before")
    @classmethod
    def _education(cls, value: Any) -> str:
        return _choice(value, EDUCATION_LEVELS, "education", str.lower)

    @field_validator(
        "years_sales",
        "years_key_accounts",
        "client_base_size",
        "salary_expectation_monthly",
        mode="before",
    )
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> float | int | None:
        name = str(info.field_name)
        if value is None or value == "":
            if name == "salary_expectation_monthly":
                return None
            raise _error(f"{name} is required")
        low, high = NUMBER_BOUNDS[name]
        number = _to_number(value)
        if number is None or not low <= number <= high:
            raise _error(f"{name} must be a number from {low} to {high} (got {value!r})")
        if name == "client_base_size":
            if number != int(number):
                raise _error(f"{name} must be a whole number (got {value!r})")
            return int(number)
        return number

    @model_validator(mode="after")
    def _languages_once(self) -> ScreeningAnswers:
        codes = [skill.language for skill in self.languages]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise _error(f"each language may be listed once ({', '.join(repeated)} is repeated)")
        return self


def _to_number(value: Any) -> float | None:
    """Accept numbers and numeric strings (with a decimal comma, as Italians write them)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
