"""The smallest change that would have changed a result (issue 17).

An explanation of a decision should say what would have made the result different (the EU
Court of Justice in *Dun & Bradstreet Austria*, C-203/22, 2025; Wachter, Mittelstadt &
Russell, 2018, *Harvard J. Law & Technology* 31, 841–887). For the fit score this is exact,
because the fit is linear in each competency score::

    fit = a + b · S,     S = Σ w_i x_i

    normed, re-standardized:  x_i = z_i = (T_i − 50) / 10,  a = 50 − 10·mean_S/SD_S,  b = 10/SD_S
    normed, not standardized: x_i = z_i,                    a = 50,                   b = 10
    before norms:             x_i = percent_i,              a = 0,                    b = 1

so one competency's score moved by Δ (T points, or percent points before norms) moves the fit
by ``slope_i · Δ`` with ``slope_i = b · w_i / 10`` (T) or ``b · w_i`` (percent). The change
that reaches the next band is ``Δ_i = (cut − fit) / slope_i`` for each weighted competency;
the smallest one is the competency with the largest slope. Going up, reaching the cut is
enough (a band's lower bound belongs to it); going down, the score must fall *below* the cut.

A hurdle (a minimum per competency) is a comparison ``score ≥ minimum``: its change is
``minimum − score``. A change is marked *plausible* when the new score stays inside the
scale (20–80 T, 0–100 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scoring.composite import BAND_CUTS_PERCENT, BAND_CUTS_T, bands
from scoring.errors import ScoringInputError
from scoring.serialization import jsonable_dict

BANDS = ("A", "B", "C", "D")
#: The range inside which a changed score is plausible, per unit.
PLAUSIBLE = {"T": (20.0, 80.0), "percent": (0.0, 100.0)}


@dataclass(frozen=True)
class ScoreChange:
    """Moving one competency's score by ``delta`` changes the result to ``to``."""

    competency: str
    kind: str  # "band" | "minimum"
    to: str  # the band reached, or "met" / "missed"
    current: float
    needed: float
    delta: float
    unit: str
    plausible: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return jsonable_dict({
            "competency": self.competency, "kind": self.kind, "to": self.to,
            "current": self.current, "needed": self.needed, "delta": self.delta,
            "unit": self.unit, "plausible": self.plausible,
        })


def fit_line(*, unit: str, standardized: bool = False, mean: float | None = None,
             sd: float | None = None) -> tuple[float, float]:
    """``(a, b)`` of ``fit = a + b · S`` for a fit in ``unit`` ("T" or "percent").

    >>> fit_line(unit="T", standardized=True, mean=0.1, sd=0.5)
    (48.0, 20.0)
    """
    if unit == "percent":
        return 0.0, 1.0
    if unit != "T":
        raise ScoringInputError("unit", f"must be 'T' or 'percent', got {unit!r}")
    if not standardized:
        return 50.0, 10.0
    if mean is None or sd is None or not sd > 0:
        raise ScoringInputError("sd", "a re-standardized fit needs the group's mean and SD > 0")
    return 50.0 - 10.0 * mean / sd, 10.0 / sd


def _plausible(value: float, unit: str) -> bool:
    low, high = PLAUSIBLE[unit]
    return low <= value <= high


def band_changes(
    scores: Mapping[str, float],
    weights: Mapping[str, float],
    *,
    unit: str,
    standardized: bool = False,
    mean: float | None = None,
    sd: float | None = None,
) -> dict[str, Any]:
    """The fit, its band, and per weighted competency the change to the next band up and down.

    Parameters
    ----------
    scores : mapping
        Each weighted competency's score in ``unit``: T (normed) or percent (before norms).
    weights : mapping
        The position's weights (Σ = 1).
    unit, standardized, mean, sd
        How the fit was made (see :func:`fit_line`).

    Returns
    -------
    dict
        ``fit``, ``band``, ``up`` and ``down`` (lists of :class:`ScoreChange`, smallest
        change first; empty at band A or D respectively).

    Examples
    --------
    T 58 and 50, weights .5/.5, not standardized: fit = 50 + 10·(.5·0.8 + .5·0) = 54 (C).
    Band B starts at 55: each competency needs +1 fit point / (10 · .5 / 10) = +2 T.

    >>> r = band_changes({"analysis": 58.0, "communication": 50.0},
    ...                  {"analysis": 0.5, "communication": 0.5}, unit="T")
    >>> round(r["fit"], 6), r["band"], [(c.competency, round(c.delta, 6)) for c in r["up"]]
    (54.0, 'C', [('analysis', 2.0), ('communication', 2.0)])
    """
    a, b = fit_line(unit=unit, standardized=standardized, mean=mean, sd=sd)
    active = {c: float(w) for c, w in weights.items() if w and w > 0}
    missing = [c for c in active if scores.get(c) is None]
    if missing:
        raise ScoringInputError("scores", f"no score for weighted competency {missing[0]!r}")
    x = {c: (float(scores[c]) - 50.0) / 10.0 if unit == "T" else float(scores[c])
         for c in active}
    fit = a + b * sum(active[c] * x[c] for c in active)
    band = str(bands([fit], "T" if unit == "T" else "percent")[0])
    cuts = dict(zip(BANDS[:3], BAND_CUTS_T if unit == "T" else BAND_CUTS_PERCENT, strict=True))
    index = BANDS.index(band)
    result: dict[str, Any] = {"fit": fit, "band": band, "unit": unit, "up": [], "down": []}
    for direction, target, cut in (
        ("up", BANDS[index - 1] if index > 0 else None, cuts.get(BANDS[index - 1])
         if index > 0 else None),
        ("down", BANDS[index + 1] if index < 3 else None, cuts.get(band)),
    ):
        if target is None or cut is None:
            continue
        changes = []
        for c, w in active.items():
            slope = b * w / 10.0 if unit == "T" else b * w
            delta = (cut - fit) / slope
            needed = float(scores[c]) + delta
            changes.append(ScoreChange(competency=c, kind="band", to=target,
                                       current=float(scores[c]), needed=needed, delta=delta,
                                       unit=unit, plausible=_plausible(needed, unit)))
        result[direction] = sorted(changes, key=lambda ch: (not ch.plausible, abs(ch.delta)))
    return result


def minimum_changes(
    scores: Mapping[str, float | None], minimums: Mapping[str, float], *, unit: str
) -> list[ScoreChange]:
    """Per competency minimum: the change that flips it (to "met" when missed, to "missed"
    when met: the score must then fall below the minimum).

    >>> [(c.to, c.delta) for c in minimum_changes({"analysis": 42.0}, {"analysis": 45.0},
    ...                                           unit="T")]
    [('met', 3.0)]
    """
    out = []
    for c, required in minimums.items():
        current = scores.get(c)
        if current is None:
            continue
        met = current >= required
        out.append(ScoreChange(competency=c, kind="minimum", to="missed" if met else "met",
                               current=float(current), needed=float(required),
                               delta=float(required) - float(current), unit=unit,
                               plausible=_plausible(float(required), unit)))
    return out
