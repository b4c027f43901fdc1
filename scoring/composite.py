"""Composite fit score, bands, hurdles and a term-by-term explanation (SPEC §3.5).

Fit score
---------
With the position's weights w_i (non-negative, Σ w_i = 1 within 1e-9), the weighted sum
``S = Σ w_i x_i`` of competency z-scores (percent of maximum before norms) is
**re-standardized against the norm group** (:class:`CompositeNorm`: the mean and the
covariance of the competency scores over the group's completed attempts, complete on every
weighted competency)::

    mean_S = Σ w_i μ_i,   SD_S = √(wᵀ Σ w),   z_c = (S − mean_S) / SD_S

which is exactly the mean and the SD (ddof = 1) of S over the group. Because competencies
correlate less than perfectly, SD_S is below 1 on the z basis (a plain ``50 + 10 S`` spreads
6–7 T points instead of 10, and band A holds ~5 % of the group instead of ~16 %).

* **normed** (every positively weighted competency has established norms):
  ``fit_T = 50 + 10 · z_c``, a true T-score (mean 50, SD 10 in the norm group), so the
  bands hold their intended shares of a normal group: A ≈ 15.9 %, B ≈ 15.0 %, C ≈ 38.3 %,
  D ≈ 30.9 %; ``z_c`` is the composite z passed to the utility model.
* **before norms**: the fit is ``Σ w_i · percent_i`` (percent of maximum, 0–100, with percent
  bands); ``z_c`` is computed the same way on the percent scores for the utility model.

The standardization needs at least :data:`MIN_COMPOSITE_N` complete attempts and a spread
above :data:`ZERO_SPREAD` (a group whose scores are all equal has none, even when
floating-point noise computes an SD of 1e-15). Without it, a normed fit stays
``50 + 10 · S`` and says so in its explanation, and before norms there is no z_c.

**Partial fit.** When a weighted competency has no score, the fit over the complete ones is
computed with their weights renormalized (``w_i / Σ_complete w``) and standardized the same
way (the mean and SD of that weighted sum come from the same group), labelled with what is
missing and the share of the weight it covers. It is never the fit score: it is reported
beside it and ranks after every complete fit.

Following the compensatory-plus-hurdle design (Cascio & Aguinis, *Applied Psychology in
Talent Management*, 2019, ch. 14), a strong competency makes up for a weaker one inside the
fit score, but per-competency **minimums are non-compensatory hurdles** reported beside it
(in T when normed, in percent otherwise), as is the **language hurdle**: a minimum CEFR
estimate (B2 by default). Hurdles never change the fit score or its band.

Bands (SPEC §3.5): A ≥ 60 T, B 55–60, C 45–55, D < 45. Percent equivalents before norms,
chosen for this product: A ≥ 75 %, B 65–75 %, C 50–65 %, D < 50 %. A lower bound belongs to
its band (exactly 60 T is A).

A positively weighted competency without a score (scale incomplete or not taken) makes the
fit score incomplete (NaN / ``None``); the explanation names it instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from scoring.cefr import cefr_meets, cefr_rank
from scoring.checks import as_float_array, check_number, has_spread
from scoring.competencies import (
    CEFR_LEVELS,
    COMPETENCY_KEYS,
    DEFAULT_LANGUAGE_HURDLE,
    DEFAULT_WEIGHTS,
    label,
)
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict, optional_float, unsigned_zero

Basis = Literal["z", "percent"]
#: Lower bounds of bands A, B, C (D is everything below C).
BAND_CUTS_T: tuple[float, float, float] = (60.0, 55.0, 45.0)
BAND_CUTS_PERCENT: tuple[float, float, float] = (75.0, 65.0, 50.0)
WEIGHT_TOLERANCE = 1e-9
#: Complete attempts a norm group needs before a composite is re-standardized against it.
MIN_COMPOSITE_N = 30
@dataclass(frozen=True, eq=False)
class CompositeNorm:
    """What a norm group says about weighted sums of its competency scores.

    ``mean`` and ``cov`` (ddof = 1) of the competency scores (z or percent, per ``basis``)
    over the ``n`` attempts complete on every one of ``competencies``: the mean and SD of
    any weighted sum of them follow (:meth:`moments`) without reading the group again.
    """

    basis: Basis
    competencies: tuple[str, ...]
    n: int
    mean: np.ndarray
    cov: np.ndarray

    def moments(self, weights: Mapping[str, float]) -> tuple[float, float] | None:
        """``(mean_S, SD_S)`` of ``S = Σ w_i x_i`` in the group; None when a weighted
        competency is not covered or the group has fewer than 2 attempts."""
        if self.n < 2 or any(c not in self.competencies for c, w in weights.items() if w):
            return None
        w = np.array([float(weights.get(c, 0.0)) for c in self.competencies])
        variance = float(w @ self.cov @ w)
        return float(w @ self.mean), math.sqrt(max(0.0, variance))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "basis": self.basis,
                "competencies": list(self.competencies),
                "n": self.n,
                "mean": self.mean,
                "cov": self.cov,
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompositeNorm:
        """Inverse of :meth:`to_dict`."""
        competencies = tuple(data["competencies"])
        k = len(competencies)
        return cls(
            basis=data["basis"],
            competencies=competencies,
            n=int(data["n"]),
            mean=np.array(data["mean"], float).reshape(k),
            cov=np.array(data["cov"], float).reshape(k, k),
        )


def build_composite_norm(
    scores: Any, competencies: Sequence[str], *, basis: Basis
) -> CompositeNorm:
    """The mean and covariance of a norm group's competency scores (rows with a NaN in any
    column are left out, so every weighted sum is taken over the same attempts).

    >>> norm = build_composite_norm([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]],
    ...                             ["analysis", "communication"], basis="z")
    >>> mean, sd = norm.moments({"analysis": 0.5, "communication": 0.5})
    >>> mean, round(sd, 6)  # the SD (ddof = 1) of S = (0.5, -0.5, 1, -1)
    (0.0, 0.912871)
    """
    if basis not in ("z", "percent"):
        raise ScoringInputError("basis", f"must be 'z' or 'percent', got {basis!r}")
    matrix = as_float_array("scores", scores, ndim=2)
    competencies = tuple(competencies)
    if len(competencies) != matrix.shape[1]:
        raise ScoringInputError(
            "competencies",
            f"has {len(competencies)} names but scores has {matrix.shape[1]} columns",
        )
    rows = matrix[~np.isnan(matrix).any(axis=1)]
    k = len(competencies)
    n = int(rows.shape[0])
    if n < 2:
        return CompositeNorm(basis, competencies, n, np.full(k, np.nan), np.full((k, k), np.nan))
    return CompositeNorm(
        basis, competencies, n, rows.mean(axis=0), np.cov(rows, rowvar=False, ddof=1).reshape(k, k)
    )


@dataclass(frozen=True)
class Standardization:
    """How one weighted sum was re-standardized: against which group, with what numbers."""

    standardized: bool
    n: int
    mean: float | None
    sd: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict(
            {
                "standardized": self.standardized,
                "n": self.n,
                "mean": self.mean,
                "sd": self.sd,
                "reason": self.reason,
            }
        )


def standardization(
    norm: CompositeNorm | None, weights: Mapping[str, float], basis: Basis
) -> Standardization:
    """Whether and how a weighted sum can be re-standardized against ``norm``."""
    if norm is None or norm.basis != basis:
        return Standardization(False, 0, None, None, "no_group")
    moments = norm.moments(weights)
    if norm.n < MIN_COMPOSITE_N or moments is None:
        return Standardization(False, norm.n, None, None, "small_group")
    mean, sd = moments
    if not has_spread(sd, 100.0 if basis == "percent" else 1.0):
        return Standardization(False, norm.n, mean, sd, "no_spread")
    return Standardization(True, norm.n, mean, sd)


def bands(scores: Any, unit: Literal["T", "percent"] = "T") -> np.ndarray:
    """Band letter of each score (object array; ``None`` for NaN).

    >>> bands([61.0, 60.0, 59.9, 45.0, 44.9, np.nan]).tolist()
    ['A', 'A', 'B', 'C', 'D', None]
    >>> bands([75.0, 70.0, 50.0, 49.0], unit="percent").tolist()
    ['A', 'B', 'C', 'D']
    """
    if unit not in ("T", "percent"):
        raise ScoringInputError("unit", f"must be 'T' or 'percent', got {unit!r}")
    x = as_float_array("scores", scores)
    a, b, c = BAND_CUTS_T if unit == "T" else BAND_CUTS_PERCENT
    with np.errstate(invalid="ignore"):
        letters = np.select([x >= a, x >= b, x >= c, ~np.isnan(x)], ["A", "B", "C", "D"], "")
    out = letters.astype(object)
    out[letters == ""] = None
    return out


def validate_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    """Check a weight set: known competencies, finite, ≥ 0, summing to 1 within 1e-9.

    ``None`` gives the default weights. Returns ``{competency: weight}`` in model order.

    >>> validate_weights({"analysis": 0.5, "commercial_knowledge": 0.5})
    {'analysis': 0.5, 'commercial_knowledge': 0.5}
    """
    if weights is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(weights, Mapping) or not weights:
        raise ScoringInputError("weights", "must be a non-empty mapping {competency: weight}")
    checked = {}
    for key, value in weights.items():
        if key not in COMPETENCY_KEYS:
            raise ScoringInputError(
                f"weights[{key!r}]",
                "unknown competency; expected one of " + ", ".join(COMPETENCY_KEYS),
            )
        checked[key] = check_number(f"weights[{key!r}]", value, minimum=0.0)
    total = sum(checked.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ScoringInputError(
            "weights", f"sum to {total!r}, must sum to 1 within {WEIGHT_TOLERANCE:g}"
        )
    return {k: checked[k] for k in COMPETENCY_KEYS if k in checked}


def validate_minimums(minimums: Mapping[str, Any] | None) -> dict[str, float]:
    """Check hurdle minimums: known competencies, numbers in [0, 100] (T or percent)."""
    if minimums is None:
        return {}
    if not isinstance(minimums, Mapping):
        raise ScoringInputError("minimums", "must be a mapping {competency: minimum}")
    checked = {}
    for key, value in minimums.items():
        if key not in COMPETENCY_KEYS:
            raise ScoringInputError(
                f"minimums[{key!r}]",
                "unknown competency; expected one of " + ", ".join(COMPETENCY_KEYS),
            )
        checked[key] = check_number(f"minimums[{key!r}]", value, minimum=0.0, maximum=100.0)
    return {k: checked[k] for k in COMPETENCY_KEYS if k in checked}


def validate_language_hurdle(level: str | None) -> str | None:
    """A language hurdle must be a level the items can measure (A2–C1) or ``None``."""
    if level is None:
        return None
    if level not in CEFR_LEVELS:
        raise ScoringInputError(
            "language_hurdle",
            f"must be one of {', '.join(CEFR_LEVELS)} (the levels the items measure) or None,"
            f" got {level!r}",
        )
    return level


def _level(level: Any) -> str:
    return "below A2" if level == "below_A2" else str(level)


@dataclass(frozen=True)
class HurdleResult:
    """One non-compensatory hurdle: ``passed`` is ``None`` when the score is missing."""

    competency: str
    required: float | str
    actual: float | str | None
    unit: str
    passed: bool | None

    @property
    def sentence(self) -> str:
        """Plain-English statement of the result."""
        name = label(self.competency)
        if self.unit == "CEFR":
            if self.passed is None:
                return f"Language hurdle {self.required}: not evaluated (no language estimate)."
            verb = "met" if self.passed else "not met"
            return f"Language hurdle {self.required}: {verb} (estimated {_level(self.actual)})."
        unit = " T" if self.unit == "T" else " %"
        if self.passed is None:
            return f"{name} minimum {self.required:g}{unit}: not evaluated (no score)."
        verb = "met" if self.passed else "not met"
        return f"{name} minimum {self.required:g}{unit}: {verb} (score {self.actual:.1f}{unit})."

    @property
    def short(self) -> str:
        """Compact form for summaries, e.g. ``"Analysis (38.2 T, minimum 40 T)"``."""
        if self.unit == "CEFR":
            actual = "no estimate" if self.actual is None else f"estimated {_level(self.actual)}"
            return f"language ({actual}, minimum {self.required})"
        unit = " T" if self.unit == "T" else " %"
        actual = "no score" if self.actual is None else f"{self.actual:.1f}{unit}"
        return f"{label(self.competency)} ({actual}, minimum {self.required:g}{unit})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``rule``, ``required``, ``actual``, ``passed``, ``message``)."""
        rule = "language" if self.unit == "CEFR" else f"minimum.{self.competency}"
        return jsonable_dict(
            {
                "rule": rule,
                "competency": self.competency,
                "required": self.required,
                "actual": self.actual,
                "unit": self.unit,
                "passed": self.passed,
                "message": self.sentence,
            }
        )


