"""Numbers and sentences of the staff report pages, in the reader's language.

The report service speaks plain English (the JSON API's contract). Pages rebuild each
sentence from the same structured numbers through ``_()``, so an Italian reader gets Italian
with decimal commas, and the English msgids say exactly what the API says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Re-exported: the report pages format numbers through wording.
from app.core.i18n import LANGUAGE_WORDS
from app.core.numbers import DASH as DASH
from app.core.numbers import MINUS as MINUS
from app.core.numbers import Numbers as Numbers
from scoring import MIN_COMPOSITE_N
from scoring.competencies import label as competency_label

Gettext = Callable[..., str]


def cefr(_: Gettext, level: str | None) -> str:
    """A CEFR estimate for people: ``B2``, ``below A2``, ``—``."""
    if level is None:
        return DASH
    return _("below A2") if level == "below_A2" else level


def chart_labels(_: Gettext, numbers: Numbers) -> dict[str, str]:
    """The translated labels of app.charts (placeholders in braces stay as they are)."""
    return {
        "radar_title": _("Competency profile"),
        "comparison_title": _("Competency comparison"),
        "bars_title": _("Scores and 90 % bands"),
        "not_scored": _("not scored"),
        "band_interval": _("90 % band {low}–{high}"),
        "reference": _("Reference"),
        "reference_T": _("Average"),
        "scale": _("Scale {low}–{high} {unit}."),
        "bands_legend": _("Bands: A ≥ {a}, B {b}–{a}, C {c}–{b}, D < {c} {unit}."),
        "band": _("band {letter}"),
        "decimal_mark": numbers.decimal_mark,
    }


def norm_message(_: Gettext, *, status: str, n: int, min_n: int) -> str:
    """``norms not yet established (n = 37 of 100)``, ``provisional norms (n = 150)``..."""
    if status == "operational":
        return _("operational norms (n = %(n)s)", n=n)
    if status == "provisional":
        return _("provisional norms (n = %(n)s)", n=n)
    return _("norms not yet established (n = %(n)s of %(min_n)s)", n=n, min_n=min_n)


def term_sentence(_: Gettext, term: Mapping[str, Any], numbers: Numbers) -> str:
    """One term of the fit score in words (as scoring.composite writes it in English)."""
    name = _(competency_label(term["competency"]))
    weight = numbers.num(term["weight"], 2)
    score = term.get("score")
    if score is None:
        if term["weight"] > 0:
            return _(
                "%(name)s: no score (fewer than 80 %% of its items answered, or not taken)"
                " with weight %(weight)s, so the fit score cannot be computed.",
                name=name,
                weight=weight,
            )
        return _("%(name)s: no score; weight 0, so it is not part of the fit score.", name=name)
    contribution = term["contribution"]
    if term["weight"] == 0:
        return _("%(name)s: weight 0, so it does not move the fit score.", name=name)
    if term.get("basis") == "z":
        return _(
            "%(name)s: z = %(z)s × weight %(weight)s = %(contribution)s (%(points)s T points).",
            name=name,
            z=numbers.signed(score, 2),
            weight=weight,
            contribution=numbers.signed(contribution, 3),
            points=numbers.signed(term["contribution_t"], 1),
        )
    return _(
        "%(name)s: %(score)s %% of maximum × weight %(weight)s = %(contribution)s points.",
        name=name,
        score=numbers.num(score, 1),
        weight=weight,
        contribution=numbers.num(contribution, 1),
    )


def hurdle_short(_: Gettext, hurdle: Mapping[str, Any], numbers: Numbers) -> str:
    """``language (estimated A2, minimum B2)`` / ``Analysis (38.2 T, minimum 40 T)``."""
    if hurdle["unit"] == "CEFR":
        word = LANGUAGE_WORDS.get(hurdle.get("language") or "")
        if word is None:  # a score stored before hurdles named their language
            if hurdle["actual"] is None:
                return _("language (no estimate, minimum %(required)s)",
                         required=hurdle["required"])
            return _("language (estimated %(actual)s, minimum %(required)s)",
                     actual=cefr(_, hurdle["actual"]), required=hurdle["required"])
        if hurdle["actual"] is None:
            return _("%(language)s (no estimate, minimum %(required)s)", language=_(word),
                     required=hurdle["required"])
        return _("%(language)s (estimated %(actual)s, minimum %(required)s)", language=_(word),
                 actual=cefr(_, hurdle["actual"]), required=hurdle["required"])
    unit = "T" if hurdle["unit"] == "T" else "percent"
    required = numbers.score(hurdle["required"], unit, 0)
    name = _(competency_label(hurdle["competency"]))
    if hurdle["actual"] is None:
        return _("%(name)s (no score, minimum %(required)s)", name=name, required=required)
    return _(
        "%(name)s (%(actual)s, minimum %(required)s)",
        name=name,
        actual=numbers.score(hurdle["actual"], unit),
        required=required,
    )


def fit_summary(_: Gettext, composite: Mapping[str, Any], numbers: Numbers) -> str:
    """How the fit score was made, in one paragraph (mirrors scoring.composite's summary)."""
    explanation = composite["explanation"]
    fit = composite["fit_score"]
    std = composite["standardization"]
    if fit is None:
        names = ", ".join(_(competency_label(c)) for c in explanation["missing"])
        parts = [
            _(
                "No fit score: %(names)s without a score but with a positive weight; the"
                " missing score is not guessed.",
                names=names,
            )
        ]
        partial = composite.get("partial")
        if partial is not None:
            parts.append(
                _(
                    "Partial fit over the complete competencies (weights renormalized,"
                    " %(share)s %% of the weight): %(fit)s, band %(band)s.",
                    share=numbers.num(100 * partial["coverage"], 0),
                    fit=numbers.score(partial["fit_score"], composite["unit"]),
                    band=partial["band"],
                )
            )
    elif composite["basis"] == "z" and std["standardized"]:
        weighted_sum = std["mean"] + std["sd"] * (fit - 50) / 10
        parts = [
            _(
                "Fit T = 50 + 10 × (%(sum)s − %(mean)s) / %(sd)s = %(fit)s, band %(band)s: the"
                " weighted sum of competency z-scores (%(sum)s), re-standardized against the"
                " norm group (mean %(mean)s, SD %(sd)s over n = %(n)s completed attempts), so"
                " 50 is the group's average and 10 its SD.",
                sum=numbers.signed(weighted_sum, 3),
                mean=numbers.signed(std["mean"], 3),
                sd=numbers.num(std["sd"], 3),
                n=std["n"],
                fit=numbers.num(fit, 1),
                band=composite["band"],
            )
        ]
    elif composite["basis"] == "z":
        parts = [
            _(
                "Fit T = 50 + 10 × %(z)s (the weighted sum of competency z-scores) = %(fit)s,"
                " band %(band)s. Not re-standardized:",
                z=numbers.signed((fit - 50) / 10, 3),
                fit=numbers.num(fit, 1),
                band=composite["band"],
            ),
            no_standardization(_, std),
        ]
    else:
        parts = [
            _(
                "Fit = %(fit)s %% (weights × percent-of-maximum scores; norms not yet"
                " established), band %(band)s.",
                fit=numbers.num(fit, 1),
                band=composite["band"],
            )
        ]
        if std["standardized"]:
            parts.append(
                _(
                    "Against the %(n)s completed attempts so far (mean %(mean)s %%, SD"
                    " %(sd)s %%) that is z = %(z)s.",
                    n=std["n"],
                    mean=numbers.num(std["mean"], 1),
                    sd=numbers.num(std["sd"], 1),
                    z=numbers.signed((fit - std["mean"]) / std["sd"], 2),
                )
            )
    hurdles = composite.get("hurdles") or []
    missed = [h for h in hurdles if h["passed"] is False]
    unknown = [h for h in hurdles if h["passed"] is None]
    if missed:
        listed = "; ".join(hurdle_short(_, h, numbers) for h in missed)
        parts.append(_("Hurdles not met: %(list)s.", list=listed))
    elif hurdles and not unknown:
        parts.append(_("All hurdles met."))
    if unknown:
        listed = "; ".join(hurdle_short(_, h, numbers) for h in unknown)
        parts.append(_("Hurdles not evaluated: %(list)s.", list=listed))
    if missed or unknown:
        parts.append(_("Hurdles are reported beside the fit score and never change it."))
    return " ".join(parts)


def no_standardization(_: Gettext, std: Mapping[str, Any]) -> str:
    """Why a fit score was not re-standardized against the norm group."""
    if std["reason"] == "no_spread":
        return _(
            "the norm group's %(n)s complete attempts all have the same weighted sum (no"
            " spread).",
            n=std["n"],
        )
    if std["reason"] == "small_group":
        return _(
            "only %(n)s completed attempts in the norm group are complete on every weighted"
            " competency (at least %(min)s are needed).",
            n=std["n"],
            min=MIN_COMPOSITE_N,
        )
    return _("no norm group for these weights yet.")


def requirement_short(_: Gettext, requirement: Mapping[str, Any], numbers: Numbers) -> str:
    """One requirement and where the candidate stands, e.g. ``Years in sales: 1 (needs 2)``."""
    if requirement["kind"] != "knockout":
        return hurdle_short(_, requirement, numbers)
    return _(
        "%(rule)s: %(actual)s (needs %(required)s)",
        rule=knockout_rule(_, requirement["rule"]),
        actual=knockout_value(_, requirement["actual"], numbers),
        required=knockout_value(_, requirement["required"], numbers),
    )


def ranking_text(_: Gettext, ranking: Mapping[str, Any], numbers: Numbers) -> str:
    """How the ranks of a position are made, in words and as a formula."""
    if ranking["mode"] == "npv":
        text = _("by expected value (expected NPV), best first; ties by fit score")
    elif ranking["mode"] == "mix":
        text = _(
            "by %(fit)s × fit rank + %(value)s × expected-value rank, smallest first",
            fit=numbers.num(100 * ranking["fit_weight"], 0) + " %",
            value=numbers.num(100 * (1 - ranking["fit_weight"]), 0) + " %",
        )
    else:
        text = _("by fit score, best first")
    return _("%(how)s; partial fits after complete ones.", how=text)


def ranking_mode(_: Gettext, mode: str) -> str:
    """The short name of a ranking mode."""
    return {"fit": _("fit"), "npv": _("expected value"), "mix": _("mix")}.get(mode, mode)


def knockout_rule(_: Gettext, rule: str) -> str:
    """The name of a knock-out rule."""
    if rule.startswith("min_languages."):
        code = rule.split(".", 1)[1]
        named = {"en": _("English (self-assessed CEFR)"), "it": _("Italian (self-assessed CEFR)")}
        return named.get(code) or _("Language %(language)s (self-assessed CEFR)", language=code)
    names = {
        "min_education": _("Education"),
        "min_years_sales": _("Years in sales"),
        "min_years_key_accounts": _("Years with key accounts"),
        "min_variable_pay": _("Variable pay accepted"),
    }
    return names.get(rule, rule)


def knockout_value(_: Gettext, value: Any, numbers: Numbers) -> str:
    """A required or stated value of a knock-out rule."""
    if value is None:
        return _("not stated")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return numbers.plain(value)
    pay = {
        "fixed_only": _("fixed pay only"),
        "up_to_30": _("up to 30 % variable"),
        "30_to_60": _("30 to 60 % variable"),
        "over_60": _("over 60 % variable"),
    }
    return pay.get(str(value)) or _(str(value))


#: The page counts a focus loss only when the candidate is away longer than this
#: (static/assessment.js, ``AWAY_MS``): a glance at a notification is not leaving.
FOCUS_LOSS_SECONDS = 3


def flag_title(_: Gettext, code: str) -> str:
    """A short name of a validity or integrity flag."""
    titles = {
        "speeding": _("Speeding"),
        "rapid_guessing": _("Rapid guessing"),
        "straight_lining": _("Straight-lining"),
        "abandoned_section": _("Abandoned section"),
        "timed_out_section": _("Ran out of time"),
        "focus_loss": _("Left the page"),
        "paste_attempt": _("Paste attempts"),
        "ip_change": _("IP address changed"),
        "ua_change": _("Browser changed"),
        "idealized_answers": _("Idealized answers"),
    }
    return titles.get(code, code)


def flag_message(_: Gettext, flag: Mapping[str, Any], numbers: Numbers) -> str:
    """A flag's message rebuilt from its evidence; the stored message for unknown codes."""
    code, ev = flag.get("code"), flag.get("evidence") or {}
    try:
        if code == "speeding":
            return _(
                "Likert statements answered in a median of %(median)s s each (under"
                " %(threshold)s s): the self-report answers may not have been read.",
                median=numbers.num(ev["median_seconds"], 1),
                threshold=numbers.plain(ev["threshold_seconds"]),
            )
        if code == "rapid_guessing":
            return _(
                "%(rapid)s of %(timed)s timed ability items (%(share)s %%) answered in under"
                " %(threshold)s s: possible rapid guessing.",
                rapid=ev["rapid"],
                timed=ev["timed"],
                share=numbers.num(100 * ev["share"], 0),
                threshold=numbers.plain(ev["threshold_seconds"]),
            )
        if code == "straight_lining" and "competency" not in ev:  # a run across sections
            return _(
                "%(run)s identical answers in a row on the self-report statements (flagged"
                " from %(threshold)s).",
                run=ev["run"],
                threshold=ev["threshold"],
            )
        if code == "straight_lining":
            return _(
                "%(run)s identical answers in a row on the %(scale)s statements (flagged from"
                " %(threshold)s).",
                run=ev["run"],
                scale=_(competency_label(ev["competency"])),
                threshold=ev["threshold"],
            )
        if code == "timed_out_section":
            return _(
                "Time ran out in section %(section)s with %(answered)s of %(total)s items"
                " answered while the candidate was still answering; its score will be"
                " incomplete.",
                section=ev["section"],
                answered=ev["answered"],
                total=ev["total"],
            )
        if code == "abandoned_section":
            reasons = {
                "ended_early": _("the candidate ended it early"),
                "left": _("the candidate left: the time ran out long after the last answer"),
                "not_started": _("never started"),
            }
            return _(
                "Section %(section)s left with %(answered)s of %(total)s items answered"
                " (%(reason)s); its score will be incomplete.",
                section=ev["section"],
                answered=ev["answered"],
                total=ev["total"],
                reason=reasons.get(ev.get("status", ""), ev.get("status", "")),
            )
        count = int(ev["count"])
        if code == "focus_loss":
            return _(
                "Left the assessment tab or window %(count)s time(s), each time for more than"
                " %(seconds)s seconds (shorter glances away are not counted; the on-page"
                " calculator never counts).", count=count, seconds=FOCUS_LOSS_SECONDS,
            )
        if code == "paste_attempt":
            return _("%(count)s paste attempt(s) into an answer field.", count=count)
        if code == "ip_change":
            return _(
                "IP address changed %(count)s time(s) during the attempt (common on mobile"
                " networks).",
                count=count,
            )
        if code == "ua_change":
            return _("Browser or device changed %(count)s time(s) during the attempt.", count=count)
    except (KeyError, TypeError, ValueError):
        pass  # evidence of another shape: the stored English message still says it
    return str(flag.get("message", ""))


def evidence(flag: Mapping[str, Any], numbers: Numbers) -> list[tuple[str, str]]:
    """The evidence behind a flag as (name, value) pairs, numbers formatted."""
    return [
        (key, numbers.num(value, 2) if isinstance(value, float) else str(value))
        for key, value in (flag.get("evidence") or {}).items()
    ]


def option_reason(_: Gettext, utility: Mapping[str, Any], numbers: Numbers) -> str:
    """Why the candidate is costed as an experienced hire or as growing in-house."""
    years = utility.get("years_key_accounts")
    threshold = numbers.plain(utility["experienced_years"])
    if years is None:
        return _("Years with key accounts not stated: costed as growing in-house.")
    if utility["option"] == "experienced":
        return _(
            "%(years)s years with key accounts, at least %(threshold)s: costed as an"
            " experienced hire.",
            years=numbers.plain(years),
            threshold=threshold,
        )
    return _(
        "%(years)s years with key accounts, fewer than %(threshold)s: costed as growing in-house.",
        years=numbers.plain(years),
        threshold=threshold,
    )


def productivity_formula(_: Gettext, utility: Mapping[str, Any], numbers: Numbers) -> str:
    """``Expected productivity = 1 + 0.45 × z −0.59 × 0.48 = 0.873 ...`` or why there is none."""
    if not utility.get("available"):
        return _(
            "Expected productivity and NPV need the composite z-score, which exists once norms"
            " are established for every weighted competency."
        )
    return _(
        "Expected productivity = 1 + r_xy × z × SD_p = 1 + %(r)s × %(z)s × %(sd)s = %(ep)s of"
        " a typical KAM's output (Brogden–Cronbach–Gleser).",
        r=numbers.num(utility["r_xy"], 2),
        z=numbers.signed(utility["composite_z"], 2),
        sd=numbers.num(utility["sd_p"], 2),
        ep=numbers.num(utility["expected_productivity"], 3),
    )


def decision_name(_: Gettext, value: str) -> str:
    """A recorded decision for people: ``Advance``, ``Hold``, ``Reject``, ``Hire``."""
    names = {"advance": _("Advance"), "hold": _("Hold"), "reject": _("Reject"), "hire": _("Hire")}
    return names.get(value, value)


def option_name(_: Gettext, value: str) -> str:
    """How a candidate is costed: ``experienced hire`` or ``grown in-house``."""
    names = {"experienced": _("experienced hire"), "grow_in_house": _("grown in-house")}
    return names.get(value, value)
