"""The words the whole service shares, defined once here (the lowest layer) and imported upward.

Competency keys, CEFR levels, education levels and the variable-pay choices are each a
``Literal`` type (for pydantic models and type checking) and a tuple of its values in order,
lowest first where there is an order. ``questionnaires/`` (the bank's schema, the screening
form) and ``app/`` import them from here; nothing else spells them out.

>>> COMPETENCY_KEYS[:2], CEFR_LEVELS, EDUCATION_LEVELS[-1]
(('business_sense', 'analysis'), ('A2', 'B1', 'B2', 'C1'), 'doctorate')
"""

from __future__ import annotations

from typing import Final, Literal, get_args

#: The competencies of the KAM model (SPEC §2), in the order reports list them.
CompetencyKey = Literal[
    "business_sense",
    "analysis",
    "stress_resistance",
    "languages",
    "communication",
    "commercial_knowledge",
    "drive",
]
COMPETENCY_KEYS: Final[tuple[CompetencyKey, ...]] = get_args(CompetencyKey)
#: The competency measured by graded language items (with CEFR levels and a hurdle).
LANGUAGE_COMPETENCY: Final[CompetencyKey] = "languages"

#: CEFR levels measured by the language items, lowest first (Council of Europe, 2001/2020).
CefrLevel = Literal["A2", "B1", "B2", "C1"]
CEFR_LEVELS: Final[tuple[CefrLevel, ...]] = get_args(CefrLevel)
#: The estimate below the lowest measured level.
BELOW_A2: Final = "below_A2"
#: The full CEFR scale, for self-assessed levels in the screening form, lowest first.
CefrScaleLevel = Literal["A1", "A2", "B1", "B2", "C1", "C2"]
CEFR_SCALE: Final[tuple[CefrScaleLevel, ...]] = get_args(CefrScaleLevel)

#: Highest completed education, lowest first (a knock-out may set a minimum).
Education = Literal["none", "secondary", "bachelor", "master", "doctorate"]
EDUCATION_LEVELS: Final[tuple[Education, ...]] = get_args(Education)

#: The largest share of variable pay a candidate accepts, least first (cumulative choices).
VariablePay = Literal["fixed_only", "up_to_30", "30_to_60", "over_60"]
VARIABLE_PAY_LEVELS: Final[tuple[VariablePay, ...]] = get_args(VariablePay)
