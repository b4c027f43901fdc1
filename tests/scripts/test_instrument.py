"""The numbers of docs/instrument.md, reproduced by the scripts that print them."""

from __future__ import annotations

import numpy as np
import pytest

from questionnaires.loader import BANK_DIR, load_file
from questionnaires.parsing import read_yaml
from scoring.agreement import predicted_alpha
from scripts.instrument import cefr_classification, panel_report, reliability


def test_the_sjt_keys_are_the_panel_s_consensus_item_by_item() -> None:
    sjt = panel_report.sjt_panel()
    assert sjt["traceable"]  # every option's ratings and mean equal the raters' files
    assert sjt["sd_over_1"] == 0 and sjt["items"] == 52
    assert all(count * 3 >= 26 for count in sjt["decisive"].values())


def test_the_blind_solver_agrees_with_every_key_in_the_bank() -> None:
    solver = panel_report.blind_solver()
    assert solver["agree"] == solver["in_bank"] == 49  # ck109 was dropped (arguable law)


def test_language_items_follow_the_cefr_panel_s_verdicts() -> None:
    verdicts = read_yaml(BANK_DIR.parent / "panel" / "verdicts.yaml")["language"]
    bank = {item.id: item for name in ("english.v2.yaml", "italian.v1.yaml")
            for _, item in load_file(BANK_DIR / name).questionnaire.iter_items()}
    for item_id, verdict in verdicts.items():
        if verdict.startswith("dropped"):
            assert item_id not in bank
        elif verdict.startswith("re-tagged"):
            assert bank[item_id].cefr == verdict.rsplit(" ", 1)[1]
        else:
            assert item_id in bank
    cefr = panel_report.cefr_panel()
    assert cefr["answers_agree"] == cefr["answers"]
    assert all(n >= 10 for levels in cefr["levels"].values() for n in levels.values())


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_b2_form_classifies_one_level_away_at_least_nine_times_in_ten(language: str) -> None:
    questionnaire = load_file(BANK_DIR / cefr_classification.LANGUAGE_FILES[language]
                              ).questionnaire
    above, below, _at = cefr_classification.simulate(
        questionnaire, "B2", delta=cefr_classification.DELTA, n=500, seed=3)
    assert above >= 0.90 and below >= 0.90


def test_the_second_panel_confirms_every_reworded_sjt_key() -> None:
    again = panel_report.sjt_rerating()
    assert again["items"] == len(again["reworded_in_bank"]) == 37
    assert again["best_is_key"] == again["choices"]
    assert again["max_sd_key_best"] <= 1
    assert again["worst_differs"] == ["bs113"]  # written down in docs/instrument.md


def test_at_the_second_panel_s_levels_italian_c1_misses_and_is_refused() -> None:
    from questionnaires.hurdles import unsupported_reason

    levels = cefr_classification.second_panel_levels()
    assert levels["it140"] == "B2" and levels["en147"] == "B2"
    italian = load_file(BANK_DIR / cefr_classification.LANGUAGE_FILES["it"]).questionnaire
    _above, below, _at = cefr_classification.simulate(
        italian, "C1", delta=cefr_classification.DELTA, n=600, seed=5, true_levels=levels)
    assert below < 0.90  # fewer than nine B2 candidates in ten stopped at C1
    assert unsupported_reason("italian", 1, "C1") is not None
    _above, below, _at = cefr_classification.simulate(
        italian, "B2", delta=cefr_classification.DELTA, n=600, seed=5, true_levels=levels)
    assert below >= 0.90 and unsupported_reason("italian", 1, "B2") is None


@pytest.mark.parametrize("competency", ["business_sense", "drive"])
def test_a_simulated_population_reaches_the_predicted_alpha(competency: str) -> None:
    rng = np.random.default_rng(11)
    questionnaire = load_file(BANK_DIR / reliability.SECTIONS[competency]).questionnaire
    k = questionnaire.sections[0].form_length
    target = reliability.ASSUMED_R[competency][0]
    lam = reliability.calibrate(questionnaire, target, rng, n=900)
    _keys, scores, given = reliability._answers(questionnaire, lam, 1500, rng)
    r = reliability.mean_inter_item_r(scores)
    observed = reliability.form_alpha(scores, k)
    assert abs(r - target) < 0.03
    # The real pipeline's pooled alpha is Spearman-Brown's prediction for the items' r.
    assert observed == pytest.approx(predicted_alpha(r, k), abs=0.03)
    assert given.sum(axis=1).tolist() == [k] * 1500  # everyone answered a form of k items