@dataclass(frozen=True)
class ExplanationTerm:
    """One term of the fit score: ``contribution = weight × score``."""

    competency: str
    label: str
    score: float | None
    weight: float
    contribution: float | None
    basis: Basis
    sentence: str
    sd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form; ``contribution_t`` is the term's share of the fit in T points
        (``10 · w · z / SD_S`` once re-standardized)."""
        return jsonable_dict(
            {
                "competency": self.competency,
                "label": self.label,
                "score": self.score,
                "basis": self.basis,
                "weight": self.weight,
                "contribution": self.contribution,
                "contribution_t": (
                    None
                    if self.contribution is None or self.basis != "z"
                    else 10.0 * self.contribution / (self.sd or 1.0)
                ),
                "sentence": self.sentence,
            }
        )


@dataclass(frozen=True)
class Explanation:
    """How a candidate's fit score was made, term by term, renderable as is."""

    basis: Basis
    unit: str
    fit: float | None
    band: str | None
    complete: bool
    terms: tuple[ExplanationTerm, ...]
    missing: tuple[str, ...]
    hurdles: tuple[HurdleResult, ...]
    summary: str
    standardization: Standardization
    partial: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "basis": self.basis,
            "unit": self.unit,
            "fit": optional_float(self.fit),
            "band": self.band,
            "complete": self.complete,
            "terms": [t.to_dict() for t in self.terms],
            "missing": list(self.missing),
            "hurdles": [h.to_dict() for h in self.hurdles],
            "summary": self.summary,
            "standardization": self.standardization.to_dict(),
            "partial": self.partial,
        }


