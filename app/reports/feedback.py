"""The developmental feedback a candidate may see after handing in (a position's choice,
off by default): the two strongest areas and two to work on, in words, with a tip each.

Never a score, a band, a rank or anything about the hiring decision: the order of the
candidate's own competencies is all it uses (``summary.strongest_and_weakest``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.reports.summary import strongest_and_weakest


def _texts(_: Callable[..., str]) -> dict[str, tuple[str, str, str]]:
    """Competency → (name, what doing well looks like, a tip to grow)."""
    return {
        "business_sense": (
            _("Business sense"),
            _("You weigh what a decision means for the client and for your company's margin."),
            _("Before a negotiation, write down what each side gains and what it costs."),
        ),
        "analysis": (
            _("Analysis"),
            _("You read tables and figures carefully and reach the number that matters."),
            _("Practise with real price lists and sales reports: estimate first, then "
              "calculate and compare."),
        ),
        "stress_resistance": (
            _("Stress resistance"),
            _("You stay steady when clients push and deadlines pile up."),
            _("Plan the hardest conversations of the week ahead, and leave room in the "
              "schedule for the unexpected."),
        ),
        "languages": (
            _("Languages"),
            _("You understand business texts in the foreign language well."),
            _("Read one business article a day in the language, and write short summaries "
              "of it."),
        ),
        "communication": (
            _("Communication"),
            _("You choose words and timing that keep the relationship with the client "
              "strong."),
            _("After important calls, note what the client needed and whether your answer "
              "met it."),
        ),
        "commercial_knowledge": (
            _("Commercial knowledge"),
            _("You know the terms and mechanics of sales contracts, margins and pricing."),
            _("Review how discounts, payment terms and incoterms change the value of a "
              "deal."),
        ),
        "drive": (
            _("Drive"),
            _("You keep going towards your targets and organise your own work."),
            _("Set weekly goals you can check, and look back on them every Friday."),
        ),
    }


def feedback(_: Callable[..., str], competencies: Mapping[str, Mapping[str, Any]] | None
             ) -> dict[str, list[dict[str, str]]] | None:
    """``{"strengths": [...], "grow": [...]}`` with ``name`` and ``text`` each; None when
    nothing was measured."""
    strongest, weakest = strongest_and_weakest(competencies)
    if not strongest:
        return None
    texts = _texts(_)
    return {
        "strengths": [{"name": texts[k][0], "text": texts[k][1]} for k in strongest
                      if k in texts],
        "grow": [{"name": texts[k][0], "text": texts[k][2]} for k in weakest if k in texts],
    }
