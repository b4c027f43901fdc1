"""The first screen of a candidate report, in plain words, and the interview guide after it.

A hiring manager who is not a psychologist reads, before any table: how the candidate stands
against the norm group, the strongest and weakest competencies, every requirement met or
missed, the flags, the expected value and how it was costed, and the rank with how it was
made. The interview guide then gives structured follow-up questions (from the interview
bank in questionnaires/interview/) for the two weakest competencies and for every flag.
Numbers come from the report unchanged; this module only chooses and words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.reports import wording
from app.reports.wording import Gettext, Numbers
from questionnaires.interview_bank import InterviewBank, InterviewQuestion, load_interview_bank
from scoring.competencies import label as competency_label

#: Questions per weak competency in the guide (the bank holds eight).
QUESTIONS_PER_COMPETENCY = 3


def band_words(_: Gettext, band: str | None, unit: str) -> str:
    """Where a band puts the candidate, in words a manager can repeat."""
    if band is None:
        return _("no band")
    if unit == "T":
        return {
            "A": _("among the top ~16 % of the norm group"),
            "B": _("above average: in the next ~15 % of the norm group (top ~31 %)"),
            "C": _("around the average: in the middle ~38 % of the norm group"),
            "D": _("below average: in the lowest ~31 % of the norm group"),
        }[band]
    return {
        "A": _("at least 75 % of the maximum (norms not established yet)"),
        "B": _("65–75 % of the maximum (norms not established yet)"),
        "C": _("50–65 % of the maximum (norms not established yet)"),
        "D": _("under 50 % of the maximum (norms not established yet)"),
    }[band]


def _value(entry: Mapping[str, Any]) -> float | None:
    return entry["t_score"] if entry.get("band_unit") == "T" else entry.get("percent")


def strongest_and_weakest(
    competencies: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[list[str], list[str]]:
    """The two highest and the two lowest scored competencies (fewer when fewer are scored,
    never the same one in both)."""
    values = {key: value for key, entry in (competencies or {}).items()
              if (value := _value(entry)) is not None}
    scored = sorted(values, key=values.__getitem__, reverse=True)
    half = min(2, (len(scored) + 1) // 2)
    strongest = scored[:half]
    weakest = [key for key in reversed(scored[half:])][:2]
    return strongest, weakest


def _competency_line(
    _: Gettext, key: str, entry: Mapping[str, Any], numbers: Numbers
) -> dict[str, Any]:
    unit = "T" if entry.get("band_unit") == "T" else "percent"
    return {
        "key": key,
        "label": _(competency_label(key)),
        "score": numbers.score(_value(entry), unit, 0),
        "band": entry.get("band"),
    }


def _fit_sentence(_: Gettext, report: Mapping[str, Any], numbers: Numbers) -> str:
    composite = report["composite"]
    unit = composite["unit"]
    if composite["fit_score"] is not None:
        return _(
            "Fit %(fit)s, band %(band)s: %(words)s.",
            fit=numbers.score(composite["fit_score"], unit),
            band=composite["band"],
            words=band_words(_, composite["band"], unit),
        )
    partial = composite.get("partial")
    missing = ", ".join(_(competency_label(c)) for c in composite["explanation"]["missing"])
    if partial is None:
        return _("No fit score: %(missing)s could not be scored.", missing=missing)
    return _(
        "No complete fit score: %(missing)s could not be scored. Over the other competencies"
        " (%(share)s %% of the weight) the partial fit is %(fit)s, band %(band)s: %(words)s.",
        missing=missing,
        share=numbers.num(100 * partial["coverage"], 0),
        fit=numbers.score(partial["fit_score"], unit),
        band=partial["band"],
        words=band_words(_, partial["band"], unit),
    )


def _value_sentence(
    _: Gettext, report: Mapping[str, Any], numbers: Numbers, horizon: int | None
) -> str:
    utility = report["utility"]
    costed = wording.option_reason(_, utility, numbers)
    if utility.get("problem"):
        return _(
            "Expected value: not available, because the position's cost assumptions cannot be"
            " used (%(field)s). Correct that field on the position's cost page.",
            field=utility["problem"]["field"],
        )
    if not utility["available"]:
        return _(
            "Expected value: not available (it needs a complete fit score standardized against"
            " a norm group). %(costed)s",
            costed=costed,
        )
    break_even = (
        _("break-even in month %(month)s", month=utility["break_even_month"])
        if utility["break_even_month"] is not None
        else _("no break-even within the horizon")
    )
    return _(
        "Expected value: %(npv)s (net present value over %(months)s months, %(break_even)s)."
        " %(costed)s The figure is an expected value: the cost model's months weighted by the"
        " chance that the person is still there.",
        npv=numbers.money(utility["npv"]),
        months=horizon,
        break_even=break_even,
        costed=costed,
    )


def summary(
    report: Mapping[str, Any],
    *,
    _: Gettext,
    numbers: Numbers,
    rank: Mapping[str, Any] | None,
    horizon: int | None,
) -> dict[str, Any] | None:
    """The plain-words first screen of a scored report (None before completion)."""
    if not report["scored"]:
        return None
    competencies = report["competencies"] or {}
    strongest, weakest = strongest_and_weakest(competencies)
    requirements = [
        {"passed": r["passed"], "text": wording.requirement_short(_, r, numbers)}
        for r in report["requirements"]
    ]
    flags = [
        {"severity": f["severity"], "title": wording.flag_title(_, f["code"]),
         "text": wording.flag_message(_, f, numbers)}
        for f in report["flags"]
    ]
    missed = [r for r in requirements if r["passed"] is False]
    if not requirements:
        requirements_text = _("This position sets no requirements.")
    elif missed:
        requirements_text = _("%(count)s of %(total)s requirements missed.", count=len(missed),
                              total=len(requirements))
    elif any(r["passed"] is None for r in requirements):
        requirements_text = _("No requirement missed; some could not be evaluated.")
    else:
        requirements_text = _("Every requirement met.")
    rank_text = None
    if rank is not None and rank["rank"] is not None:
        rank_text = _(
            "Rank %(rank)s of %(of)s, %(how)s",
            rank=rank["rank"],
            of=rank["of"],
            how=wording.ranking_text(_, rank, numbers),
        )
    return {
        "fit": _fit_sentence(_, report, numbers),
        "rank": rank_text,
        "strongest": [_competency_line(_, k, competencies[k], numbers) for k in strongest],
        "weakest": [_competency_line(_, k, competencies[k], numbers) for k in weakest],
        "requirements": requirements,
        "requirements_text": requirements_text,
        "requirements_passed": report["requirements_passed"],
        "flags": flags,
        "value": _value_sentence(_, report, numbers, horizon),
        "weakest_keys": weakest,
    }


def _picked(questions: tuple[InterviewQuestion, ...]) -> list[InterviewQuestion]:
    """A behavioural and a situational question first, then the next one in the bank."""
    behavioural = [q for q in questions if q.kind == "behavioural"]
    situational = [q for q in questions if q.kind == "situational"]
    ordered = [*behavioural[:1], *situational[:1]]
    ordered += [q for q in questions if q not in ordered]
    return ordered[:QUESTIONS_PER_COMPETENCY]


def interview_guide(
    report: Mapping[str, Any], weakest: list[str], *, lang: str,
    bank: InterviewBank | None = None,
) -> dict[str, Any] | None:
    """Follow-up questions for the weakest competencies and for each flag, in ``lang``."""
    if not report["scored"]:
        return None
    bank = bank or load_interview_bank()
    competencies = []
    for key in weakest:
        entry = bank.for_competency(key)
        if entry is None:
            continue
        competencies.append(
            {
                "key": key,
                "title": entry.title.pick(lang),
                "covers": entry.what_it_covers.pick(lang),
                "guidance": entry.guidance.pick(lang) if entry.guidance else None,
                "questions": [
                    {
                        "id": q.id,
                        "question": q.question.pick(lang),
                        "probes": [p.pick(lang) for p in q.probes],
                        "good": q.good_answer.pick(lang),
                        "weak": q.weak_answer.pick(lang),
                    }
                    for q in _picked(entry.questions)
                ],
            }
        )
    flags, seen = [], set()
    for flag in report["flags"]:
        flag_entry = bank.for_flag(flag["code"])
        if flag_entry is None or flag_entry.flag in seen:
            continue
        seen.add(flag_entry.flag)
        flags.append(
            {
                "code": flag_entry.flag,
                "title": flag_entry.title.pick(lang),
                "means": flag_entry.what_it_means.pick(lang),
                "follow_ups": [
                    {
                        "question": f.question.pick(lang),
                        "good": f.reassuring.pick(lang),
                        "weak": f.worrying.pick(lang),
                    }
                    for f in flag_entry.follow_ups
                ],
            }
        )
    return {
        "title": bank.guide.title.pick(lang),
        "guide": bank.guide.guide.pick(lang).split("\n\n"),
        "note": bank.note.pick(lang),
        "competencies": competencies,
        "flags": flags,
    }
