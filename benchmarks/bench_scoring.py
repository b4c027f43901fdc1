"""Benchmark of the scoring library against plain-Python per-candidate loops.

Run: ``.venv/bin/python benchmarks/bench_scoring.py [--quick]``

Three workloads (targets: each under 1 s, and ≥ 20× faster than the reference loop):

1. items → composite for 10,000 attempts × 80 items (encoded answers → item scores → scale
   scores with prorating → norms → CEFR → composite with hurdles);
2. α per scale and the full item analysis over the 10,000 × 80 item-score matrix;
3. Monte Carlo of the cost model, 100,000 draws × 36 months, both options.

The references are straightforward pure-Python implementations of the same formulas, one
candidate / one draw at a time; their results are checked against the library's so the
comparison is like for like. Numbers are printed, not asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scoring
from scoring.cost import _triangular

N_CANDIDATES = 10_000
N_DRAWS = 100_000
HORIZON = 36


# --------------------------------------------------------------------------- data


def make_keys() -> list[scoring.ItemKey]:
    """An 80-item battery shaped like the bank: 12 SJT + 12 numeric + (12 Likert + 4 SJT) +
    16 language items (4 per CEFR level) + 12 SJT + 12 keyed knowledge items."""
    keys: list[scoring.ItemKey] = []
    sjt = {"a": 3.0, "b": 1.0, "c": 0.0, "d": 2.0}
    for i in range(12):
        keys.append(scoring.ItemKey(f"bs{i:02}", "business_sense", "sjt", sjt))
    for i in range(12):
        keys.append(
            scoring.ItemKey(f"an{i:02}", "analysis", "numeric", answer=100.0 + i, tolerance=0.5)
        )
    for i in range(12):
        keys.append(scoring.ItemKey(f"sr{i:02}", "stress_resistance", "likert", reverse=i % 3 == 0))
    for i in range(4):
        keys.append(scoring.ItemKey(f"sp{i:02}", "stress_resistance", "sjt", sjt))
    for i, level in enumerate(["A2", "B1", "B2", "C1"] * 4):
        keys.append(
            scoring.ItemKey(
                f"en{i:02}",
                "languages",
                "single_choice",
                {"a": 0, "b": 1, "c": 0, "d": 0},
                cefr=level,
            )
        )
    for i in range(12):
        keys.append(scoring.ItemKey(f"co{i:02}", "communication", "sjt", sjt))
    for i in range(12):
        keys.append(
            scoring.ItemKey(
                f"ck{i:02}",
                "commercial_knowledge",
                "single_choice",
                {"a": 0, "b": 0, "c": 1, "d": 0},
            )
        )
    return keys


def simulate(keys: list[scoring.ItemKey], n: int, seed: int) -> np.ndarray:
    """Encoded answers driven by one latent ability per candidate, with 3 % missing."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    X = np.empty((n, len(keys)))
    for j, key in enumerate(keys):
        noise = rng.normal(size=n)
        signal = 0.8 * theta + noise
        if key.type == "likert":
            x = np.clip(np.round(3 + signal), 1, 5)
            X[:, j] = 6 - x if key.reverse else x
        elif key.type == "numeric":
            X[:, j] = np.where(signal > -0.3, key.answer, key.answer + 3.0)
        else:
            scores = np.array(list(key.option_scores.values()))
            order = np.argsort(scores)  # option indices from worst to best
            rank = np.clip(np.floor((signal + 2) / 4 * len(order)), 0, len(order) - 1)
            X[:, j] = order[rank.astype(int)]
    X[rng.random(X.shape) < 0.03] = np.nan
    return X


# --------------------------------------------------------------------------- references