@dataclass(frozen=True)
class CandidateComposite:
    """One candidate's composite result (see :meth:`CompositeResult.candidate`)."""

    fit: float | None
    unit: str
    basis: Basis
    band: str | None
    complete: bool
    composite_z: float | None
    hurdles: tuple[HurdleResult, ...]
    hurdles_passed: bool | None
    explanation: Explanation
    partial: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "fit_score": optional_float(self.fit),
            "unit": self.unit,
            "basis": self.basis,
            "band": self.band,
            "complete": self.complete,
            "composite_z": optional_float(self.composite_z),
            "standardization": self.explanation.standardization.to_dict(),
            "partial": self.partial,
            "hurdles": [h.to_dict() for h in self.hurdles],
            "hurdles_passed": self.hurdles_passed,
            "explanation": self.explanation.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class CompositeResult:
    """Composite results of a group (vectorised); :meth:`candidate` builds one report.

    Attributes
    ----------
    competencies : tuple of str
        The weighted competencies (model order), columns of ``scores``/``contributions``.
    weights : ndarray, shape (k,)
    basis : "z" or "percent"; unit : "T" or "percent"
    scores : ndarray (n, k)
        Competency scores in basis units (NaN = missing).
    contributions : ndarray (n, k)
        ``weight × score``.
    fit : ndarray (n,)
        Fit score (T or percent); NaN when incomplete.
    band : ndarray of object (n,)
    complete : ndarray of bool (n,)
    hurdle_passed : ndarray (n, h)
        1.0 / 0.0 / NaN (not evaluated) per hurdle in ``hurdle_competencies`` order; the
        language hurdle, when set, is the last column.
    """

    competencies: tuple[str, ...]
    weights: np.ndarray
    basis: Basis
    unit: str
    scores: np.ndarray
    contributions: np.ndarray
    fit: np.ndarray
    band: np.ndarray
    complete: np.ndarray
    hurdle_competencies: tuple[str, ...]
    hurdle_required: tuple[float | str, ...]
    hurdle_actual: np.ndarray
    hurdle_passed: np.ndarray
    cefr: np.ndarray | None
    language_hurdle: str | None
    z: np.ndarray
    standardization: Standardization
    partial_fit: np.ndarray
    partial_band: np.ndarray
    partial_z: np.ndarray
    coverage: np.ndarray
    partial_mean: np.ndarray
    partial_sd: np.ndarray

    def __len__(self) -> int:
        return int(self.fit.shape[0])

    @property
    def composite_z(self) -> np.ndarray:
        """The composite z: the weighted sum re-standardized against the norm group (see the
        module docstring); NaN without a fit score, or before norms without a group."""
        return self.z

    def partial(self, i: int) -> dict[str, Any] | None:
        """Candidate ``i``'s partial fit (over the complete competencies), if there is one."""
        if np.isnan(self.partial_fit[i]):
            return None
        present = ~np.isnan(self.scores[i]) & (self.weights > 0)
        coverage = float(self.coverage[i])
        mean, sd = self.partial_mean[i], self.partial_sd[i]
        return jsonable_dict(
            {
                "fit_score": self.partial_fit[i],
                "band": self.partial_band[i],
                "composite_z": self.partial_z[i],
                "coverage": coverage,
                "missing": [
                    c for j, c in enumerate(self.competencies)
                    if self.weights[j] > 0 and not present[j]
                ],
                "weights": {
                    c: float(self.weights[j]) / coverage
                    for j, c in enumerate(self.competencies)
                    if present[j]
                },
                "standardized": bool(not np.isnan(sd)),
                "mean": mean,
                "sd": sd,
            }
        )

    @property
    def hurdles_passed(self) -> np.ndarray:
        """Per candidate: 1.0 all hurdles met, 0.0 any missed, NaN some not evaluated."""
        h = self.hurdle_passed
        if h.shape[1] == 0:
            return np.ones(h.shape[0])
        any_failed = (h == 0.0).any(axis=1)
        any_unknown = np.isnan(h).any(axis=1)
        return np.where(any_failed, 0.0, np.where(any_unknown, np.nan, 1.0))

    def hurdles(self, i: int) -> tuple[HurdleResult, ...]:
        """The hurdle results of candidate ``i``."""
        results = []
        for h, competency in enumerate(self.hurdle_competencies):
            passed = self.hurdle_passed[i, h]
            is_language = (
                self.language_hurdle is not None and h == len(self.hurdle_competencies) - 1
            )
            if is_language:
                actual: Any = None if self.cefr is None else self.cefr[i]
                unit = "CEFR"
            else:
                actual = optional_float(self.hurdle_actual[i, h])
                unit = self.unit
            results.append(
                HurdleResult(
                    competency=competency,
                    required=self.hurdle_required[h],
                    actual=actual,
                    unit=unit,
                    passed=None if np.isnan(passed) else bool(passed),
                )
            )
        return tuple(results)

    def explain(self, i: int) -> Explanation:
        """The term-by-term explanation of candidate ``i``'s fit score."""
        hurdles = self.hurdles(i)
        terms = tuple(self._term(i, j) for j in range(len(self.competencies)))
        missing = tuple(
            c
            for j, c in enumerate(self.competencies)
            if self.weights[j] > 0 and np.isnan(self.scores[i, j])
        )
        fit = optional_float(self.fit[i])
        partial = self.partial(i)
        summary = self._summary(fit, self.band[i], missing, hurdles, partial)
        return Explanation(
            basis=self.basis,
            unit=self.unit,
            fit=fit,
            band=self.band[i],
            complete=bool(self.complete[i]),
            terms=terms,
            missing=missing,
            hurdles=hurdles,
            summary=summary,
            standardization=self.standardization,
            partial=partial,
        )

    def _term(self, i: int, j: int) -> ExplanationTerm:
        c, w = self.competencies[j], float(self.weights[j])
        score = optional_float(self.scores[i, j])
        name = label(c)
        if score is None:
            contribution = None
            if w > 0:
                sentence = (
                    f"{name}: no score (fewer than 80 % of its items answered, or not taken)"
                    f" with weight {w:.2f}, so the fit score cannot be computed."
                )
            else:
                sentence = f"{name}: no score; weight 0, so it is not part of the fit score."
        else:
            contribution = w * score
            if self.basis == "z":
                sd = self.standardization.sd if self.standardization.standardized else 1.0
                sentence = (
                    f"{name}: z = {unsigned_zero(score, 2):+.2f} × weight {w:.2f}"
                    f" = {unsigned_zero(contribution, 3):+.3f}"
                    f" ({unsigned_zero(10 * contribution / (sd or 1.0), 1):+.1f} T points)."
                )
            else:
                sentence = (
                    f"{name}: {score:.1f} % of maximum × weight {w:.2f}"
                    f" = {contribution:.1f} points."
                )
            if w == 0:
                sentence = sentence[:-1] + "; weight 0, so it does not move the fit score."
        sd = self.standardization.sd if self.standardization.standardized else None
        return ExplanationTerm(c, name, score, w, contribution, self.basis, sentence, sd)

    def _summary(
        self,
        fit: float | None,
        band: str | None,
        missing: tuple[str, ...],
        hurdles: tuple[HurdleResult, ...],
        partial: dict[str, Any] | None = None,
    ) -> str:
        std = self.standardization
        if fit is None:
            names = ", ".join(label(c) for c in missing)
            text = (
                f"No fit score: {names} {'has' if len(missing) == 1 else 'have'} no score but"
                " a positive weight; the missing score is not guessed."
            )
            if partial is not None:
                unit = " T" if self.unit == "T" else " %"
                text += (
                    f" Partial fit over the complete competencies (weights renormalized,"
                    f" {100 * partial['coverage']:.0f} % of the weight):"
                    f" {partial['fit_score']:.1f}{unit}, band {partial['band']}."
                )
        elif self.basis == "z" and std.standardized:
            # Ignored: standardized means mean and sd are numbers (a property).
            s_value = std.mean + std.sd * (fit - 50.0) / 10.0  # type: ignore[operator]
            text = (
                f"Fit T = 50 + 10 × ({s_value:+.3f} − {std.mean:+.3f}) / {std.sd:.3f} = {fit:.1f},"
                f" band {band}: the weighted sum of competency z-scores ({s_value:+.3f}),"
                f" re-standardized against the norm group (mean {std.mean:+.3f},"
                f" SD {std.sd:.3f} over n = {std.n} completed attempts), so 50 is the group's"
                " average and 10 its SD."
            )
        elif self.basis == "z":
            text = (
                f"Fit T = 50 + 10 × {unsigned_zero((fit - 50) / 10, 3):+.3f} (the weighted sum"
                " of competency"
                f" z-scores) = {fit:.1f}, band {band}. Not re-standardized: "
                + _no_standardization(std)
            )
        else:
            text = (
                f"Fit = {fit:.1f} % (weights × percent-of-maximum scores; norms not yet"
                f" established), band {band}."
            )
            if std.standardized:
                text += (
                    f" Against the {std.n} completed attempts so far (mean {std.mean:.1f} %,"
                    # Ignored: standardized means mean and sd are numbers (a property).
                    f" SD {std.sd:.1f} %) that is z = {(fit - std.mean) / std.sd:+.2f}."  # type: ignore[operator]
                )
        missed = [h for h in hurdles if h.passed is False]
        unknown = [h for h in hurdles if h.passed is None]
        if missed:
            text += " Hurdles not met: " + "; ".join(h.short for h in missed) + "."
        elif hurdles and not unknown:
            text += " All hurdles met."
        if unknown:
            text += " Hurdles not evaluated: " + "; ".join(h.short for h in unknown) + "."
        if missed or unknown:
            text += " Hurdles are reported beside the fit score and never change it."
        return text

    def candidate(self, i: int) -> CandidateComposite:
        """Candidate ``i``'s composite result with hurdles and explanation."""
        explanation = self.explain(i)
        partial = explanation.partial
        passed = self.hurdles_passed[i]
        z = self.composite_z[i]
        return CandidateComposite(
            fit=optional_float(self.fit[i]),
            unit=self.unit,
            basis=self.basis,
            band=self.band[i],
            complete=bool(self.complete[i]),
            composite_z=optional_float(z),
            hurdles=explanation.hurdles,
            hurdles_passed=None if np.isnan(passed) else bool(passed),
            explanation=explanation,
            partial=partial,
        )

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form (no explanations; see :meth:`candidate`)."""
        return jsonable_dict(
            {
                "competencies": list(self.competencies),
                "weights": self.weights,
                "basis": self.basis,
                "unit": self.unit,
                "fit_score": self.fit,
                "band": self.band,
                "complete": self.complete,
                "composite_z": self.composite_z,
                "hurdles": list(self.hurdle_competencies),
                "hurdle_passed": self.hurdle_passed,
                "hurdles_passed": self.hurdles_passed,
            }
        )


def _no_standardization(std: Standardization) -> str:
    if std.reason == "no_spread":
        return (
            f"the norm group's {std.n} complete attempts all have the same weighted sum"
            " (no spread)."
        )
    if std.reason == "small_group":
        return (
            f"only {std.n} completed attempts in the norm group are complete on every weighted"
            f" competency (at least {MIN_COMPOSITE_N} are needed)."
        )
    return "no norm group for these weights yet."


def _standardize(
    total: np.ndarray, basis: Basis, std: Standardization
) -> tuple[np.ndarray, np.ndarray]:
    """(fit, composite z) of weighted sums under a standardization."""
    if std.standardized:
        # Ignored: standardized means mean and sd are numbers (a property).
        z = (total - std.mean) / std.sd  # type: ignore[operator]
        return (50.0 + 10.0 * z if basis == "z" else total), z
    if basis == "z":  # not re-standardized: the plain sum, as its explanation says
        return 50.0 + 10.0 * total, total
    return total, np.full(total.shape, np.nan)


def _partials(
    weighted: np.ndarray,
    weight_vec: np.ndarray,
    names: tuple[str, ...],
    basis: Basis,
    norm: CompositeNorm | None,
) -> tuple[np.ndarray, ...]:
    """Partial fits of the rows missing a weighted competency: the complete ones' weights
    renormalized, standardized against the same group. One pass per pattern of gaps."""
    n = weighted.shape[0]
    fit, z = np.full(n, np.nan), np.full(n, np.nan)
    mean, sd = np.full(n, np.nan), np.full(n, np.nan)
    active = weight_vec > 0
    present = ~np.isnan(weighted) & active
    coverage = (present * weight_vec).sum(axis=1)
    gaps = (active & ~present).any(axis=1) & (coverage > 0)
    if not gaps.any():
        return fit, z, coverage, mean, sd
    patterns, inverse = np.unique(present[gaps], axis=0, return_inverse=True)
    rows = np.flatnonzero(gaps)
    for p, pattern in enumerate(patterns):
        members = rows[inverse.reshape(-1) == p]
        w = np.where(pattern, weight_vec, 0.0) / float((pattern * weight_vec).sum())
        total = np.zeros(len(members))
        for j in np.flatnonzero(pattern):
            total += w[j] * weighted[members, j]
        std = standardization(norm, dict(zip(names, w.tolist(), strict=True)), basis)
        fit[members], z[members] = _standardize(total, basis, std)
        if std.standardized:
            mean[members], sd[members] = std.mean, std.sd
    return fit, z, coverage, mean, sd


def _language_hurdle(
    cefr: Any, language_hurdle: str | None, n: int
) -> tuple[np.ndarray | None, np.ndarray]:
    """CEFR estimates as an object array and the hurdle column (1.0 / 0.0 / NaN)."""
    if cefr is None:
        return None, np.full((n, 1), np.nan)
    cefr_arr = np.asarray(cefr, dtype=object)
    if cefr_arr.shape != (n,):
        raise ScoringInputError("cefr", f"has shape {cefr_arr.shape}, expected ({n},)")
    # Few distinct levels: check and rank each once, then map back (no per-candidate loop).
    # NumPy's stubs have no overload for comparing an object array with None, which it does.
    unknown = np.equal(cefr_arr, None)  # type: ignore[call-overload]
    levels, inverse = np.unique(np.where(unknown, "", cefr_arr).astype(str), return_inverse=True)
    met = np.empty(len(levels))
    for u, level in enumerate(levels):
        if level == "":
            met[u] = np.nan
            continue
        bad = int(np.flatnonzero(inverse == u)[0])
        cefr_rank(level, argument=f"cefr[{bad}]")
        ok = cefr_meets(level, language_hurdle) if language_hurdle else None
        met[u] = np.nan if ok is None else float(ok)
    return cefr_arr, met[inverse].reshape(n, 1)


def composite_scores(
    scores: Any,
    competencies: Sequence[str],
    weights: Mapping[str, Any] | None = None,
    *,
    basis: Basis,
    minimums: Mapping[str, Any] | None = None,
    cefr: Sequence[str | None] | np.ndarray | None = None,
    language_hurdle: str | None = DEFAULT_LANGUAGE_HURDLE,
    norm: CompositeNorm | None = None,
) -> CompositeResult:
    """Fit scores, bands and hurdles of a group in one vectorised call.

    Parameters
    ----------
    scores : array_like, shape (n, k)
        Competency scores, z-scores (``basis="z"``) or percent of maximum
        (``basis="percent"``); NaN = missing.
    competencies : sequence of str
        Column names of ``scores``.
    weights : mapping, optional
        ``{competency: weight}``; default :data:`scoring.competencies.DEFAULT_WEIGHTS`.
        A weighted competency absent from ``competencies`` counts as missing.
    minimums : mapping, optional
        Hurdles ``{competency: minimum}`` in T (basis z) or percent (basis percent).
    cefr : sequence of str, optional
        CEFR estimates (one per candidate) for the language hurdle.
    language_hurdle : str or None
        Minimum CEFR estimate (default ``"B2"``); ``None`` disables it.
    norm : CompositeNorm, optional
        The norm group the weighted sum is re-standardized against (same ``basis``); without
        one (or with fewer than :data:`MIN_COMPOSITE_N` attempts) a normed fit is the plain
        ``50 + 10 Σ w z`` and says so.

    Examples
    --------
    Normed, no group yet: z = (+1.0, −0.5), weights (.6, .4): Σ w z = 0.4 → fit T = 54, C.

    >>> r = composite_scores([[1.0, -0.5]], ["analysis", "communication"],
    ...                      {"analysis": 0.6, "communication": 0.4}, basis="z",
    ...                      language_hurdle=None)
    >>> float(r.fit[0]), r.band[0]
    (54.0, 'C')
    """
    if basis not in ("z", "percent"):
        raise ScoringInputError("basis", f"must be 'z' or 'percent', got {basis!r}")
    matrix = as_float_array("scores", scores, ndim=2)
    competencies = tuple(competencies)
    if len(competencies) != matrix.shape[1]:
        raise ScoringInputError(
            "competencies",
            f"has {len(competencies)} names but scores has {matrix.shape[1]} columns",
        )
    for c in competencies:
        if c not in COMPETENCY_KEYS:
            raise ScoringInputError("competencies", f"unknown competency {c!r}")
    w = validate_weights(weights)
    mins = validate_minimums(minimums)
    language_hurdle = validate_language_hurdle(language_hurdle)
    n = matrix.shape[0]

    def column(c: str) -> np.ndarray:
        return matrix[:, competencies.index(c)] if c in competencies else np.full(n, np.nan)

    names = tuple(w)
    weight_vec = np.array([w[c] for c in names])
    weighted = np.column_stack([column(c) for c in names]) if names else np.empty((n, 0))
    active = weight_vec > 0
    missing = np.isnan(weighted[:, active]).any(axis=1)
    # Column by column in model order (not a BLAS product), so a candidate's fit is bit-for-bit
    # the same whether scored alone or in a group of 10,000.
    total = np.zeros(n)
    for j in np.flatnonzero(active):
        total += weight_vec[j] * np.where(np.isnan(weighted[:, j]), 0.0, weighted[:, j])
    unit: Literal["T", "percent"] = "T" if basis == "z" else "percent"
    std = standardization(norm, w, basis)
    fit, z = _standardize(total, basis, std)
    fit, z = np.where(missing, np.nan, fit), np.where(missing, np.nan, z)
    partial_fit, partial_z, coverage, partial_mean, partial_sd = _partials(
        weighted, weight_vec, names, basis, norm
    )

    hurdle_names = list(mins)
    required: list[float | str] = [mins[c] for c in hurdle_names]
    actual = (
        np.column_stack(
            [50.0 + 10.0 * column(c) if basis == "z" else column(c) for c in hurdle_names]
        )
        if hurdle_names
        else np.empty((n, 0))
    )
    with np.errstate(invalid="ignore"):
        passed = np.where(np.isnan(actual), np.nan, (actual >= np.array(required, float)) * 1.0)
    cefr_arr, language = _language_hurdle(cefr, language_hurdle, n)
    if language_hurdle is not None:
        hurdle_names.append("languages")
        required.append(language_hurdle)
        passed = np.column_stack([passed, language])
        actual = np.column_stack([actual, np.full((n, 1), np.nan)])

    return CompositeResult(
        competencies=names,
        weights=weight_vec,
        basis=basis,
        unit=unit,
        scores=weighted,
        contributions=weighted * weight_vec,
        fit=fit,
        band=bands(fit, unit),
        complete=np.logical_not(missing),
        hurdle_competencies=tuple(hurdle_names),
        hurdle_required=tuple(required),
        hurdle_actual=actual,
        hurdle_passed=passed,
        cefr=cefr_arr,
        language_hurdle=language_hurdle,
        z=z,
        standardization=std,
        partial_fit=partial_fit,
        partial_band=bands(partial_fit, unit),
        partial_z=partial_z,
        coverage=coverage,
        partial_mean=partial_mean,
        partial_sd=partial_sd,
    )
