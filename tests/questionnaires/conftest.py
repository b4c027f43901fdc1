"""Factories for small valid questionnaires, written as YAML files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from questionnaires.problems import Problem

SCALE = {
    "min": 1,
    "max": 5,
    "labels": {
        "it": ["Per niente", "Poco", "Abbastanza", "Molto", "Del tutto"],
        "en": ["Not at all", "A little", "Somewhat", "Very", "Completely"],
    },
}


def text(label: str) -> dict[str, str]:
    """Return a localized text with distinct Italian and English wording."""
    return {"it": f"{label} (it)", "en": f"{label} (en)"}


def options(item_id: str, scores: list[int]) -> list[dict[str, Any]]:
    """Return choice options a, b, c, ... with the given scores."""
    return [
        {"id": "abcdef"[n], "text": text(f"{item_id} option {n}"), "score": score}
        for n, score in enumerate(scores)
    ]


def item(item_id: str, kind: str, competency: str = "business_sense") -> dict[str, Any]:
    """Return a valid item of type ``kind``."""
    base: dict[str, Any] = {
        "id": item_id,
        "competency": competency,
        "type": kind,
        "prompt": text(f"Prompt of {item_id}"),
    }
    if kind == "sjt":
        base["options"] = options(item_id, [3, 1, 0, 2])
    elif kind == "single_choice":
        base["options"] = options(item_id, [0, 1, 0, 0])
    elif kind == "likert":
        base["reverse"] = item_id.endswith(("1", "3"))
    elif kind == "numeric":
        base |= {"answer": 22.6, "tolerance": 0.1, "unit": {"it": "%", "en": "%"}}
        base["stimulus"] = {
            "caption": text("Revenue"),
            "columns": [text("Client"), "2025"],
            "rows": [["Alfa Srl", 1250], [text("Total"), 3800]],
        }
    return base


def section(key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Return a valid section holding ``items`` (its limit covers reading and working time)."""
    return {
        "key": key,
        "title": text(f"Section {key}"),
        "instructions": text(f"Instructions of {key}"),
        "time_limit_s": 900,
        "items": items,
        **extra,
    }


def best_worst(item_id: str, panel: list[list[int]] | None = None) -> dict[str, Any]:
    """Return a valid best/worst SJT (format 2): panel ratings and their means per option."""
    panel = panel or [[4, 4, 4], [2, 3, 2], [1, 1, 2], [3, 2, 3]]
    return {
        "id": item_id,
        "competency": "business_sense",
        "type": "sjt",
        "response": "best_worst",
        "prompt": text(f"Prompt of {item_id}"),
        "options": [
            {
                "id": "abcd"[n],
                "text": text(f"{item_id} option {n}"),
                "panel": ratings,
                "effectiveness": round(sum(ratings) / len(ratings), 2),
            }
            for n, ratings in enumerate(panel)
        ],
        "difficulty": ["easy", "medium", "hard"][int(item_id[-1]) % 3],
        "tags": ["pricing"],
    }


def v2_questionnaire(key: str = "judgement", prefix: str = "bs") -> dict[str, Any]:
    """Return a valid format-2 questionnaire: a pool of 20 best/worst SJTs, forms of 12."""
    practice = best_worst(f"{prefix}p1")
    for option in practice["options"]:
        option.pop("panel")
    practice["feedback"] = text("Feedback of the practice item")
    del practice["difficulty"], practice["tags"]
    return {
        "key": key,
        "version": 1,
        "format": 2,
        "title": text(f"Questionnaire {key}"),
        "instructions": text(f"Instructions of questionnaire {key}"),
        "sections": [
            section(
                key,
                [best_worst(f"{prefix}{n:02d}") for n in range(1, 21)],
                form_length=12,
                practice=[practice],
                time_limit_s=600,
            )
        ],
    }


def mixed_questionnaire(key: str = "demo", prefix: str = "bs") -> dict[str, Any]:
    """Return a valid questionnaire with every item type, 13 business_sense items."""
    kinds = ["sjt"] * 3 + ["single_choice"] * 3 + ["numeric"] * 3
    choice = [item(f"{prefix}{n:02d}", kind) for n, kind in enumerate(kinds, start=1)]
    likert = [item(f"{prefix}{n:02d}", "likert") for n in range(10, 14)]
    return {
        "key": key,
        "version": 1,
        "title": text(f"Questionnaire {key}"),
        "instructions": text(f"Instructions of questionnaire {key}"),
        "sections": [
            section(f"{key}-choice", choice),
            section(f"{key}-likert", likert, scale=SCALE),
        ],
    }


def language_questionnaire(key: str = "english") -> dict[str, Any]:
    """Return a valid languages questionnaire: 20 English items, 5 at each CEFR level."""
    items = []
    for n in range(1, 21):
        entry = item(f"en{n:02d}", "single_choice", competency="languages")
        entry["prompt"] = {"en": f"Choose the right word for sentence {n}."}
        for option in entry["options"]:
            option["text"] = {"en": option["text"]["en"]}
        entry["cefr"] = ["A2", "B1", "B2", "C1"][(n - 1) % 4]
        items.append(entry)
    items[0]["stimulus"] = {"passage": {"en": "Dear Ms Rossi, thank you for your order."}}
    return {
        "key": key,
        "version": 1,
        "title": text("English"),
        "instructions": text("Instructions of the English test"),
        "target_language": "en",
        "sections": [section(key, items)],
    }


def find_item(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    """Return the raw item ``item_id`` of a questionnaire dict."""
    for sec in data["sections"]:
        for entry in sec["items"]:
            if entry["id"] == item_id:
                return entry
    raise KeyError(item_id)


Writer = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """Write a questionnaire dict as <key>.v<version>.yaml (or ``name``) and return the path."""

    def _write(data: Any, name: str | None = None, directory: Path = tmp_path) -> Path:
        if name is None:
            name = f"{data['key']}.v{data['version']}.yaml"
        path = directory / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return _write


def only(problems: list[Problem], rule: str) -> list[Problem]:
    """Return the problems of ``rule``."""
    return [problem for problem in problems if problem.rule == rule]


@pytest.fixture
def qb() -> SimpleNamespace:
    """The questionnaire builders of this conftest (fixtures rather than `import conftest`)."""
    return SimpleNamespace(
        text=text,
        item=item,
        options=options,
        section=section,
        mixed=mixed_questionnaire,
        language=language_questionnaire,
        v2=v2_questionnaire,
        best_worst=best_worst,
        find_item=find_item,
        only=only,
        SCALE=SCALE,
    )
