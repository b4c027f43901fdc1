"""The pydantic models, the committed JSON Schema and the import boundary of the package."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from questionnaires.loader import BANK_DIR
from questionnaires.schema import (
    LocalizedText,
    Questionnaire,
    SjtItem,
    json_schema,
    json_schema_text,
)
from scoring.vocabulary import COMPETENCY_KEYS

PACKAGE = Path(__file__).resolve().parents[2] / "questionnaires"
SCHEMA_FILE = BANK_DIR / "questionnaire.schema.json"
FORBIDDEN_IMPORTS = {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "jinja2", "app"}


def test_committed_json_schema_is_up_to_date() -> None:
    regenerate = "python -m questionnaires.schema > questionnaires/bank/questionnaire.schema.json"
    assert SCHEMA_FILE.read_text("utf-8") == json_schema_text(), f"regenerate: {regenerate}"


def test_schema_module_prints_the_json_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "questionnaires.schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert result.stdout == json_schema_text()
    assert result.stderr == ""


def test_json_schema_names_the_competencies() -> None:
    text = json.dumps(json_schema())
    assert all(f'"{competency}"' in text for competency in COMPETENCY_KEYS)
    assert json_schema()["additionalProperties"] is False


def test_models_are_frozen(qb: SimpleNamespace) -> None:
    questionnaire = Questionnaire.model_validate(qb.mixed())
    with pytest.raises(ValidationError):
        questionnaire.key = "other"  # type: ignore[misc]
    assert hash(questionnaire) == hash(Questionnaire.model_validate(qb.mixed()))


def test_items_are_discriminated_by_type(qb: SimpleNamespace) -> None:
    questionnaire = Questionnaire.model_validate(qb.mixed())
    item = questionnaire.find_item("bs01")
    assert isinstance(item, SjtItem)
    assert [option.score for option in item.options] == [3, 1, 0, 2]
    assert questionnaire.find_item("zz99") is None
    assert len(list(questionnaire.iter_items())) == 13


def test_localized_text_pick_falls_back_to_the_only_language() -> None:
    assert LocalizedText(it="ciao", en="hello").pick("it") == "ciao"
    assert LocalizedText(en="hello").pick("it") == "hello"
    with pytest.raises(ValueError, match="no language"):
        LocalizedText().pick("en")


def test_scores_must_be_integers(qb: SimpleNamespace) -> None:
    data = qb.mixed()
    data["sections"][0]["items"][0]["options"][0]["score"] = "3"
    with pytest.raises(ValidationError):
        Questionnaire.model_validate(data)


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_no_web_or_database_imports(module: Path) -> None:
    tree = ast.parse(module.read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN_IMPORTS
