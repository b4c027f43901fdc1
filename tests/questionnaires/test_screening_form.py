"""The screening form definition and validation of submitted screening answers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from questionnaires.schema import LANGUAGES, LocalizedText
from questionnaires.screening import (
    MAX_LANGUAGES,
    NUMBER_BOUNDS,
    ChoiceField,
    LanguageListField,
    NumberField,
    ScreeningAnswers,
    cefr_at_least,
    education_at_least,
    load_screening_form,
)
from scoring.vocabulary import CEFR_SCALE, EDUCATION_LEVELS

GOOD: dict[str, Any] = {
    "education": "master",
    "languages": [{"language": "en", "cefr_self": "B2"}, {"language": "de", "cefr_self": "A1"}],
    "years_sales": 6.5,
    "years_key_accounts": 3,
    "client_base_size": 25,
    "salary_expectation_monthly": 3200,
}


def _texts(value: Any) -> list[LocalizedText]:
    if isinstance(value, LocalizedText):
        return [value]
    if isinstance(value, tuple):
        return [text for inner in value for text in _texts(inner)]
    if isinstance(value, BaseModel):
        return [text for name in type(value).model_fields for text in _texts(getattr(value, name))]
    return []


def test_form_matches_the_answers_model() -> None:
    form = load_screening_form()
    assert [field.key for field in form.fields] == list(ScreeningAnswers.model_fields)
    education = form.field("education")
    assert isinstance(education, ChoiceField)
    assert tuple(choice.value for choice in education.choices) == EDUCATION_LEVELS
    languages = form.field("languages")
    assert isinstance(languages, LanguageListField)
    assert tuple(choice.value for choice in languages.cefr_self.choices) == CEFR_SCALE
    assert languages.max_entries == MAX_LANGUAGES
    for key, (low, high) in NUMBER_BOUNDS.items():
        field = form.field(key)
        assert isinstance(field, NumberField)
        assert (field.min, field.max) == (low, high)
        assert field.required == ScreeningAnswers.model_fields[key].is_required()


def test_form_is_in_both_languages() -> None:
    texts = _texts(load_screening_form())
    assert len(texts) > 30
    for text in texts:
        assert all((text.get(language) or "").strip() for language in LANGUAGES), text


def test_good_answers() -> None:
    answers = ScreeningAnswers.model_validate(GOOD)
    assert answers.languages[0].cefr_self == "B2"
    assert answers.client_base_size == 25


def test_lenient_but_exact_input() -> None:
    answers = ScreeningAnswers.model_validate(
        {
            "education": " Bachelor ",
            "languages": [{"language": "EN", "cefr_self": "c1"}],
            "years_sales": "2,5",
            "years_key_accounts": "0",
            "client_base_size": "40",
            "salary_expectation_monthly": "",
        }
    )
    assert answers.education == "bachelor"
    assert answers.languages[0].language == "en"
    assert answers.languages[0].cefr_self == "C1"
    assert (answers.years_sales, answers.client_base_size) == (2.5, 40)
    assert answers.salary_expectation_monthly is None


def test_languages_and_salary_are_optional() -> None:
    minimal = {
        k: v for k, v in GOOD.items() if k not in ("languages", "salary_expectation_monthly")
    }
    answers = ScreeningAnswers.model_validate(minimal)
    assert answers.languages == ()
    assert answers.salary_expectation_monthly is None


@pytest.mark.parametrize(
    ("change", "location", "message"),
    [
        ({"education": "phd"}, ("education",), "education must be one of none, secondary"),
        ({"education": None}, ("education",), "education must be one of"),
        ({"years_sales": -1}, ("years_sales",), "years_sales must be a number from 0 to 60"),
        ({"years_sales": 61}, ("years_sales",), "from 0 to 60 (got 61)"),
        ({"years_sales": True}, ("years_sales",), "got True"),
        ({"years_sales": "many"}, ("years_sales",), "got 'many'"),
        ({"years_sales": "nan"}, ("years_sales",), "must be a number"),
        ({"years_key_accounts": None}, ("years_key_accounts",), "years_key_accounts is required"),
        ({"client_base_size": 2.5}, ("client_base_size",), "whole number"),
        ({"salary_expectation_monthly": -10}, ("salary_expectation_monthly",), "from 0"),
        (
            {"languages": [{"language": "english", "cefr_self": "B2"}]},
            ("languages", 0, "language"),
            "two-letter code",
        ),
        (
            {"languages": [{"language": "en", "cefr_self": "B3"}]},
            ("languages", 0, "cefr_self"),
            "A1, A2, B1, B2, C1, C2",
        ),
        ({"languages": [{"language": "en"}]}, ("languages", 0, "cefr_self"), "required"),
        (
            {"languages": [{"language": "en", "cefr_self": "B2", "years": 3}]},
            ("languages", 0, "years"),
            "not permitted",
        ),
        (
            {
                "languages": [
                    {"language": "en", "cefr_self": "B2"},
                    {"language": "EN", "cefr_self": "C1"},
                ]
            },
            (),
            "each language may be listed once (en is repeated)",
        ),
        (
            {"languages": [{"language": f"{c}a", "cefr_self": "A1"} for c in "abcdefghijk"]},
            ("languages",),
            "at most 10",
        ),
        ({"favourite_colour": "blue"}, (), "unknown field 'favourite_colour'"),
    ],
)
def test_bad_answers(change: dict[str, Any], location: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScreeningAnswers.model_validate(GOOD | change)
    errors = caught.value.errors()
    assert any(tuple(e["loc"]) == location and message in e["msg"] for e in errors), errors


def test_missing_field() -> None:
    data = {k: v for k, v in GOOD.items() if k != "education"}
    with pytest.raises(ValidationError) as caught:
        ScreeningAnswers.model_validate(data)
    assert caught.value.errors()[0]["loc"] == ("education",)


def test_answers_are_json_round_trip() -> None:
    answers = ScreeningAnswers.model_validate(GOOD)
    assert ScreeningAnswers.model_validate_json(answers.model_dump_json()) == answers


def test_level_comparisons() -> None:
    assert cefr_at_least("C2", "C1")
    assert cefr_at_least("B2", "B2")
    assert not cefr_at_least("A1", "A2")
    assert education_at_least("doctorate", "bachelor")
    assert not education_at_least("secondary", "bachelor")
