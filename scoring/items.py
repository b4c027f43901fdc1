"""Item keys, response encoding and item scoring (SPEC §3.1).

Scoring rules, one per item type:

* ``single_choice`` – keyed choice: the chosen option's score, 1 for the key and 0 otherwise.
* ``sjt`` – situational judgement: the chosen option's expert score (0–3 in the bank).
* ``best_worst`` – situational judgement answered by picking the most and the least effective
  option. Each option carries its effectiveness ``e`` (the panel's consensus, 1–4); with
  ``R = max(e) − min(e)`` the item score is::

      score = (e[best] − e[worst] + R) / (2 R)          (0 ≤ score ≤ 1)

  1 when the candidate picks the panel's best and worst, 0 when the two are swapped, 0.5
  when the two choices are equally effective; linear in ``e[best] − e[worst]`` in between, so
  every item weighs the same in its scale whatever the spread of its ratings. An answer with
  only one of the two choices counts as not answered.
* ``likert`` – the answer x on ``scale_min..scale_max``; reverse-keyed items are flipped,
  ``x' = scale_min + scale_max - x`` (6 − x on a 1–5 scale).
* ``numeric`` – 1 when ``|x - answer| <= tolerance``, else 0. A relative slack of
  ``1e-9 * max(1, |answer|)`` is added so that values like ``0.1 + 0.2`` match ``0.3`` with
  tolerance 0 (binary floating point cannot represent the decimal exactly).

Responses travel in two forms. The app holds one ``{item_id: value}`` dict per candidate;
:func:`encode_responses` turns a list of them into a float matrix (candidates × items) where a
choice is the *index* of the chosen option in ``ItemKey.option_scores`` order, a best/worst
answer ``{"best": b, "worst": w}`` is ``index(b) · n_options + index(w)``, a Likert answer
or a number is itself, and NaN means "not answered". Everything downstream works on that
matrix, one NumPy operation per item type (never a Python loop over candidates).

Reference: Crocker, L. & Algina, J. (1986). *Introduction to Classical and Modern Test
Theory*, ch. 14 (item scoring).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from scoring.checks import as_float_array
from scoring.competencies import CEFR_LEVELS, COMPETENCY_KEYS
from scoring.errors import ScoringInputError

ItemType = Literal["single_choice", "sjt", "best_worst", "likert", "numeric"]
ITEM_TYPES: tuple[str, ...] = ("single_choice", "sjt", "best_worst", "likert", "numeric")
CHOICE_TYPES: tuple[str, ...] = ("single_choice", "sjt")
#: Item types whose options carry a number (a score, or an effectiveness for best/worst).
OPTION_TYPES: tuple[str, ...] = (*CHOICE_TYPES, "best_worst")
#: Items with a right (or better) answer, as opposed to self-report Likert items.
ABILITY_TYPES: tuple[str, ...] = ("single_choice", "sjt", "best_worst", "numeric")

#: Relative slack added to a numeric item's tolerance (see module docstring).
NUMERIC_SLACK = 1e-9


@dataclass(frozen=True)
class ItemKey:
    """The scoring key of one item.

    Parameters
    ----------
    id : str
        Item id, unique in the bank (``"bs01"``).
    competency : str
        One of :data:`scoring.competencies.COMPETENCY_KEYS`.
    type : {"single_choice", "sjt", "likert", "numeric"}
    option_scores : Mapping[str, float], optional
        Choice types: option id → score, in a fixed order (the encoded value of an answer is
        the option's position in this mapping). ``best_worst``: option id → effectiveness.
    reverse : bool
        Likert only: reverse-keyed.
    scale_min, scale_max : int
        Likert only: the answer scale (1–5 by default).
    answer, tolerance : float, optional
        Numeric only: the correct value and the absolute tolerance (≥ 0).
    cefr : str, optional
        Language items: the CEFR level the item targets (A2, B1, B2 or C1).
    """

    id: str
    competency: str
    type: ItemType
    option_scores: Mapping[str, float] | None = None
    reverse: bool = False
    scale_min: int = 1
    scale_max: int = 5
    answer: float | None = None
    tolerance: float | None = None
    cefr: str | None = None

    def __post_init__(self) -> None:
        where = f"keys[{self.id!r}]"
        if not isinstance(self.id, str) or not self.id:
            raise ScoringInputError("keys", f"item id must be a non-empty string, got {self.id!r}")
        if self.competency not in COMPETENCY_KEYS:
            raise ScoringInputError(
                f"{where}.competency",
                f"unknown competency {self.competency!r}; expected one of "
                + ", ".join(COMPETENCY_KEYS),
            )
        if self.type not in ITEM_TYPES:
            raise ScoringInputError(
                f"{where}.type",
                f"unknown item type {self.type!r}; expected one of " + ", ".join(ITEM_TYPES),
            )
        if self.cefr is not None and self.cefr not in CEFR_LEVELS:
            raise ScoringInputError(
                f"{where}.cefr", f"must be one of {', '.join(CEFR_LEVELS)}, got {self.cefr!r}"
            )
        if self.reverse and self.type != "likert":
            raise ScoringInputError(f"{where}.reverse", "only Likert items can be reverse-keyed")
        if self.type in OPTION_TYPES:
            self._check_options(where)
        elif self.option_scores is not None:
            raise ScoringInputError(f"{where}.option_scores", "only choice items have options")
        if self.type == "likert":
            self._check_scale(where)
        if self.type == "numeric":
            self._check_numeric(where)
        elif self.answer is not None or self.tolerance is not None:
            raise ScoringInputError(f"{where}.answer", "only numeric items have an answer")

    def __hash__(self) -> int:
        # option_scores is a read-only mapping (unhashable); id, competency and type suffice.
        return hash((self.id, self.competency, self.type))

    def _check_options(self, where: str) -> None:
        options = self.option_scores
        if not isinstance(options, Mapping) or len(options) < 2:
            raise ScoringInputError(
                f"{where}.option_scores", "a choice item needs a mapping of at least 2 options"
            )
        frozen: dict[str, float] = {}
        for option_id, score in options.items():
            if not isinstance(option_id, str) or not option_id:
                raise ScoringInputError(
                    f"{where}.option_scores", f"option ids must be strings, got {option_id!r}"
                )
            if isinstance(score, bool) or not isinstance(score, (int, float, np.number)):
                raise ScoringInputError(
                    f"{where}.option_scores[{option_id!r}]", f"must be a number, got {score!r}"
                )
            if not math.isfinite(float(score)):
                raise ScoringInputError(f"{where}.option_scores[{option_id!r}]", "must be finite")
            frozen[option_id] = float(score)
        if max(frozen.values()) <= min(frozen.values()):
            raise ScoringInputError(
                f"{where}.option_scores", "options must not all carry the same score"
            )
        object.__setattr__(self, "option_scores", MappingProxyType(frozen))

    def _check_scale(self, where: str) -> None:
        for name in ("scale_min", "scale_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ScoringInputError(f"{where}.{name}", f"must be an integer, got {value!r}")
        if self.scale_max <= self.scale_min:
            raise ScoringInputError(f"{where}.scale_max", "must be greater than scale_min")

    def _check_numeric(self, where: str) -> None:
        for name in ("answer", "tolerance"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.number))
                or not math.isfinite(float(value))
            ):
                raise ScoringInputError(
                    f"{where}.{name}", f"must be a finite number, got {value!r}"
                )
        if self.tolerance is not None and float(self.tolerance) < 0:  # a number: checked above
            raise ScoringInputError(f"{where}.tolerance", "must be ≥ 0")

    @property
    def option_ids(self) -> tuple[str, ...]:
        """Option ids in encoding order (empty for non-choice items)."""
        return tuple(self.option_scores) if self.option_scores is not None else ()

    @property
    def max_score(self) -> float:
        """Highest possible item score (see :func:`item_max`)."""
        return item_max(self)

    @property
    def min_score(self) -> float:
        """Lowest possible item score (see :func:`item_min`)."""
        return item_min(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (the inverse of :meth:`from_dict`)."""
        return {
            "id": self.id,
            "competency": self.competency,
            "type": self.type,
            "option_scores": dict(self.option_scores) if self.option_scores else None,
            "reverse": self.reverse,
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "answer": self.answer,
            "tolerance": self.tolerance,
            "cefr": self.cefr,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemKey:
        """Build a key from :meth:`to_dict` output or from a questionnaire item.

        A questionnaire item (``questionnaires/FORMAT.md``) carries ``options`` as a list of
        ``{"id", "score", ...}`` and the Likert scale as ``{"min", "max"}``; both shapes are
        accepted. Presentation fields (prompt, text, rationale, stimulus …) are ignored.
        """
        option_scores = data.get("option_scores")
        if option_scores is None and data.get("options") is not None:
            option_scores = {str(o["id"]): o["score"] for o in data["options"]}
        scale = data.get("scale") or {}
        return cls(
            id=data["id"],
            competency=data["competency"],
            type=data["type"],
            option_scores=option_scores,
            reverse=bool(data.get("reverse", False)),
            scale_min=data.get("scale_min", scale.get("min", 1)),
            scale_max=data.get("scale_max", scale.get("max", 5)),
            answer=data.get("answer"),
            tolerance=data.get("tolerance"),
            cefr=data.get("cefr"),
        )


def item_max(key: ItemKey) -> float:
    """Highest possible score of an item.

    Choice: the highest option score; Likert: ``scale_max`` (a reverse-keyed item maps
    ``scale_min`` to ``scale_max``, so the range is the same); numeric and best/worst: 1.

    >>> item_max(ItemKey("sr01", "stress_resistance", "likert", reverse=True))
    5.0
    """
    if key.type == "best_worst":
        return 1.0
    if key.option_scores is not None:
        return max(key.option_scores.values())
    if key.type == "likert":
        return float(key.scale_max)
    return 1.0


def item_min(key: ItemKey) -> float:
    """Lowest possible score of an item (choice: lowest option score; Likert: ``scale_min``).

    >>> item_min(ItemKey("an01", "analysis", "numeric", answer=12.5, tolerance=0.1))
    0.0
    """
    if key.type == "best_worst":
        return 0.0
    if key.option_scores is not None:
        return min(key.option_scores.values())
    if key.type == "likert":
        return float(key.scale_min)
    return 0.0


@dataclass(frozen=True, eq=False)
class KeySet:
    """A compiled, validated sequence of item keys with the arrays the vectorised code needs.

    Build it once with :func:`compile_keys` (every public function also accepts a plain
    sequence of :class:`ItemKey` and compiles it on the fly).
    """

    keys: tuple[ItemKey, ...]
    ids: tuple[str, ...]
    index: Mapping[str, int]
    types: tuple[str, ...]
    item_min: np.ndarray
    item_max: np.ndarray
    #: Competencies measured, in the order of :data:`COMPETENCY_KEYS`.
    competencies: tuple[str, ...]
    #: ``scale_of_item[j]`` is the column of item j's competency in :attr:`competencies`.
    scale_of_item: np.ndarray
    #: Indicator matrix (items × competencies).
    membership: np.ndarray
    #: Item columns sorted by competency (None when already in that order), and where each
    #: competency starts in that order.
    scale_order: np.ndarray | None
    scale_starts: np.ndarray
    choice_cols: np.ndarray
    #: Option scores of the choice items, flattened row by row (``max_options`` per item).
    choice_table: np.ndarray
    max_options: int
    n_options: np.ndarray
    likert_cols: np.ndarray
    likert_low: np.ndarray
    likert_high: np.ndarray
    likert_reverse: np.ndarray
    numeric_cols: np.ndarray
    numeric_answer: np.ndarray
    numeric_limit: np.ndarray
    #: Best/worst items: columns, option count, effectiveness table (``max_options`` per
    #: item, flattened) and each item's range max(e) − min(e).
    bw_cols: np.ndarray
    bw_n_options: np.ndarray
    bw_table: np.ndarray
    bw_width: int
    bw_range: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    def sum_by_scale(self, values: np.ndarray, dtype: Any = None) -> np.ndarray:
        """Row sums of ``values`` (n × items) over each competency's items → (n × k).

        Uses ``np.add.reduceat`` on the columns grouped by competency rather than a matrix
        product (no BLAS threads, which behave badly on a busy 2-core machine).
        """
        ordered = values if self.scale_order is None else values[:, self.scale_order]
        return np.add.reduceat(ordered, self.scale_starts, axis=1, dtype=dtype)

    def mask(self, types: Iterable[str]) -> np.ndarray:
        """Boolean mask over items whose type is in ``types``."""
        wanted = set(types)
        return np.array([t in wanted for t in self.types], dtype=bool)

    def items_of(self, competency: str) -> np.ndarray:
        """Column indices of the items measuring ``competency``."""
        return np.flatnonzero([k.competency == competency for k in self.keys])


def compile_keys(keys: Sequence[ItemKey] | KeySet) -> KeySet:
    """Validate ``keys`` (unique ids, at least one item) and precompute scoring arrays."""
    if isinstance(keys, KeySet):
        return keys
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
        raise ScoringInputError("keys", "must be a sequence of ItemKey")
    keys = tuple(keys)
    if not keys:
        raise ScoringInputError("keys", "must contain at least one item")
    index: dict[str, int] = {}
    for j, key in enumerate(keys):
        if not isinstance(key, ItemKey):
            raise ScoringInputError(f"keys[{j}]", f"must be an ItemKey, got {type(key).__name__}")
        if key.id in index:
            raise ScoringInputError("keys", f"duplicate item id {key.id!r}")
        index[key.id] = j
    present = {k.competency for k in keys}
    competencies = tuple(c for c in COMPETENCY_KEYS if c in present)
    scale_of_item = np.array([competencies.index(k.competency) for k in keys], dtype=np.intp)
    membership = np.zeros((len(keys), len(competencies)))
    membership[np.arange(len(keys)), scale_of_item] = 1.0
    order = np.argsort(scale_of_item, kind="stable")
    starts = np.searchsorted(scale_of_item[order], np.arange(len(competencies)))
    choice_cols = np.array([j for j, k in enumerate(keys) if k.type in CHOICE_TYPES], dtype=np.intp)
    n_options = np.array([len(keys[j].option_ids) for j in choice_cols], dtype=np.intp)
    width = int(n_options.max()) if len(n_options) else 0
    table = np.full((len(choice_cols), width), np.nan)
    for row, j in enumerate(choice_cols):
        table[row, : n_options[row]] = list(keys[j].option_scores.values())
    bw_cols = np.array([j for j, k in enumerate(keys) if k.type == "best_worst"], dtype=np.intp)
    bw_n = np.array([len(keys[j].option_ids) for j in bw_cols], dtype=np.intp)
    bw_width = int(bw_n.max()) if len(bw_n) else 0
    bw_table = np.full((len(bw_cols), bw_width), np.nan)
    for row, j in enumerate(bw_cols):
        bw_table[row, : bw_n[row]] = list(keys[j].option_scores.values())
    bw_range = np.nanmax(bw_table, axis=1) - np.nanmin(bw_table, axis=1) if len(bw_cols) else (
        np.zeros(0))
    likert = [k for k in keys if k.type == "likert"]
    numeric = [k for k in keys if k.type == "numeric"]
    answer = np.array([k.answer for k in numeric], dtype=float)
    tolerance = np.array([k.tolerance for k in numeric], dtype=float)
    return KeySet(
        keys=keys,
        ids=tuple(index),
        index=MappingProxyType(index),
        types=tuple(k.type for k in keys),
        item_min=np.array([item_min(k) for k in keys]),
        item_max=np.array([item_max(k) for k in keys]),
        competencies=competencies,
        scale_of_item=scale_of_item,
        membership=membership,
        scale_order=None if (order == np.arange(len(keys))).all() else order,
        scale_starts=starts,
        choice_cols=choice_cols,
        choice_table=table.ravel(),
        max_options=width,
        n_options=n_options,
        likert_cols=np.array([j for j, k in enumerate(keys) if k.type == "likert"], dtype=np.intp),
        likert_low=np.array([k.scale_min for k in likert], dtype=float),
        likert_high=np.array([k.scale_max for k in likert], dtype=float),
        likert_reverse=np.array([k.reverse for k in likert], dtype=bool),
        numeric_cols=np.array(
            [j for j, k in enumerate(keys) if k.type == "numeric"], dtype=np.intp
        ),
        numeric_answer=answer,
        numeric_limit=tolerance + NUMERIC_SLACK * np.maximum(1.0, np.abs(answer)),
        bw_cols=bw_cols,
        bw_n_options=bw_n,
        bw_table=bw_table.ravel(),
        bw_width=bw_width,
        bw_range=bw_range,
    )


def encode_responses(
    keys: Sequence[ItemKey] | KeySet, responses: Sequence[Mapping[str, Any]]
) -> np.ndarray:
    """Encode per-candidate answer dicts as a float matrix (candidates × items).

    Parameters
    ----------
    keys : sequence of ItemKey
        Column order of the result.
    responses : sequence of mapping
        One ``{item_id: value}`` per candidate: an option id (str) for choice items,
        ``{"best": id, "worst": id}`` for best/worst items (either may be ``None`` while the
        candidate has chosen only one: not answered yet), an integer on the scale for Likert
        items, a number for numeric items. A missing item is absent or ``None``.

    Returns
    -------
    numpy.ndarray
        ``X[i, j]`` = option index (choice), the answer (Likert, numeric) or NaN (missing).

    Raises
    ------
    ScoringInputError
        For an unknown item id or an invalid value; the message names the candidate row and
        the item.

    Examples
    --------
    >>> k = [ItemKey("bs01", "business_sense", "sjt", {"a": 3, "b": 0, "c": 1, "d": 2}),
    ...      ItemKey("sr01", "stress_resistance", "likert", reverse=True)]
    >>> encode_responses(k, [{"bs01": "c", "sr01": 4}, {"sr01": None}])
    array([[ 2.,  4.],
           [nan, nan]])
    """
    keyset = compile_keys(keys)
    if isinstance(responses, (str, bytes, Mapping)) or not isinstance(responses, Sequence):
        raise ScoringInputError("responses", "must be a sequence of {item_id: value} mappings")
    known = keyset.index.keys()
    for i, response in enumerate(responses):
        if not isinstance(response, Mapping):
            raise ScoringInputError(f"responses[{i}]", "must be a mapping {item_id: value}")
        if not response.keys() <= known:
            unknown = sorted(map(str, set(response) - set(known)))
            raise ScoringInputError(f"responses[{i}]", f"unknown item {unknown[0]!r}")
    encoded = np.full((len(responses), len(keyset)), np.nan)
    for j, key in enumerate(keyset.keys):
        column = [response.get(key.id) for response in responses]
        encoded[:, j] = _encode_column(key, column)
    return encoded


def _bad_value(key: ItemKey, column: list[Any], is_valid: Any) -> ScoringInputError:
    row = next(i for i, v in enumerate(column) if v is not None and not is_valid(v))
    value = column[row]
    if key.type in CHOICE_TYPES:
        accepts = "one of the option ids " + ", ".join(repr(o) for o in key.option_ids)
    elif key.type == "best_worst":
        accepts = (
            "{'best': id, 'worst': id}, two different option ids among "
            + ", ".join(repr(o) for o in key.option_ids)
        )
    elif key.type == "likert":
        accepts = f"an integer from {key.scale_min} to {key.scale_max}"
    else:
        accepts = "a finite number"
    return ScoringInputError(
        f"responses[{row}][{key.id!r}]", f"{value!r} is not valid; item {key.id} accepts {accepts}"
    )


def best_worst_code(key: ItemKey, value: Any) -> float:
    """Encode ``{"best": b, "worst": w}``: ``index(b) · n + index(w)``; NaN when incomplete.

    Raises ``KeyError`` for anything else (unknown ids, the same option twice, extra keys).

    >>> k = ItemKey("bs101", "business_sense", "best_worst", {"a": 2, "b": 1, "c": 4, "d": 2})
    >>> best_worst_code(k, {"best": "c", "worst": "b"}), best_worst_code(k, {"best": "c"})
    (9.0, nan)
    """
    if not isinstance(value, Mapping) or not set(value) <= {"best", "worst"}:
        raise KeyError(value)
    ids = key.option_ids
    best, worst = value.get("best"), value.get("worst")
    for choice in (best, worst):
        if choice is not None and (not isinstance(choice, str) or choice not in ids):
            raise KeyError(choice)
    if best is None or worst is None:
        return math.nan
    if best == worst:
        raise KeyError(best)
    return float(ids.index(best) * len(ids) + ids.index(worst))


def _encode_column(key: ItemKey, column: list[Any]) -> np.ndarray | list[float]:
    if key.type == "best_worst":
        def valid_pair(v: Any) -> bool:
            try:
                best_worst_code(key, v)
            except KeyError:
                return False
            return True

        try:
            return [math.nan if v is None else best_worst_code(key, v) for v in column]
        except KeyError:
            raise _bad_value(key, column, valid_pair) from None
    if key.type in CHOICE_TYPES:
        lookup: dict[Any, float] = {o: float(i) for i, o in enumerate(key.option_ids)}
        lookup[None] = math.nan
        try:
            if not all(isinstance(v, str) for v in column if v is not None):
                raise KeyError
            return [lookup[v] for v in column]
        except (KeyError, TypeError):
            raise _bad_value(key, column, lambda v: isinstance(v, str) and v in lookup) from None
    if key.type == "likert":
        lookup = {v: float(v) for v in range(key.scale_min, key.scale_max + 1)}
        lookup[None] = math.nan

        def valid_likert(v: Any) -> bool:
            return (
                not isinstance(v, bool) and isinstance(v, (int, float, np.number)) and v in lookup
            )

        try:
            if any(isinstance(v, bool) for v in column):
                raise KeyError
            return [lookup[v] for v in column]
        except (KeyError, TypeError):
            raise _bad_value(key, column, valid_likert) from None

    def valid_number(v: Any) -> bool:
        return (
            not isinstance(v, bool)
            and isinstance(v, (int, float, np.number))
            and math.isfinite(float(v))
        )

    if not all(valid_number(v) for v in column if v is not None):
        raise _bad_value(key, column, valid_number)
    return np.array([math.nan if v is None else v for v in column], dtype=float)


def score_items(keys: Sequence[ItemKey] | KeySet, X: Any) -> np.ndarray:
    """Score an encoded response matrix item by item.

    Parameters
    ----------
    keys : sequence of ItemKey
    X : array_like, shape (n_candidates, n_items)
        Output of :func:`encode_responses`; NaN means "not answered".

    Returns
    -------
    numpy.ndarray
        Item scores, same shape, NaN where not answered. Choice items: the chosen option's
        score; Likert: ``x`` or, reverse-keyed, ``scale_min + scale_max - x``; numeric:
        ``1.0`` if ``|x - answer| <= tolerance`` (plus :data:`NUMERIC_SLACK`), else ``0.0``.

    Examples
    --------
    >>> k = [ItemKey("ck01", "commercial_knowledge", "single_choice", {"a": 0, "b": 1, "c": 0}),
    ...      ItemKey("sr01", "stress_resistance", "likert", reverse=True),
    ...      ItemKey("an01", "analysis", "numeric", answer=0.3, tolerance=0.0)]
    >>> score_items(k, [[1, 4, 0.1 + 0.2], [0, 1, 0.31], [np.nan, 5, np.nan]])
    array([[ 1.,  2.,  1.],
           [ 0.,  5.,  0.],
           [nan,  1., nan]])
    """
    keyset = compile_keys(keys)
    X = as_float_array("X", X, ndim=2)
    if X.shape[1] != len(keyset):
        raise ScoringInputError(
            "X", f"has {X.shape[1]} columns but there are {len(keyset)} item keys"
        )
    scores = np.full(X.shape, np.nan)
    if len(keyset.choice_cols):
        scores[:, keyset.choice_cols] = _score_choice(keyset, X[:, keyset.choice_cols])
    if len(keyset.likert_cols):
        scores[:, keyset.likert_cols] = _score_likert(keyset, X[:, keyset.likert_cols])
    if len(keyset.numeric_cols):
        scores[:, keyset.numeric_cols] = _score_numeric(keyset, X[:, keyset.numeric_cols])
    if len(keyset.bw_cols):
        scores[:, keyset.bw_cols] = _score_best_worst(keyset, X[:, keyset.bw_cols])
    return scores


def _first_bad_column(bad: np.ndarray, cols: np.ndarray, keyset: KeySet, X: np.ndarray) -> None:
    if bad.any():
        row, col = (int(a[0]) for a in np.nonzero(bad))
        key = keyset.keys[cols[col]]
        raise ScoringInputError(
            f"X[{row}, {cols[col]}]",
            f"{float(X[row, col]):g} is not a valid encoded answer for item {key.id} ({key.type})",
        )


def _score_choice(keyset: KeySet, X: np.ndarray) -> np.ndarray:
    missing = np.isnan(X)
    codes = np.where(missing, 0.0, X)
    _first_bad_column((codes < 0) | (codes >= keyset.n_options), keyset.choice_cols, keyset, X)
    index = codes.astype(np.intp)  # safe: in range, so the cast cannot overflow
    _first_bad_column(index != codes, keyset.choice_cols, keyset, X)  # not a whole number
    index += np.arange(len(keyset.choice_cols), dtype=np.intp) * keyset.max_options
    scores = np.take(keyset.choice_table, index)
    scores[missing] = np.nan
    return scores


def _score_best_worst(keyset: KeySet, X: np.ndarray) -> np.ndarray:
    """(e[best] − e[worst] + R) / (2R) from codes ``best · n + worst`` (see module docstring)."""
    missing = np.isnan(X)
    codes = np.where(missing, 0.0, X)
    n = keyset.bw_n_options.astype(float)
    best, worst = np.floor_divide(codes, n), np.mod(codes, n)
    bad = (codes < 0) | (codes >= n * n) | (codes != np.floor(codes)) | (best == worst)
    _first_bad_column(bad & ~missing, keyset.bw_cols, keyset, X)
    rows = np.arange(len(keyset.bw_cols), dtype=np.intp) * keyset.bw_width
    e_best = np.take(keyset.bw_table, rows + best.astype(np.intp))
    e_worst = np.take(keyset.bw_table, rows + worst.astype(np.intp))
    spread = keyset.bw_range
    scores: np.ndarray = (e_best - e_worst + spread) / (2 * spread)
    scores[missing] = np.nan
    return scores


def _score_likert(keyset: KeySet, X: np.ndarray) -> np.ndarray:
    low, high = keyset.likert_low, keyset.likert_high
    filled = np.where(np.isnan(X), low, X)
    bad = (filled != np.floor(filled)) | (filled < low) | (filled > high)
    _first_bad_column(bad, keyset.likert_cols, keyset, X)
    return np.where(keyset.likert_reverse, low + high - X, X)


def _score_numeric(keyset: KeySet, X: np.ndarray) -> np.ndarray:
    hit: np.ndarray = (np.abs(X - keyset.numeric_answer) <= keyset.numeric_limit).astype(float)
    hit[np.isnan(X)] = np.nan
    return hit


def reverse_likert(x: Any, scale_min: int = 1, scale_max: int = 5) -> np.ndarray:
    """Reverse-key Likert answers: ``scale_min + scale_max - x`` (an involution).

    >>> reverse_likert([1, 2, 5])
    array([5., 4., 1.])
    """
    return scale_min + scale_max - as_float_array("x", x)
