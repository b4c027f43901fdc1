"""Norms: norm tables, mid-rank percentiles, T-scores, stens and norm status (SPEC §3.3).

Formulas (Crocker & Algina, 1986, ch. 19)
-----------------------------------------
For a norm group of n scores with mean M and standard deviation SD (``ddof=1``):

* mid-rank percentile: ``PR(x) = 100 · (count_below(x) + 0.5 · count_equal(x)) / n``;
* ``z = (x − M) / SD``; ``T = 50 + 10 z``;
* sten: ``clip(round_half_up(5.5 + 2 z), 1, 10)`` = ``clip(floor(6 + 2 z), 1, 10)``. Rounding
  half *up* (not NumPy's half-to-even) reproduces the standard sten bands: z in [0, 0.5) →
  sten 6, z in [−0.5, 0) → sten 5, z ≥ 2 → 10, z < −2 → 1.

Equality in the percentile is judged with a tolerance of ``1e-9 · max(1, |x|)`` so a prorated
score that differs from a norm score only by floating-point noise counts as equal.

Status by norm-group size n (SPEC §3.3; ``min_n`` = ``KAM_NORM_MIN_N``, default 100):
``"none"`` when n < min_n (no percentiles, T or sten: reports show percent of maximum),
``"provisional"`` when min_n ≤ n < 300, ``"operational"`` when n ≥ 300.

Each scale's norm also stores α and SEM; a normed score then carries a 90 % band in T units,
``T ± 1.645 · 10 · √(1 − α)`` (SEM in T units = 10 · √(1 − α)).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number, has_spread
from scoring.errors import ScoringInputError
from scoring.items import ItemKey, KeySet, compile_keys
from scoring.reliability import Z90, alpha_threshold, cronbach_alpha
from scoring.scales import ScaleScores
from scoring.serialization import jsonable, jsonable_dict
from scoring.version import SCORING_VERSION

#: Default ``KAM_NORM_MIN_N``.
NORM_MIN_N = 100
#: From this size on, norms are "operational".
OPERATIONAL_N = 300
NORM_TABLE_FORMAT = "kam-assess/norm-table"
NORM_TABLE_FORMAT_VERSION = 1


def norm_status(n: int, min_n: int = NORM_MIN_N) -> str:
    """``"none"`` (n < min_n), ``"provisional"`` (min_n ≤ n < 300) or ``"operational"``.

    >>> norm_status(37), norm_status(100), norm_status(299), norm_status(300)
    ('none', 'provisional', 'provisional', 'operational')
    """
    n = int(check_number("n", n, minimum=0, integer=True))
    min_n = int(check_number("min_n", min_n, minimum=1, integer=True))
    if n < min_n:
        return "none"
    return "provisional" if n < max(OPERATIONAL_N, min_n) else "operational"


def norm_status_message(n: int, min_n: int = NORM_MIN_N) -> str:
    """Plain-English norm status, e.g. ``"norms not yet established (n = 37 of 100)"``."""
    status = norm_status(n, min_n)
    if status == "none":
        return f"norms not yet established (n = {n} of {min_n})"
    return f"{status} norms (n = {n})"


def percentile_rank(scores: Any, distribution: Any) -> np.ndarray:
    """Mid-rank percentile of each score against a norm distribution.

    ``PR = 100 · (count_below + 0.5 · count_equal) / n``; NaN scores give NaN.

    >>> percentile_rank([10, 20, 25, 40], [10, 20, 20, 30])
    array([ 12.5,  50. ,  75. , 100. ])
    """
    x = as_float_array("scores", scores)
    dist = as_float_array("distribution", distribution, ndim=1, allow_nan=False)
    if dist.size == 0:
        raise ScoringInputError("distribution", "is empty")
    return _mid_rank(x, dist)


def _mid_rank(x: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Mid-rank percentile core: one search in the distinct norm values."""
    values, counts = np.unique(dist, return_counts=True)
    below = np.concatenate(([0], np.cumsum(counts)))  # below[i]: norm scores < values[i]
    tol = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(x)))
    idx = np.searchsorted(values, x - tol, side="left")  # first distinct value ≥ x − tol
    nearest = np.minimum(idx, values.size - 1)
    with np.errstate(invalid="ignore"):
        equal = np.where((idx < values.size) & (values[nearest] <= x + tol), counts[nearest], 0)
    pr = 100.0 * (below[idx] + 0.5 * equal) / dist.size
    return np.where(np.isnan(x), np.nan, pr)


