"""Forms drawn from the v2 pools: equal length, balanced difficulty, enemies apart, repeatable."""

from __future__ import annotations

from collections import Counter

import pytest

from questionnaires.forms import allocate, blueprint, draw_form
from questionnaires.keys import item_keys, scoring_inputs
from questionnaires.loader import BANK_DIR, LoadedQuestionnaire, load_bank, load_file
from questionnaires.schema import Section
from questionnaires.timing import section_timing


def _section(name: str) -> Section:
    return load_file(BANK_DIR / name).questionnaire.sections[0]


POOLS = ["business-sense.v2.yaml", "communication.v2.yaml", "commercial-knowledge.v2.yaml",
         "analysis.v2.yaml", "stress-resistance.v2.yaml", "drive.v1.yaml"]


@pytest.mark.parametrize("name", POOLS)
def test_every_form_has_the_same_length_and_mix(name: str) -> None:
    section = _section(name)
    by_id = {item.id: item for item in section.items}
    mixes = set()
    for seed in range(200):
        form = [by_id[i] for i in draw_form(section, seed=seed)]
        scored = [item for item in form if item.scored]
        assert len(scored) == section.form_length
        if name == "drive.v1.yaml":  # the six impression statements are on every form
            assert sum(not item.scored for item in form) == 6
            assert sum(item.reverse for item in scored) * 2 == len(scored)  # type: ignore[union-attr]
        mixes.add(tuple(sorted(Counter(i.difficulty for i in scored).items(), key=str)))
    assert len(mixes) == 1, mixes  # balanced difficulty: the same mix on every form


def test_forms_differ_between_candidates_and_repeat_for_one() -> None:
    section = _section("business-sense.v2.yaml")
    forms = {draw_form(section, seed=seed) for seed in range(50)}
    assert len(forms) > 40
    assert draw_form(section, seed=12) == draw_form(section, seed=12)


def test_enemies_are_never_on_the_same_form() -> None:
    for name in [*POOLS, "english.v2.yaml", "italian.v1.yaml"]:
        section = _section(name)
        enemies = {(item.id, other) for item in section.items for other in item.enemies}
        assert enemies or name not in ("business-sense.v2.yaml", "commercial-knowledge.v2.yaml")
        for seed in range(300):
            form = set(draw_form(section, seed=seed, hurdle="B2"))
            assert not {(a, b) for a, b in enemies if a in form and b in form}, (name, seed)


@pytest.mark.parametrize("hurdle", ["A2", "B1", "B2", "C1"])
def test_language_forms_follow_the_hurdle_blueprint(hurdle: str) -> None:
    for name in ("english.v2.yaml", "italian.v1.yaml"):
        section = _section(name)
        by_id = {item.id: item for item in section.items}
        form = [by_id[i] for i in draw_form(section, seed=5, hurdle=hurdle)]
        assert dict(Counter(item.cefr for item in form)) == {
            level: n for level, n in section.form_by_hurdle[hurdle].items() if n  # type: ignore[index]
        }
        assert Counter(item.cefr for item in form)[hurdle] == 10


def test_allocation_is_proportional_with_largest_remainders() -> None:
    assert allocate({("easy",): 9, ("medium",): 9, ("hard",): 8}, 7) == {
        ("easy",): 3, ("medium",): 2, ("hard",): 2,
    }
    with pytest.raises(ValueError, match="pool of 3"):
        allocate({("a",): 3}, 4)


def test_the_time_rule_holds_for_every_drawn_form() -> None:
    # The limit covers the longest form the blueprint allows, so any drawn form fits it.
    for name in POOLS:
        section = _section(name)
        for seed in range(50):
            ids = set(draw_form(section, seed=seed))
            form = section.model_copy(update={
                "items": tuple(i for i in section.items if i.id in ids), "form_length": None})
            assert section_timing(form).needed_s <= section.time_limit_s
        assert sum(s.count for s in blueprint(section)) == section.form_length


def test_keys_follow_the_form_and_leave_out_the_checks() -> None:
    bank = {loaded.key: loaded for loaded in load_bank()}
    drive: LoadedQuestionnaire = bank["drive"]
    section = drive.questionnaire.sections[0]
    form = draw_form(section, seed=9)
    keys = item_keys([drive.questionnaire], forms={section.key: form})
    assert len(keys) == section.form_length and not any(k.id.startswith("im") for k in keys)
    answers = {item_id: 5 for item_id in form}
    keyed, scored, impression = scoring_inputs([drive.questionnaire], answers,
                                               forms={section.key: form})
    assert set(scored) == {key.id for key in keyed}
    assert impression == [5] * 6
