"""Scale (competency) scores: raw sum, percent of maximum, completeness and prorating.

SPEC §3.2. For each candidate and competency with ``n`` items, ``a`` of them answered:

* ``a / n < 0.80`` → **incomplete**: raw and percent are NaN (``None`` in ``to_dict``); the
  score is not guessed.
* ``a = n`` → raw = Σ item scores.
* ``0.80 ≤ a / n < 1`` → **prorated**. For a scale whose items share one score range this is
  the classical rule raw = (mean item score) × n. A competency may mix item types
  (``stress_resistance`` = Likert 1–5 + SJT 0–3), where averaging raw item scores would let
  a skipped SJT item be filled in with Likert-sized points (and could push the raw score past
  its maximum). The general rule used here prorates on the answered items' own range::

      raw = min_possible + (S_a - min_a) / (max_a - min_a) * (max_possible - min_possible)

  where ``S_a`` is the sum of the answered item scores and ``min_a``/``max_a`` the sums of
  their item minima/maxima. When all items share one range ``[lo, hi]`` this reduces exactly
  to ``n * S_a / a`` (mean × n).

Percent of maximum (POMP; Cohen, Cohen, Aiken & West, 1999, *Multivariate Behavioral
Research* 34, 315–346)::

    percent = 100 * (raw - min_possible) / (max_possible - min_possible)

``min_possible``/``max_possible`` are the sums of the item minima/maxima, so a Likert scale
scored 1..5 runs from 0 % (all 1s) to 100 % (all 5s): answering "1" everywhere does not give a
20 % floor, and a mixed scale is measured on its full range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number
from scoring.errors import ScoringInputError
from scoring.items import ItemKey, KeySet, compile_keys
from scoring.serialization import jsonable, jsonable_dict

#: Share of a scale's items that must be answered for it to be scored (SPEC §3.2).
MIN_COMPLETE = 0.80


@dataclass(frozen=True, eq=False)
class ScaleScores:
    """Scale scores of a group of candidates (rows) on each competency (columns).

    Attributes
    ----------
    competencies : tuple of str
        Column order.
    raw, percent : ndarray, shape (n, k)
        Raw (possibly prorated) score and percent of maximum; NaN when incomplete.
    answered : ndarray of int, shape (n, k)
        Number of items answered.
    n_items, min_possible, max_possible : ndarray, shape (k,)
    complete : ndarray of bool, shape (n, k)
        At least :data:`MIN_COMPLETE` of the items answered (the scale is scored).
    prorated : ndarray of bool, shape (n, k)
        Scored from 80–99 % of the items.
    """

    competencies: tuple[str, ...]
    raw: np.ndarray
    percent: np.ndarray
    answered: np.ndarray
    n_items: np.ndarray
    min_possible: np.ndarray
    max_possible: np.ndarray
    complete: np.ndarray
    prorated: np.ndarray

    def __len__(self) -> int:
        return int(self.raw.shape[0])

    @property
    def answered_fraction(self) -> np.ndarray:
        """``answered / n_items`` (n × k)."""
        fraction: np.ndarray = self.answered / self.n_items
        return fraction

    def row(self, i: int) -> ScaleScores:
        """Row ``i`` alone, as a group of one."""
        return ScaleScores(
            competencies=self.competencies,
            raw=self.raw[i : i + 1],
            percent=self.percent[i : i + 1],
            answered=self.answered[i : i + 1],
            n_items=self.n_items,
            min_possible=self.min_possible,
            max_possible=self.max_possible,
            complete=self.complete[i : i + 1],
            prorated=self.prorated[i : i + 1],
        )

    def column(self, competency: str) -> int:
        """Column index of ``competency``."""
        try:
            return self.competencies.index(competency)
        except ValueError:
            raise ScoringInputError(
                "competency", f"{competency!r} is not measured by these items"
            ) from None

    def candidate(self, i: int) -> dict[str, dict[str, Any]]:
        """One candidate's scale scores, ``{competency: {...}}``, JSON-able."""
        return {
            c: jsonable(
                {
                    "raw": self.raw[i, j],
                    "percent": self.percent[i, j],
                    "answered": self.answered[i, j],
                    "n_items": self.n_items[j],
                    "answered_fraction": self.answered[i, j] / self.n_items[j],
                    "complete": self.complete[i, j],
                    "prorated": self.prorated[i, j],
                    "min_possible": self.min_possible[j],
                    "max_possible": self.max_possible[j],
                }
            )
            for j, c in enumerate(self.competencies)
        }

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form (lists per competency; NaN → None)."""
        return jsonable_dict(
            {
                "competencies": list(self.competencies),
                "n_items": self.n_items,
                "min_possible": self.min_possible,
                "max_possible": self.max_possible,
                "raw": self.raw,
                "percent": self.percent,
                "answered": self.answered,
                "complete": self.complete,
                "prorated": self.prorated,
            }
        )


def check_item_scores(keyset: KeySet, item_scores: Any) -> np.ndarray:
    """Validate an item-score matrix against the keys (shape and score ranges)."""
    scores = as_float_array("item_scores", item_scores, ndim=2)
    if scores.shape[1] != len(keyset):
        raise ScoringInputError(
            "item_scores", f"has {scores.shape[1]} columns but there are {len(keyset)} item keys"
        )
    with np.errstate(invalid="ignore"):
        bad = (scores < keyset.item_min) | (scores > keyset.item_max)
    if bad.any():
        row, col = (int(a[0]) for a in np.nonzero(bad))
        raise ScoringInputError(
            f"item_scores[{row}, {col}]",
            f"{float(scores[row, col]):g} is outside the range of item {keyset.ids[col]} "
            f"[{keyset.item_min[col]:g}, {keyset.item_max[col]:g}]",
        )
    return scores


def score_scales(
    keys: Sequence[ItemKey] | KeySet,
    item_scores: Any,
    *,
    min_complete: float = MIN_COMPLETE,
    administered: Any = None,
) -> ScaleScores:
    """Raw, prorated and percent-of-maximum scores per competency for a whole group.

    Parameters
    ----------
    keys : sequence of ItemKey
    item_scores : array_like, shape (n_candidates, n_items)
        Output of :func:`scoring.items.score_items` (NaN = not answered).
    min_complete : float
        Share of items that must be answered (default 0.80).
    administered : array_like of bool, shape (n_candidates, n_items), optional
        The items each candidate was given, when forms are drawn from pools (bank v2): a
        candidate's scale counts, prorates and scores only the items of their form, and an
        item not given is not "unanswered". Every form of a blueprint has the same length
        and item types, so ``n_items``, ``min_possible`` and ``max_possible`` are those of a
        form (the largest, should forms differ).

    Returns
    -------
    ScaleScores

    Examples
    --------
    Five Likert items, one skipped (4/5 = 80 % answered → prorated): raw = (4+5+3+4)/4 × 5
    = 20; percent = 100 × (20 − 5)/(25 − 5) = 75.

    >>> from scoring.items import ItemKey
    >>> k = [ItemKey(f"sr0{i}", "stress_resistance", "likert") for i in range(1, 6)]
    >>> s = score_scales(k, [[4, 5, 3, 4, np.nan]])
    >>> float(s.raw[0, 0]), float(s.percent[0, 0]), bool(s.prorated[0, 0])
    (20.0, 75.0, True)
    """
    keyset = compile_keys(keys)
    scores = check_item_scores(keyset, item_scores)
    min_complete = check_number("min_complete", min_complete, minimum=0.0, maximum=1.0)
    if min_complete == 0.0:
        raise ScoringInputError("min_complete", "must be > 0")
    if administered is None:
        return scale_scores_unchecked(keyset, scores, min_complete)
    given = np.asarray(administered, dtype=bool)
    if given.shape != scores.shape:
        raise ScoringInputError("administered", f"has shape {given.shape}, expected "
                                f"{scores.shape} like item_scores")
    if (~given & ~np.isnan(scores)).any():
        raise ScoringInputError("administered", "an item not given has an answer")
    return _scales_of_forms(keyset, scores, given, min_complete)


def _scales_of_forms(
    keyset: KeySet, scores: np.ndarray, given: np.ndarray, min_complete: float
) -> ScaleScores:
    """:func:`score_scales` with per-candidate forms (each row counts its own items)."""
    answered_mask = ~np.isnan(scores)
    answered = keyset.sum_by_scale(answered_mask, dtype=np.int64)
    total = keyset.sum_by_scale(np.where(answered_mask, scores, 0.0))
    n_items = keyset.sum_by_scale(given, dtype=np.int64)
    min_possible = keyset.sum_by_scale(np.where(given, keyset.item_min, 0.0))
    max_possible = keyset.sum_by_scale(np.where(given, keyset.item_max, 0.0))
    min_answered = keyset.sum_by_scale(np.where(answered_mask, keyset.item_min, 0.0))
    max_answered = keyset.sum_by_scale(np.where(answered_mask, keyset.item_max, 0.0))
    full = (answered == n_items) & (n_items > 0)
    complete = (answered >= min_complete * n_items - 1e-9) & (n_items > 0)
    share = np.divide(total - min_answered, max_answered - min_answered,
                      out=np.full(total.shape, np.nan), where=max_answered > min_answered)
    raw = np.where(full, total, np.where(complete, min_possible + share * (
        max_possible - min_possible), np.nan))
    percent = np.divide(100.0 * (raw - min_possible), max_possible - min_possible,
                        out=np.full(raw.shape, np.nan), where=max_possible > min_possible)
    return ScaleScores(
        competencies=keyset.competencies,
        raw=raw,
        percent=percent,
        answered=answered,
        n_items=n_items.max(axis=0).astype(np.int64),
        min_possible=np.where(n_items == n_items.max(axis=0), min_possible, np.inf).min(axis=0),
        max_possible=np.where(n_items == n_items.max(axis=0), max_possible, -np.inf).max(axis=0),
        complete=complete,
        prorated=complete & ~full,
    )


def _answered_range(
    keyset: KeySet, mask: np.ndarray, answered: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of the item minima and maxima of the answered items, per row and scale."""
    k = len(keyset.competencies)
    low, high = np.empty(k), np.empty(k)
    mixed = []
    for s in range(k):
        cols = keyset.scale_of_item == s
        lo, hi = keyset.item_min[cols], keyset.item_max[cols]
        if (lo == lo[0]).all() and (hi == hi[0]).all():
            low[s], high[s] = lo[0], hi[0]
        else:
            mixed.append(s)
    min_answered, max_answered = answered * low, answered * high
    for s in mixed:  # a scale mixing item types (e.g. Likert 1–5 with SJT 0–3)
        cols = keyset.scale_of_item == s
        min_answered[:, s] = (mask[:, cols] * keyset.item_min[cols]).sum(axis=1)
        max_answered[:, s] = (mask[:, cols] * keyset.item_max[cols]).sum(axis=1)
    return min_answered, max_answered


