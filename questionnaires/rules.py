"""Semantic rules of the bank: each names the file, the item and a stable rule code.

Structural rules (yaml-syntax, schema and the pydantic-backed parts of section-time-limit,
unknown-competency, numeric-answer, option-count, cefr-required) are reported by
``questionnaires.parsing``, duplicate-id and duplicate-text by ``questionnaires.duplicates``;
the rules here run on each questionnaire that parsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from questionnaires.duplicates import check_duplicates
from questionnaires.problems import Problem
from questionnaires.schema import (
    CEFR_LEVELS,
    LANGUAGE_COMPETENCY,
    LANGUAGES,
    Item,
    LikertItem,
    LocalizedText,
    Questionnaire,
    Section,
    SingleChoiceItem,
    SjtItem,
)

Entry = tuple[str, Questionnaire]

MIN_ITEMS = 12
MIN_LANGUAGE_ITEMS = 20
MIN_ITEMS_PER_CEFR_LEVEL = 4
SJT_SCORES = range(0, 4)
# Options are shown in a per-candidate random order, so an option cannot point at the others.
OPTION_REFERENCE = re.compile(
    r"\b(all|none|both|either|neither) (of )?the (above|previous|others|other options)\b"
    r"|\b(tutte|nessuna|entrambe) (le|delle) (risposte |opzioni |alternative )?"
    r"(precedenti|sopra)\b",
    re.IGNORECASE,
)

RULES: dict[str, str] = {
    "file-read": "the path exists and holds questionnaire files",
    "yaml-syntax": "the file is valid YAML without repeated keys",
    "schema": "the file has the structure of FORMAT.md (fields, types, no unknown fields)",
    "file-name": "the file is named <key>.v<version>.yaml",
    "duplicate-id": "item ids, section keys, questionnaire key+version unique in the bank; "
    "option ids unique in the item",
    "duplicate-text": "no prompt (with its stimulus) twice in the bank, no option text twice "
    "in an item",
    "missing-translation": "every text has non-blank it and en; language items the target language",
    "target-language": "target_language is set exactly when there are language items, and "
    "language items are written in it only",
    "unknown-competency": "competency is one of the six of the competency model",
    "section-time-limit": "every section has time_limit_s > 0",
    "option-count": "single_choice has 3-5 options, sjt exactly 4",
    "keyed-one-correct": "a single_choice item has exactly one option scoring 1, the rest 0",
    "sjt-distinct-scores": "sjt options carry distinct expert scores 0-3",
    "likert-no-reverse": "a section with likert items has at least one reverse-keyed item",
    "likert-scale": "a section with likert items has a scale with max-min+1 labels in it and "
    "en; only such sections have a scale",
    "option-reference": "no option refers to the others (all of the above, tutte le "
    "precedenti): options are shuffled",
    "numeric-answer": "numeric items have answer and tolerance >= 0",
    "cefr-required": "language items carry cefr A2-C1, other items do not",
    "too-few-items": f"per competency in a file at least {MIN_ITEMS} items; languages "
    f"{MIN_LANGUAGE_ITEMS} with {MIN_ITEMS_PER_CEFR_LEVEL} at each of A2, B1, B2, C1",
}


def check(entries: Sequence[Entry]) -> list[Problem]:
    """Return the problems of parsed questionnaires, per file and across the given files."""
    problems: list[Problem] = []
    for file, questionnaire in entries:
        for rule in _PER_FILE:
            problems.extend(rule(file, questionnaire))
    problems.extend(check_duplicates(entries))
    order = {file: index for index, (file, _) in enumerate(entries)}
    return sorted(problems, key=lambda problem: order.get(problem.file, len(order)))


def is_language_item(item: Item) -> bool:
    """Return True for items of the languages competency (written in the target language)."""
    return item.competency == LANGUAGE_COMPETENCY


def _file_name(file: str, q: Questionnaire) -> Iterator[Problem]:
    expected = f"{q.key}.v{q.version}.yaml"
    if Path(file).name != expected:
        yield Problem(file, None, "file-name", f"the file must be named {expected}")


def _keyed_one_correct(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in q.iter_items():
        if isinstance(item, SingleChoiceItem):
            scores = [option.score for option in item.options]
            if sorted(scores) != [0] * (len(scores) - 1) + [1]:
                message = f"exactly one option must score 1 and the others 0 (got {_join(scores)})"
                yield Problem(file, item.id, "keyed-one-correct", message)


def _sjt_distinct_scores(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in q.iter_items():
        if isinstance(item, SjtItem):
            scores = [option.score for option in item.options]
            if len(set(scores)) != len(scores) or any(s not in SJT_SCORES for s in scores):
                message = f"options must carry distinct expert scores 0-3 (got {_join(scores)})"
                yield Problem(file, item.id, "sjt-distinct-scores", message)


def _likert_items(section: Section) -> list[LikertItem]:
    return [item for item in section.items if isinstance(item, LikertItem)]


def _likert_no_reverse(file: str, q: Questionnaire) -> Iterator[Problem]:
    for section in q.sections:
        likert = _likert_items(section)
        if likert and not any(item.reverse for item in likert):
            message = (
                f"section {section.key}: none of its {len(likert)} likert items is "
                "reverse-keyed; add at least one with reverse: true"
            )
            yield Problem(file, None, "likert-no-reverse", message)


def _likert_scale(file: str, q: Questionnaire) -> Iterator[Problem]:
    for section in q.sections:
        where = f"section {section.key}"
        has_likert = bool(_likert_items(section))
        if section.scale is None:
            if has_likert:
                message = f"{where}: likert items need the section's scale (min, max, labels)"
                yield Problem(file, None, "likert-scale", message)
            continue
        if not has_likert:
            message = f"{where}: has a scale but no likert items; remove the scale"
            yield Problem(file, None, "likert-scale", message)
        points = section.scale.points()
        for language in LANGUAGES:
            labels = getattr(section.scale.labels, language)
            if labels is None:
                message = f"{where}: scale labels in {language} are missing"
            elif len(labels) != points:
                message = (
                    f"{where}: the scale has {points} points ({section.scale.min}-"
                    f"{section.scale.max}) but {len(labels)} {language} labels"
                )
            elif any(not label.strip() for label in labels):
                message = f"{where}: a scale label in {language} is blank"
            else:
                continue
            yield Problem(file, None, "likert-scale", message)


def _both_languages(
    file: str, item: str | None, where: str, text: LocalizedText
) -> Iterator[Problem]:
    for language in LANGUAGES:
        value = text.get(language)
        if value is None or not value.strip():
            state = "lacks" if value is None else "has a blank"
            message = f"{where} {state} {language} text"
            yield Problem(file, item, "missing-translation", message)


def _missing_translation(file: str, q: Questionnaire) -> Iterator[Problem]:
    yield from _both_languages(file, None, "title", q.title)
    yield from _both_languages(file, None, "instructions", q.instructions)
    for section in q.sections:
        yield from _both_languages(file, None, f"section {section.key}: title", section.title)
        where = f"section {section.key}: instructions"
        yield from _both_languages(file, None, where, section.instructions)
        for item in section.items:
            if is_language_item(item):
                yield from _target_language_texts(file, q, item)
            else:
                for label, text in item.texts():
                    yield from _both_languages(file, item.id, label, text)


def _target_language_texts(file: str, q: Questionnaire, item: Item) -> Iterator[Problem]:
    target = q.target_language
    if target is None:
        return  # reported once by _target_language
    for label, text in item.texts():
        value = text.get(target)
        if value is None or not value.strip():
            state = "lacks" if value is None else "has a blank"
            message = f"{label} {state} {target} text (language items are in the target language)"
            yield Problem(file, item.id, "missing-translation", message)
        others = [lang for lang in LANGUAGES if lang != target and text.get(lang) is not None]
        if others:
            message = (
                f"{label}: language items are written in {target} only; remove the {others[0]} text"
            )
            yield Problem(file, item.id, "target-language", message)


def _target_language(file: str, q: Questionnaire) -> Iterator[Problem]:
    has_language_items = any(is_language_item(item) for _, item in q.iter_items())
    if has_language_items and q.target_language is None:
        message = "a questionnaire with languages items needs target_language (e.g. en)"
        yield Problem(file, None, "target-language", message)
    if q.target_language is not None and not has_language_items:
        message = "target_language is only for a questionnaire of languages items; remove it"
        yield Problem(file, None, "target-language", message)


def _cefr_required(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in q.iter_items():
        if is_language_item(item) and item.cefr is None:
            message = f"language items need cefr: one of {_join(CEFR_LEVELS)}"
            yield Problem(file, item.id, "cefr-required", message)
        if not is_language_item(item) and item.cefr is not None:
            message = f"cefr is only for language items; remove it from a {item.competency} item"
            yield Problem(file, item.id, "cefr-required", message)


def _too_few_items(file: str, q: Questionnaire) -> Iterator[Problem]:
    counts = Counter(item.competency for _, item in q.iter_items())
    for competency, count in counts.items():
        needed = MIN_LANGUAGE_ITEMS if competency == LANGUAGE_COMPETENCY else MIN_ITEMS
        if count < needed:
            message = f"competency {competency} has {count} items; at least {needed} are needed"
            yield Problem(file, None, "too-few-items", message)
    if LANGUAGE_COMPETENCY in counts:
        levels = Counter(item.cefr for _, item in q.iter_items() if is_language_item(item))
        short = [
            f"{level}: {levels[level]}"
            for level in CEFR_LEVELS
            if levels[level] < MIN_ITEMS_PER_CEFR_LEVEL
        ]
        if short:
            message = (
                f"language items need at least {MIN_ITEMS_PER_CEFR_LEVEL} at each CEFR level "
                f"(too few at {', '.join(short)})"
            )
            yield Problem(file, None, "too-few-items", message)


def _option_reference(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in q.iter_items():
        for option in getattr(item, "options", ()):
            for language in LANGUAGES:
                match = OPTION_REFERENCE.search(option.text.get(language) or "")
                if match:
                    message = (
                        f"option {option.id} refers to the other options ({match[0]!r}); "
                        "options are shown in random order, so give each its own content"
                    )
                    yield Problem(file, item.id, "option-reference", message)


_PER_FILE: tuple[Callable[[str, Questionnaire], Iterable[Problem]], ...] = (
    _file_name,
    _missing_translation,
    _target_language,
    _cefr_required,
    _option_reference,
    _keyed_one_correct,
    _sjt_distinct_scores,
    _likert_no_reverse,
    _likert_scale,
    _too_few_items,
)


def _join(values: Iterable[object]) -> str:
    return ", ".join(str(value) for value in values)
