"""Plain-dict views of items: what the candidate sees, and the keyed view for staff.

The candidate view never carries a score, answer, tolerance, reverse flag, rationale, CEFR
level or competency. Texts are in the requested language, except language items, which are
always in their target language (the only language they are written in).
"""

from __future__ import annotations

from typing import Any

from questionnaires.schema import (
    LANGUAGES,
    ChoiceItem,
    Item,
    LikertItem,
    LocalizedText,
    NumericItem,
    Questionnaire,
    Scale,
    Section,
    Stimulus,
)

PUBLIC_ITEM_KEYS = frozenset({"id", "type", "prompt", "stimulus", "options", "scale", "unit"})


def public_item(item: Item, language: str, *, scale: Scale | None = None) -> dict[str, Any]:
    """Return the item as the candidate sees it; likert items need their section's ``scale``."""
    _check_language(language)
    view: dict[str, Any] = {"id": item.id, "type": item.type, "prompt": item.prompt.pick(language)}
    if item.stimulus is not None:
        view["stimulus"] = _stimulus(item.stimulus, language)
    if isinstance(item, ChoiceItem):
        view["options"] = [
            {"id": option.id, "text": option.text.pick(language)} for option in item.options
        ]
    elif isinstance(item, LikertItem):
        if scale is None:
            raise ValueError(f"likert item {item.id} needs its section's scale")
        view["scale"] = _scale(scale, language)
    elif isinstance(item, NumericItem):
        view["unit"] = _text(item.unit, language)
    return view


def keyed_item(item: Item, language: str, *, scale: Scale | None = None) -> dict[str, Any]:
    """Return the staff view of the item: the candidate view plus every key and score."""
    view = public_item(item, language, scale=scale)
    view["competency"] = item.competency
    view["cefr"] = item.cefr
    view["rationale"] = item.rationale
    if isinstance(item, ChoiceItem):
        for option_view, option in zip(view["options"], item.options, strict=True):
            option_view["score"] = option.score
    elif isinstance(item, LikertItem):
        view["reverse"] = item.reverse
    elif isinstance(item, NumericItem):
        view["answer"] = item.answer
        view["tolerance"] = item.tolerance
    return view


def public_section(section: Section, language: str) -> dict[str, Any]:
    """Return the section as the candidate sees it, items included."""
    return {
        **_section_head(section, language),
        "items": [public_item(item, language, scale=section.scale) for item in section.items],
    }


def keyed_section(section: Section, language: str) -> dict[str, Any]:
    """Return the staff view of the section, items with their keys."""
    return {
        **_section_head(section, language),
        "items": [keyed_item(item, language, scale=section.scale) for item in section.items],
    }


def keyed_questionnaire(questionnaire: Questionnaire, language: str) -> dict[str, Any]:
    """Return the staff view of a whole questionnaire version."""
    _check_language(language)
    return {
        "key": questionnaire.key,
        "version": questionnaire.version,
        "title": questionnaire.title.pick(language),
        "instructions": questionnaire.instructions.pick(language),
        "target_language": questionnaire.target_language,
        "sections": [keyed_section(section, language) for section in questionnaire.sections],
    }


def _section_head(section: Section, language: str) -> dict[str, Any]:
    _check_language(language)
    return {
        "key": section.key,
        "title": section.title.pick(language),
        "instructions": section.instructions.pick(language),
        "time_limit_s": section.time_limit_s,
    }


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")


def _text(text: LocalizedText | None, language: str) -> str | None:
    return None if text is None else text.pick(language)


def _cell(cell: str | int | float | LocalizedText, language: str) -> str | int | float:
    return cell.pick(language) if isinstance(cell, LocalizedText) else cell


def _stimulus(stimulus: Stimulus, language: str) -> dict[str, Any]:
    caption = _text(stimulus.caption, language)
    if stimulus.passage is not None:
        return {"caption": caption, "passage": stimulus.passage.pick(language)}
    return {
        "caption": caption,
        "columns": [_cell(cell, language) for cell in stimulus.columns or ()],
        "rows": [[_cell(cell, language) for cell in row] for row in stimulus.rows or ()],
    }


def _scale(scale: Scale, language: str) -> dict[str, Any]:
    labels = scale.labels.it if language == "it" else scale.labels.en
    return {"min": scale.min, "max": scale.max, "labels": list(labels or ())}
