"""The impression-management check raises a flag, never changes a score."""

from __future__ import annotations

import pytest

from scoring import ItemKey, flag_candidate
from scoring.flags import idealized_answers, impression_management

KEYS = [ItemKey(f"dr{n}", "drive", "likert", reverse=n % 2 == 0) for n in range(12)]


@pytest.mark.parametrize(
    ("answers", "flagged"),
    [
        ([4, 4, 4, 4, 4, 4], True),  # mean 4.0: flagged from 4.0
        ([4, 4, 4, 4, 4, 3], False),  # mean 3.83, no 5
        ([5, 5, 5, 5, 1, 1], True),  # four at the top of the scale
        ([5, 5, 5, 2, 2, 2], False),  # three at the top, mean 3.5
        ([5, 5, 5, None, None, None], False),  # fewer than four answered: not evaluable
    ],
)
def test_idealized_answers_rule(answers: list[int | None], flagged: bool) -> None:
    assert (idealized_answers(answers) is not None) is flagged


def test_the_flag_is_reported_and_the_scores_stay() -> None:
    answers = {f"dr{n}": 3 for n in range(12)}
    plain = flag_candidate(KEYS, answers)
    flagged = flag_candidate(KEYS, answers, impression=[5, 5, 5, 5, 4, 4])
    assert [f.code for f in flagged] == [f.code for f in plain] + ["idealized_answers"]
    [flag] = [f for f in flagged if f.code == "idealized_answers"]
    assert flag.evidence["mean"] == pytest.approx(28 / 6)
    assert "unchanged" in flag.message


def test_group_evidence_by_hand() -> None:
    ev = impression_management([[5, 4, 4, 4, 4, 3], [1, 2, 2, 1, 2, 1]])
    assert ev["mean"].tolist() == pytest.approx([4.0, 1.5])
    assert ev["idealized"].tolist() == [True, False]
