"""How well the language forms classify candidates at the position's hurdle (docs/instrument.md).

Usage: ``.venv/bin/python -m scripts.instrument.cefr_classification [--n 4000] [--seed 13]``
       ``... cefr_classification --second-panel`` (items at the re-rating panel's levels)

Response model (a Rasch model; everything below is an assumption of the simulation, stated so
it can be argued with):

* P(correct) = 1 / (1 + exp(-(theta - b))) for a candidate of ability theta and an item of
  difficulty b (logits).
* Item difficulties are placed by the CEFR level the panel gave the item: level centres
  c_L = (-1.5, -0.5, 0.5, 1.5) x DELTA for A2, B1, B2, C1, with DELTA = 2.0 logits between
  adjacent levels (North & Schneider, 1998, Language Testing 15(2), 217-262: the CEFR
  descriptor scale puts the cut-offs of B1, B2 and C1 about 2 logits apart), plus a spread
  within the level, b = c_L + N(0, 0.5^2), drawn once per item.
* A candidate "at level L" succeeds on level-L items with probability 0.80 (the "can do"
  convention: an L-level person can do L-level tasks most of the time), i.e. theta_L =
  c_L + ln(4), plus a person spread N(0, 0.25^2). "One level above the hurdle H" is
  theta_{H+1} (for a C1 hurdle: a C2 candidate, one DELTA above C1), "one level below" is
  theta_{H-1} (for an A2 hurdle: A1, one DELTA below A2).

Each simulated candidate gets a real form (``questionnaires.forms.draw_form`` with the
hurdle's blueprint) from the real pool, answers it under the model, and is scored by the real
rule (``scoring.cefr``: the highest level with >= 70 % correct at it and every level below).
Passing = the estimate reaches the hurdle. The report also gives the results for DELTA = 1.5
and 2.5 (the sensitivity of the claim to the model), and the share of candidates *at* the
hurdle who pass (a candidate exactly at the level is near the cut by construction).
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from questionnaires.forms import draw_form
from questionnaires.keys import item_keys
from questionnaires.loader import BANK_DIR, load_file
from questionnaires.parsing import read_yaml
from questionnaires.schema import Questionnaire
from scoring import estimate_cefr, score_items
from scoring.items import compile_keys

LEVELS = ("A2", "B1", "B2", "C1")
DELTA = 2.0
ITEM_SD = 0.5
PERSON_SD = 0.25
CAN_DO = 0.80
LANGUAGE_FILES = {"en": "english.v2.yaml", "it": "italian.v1.yaml"}


@dataclass(frozen=True)
class HurdleResult:
    """Classification at one hurdle for one language."""

    language: str
    hurdle: str
    delta: float
    pass_above: float
    fail_below: float
    pass_at: float


def level_centre(level_index: float, delta: float) -> float:
    """c_L for A2 = 0, B1 = 1, B2 = 2, C1 = 3 (A1 = -1, C2 = 4 extend the line)."""
    return (level_index - 1.5) * delta


def ability(level_index: float, delta: float) -> float:
    """theta of a candidate at a level: success on that level's items with p = CAN_DO."""
    return level_centre(level_index, delta) + math.log(CAN_DO / (1 - CAN_DO))


def second_panel_levels() -> dict[str, str]:
    """The median level the re-rating panel (``questionnaires/panel/rerate/``) gave each of the
    items rewritten after the first CEFR panel."""
    ratings: dict[str, list[int]] = {}
    for n in (4, 5, 6):
        for row in read_yaml(BANK_DIR.parent / "panel" / "rerate" / f"rater-{n}.yaml")["lang"]:
            ratings.setdefault(row["id"], []).append(LEVELS.index(row["level"]))
    return {item_id: LEVELS[int(statistics.median_low(levels))]
            for item_id, levels in ratings.items()}


