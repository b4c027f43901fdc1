"""Classical item analysis (SPEC §3.8; Crocker & Algina, 1986, ch. 14).

For every item j of a scale:

* **difficulty** ``p_j = (mean score − item_min) / (item_max − item_min)`` over the people who
  answered. For every ability item (single choice, SJT 0–3, numeric) ``item_min = 0`` and
  this is exactly mean / max; for a Likert item it is the mean endorsement on 0–1, so a
  1–5 item answered "1" by everyone has p = 0, not 0.2.
* **corrected item–total correlation** ``r_j = corr(x_j, T − x_j)``, where T is the total of
  the items of the same scale (Pearson; people with every item of the scale answered –
  listwise deletion per scale). Undefined (NaN) when either side has no variance.
* **α if item deleted**, from the same scale's covariance matrix.
* **option frequencies** (choice items): share of the people who answered choosing each
  option, from the encoded response matrix. For a best/worst SJT they are the shares
  choosing each option as the most effective, and ``worst_frequencies`` the shares choosing
  it as the least effective (over the people who chose both).

Review flags: ``r < 0`` → "negative discrimination – check the key"; ``0 ≤ r < 0.20`` →
"low discrimination"; ``p < 0.20`` → "very hard"; ``p > 0.80`` → "very easy"; a distractor
(any option scoring below the item's best score) chosen by < 5 % → "weak distractor"; no
variance → "no variance". Best/worst SJTs: an option other than the panel's best chosen as
best more often than the panel's best → "best not chosen most – check the key"; an option
chosen neither as best nor as worst by 5 % → "weak distractor". (Thresholds: SPEC §3.8; Ebel &
Frisbie, 1991.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.checks import as_float_array
from scoring.errors import ScoringInputError
from scoring.items import CHOICE_TYPES, ItemKey, KeySet, compile_keys
from scoring.reliability import alpha_if_deleted
from scoring.scales import check_item_scores
from scoring.serialization import jsonable_dict

R_MIN = 0.20
P_MIN, P_MAX = 0.20, 0.80
DISTRACTOR_MIN = 0.05


@dataclass(frozen=True)
class ItemStats:
    """Statistics and review flags of one item."""

    item_id: str
    competency: str
    type: str
    n_answered: int
    p: float | None
    r_it: float | None
    alpha_if_deleted: float | None
    option_frequencies: dict[str, float] | None
    flags: tuple[dict[str, str], ...]
    worst_frequencies: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "item_id": self.item_id,
                "competency": self.competency,
                "type": self.type,
                "n_answered": self.n_answered,
                "p": self.p,
                "r_it": self.r_it,
                "alpha_if_deleted": self.alpha_if_deleted,
                "option_frequencies": self.option_frequencies,
                "worst_frequencies": self.worst_frequencies,
                "flags": [dict(f) for f in self.flags],
                "review": bool(self.flags),
            }
        )


@dataclass(frozen=True, eq=False)
class ItemAnalysis:
    """Item analysis of a group: arrays over items plus per-item :class:`ItemStats`."""

    item_ids: tuple[str, ...]
    p: np.ndarray
    r_it: np.ndarray
    alpha_if_deleted: np.ndarray
    n_answered: np.ndarray
    n_complete: dict[str, int]
    option_frequencies: tuple[np.ndarray | None, ...]
    items: tuple[ItemStats, ...]

    @property
    def flagged(self) -> tuple[ItemStats, ...]:
        """Items flagged for review."""
        return tuple(s for s in self.items if s.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "items": [s.to_dict() for s in self.items],
            "rows_used_per_scale": dict(self.n_complete),
        }


def corrected_item_total(matrix: Any) -> np.ndarray:
    """Corrected item–total correlations ``corr(x_j, T − x_j)`` of a complete matrix.

    >>> m = [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0]]
    >>> [round(float(r), 4) for r in corrected_item_total(m)]
    [0.3273, 0.6455, 0.0]
    """
    y = as_float_array("matrix", matrix, ndim=2, allow_nan=False)
    rest = y.sum(axis=1, keepdims=True) - y
    yc = y - y.mean(axis=0)
    rc = rest - rest.mean(axis=0)
    num = (yc * rc).sum(axis=0)
    den = np.sqrt((yc * yc).sum(axis=0) * (rc * rc).sum(axis=0))
    r: np.ndarray = np.divide(num, den, out=np.full(y.shape[1], np.nan), where=den > 1e-12)
    return r


def item_rest(scores: np.ndarray) -> np.ndarray:
    """Item–rest correlations when each person answered only some items (forms from a pool).

    For item j, over the people who answered it and at least one other item: the correlation
    of x_j with the mean of their other answered items (the rest score of their own form;
    forms of one blueprint have equal length, so the mean stands for the sum).

    >>> m = np.array([[1, 1, np.nan], [1, np.nan, 0], [np.nan, 0, 0], [0, 0, 1], [1, 1, 1]])
    >>> [round(float(r), 3) for r in item_rest(m)]
    [0.174, 0.905, 0.0]
    """
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    total, count = filled.sum(axis=1, keepdims=True), present.sum(axis=1, keepdims=True)
    out = np.full(scores.shape[1], np.nan)
    for j in range(scores.shape[1]):
        rows = present[:, j] & (count[:, 0] > 1)
        if rows.sum() < 3:
            continue
        x = scores[rows, j]
        rest = (total[rows, 0] - x) / (count[rows, 0] - 1)
        if x.std() > 1e-12 and rest.std() > 1e-12:
            out[j] = float(np.corrcoef(x, rest)[0, 1])
    return out


def item_analysis(
    keys: Sequence[ItemKey] | KeySet, item_scores: Any, X: Any = None, *, pooled: bool = False
) -> ItemAnalysis:
    """Difficulty, corrected item–total r, α-if-deleted, option frequencies and review flags.

    Parameters
    ----------
    keys : sequence of ItemKey
    item_scores : array_like, shape (n, m)
        Item scores (NaN = not answered).
    X : array_like, shape (n, m), optional
        Encoded responses; needed for option frequencies and distractor flags.
    pooled : bool
        The items come from pools and each person had a form of them (bank v2): the
        discrimination is the item–rest correlation with the person's own form
        (:func:`item_rest`), and α-if-deleted is not defined.
    """
    keyset = compile_keys(keys)
    scores = check_item_scores(keyset, item_scores)
    if X is not None:
        X = as_float_array("X", X, ndim=2)
        if X.shape != scores.shape:
            raise ScoringInputError("X", f"has shape {X.shape}, expected {scores.shape}")
    m = len(keyset)
    answered = ~np.isnan(scores)
    n_answered = answered.sum(axis=0)
    sums = np.where(answered, scores, 0.0).sum(axis=0)
    means = np.divide(sums, n_answered, out=np.full(m, np.nan), where=n_answered > 0)
    p = (means - keyset.item_min) / (keyset.item_max - keyset.item_min)

    r_it = np.full(m, np.nan)
    a_del = np.full(m, np.nan)
    n_complete: dict[str, int] = {}
    for competency in keyset.competencies:
        cols = keyset.items_of(competency)
        if pooled:
            r_it[cols] = item_rest(scores[:, cols])
            n_complete[competency] = int((~np.isnan(scores[:, cols])).any(axis=1).sum())
            continue
        block = scores[:, cols]
        block = block[~np.isnan(block).any(axis=1)]
        n_complete[competency] = int(block.shape[0])
        if block.shape[0] < 3 or cols.size < 2:
            continue
        r_it[cols] = corrected_item_total(block)
        a_del[cols] = alpha_if_deleted(np.cov(block, rowvar=False))

    freqs = _option_frequencies(keyset, X)
    items = tuple(
        _stats(keyset, j, int(n_answered[j]), p[j], r_it[j], a_del[j], freqs[j]) for j in range(m)
    )
    return ItemAnalysis(
        item_ids=keyset.ids,
        p=p,
        r_it=r_it,
        alpha_if_deleted=a_del,
        n_answered=n_answered,
        n_complete=n_complete,
        option_frequencies=freqs,
        items=items,
    )


def _option_frequencies(keyset: KeySet, X: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
    out: list[np.ndarray | None] = [None] * len(keyset)
    if X is None:
        return tuple(out)
    for row, j in enumerate(keyset.choice_cols):
        column = X[:, j]
        chosen = column[~np.isnan(column)]
        k = int(keyset.n_options[row])
        if chosen.size and (
            (chosen != np.floor(chosen)).any() or chosen.min() < 0 or chosen.max() >= k
        ):
            raise ScoringInputError(f"X[:, {j}]", f"invalid option index for item {keyset.ids[j]}")
        counts = np.bincount(chosen.astype(np.intp), minlength=k).astype(float)
        out[j] = counts / chosen.size if chosen.size else np.full(k, np.nan)
    for row, j in enumerate(keyset.bw_cols):
        # code = index(best) · k + index(worst): a (2, k) array of best and worst shares.
        column = X[:, j]
        chosen = column[~np.isnan(column)]
        k = int(keyset.bw_n_options[row])
        if chosen.size and (
            (chosen != np.floor(chosen)).any() or chosen.min() < 0 or chosen.max() >= k * k
        ):
            raise ScoringInputError(
                f"X[:, {j}]", f"invalid best/worst code for item {keyset.ids[j]}"
            )
        codes = chosen.astype(np.intp)
        if not chosen.size:
            out[j] = np.full((2, k), np.nan)
            continue
        best = np.bincount(codes // k, minlength=k) / chosen.size
        worst = np.bincount(codes % k, minlength=k) / chosen.size
        out[j] = np.vstack([best, worst])
    return tuple(out)


def _stats(
    keyset: KeySet,
    j: int,
    n: int,
    p: float,
    r: float,
    a_del: float,
    freq: np.ndarray | None,
) -> ItemStats:
    key = keyset.keys[j]
    flags: list[dict[str, str]] = []
    if n and np.isnan(r):
        flags.append({"code": "no_variance", "message": "Not enough variance to correlate."})
    elif r < 0:
        flags.append(
            {
                "code": "negative_discrimination",
                "message": f"Corrected item–total r = {r:.2f} is negative: check the key.",
            }
        )
    elif r < R_MIN:
        flags.append(
            {
                "code": "low_discrimination",
                "message": f"Corrected item–total r = {r:.2f} is below {R_MIN:.2f}.",
            }
        )
    if not np.isnan(p) and p < P_MIN:
        flags.append({"code": "too_hard", "message": f"Difficulty p = {p:.2f} is below {P_MIN}."})
    elif not np.isnan(p) and p > P_MAX:
        flags.append({"code": "too_easy", "message": f"Difficulty p = {p:.2f} is above {P_MAX}."})
    frequencies = worst = None
    if freq is not None and key.type == "best_worst":
        frequencies, worst, bw_flags = _best_worst_frequencies(key, freq)
        flags.extend(bw_flags)
    # Choice items always have option_scores (ItemKey checks it).
    if freq is not None and key.type in CHOICE_TYPES and key.option_scores is not None:
        frequencies = dict(zip(key.option_ids, (float(f) for f in freq), strict=True))
        best = max(key.option_scores.values())
        for option_id, share in frequencies.items():
            if key.option_scores[option_id] < best and share < DISTRACTOR_MIN:
                flags.append(
                    {
                        "code": "weak_distractor",
                        "message": f"Option {option_id!r} chosen by {100 * share:.1f} %"
                        f" (under {100 * DISTRACTOR_MIN:.0f} %).",
                    }
                )
    return ItemStats(
        item_id=key.id,
        competency=key.competency,
        type=key.type,
        n_answered=n,
        p=None if np.isnan(p) else float(p),
        r_it=None if np.isnan(r) else float(r),
        alpha_if_deleted=None if np.isnan(a_del) else float(a_del),
        option_frequencies=frequencies,
        flags=tuple(flags),
        worst_frequencies=worst,
    )


def _best_worst_frequencies(
    key: ItemKey, freq: np.ndarray
) -> tuple[dict[str, float] | None, dict[str, float] | None, list[dict[str, str]]]:
    """Best and worst shares per option and the review flags of a best/worst SJT."""
    if np.isnan(freq).all():
        return None, None, []
    ids = key.option_ids
    best = dict(zip(ids, (float(f) for f in freq[0]), strict=True))
    worst = dict(zip(ids, (float(f) for f in freq[1]), strict=True))
    effectiveness = key.option_scores or {}
    top = max(effectiveness.values())
    keyed = [o for o in ids if effectiveness[o] == top]
    flags = []
    most = max(best.values())
    if all(best[o] < most for o in keyed):
        rival = max(best, key=lambda o: best[o])
        flags.append({
            "code": "best_not_chosen_most",
            "message": f"Option {rival!r} is chosen as best more often ({100 * most:.1f} %)"
            f" than the panel's best: check the key.",
        })
    for option_id in ids:
        if option_id in keyed:
            continue
        if best[option_id] + worst[option_id] < DISTRACTOR_MIN:
            flags.append({
                "code": "weak_distractor",
                "message": f"Option {option_id!r} chosen as best or worst by"
                f" {100 * (best[option_id] + worst[option_id]):.1f} %"
                f" (under {100 * DISTRACTOR_MIN:.0f} %).",
            })
    return best, worst, flags
