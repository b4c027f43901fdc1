"""The KAM competency model (SPEC §2) and its default weights (SPEC §3.5).

Default weights follow the ranking of operational validities in the revised meta-analysis of
Sackett, Zhang, Berry & Lievens (2022, *Journal of Applied Psychology*, 107(11), 2040–2068):
job-knowledge tests are among the strongest predictors (ρ ≈ .40) → ``commercial_knowledge``
.25; cognitive / numerical reasoning (ρ ≈ .31) → ``analysis`` .20; situational judgement tests
(ρ ≈ .26), which measure ``business_sense`` and ``communication`` here, .20 each; emotional
stability is a weak predictor (ρ ≈ .10) → ``stress_resistance`` .10. Foreign-language command
is mostly a precondition of the job rather than a predictor of who does it better, so
``languages`` has a small weight (.05) and a hurdle (CEFR ``B2`` by default) instead.

``drive`` (achievement striving, persistence, organisation, comfort with commission pay;
bank v2) is reported but carries no default weight: conscientiousness predicts sales
performance (ρ ≈ .19 in the same meta-analysis), but this is a new self-report scale, open to
faking in a hiring setting, with no local evidence yet; a position may weight it, and the
pilot's outcome data decide whether the default should (docs/instrument.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# The vocabularies live in scoring.vocabulary; imported here for the modules that read them
# beside the competency model.
from scoring.vocabulary import (
    BELOW_A2,
    CEFR_LEVELS,
    CEFR_SCALE,
    COMPETENCY_KEYS,
    CompetencyKey,
)

__all__ = [
    "BELOW_A2",
    "CEFR_LEVELS",
    "CEFR_SCALE",
    "COMPETENCIES",
    "COMPETENCY_KEYS",
    "COMPETENCY_LABELS",
    "DEFAULT_LANGUAGE_HURDLE",
    "DEFAULT_WEIGHTS",
    "Competency",
    "CompetencyKey",
    "label",
]


@dataclass(frozen=True)
class Competency:
    """One competency of the KAM model."""

    key: str
    label: str
    default_weight: float
    measured_by: str

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able form."""
        return {
            "key": self.key,
            "label": self.label,
            "default_weight": self.default_weight,
            "measured_by": self.measured_by,
        }


COMPETENCIES: Final[tuple[Competency, ...]] = (
    Competency("business_sense", "Business sense", 0.20, "situational judgement (SJT) scenarios"),
    Competency("analysis", "Analysis", 0.20, "numerical / data reasoning items"),
    Competency(
        "stress_resistance",
        "Stress resistance",
        0.10,
        "Likert self-report scale (with reverse-keyed items) plus pressure SJTs",
    ),
    Competency(
        "languages", "Languages", 0.05, "graded language items tagged with CEFR levels A2–C1"
    ),
    Competency("communication", "Communication", 0.20, "situational judgement (SJT) scenarios"),
    Competency("commercial_knowledge", "Commercial knowledge", 0.25, "keyed knowledge items"),
    Competency(
        "drive",
        "Drive",
        0.0,
        "Likert self-report scale with balanced keying, an impression-management check "
        "(flag only) and a realistic job preview",
    ),
)

if tuple(c.key for c in COMPETENCIES) != COMPETENCY_KEYS:  # pragma: no cover - a typo guard
    raise ImportError("scoring.competencies and scoring.vocabulary list different competencies")
COMPETENCY_LABELS: Final = MappingProxyType({c.key: c.label for c in COMPETENCIES})
#: Weights of a new position: competencies without a default weight are left out (weight 0).
DEFAULT_WEIGHTS: Final = MappingProxyType(
    {c.key: c.default_weight for c in COMPETENCIES if c.default_weight > 0}
)

#: Default non-compensatory language hurdle (SPEC §3.5).
DEFAULT_LANGUAGE_HURDLE: Final = "B2"


#: Operational validity of each kind of measure for job performance (Sackett, Zhang, Berry &
#: Lievens, 2022, table 1, the values the default weights follow). ``languages`` is a hurdle,
#: not a predictor of who does the job better: 0. Used only to estimate how a change of
#: weights moves the battery's validity (the organization's own outcomes are the better test).
META_ANALYTIC_VALIDITY: Final = MappingProxyType({
    "commercial_knowledge": 0.40,
    "analysis": 0.31,
    "business_sense": 0.26,
    "communication": 0.26,
    "stress_resistance": 0.10,
    "drive": 0.19,
    "languages": 0.0,
})


def label(key: str) -> str:
    """English label of a competency key (the key itself when unknown)."""
    return COMPETENCY_LABELS.get(key, key)
