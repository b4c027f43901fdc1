"""Knock-out rules on the screening answers (SPEC §2, §5 positions).

A position may require a minimum education (ordered ``none < secondary < bachelor < master <
doctorate``), minimum self-assessed CEFR levels per language, minimum years in sales and with
key accounts, and (bank v2) a minimum share of variable pay the candidate accepts, ordered
``fixed_only < up_to_30 < 30_to_60 < over_60`` (asked after a realistic job preview says the
job is paid mostly on commission). Every rule gives a result with ``rule``, ``required``,
``actual`` and ``passed``; a failed knock-out is shown, never hidden, and the product never
rejects anyone by itself (a person decides; GDPR Art. 22). A screening answer that was not
given cannot show that a requirement is met, so it counts as not passed, with ``actual = None``
and a message that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from scoring.cefr import cefr_rank
from scoring.checks import check_number
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict
from scoring.vocabulary import EDUCATION_LEVELS, VARIABLE_PAY_LEVELS


def _variable_pay(value: Any, argument: str) -> str | None:
    if value is None:
        return None
    if value not in VARIABLE_PAY_LEVELS:
        raise ScoringInputError(
            argument, f"{value!r} is not one of {', '.join(VARIABLE_PAY_LEVELS)}"
        )
    return str(value)


def _education(value: Any, argument: str) -> str | None:
    if value is None:
        return None
    if value not in EDUCATION_LEVELS:
        raise ScoringInputError(argument, f"{value!r} is not one of {', '.join(EDUCATION_LEVELS)}")
    return str(value)


def _languages(value: Any, argument: str) -> Mapping[str, str]:
    """Accept ``{language: CEFR}`` or ``[{"language", "cefr_self"}]``; language codes lower-case."""
    if value is None:
        return MappingProxyType({})
    if isinstance(value, Mapping):
        pairs: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, (list, tuple)):
        pairs = []
        for i, entry in enumerate(value):
            if not isinstance(entry, Mapping) or "language" not in entry:
                raise ScoringInputError(f"{argument}[{i}]", "must be {language, cefr_self}")
            pairs.append((entry["language"], entry.get("cefr_self", entry.get("cefr"))))
    else:
        raise ScoringInputError(argument, "must be a mapping {language: CEFR level}")
    out: dict[str, str] = {}
    for language, level in pairs:
        if not isinstance(language, str) or not language.strip():
            raise ScoringInputError(
                argument, f"language must be a code like 'en', got {language!r}"
            )
        code = language.strip().lower()
        cefr_rank(level, argument=f"{argument}[{code!r}]")
        if level is None:
            raise ScoringInputError(f"{argument}[{code!r}]", "a CEFR level is required")
        out[code] = level
    return MappingProxyType(out)


def _years(value: Any, argument: str) -> float | None:
    return None if value is None else check_number(argument, value, minimum=0.0, maximum=80.0)


@dataclass(frozen=True)
class Screening:
    """A candidate's screening answers (SPEC §2)."""

    education: str | None = None
    languages: Mapping[str, str] = field(default_factory=dict)
    years_sales: float | None = None
    years_key_accounts: float | None = None
    client_base_size: int | None = None
    salary_expectation_monthly: float | None = None
    variable_pay: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "education", _education(self.education, "screening.education"))
        _variable_pay(self.variable_pay, "screening.variable_pay")
        object.__setattr__(self, "languages", _languages(self.languages, "screening.languages"))
        for name in ("years_sales", "years_key_accounts"):
            object.__setattr__(self, name, _years(getattr(self, name), f"screening.{name}"))
        if self.client_base_size is not None:
            check_number(
                "screening.client_base_size", self.client_base_size, minimum=0, integer=True
            )
        if self.salary_expectation_monthly is not None:
            check_number(
                "screening.salary_expectation_monthly", self.salary_expectation_monthly, minimum=0
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Screening:
        """From the API's ``screening`` object (``languages`` as a list or a mapping).

        ``None`` (no screening form) gives an empty screening: every rule then shows as
        not met, with ``actual = None``.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ScoringInputError("screening", "must be an object")
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ScoringInputError(f"screening.{sorted(unknown)[0]}", "unknown field")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "education": self.education,
                "languages": [{"language": k, "cefr_self": v} for k, v in self.languages.items()],
                "years_sales": self.years_sales,
                "years_key_accounts": self.years_key_accounts,
                "client_base_size": self.client_base_size,
                "salary_expectation_monthly": self.salary_expectation_monthly,
                "variable_pay": self.variable_pay,
            }
        )


@dataclass(frozen=True)
class KnockoutRules:
    """A position's knock-out rules; every field optional."""

    min_education: str | None = None
    min_languages: Mapping[str, str] = field(default_factory=dict)
    min_years_sales: float | None = None
    min_years_key_accounts: float | None = None
    min_variable_pay: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "min_education", _education(self.min_education, "knockouts.min_education")
        )
        _variable_pay(self.min_variable_pay, "knockouts.min_variable_pay")
        object.__setattr__(
            self, "min_languages", _languages(self.min_languages, "knockouts.min_languages")
        )
        for name in ("min_years_sales", "min_years_key_accounts"):
            object.__setattr__(self, name, _years(getattr(self, name), f"knockouts.{name}"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> KnockoutRules:
        """From a position's ``knockouts`` object."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ScoringInputError("knockouts", "must be an object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ScoringInputError(f"knockouts.{sorted(unknown)[0]}", "unknown rule")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "min_education": self.min_education,
                "min_languages": dict(self.min_languages),
                "min_years_sales": self.min_years_sales,
                "min_years_key_accounts": self.min_years_key_accounts,
                "min_variable_pay": self.min_variable_pay,
            }
        )


@dataclass(frozen=True)
class KnockoutResult:
    """The outcome of one knock-out rule."""

    rule: str
    required: str | float
    actual: str | float | None
    passed: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "rule": self.rule,
                "required": self.required,
                "actual": self.actual,
                "passed": self.passed,
                "message": self.message,
            }
        )


def _result(rule: str, required: Any, actual: Any, passed: bool, what: str) -> KnockoutResult:
    if actual is None:
        message = f"{what}: required {required}, not stated in the screening form."
    else:
        verdict = "met" if passed else "not met"
        message = f"{what}: required {required}, stated {actual} – {verdict}."
    return KnockoutResult(rule, required, actual, passed, message)


def evaluate_knockouts(
    rules: KnockoutRules | Mapping[str, Any] | None,
    screening: Screening | Mapping[str, Any] | None,
) -> tuple[KnockoutResult, ...]:
    """Evaluate every knock-out rule of a position against one candidate's screening.

    Returns one :class:`KnockoutResult` per rule set (one per required language).

    Examples
    --------
    >>> r = evaluate_knockouts({"min_education": "bachelor", "min_languages": {"en": "B2"},
    ...                         "min_years_sales": 2},
    ...                        {"education": "master", "languages": [{"language": "en",
    ...                         "cefr_self": "B1"}], "years_sales": 5})
    >>> [(x.rule, x.passed) for x in r]
    [('min_education', True), ('min_languages.en', False), ('min_years_sales', True)]
    """
    if not isinstance(rules, KnockoutRules):
        rules = KnockoutRules.from_dict(rules)
    if not isinstance(screening, Screening):
        screening = Screening.from_dict(screening)
    results = []
    if rules.min_education is not None:
        actual = screening.education
        passed = actual is not None and EDUCATION_LEVELS.index(actual) >= EDUCATION_LEVELS.index(
            rules.min_education
        )
        results.append(_result("min_education", rules.min_education, actual, passed, "Education"))
    for language, required in rules.min_languages.items():
        level = screening.languages.get(language)
        passed = level is not None and cefr_rank(level) >= cefr_rank(required)
        results.append(
            _result(
                f"min_languages.{language}",
                required,
                level,
                passed,
                f"Language {language} (self-assessed CEFR)",
            )
        )
    for rule, years, what in (
        ("min_years_sales", screening.years_sales, "Years in sales"),
        ("min_years_key_accounts", screening.years_key_accounts, "Years with key accounts"),
    ):
        minimum = getattr(rules, rule)
        if minimum is None:
            continue
        passed = years is not None and years >= minimum
        results.append(_result(rule, minimum, years, passed, what))
    if rules.min_variable_pay is not None:
        actual = screening.variable_pay
        passed = actual is not None and VARIABLE_PAY_LEVELS.index(
            actual
        ) >= VARIABLE_PAY_LEVELS.index(rules.min_variable_pay)
        results.append(_result("min_variable_pay", rules.min_variable_pay, actual, passed,
                               "Variable pay accepted"))
    return tuple(results)


def knockouts_passed(results: Iterable[KnockoutResult]) -> bool:
    """True when every knock-out rule passed (vacuously true with no rules)."""
    return all(r.passed for r in results)
