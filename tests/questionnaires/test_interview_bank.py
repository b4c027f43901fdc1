"""The structured interview bank: complete for every competency and flag, strictly checked,
and every problem named by file, question and rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from questionnaires.interview_bank import (
    INTERVIEW_DIR,
    collect_interview_bank,
    load_interview_bank,
    placeholders,
)
from questionnaires.problems import InvalidQuestionnaireError
from scoring import COMPETENCY_KEYS
from scoring.flags import FLAG_CODES


def test_every_competency_and_every_flag_has_questions_in_both_languages():
    bank = load_interview_bank()
    for key in COMPETENCY_KEYS:
        questions = bank.for_competency(key)
        assert questions is not None, key
        assert len(questions.questions) >= 3
        for question in questions.questions:
            for text in (question.question, question.good_answer, question.weak_answer):
                assert text.it and text.en and text.it != text.en
    for code in FLAG_CODES:
        entry = bank.for_flag(code)
        assert entry is not None, code
        assert len(entry.follow_ups) >= 2
        assert all(f.reassuring.en and f.worrying.it for f in entry.follow_ups)
    assert bank.guide.guide.it and bank.note.en
    assert bank.for_flag("paste_attempts") is bank.for_flag("paste_attempt")  # an alias


def test_question_ids_are_unique_across_the_bank():
    bank = load_interview_bank()
    ids = [q.id for c in bank.competencies.values() for q in c.questions]
    assert len(ids) == len(set(ids))


def test_placeholders_are_what_the_interviewer_fills_in():
    assert placeholders("Tell me about [the weakest area] and [a client]") == [
        "the weakest area", "a client"]


def test_a_broken_file_is_named_with_its_question_and_rule(tmp_path: Path):
    copy = tmp_path / "interview"
    shutil.copytree(INTERVIEW_DIR, copy)
    analysis = copy / "analysis.yaml"
    text = analysis.read_text(encoding="utf-8")
    # The English of iv-an-02's question goes missing; an unknown field appears in iv-an-03.
    text = text.replace(
        '      en: "Tell me about a time the figures told a different story', '      xx: "Tell', 1)
    text = text.replace("  - id: iv-an-03\n", "  - id: iv-an-03\n    difficulty: hard\n", 1)
    analysis.write_text(text, encoding="utf-8")
    (copy / "stress-resistance.yaml").rename(copy / "stress.yaml")
    bank, problems = collect_interview_bank(copy)
    assert bank is None
    found = {(Path(p.file).name, p.item, p.rule) for p in problems}
    assert ("analysis.yaml", "iv-an-02", "schema") in found
    assert ("analysis.yaml", "iv-an-03", "schema") in found
    assert ("stress.yaml", None, "file-name") in found
    messages = " ".join(str(p) for p in problems)
    assert "questions.1.question.en" in messages and "difficulty" in messages
    with pytest.raises(InvalidQuestionnaireError, match=r"analysis\.yaml: item iv-an-02"):
        load_interview_bank.__wrapped__(copy)
