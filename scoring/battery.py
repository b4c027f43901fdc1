"""End to end: responses → item scores → scale scores → norms → CEFR → composite.

:func:`score_battery` scores a whole group in one vectorised pass (the path the app and the
benchmark use); :func:`score_candidate` is a thin wrapper for one candidate. Knock-outs,
flags and utility need inputs beyond the answers (screening, timings, cost assumptions) and
live in :mod:`scoring.knockouts`, :mod:`scoring.flags` and :mod:`scoring.utility`.

The composite uses z-scores only when *every* positively weighted competency has established
norms (status provisional or operational, SD > 0); otherwise it uses percent of maximum for
all of them, since T and percent cannot be mixed in one sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.cefr import CefrEstimate, cefr_unchecked, has_cefr_items
from scoring.checks import as_float_array, check_number
from scoring.competencies import DEFAULT_LANGUAGE_HURDLE, label
from scoring.composite import (
    CandidateComposite,
    CompositeNorm,
    CompositeResult,
    bands,
    composite_scores,
    validate_weights,
)
from scoring.errors import ScoringInputError
from scoring.items import ItemKey, KeySet, compile_keys, encode_responses, score_items
from scoring.norms import NormedScores, NormsLike, apply_norms
from scoring.scales import MIN_COMPLETE, ScaleScores, scale_scores_unchecked
from scoring.serialization import jsonable
from scoring.version import SCORING_VERSION


@dataclass(frozen=True)
class CandidateReport:
    """One candidate's scores, ready for a report page or the API."""

    index: int
    scoring_version: str
    competencies: dict[str, dict[str, Any]]
    cefr: dict[str, Any] | None
    composite: CandidateComposite

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "scoring_version": self.scoring_version,
            "competencies": self.competencies,
            "cefr": None if self.cefr is None else self.cefr["cefr"],
            "cefr_detail": self.cefr,
            "composite": self.composite.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class BatteryResult:
    """Scores of a whole group; arrays are indexed by candidate row."""

    keys: KeySet
    responses: np.ndarray
    item_scores: np.ndarray
    scales: ScaleScores
    normed: NormedScores | None
    cefr: CefrEstimate | None
    composite: CompositeResult
    scoring_version: str = SCORING_VERSION

    def __len__(self) -> int:
        return int(self.item_scores.shape[0])

    def normed_row(self, i: int) -> NormedScores | None:
        """The normed scores of row ``i`` alone."""
        return None if self.normed is None else self.normed.row(i)

    def candidate(self, i: int) -> CandidateReport:
        """The report of candidate row ``i``."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"candidate index {i} out of range for {len(self)} candidates")
        i = i % len(self)
        competencies = competency_entries(self.scales.row(i), self.normed_row(i))[0]
        return CandidateReport(
            index=i,
            scoring_version=self.scoring_version,
            competencies=competencies,
            cefr=None if self.cefr is None else self.cefr.candidate(i),
            composite=self.composite.candidate(i),
        )

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form of the whole group (no per-candidate explanations)."""
        return {
            "scoring_version": self.scoring_version,
            "n": len(self),
            "item_ids": list(self.keys.ids),
            "scales": self.scales.to_dict(),
            "normed": None if self.normed is None else self.normed.to_dict(),
            "cefr": None if self.cefr is None else jsonable(self.cefr.level),
            "composite": self.composite.to_dict(),
        }


@dataclass(frozen=True, eq=False)
class ScaleEvaluation:
    """What norms and the position make of a group's scale scores (see :func:`evaluate_scales`)."""

    scales: ScaleScores
    normed: NormedScores | None
    composite: CompositeResult

    def competency_entries(self) -> list[dict[str, dict[str, Any]]]:
        """Every row's competency entries ``{competency: {...}}``, JSON-able, column by column
        (the form :meth:`BatteryResult.candidate` reports)."""
        return competency_entries(self.scales, self.normed)


#: A competency entry's norm fields when no norm table covers it.
NO_NORMS: dict[str, Any] = {
    "percentile": None,
    "z": None,
    "t_score": None,
    "sten": None,
    "ci90": None,
    "alpha": None,
    "alpha_low": None,
    "norm_status": "none",
    "norm_n": 0,
    "norm_message": "norms not yet established (no norm table)",
}


def _present(x: float) -> float | None:
    return None if x != x else x  # NaN → None, as jsonable


