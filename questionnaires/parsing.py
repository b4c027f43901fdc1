"""Read a questionnaire file: YAML (duplicate keys refused) and pydantic errors as Problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from questionnaires.problems import Problem
from questionnaires.schema import ITEM_TYPES, Questionnaire
from scoring.vocabulary import CEFR_LEVELS, COMPETENCY_KEYS

Loc = tuple[int | str, ...]
OPTION_COUNTS = {"single_choice": "3-5", "sjt": "exactly 4"}


class YamlSyntaxError(ValueError):
    """The file is not readable YAML; the message carries line and column."""


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


# Ignored: the base is chosen at run time (C loader when libyaml is there).
class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses a key repeated in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: let PyYAML report it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, raising YamlSyntaxError with line and column on bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise YamlSyntaxError(f"the file is not valid UTF-8 ({error.reason})") from error
    try:
        # _UniqueKeyLoader is a SafeLoader: no Python objects can be built from the file.
        return yaml.load(text, Loader=_UniqueKeyLoader)  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise YamlSyntaxError(f"{where}{error.problem or error.context}") from error
    except yaml.YAMLError as error:
        raise YamlSyntaxError(str(error)) from error


def parse_questionnaire(file: str, data: Any) -> tuple[Questionnaire | None, list[Problem]]:
    """Build the model from parsed YAML, or return one Problem per structural error."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        message = f"expected a questionnaire mapping (key, version, ...), found {found}"
        return None, [Problem(file, None, "schema", message)]
    try:
        return Questionnaire.model_validate(data), []
    except ValidationError as error:
        details = [d for d in error.errors(include_url=False) if not _echo(d)]
        problems = [_problem(file, data, detail) for detail in details]
        return None, list(dict.fromkeys(problems))


def _echo(detail: Any) -> bool:
    """Return True for pydantic's follow-up "too short" on a tuple whose element failed."""
    found, context = detail.get("input"), detail.get("ctx") or {}
    return (
        detail["type"] == "too_short"
        and isinstance(found, list)
        and len(found) >= context.get("min_length", 0)
    )


def _problem(file: str, data: dict[str, Any], detail: Any) -> Problem:
    loc: Loc = tuple(detail["loc"])
    item, section, rest, kind = _locate(data, loc)
    rule, message = _explain(rest, detail, kind)
    field = _format_loc(rest)
    if field and rule in ("schema", "likert-scale"):
        message = f"{field}: {message}"
    if section is not None and item is None:
        message = f"section {section}: {message}"
    return Problem(file, item, rule, message)


def _locate(data: dict[str, Any], loc: Loc) -> tuple[str | None, str | None, Loc, str | None]:
    """Split a pydantic location into (item id, section name, location inside, item type)."""
    if len(loc) < 2 or loc[0] != "sections" or not isinstance(loc[1], int):
        return None, None, loc, None
    raw_section = _index(data.get("sections"), loc[1])
    section = _name(raw_section, "key", f"#{loc[1] + 1}")
    if len(loc) < 4 or loc[2] != "items" or not isinstance(loc[3], int):
        return None, section, loc[2:], None
    raw_item = _index(raw_section.get("items") if isinstance(raw_section, dict) else None, loc[3])
    rest = loc[4:]
    if rest and isinstance(raw_item, dict) and rest[0] == raw_item.get("type"):
        rest = rest[1:]  # the discriminated union adds the item type to the location
    item = _name(raw_item, "id", None)
    kind = _name(raw_item, "type", None)
    if item is None:
        return None, section, ("items", loc[3], *rest), kind
    return item, section, rest, kind


def _index(value: Any, index: int) -> Any:
    return value[index] if isinstance(value, list) and 0 <= index < len(value) else None


def _name(value: Any, field: str, default: str | None) -> str | None:
    name = value.get(field) if isinstance(value, dict) else None
    return name if isinstance(name, str) and name else default


def _format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _explain(loc: Loc, detail: Any, item_type: str | None) -> tuple[str, str]:
    """Return (rule code, readable message) for one pydantic error."""
    kind: str = detail["type"]
    message: str = detail["msg"].removeprefix("Value error, ")
    found = detail.get("input")
    last = loc[-1] if loc else None
    if kind == "extra_forbidden":
        return "schema", "unknown field (not allowed here)"
    if kind == "missing":
        message = "this field is required"
    elif kind == "model_type":
        message = "expected a mapping, e.g. {it: ..., en: ...}"
    if "time_limit_s" in loc:
        if kind == "missing":
            return "section-time-limit", "time_limit_s is required (whole seconds, > 0)"
        return "section-time-limit", f"time_limit_s must be whole seconds > 0 (got {found!r})"
    if last == "competency" and kind == "literal_error":
        return (
            "unknown-competency",
            f"unknown competency {found!r}; use one of {_list(COMPETENCY_KEYS)}",
        )
    if last == "cefr" and kind == "literal_error":
        return "cefr-required", f"cefr must be one of {_list(CEFR_LEVELS)} (got {found!r})"
    if last in ("answer", "tolerance"):
        return "numeric-answer", _numeric_message(str(last), kind, found)
    if last == "options" and kind in ("too_short", "too_long"):
        count = len(found) if isinstance(found, list) else "?"
        needed = OPTION_COUNTS.get(str(item_type), "3-5")
        return "option-count", f"{item_type} items need {needed} options (got {count})"
    if kind == "union_tag_invalid":
        return "schema", f"type must be one of {_list(ITEM_TYPES)} (got {detail['ctx']['tag']!r})"
    if kind == "union_tag_not_found":
        return "schema", f"type is required: one of {_list(ITEM_TYPES)}"
    if "scale" in loc:
        return "likert-scale", message
    return "schema", message


def _numeric_message(field: str, kind: str, found: Any) -> str:
    if kind == "missing":
        return f"numeric items need {field}" + (" (>= 0)" if field == "tolerance" else "")
    if kind == "greater_than_equal":
        return f"tolerance must be >= 0 (got {found!r})"
    return f"{field} must be a number (got {found!r})"


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(values)
