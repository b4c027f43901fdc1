"""Pydantic models of a questionnaire file (see questionnaires/FORMAT.md).

The models hold the structure; rules that need context (the bank, the section, the competency)
live in ``questionnaires.rules`` so the validator can name the file, the item and the rule.
Run ``python -m questionnaires.schema`` to print the JSON Schema used by editors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    model_validator,
)

from scoring.vocabulary import CefrLevel, CompetencyKey

Language = Literal["it", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

# Competency keys and CEFR levels are scoring's vocabulary (scoring/vocabulary.py).

ItemType = Literal["single_choice", "sjt", "likert", "numeric"]
ITEM_TYPES: tuple[ItemType, ...] = get_args(ItemType)

#: How an SJT is answered: pick the one best option (v1), or the most and the least effective.
SjtResponse = Literal["single", "best_worst"]
Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = get_args(Difficulty)
#: What an item is for when it is not a scored item of its competency.
Purpose = Literal["impression_management"]
#: Format 1: the v1 bank. Format 2 (bank v2): pools with forms, practice items, item metadata,
#: panel keys and the v2 pool sizes (questionnaires/FORMAT.md, "Format 2").
FileFormat = Literal[1, 2]
#: The effectiveness scale of panel ratings of SJT options (1 counterproductive ... 4 very
#: effective).
EFFECTIVENESS_MIN, EFFECTIVENESS_MAX = 1, 4

Key = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64),
    Field(description="lowercase letters, digits and dashes"),
]
ItemId = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=32),
    Field(description="unique across the bank, e.g. bs01"),
]
OptionId = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=16),
    Field(description="unique within the item, e.g. a"),
]
Text = Annotated[str, StringConstraints(strict=True)]


class Model(BaseModel):
    """Base of every questionnaire model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(Model):
    """A text in Italian and English; language items carry only their target language."""

    it: Text | None = None
    en: Text | None = None

    def get(self, language: str) -> str | None:
        """Return the text in ``language``, or None when it is missing."""
        return getattr(self, language, None) if language in LANGUAGES else None

    def pick(self, language: str) -> str:
        """Return the text in ``language``, falling back to the only language present."""
        text = self.get(language)
        if text is not None:
            return text
        present = [value for value in (self.it, self.en) if value is not None]
        if not present:
            raise ValueError("localized text has no language")
        return present[0]


def _cell_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict | LocalizedText):
        return "localized"
    return None


Cell = Annotated[
    Annotated[StrictStr, Tag("text")]
    | Annotated[StrictInt | StrictFloat, Tag("number")]
    | Annotated[LocalizedText, Tag("localized")],
    Discriminator(
        _cell_kind,
        custom_error_type="cell_type",
        custom_error_message="a table cell must be a text, a number or {it: ..., en: ...}",
    ),
]


class Stimulus(Model):
    """A small data table (caption, columns, rows) or a reading passage shown above a prompt."""

    caption: LocalizedText | None = None
    columns: tuple[Cell, ...] | None = None
    rows: tuple[tuple[Cell, ...], ...] | None = None
    passage: LocalizedText | None = None

    @model_validator(mode="after")
    def _table_or_passage(self) -> Stimulus:
        table = self.columns is not None or self.rows is not None
        if table == (self.passage is not None):
            raise ValueError("a stimulus is either a table (columns and rows) or a passage")
        if table:
            if not self.columns or not self.rows:
                raise ValueError("a table needs both columns and at least one row")
            for number, row in enumerate(self.rows, start=1):
                if len(row) != len(self.columns):
                    raise ValueError(
                        f"row {number} has {len(row)} cells but there are "
                        f"{len(self.columns)} columns"
                    )
        return self

    def texts(self) -> Iterator[LocalizedText]:
        """Yield every localized text in the stimulus."""
        candidates = [self.caption, self.passage, *(self.columns or ())]
        candidates += [cell for row in self.rows or () for cell in row]
        yield from (value for value in candidates if isinstance(value, LocalizedText))


PanelRating = Annotated[int, Field(strict=True, ge=EFFECTIVENESS_MIN, le=EFFECTIVENESS_MAX)]