def competency_entries(
    scales: ScaleScores, normed: NormedScores | None
) -> list[dict[str, dict[str, Any]]]:
    """Per row, ``{competency: entry}`` with the scale scores, the norms and the band.

    Vectorised by column, so a 10,000-candidate group is reported in one pass; each entry
    equals what :meth:`BatteryResult.candidate` gives for that row.
    """
    competencies = scales.competencies
    per_row = _scale_rows(scales)
    percent_band = bands(scales.percent, "percent").tolist()
    if normed is not None:
        t_band = bands(normed.t, "T").tolist()
        columns = {
            name: getattr(normed, attr).tolist()
            for name, attr in (
                ("percentile", "percentile"),
                ("z", "z"),
                ("t_score", "t"),
                ("sten", "sten"),
                ("low", "ci90_low"),
                ("high", "ci90_high"),
            )
        }
        constants = [normed.column_constants(j) for j in range(len(competencies))]
    out = []
    for i, row in enumerate(per_row):
        entries = {}
        for j, c in enumerate(competencies):
            entry: dict[str, Any] = {"label": label(c), **row[j]}
            if normed is None:
                entry.update(NO_NORMS)
                is_normed = False
            else:
                low, sten_value = columns["low"][i][j], columns["sten"][i][j]
                entry.update(
                    {
                        "percentile": _present(columns["percentile"][i][j]),
                        "z": _present(columns["z"][i][j]),
                        "t_score": _present(columns["t_score"][i][j]),
                        "sten": None if sten_value != sten_value else int(sten_value),
                        "ci90": None if low != low else [low, columns["high"][i][j]],
                        **constants[j],
                    }
                )
                is_normed = bool(normed.normed[j])
            entry["band"] = t_band[i][j] if is_normed else percent_band[i][j]
            entry["band_unit"] = "T" if is_normed else "percent"
            entries[c] = entry
        out.append(entries)
    return out


def _scale_rows(scales: ScaleScores) -> list[list[dict[str, Any]]]:
    """The answers-only fields of every entry, row by row (plain Python numbers)."""
    raw, percent = scales.raw.tolist(), scales.percent.tolist()
    answered = scales.answered.tolist()
    complete, prorated = scales.complete.tolist(), scales.prorated.tolist()
    n_items = scales.n_items.tolist()
    low, high = scales.min_possible.tolist(), scales.max_possible.tolist()
    rows = []
    for i in range(len(scales)):
        rows.append(
            [
                {
                    "raw": _present(raw[i][j]),
                    "percent": _present(percent[i][j]),
                    "answered": int(answered[i][j]),
                    "n_items": int(n_items[j]),
                    "answered_fraction": answered[i][j] / n_items[j],
                    "complete": bool(complete[i][j]),
                    "prorated": bool(prorated[i][j]),
                    "min_possible": low[j],
                    "max_possible": high[j],
                }
                for j in range(len(scales.competencies))
            ]
        )
    return rows


@dataclass(frozen=True, eq=False)
class Measured:
    """A group's answers made into item scores, scale scores and CEFR estimates."""

    keys: KeySet
    responses: np.ndarray
    item_scores: np.ndarray
    scales: ScaleScores
    cefr: CefrEstimate | None


def measure(
    keys: Sequence[ItemKey] | KeySet, data: Any, *, min_complete: float = MIN_COMPLETE
) -> Measured:
    """Item scores, scale scores and CEFR estimates of a group: everything that depends on
    the answers alone (and so never changes once an attempt is submitted).

    ``data`` is as for :func:`score_battery`.
    """
    keyset = compile_keys(keys)
    if isinstance(data, np.ndarray) or (
        isinstance(data, Sequence) and data and not isinstance(data[0], Mapping)
    ):
        X = as_float_array("X", data, ndim=2)
    else:
        X = encode_responses(keyset, data)
    min_complete = check_number("min_complete", min_complete, minimum=0.0, maximum=1.0)
    if min_complete == 0.0:
        raise ScoringInputError("min_complete", "must be > 0")
    item_scores = score_items(keyset, X)  # validated here; the cores below trust it
    return Measured(
        keys=keyset,
        responses=X,
        item_scores=item_scores,
        scales=scale_scores_unchecked(keyset, item_scores, min_complete),
        cefr=cefr_unchecked(keyset, item_scores) if has_cefr_items(keyset) else None,
    )


