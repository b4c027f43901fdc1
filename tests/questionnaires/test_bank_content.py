"""The shipped bank: every file valid, enough items, both languages, a 40-50 minute battery."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from questionnaires.loader import (
    BANK_DIR,
    LoadedQuestionnaire,
    collect,
    latest_versions,
    load_bank,
    questionnaire_files,
)
from questionnaires.problems import Problem
from questionnaires.rules import MIN_ITEMS, MIN_ITEMS_PER_CEFR_LEVEL, MIN_LANGUAGE_ITEMS
from questionnaires.schema import CEFR_LEVELS, LANGUAGES, LikertItem, SjtItem
from questionnaires.validate import format_report, validate_paths
from questionnaires.views import public_item

EXPECTED_KEYS = {
    "business-sense": "business_sense",
    "communication": "communication",
    "analysis": "analysis",
    "commercial-knowledge": "commercial_knowledge",
    "stress-resistance": "stress_resistance",
    "english": "languages",
}
LEAKS = {"score", "answer", "tolerance", "reverse", "rationale", "cefr", "competency"}
BANK_FILES = questionnaire_files([BANK_DIR])


@pytest.fixture(scope="module")
def latest() -> list[LoadedQuestionnaire]:
    """The latest version of every questionnaire that parses (problems are tested apart)."""
    loaded, _ = collect([BANK_DIR])
    return latest_versions(loaded)


def _current(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if not problem.legacy]


def test_bank_validates() -> None:
    problems = validate_paths([BANK_DIR])
    assert _current(problems) == [], format_report(problems, files=len(BANK_FILES))


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda path: path.name)
def test_each_file_validates_alone(path: Path) -> None:
    problems = validate_paths([path])
    assert _current(problems) == [], format_report(problems, files=1)


def test_only_the_v1_files_break_the_time_rule_and_they_stay_served() -> None:
    legacy = [problem for problem in validate_paths([BANK_DIR]) if problem.legacy]
    assert {problem.rule for problem in legacy} == {"section-time"}
    assert {Path(problem.file).name.split(".")[1] for problem in legacy} == {"v1"}
    # v1 business sense: 2,192 words at 180 a minute is 731 s before any thinking, in 540 s.
    assert any("business-sense.v1.yaml" in p.file and "540 s is shorter than the 1151 s"
               in p.message for p in legacy)
    served = {(q.key, q.version) for q in load_bank()}
    assert {("business-sense", 1), ("english", 1)} <= served


def test_every_competency_has_its_questionnaire(latest: list[LoadedQuestionnaire]) -> None:
    assert {item.key for item in latest} >= set(EXPECTED_KEYS)
    for loaded in latest:
        if loaded.key in EXPECTED_KEYS:
            competencies = {item.competency for _, item in loaded.questionnaire.iter_items()}
            assert competencies == {EXPECTED_KEYS[loaded.key]}, loaded.key


def test_items_per_competency(latest: list[LoadedQuestionnaire]) -> None:
    counts = Counter(item.competency for q in latest for _, item in q.questionnaire.iter_items())
    for competency, count in counts.items():
        needed = MIN_LANGUAGE_ITEMS if competency == "languages" else MIN_ITEMS
        assert count >= needed, f"{competency}: {count} items"
    levels = Counter(
        item.cefr
        for q in latest
        for _, item in q.questionnaire.iter_items()
        if item.competency == "languages"
    )
    assert all(levels[level] >= MIN_ITEMS_PER_CEFR_LEVEL for level in CEFR_LEVELS), levels


def test_stress_resistance_mix(latest: list[LoadedQuestionnaire]) -> None:
    [stress] = [q.questionnaire for q in latest if q.key == "stress-resistance"]
    items = [item for _, item in stress.iter_items()]
    likert = [item for item in items if isinstance(item, LikertItem)]
    reverse = sum(item.reverse for item in likert)
    assert 0.35 <= reverse / len(likert) <= 0.65, f"{reverse} of {len(likert)} reverse-keyed"
    assert 2 <= sum(isinstance(item, SjtItem) for item in items) <= 4


def test_both_languages_everywhere(latest: list[LoadedQuestionnaire]) -> None:
    for loaded in latest:
        q = loaded.questionnaire
        texts = [q.title, q.instructions]
        texts += [text for s in q.sections for text in (s.title, s.instructions)]
        for _, item in q.iter_items():
            if item.competency != "languages":
                texts += [text for _, text in item.texts()]
        for text in texts:
            assert all((text.get(lang) or "").strip() for lang in LANGUAGES), (loaded.key, text)


def test_no_prompt_repeated(latest: list[LoadedQuestionnaire]) -> None:
    seen: Counter[tuple[str, str, str | None]] = Counter()
    for loaded in latest:
        for _, item in loaded.questionnaire.iter_items():
            stimulus = item.stimulus.model_dump_json() if item.stimulus else None
            for lang in LANGUAGES:
                prompt = " ".join((item.prompt.get(lang) or "").split()).casefold()
                if prompt:
                    seen[(lang, prompt, stimulus)] += 1
    assert [key[1] for key, count in seen.items() if count > 1] == []


def test_battery_takes_40_to_50_minutes(latest: list[LoadedQuestionnaire]) -> None:
    total = sum(s.time_limit_s for q in latest for s in q.questionnaire.sections)
    per_file = {q.key: sum(s.time_limit_s for s in q.questionnaire.sections) for q in latest}
    assert 40 * 60 <= total <= 50 * 60, f"{total / 60:.1f} minutes: {per_file}"


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for inner in value.values() for key in _keys(inner)}
    if isinstance(value, list):
        return {key for inner in value for key in _keys(inner)}
    return set()


def test_public_items_never_leak_keys(latest: list[LoadedQuestionnaire]) -> None:
    assert latest, "the bank is empty"
    for loaded in latest:
        for section, item in loaded.questionnaire.iter_items():
            for language in LANGUAGES:
                view = json.loads(json.dumps(public_item(item, language, scale=section.scale)))
                assert not _keys(view) & LEAKS, item.id
                if item.rationale:
                    assert item.rationale not in json.dumps(view, ensure_ascii=False), item.id
