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
    SjtItem,
    Stimulus,
)

PUBLIC_ITEM_KEYS = frozenset(
    {"id", "type", "prompt", "stimulus", "options", "scale", "unit", "response"}
)


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
        if isinstance(item, SjtItem) and item.best_worst:
            view["response"] = "best_worst"
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
    view["difficulty"] = item.difficulty
    view["tags"] = list(item.tags)
    view["facet"] = item.facet
    view["purpose"] = item.purpose
    view["enemies"] = list(item.enemies)
    if isinstance(item, ChoiceItem):
        for option_view, option in zip(view["options"], item.options, strict=True):
            option_view["score"] = option.score
            if option.effectiveness is not None:
                option_view["effectiveness"] = option.effectiveness
                option_view["panel"] = list(option.panel or ())
        if isinstance(item, SjtItem) and item.best_worst:
            view["key"] = _best_worst(item)
    elif isinstance(item, LikertItem):
        view["reverse"] = item.reverse
    elif isinstance(item, NumericItem):
        view["answer"] = item.answer
        view["tolerance"] = item.tolerance
    return view


def practice_item(item: Item, language: str, *, scale: Scale | None = None) -> dict[str, Any]:
    """A practice item as the candidate sees it: the item, its feedback and its answer.

    Practice is never scored, so its answer travels with it (the page can show the feedback
    without asking the server); scored items never carry theirs.
    """
    view = public_item(item, language, scale=scale)
    view["practice"] = True
    view["feedback"] = _text(item.feedback, language)
    if isinstance(item, SjtItem) and item.best_worst:
        view["correct"] = _best_worst(item)
    elif isinstance(item, ChoiceItem):
        view["correct"] = next((o.id for o in item.options if o.score == 1), None)
    elif isinstance(item, NumericItem):
        view["correct"] = item.answer
    else:
        view["correct"] = None
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
        "form_length": section.form_length,
        "form_by_hurdle": section.form_by_hurdle,
        "practice": [practice_item(item, language, scale=section.scale)
                     for item in section.practice],
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


def _best_worst(item: SjtItem) -> dict[str, str] | None:
    pair = item.keyed_best_worst()
    return None if pair is None else {"best": pair[0], "worst": pair[1]}


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