def z_scores(scores: Any, mean: float, sd: float) -> np.ndarray:
    """``z = (x − mean) / sd``; NaN everywhere when ``sd`` is 0 (no spread, no z).

    >>> z_scores([40, 50, 65], 50, 10)
    array([-1. ,  0. ,  1.5])
    """
    x = as_float_array("scores", scores)
    mean = check_number("mean", mean)
    sd = check_number("sd", sd, minimum=0.0)
    if not has_spread(sd, mean):
        return np.full(x.shape, np.nan)
    return (x - mean) / sd


def t_score(z: Any) -> np.ndarray:
    """``T = 50 + 10 z``.

    >>> t_score([-1.0, 0.0, 1.5])
    array([40., 50., 65.])
    """
    return 50.0 + 10.0 * as_float_array("z", z)


def sten(z: Any) -> np.ndarray:
    """Standard ten: ``clip(round_half_up(5.5 + 2z), 1, 10)``; NaN stays NaN.

    >>> sten([-2.5, -0.25, 0.0, 0.24, 2.0, 3.0])
    array([ 1.,  5.,  6.,  6., 10., 10.])
    """
    values = as_float_array("z", z)
    return np.clip(np.floor(5.5 + 2.0 * values + 0.5), 1.0, 10.0)


@dataclass(frozen=True, eq=False)
class ScaleNorm:
    """Norm of one scale (competency): size, mean, SD, the sorted scores, α and SEM.

    ``scores`` is kept whole so the mid-rank percentile of any new score can be computed.
    ``sjt`` marks a scale made mostly of SJT items (its α threshold is 0.50, not 0.70).
    """

    scale: str
    n: int
    mean: float | None
    sd: float | None
    scores: np.ndarray = field(repr=False)
    alpha: float | None = None
    sem: float | None = None
    sjt: bool = False

    def __post_init__(self) -> None:
        where = f"scales[{self.scale!r}]"
        scores = np.sort(as_float_array(f"{where}.scores", self.scores, ndim=1, allow_nan=False))
        scores.setflags(write=False)
        object.__setattr__(self, "scores", scores)
        if self.n != scores.size:
            raise ScoringInputError(f"{where}.n", f"is {self.n} but there are {scores.size} scores")

    def status(self, min_n: int = NORM_MIN_N) -> str:
        """Norm status of this scale (see :func:`norm_status`)."""
        return norm_status(self.n, min_n)

    @property
    def usable(self) -> bool:
        """Whether z-scores can be computed: n ≥ 2 and a real spread (equal scores whose SD
        floating-point noise makes 1e-15 have none)."""
        return has_spread(self.sd, self.mean or 0.0)

    @property
    def alpha_low(self) -> bool | None:
        """α below 0.70 (0.50 for SJT scales); ``None`` when α is unknown."""
        if self.alpha is None:
            return None
        return self.alpha < alpha_threshold(self.sjt)

    @property
    def sem_t(self) -> float | None:
        """SEM in T-score units: ``10 · √(1 − α)``."""
        return None if self.alpha is None else 10.0 * math.sqrt(1.0 - self.alpha)

    def percentile(self, scores: Any) -> np.ndarray:
        """Mid-rank percentile of ``scores`` in this norm group."""
        if self.n == 0:
            raise ScoringInputError(f"norms[{self.scale!r}]", "has no scores")
        return _mid_rank(as_float_array("scores", scores), self.scores)

    def z(self, scores: Any) -> np.ndarray:
        """z-scores against this norm group (NaN when SD is 0 or unknown)."""
        x = as_float_array("scores", scores)
        if not self.usable:
            return np.full(x.shape, np.nan)
        # Ignored: usable means mean and sd are numbers (hidden by the property).
        return z_scores(x, self.mean, self.sd)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "n": self.n,
                "mean": self.mean,
                "sd": self.sd,
                "alpha": self.alpha,
                "sem": self.sem,
                "sjt": self.sjt,
                "scores": self.scores,
            }
        )

    @classmethod
    def from_dict(cls, scale: str, data: Mapping[str, Any]) -> ScaleNorm:
        """Inverse of :meth:`to_dict`; validates and recomputes the summary statistics."""
        where = f"scales[{scale!r}]"
        if not isinstance(data, Mapping):
            raise ScoringInputError(where, "must be an object")
        scores = data.get("scores")
        if not isinstance(scores, list):
            raise ScoringInputError(f"{where}.scores", "must be a list of numbers")
        for i, s in enumerate(scores):
            check_number(f"{where}.scores[{i}]", s)
        n = int(check_number(f"{where}.n", data.get("n"), minimum=0, integer=True))
        norm = _scale_norm(scale, np.array(scores, dtype=float), alpha=None, sjt=False)
        if n != norm.n:
            raise ScoringInputError(f"{where}.n", f"is {n} but there are {norm.n} scores")
        for name in ("mean", "sd"):
            stored, computed = data.get(name), getattr(norm, name)
            if stored is None and computed is None:
                continue
            stored = check_number(f"{where}.{name}", stored)
            if computed is None or not math.isclose(stored, computed, rel_tol=1e-9, abs_tol=1e-9):
                raise ScoringInputError(f"{where}.{name}", "does not match the stored scores")
        alpha = data.get("alpha")
        if alpha is not None:
            alpha = check_number(f"{where}.alpha", alpha, maximum=1.0)
        sjt = data.get("sjt", False)
        if not isinstance(sjt, bool):
            raise ScoringInputError(f"{where}.sjt", "must be true or false")
        return _scale_norm(scale, norm.scores, alpha=alpha, sjt=sjt)


