"""Validity and integrity flags (SPEC §3.7)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scoring import (
    ItemKey,
    PageCounters,
    ScoringInputError,
    SectionProgress,
    compute_flags,
    flag_candidate,
    score_battery,
    timing_evidence,
)
from scoring.flags import longest_run, run_threshold

NAN = math.nan
SJT = {"a": 3, "b": 1, "c": 0, "d": 2}
LIKERT = [ItemKey(f"sr{i:02}", "stress_resistance", "likert") for i in range(12)]
ABILITY = [ItemKey(f"bs{i}", "business_sense", "sjt", SJT) for i in range(10)]


def codes(flags) -> list[str]:
    return [f.code for f in flags]


def test_speeding_uses_median_likert_time() -> None:
    keys = LIKERT
    X = np.full((2, 12), 3.0)
    X[:, ::2] = 4.0  # alternate answers: no straight-lining
    times = np.array([[1.5] * 7 + [10.0] * 5, [2.5] * 12])
    # row 0: median of 7 × 1.5 and 5 × 10 = 1.5 s < 2 s → speeding; row 1: 2.5 s → fine
    flags = compute_flags(keys, X, times)
    assert codes(flags[0]) == ["speeding"]
    assert flags[0][0].evidence == {
        "median_seconds": 1.5,
        "items_timed": 12,
        "threshold_seconds": 2.0,
    }
    assert flags[1] == ()


def test_even_count_median_and_unknown_times() -> None:
    X = np.tile([3.0, 4.0], (1, 6))
    times = np.array([[1.0, 2.9] + [NAN] * 10])  # median of 1.0 and 2.9 = 1.95 < 2
    ev = timing_evidence(LIKERT, X, times)
    assert ev.likert_median_s[0] == pytest.approx(1.95)
    assert ev.likert_timed[0] == 2
    # no time known at all → no evidence, no flag, no warning
    assert compute_flags(LIKERT, X, np.full((1, 12), NAN)) == [()]


def test_rapid_guessing_share() -> None:
    X = np.zeros((2, 10))
    # row 0: 3 of 10 answered under 3 s = 30 % > 20 % → flag; row 1: 2 of 10 = 20 % → no flag
    times = np.array([[1.0, 2.0, 2.9] + [20.0] * 7, [1.0, 2.0] + [3.0] * 8])
    flags = compute_flags(ABILITY, X, times)
    assert codes(flags[0]) == ["rapid_guessing"]
    assert flags[0][0].evidence["share"] == pytest.approx(0.3)
    assert "3 of 10 timed ability items (30 %)" in flags[0][0].message
    assert flags[1] == ()


def test_unanswered_items_are_not_rapid_guesses() -> None:
    X = np.full((1, 10), NAN)
    X[0, :5] = 0
    times = np.full((1, 10), 1.0)  # the page timed every item but only 5 were answered
    ev = timing_evidence(ABILITY, X, times)
    assert (ev.rapid_count[0], ev.ability_timed[0]) == (5, 5)


def test_straight_lining_threshold() -> None:
    assert run_threshold(12) == 8  # max(8, 6)
    assert run_threshold(20) == 10
    assert run_threshold(21) == 11  # ceil(10.5)
    assert longest_run([[3, 3, NAN, 3, 3, 3]]).tolist() == [3]  # a skip breaks the run
    X = np.array(
        [
            [4, 4, 4, 4, 4, 4, 4, 4, 2, 1, 3, 5],  # run of 8 → flag
            [4, 4, 4, 4, 4, 4, 4, 2, 2, 1, 3, 5],  # run of 7 → no flag
        ],
        dtype=float,
    )
    flags = compute_flags(LIKERT, X, np.full(X.shape, 10.0))
    assert codes(flags[0]) == ["straight_lining"]
    assert flags[0][0].evidence == {
        "competency": "stress_resistance",
        "run": 8,
        "threshold": 8,
        "items": 12,
    }
    assert flags[1] == ()


def test_straight_lining_uses_raw_answers_not_reverse_keyed_scores() -> None:
    keys = [
        ItemKey(f"sr{i:02}", "stress_resistance", "likert", reverse=i % 2 == 0) for i in range(10)
    ]
    X = np.full((1, 10), 5.0)  # "5" everywhere: scores alternate 1/5, answers do not
    assert codes(compute_flags(keys, X)[0]) == ["straight_lining"]


def test_sections_and_counters() -> None:
    X = np.tile([3.0, 4.0], (1, 6))
    flags = compute_flags(
        LIKERT,
        X,
        sections=[
            [
                {"key": "analysis", "answered": 5, "total": 15, "status": "timed_out"},
                SectionProgress("business-sense", 12, 15, "ended_early"),  # 80 %: fine
                SectionProgress("communication", 3, 15, "left"),
            ]
        ],
        counters=[{"focus_losses": 6, "paste_attempts": 1, "ip_changes": 1, "ua_changes": 2}],
    )[0]
    assert codes(flags) == [
        "timed_out_section",
        "abandoned_section",
        "focus_loss",
        "paste_attempt",
        "ip_change",
        "ua_change",
    ]
    severity = {f.code: f.severity for f in flags}
    assert severity == {
        "timed_out_section": "info",  # the clock ended it: not a reason for suspicion
        "abandoned_section": "warning",
        "focus_loss": "warning",  # ≥ 5
        "paste_attempt": "info",  # < 3
        "ip_change": "info",
        "ua_change": "warning",
    }
    assert flags[0].message == (
        "Time ran out in section 'analysis' with 5 of 15 items answered while the candidate"
        " was still answering; its score will be incomplete."
    )
    assert flags[1].message == (
        "Section 'communication' left with 3 of 15 items answered (left);"
        " its score will be incomplete."
    )
    json.dumps([f.to_dict() for f in flags])


def test_flag_candidate_wrapper() -> None:
    keys = LIKERT + ABILITY
    answers = {k.id: 3 for k in LIKERT} | {k.id: "a" for k in ABILITY}
    times = {k.id: 1.0 for k in keys}
    flags = flag_candidate(
        keys,
        answers,
        times,
        likert_sequence=[3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2, 3],
        counters=PageCounters(focus_losses=1),
    )
    assert codes(flags) == ["speeding", "rapid_guessing", "straight_lining", "focus_loss"]
    assert flags[2].evidence == {"run": 9, "threshold": 8, "items": 12}


def test_flags_never_change_scores() -> None:
    keys = LIKERT + ABILITY
    X = np.zeros((1, 22))
    X[0, :12] = 5
    before = score_battery(keys, X, language_hurdle=None).scales.raw.copy()
    compute_flags(keys, X, np.full(X.shape, 0.5), counters=[{"focus_losses": 9}])
    np.testing.assert_array_equal(before, score_battery(keys, X, language_hurdle=None).scales.raw)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: compute_flags(LIKERT, np.ones((1, 12)), np.ones((1, 11))), "times"),
        (lambda: compute_flags(LIKERT, np.ones((1, 12)), -np.ones((1, 12))), "times"),
        (
            lambda: compute_flags(LIKERT, np.ones((1, 12)), counters=[{"focus_losses": -1}]),
            "counters.focus_losses",
        ),
        (lambda: compute_flags(LIKERT, np.ones((1, 12)), counters=[{"tabs": 1}]), "counters.tabs"),
        (lambda: compute_flags(LIKERT, np.ones((2, 12)), counters=[{}]), "counters"),
        (
            lambda: compute_flags(
                LIKERT, np.ones((1, 12)), sections=[[{"key": "s", "answered": 3, "total": 2}]]
            ),
            "sections['s'].answered",
        ),
        (lambda: flag_candidate(LIKERT, {}, {"zz": 1.0}), "times['zz']"),
    ],
)
def test_bad_flag_inputs(call, argument: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        call()
    assert str(info.value).startswith(argument + ":")
