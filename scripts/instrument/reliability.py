"""Predicted reliability of each v2 scale, and a simulated population that checks it.

Usage: ``.venv/bin/python -m scripts.instrument.reliability [--n 3000] [--seed 5]``

1. **Prediction** (before any data): Spearman-Brown, alpha = k r / (1 + (k - 1) r), for the
   form length k of each section and an assumed average inter-item correlation r (the
   values and their sources are in ``ASSUMED_R``), with the number of items a form would
   need for alpha = .70.

2. **Simulated population through the real pipeline**: candidates with one latent trait per
   scale answer the items of their own forms (``questionnaires.forms.draw_form``), under a
   one-factor response model whose loading is calibrated so that the items correlate on
   average as assumed; their answers go through the real scoring path (item keys from the
   bank with the panel's effectiveness, ``scoring.score_items``, scale scores on the
   administered items, and the pooled-form alpha the app stores in its norm tables,
   ``scoring.reliability.form_alpha``). The observed alpha should meet the prediction: it
   shows that forms, best/worst scoring and the pooled alpha estimator do what the manual
   says; whether the real items correlate as assumed is what the pilot will tell.

Response models (latent theta ~ N(0, 1) per scale, loading lam calibrated per scale):
keyed and numeric items: correct when lam theta + sqrt(1 - lam^2) e > tau, tau from the
item's difficulty (easy -0.8, medium 0, hard 0.8); best/worst SJTs: the most effective
option drawn with probabilities proportional to exp(s e_o), the least effective from the
rest with exp(-s e_o), where s = lam theta + sqrt(1 - lam^2) e is the person's judgement
on that item and e_o the panel's effectiveness; Likert: round(3 + 1.3 (lam theta +
sqrt(1 - lam^2) e)), clipped to 1..5, mirrored for reverse-keyed items.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from questionnaires.forms import draw_form
from questionnaires.keys import item_keys
from questionnaires.loader import BANK_DIR, load_file
from questionnaires.schema import LikertItem, Questionnaire, SjtItem
from scoring import score_items
from scoring.agreement import items_for_alpha, predicted_alpha
from scoring.items import compile_keys
from scoring.reliability import form_alpha

#: Assumed average inter-item correlation per scale, and why.
ASSUMED_R = {
    "business_sense": (0.12, "SJT items are heterogeneous by design: v1's 14 pick-one items "
                       "gave alpha .42-.61, i.e. r .05-.10; best/worst scoring uses two "
                       "choices per item and graded keys (Catano, Brochu & Lamerson, 2012)"),
    "communication": (0.12, "as business sense"),
    "commercial_knowledge": (0.15, "dichotomous applied-knowledge items on varied topics "
                             "(phi correlations of such items are typically .10-.20)"),
    "analysis": (0.20, "numerical reasoning items share one ability; numeric answers do not "
                 "allow guessing"),
    "stress_resistance": (0.25, "a homogeneous Likert scale of one trait (typical of "
                          "emotional-stability scales)"),
    "drive": (0.20, "Likert items over four facets plus pay attitude: broader than stress"),
}
SECTIONS = {
    "business_sense": "business-sense.v2.yaml",
    "communication": "communication.v2.yaml",
    "commercial_knowledge": "commercial-knowledge.v2.yaml",
    "analysis": "analysis.v2.yaml",
    "stress_resistance": "stress-resistance.v2.yaml",
    "drive": "drive.v1.yaml",
}
THRESHOLDS = {"easy": -0.8, "medium": 0.0, "hard": 0.8, None: 0.0}


@dataclass(frozen=True)
class ScaleReliability:
    """Predicted and simulated reliability of one scale."""

    competency: str
    form_length: int
    pool: int
    assumed_r: float
    predicted: float
    items_for_70: int
    simulated_r: float | None = None
    observed: float | None = None


def _answers(questionnaire: Questionnaire, lam: float, n: int, rng: np.random.Generator
             ) -> tuple[list, np.ndarray, np.ndarray]:
    """Keys, item scores and the administered mask of ``n`` simulated candidates."""
    section = questionnaire.sections[0]
    keys = compile_keys(item_keys([questionnaire]))
    column = {item_id: j for j, item_id in enumerate(keys.ids)}
    items = {item.id: item for item in section.items if item.scored}
    theta = rng.normal(size=n)
    X = np.full((n, len(keys)), np.nan)
    given = np.zeros((n, len(keys)), dtype=bool)
    noise = math.sqrt(1 - lam**2)
    for i in range(n):
        for item_id in draw_form(section, seed=int(rng.integers(1 << 31))):
            item = items.get(item_id)
            if item is None:  # an impression-management check: not keyed
                continue
            j = column[item_id]
            given[i, j] = True
            key = keys.keys[j]
            s = lam * theta[i] + noise * rng.normal()
            if isinstance(item, SjtItem) and item.best_worst:
                effect = np.array([o.effectiveness for o in item.options], dtype=float)
                p = np.exp(2.0 * s * effect)
                best = rng.choice(4, p=p / p.sum())
                q = np.exp(-2.0 * s * effect)
                q[best] = 0
                worst = rng.choice(4, p=q / q.sum())
                X[i, j] = best * 4 + worst
            elif isinstance(item, LikertItem):
                value = int(min(5, max(1, round(3 + 1.3 * s))))
                X[i, j] = 6 - value if item.reverse else value
            elif key.type == "numeric":
                X[i, j] = key.answer if s > THRESHOLDS[item.difficulty] else key.answer + 1e6
            else:
                right = max(key.option_scores, key=key.option_scores.get)  # type: ignore[arg-type]
                wrong = next(o for o in key.option_ids if o != right)
                choice = right if s > THRESHOLDS[item.difficulty] else wrong
                X[i, j] = key.option_ids.index(choice)
    return keys, score_items(keys, X), given


def mean_inter_item_r(scores: np.ndarray, min_pairs: int = 30) -> float:
    """Average pairwise-complete Pearson correlation between the items of a pool."""
    m = scores.shape[1]
    values = []
    for a in range(m):
        for b in range(a + 1, m):
            both = ~np.isnan(scores[:, a]) & ~np.isnan(scores[:, b])
            if both.sum() >= min_pairs and scores[both, a].std() and scores[both, b].std():
                values.append(np.corrcoef(scores[both, a], scores[both, b])[0, 1])
    return float(np.mean(values)) if values else float("nan")


def calibrate(questionnaire: Questionnaire, target: float, rng: np.random.Generator,
              n: int = 1500) -> float:
    """The loading whose simulated items correlate on average as ``target`` (bisection)."""
    low, high = 0.05, 0.95
    for _ in range(10):
        lam = (low + high) / 2
        _keys, scores, _given = _answers(questionnaire, lam, n, rng)
        if mean_inter_item_r(scores) < target:
            low = lam
        else:
            high = lam
    return (low + high) / 2


def run(n: int = 3000, seed: int = 5, simulate: bool = True) -> list[ScaleReliability]:
    """Prediction (and, with ``simulate``, the simulated population) for every scale."""
    rng = np.random.default_rng(seed)
    out = []
    for competency, name in SECTIONS.items():
        questionnaire = load_file(BANK_DIR / name).questionnaire
        section = questionnaire.sections[0]
        r, _why = ASSUMED_R[competency]
        k = int(section.form_length or 0)
        row = ScaleReliability(
            competency=competency, form_length=k,
            pool=sum(item.scored for item in section.items), assumed_r=r,
            predicted=float(predicted_alpha(r, k)), items_for_70=items_for_alpha(r, 0.70),
        )
        if simulate:
            lam = calibrate(questionnaire, r, rng)
            _keys, scores, _given = _answers(questionnaire, lam, n, rng)
            row = ScaleReliability(**{**row.__dict__, "simulated_r": mean_inter_item_r(scores),
                                      "observed": form_alpha(scores, k)})
        out.append(row)
    return out


def report(rows: list[ScaleReliability]) -> str:
    """The markdown table of docs/instrument.md."""
    lines = ["| scale | pool | form | assumed r | predicted alpha | items for .70 |"
             " simulated r | observed alpha (simulated, real pipeline) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        sim = "–" if r.observed is None else f"{r.simulated_r:.3f} | {r.observed:.3f}"
        if r.observed is None:
            sim = "– | –"
        lines.append(f"| {r.competency} | {r.pool} | {r.form_length} | {r.assumed_r:.2f} | "
                     f"{r.predicted:.3f} | {r.items_for_70} | {sim} |")
    return "\n".join(lines)


def with_pressure_sjts(k_likert: int = 8, r_likert: float = 0.25, r_cross: float = 0.08,
                       r_sjt: float = 0.10, k_sjt: int = 3) -> tuple[float, float]:
    """Predicted alpha of the stress scale alone and with v1's three pressure SJTs added
    (standardized alpha from the mean of all inter-item correlations)."""
    pairs = (k_likert * (k_likert - 1) / 2, k_likert * k_sjt, k_sjt * (k_sjt - 1) / 2)
    mean_r = (pairs[0] * r_likert + pairs[1] * r_cross + pairs[2] * r_sjt) / sum(pairs)
    return (float(predicted_alpha(r_likert, k_likert)),
            float(predicted_alpha(mean_r, k_likert + k_sjt)))


def main() -> None:
    """Print the table of docs/instrument.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-simulation", action="store_true")
    args = parser.parse_args()
    print(report(run(n=args.n, seed=args.seed, simulate=not args.no_simulation)))
    alone, mixed = with_pressure_sjts()
    print(f"\nStress scale: predicted alpha {alone:.3f} alone, {mixed:.3f} with v1's three "
          "pressure SJTs (r .08 with the statements, .10 among themselves)")


if __name__ == "__main__":
    main()
