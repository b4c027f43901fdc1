"""Loading files, content hashes, version lookups and the published-version check."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.loader import (
    InvalidQuestionnaireError,
    LoadedQuestionnaire,
    PublishedVersionChangedError,
    QuestionnaireNotFoundError,
    check_published,
    content_hash,
    find_latest,
    find_version,
    latest_versions,
    load_bank,
    load_file,
)

Writer = Callable[..., Path]


def test_load_file(qb: SimpleNamespace, write: Writer) -> None:
    path = write(qb.mixed())
    loaded = load_file(path)
    assert (loaded.key, loaded.version, loaded.path) == ("demo", 1, path)
    assert loaded.content_hash == content_hash(loaded.questionnaire)
    assert len(loaded.content_hash) == 64


def test_load_file_refuses_a_broken_file(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    data["sections"][0]["items"][0]["competency"] = "sales"
    with pytest.raises(InvalidQuestionnaireError) as caught:
        load_file(write(data))
    assert [p.rule for p in caught.value.problems] == ["unknown-competency"]
    assert "item bs01: unknown-competency" in str(caught.value)


def test_load_bank_sorts_and_looks_up(qb: SimpleNamespace, write: Writer, tmp_path: Path) -> None:
    second = qb.mixed()
    second["version"] = 2
    write(second)
    write(qb.mixed())
    write(qb.language())
    bank = load_bank(tmp_path)
    assert [(item.key, item.version) for item in bank] == [("demo", 1), ("demo", 2), ("english", 1)]
    assert find_latest(bank, "demo").version == 2
    assert find_version(bank, "demo", 1).version == 1
    assert [item.key for item in latest_versions(bank)] == ["demo", "english"]
    with pytest.raises(QuestionnaireNotFoundError, match="'nope'"):
        find_latest(bank, "nope")
    with pytest.raises(QuestionnaireNotFoundError, match="version 3"):
        find_version(bank, "demo", 3)


def test_load_bank_reports_every_problem(
    qb: SimpleNamespace, write: Writer, tmp_path: Path
) -> None:
    write(qb.mixed("demo"))
    write(qb.mixed("other"))  # reuses the item ids of demo
    with pytest.raises(InvalidQuestionnaireError) as caught:
        load_bank(tmp_path)
    assert {p.rule for p in caught.value.problems} == {"duplicate-id", "duplicate-text"}


def test_hash_ignores_comments_layout_and_key_order(
    qb: SimpleNamespace, write: Writer, tmp_path: Path
) -> None:
    data = qb.mixed()
    original = load_file(write(data)).content_hash
    other = tmp_path / "other"
    other.mkdir()
    text = "# a comment\n" + yaml.safe_dump(data, sort_keys=True, default_flow_style=True)
    (other / "demo.v1.yaml").write_text(text.replace(", ", ",\n  "), "utf-8")
    assert load_file(other / "demo.v1.yaml").content_hash == original


def test_hash_treats_an_explicit_default_as_absent(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    before = load_file(write(data)).content_hash
    data["sections"][0]["items"][0]["stimulus"] = None
    data["sections"][0]["items"][0]["rationale"] = None
    assert load_file(write(data)).content_hash == before


def test_hash_changes_with_content(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    before = load_file(write(data)).content_hash
    data["sections"][0]["items"][0]["options"][0]["score"] = 2
    data["sections"][0]["items"][0]["options"][3]["score"] = 3
    assert load_file(write(data)).content_hash != before


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: _shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_shuffled(element, rng) for element in value]
    return value


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rng=st.randoms(use_true_random=False), flow=st.booleans(), width=st.integers(40, 200))
def test_hash_is_invariant_under_yaml_rewriting(
    qb: SimpleNamespace, tmp_path: Path, rng: random.Random, flow: bool, width: int
) -> None:
    data = qb.language()
    reference = load_file(_dump(tmp_path / "a", data, flow=False, width=80)).content_hash
    rewritten = _dump(tmp_path / "b", _shuffled(data, rng), flow=flow, width=width)
    assert load_file(rewritten).content_hash == reference


def _dump(directory: Path, data: Any, *, flow: bool, width: int) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "english.v1.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        data,
        Dumper=dumper,
        sort_keys=False,
        default_flow_style=flow,
        width=width,
        allow_unicode=True,
    )
    path.write_text(text, "utf-8")
    return path


def _published(loaded: LoadedQuestionnaire) -> dict[tuple[str, int], str]:
    return {(loaded.key, loaded.version): loaded.content_hash}


def test_check_published_accepts_the_same_content(
    qb: SimpleNamespace, write: Writer, tmp_path: Path
) -> None:
    data = qb.mixed()
    published = _published(load_file(write(data)))
    check_published(load_file(write(data)), published)
    path = write(data)
    path.write_text("# reviewed\n\n" + path.read_text("utf-8").replace(": ", ":   "), "utf-8")
    check_published(load_file(path), published)


def test_check_published_accepts_a_new_version(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    published = _published(load_file(write(data)))
    data["version"] = 2
    data["sections"][0]["items"][0]["prompt"]["en"] = "A better prompt"
    check_published(load_file(write(data)), published)


def test_check_published_refuses_an_edited_version(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    first = load_file(write(data))
    data["sections"][0]["items"][0]["prompt"]["en"] = "An edited prompt"
    edited = load_file(write(data))
    with pytest.raises(PublishedVersionChangedError) as caught:
        check_published(edited, _published(first))
    message = str(caught.value)
    assert message.startswith("questionnaire demo v1 is already published with different content")
    assert first.content_hash[:12] in message
    assert message.endswith("bump the version to 2 instead of editing a published file")


def test_check_published_suggests_the_next_free_version(qb: SimpleNamespace, write: Writer) -> None:
    data = qb.mixed()
    data["title"]["en"] = "Edited"
    edited = load_file(write(data))
    published = {("demo", 1): "0" * 64, ("demo", 2): "1" * 64, ("other", 7): "2" * 64}
    with pytest.raises(PublishedVersionChangedError, match="bump the version to 3 "):
        check_published(edited, published)
