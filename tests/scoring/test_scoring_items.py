"""Item keys, response encoding and item scoring (SPEC §3.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    ItemKey,
    ScoringInputError,
    compile_keys,
    encode_responses,
    item_max,
    item_min,
    reverse_likert,
    score_items,
)

SJT = {"a": 3, "b": 1, "c": 0, "d": 2}
KEYED = {"a": 0, "b": 1, "c": 0}
NAN = math.nan


def test_each_item_type_is_scored_by_its_rule() -> None:
    keys = [
        ItemKey("ck1", "commercial_knowledge", "single_choice", KEYED),
        ItemKey("bs1", "business_sense", "sjt", SJT),
        ItemKey("sr1", "stress_resistance", "likert"),
        ItemKey("sr2", "stress_resistance", "likert", reverse=True),
        ItemKey("an1", "analysis", "numeric", answer=12.5, tolerance=0.25),
    ]
    X = encode_responses(
        keys,
        [
            {"ck1": "b", "bs1": "d", "sr1": 4, "sr2": 4, "an1": 12.75},
            {"ck1": "a", "bs1": "a", "sr1": 1, "sr2": 1, "an1": 12.76},
            {"sr1": None},
        ],
    )
    # encoded: option index in mapping order (b → 1, d → 3, a → 0), answers as given
    np.testing.assert_array_equal(X[0], [1, 3, 4, 4, 12.75])
    scores = score_items(keys, X)
    # row 0: key 'b' = 1; SJT 'd' = 2; Likert 4; reversed 6 − 4 = 2;
    #        |12.75 − 12.5| = 0.25 ≤ 0.25 → 1
    np.testing.assert_array_equal(scores[0], [1, 2, 4, 2, 1])
    # row 1: 'a' = 0; SJT 'a' = 3; 1; 6 − 1 = 5; |12.76 − 12.5| = 0.26 > 0.25 → 0
    np.testing.assert_array_equal(scores[1], [0, 3, 1, 5, 0])
    assert np.isnan(scores[2]).all()


def test_numeric_tolerance_absorbs_binary_rounding_only() -> None:
    key = ItemKey("an1", "analysis", "numeric", answer=0.3, tolerance=0.0)
    scores = score_items([key], [[0.1 + 0.2], [0.3000001]])
    assert scores[:, 0].tolist() == [1.0, 0.0]


def test_item_min_and_max() -> None:
    assert (
        item_min(ItemKey("b", "business_sense", "sjt", SJT)),
        item_max(ItemKey("b", "business_sense", "sjt", SJT)),
    ) == (0.0, 3.0)
    likert = ItemKey("s", "stress_resistance", "likert", scale_min=0, scale_max=6, reverse=True)
    assert (likert.min_score, likert.max_score) == (0.0, 6.0)
    numeric = ItemKey("a", "analysis", "numeric", answer=1, tolerance=0)
    assert (numeric.min_score, numeric.max_score) == (0.0, 1.0)


@settings(deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(4, 9))
def test_reverse_keying_is_an_involution(x: int, low: int, high: int) -> None:
    x = min(max(x, low), high)
    once = reverse_likert([x], low, high)
    assert reverse_likert(once, low, high).tolist() == [x]
    # and it stays on the scale
    assert low <= once[0] <= high


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=30))
def test_reverse_keyed_item_scores_reverse_the_plain_item(answers: list[int | None]) -> None:
    plain = ItemKey("p", "stress_resistance", "likert")
    rev = ItemKey("r", "stress_resistance", "likert", reverse=True)
    X = encode_responses([plain, rev], [{"p": a, "r": a} for a in answers])
    s = score_items([plain, rev], X)
    np.testing.assert_array_equal(np.where(np.isnan(s[:, 0]), NAN, 6 - s[:, 0]), s[:, 1])


def test_from_dict_accepts_questionnaire_items() -> None:
    key = ItemKey.from_dict(
        {
            "id": "bs01",
            "competency": "business_sense",
            "type": "sjt",
            "prompt": {"en": "ignored"},
            "options": [{"id": "a", "text": {}, "score": 3}, {"id": "b", "text": {}, "score": 0}],
        }
    )
    assert dict(key.option_scores) == {"a": 3.0, "b": 0.0}
    assert ItemKey.from_dict(key.to_dict()) == key
    likert = ItemKey.from_dict(
        {
            "id": "s",
            "competency": "stress_resistance",
            "type": "likert",
            "reverse": True,
            "scale": {"min": 1, "max": 7},
        }
    )
    assert (likert.scale_max, likert.reverse) == (7, True)
    assert hash(key) == hash(ItemKey.from_dict(key.to_dict()))


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"competency": "charisma", "type": "likert"}, "keys['x'].competency"),
        ({"competency": "analysis", "type": "essay"}, "keys['x'].type"),
        ({"competency": "analysis", "type": "sjt"}, "keys['x'].option_scores"),
        (
            {"competency": "analysis", "type": "sjt", "option_scores": {"a": 1, "b": 1}},
            "keys['x'].option_scores",
        ),
        ({"competency": "analysis", "type": "numeric", "answer": 1.0}, "keys['x'].tolerance"),
        (
            {"competency": "analysis", "type": "numeric", "answer": 1.0, "tolerance": -1},
            "keys['x'].tolerance",
        ),
        (
            {"competency": "analysis", "type": "numeric", "answer": NAN, "tolerance": 1},
            "keys['x'].answer",
        ),
        (
            {"competency": "analysis", "type": "likert", "scale_min": 5, "scale_max": 5},
            "keys['x'].scale_max",
        ),
        (
            {
                "competency": "analysis",
                "type": "numeric",
                "answer": 1,
                "tolerance": 0,
                "reverse": True,
            },
            "keys['x'].reverse",
        ),
        ({"competency": "languages", "type": "likert", "cefr": "C2"}, "keys['x'].cefr"),
    ],
)
def test_bad_keys_raise_naming_the_field(kwargs: dict, argument: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        ItemKey("x", **kwargs)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(argument)


def test_duplicate_ids_are_refused() -> None:
    key = ItemKey("x", "analysis", "numeric", answer=1, tolerance=0)
    with pytest.raises(ValueError, match=r"^keys: duplicate item id 'x'"):
        compile_keys([key, key])


@pytest.mark.parametrize(
    ("response", "argument"),
    [
        ({"ck1": "z"}, "responses[0]['ck1']"),
        ({"ck1": 1}, "responses[0]['ck1']"),
        ({"sr1": 6}, "responses[0]['sr1']"),
        ({"sr1": 2.5}, "responses[0]['sr1']"),
        ({"sr1": True}, "responses[0]['sr1']"),
        ({"sr1": "3"}, "responses[0]['sr1']"),
        ({"an1": "12"}, "responses[0]['an1']"),
        ({"an1": math.inf}, "responses[0]['an1']"),
        ({"an1": NAN}, "responses[0]['an1']"),
        ({"zz9": 1}, "responses[0]"),
    ],
)
def test_invalid_answers_name_the_item(response: dict, argument: str) -> None:
    keys = [
        ItemKey("ck1", "commercial_knowledge", "single_choice", KEYED),
        ItemKey("sr1", "stress_resistance", "likert"),
        ItemKey("an1", "analysis", "numeric", answer=1, tolerance=0),
    ]
    with pytest.raises(ValueError) as info:
        encode_responses(keys, [response])
    assert str(info.value).startswith(argument)
    item = argument.split("'")[1] if "'" in argument else "zz9"
    assert item in str(info.value)


def test_likert_accepts_whole_floats() -> None:
    key = ItemKey("sr1", "stress_resistance", "likert")
    assert encode_responses([key], [{"sr1": 3.0}]).tolist() == [[3.0]]


@pytest.mark.parametrize(
    ("X", "argument"),
    [
        ([[0.0, 1.0]], "X"),  # wrong number of columns
        ([[1.5]], "X[0, 0]"),  # not an option index
        ([[3.0]], "X[0, 0]"),  # option index out of range
        ([[-1.0]], "X[0, 0]"),
        ([[math.inf]], "X"),
    ],
)
def test_score_items_rejects_bad_matrices(X: list, argument: str) -> None:
    key = ItemKey("ck1", "commercial_knowledge", "single_choice", KEYED)
    with pytest.raises(ScoringInputError) as info:
        score_items([key], X)
    assert str(info.value).startswith(argument + ":")


def test_score_items_rejects_off_scale_likert() -> None:
    key = ItemKey("sr1", "stress_resistance", "likert")
    with pytest.raises(ValueError, match=r"^X\[1, 0\]: .*sr1"):
        score_items([key], [[1.0], [0.0]])