class Option(Model):
    """An answer option of a choice item.

    Keyed and single-response SJT options carry ``score`` (1/0 keyed, 0-3 expert score for
    SJT). Options of a best/worst SJT carry instead the blind panel's ratings (``panel``, one
    1-4 rating per rater) and their consensus, the mean rating (``effectiveness``).
    """

    id: OptionId
    text: LocalizedText
    score: StrictInt | None = None
    effectiveness: Annotated[StrictFloat, Field(ge=1, le=4)] | None = Field(
        default=None, description="best/worst SJT: the panel's consensus (mean rating, 1-4)"
    )
    panel: tuple[PanelRating, ...] | None = Field(
        default=None, description="best/worst SJT: each rater's 1-4 rating, in rater order"
    )


class ItemBase(Model):
    """Fields every item has."""

    id: ItemId
    competency: CompetencyKey
    type: ItemType
    prompt: LocalizedText
    stimulus: Stimulus | None = None
    cefr: CefrLevel | None = Field(default=None, description="language items only")
    rationale: Text | None = Field(
        default=None, description="English note for reviewers; never shown to candidates"
    )
    # Item metadata (format 2): for drawing balanced forms and for reviewers; never shown.
    difficulty: Difficulty | None = Field(default=None, description="author's estimate")
    tags: tuple[Key | Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]+$")], ...] = ()
    facet: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")] | None = None
    skill: Literal["grammar", "vocabulary", "reading", "function"] | None = Field(
        default=None, description="language items: the skill the item samples"
    )
    purpose: Purpose | None = Field(
        default=None,
        description="impression_management: a check shown with the scale, never scored",
    )
    enemies: tuple[ItemId, ...] = Field(
        default=(), description="items never given on the same form as this one"
    )
    replaces: ItemId | None = Field(default=None, description="the v1 item this one replaces")
    feedback: LocalizedText | None = Field(
        default=None, description="practice items only: shown after the candidate answers"
    )
    notes: Text | None = Field(
        default=None, description="English editorial history for reviewers (panel, rewrites)"
    )

    @property
    def scored(self) -> bool:
        """False for checks such as the impression-management items (shown, never scored)."""
        return self.purpose is None

    def texts(self) -> Iterator[tuple[str, LocalizedText]]:
        """Yield (field label, text) for every localized text of the item."""
        yield "prompt", self.prompt
        if self.stimulus is not None:
            for text in self.stimulus.texts():
                yield "stimulus", text
        if self.feedback is not None:
            yield "feedback", self.feedback


class ChoiceItem(ItemBase):
    """Fields shared by the choice item types."""

    options: tuple[Option, ...]

    def texts(self) -> Iterator[tuple[str, LocalizedText]]:
        """Yield (field label, text) for every localized text of the item."""
        yield from super().texts()
        for option in self.options:
            yield f"option {option.id}", option.text


class SingleChoiceItem(ChoiceItem):
    """A keyed item: exactly one option scores 1."""

    type: Literal["single_choice"]
    options: Annotated[tuple[Option, ...], Field(min_length=3, max_length=5)]


class SjtItem(ChoiceItem):
    """A situational judgement item with four options.

    ``response: single`` (v1): the candidate picks one option, scored by its expert score 0-3.
    ``response: best_worst``: the candidate picks the most and the least effective option,
    scored from the panel's consensus effectiveness of the two (``scoring.items``).
    """

    type: Literal["sjt"]
    options: Annotated[tuple[Option, ...], Field(min_length=4, max_length=4)]
    response: SjtResponse = "single"
    style: Literal["decisive", "consultative"] | None = Field(
        default=None,
        description="decisive: the best option is firm; consultative: it asks or involves",
    )

    @property
    def best_worst(self) -> bool:
        """True when the candidate picks the most and the least effective option."""
        return self.response == "best_worst"

    def keyed_best_worst(self) -> tuple[str, str] | None:
        """(best, worst) option ids by the panel's consensus; None without a unique best.

        Options tied for the lowest effectiveness are equally worst: choosing either scores the
        same, and the first in file order stands for them in the key.
        """
        rated = {o.id: o.effectiveness for o in self.options}
        values = {option_id: value for option_id, value in rated.items() if value is not None}
        if len(values) < len(rated):
            return None
        ranked = sorted(values, key=values.__getitem__)
        if values[ranked[-2]] == values[ranked[-1]]:
            return None
        return ranked[-1], ranked[0]

    def worst_options(self) -> tuple[str, ...]:
        """Every option tied for the lowest effectiveness."""
        values = [o.effectiveness for o in self.options if o.effectiveness is not None]
        low = min(values, default=None)
        return tuple(o.id for o in self.options if o.effectiveness == low)


