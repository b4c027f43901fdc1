"""The content of one attempt: its questionnaire versions, sections and items, in the
candidate's own stable random order."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from app.bank import service as bank_service
from questionnaires.schema import ChoiceItem, Item, Questionnaire, Section
from questionnaires.views import public_item


@dataclass(frozen=True)
class Battery:
    """Parsed questionnaires by key, every section in order, every item by id."""

    questionnaires: dict[str, Questionnaire]
    sections: dict[str, tuple[str, Section]] = field(default_factory=dict)
    items: dict[str, tuple[Section, Item]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, versions: dict[str, int]) -> Battery:
        """The exact versions an attempt was started on (cached: versions never change)."""
        cache_key = tuple(versions.items())
        battery = _batteries.get(cache_key)
        if battery is None:
            battery = _batteries[cache_key] = cls._build(session, versions)
        return battery

    @classmethod
    def _build(cls, session: Session, versions: dict[str, int]) -> Battery:
        questionnaires = {
            key: bank_service.get(session, key=key, version=version)
            for key, version in versions.items()
        }
        battery = cls(questionnaires)
        for key, questionnaire in questionnaires.items():
            for section in questionnaire.sections:
                battery.sections[section.key] = (key, section)
                for item in section.items:
                    battery.items[item.id] = (section, item)
        return battery

    def section_items(self, section_key: str) -> tuple[Item, ...]:
        """The items of a section in bank order."""
        return self.sections[section_key][1].items


# A published (key, version) never changes, so its parsed battery is safe to share between
# requests and workers; the key order matters because sections are taken in that order.
_batteries: dict[tuple[tuple[str, int], ...], Battery] = {}


def ordered_items(section: Section, seed: int) -> list[Item]:
    """The section's items in this candidate's order (the same on every reload)."""
    items = list(section.items)
    random.Random(f"{seed}:{section.key}:items").shuffle(items)
    return items


def candidate_view(
    item: Item, section: Section, seed: int, language: str, answer: Any
) -> dict[str, Any]:
    """What the candidate's browser gets: no key, score, tolerance or reverse flag."""
    view = public_item(item, language, scale=section.scale)
    if isinstance(item, ChoiceItem):
        # Options are shuffled per candidate and item, except on Likert scales (no options).
        random.Random(f"{seed}:{item.id}:options").shuffle(view["options"])
    view["answer"] = answer
    return view


@lru_cache(maxsize=4096)
def _section_views(
    battery_key: tuple[tuple[str, int], ...], section_key: str, seed: int, language: str
) -> tuple[dict[str, Any], ...]:
    section = _batteries[battery_key].sections[section_key][1]
    return tuple(candidate_view(item, section, seed, language, None)
                 for item in ordered_items(section, seed))


def candidate_section(
    battery_key: tuple[tuple[str, int], ...], section_key: str, seed: int, language: str,
    answers: dict[str, Any],
) -> list[dict[str, Any]]:
    """A section's items as this candidate sees them, in their order, with their answers.

    The views depend only on the (immutable) versions, the candidate's seed and the language,
    so they are built once and copied: the state of the running section is read on every
    reload and after every section, and building it was most of a state request's work.
    """
    views = _section_views(battery_key, section_key, seed, language)
    return [_fresh(view, answers.get(view["id"])) for view in views]


def _fresh(view: dict[str, Any], answer: Any) -> dict[str, Any]:
    """A copy of a cached view that a caller may change without changing the cache: the
    item's own dict and its options are copied; texts and scale labels are shared, read-only
    by every caller."""
    item = {**view, "answer": answer}
    if "options" in item:
        item["options"] = [dict(option) for option in item["options"]]
    return item