def scale_scores_unchecked(
    keyset: KeySet, scores: np.ndarray, min_complete: float = MIN_COMPLETE
) -> ScaleScores:
    """:func:`score_scales` on inputs already validated (the vectorised core)."""
    answered_mask = ~np.isnan(scores)
    answered = keyset.sum_by_scale(answered_mask, dtype=np.int64)
    total = keyset.sum_by_scale(np.where(answered_mask, scores, 0.0))
    n_items = keyset.membership.sum(axis=0)
    min_possible = keyset.item_min @ keyset.membership
    max_possible = keyset.item_max @ keyset.membership
    full = answered == n_items
    complete = answered >= min_complete * n_items - 1e-9
    raw = np.where(full, total, np.nan)
    partial = complete & ~full
    if partial.any():
        # Range-aware prorating (module docstring), only for rows with a partly answered scale.
        rows = np.flatnonzero(partial.any(axis=1))
        min_answered, max_answered = _answered_range(keyset, answered_mask[rows], answered[rows])
        span = max_answered - min_answered
        share = np.divide(
            total[rows] - min_answered, span, out=np.full(span.shape, np.nan), where=span > 0
        )
        prorated = min_possible + share * (max_possible - min_possible)
        raw[rows] = np.where(partial[rows], prorated, raw[rows])
    percent = 100.0 * (raw - min_possible) / (max_possible - min_possible)
    return ScaleScores(
        competencies=keyset.competencies,
        raw=raw,
        percent=percent,
        answered=answered,
        n_items=n_items.astype(np.int64),
        min_possible=min_possible,
        max_possible=max_possible,
        complete=complete,
        prorated=partial,
    )


def percent_of_maximum(raw: Any, min_possible: Any, max_possible: Any) -> np.ndarray:
    """POMP = 100·(raw − min_possible)/(max_possible − min_possible) (Cohen et al., 1999).

    >>> float(percent_of_maximum(30, 10, 50))
    50.0
    """
    raw = as_float_array("raw", raw)
    low = as_float_array("min_possible", min_possible, allow_nan=False)
    high = as_float_array("max_possible", max_possible, allow_nan=False)
    if np.any(high <= low):
        raise ScoringInputError("max_possible", "must be greater than min_possible")
    percent: np.ndarray = 100.0 * (raw - low) / (high - low)
    return percent
