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

    def _competency(
        self, i: int, j: int, c: str, scale: dict[str, Any], norm: dict[str, Any] | None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"label": label(c), **scale}
        normed = self.normed is not None and bool(self.normed.normed[j])
        if norm is not None:
            entry.update(norm)
        else:
            entry.update(
                {
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
            )
        if normed:
            band = bands(self.normed.t[i, j], "T").item()  # type: ignore[union-attr]
        else:
            band = bands(self.scales.percent[i, j], "percent").item()
        entry["band"] = band
        entry["band_unit"] = "T" if normed else "percent"
        return entry

    def candidate(self, i: int) -> CandidateReport:
        """The report of candidate row ``i``."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"candidate index {i} out of range for {len(self)} candidates")
        scales = self.scales.candidate(i)
        norms = None if self.normed is None else self.normed.candidate(i)
        competencies = {
            c: self._competency(i, j, c, scales[c], None if norms is None else norms[c])
            for j, c in enumerate(self.scales.competencies)
        }
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
    """
    keyset = compile_keys(keys)
    weights = validate_weights(weights)
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
    scales = scale_scores_unchecked(keyset, item_scores, min_complete)
    normed = apply_norms(scales, norms=norms, min_n=min_n) if norms is not None else None
    cefr = cefr_unchecked(keyset, item_scores) if has_cefr_items(keyset) else None

    weighted = [c for c, w in weights.items() if w > 0]
    use_z = normed is not None and all(
        c in normed.competencies and normed.normed[normed.competencies.index(c)] for c in weighted
    )
    matrix = normed.z if use_z else scales.percent  # type: ignore[union-attr]
    composite = composite_scores(
        matrix,
        scales.competencies,
        weights,
        basis="z" if use_z else "percent",
        minimums=minimums,
        cefr=None if cefr is None else cefr.level,
        language_hurdle=language_hurdle,
    )
    return BatteryResult(
        keys=keyset,
        responses=X,
        item_scores=item_scores,
        scales=scales,
        normed=normed,
        cefr=cefr,
        composite=composite,
    )


def score_candidate(
    keys: Sequence[ItemKey] | KeySet, responses: Mapping[str, Any], **options: Any
) -> CandidateReport:
    """Score one candidate's ``{item_id: value}`` answers (wrapper over :func:`score_battery`)."""
    return score_battery(keys, [responses], **options).candidate(0)