def reference_battery(
    keys: list[scoring.ItemKey],
    rows: list[list[float]],
    norms: dict[str, tuple[float, float]],
    weights: dict[str, float],
) -> list[float | None]:
    """Plain Python, one candidate at a time: items → scales → z → fit T."""
    comps = list(dict.fromkeys(k.competency for k in keys))
    lo = {c: 0.0 for c in comps}
    hi = {c: 0.0 for c in comps}
    count = {c: 0 for c in comps}
    for k in keys:
        lo[k.competency] += scoring.item_min(k)
        hi[k.competency] += scoring.item_max(k)
        count[k.competency] += 1
    option_scores = [list(k.option_scores.values()) if k.option_scores else None for k in keys]
    fits: list[float | None] = []
    for row in rows:
        total = dict.fromkeys(comps, 0.0)
        amin = dict.fromkeys(comps, 0.0)
        amax = dict.fromkeys(comps, 0.0)
        answered = dict.fromkeys(comps, 0)
        levels = {"A2": [0, 0], "B1": [0, 0], "B2": [0, 0], "C1": [0, 0]}
        for j, key in enumerate(keys):
            x = row[j]
            if key.cefr:
                levels[key.cefr][1] += 1
            if x != x:  # NaN
                continue
            if key.type == "likert":
                s = key.scale_min + key.scale_max - x if key.reverse else x
            elif key.type == "numeric":
                s = (
                    1.0
                    if abs(x - key.answer) <= key.tolerance + 1e-9 * max(1, abs(key.answer))
                    else 0.0
                )
            else:
                s = option_scores[j][int(x)]
            c = key.competency
            total[c] += s
            amin[c] += scoring.item_min(key)
            amax[c] += scoring.item_max(key)
            answered[c] += 1
            if key.cefr and s >= scoring.item_max(key):
                levels[key.cefr][0] += 1
        cefr = "below_A2"
        for level in ("A2", "B1", "B2", "C1"):
            right, total_items = levels[level]
            if right >= 0.7 * total_items - 1e-9:
                cefr = level
            else:
                break
        fit = 0.0
        ok = True
        hurdle_analysis = None
        for c in comps:
            if answered[c] < 0.8 * count[c] - 1e-9:
                raw = None
            elif answered[c] == count[c]:
                raw = total[c]
            else:
                raw = lo[c] + (total[c] - amin[c]) / (amax[c] - amin[c]) * (hi[c] - lo[c])
            z = None if raw is None else (raw - norms[c][0]) / norms[c][1]
            if c == "analysis" and z is not None:
                hurdle_analysis = 50.0 + 10.0 * z >= 40.0
            w = weights.get(c, 0.0)
            if w > 0:
                if z is None:
                    ok = False
                else:
                    fit += w * z
        t_fit = 50.0 + 10.0 * fit if ok else None
        if t_fit is None:
            band = None
        else:
            band = "A" if t_fit >= 60 else "B" if t_fit >= 55 else "C" if t_fit >= 45 else "D"
        language_ok = cefr in ("B2", "C1")
        fits.append((t_fit, band, cefr, hurdle_analysis, language_ok))
    return fits


def reference_alpha(matrix: list[list[float]]) -> float:
    rows = [r for r in matrix if all(v == v for v in r)]
    k = len(rows[0])

    def var(values: list[float]) -> float:
        m = sum(values) / len(values)
        return sum((v - m) ** 2 for v in values) / (len(values) - 1)

    item_var = sum(var([r[j] for r in rows]) for j in range(k))
    return k / (k - 1) * (1 - item_var / var([sum(r) for r in rows]))


def reference_item_analysis(
    keys: list[scoring.ItemKey], scores: list[list[float]], encoded: list[list[float]]
) -> list[tuple[float, float]]:
    out = []
    by_comp: dict[str, list[int]] = {}
    for j, k in enumerate(keys):
        by_comp.setdefault(k.competency, []).append(j)
    for j, key in enumerate(keys):
        col = [r[j] for r in scores if r[j] == r[j]]
        mean = sum(col) / len(col)
        p = (mean - scoring.item_min(key)) / (scoring.item_max(key) - scoring.item_min(key))
        cols = by_comp[key.competency]
        xs, ys = [], []
        for r in scores:
            vals = [r[c] for c in cols]
            if all(v == v for v in vals):
                xs.append(r[j])
                ys.append(sum(vals) - r[j])
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        sxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys, strict=True))
        sxx = sum((a - mx) ** 2 for a in xs)
        syy = sum((b - my) ** 2 for b in ys)
        r_it = sxy / math.sqrt(sxx * syy)
        if key.option_scores:
            counts = [0] * len(key.option_scores)
            for row in encoded:
                if row[j] == row[j]:
                    counts[int(row[j])] += 1
        out.append((p, r_it))
    return out


