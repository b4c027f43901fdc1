"""Every validator rule has a failing example: one mutation of a valid questionnaire each."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from questionnaires.validate import RULES, Problem, format_report, main, validate_paths

Data = dict[str, Any]


def _item(data: Data, item_id: str) -> Data:
    for section in data["sections"]:
        for entry in [*section.get("practice", []), *section["items"]]:
            if entry["id"] == item_id:
                return entry
    raise KeyError(item_id)


def _panel(item_id: str, option: int, ratings: list[int], mean: float | None = None
           ) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        entry = _item(data, item_id)["options"][option]
        entry["panel"] = ratings
        entry["effectiveness"] = round(sum(ratings) / len(ratings), 2) if mean is None else mean

    return mutate


def _two_v2(data: Data) -> None:
    data["default_battery"] = True
    data["sections"][0]["time_limit_s"] = 3700


@dataclass(frozen=True)
class Case:
    """A one-thing mutation of a valid questionnaire and the problem it must cause."""

    name: str
    rule: str
    item: str | None
    mutate: Callable[[Data], None]
    expect: str = ""
    language: bool = False
    v2: bool = False


def _set(item_id: str, **fields: Any) -> Callable[[Data], None]:
    return lambda data: _item(data, item_id).update(fields)


def _drop(item_id: str, field: str) -> Callable[[Data], None]:
    return lambda data: _item(data, item_id).pop(field)


def _scores(item_id: str, scores: list[int]) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        for option, score in zip(_item(data, item_id)["options"], scores, strict=True):
            option["score"] = score

    return mutate


def _section(index: int, **fields: Any) -> Callable[[Data], None]:
    return lambda data: data["sections"][index].update(fields)


def _pop_section_field(index: int, field: str) -> Callable[[Data], None]:
    return lambda data: data["sections"][index].pop(field)


def _all_likert_forward(data: Data) -> None:
    for entry in data["sections"][1]["items"]:
        entry["reverse"] = False


def _drop_items(count: int) -> Callable[[Data], None]:
    return lambda data: data["sections"][0]["items"].__delitem__(slice(0, count))


def _drop_c1(data: Data) -> None:
    c1 = [entry for entry in data["sections"][0]["items"] if entry["cefr"] == "C1"]
    for entry in c1[1:]:
        entry["cefr"] = "B2"


def _copy_prompt(data: Data) -> None:
    _item(data, "bs02")["prompt"] = {
        "it": "  prompt OF bs01 (it) ",
        "en": "Prompt of bs01  (en)",
    }


def _option_text(data: Data) -> None:
    item = _item(data, "bs01")
    item["options"][1]["text"] = dict(item["options"][0]["text"])


CASES = [
    Case("unknown field", "schema", "bs01", _set("bs01", weight=2), "weight"),
    Case("bad item type", "schema", "bs01", _set("bs01", type="mcq"), "mcq"),
    Case("prompt not localized", "schema", "bs02", _set("bs02", prompt="Hello"), "prompt"),
    Case("bad version", "schema", None, lambda d: d.update(version=0), "version"),
    Case(
        "ragged table",
        "schema",
        "bs07",
        lambda d: _item(d, "bs07")["stimulus"]["rows"].append(["Beta Srl"]),
        "row 3 has 1 cells but there are 2 columns",
    ),
    Case(
        "bool in a table",
        "schema",
        "bs07",
        _set("bs07", stimulus={"columns": ["a"], "rows": [[True]]}),
        "cell",
    ),
    Case("file name", "file-name", None, lambda d: d.update(version=2), "demo.v2.yaml"),
    Case(
        "repeated item id", "duplicate-id", "bs01", _set("bs02", id="bs01"), "earlier in this file"
    ),
    Case(
        "repeated option id",
        "duplicate-id",
        "bs01",
        lambda d: _item(d, "bs01")["options"][1].update(id="a"),
        "option id a",
    ),
    Case(
        "repeated section key",
        "duplicate-id",
        None,
        _section(1, key="demo-choice"),
        "section key demo-choice",
    ),
    Case(
        "two keyed options",
        "keyed-one-correct",
        "bs04",
        _scores("bs04", [1, 1, 0, 0]),
        "1, 1, 0, 0",
    ),
    Case("no keyed option", "keyed-one-correct", "bs04", _scores("bs04", [0, 0, 0, 0])),
    Case("keyed option scores 2", "keyed-one-correct", "bs05", _scores("bs05", [0, 2, 0, 0])),
    Case(
        "sjt repeated score",
        "sjt-distinct-scores",
        "bs03",
        _scores("bs03", [3, 3, 1, 0]),
        "options must carry distinct expert scores 0-3 (got 3, 3, 1, 0)",
    ),
    Case("sjt score above 3", "sjt-distinct-scores", "bs03", _scores("bs03", [4, 2, 1, 0]), "4"),
    Case("no reverse-keyed likert", "likert-no-reverse", None, _all_likert_forward, "demo-likert"),
    Case(
        "missing it",
        "missing-translation",
        "bs02",
        _set("bs02", prompt={"en": "Only English"}),
        "it",
    ),
    Case(
        "blank en",
        "missing-translation",
        "bs02",
        _set("bs02", prompt={"it": "Solo", "en": " "}),
        "en",
    ),
    Case(
        "option lacks en",
        "missing-translation",
        "bs01",
        lambda d: _item(d, "bs01")["options"][2].update(text={"it": "Solo italiano"}),
        "option c",
    ),
    Case(
        "unit lacks it",
        "missing-translation",
        "bs08",
        _set("bs08", unit={"en": "%"}),
        "unit",
    ),
    Case(
        "stimulus cell lacks en",
        "missing-translation",
        "bs07",
        lambda d: _item(d, "bs07")["stimulus"]["rows"][1].__setitem__(0, {"it": "Totale"}),
        "stimulus",
    ),
    Case(
        "section title lacks en",
        "missing-translation",
        None,
        _section(0, title={"it": "Sezione"}),
        "section demo-choice",
    ),
    Case(
        "unknown competency",
        "unknown-competency",
        "bs01",
        _set("bs01", competency="sales"),
        "sales",
    ),
    Case(
        "no time limit",
        "section-time-limit",
        None,
        _pop_section_field(0, "time_limit_s"),
        "demo-choice",
    ),
    Case("zero time limit", "section-time-limit", None, _section(1, time_limit_s=0), "demo-likert"),
    Case(
        "sjt with 3 options",
        "option-count",
        "bs01",
        lambda d: _item(d, "bs01")["options"].pop(),
        "3",
    ),
    Case(
        "single choice with 6 options",
        "option-count",
        "bs04",
        lambda d: _item(d, "bs04")["options"].extend(
            {"id": f"x{n}", "text": {"it": f"x{n}", "en": f"x{n}"}, "score": 0} for n in range(2)
        ),
        "6",
    ),
    Case("too few items", "too-few-items", None, _drop_items(2), "business_sense has 11 items"),
    Case("cefr on a non-language item", "cefr-required", "bs01", _set("bs01", cefr="B2")),
    Case("cefr not a level", "cefr-required", "bs01", _set("bs01", cefr="B3"), "B3"),
    Case("numeric without answer", "numeric-answer", "bs07", _drop("bs07", "answer"), "answer"),
    Case(
        "numeric without tolerance",
        "numeric-answer",
        "bs08",
        _drop("bs08", "tolerance"),
        "tolerance",
    ),
    Case("negative tolerance", "numeric-answer", "bs09", _set("bs09", tolerance=-1), "-1"),
    Case(
        "likert without scale", "likert-scale", None, _pop_section_field(1, "scale"), "demo-likert"
    ),
    Case(
        "scale labels short",
        "likert-scale",
        None,
        _section(
            1, scale={"min": 1, "max": 5, "labels": {"it": list("abcde"), "en": list("abcd")}}
        ),
        "4 en labels",
    ),
    Case(
        "scale without likert items",
        "likert-scale",
        None,
        _section(
            0, scale={"min": 1, "max": 5, "labels": {"it": list("abcde"), "en": list("abcde")}}
        ),
        "no likert items",
    ),
    Case(
        "scale max below min",
        "likert-scale",
        None,
        _section(1, scale={"min": 5, "max": 1, "labels": {"it": ["a"], "en": ["a"]}}),
        "max",
    ),
    Case(
        "all of the above",
        "option-reference",
        "bs04",
        lambda d: _item(d, "bs04")["options"][3].update(
            text={"it": "Tutte le risposte precedenti", "en": "All of the above"}
        ),
        "option d",
    ),
    Case("same prompt twice", "duplicate-text", "bs02", _copy_prompt, "bs01"),
    Case("same option text twice", "duplicate-text", "bs01", _option_text, "same"),
    # The languages questionnaire.
    Case("language item lacks cefr", "cefr-required", "en03", _drop("en03", "cefr"), language=True),
    Case(
        "language item lacks target language",
        "missing-translation",
        "en02",
        _set("en02", prompt={"it": "Scegli la parola giusta."}),
        "en",
        language=True,
    ),
    Case(
        "language item in two languages",
        "target-language",
        "en02",
        _set("en02", prompt={"it": "Scegli.", "en": "Choose."}),
        "remove the it text",
        language=True,
    ),
    Case(
        "no target language",
        "target-language",
        None,
        lambda d: d.pop("target_language"),
        "target_language",
        language=True,
    ),
    Case(
        "too few at C1",
        "too-few-items",
        None,
        _drop_c1,
        "too few at C1: 1",
        language=True,
    ),
    # Format 2 (bank v2): best/worst SJTs keyed by a panel, practice, forms, metadata, time.
    Case("sjt option with a score", "option-score", "bs01",
         lambda d: _item(d, "bs01")["options"][0].update(score=3), "remove score", v2=True),
    Case("keyed option without score", "option-score", "bs04",
         lambda d: _item(d, "bs04")["options"][0].pop("score"), "needs a score"),
    Case("effectiveness is not the panel mean", "sjt-best-worst", "bs02",
         _panel("bs02", 1, [2, 3, 2], mean=3.0), "not the mean", v2=True),
    Case("an option without panel ratings", "sjt-best-worst", "bs03",
         lambda d: _item(d, "bs03")["options"][2].pop("panel"), "same raters", v2=True),
    Case("two raters only", "sjt-best-worst", "bs03",
         lambda d: [o.update(panel=o["panel"][:2], effectiveness=sum(o["panel"][:2]) / 2)
                    for o in _item(d, "bs03")["options"]], "at least 3 raters", v2=True),
    Case("two equally best options", "sjt-best-worst", "bs04",
         _panel("bs04", 3, [4, 4, 4]), "without a tie", v2=True),
    Case("panel split on the best option", "panel-disagreement", "bs05",
         _panel("bs05", 0, [4, 4, 2]), "SD 1.15 > 1", v2=True),
    Case("section without practice", "practice", None,
         _pop_section_field(0, "practice"), "needs 1-2 practice items", v2=True),
    Case("practice without feedback", "practice", "bsp1",
         lambda d: _item(d, "bsp1").pop("feedback"), "needs feedback", v2=True),
    Case("feedback on a scored item", "practice", "bs06",
         _set("bs06", feedback={"it": "Bravo", "en": "Well done"}), "only practice", v2=True),
    Case("no difficulty", "item-metadata", "bs07", _drop("bs07", "difficulty"), "difficulty",
         v2=True),
    Case("four tags", "item-metadata", "bs08", _set("bs08", tags=["a", "b", "c", "d"]),
         "1-3 tags", v2=True),
    Case("enemy not in the file", "item-metadata", "bs09", _set("bs09", enemies=["zz99"]),
         "zz99", v2=True),
    Case("purpose on an sjt", "item-metadata", "bs10",
         _set("bs10", purpose="impression_management"), "likert", v2=True),
    Case("form too long for the pool", "form-length", None, _section(0, form_length=14),
         "fewer than 1.5 x the form of 14", v2=True),
    Case("no form length", "form-length", None, _pop_section_field(0, "form_length"),
         "set form_length", v2=True),
    Case("pool too small", "too-few-items", None, _drop_items(2),
         "business_sense pool has 18", v2=True),
    Case("limit shorter than reading and work", "section-time", None,
         _section(0, time_limit_s=400), "shorter than the", v2=True),
    Case("battery over an hour", "battery-time", None, _two_v2, "more than 60", v2=True),
    Case(
        "fewer than 20 language items",
        "too-few-items",
        None,
        _drop_items(1),
        "languages has 19 items",
        language=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule_fails(case: Case, qb: SimpleNamespace, write: Callable[..., Path]) -> None:
    data = qb.language() if case.language else qb.v2() if case.v2 else qb.mixed()
    name = f"{data['key']}.v{data['version']}.yaml"
    case.mutate(data)
    problems = validate_paths([write(data, name)])
    matching = [p for p in problems if p.rule == case.rule and p.item == case.item]
    assert matching, format_report(problems)
    assert any(case.expect in p.message for p in matching), format_report(problems)
    if case.item is not None:
        assert all(f"item {case.item}:" in str(p) for p in matching)
        assert all(name in str(p) for p in matching)


def test_every_rule_has_a_failing_example() -> None:
    covered = {case.rule for case in CASES} | {"yaml-syntax", "file-read"}
    assert covered == set(RULES)


@pytest.mark.parametrize("builder", ["mixed", "language", "v2"])
def test_valid_fixtures_have_no_problems(
    builder: str, qb: SimpleNamespace, write: Callable[..., Path]
) -> None:
    assert validate_paths([write(getattr(qb, builder)())]) == []


def test_yaml_syntax_names_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.v1.yaml"
    path.write_text("key: demo\nversion: 1\ntitle: {it: [unclosed\n", "utf-8")
    [problem] = validate_paths([path])
    assert problem.rule == "yaml-syntax"
    assert "line " in problem.message


def test_yaml_repeated_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.v1.yaml"
    path.write_text("key: demo\nversion: 1\ntitle: {it: a, en: b, en: c}\n", "utf-8")
    [problem] = validate_paths([path])
    assert problem.rule == "yaml-syntax"
    assert "duplicate key 'en'" in problem.message


def test_empty_file_is_a_schema_problem(tmp_path: Path) -> None:
    path = tmp_path / "demo.v1.yaml"
    path.write_text("# nothing yet\n", "utf-8")
    [problem] = validate_paths([path])
    assert (problem.rule, problem.item) == ("schema", None)


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    problems = validate_paths([tmp_path / "nope.v1.yaml", empty])
    assert [p.rule for p in problems] == ["file-read", "file-read"]


def test_item_without_id_is_located_by_section(
    qb: SimpleNamespace, write: Callable[..., Path]
) -> None:
    data = qb.mixed()
    del data["sections"][0]["items"][1]["id"]
    [problem] = validate_paths([write(data)])
    assert problem.rule == "schema"
    assert problem.item is None
    assert "section demo-choice: items[1].id" in problem.message


def test_item_ids_clash_across_questionnaires(
    qb: SimpleNamespace, write: Callable[..., Path]
) -> None:
    first = write(qb.mixed("demo"))
    second = write(qb.mixed("other"))  # same item ids bs01.. under another key
    problems = validate_paths([first, second])
    clashes = [p for p in problems if p.rule == "duplicate-id" and p.file == str(second)]
    assert {p.item for p in clashes} >= {"bs01", "bs13"}
    assert f"in {first}" in clashes[0].message
    assert any(p.rule == "duplicate-text" and p.file == str(second) for p in problems)


def test_new_version_may_repeat_ids_and_texts(
    qb: SimpleNamespace, write: Callable[..., Path]
) -> None:
    first = qb.mixed()
    second = qb.mixed()
    second["version"] = 2
    assert validate_paths([write(first), write(second)]) == []


def test_same_key_and_version_in_two_files(qb: SimpleNamespace, write: Callable[..., Path]) -> None:
    first = write(qb.mixed())
    second = write(qb.mixed(), name="copy.yaml")
    problems = validate_paths([first, second])
    assert any(
        p.rule == "duplicate-id" and "demo v1 is also defined" in p.message for p in problems
    )


def test_same_prompt_with_another_table_is_fine(
    qb: SimpleNamespace, write: Callable[..., Path]
) -> None:
    data = qb.mixed()
    _item(data, "bs08")["prompt"] = dict(_item(data, "bs07")["prompt"])
    _item(data, "bs08")["stimulus"]["rows"][0][1] = 999
    assert validate_paths([write(data)]) == []


def test_problem_str() -> None:
    problem = Problem(
        "business-sense.v1.yaml",
        "bs03",
        "sjt-distinct-scores",
        "options must carry distinct expert scores 0-3 (got 3, 3, 1, 0)",
    )
    assert str(problem) == (
        "business-sense.v1.yaml: item bs03: sjt-distinct-scores: "
        "options must carry distinct expert scores 0-3 (got 3, 3, 1, 0)"
    )
    assert str(Problem("a.v1.yaml", None, "file-name", "x")) == "a.v1.yaml: file-name: x"


def test_main_reports_and_exits(
    qb: SimpleNamespace, write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(qb.mixed())
    assert main([str(good)]) == 0
    assert capsys.readouterr().out.strip().endswith("\nno problems in 1 file")
    data = qb.language()
    data["sections"][0]["time_limit_s"] = -5
    bad = write(data)
    assert main([str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    lines = lines[lines.index("") + 1:]  # after the time table
    assert lines[0].startswith(f"{bad}: section-time-limit: section english:")
    assert lines[-1] == "1 problem in 2 files (1 file with problems)"


def test_format_md_lists_every_rule() -> None:
    format_md = Path(__file__).resolve().parents[2] / "questionnaires" / "FORMAT.md"
    rules_part = format_md.read_text("utf-8").split("## Rules", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", rules_part, re.MULTILINE))
    assert listed == set(RULES)
