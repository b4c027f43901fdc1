"""From a questionnaire to the scoring library's item keys (questionnaires -> scoring)."""

from __future__ import annotations

from collections.abc import Iterable

from questionnaires.schema import ChoiceItem, LikertItem, NumericItem, Questionnaire
from scoring.items import ItemKey


def item_keys(questionnaires: Iterable[Questionnaire]) -> list[ItemKey]:
    """The scoring key of every item, in questionnaire, section and item order."""
    keys = []
    for questionnaire in questionnaires:
        for section, item in questionnaire.iter_items():
            common = {"id": item.id, "competency": item.competency, "type": item.type,
                      "cefr": item.cefr}
            if isinstance(item, ChoiceItem):
                keys.append(ItemKey(**common, option_scores={o.id: o.score for o in item.options}))
            elif isinstance(item, LikertItem):
                scale = section.scale
                keys.append(ItemKey(**common, reverse=item.reverse,
                                    scale_min=scale.min if scale else 1,
                                    scale_max=scale.max if scale else 5))
            elif isinstance(item, NumericItem):
                keys.append(ItemKey(**common, answer=item.answer, tolerance=item.tolerance))
    return keys
