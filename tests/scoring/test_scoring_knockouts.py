"""Knock-out rules on the screening answers."""

from __future__ import annotations

import json

import pytest

from scoring import (
    KnockoutRules,
    ScoringInputError,
    Screening,
    evaluate_knockouts,
    knockouts_passed,
)

SCREENING = {
    "education": "bachelor",
    "languages": [{"language": "EN", "cefr_self": "C1"}, {"language": "de", "cefr_self": "A2"}],
    "years_sales": 4,
    "years_key_accounts": 1.5,
    "client_base_size": 40,
    "salary_expectation_monthly": 3500,
}


def test_every_rule_reports_required_actual_passed() -> None:
    rules = {
        "min_education": "master",
        "min_languages": {"en": "B2", "de": "B1", "fr": "A2"},
        "min_years_sales": 2,
        "min_years_key_accounts": 2,
    }
    results = {r.rule: r for r in evaluate_knockouts(rules, SCREENING)}
    assert [(k, r.required, r.actual, r.passed) for k, r in results.items()] == [
        ("min_education", "master", "bachelor", False),  # bachelor < master
        ("min_languages.en", "B2", "C1", True),  # language codes are case-insensitive
        ("min_languages.de", "B1", "A2", False),
        ("min_languages.fr", "A2", None, False),  # not stated → not met, shown
        ("min_years_sales", 2.0, 4.0, True),
        ("min_years_key_accounts", 2.0, 1.5, False),
    ]
    assert results["min_languages.fr"].message == (
        "Language fr (self-assessed CEFR): required A2, not stated in the screening form."
    )
    assert not knockouts_passed(results.values())
    json.dumps([r.to_dict() for r in results.values()])


def test_no_rules_pass_vacuously() -> None:
    assert evaluate_knockouts(None, SCREENING) == ()
    assert knockouts_passed(())


def test_missing_screening_fails_every_rule_visibly() -> None:
    (r,) = evaluate_knockouts({"min_years_sales": 2}, None)
    assert (r.actual, r.passed) == (None, False)


def test_education_order() -> None:
    for education, passed in [("secondary", False), ("bachelor", True), ("doctorate", True)]:
        (r,) = evaluate_knockouts({"min_education": "bachelor"}, {"education": education})
        assert r.passed is passed


def test_round_trip_of_screening_and_rules() -> None:
    screening = Screening.from_dict(SCREENING)
    assert Screening.from_dict(screening.to_dict()) == screening
    rules = KnockoutRules(min_languages={"en": "B2"}, min_years_sales=2)
    assert KnockoutRules.from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize(
    ("rules", "screening", "argument"),
    [
        ({"min_education": "phd"}, {}, "knockouts.min_education"),
        ({"min_languages": {"en": "B3"}}, {}, "knockouts.min_languages['en']"),
        ({"min_years_sales": -1}, {}, "knockouts.min_years_sales"),
        ({"min_age": 30}, {}, "knockouts.min_age"),
        ({}, {"education": "college"}, "screening.education"),
        ({}, {"years_sales": "many"}, "screening.years_sales"),
        ({}, {"languages": [{"cefr_self": "B2"}]}, "screening.languages[0]"),
        ({}, {"salary": 1}, "screening.salary"),
    ],
)
def test_bad_rules_and_screening(rules: dict, screening: dict, argument: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        evaluate_knockouts(rules, screening)
    assert str(info.value).startswith(argument + ":")


@pytest.mark.parametrize(
    ("accepted", "passed"),
    [("over_60", True), ("30_to_60", True), ("up_to_30", False), ("fixed_only", False),
     (None, False)],
)
def test_variable_pay_as_a_knock_out(accepted: str | None, passed: bool) -> None:
    # A job paid mostly on commission asks for at least 30-60 % variable (bank v2 screening).
    [result] = evaluate_knockouts({"min_variable_pay": "30_to_60"},
                                  {"variable_pay": accepted})
    assert (result.rule, result.passed) == ("min_variable_pay", passed)
    assert ("not stated" in result.message) is (accepted is None)


def test_an_unknown_variable_pay_level_names_the_field() -> None:
    with pytest.raises(ScoringInputError, match=r"knockouts\.min_variable_pay"):
        evaluate_knockouts({"min_variable_pay": "half"}, {})