def _scale_norm(scale: str, scores: np.ndarray, *, alpha: float | None, sjt: bool) -> ScaleNorm:
    scores = np.sort(scores)  # statistics from the sorted scores, exactly as after a round trip
    n = int(scores.size)
    mean = float(scores.mean()) if n else None
    sd = float(scores.std(ddof=1)) if n >= 2 else None
    sem = None if sd is None or alpha is None else sd * math.sqrt(1.0 - alpha)
    return ScaleNorm(scale, n, mean, sd, scores, alpha=alpha, sem=sem, sjt=sjt)


def _created(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if not isinstance(value, str) or not value:
        raise ScoringInputError("created", "must be an ISO 8601 date or date-time string")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ScoringInputError("created", f"{value!r} is not an ISO 8601 date") from None
    return value


@dataclass(frozen=True, eq=False)
class NormTable:
    """The norms of one questionnaire version, exportable as JSON (SPEC §3.3).

    Attributes
    ----------
    questionnaire_key, questionnaire_version
        What the norm group took (a battery of several questionnaires may use a
        combined key such as ``"kam-battery"``).
    created : str
        ISO 8601 date supplied by the caller (the library never reads the clock).
    scales : Mapping[str, ScaleNorm]
    scoring_version : str
        :data:`scoring.SCORING_VERSION` of the code that built the table.
    min_n : int
        ``KAM_NORM_MIN_N`` used for :meth:`status`.
    """

    questionnaire_key: str
    questionnaire_version: int | str
    created: str
    scales: Mapping[str, ScaleNorm]
    scoring_version: str = SCORING_VERSION
    min_n: int = NORM_MIN_N

    def __post_init__(self) -> None:
        if not isinstance(self.questionnaire_key, str) or not self.questionnaire_key:
            raise ScoringInputError("questionnaire_key", "must be a non-empty string")
        version = self.questionnaire_version
        if isinstance(version, bool) or not isinstance(version, (int, str)) or version == "":
            raise ScoringInputError("questionnaire_version", "must be an integer or a string")
        object.__setattr__(self, "created", _created(self.created))
        check_number("min_n", self.min_n, minimum=1, integer=True)
        object.__setattr__(self, "scales", MappingProxyType(dict(self.scales)))

    def __getitem__(self, scale: str) -> ScaleNorm:
        return self.scales[scale]

    def status(self, scale: str) -> str:
        """Norm status of ``scale`` (``"none"`` for a scale the table does not cover)."""
        norm = self.scales.get(scale)
        return "none" if norm is None else norm.status(self.min_n)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, including the status of each scale."""
        return {
            "format": NORM_TABLE_FORMAT,
            "format_version": NORM_TABLE_FORMAT_VERSION,
            "questionnaire_key": self.questionnaire_key,
            "questionnaire_version": self.questionnaire_version,
            "scoring_version": self.scoring_version,
            "created": self.created,
            "min_n": self.min_n,
            "scales": {
                name: {**norm.to_dict(), "status": norm.status(self.min_n)}
                for name, norm in self.scales.items()
            },
        }

    def to_json(self) -> str:
        """Serialise to a JSON string (floats keep full precision)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NormTable:
        """Inverse of :meth:`to_dict`; validates the structure and the numbers."""
        if not isinstance(data, Mapping):
            raise ScoringInputError("norm_table", "must be a JSON object")
        if data.get("format") != NORM_TABLE_FORMAT:
            raise ScoringInputError("format", f"must be {NORM_TABLE_FORMAT!r}")
        if data.get("format_version") != NORM_TABLE_FORMAT_VERSION:
            raise ScoringInputError(
                "format_version", f"unsupported, expected {NORM_TABLE_FORMAT_VERSION}"
            )
        scales = data.get("scales")
        if not isinstance(scales, Mapping) or not scales:
            raise ScoringInputError("scales", "must be a non-empty object")
        scoring_version = data.get("scoring_version")
        if not isinstance(scoring_version, str):
            raise ScoringInputError("scoring_version", "must be a string")
        return cls(
            # Ignored: JSON in; __post_init__ checks these and names the field.
            questionnaire_key=data.get("questionnaire_key"),  # type: ignore[arg-type]
            questionnaire_version=data.get("questionnaire_version"),  # type: ignore[arg-type]
            created=data.get("created"),  # type: ignore[arg-type]
            scales={str(k): ScaleNorm.from_dict(str(k), v) for k, v in scales.items()},
            scoring_version=scoring_version,
            min_n=data.get("min_n", NORM_MIN_N),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> NormTable:
        """Parse a norm table exported by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ScoringInputError("norm_table", f"is not valid JSON ({exc})") from None
        return cls.from_dict(data)


def build_norm_table(
    scores: ScaleScores | Any,
    scales: Sequence[str] | None = None,
    *,
    questionnaire_key: str,
    questionnaire_version: int | str,
    created: str | date,
    item_scores: Any = None,
    keys: Sequence[ItemKey] | KeySet | None = None,
    alphas: Mapping[str, float] | None = None,
    sjt_scales: Sequence[str] = (),
    min_n: int = NORM_MIN_N,
    scoring_version: str = SCORING_VERSION,
) -> NormTable:
    """Build a norm table from a matrix of scale scores of a norm group.

    Parameters
    ----------
    scores : ScaleScores or array_like, shape (n_people, k_scales)
        Raw scale scores; NaN (an incomplete scale) leaves that person out of that scale's
        norm only.
    scales : sequence of str
        Column names (taken from ``scores`` when it is a :class:`ScaleScores`).
    questionnaire_key, questionnaire_version, created
        Recorded in the table (``created`` is supplied by the caller).
    item_scores, keys : optional
        The group's item-score matrix and keys; when given, α (listwise deletion) and
        SEM = SD·√(1 − α) are stored per scale, and a scale at least half made of SJT items
        gets the SJT α threshold.
    alphas, sjt_scales : optional
        α per scale computed elsewhere (overrides the items), and scales to treat as SJT.
    min_n : int
        ``KAM_NORM_MIN_N``.

    Examples
    --------
    >>> t = build_norm_table([[10.0], [20.0], [20.0], [30.0]], ["analysis"],
    ...                      questionnaire_key="analysis", questionnaire_version=1,
    ...                      created="2025-01-31")
    >>> t["analysis"].mean, round(t["analysis"].sd, 4), t.status("analysis")
    (20.0, 8.165, 'none')
    """
    if isinstance(scores, ScaleScores):
        scales = scales if scales is not None else scores.competencies
        matrix = scores.raw
    else:
        matrix = as_float_array("scores", scores, ndim=2)
    if scales is None:
        raise ScoringInputError("scales", "names of the score columns are required")
    scales = tuple(scales)
    if len(scales) != matrix.shape[1]:
        raise ScoringInputError(
            "scales", f"has {len(scales)} names but scores has {matrix.shape[1]} columns"
        )
    if len(set(scales)) != len(scales):
        raise ScoringInputError("scales", "contains a duplicate name")
    keyset = None
    items = None
    if item_scores is not None or keys is not None:
        if item_scores is None or keys is None:
            raise ScoringInputError("item_scores", "item_scores and keys go together")
        keyset = compile_keys(keys)
        items = as_float_array("item_scores", item_scores, ndim=2)
        if items.shape != (matrix.shape[0], len(keyset)):
            raise ScoringInputError(
                "item_scores",
                f"has shape {items.shape}, expected {(matrix.shape[0], len(keyset))}",
            )
    alphas = dict(alphas or {})
    for name, value in alphas.items():
        if name not in scales:
            raise ScoringInputError(f"alphas[{name!r}]", "is not one of the scales")
        alphas[name] = check_number(f"alphas[{name!r}]", value, maximum=1.0)
    norms = {}
    for j, scale in enumerate(scales):
        column = matrix[:, j]
        alpha, sjt = None, scale in sjt_scales
        if keyset is not None and items is not None:
            cols = keyset.items_of(scale)
            n_sjt = sum(keyset.types[c] in ("sjt", "best_worst") for c in cols)
            sjt = sjt or (bool(cols.size) and n_sjt * 2 >= cols.size)
            rows = ~np.isnan(column)
            try:
                alpha = cronbach_alpha(items[np.ix_(rows, cols)])
            except ScoringInputError:
                alpha = None
        alpha = alphas.get(scale, alpha)
        norms[scale] = _scale_norm(scale, column[~np.isnan(column)], alpha=alpha, sjt=sjt)
    return NormTable(
        questionnaire_key=questionnaire_key,
        questionnaire_version=questionnaire_version,
        created=_created(created),
        scales=norms,
        scoring_version=scoring_version,
        min_n=min_n,
    )


NormsLike = NormTable | Mapping[str, ScaleNorm] | Sequence[NormTable]


def combine_norms(norms: NormsLike) -> tuple[dict[str, ScaleNorm], int]:
    """Merge one or several norm tables into ``({scale: ScaleNorm}, min_n)``.

    A scale may appear in only one table (norm groups of different questionnaires are not
    pooled); the smallest ``min_n`` of several tables would hide a stricter setting, so
    the largest is used.
    """
    if isinstance(norms, NormTable):
        return dict(norms.scales), norms.min_n
    if isinstance(norms, Mapping):
        for name, norm in norms.items():
            if not isinstance(norm, ScaleNorm):
                raise ScoringInputError(f"norms[{name!r}]", "must be a ScaleNorm")
        return dict(norms), NORM_MIN_N
    merged: dict[str, ScaleNorm] = {}
    min_n = 1
    for i, table in enumerate(norms):
        if not isinstance(table, NormTable):
            raise ScoringInputError(f"norms[{i}]", "must be a NormTable")
        for name, norm in table.scales.items():
            if name in merged:
                raise ScoringInputError(f"norms[{i}]", f"scale {name!r} is in two tables")
            merged[name] = norm
        min_n = max(min_n, table.min_n)
    return merged, min_n if merged else NORM_MIN_N


@dataclass(frozen=True, eq=False)
class NormedScores:
    """Normed scores of a group (rows) per competency (columns).

    ``percentile``, ``z``, ``t``, ``sten`` and the 90 % band (``ci90_low``/``ci90_high``, in
    T units) are NaN where the scale is incomplete, or for every row when the competency's
    norms are not established (status ``"none"``) or have no spread.
    """

    competencies: tuple[str, ...]
    percentile: np.ndarray
    z: np.ndarray
    t: np.ndarray
    sten: np.ndarray
    ci90_low: np.ndarray
    ci90_high: np.ndarray
    status: tuple[str, ...]
    n: np.ndarray
    alpha: np.ndarray
    alpha_low: tuple[bool | None, ...]
    sem_raw: np.ndarray
    normed: np.ndarray
    min_n: int
    no_spread: tuple[bool, ...] = ()

    def message(self, j: int) -> str:
        """Plain-English norm status of column ``j``."""
        n = int(self.n[j])
        if self.no_spread and self.no_spread[j]:
            return (
                f"norms not established: all {n} scores in the norm group are equal"
                " (no spread, so no T-scores)"
            )
        return norm_status_message(n, self.min_n)

    def candidate(self, i: int) -> dict[str, dict[str, Any]]:
        """One candidate's normed scores ``{competency: {...}}``, JSON-able."""
        out = {}
        for j, c in enumerate(self.competencies):
            low, high = self.ci90_low[i, j], self.ci90_high[i, j]
            out[c] = jsonable(
                {
                    "percentile": self.percentile[i, j],
                    "z": self.z[i, j],
                    "t_score": self.t[i, j],
                    "sten": self.sten[i, j],
                    "ci90": None if np.isnan(low) else [low, high],
                    "alpha": self.alpha[j],
                    "alpha_low": self.alpha_low[j],
                    "norm_status": self.status[j],
                    "norm_n": self.n[j],
                    "norm_message": self.message(j),
                }
            )
            out[c]["sten"] = None if out[c]["sten"] is None else int(out[c]["sten"])
        return out

    def column_constants(self, j: int) -> dict[str, Any]:
        """What every row shares in column ``j``: α, its flag, the norm status and size."""
        alpha = float(self.alpha[j])
        return {
            "alpha": None if alpha != alpha else alpha,
            "alpha_low": self.alpha_low[j],
            "norm_status": self.status[j],
            "norm_n": int(self.n[j]),
            "norm_message": self.message(j),
        }

    def row(self, i: int) -> NormedScores:
        """Row ``i`` alone, as a group of one."""
        rows = slice(i, i + 1)
        return replace(
            self,
            percentile=self.percentile[rows],
            z=self.z[rows],
            t=self.t[rows],
            sten=self.sten[rows],
            ci90_low=self.ci90_low[rows],
            ci90_high=self.ci90_high[rows],
        )

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form."""
        return jsonable_dict(
            {
                "competencies": list(self.competencies),
                "status": list(self.status),
                "n": self.n,
                "alpha": self.alpha,
                "percentile": self.percentile,
                "z": self.z,
                "t_score": self.t,
                "sten": self.sten,
                "ci90_low": self.ci90_low,
                "ci90_high": self.ci90_high,
            }
        )


def apply_norms(
    scores: ScaleScores | Any,
    competencies: Sequence[str] | None = None,
    norms: NormsLike | None = None,
    *,
    min_n: int | None = None,
) -> NormedScores:
    """Percentiles, z, T, sten and 90 % bands of a group against norm tables. Vectorised.

    Parameters
    ----------
    scores : ScaleScores or array_like, shape (n, k)
        Raw scale scores (NaN = incomplete).
    competencies : sequence of str
        Column names (taken from ``scores`` when it is a :class:`ScaleScores`).
    norms : NormTable, mapping or sequence of NormTable
    min_n : int, optional
        Overrides the table's ``KAM_NORM_MIN_N``.
    """
    if isinstance(scores, ScaleScores):
        competencies = competencies if competencies is not None else scores.competencies
        raw = scores.raw
    else:
        raw = as_float_array("scores", scores, ndim=2)
    if competencies is None:
        raise ScoringInputError("competencies", "names of the score columns are required")
    competencies = tuple(competencies)
    if len(competencies) != raw.shape[1]:
        raise ScoringInputError(
            "competencies", f"has {len(competencies)} names but scores has {raw.shape[1]} columns"
        )
    if norms is None:
        raise ScoringInputError("norms", "a norm table is required")
    table, table_min_n = combine_norms(norms)
    if min_n is not None:
        table_min_n = int(check_number("min_n", min_n, minimum=1, integer=True))
    shape = raw.shape
    percentile, z = np.full(shape, np.nan), np.full(shape, np.nan)
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    k = len(competencies)
    n = np.zeros(k, dtype=np.int64)
    alpha, sem_raw = np.full(k, np.nan), np.full(k, np.nan)
    status: list[str] = []
    alpha_low: list[bool | None] = []
    no_spread = [False] * k
    normed = np.zeros(k, dtype=bool)
    for j, c in enumerate(competencies):
        norm = table.get(c)
        if norm is None:
            status.append("none")
            alpha_low.append(None)
            continue
        n[j] = norm.n
        alpha[j] = np.nan if norm.alpha is None else norm.alpha
        sem_raw[j] = np.nan if norm.sem is None else norm.sem
        alpha_low.append(norm.alpha_low)
        status.append(norm.status(table_min_n))
        if status[-1] != "none" and not norm.usable:
            # Every score equal: no spread, no z (SD would be 0, or 1e-15 of rounding noise).
            status[-1], no_spread[j] = "none", True
        if status[-1] == "none":
            continue
        normed[j] = True
        percentile[:, j] = norm.percentile(raw[:, j])
        z[:, j] = norm.z(raw[:, j])
        if norm.sem_t is not None:
            t_col = 50.0 + 10.0 * z[:, j]
            low[:, j] = t_col - Z90 * norm.sem_t
            high[:, j] = t_col + Z90 * norm.sem_t
    return NormedScores(
        competencies=competencies,
        percentile=percentile,
        z=z,
        t=t_score(z),
        sten=sten(z),
        ci90_low=low,
        ci90_high=high,
        status=tuple(status),
        n=n,
        alpha=alpha,
        alpha_low=tuple(alpha_low),
        sem_raw=sem_raw,
        normed=normed,
        min_n=table_min_n,
        no_spread=tuple(no_spread),
    )
