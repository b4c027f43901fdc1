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


def test_item_analysis_best_and_worst_frequencies() -> None:
    """Ten people on bs101: best c 6, a 3, d 1; worst b 7, a 2, d 1; nobody picks b as
    best. Shares by hand; no key or distractor flag (the panel's best c is the most chosen
    best, every option but c is chosen as best or worst by at least 5 %)."""
    from scoring.item_analysis import item_analysis

    answers = ([{"best": "c", "worst": "b"}] * 5 + [{"best": "c", "worst": "a"}]
               + [{"best": "a", "worst": "b"}] * 2 + [{"best": "a", "worst": "d"}]
               + [{"best": "d", "worst": "a"}])
    X = encode_responses([BS101], [{"bs101": a} for a in answers])
    result = item_analysis([BS101], score_items([BS101], X), X)
    [item] = result.items
    assert item.option_frequencies == pytest.approx({"a": 0.3, "b": 0.0, "c": 0.6, "d": 0.1})
    assert item.worst_frequencies == pytest.approx({"a": 0.2, "b": 0.7, "c": 0.0, "d": 0.1})
    codes = {f["code"] for f in item.flags}  # one item: no r (no_variance), p may be high
    assert not codes & {"best_not_chosen_most", "weak_distractor"}
    assert item.to_dict()["worst_frequencies"]["b"] == pytest.approx(0.7)


def test_item_analysis_flags_a_rival_best() -> None:
    """Option a chosen as best by 7 of 10, the panel's c by 3: check the key."""
    from scoring.item_analysis import item_analysis

    answers = [{"best": "a", "worst": "b"}] * 7 + [{"best": "c", "worst": "b"}] * 3
    X = encode_responses([BS101], [{"bs101": a} for a in answers])
    [item] = item_analysis([BS101], score_items([BS101], X), X).items
    codes = [f["code"] for f in item.flags]
    assert "best_not_chosen_most" in codes
    # d is never chosen, as best or as worst: a weak distractor.
    assert any(f["code"] == "weak_distractor" and "'d'" in f["message"] for f in item.flags)
