"""CEFR estimate from graded language items (SPEC §3.6).

Each language item targets one level of the Common European Framework of Reference for
Languages (Council of Europe, 2001; Companion Volume, 2020): A2, B1, B2 or C1. The estimate
is the highest level L such that the candidate answered correctly at least 70 % of the items
at L **and** at every lower level; ``"below_A2"`` when even A2 is not reached::

    ok_L     = correct_L ≥ 0.70 · n_L
    estimate = max { L : ok_A2 ∧ … ∧ ok_L }

An item counts as correct when it earns its full score (``score == item_max``); an
unanswered item is not correct, and the denominator ``n_L`` is every item at L (a candidate
cannot reach a level by skipping its hard items). A level with no items cannot be
estimated, but does not block the levels above it (70 % of nothing is vacuously met).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from scoring.errors import ScoringInputError
from scoring.items import ItemKey, KeySet, compile_keys
from scoring.scales import check_item_scores
from scoring.serialization import jsonable, jsonable_dict
from scoring.vocabulary import BELOW_A2, CEFR_LEVELS, CEFR_SCALE

#: Share of a level's items that must be correct (SPEC §3.6).
CEFR_PASS_SHARE = 0.70

_ESTIMATE_ORDER = (BELOW_A2, *CEFR_LEVELS)


@overload
def cefr_rank(level: str, *, argument: str = "level") -> float: ...
@overload
def cefr_rank(level: None, *, argument: str = "level") -> None: ...
@overload
def cefr_rank(level: str | None, *, argument: str = "level") -> float | None: ...
def cefr_rank(level: str | None, *, argument: str = "level") -> float | None:
    """Order of a CEFR level: A1 → 1, A2 → 2, B1 → 3, B2 → 4, C1 → 5, C2 → 6.

    ``"below_A2"`` ranks 0.5, under A1: the items start at A2, so they cannot confirm A1.
    ``None`` gives ``None``. Lets an estimate (below_A2…C1) be compared with a requirement
    or a self-assessment on the full A1–C2 scale.

    >>> cefr_rank("B2"), cefr_rank("below_A2"), cefr_rank("A1")
    (4.0, 0.5, 1.0)
    """
    if level is None:
        return None
    if level == BELOW_A2:
        return 0.5
    if isinstance(level, str) and level in CEFR_SCALE:
        return float(CEFR_SCALE.index(level) + 1)
    raise ScoringInputError(
        argument, f"{level!r} is not a CEFR level; expected one of {', '.join(CEFR_SCALE)}"
    )


def cefr_meets(level: str | None, required: str, *, argument: str = "level") -> bool | None:
    """Whether ``level`` is at least ``required`` (``None`` when level is unknown).

    >>> cefr_meets("C1", "B2"), cefr_meets("below_A2", "A2"), cefr_meets(None, "B2")
    (True, False, None)
    """
    need = cefr_rank(required, argument="required")
    have = cefr_rank(level, argument=argument)
    if have is None:
        return None
    return have >= need


@dataclass(frozen=True, eq=False)
class CefrEstimate:
    """CEFR estimates of a group.

    Attributes
    ----------
    level : ndarray of str, shape (n,)
        ``"below_A2"``, ``"A2"``, ``"B1"``, ``"B2"`` or ``"C1"``.
    share_correct : ndarray, shape (n, 4)
        Share of items correct at A2, B1, B2, C1 (NaN for a level without items).
    n_items : ndarray of int, shape (4,)
    """

    level: np.ndarray
    share_correct: np.ndarray
    n_items: np.ndarray

    def candidate(self, i: int) -> dict[str, Any]:
        """One candidate's estimate, JSON-able."""
        return {
            "cefr": str(self.level[i]),
            "share_correct": jsonable(dict(zip(CEFR_LEVELS, self.share_correct[i], strict=True))),
            "items_per_level": jsonable(dict(zip(CEFR_LEVELS, self.n_items, strict=True))),
        }

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form."""
        return jsonable_dict(
            {
                "levels": list(CEFR_LEVELS),
                "cefr": self.level,
                "share_correct": self.share_correct,
                "items_per_level": self.n_items,
            }
        )


def has_cefr_items(keys: Sequence[ItemKey] | KeySet) -> bool:
    """Whether any item carries a CEFR level."""
    return any(k.cefr is not None for k in compile_keys(keys).keys)


def estimate_cefr(
    keys: Sequence[ItemKey] | KeySet,
    item_scores: Any,
    *,
    pass_share: float = CEFR_PASS_SHARE,
    administered: Any = None,
) -> CefrEstimate:
    """Estimate each candidate's CEFR level from the item scores of CEFR-tagged items.

    Parameters
    ----------
    keys : sequence of ItemKey
        Items without ``cefr`` are ignored.
    item_scores : array_like, shape (n_candidates, n_items)
    pass_share : float
        Share correct needed at each level (0.70).
    administered : array_like of bool, shape (n_candidates, n_items), optional
        The items each candidate was given (forms drawn from a pool, bank v2): each
        candidate's ``n_L`` counts the items of their own form at level L.

    Examples
    --------
    Four items per level; a candidate with 4/4 at A2, 3/4 at B1 (75 % ≥ 70 %), 2/4 at B2
    (50 %) and 4/4 at C1 is B1 – C1 does not count because B2 is not reached.

    >>> from scoring.items import ItemKey
    >>> k = [ItemKey(f"en{i:02}", "languages", "single_choice", {"a": 1, "b": 0},
    ...              cefr=lvl) for i, lvl in enumerate(["A2", "B1", "B2", "C1"] * 4)]
    >>> row = [1, 1, 1, 1,  1, 1, 0, 1,  1, 0, 1, 1,  1, 1, 0, 1]
    >>> estimate_cefr(k, [row]).level.tolist()
    ['B1']
    """
    keyset = compile_keys(keys)
    scores = check_item_scores(keyset, item_scores)
    if not 0 < pass_share <= 1:
        raise ScoringInputError("pass_share", "must be in (0, 1]")
    given = None
    if administered is not None:
        given = np.asarray(administered, dtype=bool)
        if given.shape != scores.shape:
            raise ScoringInputError("administered", f"has shape {given.shape}, expected "
                                    f"{scores.shape} like item_scores")
    return cefr_unchecked(keyset, scores, pass_share, administered=given)


def cefr_unchecked(
    keyset: KeySet, scores: np.ndarray, pass_share: float = CEFR_PASS_SHARE,
    *, administered: np.ndarray | None = None,
) -> CefrEstimate:
    """:func:`estimate_cefr` on inputs already validated (the vectorised core)."""
    levels = np.array([CEFR_LEVELS.index(k.cefr) if k.cefr else -1 for k in keyset.keys])
    if (levels < 0).all():
        raise ScoringInputError("keys", "no item carries a CEFR level")
    n_levels = len(CEFR_LEVELS)
    n_correct = np.zeros((scores.shape[0], n_levels))
    n_given = np.zeros((scores.shape[0], n_levels))
    for level in range(n_levels):
        cols = np.flatnonzero(levels == level)
        n_given[:, level] = cols.size if administered is None else administered[:, cols].sum(
            axis=1)
        if cols.size:
            with np.errstate(invalid="ignore"):  # NaN >= max is False: unanswered = not correct
                correct = scores[:, cols] >= keyset.item_max[cols]
            n_correct[:, level] = correct.sum(axis=1)
    n_items = n_given.max(axis=0)
    ok = n_correct >= pass_share * n_given - 1e-9
    reached = np.logical_and.accumulate(ok, axis=1) & (n_given > 0)
    # Highest reached level: index of the last True (a level without items is never reached,
    # but a later level still can be, since the accumulate treats it as met).
    idx = np.where(reached.any(axis=1), n_levels - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    share = np.divide(n_correct, n_given, out=np.full(n_correct.shape, np.nan), where=n_given > 0)
    return CefrEstimate(
        level=np.array(_ESTIMATE_ORDER, dtype=object)[idx + 1],
        share_correct=share,
        n_items=n_items.astype(np.int64),
    )
