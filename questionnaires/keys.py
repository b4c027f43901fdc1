"""From a questionnaire to the scoring library's item keys (questionnaires -> scoring)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from questionnaires.schema import (
    ChoiceItem,
    Item,
    LikertItem,
    NumericItem,
    Questionnaire,
    Section,
    SjtItem,
)
from scoring.items import ItemKey

#: ``{section key: [item ids]}``: the items each section's form gave a candidate.
Forms = Mapping[str, Sequence[str]]


def item_key(section: Section, item: Item) -> ItemKey:
    """The scoring key of one item (best/worst SJTs keyed by the panel's effectiveness)."""
    common: dict[str, Any] = {"id": item.id, "competency": item.competency, "cefr": item.cefr}
    if isinstance(item, SjtItem) and item.best_worst:
        # Every option has its score by now: the bank's rules (option-score) refuse a gap.
        effectiveness = cast(Mapping[str, float], {o.id: o.effectiveness for o in item.options})
        return ItemKey(**common, type="best_worst", option_scores=effectiveness)
    if isinstance(item, ChoiceItem):
        scores = cast(Mapping[str, float], {o.id: o.score for o in item.options})
        return ItemKey(**common, type=item.type, option_scores=scores)
    if isinstance(item, LikertItem):
        scale = section.scale
        return ItemKey(**common, type="likert", reverse=item.reverse,
                       scale_min=scale.min if scale else 1, scale_max=scale.max if scale else 5)
    if isinstance(item, NumericItem):
        return ItemKey(**common, type="numeric", answer=item.answer, tolerance=item.tolerance)
    raise TypeError(f"no scoring key for item {item.id} of type {item.type}")


def item_keys(questionnaires: Iterable[Questionnaire], *, forms: Forms | None = None
              ) -> list[ItemKey]:
    """The scoring key of every scored item, in questionnaire, section and item order.

    With ``forms`` (an attempt's forms), a section that has a form contributes only the items
    on it: a candidate is scored on the items shown, so a 7-item form is complete at 7.
    Impression-management checks and practice items are never keyed.
    """
    keys = []
    for questionnaire in questionnaires:
        for section, item in questionnaire.iter_items():
            on_form = forms.get(section.key) if forms else None
            if not item.scored or (on_form is not None and item.id not in on_form):
                continue
            keys.append(item_key(section, item))
    return keys


def impression_item_ids(questionnaires: Iterable[Questionnaire]) -> list[str]:
    """Ids of the impression-management checks (shown on every form, never scored)."""
    return [
        item.id
        for questionnaire in questionnaires
        for _, item in questionnaire.iter_items()
        if item.purpose == "impression_management"
    ]


def scoring_inputs(
    questionnaires: Sequence[Questionnaire],
    answers: Mapping[str, Any],
    *,
    forms: Forms | None = None,
) -> tuple[list[ItemKey], dict[str, Any], list[Any] | None]:
    """Keys, the answers they score, and the impression-management answers of an attempt.

    Answers to items that are not keyed (checks, items of another form) are set apart, so
    the scoring library sees exactly the items the candidate was scored on; the check's
    answers come back separately for the ``idealized_answers`` flag (None without a check).
    """
    keys = item_keys(questionnaires, forms=forms)
    keyed = {key.id for key in keys}
    scored = {item_id: value for item_id, value in answers.items() if item_id in keyed}
    checks = impression_item_ids(questionnaires)
    impression = [answers.get(item_id) for item_id in checks] if checks else None
    return keys, scored, impression
