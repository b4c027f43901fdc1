"""How long a section needs: reading time at 180 words a minute plus working time per item.

The delivery rule of bank v2 (issue 13, SPEC §2): sections are power tests, not reading
races, so a section's limit must cover

* its reading time at :data:`WORDS_PER_MINUTE`: the section instructions and, for every item
  a candidate can meet, the stem, the options and the stimulus (caption, column headers,
  cells, passage), counted in the longer of the two languages (language items in the one
  language they are written in);
* plus a working time per item (:func:`working_seconds`).

A section with a pool counts the longest form a candidate can be given: every form has the
same blueprint (``questionnaires.forms``), so that is the items needing the most time within
each stratum of the blueprint (for a language section, for the hurdle whose form is longest),
plus the impression-management checks that every form carries and the practice items, which
run inside the section's clock.

A word is a whitespace-separated token holding at least one letter or digit ("€", "–" and
"%" alone are not words; "3.400", "k€" and "l'ordine" are one word each).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from questionnaires.schema import (
    LANGUAGES,
    ChoiceItem,
    Item,
    LocalizedText,
    NumericItem,
    Questionnaire,
    Section,
)
from scoring.vocabulary import LANGUAGE_COMPETENCY

WORDS_PER_MINUTE = 180
#: Working time per item, on top of reading (seconds). Numeric reasoning: numeric items,
#: analysis items and any item tagged ``calculation``.
WORK_SECONDS = {
    "numeric": 60,
    "calculation": 45,
    "sjt": 30,
    "language": 20,
    "knowledge": 15,
    "likert": 5,
}
#: The default battery's limits may add up to at most this (issue 13).
BATTERY_LIMIT_S = 60 * 60

_WORD = re.compile(r"\w")


def count_words(text: str | None) -> int:
    """Words in ``text``: whitespace tokens that hold a letter or a digit.

    >>> count_words("Il cliente paga 3.400 € a 60 giorni – subito.")
    8
    """
    return sum(1 for token in (text or "").split() if _WORD.search(token))


def _texts(item: Item) -> Iterable[LocalizedText | str | int | float]:
    yield item.prompt
    if isinstance(item, ChoiceItem):
        yield from (option.text for option in item.options)
    if isinstance(item, NumericItem) and item.unit is not None:
        yield item.unit
    stimulus = item.stimulus
    if stimulus is not None:
        yield from (part for part in (stimulus.caption, stimulus.passage) if part is not None)
        yield from stimulus.columns or ()
        yield from (cell for row in stimulus.rows or () for cell in row)


def item_words(item: Item) -> int:
    """Words a candidate reads for ``item``, in the longer of the languages it is written in."""
    totals = dict.fromkeys(LANGUAGES, 0)
    for text in _texts(item):
        for language in LANGUAGES:
            if isinstance(text, LocalizedText):
                totals[language] += count_words(text.get(language))
            else:
                totals[language] += count_words(str(text))
    if item.competency == LANGUAGE_COMPETENCY:
        present = [lang for lang in LANGUAGES if item.prompt.get(lang) is not None]
        return max((totals[lang] for lang in present), default=0)
    return max(totals.values())


def work_kind(item: Item) -> str:
    """The working-time class of an item (a key of :data:`WORK_SECONDS`)."""
    if item.type == "numeric":
        return "numeric"
    if item.competency == "analysis" or "calculation" in item.tags:
        return "calculation"
    if item.type == "sjt":
        return "sjt"
    if item.competency == LANGUAGE_COMPETENCY:
        return "language"
    if item.type == "likert":
        return "likert"
    return "knowledge"


def working_seconds(item: Item) -> int:
    """Working time of an item on top of reading (see :data:`WORK_SECONDS`)."""
    return WORK_SECONDS[work_kind(item)]


def reading_seconds(words: int) -> float:
    """Seconds to read ``words`` at :data:`WORDS_PER_MINUTE`."""
    return words * 60 / WORDS_PER_MINUTE


def item_seconds(item: Item) -> float:
    """Reading plus working time of one item."""
    return reading_seconds(item_words(item)) + working_seconds(item)


@dataclass(frozen=True, slots=True)
class SectionTiming:
    """The numbers behind a section's time rule (for the longest form it can give)."""

    key: str
    time_limit_s: int
    form_items: int
    practice_items: int
    checks: int
    words: int
    reading_s: float
    working_s: int

    @property
    def needed_s(self) -> int:
        """Reading plus working time, rounded up to the second."""
        return math.ceil(self.reading_s + self.working_s - 1e-9)

    @property
    def fits(self) -> bool:
        """True when the limit covers reading and working time."""
        return self.time_limit_s >= self.needed_s


def longest_form(section: Section) -> list[Item]:
    """The items of the form that needs the most time (scored items and checks)."""
    from questionnaires.forms import longest_form as longest  # forms imports this module

    return longest(section, item_seconds)


def section_timing(section: Section) -> SectionTiming:
    """Reading and working time of a section's longest form, practice and instructions."""
    form = longest_form(section)
    shown = [*section.practice, *form]
    instructions = max(count_words(section.instructions.get(lang)) for lang in LANGUAGES)
    words = instructions + sum(item_words(item) for item in shown)
    return SectionTiming(
        key=section.key,
        time_limit_s=section.time_limit_s,
        form_items=sum(1 for item in form if item.scored),
        practice_items=len(section.practice),
        checks=sum(1 for item in form if not item.scored),
        words=words,
        reading_s=reading_seconds(words),
        working_s=sum(working_seconds(item) for item in shown),
    )


def questionnaire_seconds(questionnaire: Questionnaire) -> int:
    """The sum of a questionnaire's section limits."""
    return sum(section.time_limit_s for section in questionnaire.sections)
