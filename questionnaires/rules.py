"""Semantic rules of the bank: each names the file, the item and a stable rule code.

Structural rules (yaml-syntax, schema and the pydantic-backed parts of section-time-limit,
unknown-competency, numeric-answer, option-count, cefr-required) are reported by
``questionnaires.parsing``, duplicate-id and duplicate-text by ``questionnaires.duplicates``;
the rules here run on each questionnaire that parsed.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from questionnaires.duplicates import check_duplicates
from questionnaires.problems import Problem
from questionnaires.schema import (
    LANGUAGES,
    ChoiceItem,
    Item,
    LikertItem,
    LocalizedText,
    Questionnaire,
    Section,
    SingleChoiceItem,
    SjtItem,
)
from questionnaires.timing import BATTERY_LIMIT_S, WORDS_PER_MINUTE, section_timing
from scoring.vocabulary import CEFR_LEVELS, LANGUAGE_COMPETENCY

Entry = tuple[str, Questionnaire]

MIN_ITEMS = 12
MIN_LANGUAGE_ITEMS = 20
MIN_ITEMS_PER_CEFR_LEVEL = 4
SJT_SCORES = range(0, 4)
#: Format 2: scored items each competency's pool must hold (Likert scales: 12).
MIN_POOL = {
    "business_sense": 20,
    "communication": 20,
    "commercial_knowledge": 20,
    "analysis": 18,
    "stress_resistance": 12,
    "drive": 12,
}
MIN_POOL_PER_CEFR_LEVEL = 10
#: A pool holds at least this many times the items of a form.
POOL_FACTOR = 1.5
#: Panel ratings of the best option with a larger SD (n - 1) mean the panel disagrees.
PANEL_MAX_SD = 1.0
MIN_RATERS = 3
#: Practice items per section (format 2).
PRACTICE_ITEMS = range(1, 3)
#: Rules of delivery that bank v2 introduced: published format-1 files (the v1 bank) break
#: them and stay served unchanged (a published version never changes).
DELIVERY_RULES = frozenset({"section-time"})
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
    "unknown-competency": "competency is one of the seven of the competency model",
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
    f"{MIN_LANGUAGE_ITEMS} with {MIN_ITEMS_PER_CEFR_LEVEL} at each of A2, B1, B2, C1 (format 2: "
    "SJT competencies and commercial knowledge 20 scored items, analysis 18, Likert scales "
    f"12, each language {MIN_POOL_PER_CEFR_LEVEL} per CEFR level)",
    "option-score": "keyed and single-response SJT options carry score; best/worst SJT "
    "options carry panel ratings and effectiveness instead",
    "sjt-best-worst": "a best/worst SJT has panel ratings (the same raters for every option, "
    "1-4) whose mean is each option's effectiveness, and one best option (a tie for the worst "
    "is allowed: either choice scores the same)",
    "panel-disagreement": f"the panel's ratings of the best option have an SD of at most "
    f"{PANEL_MAX_SD:g} (rewrite or drop the item otherwise)",
    "practice": "format 2: each section opens with 1-2 practice items, each with feedback "
    "(and only practice items have feedback)",
    "item-metadata": "format 2: scored items carry difficulty and 1-3 tags, language items "
    "their skill; purpose only on likert items; enemies name other items of the file",
    "form-length": f"format 2: each section draws forms from a pool at least {POOL_FACTOR:g} "
    "times the form (form_length, or form_by_hurdle for language sections)",
    "section-time": f"the limit covers reading at {WORDS_PER_MINUTE} words a minute (longer "
    "language; instructions, stems, options, stimuli of the longest form and its practice) "
    "plus working time per item",
    "battery-time": f"the default battery (latest versions marked default_battery, one "
    f"language test) takes at most {BATTERY_LIMIT_S // 60} minutes",
}


def check(entries: Sequence[Entry]) -> list[Problem]:
    """Return the problems of parsed questionnaires, per file and across the given files.

    A delivery rule broken by a format-1 file (the v1 bank, published before bank v2's rules)
    comes back marked ``legacy``: reported, never a reason to refuse serving the version.
    """
    problems: list[Problem] = []
    for file, questionnaire in entries:
        for rule in _PER_FILE:
            for problem in rule(file, questionnaire):
                if problem.rule in DELIVERY_RULES and questionnaire.format < 2:
                    problem = replace(problem, legacy=True)
                problems.append(problem)
    problems.extend(check_duplicates(entries))
    problems.extend(_battery_time(entries))
    order = {file: index for index, (file, _) in enumerate(entries)}
    return sorted(problems, key=lambda problem: order.get(problem.file, len(order)))


def default_battery(questionnaires: Iterable[Questionnaire]) -> list[Questionnaire]:
    """The latest version of each questionnaire marked ``default_battery``, by key."""
    latest: dict[str, Questionnaire] = {}
    for q in questionnaires:
        if q.key not in latest or q.version > latest[q.key].version:
            latest[q.key] = q
    return [latest[key] for key in sorted(latest) if latest[key].default_battery]


def battery_seconds(questionnaires: Iterable[Questionnaire]) -> tuple[int, dict[str, int]]:
    """Total limits of the default battery (one language test: the longest) and per key."""
    battery = default_battery(questionnaires)
    per_key = {q.key: sum(s.time_limit_s for s in q.sections) for q in battery}
    languages = [q.key for q in battery if q.target_language is not None]
    longest = max((per_key[key] for key in languages), default=0)
    total = sum(v for k, v in per_key.items() if k not in languages) + longest
    return total, per_key


def _battery_time(entries: Sequence[Entry]) -> Iterator[Problem]:
    total, per_key = battery_seconds(q for _, q in entries)
    if total > BATTERY_LIMIT_S:
        parts = ", ".join(f"{key} {seconds / 60:.1f}" for key, seconds in per_key.items())
        file = next(f for f, q in entries if q.default_battery)
        message = (
            f"the default battery takes {total / 60:.1f} minutes of limits (one language "
            f"test counted), more than {BATTERY_LIMIT_S // 60}: {parts}"
        )
        yield Problem(file, None, "battery-time", message)


def is_language_item(item: Item) -> bool:
    """Return True for items of the languages competency (written in the target language)."""
    return item.competency == LANGUAGE_COMPETENCY


def _file_name(file: str, q: Questionnaire) -> Iterator[Problem]:
    expected = f"{q.key}.v{q.version}.yaml"
    if Path(file).name != expected:
        yield Problem(file, None, "file-name", f"the file must be named {expected}")


def _all_items(q: Questionnaire) -> Iterator[tuple[Section, Item]]:
    """Scored items and practice items (practice items follow the rules of their type)."""
    yield from q.iter_items()
    yield from q.iter_practice()


def _keyed_one_correct(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in _all_items(q):
        if isinstance(item, SingleChoiceItem):
            scores = [option.score for option in item.options]
            if any(score is None for score in scores):
                continue  # reported by option-score
            if sorted(s for s in scores if s is not None) != [0] * (len(scores) - 1) + [1]:
                message = f"exactly one option must score 1 and the others 0 (got {_join(scores)})"
                yield Problem(file, item.id, "keyed-one-correct", message)


def _sjt_distinct_scores(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in _all_items(q):
        if isinstance(item, SjtItem) and not item.best_worst:
            scores = [option.score for option in item.options]
            if any(score is None for score in scores):
                continue  # reported by option-score
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
        for item in (*section.practice, *section.items):
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
    for _, item in _all_items(q):
        if is_language_item(item) and item.cefr is None:
            message = f"language items need cefr: one of {_join(CEFR_LEVELS)}"
            yield Problem(file, item.id, "cefr-required", message)
        if not is_language_item(item) and item.cefr is not None:
            message = f"cefr is only for language items; remove it from a {item.competency} item"
            yield Problem(file, item.id, "cefr-required", message)


def _too_few_items(file: str, q: Questionnaire) -> Iterator[Problem]:
    if q.format >= 2:
        yield from _too_few_pool_items(file, q)
        return
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


def _too_few_pool_items(file: str, q: Questionnaire) -> Iterator[Problem]:
    scored = [item for _, item in q.iter_items() if item.scored]
    for competency, count in Counter(item.competency for item in scored).items():
        needed = MIN_POOL.get(competency)
        if needed is not None and count < needed:
            message = f"the {competency} pool has {count} scored items; at least {needed}"
            yield Problem(file, None, "too-few-items", message)
    levels = Counter(item.cefr for item in scored if is_language_item(item))
    if levels:
        short = [f"{level}: {levels[level]}" for level in CEFR_LEVELS
                 if levels[level] < MIN_POOL_PER_CEFR_LEVEL]
        if short:
            message = (
                f"the language pool needs at least {MIN_POOL_PER_CEFR_LEVEL} items at each CEFR "
                f"level (too few at {', '.join(short)})"
            )
            yield Problem(file, None, "too-few-items", message)


def _option_reference(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in _all_items(q):
        for option in getattr(item, "options", ()):
            for language in LANGUAGES:
                match = OPTION_REFERENCE.search(option.text.get(language) or "")
                if match:
                    message = (
                        f"option {option.id} refers to the other options ({match[0]!r}); "
                        "options are shown in random order, so give each its own content"
                    )
                    yield Problem(file, item.id, "option-reference", message)


def _option_score(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in _all_items(q):
        if not isinstance(item, ChoiceItem):
            continue
        best_worst = isinstance(item, SjtItem) and item.best_worst
        for option in item.options:
            if best_worst and option.score is not None:
                message = (
                    f"option {option.id}: a best/worst SJT is scored from the panel's "
                    "effectiveness; remove score"
                )
            elif not best_worst and option.score is None:
                message = f"option {option.id} needs a score"
            elif not best_worst and (option.panel is not None or option.effectiveness is not None):
                message = (
                    f"option {option.id}: panel and effectiveness are for best/worst SJTs "
                    "(response: best_worst)"
                )
            else:
                continue
            yield Problem(file, item.id, "option-score", message)


def panel_summary(item: SjtItem) -> dict[str, tuple[float, float]]:
    """Option id -> (mean, SD with n - 1) of the panel's ratings (options with ratings)."""
    return {
        option.id: (statistics.fmean(option.panel), statistics.stdev(option.panel))
        for option in item.options
        if option.panel and len(option.panel) >= 2
    }


def _sjt_best_worst(file: str, q: Questionnaire) -> Iterator[Problem]:
    practice = {item.id for _, item in q.iter_practice()}
    for _, item in _all_items(q):
        if not isinstance(item, SjtItem) or not item.best_worst:
            continue
        rule = "sjt-best-worst"
        missing = [o.id for o in item.options if o.effectiveness is None]
        if missing:
            yield Problem(file, item.id, rule, f"options {', '.join(missing)} need effectiveness")
            continue
        raters = {len(o.panel) for o in item.options if o.panel is not None}
        unrated = [o.id for o in item.options if o.panel is None]
        if item.id not in practice and (unrated or raters != {max(raters, default=0)}):
            message = "every option needs the same raters' panel ratings"
            yield Problem(file, item.id, rule, message)
        elif item.id not in practice and min(raters) < MIN_RATERS:
            message = f"the panel needs at least {MIN_RATERS} raters (got {min(raters)})"
            yield Problem(file, item.id, rule, message)
        for option in item.options:
            # A panel comes only with an effectiveness (schema validator).
            if option.panel and option.effectiveness is not None:
                mean = statistics.fmean(option.panel)
                if abs(mean - option.effectiveness) > 0.005:
                    message = (
                        f"option {option.id}: effectiveness {option.effectiveness:g} is not the "
                        f"mean of the panel's ratings {list(option.panel)} ({mean:.2f})"
                    )
                    yield Problem(file, item.id, rule, message)
        if item.keyed_best_worst() is None:
            values = ", ".join(f"{o.id} {o.effectiveness:g}" for o in item.options)
            message = f"the key needs one best option, without a tie ({values})"
            yield Problem(file, item.id, rule, message)


def _panel_disagreement(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in q.iter_items():
        if not isinstance(item, SjtItem) or not item.best_worst:
            continue
        key = item.keyed_best_worst()
        summary = panel_summary(item)
        if key is None or key[0] not in summary:
            continue
        _mean, sd = summary[key[0]]
        if sd > PANEL_MAX_SD:
            ratings = next(o.panel for o in item.options if o.id == key[0])
            message = (
                f"the panel disagrees on the best option {key[0]} (ratings {list(ratings or ())}, "
                f"SD {sd:.2f} > {PANEL_MAX_SD:g}); rewrite or drop the item"
            )
            yield Problem(file, item.id, "panel-disagreement", message)


def _practice(file: str, q: Questionnaire) -> Iterator[Problem]:
    for section in q.sections:
        if q.format >= 2 and len(section.practice) not in PRACTICE_ITEMS:
            message = (
                f"section {section.key}: needs {PRACTICE_ITEMS.start}-{PRACTICE_ITEMS.stop - 1} "
                f"practice items (has {len(section.practice)})"
            )
            yield Problem(file, None, "practice", message)
        for item in section.practice:
            if item.feedback is None:
                message = "a practice item needs feedback, shown after the candidate answers"
                yield Problem(file, item.id, "practice", message)
        for item in section.items:
            if item.feedback is not None:
                message = "only practice items have feedback (scored items give none)"
                yield Problem(file, item.id, "practice", message)


def _item_metadata(file: str, q: Questionnaire) -> Iterator[Problem]:
    ids = {item.id for _, item in q.iter_items()}
    for _, item in q.iter_items():
        rule = "item-metadata"
        if item.purpose is not None and not isinstance(item, LikertItem):
            yield Problem(file, item.id, rule, "purpose is only for likert items")
        for enemy in item.enemies:
            if enemy == item.id or enemy not in ids:
                message = f"enemy {enemy} is not another item of this file"
                yield Problem(file, item.id, rule, message)
        if q.format < 2 or not item.scored:
            continue
        if item.difficulty is None and item.type != "likert":
            message = "needs difficulty (easy, medium or hard) for balanced forms"
            yield Problem(file, item.id, rule, message)
        if item.type != "likert" and not 1 <= len(item.tags) <= 3:
            yield Problem(file, item.id, rule, f"needs 1-3 tags (has {len(item.tags)})")
        if is_language_item(item) and item.skill is None:
            message = "language items need skill (grammar, vocabulary, reading or function)"
            yield Problem(file, item.id, rule, message)


def _form_length(file: str, q: Questionnaire) -> Iterator[Problem]:
    for section in q.sections:
        where = f"section {section.key}"
        scored = [item for item in section.items if item.scored]
        pool = len(scored)
        if section.form_length is not None and section.form_by_hurdle:
            message = f"{where}: form_length and form_by_hurdle exclude each other"
            yield Problem(file, None, "form-length", message)
            continue
        if section.form_by_hurdle:
            if not any(is_language_item(item) for item in scored):
                message = f"{where}: form_by_hurdle is for language sections"
                yield Problem(file, None, "form-length", message)
            levels = Counter(item.cefr for item in scored)
            for hurdle, counts in section.form_by_hurdle.items():
                for level, count in counts.items():
                    if count > levels[level]:
                        message = (
                            f"{where}: the form for hurdle {hurdle} takes {count} {level} "
                            f"items but the pool has {levels[level]}"
                        )
                        yield Problem(file, None, "form-length", message)
        if q.format < 2:
            continue
        lengths = section.form_lengths()
        if section.form_length is None and not section.form_by_hurdle:
            message = f"{where}: set form_length (each candidate gets a form drawn from the pool)"
            yield Problem(file, None, "form-length", message)
        elif pool < POOL_FACTOR * max(lengths) - 1e-9:
            message = (
                f"{where}: the pool holds {pool} scored items, fewer than {POOL_FACTOR:g} x "
                f"the form of {max(lengths)}"
            )
            yield Problem(file, None, "form-length", message)


def _section_time(file: str, q: Questionnaire) -> Iterator[Problem]:
    for section in q.sections:
        timing = section_timing(section)
        if not timing.fits:
            message = (
                f"section {section.key}: the limit {timing.time_limit_s} s is shorter than the "
                f"{timing.needed_s} s needed: {timing.words} words at {WORDS_PER_MINUTE} a minute "
                f"= {timing.reading_s:.0f} s of reading + {timing.working_s} s of work "
                f"({timing.form_items} items on a form, {timing.practice_items} practice)"
            )
            yield Problem(file, None, "section-time", message)


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
    _option_score,
    _sjt_best_worst,
    _panel_disagreement,
    _practice,
    _item_metadata,
    _form_length,
    _section_time,
)


def _join(values: Iterable[object]) -> str:
    return ", ".join(str(value) for value in values)
