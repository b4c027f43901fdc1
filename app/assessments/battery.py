"""The content of one attempt: its questionnaire versions, sections and items, in the
candidate's own stable random order."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from app.bank import service as bank_service
from questionnaires.forms import draw_form
from questionnaires.schema import ChoiceItem, Item, Questionnaire, Section
from questionnaires.views import practice_item, public_item


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

    def section_items(self, section_key: str, forms: Mapping[str, Any] | None = None
                      ) -> tuple[Item, ...]:
        """The items of a section in bank order: those on the candidate's form, if it has one."""
        items = self.sections[section_key][1].items
        form = (forms or {}).get(section_key)
        if form is None:
            return items
        chosen = set(form)
        return tuple(item for item in items if item.id in chosen)

    def find(self, item_id: str, forms: Mapping[str, Any] | None = None
             ) -> tuple[Section, Item] | None:
        """The section and item of ``item_id`` if the candidate was given it, else None."""
        found = self.items.get(item_id)
        if found is None:
            return None
        form = (forms or {}).get(found[0].key)
        return found if form is None or item_id in form else None


# A published (key, version) never changes, so its parsed battery is safe to share between
# requests and workers; the key order matters because sections are taken in that order.
_batteries: dict[tuple[tuple[str, int], ...], Battery] = {}


def ordered_items(section: Section, seed: int, forms: Mapping[str, Any] | None = None
                  ) -> list[Item]:
    """The section's items (those on the form) in this candidate's order, the same on every
    reload."""
    form = (forms or {}).get(section.key)
    items = [item for item in section.items if form is None or item.id in form]
    random.Random(f"{seed}:{section.key}:items").shuffle(items)
    return items


def form_size(section: Section, *, hurdle: str | None) -> int:
    """How many items a candidate's form of ``section`` holds (checks included)."""
    if section.form_length or section.form_by_hurdle:
        return len(draw_form(section, seed=0, hurdle=hurdle))
    return len(section.items)


def draw_forms(battery: Battery, *, seed: int, hurdle: str | None) -> dict[str, list[str]]:
    """Each pooled section's form for one candidate (sections without a pool show all)."""
    forms = {}
    for questionnaire in battery.questionnaires.values():
        for section in questionnaire.sections:
            if section.form_length or section.form_by_hurdle:
                forms[section.key] = list(draw_form(section, seed=seed, hurdle=hurdle))
    return forms


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
    battery_key: tuple[tuple[str, int], ...], section_key: str, seed: int, language: str,
    form: tuple[str, ...] | None,
) -> tuple[dict[str, Any], ...]:
    section = _batteries[battery_key].sections[section_key][1]
    forms = {section_key: form} if form is not None else None
    return tuple(candidate_view(item, section, seed, language, None)
                 for item in ordered_items(section, seed, forms))


def candidate_section(
    battery_key: tuple[tuple[str, int], ...], section_key: str, seed: int, language: str,
    answers: dict[str, Any], forms: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A section's items as this candidate sees them (those on the candidate's form), in
    their order, with their answers.

    The views depend only on the (immutable) versions, the candidate's seed, form and the
    language, so they are built once and copied: the state of the running section is read on
    every reload and after every section, and building it was most of a state request's work.
    """
    form = (forms or {}).get(section_key)
    key = tuple(sorted(form)) if form is not None else None
    views = _section_views(battery_key, section_key, seed, language, key)
    return [_fresh(view, answers.get(view["id"])) for view in views]


def _fresh(view: dict[str, Any], answer: Any) -> dict[str, Any]:
    """A copy of a cached view that a caller may change without changing the cache: the
    item's own dict and its options are copied; texts and scale labels are shared, read-only
    by every caller."""
    item = {**view, "answer": answer}
    if "options" in item:
        item["options"] = [dict(option) for option in item["options"]]
    return item


def practice_views(section: Section, seed: int, language: str) -> list[dict[str, Any]]:
    """The section's practice items as the candidate sees them (with feedback; never saved)."""
    views = []
    for item in section.practice:
        view = practice_item(item, language, scale=section.scale)
        if isinstance(item, ChoiceItem):
            random.Random(f"{seed}:{item.id}:options").shuffle(view["options"])
        views.append(view)
    return views