def evaluate_scales(
    scales: ScaleScores,
    *,
    cefr: Sequence[str | None] | np.ndarray | None = None,
    norms: NormsLike | None = None,
    weights: Mapping[str, Any] | None = None,
    minimums: Mapping[str, Any] | None = None,
    language_hurdle: str | None = DEFAULT_LANGUAGE_HURDLE,
    min_n: int | None = None,
    composite_norms: Mapping[str, CompositeNorm] | None = None,
) -> ScaleEvaluation:
    """Norms, composite and hurdles of a group's scale scores: the one step after the answers.

    :func:`score_battery` calls it on scale scores it has just computed from answers; a
    service that stored the scale scores calls it again when norms or weights change, and
    gets the same numbers. The composite uses z-scores only when every positively weighted
    competency is normed (see the module docstring), percent of maximum otherwise.

    Parameters
    ----------
    scales : ScaleScores
    cefr : sequence of str, optional
        One CEFR estimate per row (for the language hurdle).
    norms, weights, minimums, language_hurdle, min_n, composite_norms
        As :func:`score_battery`.
    """
    weights = validate_weights(weights)
    normed = apply_norms(scales, norms=norms, min_n=min_n) if norms is not None else None
    weighted = [c for c, w in weights.items() if w > 0]
    use_z = normed is not None and all(
        c in normed.competencies and normed.normed[normed.competencies.index(c)] for c in weighted
    )
    matrix = normed.z if normed is not None and use_z else scales.percent
    composite = composite_scores(
        matrix,
        scales.competencies,
        weights,
        basis="z" if use_z else "percent",
        minimums=minimums,
        cefr=cefr,
        language_hurdle=language_hurdle,
        norm=(composite_norms or {}).get("z" if use_z else "percent"),
    )
    return ScaleEvaluation(scales=scales, normed=normed, composite=composite)


def score_battery(
    keys: Sequence[ItemKey] | KeySet,
    data: Any,
    *,
    norms: NormsLike | None = None,
    weights: Mapping[str, Any] | None = None,
    minimums: Mapping[str, Any] | None = None,
    language_hurdle: str | None = DEFAULT_LANGUAGE_HURDLE,
    min_complete: float = MIN_COMPLETE,
    min_n: int | None = None,
    composite_norms: Mapping[str, CompositeNorm] | None = None,
) -> BatteryResult:
    """Score a group of candidates from answers to composite in one vectorised pass.

    Parameters
    ----------
    keys : sequence of ItemKey
    data : array_like (n × m) or sequence of mapping
        Encoded responses (:func:`scoring.items.encode_responses`) or the raw answer dicts.
    norms : NormTable, mapping or sequence of NormTable, optional
        Without norms, scores are reported as percent of maximum only.
    weights, minimums, language_hurdle
        The position's composite settings (see :func:`scoring.composite.composite_scores`);
        minimums are in T when the composite is normed, in percent otherwise.
    min_complete : float
        Share of a scale's items needed to score it (0.80).
    min_n : int, optional
        ``KAM_NORM_MIN_N`` (overrides the norm table's).
    composite_norms : mapping, optional
        ``{"z": CompositeNorm, "percent": CompositeNorm}``: the norm group the weighted sum is
        re-standardized against, per basis (see :mod:`scoring.composite`).
    """
    weights = validate_weights(weights)
    measured = measure(keys, data, min_complete=min_complete)
    cefr = measured.cefr
    evaluation = evaluate_scales(
        measured.scales,
        cefr=None if cefr is None else cefr.level,
        norms=norms,
        weights=weights,
        minimums=minimums,
        language_hurdle=language_hurdle,
        min_n=min_n,
        composite_norms=composite_norms,
    )
    return BatteryResult(
        keys=measured.keys,
        responses=measured.responses,
        item_scores=measured.item_scores,
        scales=measured.scales,
        normed=evaluation.normed,
        cefr=cefr,
        composite=evaluation.composite,
    )


def score_candidate(
    keys: Sequence[ItemKey] | KeySet, responses: Mapping[str, Any], **options: Any
) -> CandidateReport:
    """Score one candidate's ``{item_id: value}`` answers (wrapper over :func:`score_battery`)."""
    return score_battery(keys, [responses], **options).candidate(0)