def simulate(
    questionnaire: Questionnaire, hurdle: str, *, delta: float, n: int, seed: int,
    true_levels: Mapping[str, str] | None = None,
) -> tuple[float, float, float]:
    """Shares passing one level above, failing one level below, passing at the hurdle.

    ``true_levels`` places some items' difficulty at another level than their tag (the
    scoring still reads the tag): what happens if a panel is right and the tag is not."""
    rng = np.random.default_rng(seed)
    section = questionnaire.sections[0]
    pool = [item for item in section.items if item.scored]
    true_levels = true_levels or {}
    difficulty = {
        item.id: level_centre(LEVELS.index(true_levels.get(item.id, item.cefr)), delta)
        + rng.normal(0, ITEM_SD)
        for item in pool
    }
    keys = compile_keys(item_keys([questionnaire]))
    column = {item_id: j for j, item_id in enumerate(keys.ids)}
    h = LEVELS.index(hurdle)
    shares = []
    for offset in (+1, -1, 0):
        theta = ability(h + offset, delta) + rng.normal(0, PERSON_SD, size=n)
        X = np.full((n, len(keys)), np.nan)
        given = np.zeros((n, len(keys)), dtype=bool)
        for i in range(n):
            form = draw_form(section, seed=int(rng.integers(1 << 31)), hurdle=hurdle)
            for item_id in form:
                given[i, column[item_id]] = True
                b = difficulty[item_id]
                correct = rng.random() < 1 / (1 + math.exp(-(theta[i] - b)))
                key = keys.keys[column[item_id]]
                right = max(key.option_scores, key=key.option_scores.get)  # type: ignore[arg-type]
                wrong = next(o for o in key.option_ids if o != right)
                X[i, column[item_id]] = key.option_ids.index(right if correct else wrong)
        levels = estimate_cefr(keys, score_items(keys, X), administered=given).level
        ranks = np.array([LEVELS.index(lv) if lv in LEVELS else -1 for lv in levels])
        passed = float((ranks >= h).mean())
        shares.append(passed if offset >= 0 else 1 - passed)
    return shares[0], shares[1], shares[2]


def run(n: int = 4000, seed: int = 13, deltas: Sequence[float] = (DELTA, 1.5, 2.5),
        true_levels: Mapping[str, str] | None = None) -> list[HurdleResult]:
    """Every language, hurdle and DELTA."""
    results = []
    for language, name in LANGUAGE_FILES.items():
        questionnaire = load_file(BANK_DIR / name).questionnaire
        for delta in deltas:
            for k, hurdle in enumerate(LEVELS):
                above, below, at = simulate(questionnaire, hurdle, delta=delta, n=n,
                                            seed=seed + 97 * k + int(10 * delta),
                                            true_levels=true_levels)
                results.append(HurdleResult(language, hurdle, delta, above, below, at))
    return results


def report(results: Sequence[HurdleResult]) -> str:
    """A markdown table per DELTA."""
    lines = []
    for delta in sorted({r.delta for r in results}, key=lambda d: (d != DELTA, d)):
        main = " (the model of the manual)" if delta == DELTA else " (sensitivity)"
        lines += [f"DELTA = {delta:g} logits between levels{main}", "",
                  "| language | hurdle | one level above: pass | one level below: fail |"
                  " at the hurdle: pass |", "|---|---|---:|---:|---:|"]
        for r in results:
            if r.delta == delta:
                lines.append(f"| {r.language} | {r.hurdle} | {100 * r.pass_above:.1f} % | "
                             f"{100 * r.fail_below:.1f} % | {100 * r.pass_at:.1f} % |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Print the tables of docs/instrument.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="candidates per group")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--second-panel", action="store_true",
                        help="place the re-rated items at the second panel's median level")
    args = parser.parse_args()
    if args.second_panel:
        levels = second_panel_levels()
        print("Items at the second panel's level: "
              + ", ".join(f"{i} {lv}" for i, lv in sorted(levels.items())) + "\n")
        print(report(run(n=args.n, seed=args.seed, deltas=(DELTA,), true_levels=levels)))
        return
    print(report(run(n=args.n, seed=args.seed)))


if __name__ == "__main__":
    main()