def reference_npv(
    option: scoring.OptionAssumptions,
    a: scoring.CostAssumptions,
    ramp: float,
    prod: float,
    attr: float,
    revenue: float,
) -> float:
    rate = a.effective_rate
    npv = 0.0
    for t in range(1, a.horizon_months + 1):
        f = 0.0 if t <= option.training_months else min(1.0, (t - option.training_months) / ramp)
        rev = revenue * prod * f
        margin = rev * a.gross_margin_pct
        commission = rate * (rev if a.commission_base == "revenue" else margin)
        span = max(1, option.training_months)
        fixed = option.base_salary_monthly * (1 + option.overhead_pct)
        if t <= span:
            fixed += option.training_cost_total / span
        survival = (1 - attr) ** (t - 1)
        net = survival * (margin - commission - fixed) - (option.hiring_cost if t == 1 else 0.0)
        npv += net / (1 + a.discount_rate_annual) ** (t / 12)
    return npv


# --------------------------------------------------------------------------- timing


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def report(name: str, fast: float, slow: float, slow_note: str = "") -> None:
    verdict = "OK " if fast < 1.0 and slow / fast >= 20 else "MISS"
    print(
        f"[{verdict}] {name:<44} library {fast * 1000:8.1f} ms | reference {slow:7.2f} s"
        f"{slow_note} | speed-up {slow / fast:7.0f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller reference runs")
    args = parser.parse_args()
    print(
        f"numpy {np.__version__}, python {sys.version.split()[0]},"
        f" scoring {scoring.SCORING_VERSION}, {os.cpu_count()} CPUs"
    )

    keys = make_keys()
    keyset = scoring.compile_keys(keys)
    norm_X = simulate(keys, 2_000, seed=1)
    norm_scores = scoring.score_items(keyset, norm_X)
    norm_scales = scoring.score_scales(keyset, norm_scores)
    table = scoring.build_norm_table(
        norm_scales,
        questionnaire_key="bench",
        questionnaire_version=1,
        created="2025-01-01",
        item_scores=norm_scores,
        keys=keyset,
    )
    X = simulate(keys, N_CANDIDATES, seed=2)
    weights = dict(scoring.DEFAULT_WEIGHTS)

    # 1. items → composite -------------------------------------------------------------
    t_fast, result = timed(
        lambda: scoring.score_battery(keyset, X, norms=table, minimums={"analysis": 40}), 5
    )
    rows = X.tolist()
    stats = {c: (table[c].mean, table[c].sd) for c in keyset.competencies}
    t_slow, ref = timed(lambda: reference_battery(keys, rows, stats, weights), 1)
    ref_fit = np.array([np.nan if v[0] is None else v[0] for v in ref])
    if not np.allclose(ref_fit, result.composite.fit, equal_nan=True, rtol=1e-9, atol=1e-9):
        raise SystemExit("reference and library disagree on the fit scores")
    if [v[1] for v in ref] != result.composite.band.tolist():
        raise SystemExit("reference and library disagree on the bands")
    if [v[2] for v in ref] != result.cefr.level.tolist():
        raise SystemExit("reference and library disagree on the CEFR estimates")
    report(f"items → composite ({N_CANDIDATES:,} × {len(keys)})", t_fast, t_slow)

    responses = [
        {k.id: _decode(k, x) for k, x in zip(keys, row, strict=True) if x == x} for row in rows
    ]
    t_encode, X2 = timed(lambda: scoring.encode_responses(keyset, responses), 3)
    if not np.array_equal(np.isnan(X2), np.isnan(X)):
        raise SystemExit("encode_responses round trip failed")
    print(
        f"       encode_responses from {N_CANDIDATES:,} answer dicts: {t_encode * 1000:.1f} ms"
        " (dict → array; inherently per candidate)"
    )

    # 2. alpha and item analysis ----------------------------------------------------------
    S = result.item_scores

    def library_analysis() -> Any:
        alphas = {c: scoring.cronbach_alpha(S[:, keyset.items_of(c)]) for c in keyset.competencies}
        return alphas, scoring.item_analysis(keyset, S, X)

    t_fast, (alphas, analysis) = timed(library_analysis, 5)
    S_rows, X_rows = S.tolist(), X.tolist()
    n_ref = 2_000 if args.quick else N_CANDIDATES

    def reference_analysis() -> Any:
        ref_alphas = {
            c: reference_alpha([[r[j] for j in keyset.items_of(c)] for r in S_rows[:n_ref]])
            for c in keyset.competencies
        }
        return ref_alphas, reference_item_analysis(keys, S_rows[:n_ref], X_rows[:n_ref])

    t_slow, (ref_alphas, ref_items) = timed(reference_analysis, 1)
    scale = N_CANDIDATES / n_ref
    if n_ref == N_CANDIDATES:
        for c in alphas:
            if not math.isclose(alphas[c], ref_alphas[c], rel_tol=1e-9):
                raise SystemExit(f"alpha mismatch on {c}")
        if not np.allclose([r for _, r in ref_items], analysis.r_it, rtol=1e-9):
            raise SystemExit("item-total r mismatch")
    report(
        f"alpha + item analysis ({N_CANDIDATES:,} × {len(keys)})",
        t_fast,
        t_slow * scale,
        "" if scale == 1 else f" (×{scale:g} extrapolated)",
    )
    print("       alpha per scale: " + ", ".join(f"{c} {a:.3f}" for c, a in alphas.items()))

    # 3. Monte Carlo --------------------------------------------------------------------
    a = scoring.CostAssumptions(simulations=N_DRAWS, seed=7)
    t_fast, mc = timed(lambda: scoring.monte_carlo(a), 5)
    n_ref = 10_000 if args.quick else N_DRAWS

    def reference_mc() -> tuple[list[float], list[float]]:
        rng = np.random.default_rng(a.seed)
        r = a.monte_carlo_ranges
        revenue = a.target_monthly_revenue * _triangular(rng, r.target_monthly_revenue, N_DRAWS)
        draws = {}
        for name in ("experienced", "grow_in_house"):
            o = a.option(name)
            draws[name] = (
                (o.ramp_months * _triangular(rng, r.ramp_months, N_DRAWS)).tolist(),
                (o.productivity * _triangular(rng, r.productivity, N_DRAWS)).tolist(),
                (o.monthly_attrition * _triangular(rng, r.monthly_attrition, N_DRAWS)).tolist(),
            )
        rev = revenue.tolist()
        out = []
        for name in ("experienced", "grow_in_house"):
            o = a.option(name)
            ramp, prod, attr = draws[name]
            out.append(
                [
                    reference_npv(o, a, max(1.0, ramp[i]), prod[i], attr[i], rev[i])
                    for i in range(n_ref)
                ]
            )
        return out[0], out[1]

    t_slow, (ref_e, ref_g) = timed(reference_mc, 1)
    if not np.allclose(ref_e, mc.npv_experienced[:n_ref], rtol=1e-9) or not np.allclose(
        ref_g, mc.npv_grow_in_house[:n_ref], rtol=1e-9
    ):
        raise SystemExit("Monte Carlo reference mismatch")
    scale = N_DRAWS / n_ref
    report(
        f"Monte Carlo ({N_DRAWS:,} draws × {HORIZON} months × 2)",
        t_fast,
        t_slow * scale,
        "" if scale == 1 else f" (×{scale:g} extrapolated)",
    )
    summary = mc.to_dict()
    print(
        f"       P(experienced better) = {summary['p_experienced_better']:.3f};"
        f" P50 NPV experienced €{summary['experienced']['p50']:,.0f},"
        f" grow in-house €{summary['grow_in_house']['p50']:,.0f}"
    )
    t_compare, _ = timed(lambda: scoring.compare(scoring.CostAssumptions()), 20)
    print(f"       deterministic compare(): {t_compare * 1000:.2f} ms")
    print("       library times are the best of 5 runs; references run once")


def _decode(key: scoring.ItemKey, x: float) -> Any:
    if key.option_scores is not None:
        return key.option_ids[int(x)]
    if key.type == "likert":
        return int(x)
    return float(x)


if __name__ == "__main__":
    main()
