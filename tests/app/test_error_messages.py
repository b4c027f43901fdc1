"""Every sentence a service raises can be read in Italian: the code is walked for the
messages of domain errors, and each must be a template (marked with ``N_``) that the Italian
catalog translates. An f-string there would reach Italian pages in English."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po

APP_DIR = Path(__file__).resolve().parents[2] / "app"
#: The errors whose first argument is the message.
ERRORS = {"DomainError", "Invalid", "Conflict", "Gone", "NotFound", "Forbidden",
          "NotAuthenticated", "TooManyRequests", "UnknownLink", "_ids_error", "_url_error"}
#: The helpers that take a field, then the message.
FIELD_HELPERS = {"field_problem", "field_error", "_field_error", "_invalid"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = ...`` assignments, to follow ``raise Conflict(SUBMITTED)``."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
            node.targets[0], ast.Name
        ):
            found[node.targets[0].id] = node.value
    return found


def _messages() -> tuple[list[tuple[str, str]], list[str]]:
    """(where, template) of every checkable message, and the places that raise English only."""
    templates: list[tuple[str, str]] = []
    english_only: list[str] = []
    for path in sorted(APP_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in ERRORS:
                position = 0
            elif name in FIELD_HELPERS:
                position = 1
            else:
                continue
            if len(node.args) <= position:
                continue
            message = node.args[position]
            where = f"{path.relative_to(APP_DIR.parent)}:{node.lineno}"
            if isinstance(message, ast.Name) and message.id in constants:
                message = constants[message.id]
            if isinstance(message, ast.Call) and _name(message.func) == "N_" and message.args:
                message = message.args[0]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                if " " in message.value:  # not a marker such as Invalid("csrf")
                    templates.append((where, message.value))
            elif path.name == "api.py":
                continue  # answers only under /api/, always JSON in English
            elif isinstance(message, ast.JoinedStr | ast.BinOp) or (
                isinstance(message, ast.Call) and _name(message.func) == "format"
            ):
                english_only.append(where)
    return templates, english_only


def _italian() -> set[str]:
    with (APP_DIR / "locale/it/LC_MESSAGES/messages.po").open("rb") as po_file:
        return {m.id for m in read_po(po_file) if m.id and m.string}


def test_the_walk_finds_the_messages_services_raise():
    templates = {template for _where, template in _messages()[0]}
    assert "choose at least one questionnaire" in templates
    assert "The assessment has been submitted; answers can no longer be changed." in templates


def test_no_domain_error_is_raised_with_english_only_text():
    assert _messages()[1] == [], "raise a template marked N_(...) with params= instead"


def test_every_domain_error_message_has_an_italian_translation():
    italian = _italian()
    missing = sorted({f"{where}: {template!r}" for where, template in _messages()[0]
                      if template not in italian})
    assert missing == [], f"add to app/locale/it/LC_MESSAGES/messages.po: {missing}"