class LikertItem(ItemBase):
    """A self-report statement answered on the section's scale."""

    type: Literal["likert"]
    reverse: StrictBool


class NumericItem(ItemBase):
    """A numeric answer scored 1 when within the absolute tolerance."""

    type: Literal["numeric"]
    answer: StrictFloat
    tolerance: Annotated[float, Field(strict=True, ge=0)]
    unit: LocalizedText | None = None

    def texts(self) -> Iterator[tuple[str, LocalizedText]]:
        """Yield (field label, text) for every localized text of the item."""
        yield from super().texts()
        if self.unit is not None:
            yield "unit", self.unit


Item = Annotated[SingleChoiceItem | SjtItem | LikertItem | NumericItem, Field(discriminator="type")]


class ScaleLabels(Model):
    """One label per scale point, in each language."""

    it: tuple[Text, ...] | None = None
    en: tuple[Text, ...] | None = None


class Scale(Model):
    """The response scale of the likert items of a section."""

    min: StrictInt
    max: StrictInt
    labels: ScaleLabels

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    def points(self) -> int:
        """Return the number of points on the scale."""
        return self.max - self.min + 1


LevelCounts = dict[CefrLevel, Annotated[int, Field(strict=True, ge=0)]]


class Section(Model):
    """A timed part of a questionnaire, taken in one sitting.

    ``items`` is the section's pool. Each candidate gets a form of ``form_length`` items drawn
    from it (all of them when unset); a language section draws its form by the position's
    hurdle level instead (``form_by_hurdle``: per hurdle, how many items of each level).
    ``practice`` items open the section, unscored, with feedback.
    """

    key: Key
    title: LocalizedText
    instructions: LocalizedText
    time_limit_s: Annotated[int, Field(strict=True, gt=0, description="seconds")]
    scale: Scale | None = None
    form_length: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None, description="items on each candidate's form (default: the whole pool)"
    )
    form_by_hurdle: dict[CefrLevel, LevelCounts] | None = Field(
        default=None,
        description="language sections: per hurdle level, the items of each CEFR level",
    )
    practice: tuple[Item, ...] = Field(
        default=(), description="unscored practice items with feedback, shown first"
    )
    items: Annotated[tuple[Item, ...], Field(min_length=1)]

    def form_lengths(self) -> tuple[int, ...]:
        """Every form length a candidate can get (one per hurdle for language sections)."""
        if self.form_by_hurdle:
            return tuple(sorted({sum(counts.values()) for counts in self.form_by_hurdle.values()}))
        return (self.form_length or len(self.items),)


class Questionnaire(Model):
    """One version of one questionnaire: the content of one bank file."""

    key: Key
    version: Annotated[int, Field(strict=True, ge=1)]
    title: LocalizedText
    instructions: LocalizedText
    target_language: Language | None = Field(
        default=None, description="only for the languages questionnaire"
    )
    format: FileFormat = Field(default=1, description="2: the bank v2 rules apply")
    default_battery: StrictBool = Field(
        default=False, description="part of the battery a new position gets by default"
    )
    sections: Annotated[tuple[Section, ...], Field(min_length=1)]

    def iter_items(self) -> Iterator[tuple[Section, Item]]:
        """Yield (section, item) for every item, in order."""
        for section in self.sections:
            for item in section.items:
                yield section, item

    def iter_practice(self) -> Iterator[tuple[Section, Item]]:
        """Yield (section, practice item) for every practice item, in order."""
        for section in self.sections:
            for item in section.practice:
                yield section, item

    def find_item(self, item_id: str) -> Item | None:
        """Return the item with ``item_id``, or None."""
        return next((item for _, item in self.iter_items() if item.id == item_id), None)


def is_answered(item: Item, value: Any) -> bool:
    """Whether a saved value answers the item: a best/worst SJT needs both choices.

    >>> from questionnaires.schema import SjtItem
    >>> is_answered(SjtItem.model_construct(response="best_worst"), {"best": "a", "worst": None})
    False
    """
    if value is None:
        return False
    if isinstance(item, SjtItem) and item.best_worst:
        return isinstance(value, dict) and bool(value.get("best")) and bool(value.get("worst"))
    return True


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a questionnaire file."""
    schema = Questionnaire.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "KAM Assess questionnaire",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def json_schema_text() -> str:
    """Return the JSON Schema as the text committed in questionnaires/bank/."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
