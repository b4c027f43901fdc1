"""What the candidate sees of an item, and the keyed staff view."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from questionnaires.schema import Questionnaire
from questionnaires.views import (
    PUBLIC_ITEM_KEYS,
    keyed_item,
    keyed_questionnaire,
    public_item,
    public_section,
)


@pytest.fixture
def mixed(qb: SimpleNamespace) -> Questionnaire:
    return Questionnaire.model_validate(qb.mixed())


def test_public_choice_item(mixed: Questionnaire) -> None:
    view = public_item(mixed.sections[0].items[0], "it")
    assert view == {
        "id": "bs01",
        "type": "sjt",
        "prompt": "Prompt of bs01 (it)",
        "options": [
            {"id": letter, "text": f"bs01 option {n} (it)"} for n, letter in enumerate("abcd")
        ],
    }


def test_public_numeric_item_with_table(mixed: Questionnaire) -> None:
    view = public_item(mixed.find_item("bs07"), "en")  # type: ignore[arg-type]
    assert view["unit"] == "%"
    assert view["stimulus"] == {
        "caption": "Revenue (en)",
        "columns": ["Client (en)", "2025"],
        "rows": [["Alfa Srl", 1250], ["Total (en)", 3800]],
    }
    assert set(view) <= PUBLIC_ITEM_KEYS


def test_public_likert_item_needs_the_scale(mixed: Questionnaire) -> None:
    section = mixed.sections[1]
    view = public_item(section.items[0], "en", scale=section.scale)
    assert view["scale"] == {
        "min": 1,
        "max": 5,
        "labels": ["Not at all", "A little", "Somewhat", "Very", "Completely"],
    }
    assert "reverse" not in view
    with pytest.raises(ValueError, match="scale"):
        public_item(section.items[0], "en")


def test_language_items_stay_in_the_target_language(qb: SimpleNamespace) -> None:
    english = Questionnaire.model_validate(qb.language())
    view = public_item(english.sections[0].items[0], "it")
    assert view["prompt"] == "Choose the right word for sentence 1."
    assert view["stimulus"] == {
        "caption": None,
        "passage": "Dear Ms Rossi, thank you for your order.",
    }
    assert view["options"][0]["text"] == "en01 option 0 (en)"
    assert public_section(english.sections[0], "it")["title"] == "Section english (it)"


def test_unknown_language_is_refused(mixed: Questionnaire) -> None:
    with pytest.raises(ValueError, match="language"):
        public_item(mixed.sections[0].items[0], "de")


def test_keyed_item_carries_the_keys(mixed: Questionnaire) -> None:
    sjt = keyed_item(mixed.find_item("bs01"), "en")  # type: ignore[arg-type]
    assert [option["score"] for option in sjt["options"]] == [3, 1, 0, 2]
    assert sjt["competency"] == "business_sense"
    assert sjt["cefr"] is None
    numeric = keyed_item(mixed.find_item("bs07"), "en")  # type: ignore[arg-type]
    assert (numeric["answer"], numeric["tolerance"]) == (22.6, 0.1)
    likert = mixed.sections[1]
    assert keyed_item(likert.items[0], "en", scale=likert.scale)["reverse"] is False
    assert keyed_item(likert.items[1], "en", scale=likert.scale)["reverse"] is True


def test_keyed_questionnaire(mixed: Questionnaire) -> None:
    view = keyed_questionnaire(mixed, "it")
    assert (view["key"], view["version"], view["title"]) == ("demo", 1, "Questionnaire demo (it)")
    assert [s["time_limit_s"] for s in view["sections"]] == [900, 900]
    assert sum(len(s["items"]) for s in view["sections"]) == 13
