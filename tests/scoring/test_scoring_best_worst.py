"""Best/worst SJT scoring from the panel's effectiveness, against values worked by hand."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from scoring import ItemKey, ScoringInputError, encode_responses, score_battery, score_items
from scoring.items import best_worst_code

# bs101 as keyed by the panel: a 2.00, b 1.00, c 4.00, d 2.00 (R = 4 - 1 = 3).
BS101 = ItemKey("bs101", "business_sense", "best_worst", {"a": 2.0, "b": 1.0, "c": 4.0, "d": 2.0})
# bs103: a 1.00, b 2.00, c 2.33, d 4.00 (R = 3).
BS103 = ItemKey("bs103", "business_sense", "best_worst", {"a": 1.0, "b": 2.0, "c": 2.33, "d": 4.0})


@pytest.mark.parametrize(
    ("best", "worst", "expected"),
    [
        ("c", "b", 1.0),  # the panel's best and worst: (4 - 1 + 3) / 6
        ("b", "c", 0.0),  # swapped: (1 - 4 + 3) / 6
        ("a", "d", 0.5),  # two equally effective options: no information either way
        ("c", "a", 5 / 6),  # best right, worst one of the 2.00s: (4 - 2 + 3) / 6
        ("d", "b", 4 / 6),  # (2 - 1 + 3) / 6
    ],
)
def test_item_score_by_hand(best: str, worst: str, expected: float) -> None:
    X = encode_responses([BS101], [{"bs101": {"best": best, "worst": worst}}])
    assert score_items([BS101], X)[0, 0] == pytest.approx(expected, abs=1e-12)


def test_fractional_effectiveness() -> None:
    # best c (2.33), worst a (1.00): (2.33 - 1 + 3) / 6 = 0.721666...
    X = encode_responses([BS103], [{"bs103": {"best": "c", "worst": "a"}}])
    assert score_items([BS103], X)[0, 0] == pytest.approx(4.33 / 6, abs=1e-12)


def test_one_choice_only_is_not_answered_yet() -> None:
    X = encode_responses([BS101], [{"bs101": {"best": "c"}}, {"bs101": {"best": None,
                                                                       "worst": "b"}}])
    assert np.isnan(score_items([BS101], X)).all()


@pytest.mark.parametrize(
    "value",
    [{"best": "c", "worst": "c"}, {"best": "z", "worst": "b"}, {"best": "c", "worst": "b",
                                                              "also": "a"}, "c", ["c", "b"]],
)
def test_bad_answers_name_the_item_and_what_it_accepts(value: object) -> None:
    expected = re.escape("bs101 accepts {'best': id, 'worst': id}")
    with pytest.raises(ScoringInputError, match=expected):
        encode_responses([BS101], [{"bs101": value}])


def test_encoding_is_best_times_options_plus_worst() -> None:
    assert best_worst_code(BS101, {"best": "c", "worst": "b"}) == 2 * 4 + 1
    assert math.isnan(best_worst_code(BS101, {"worst": "b"}))


def test_scale_score_of_a_seven_item_form() -> None:
    # Seven copies of bs101 answered: 1, 0, 0.5, 5/6, 4/6, 1, 1 -> raw 5.0 of 7 = 71.43 %.
    keys = [ItemKey(f"bs{n}", "business_sense", "best_worst", dict(BS101.option_scores))
            for n in range(7)]
    picks = [("c", "b"), ("b", "c"), ("a", "d"), ("c", "a"), ("d", "b"), ("c", "b"), ("c", "b")]
    answers = {f"bs{n}": {"best": b, "worst": w} for n, (b, w) in enumerate(picks)}
    report = score_battery(keys, [answers], language_hurdle=None,
                           weights={"business_sense": 1.0}).candidate(0)
    entry = report.competencies["business_sense"]
    assert entry["raw"] == pytest.approx(5.0)
    assert entry["percent"] == pytest.approx(100 * 5 / 7)
