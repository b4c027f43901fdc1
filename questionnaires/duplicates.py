"""Rules duplicate-id and duplicate-text: within a file, and across the files of the bank.

A new version of a questionnaire repeats the ids, section keys and texts of the previous one,
so across files only different questionnaires (different keys) can clash.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence

from questionnaires.problems import Problem
from questionnaires.schema import LANGUAGES, Questionnaire

Entry = tuple[str, Questionnaire]


def check_duplicates(entries: Sequence[Entry]) -> Iterator[Problem]:
    """Yield the duplicate-id and duplicate-text problems of the given files."""
    for file, questionnaire in entries:
        yield from _options(file, questionnaire)
    yield from _duplicate_questionnaires(entries)
    yield from _duplicate_section_keys(entries)
    yield from _duplicate_item_ids(entries)
    yield from _duplicate_prompts(entries)


def _options(file: str, q: Questionnaire) -> Iterator[Problem]:
    for _, item in (*q.iter_items(), *q.iter_practice()):
        options = getattr(item, "options", ())
        repeated = [key for key, n in Counter(o.id for o in options).items() if n > 1]
        for option_id in repeated:
            message = f"option id {option_id} is used more than once in the item"
            yield Problem(file, item.id, "duplicate-id", message)
        repeated_in = [
            language
            for language in LANGUAGES
            if _repeated(_normal(option.text.get(language)) for option in options)
        ]
        if repeated_in:
            message = f"two options have the same text ({', '.join(repeated_in)})"
            yield Problem(file, item.id, "duplicate-text", message)


Occurrence = tuple[int, str, str, str | None]  # entry index, questionnaire key, file, name


def _repeats(
    entries: Sequence[Entry],
    values: Callable[[Questionnaire], Iterable[tuple[Hashable, str | None]]],
) -> Iterator[tuple[Occurrence, Occurrence]]:
    """Yield (later, earlier) occurrences of the same value that clash."""
    seen: dict[Hashable, list[Occurrence]] = {}
    for index, (file, q) in enumerate(entries):
        for value, item in values(q):
            here: Occurrence = (index, q.key, file, item)
            earlier = seen.setdefault(value, [])
            clash = next((o for o in earlier if o[0] == index or o[1] != q.key), None)
            if clash is not None:
                yield here, clash
            earlier.append(here)


def _elsewhere(here: Occurrence, earlier: Occurrence) -> str:
    return "earlier in this file" if here[0] == earlier[0] else f"in {earlier[2]}"


def _duplicate_questionnaires(entries: Sequence[Entry]) -> Iterator[Problem]:
    seen: dict[tuple[str, int], str] = {}
    for file, q in entries:
        other = seen.setdefault((q.key, q.version), file)
        if other != file:
            message = f"questionnaire {q.key} v{q.version} is also defined in {other}"
            yield Problem(file, None, "duplicate-id", message)


def _duplicate_section_keys(entries: Sequence[Entry]) -> Iterator[Problem]:
    def values(q: Questionnaire) -> Iterator[tuple[Hashable, str | None]]:
        return ((section.key, section.key) for section in q.sections)

    for here, earlier in _repeats(entries, values):
        message = f"section key {here[3]} is already used {_elsewhere(here, earlier)}"
        yield Problem(here[2], None, "duplicate-id", message)


def _duplicate_item_ids(entries: Sequence[Entry]) -> Iterator[Problem]:
    def values(q: Questionnaire) -> Iterator[tuple[Hashable, str | None]]:
        items = (*q.iter_practice(), *q.iter_items())
        return ((item.id, item.id) for _, item in items)

    for here, earlier in _repeats(entries, values):
        message = f"item id {here[3]} is already used {_elsewhere(here, earlier)}"
        yield Problem(here[2], here[3], "duplicate-id", message)


def _duplicate_prompts(entries: Sequence[Entry]) -> Iterator[Problem]:
    def values(q: Questionnaire) -> Iterator[tuple[Hashable, str | None]]:
        for _, item in q.iter_items():
            stimulus = item.stimulus.model_dump_json() if item.stimulus else None
            for language in LANGUAGES:
                prompt = _normal(item.prompt.get(language))
                if prompt:
                    yield (language, prompt, stimulus), item.id

    reported: set[tuple[int, str | None]] = set()
    for here, earlier in _repeats(entries, values):
        if (here[0], here[3]) in reported:
            continue
        reported.add((here[0], here[3]))
        message = f"the same prompt as item {earlier[3]} {_elsewhere(here, earlier)}"
        yield Problem(here[2], here[3], "duplicate-text", message)


def _repeated(values: Iterable[str]) -> bool:
    counts = Counter(value for value in values if value)
    return any(count > 1 for count in counts.values())


def _normal(text: str | None) -> str:
    return " ".join(text.split()).casefold() if text else ""
