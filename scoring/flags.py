"""Validity and integrity flags from answer timings, answer patterns and page counters.

SPEC §3.7. Flags inform a person; they **never change a score** and never reject anyone.
Each flag has a ``code``, a ``severity`` (``"info"`` or ``"warning"``), a plain-English
``message`` and the ``evidence`` numbers behind it.

Rules and thresholds
--------------------
``speeding`` (warning)
    Median response time per answered Likert item < 2 s (SPEC). Careful reading of a
    self-report statement takes longer; Huang, Curran, Keeney, Poposki & DeShon (2012,
    *J. Business and Psychology* 27, 99–114) use ≈ 2 s per item as the effort cut-off.
``rapid_guessing`` (warning)
    More than 20 % of the answered ability items (single choice, SJT, numeric) with a known
    time were answered in under 3 s – too fast to read a scenario or a table. A fixed 3 s
    threshold follows the normative-threshold approach of Wise & Ma (2012, NCME paper) and
    Wise (2017, *Educational Measurement: Issues and Practice* 36(4), 52–61).
``straight_lining`` (warning)
    A run of identical Likert answers (raw answers, before reverse keying, in presentation
    order) of at least ``max(8, ceil(p / 2))`` on a Likert scale of p items (SPEC). A skipped
    item breaks a run.
``timed_out_section`` (info)
    The clock ended a section while the candidate was still answering, with fewer than 80 %
    of its items answered (so its scale will be incomplete): running out of time, not leaving.
``abandoned_section`` (warning)
    A section left with fewer than 80 % of its items answered by the candidate's own doing:
    ended early, never started, or left (the time ran out long after the last answer).
``focus_loss`` (info; warning from 5), ``paste_attempt`` (info; warning from 3)
    Counted by the page.
``ip_change`` (info – mobile networks change address on their own), ``ua_change`` (warning –
    a different browser or device mid-attempt).
``idealized_answers`` (warning)
    The impression-management check (statements almost nobody can honestly endorse, such as
    "I have never lost patience with a client"; bank v2) answered with a mean of at least
    4.0 on the 1–5 scale, or with the top point on at least 4 of them: the self-report scales
    may describe the candidate more favourably than everyday behaviour (Paulhus, 1984,
    *Journal of Personality and Social Psychology* 46(3), 598–609, on impression management;
    the cut-offs are provisional until the pilot gives its own top 5 %). At least 4 of the
    statements must be answered for the check to count.

The timing and pattern evidence is computed for a whole group at once
(:func:`timing_evidence`); :func:`compute_flags` and :func:`flag_candidate` turn it into flag
objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring.checks import as_float_array, check_number
from scoring.competencies import label
from scoring.errors import ScoringInputError
from scoring.items import ABILITY_TYPES, ItemKey, KeySet, compile_keys, encode_responses
from scoring.scales import MIN_COMPLETE
from scoring.serialization import jsonable, jsonable_dict

SPEEDING_MEDIAN_S = 2.0
RAPID_GUESS_S = 3.0
RAPID_GUESS_SHARE = 0.20
STRAIGHT_LINE_MIN_RUN = 8
FOCUS_LOSS_WARNING = 5
PASTE_WARNING = 3
#: Every flag code this module raises.
FLAG_CODES = (
    "speeding", "rapid_guessing", "straight_lining", "timed_out_section", "abandoned_section",
    "focus_loss", "paste_attempt", "ip_change", "ua_change", "idealized_answers",
)
#: ``timed_out``: the clock ended the section while the candidate was answering; ``left``: the
#: clock ended it long after the candidate's last answer (the candidate had gone).
SECTION_STATUSES = (
    "completed", "timed_out", "left", "ended_early", "not_started", "in_progress"
)
IDEALIZED_MEAN = 4.0
IDEALIZED_TOP_ANSWERS = 4
IDEALIZED_MIN_ANSWERED = 4


@dataclass(frozen=True)
class Flag:
    """One validity / integrity flag."""

    code: str
    severity: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "evidence": jsonable(dict(self.evidence)),
        }


@dataclass(frozen=True)
class SectionProgress:
    """How far a candidate got in one section."""

    key: str
    answered: int
    total: int
    status: str = "completed"

    def __post_init__(self) -> None:
        where = f"sections[{self.key!r}]"
        total = check_number(f"{where}.total", self.total, minimum=0, integer=True)
        check_number(f"{where}.answered", self.answered, minimum=0, maximum=total, integer=True)
        if self.status not in SECTION_STATUSES:
            raise ScoringInputError(
                f"{where}.status", f"must be one of {', '.join(SECTION_STATUSES)}"
            )

    @classmethod
    def coerce(cls, value: SectionProgress | Mapping[str, Any]) -> SectionProgress:
        """Accept a :class:`SectionProgress` or a mapping with the same keys."""
        if isinstance(value, SectionProgress):
            return value
        if not isinstance(value, Mapping):
            raise ScoringInputError("sections", "each section must be an object")
        return cls(
            key=value.get("key", "?"),
            # Ignored: JSON in; __post_init__ checks both counts and names the field.
            answered=value.get("answered"),  # type: ignore[arg-type]
            total=value.get("total"),  # type: ignore[arg-type]
            status=value.get("status", "completed"),
        )


@dataclass(frozen=True)
class PageCounters:
    """Integrity counters reported by the candidate's page."""

    focus_losses: int = 0
    paste_attempts: int = 0
    ip_changes: int = 0
    ua_changes: int = 0

    def __post_init__(self) -> None:
        for name in ("focus_losses", "paste_attempts", "ip_changes", "ua_changes"):
            check_number(f"counters.{name}", getattr(self, name), minimum=0, integer=True)

    @classmethod
    def coerce(cls, value: PageCounters | Mapping[str, Any] | None) -> PageCounters:
        """Accept a :class:`PageCounters`, a mapping or ``None`` (all zero)."""
        if value is None:
            return cls()
        if isinstance(value, PageCounters):
            return value
        if not isinstance(value, Mapping):
            raise ScoringInputError("counters", "must be an object")
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            raise ScoringInputError(f"counters.{sorted(unknown)[0]}", "unknown counter")
        return cls(**{k: int(v) if isinstance(v, float) else v for k, v in value.items()})


@dataclass(frozen=True, eq=False)
class TimingEvidence:
    """Per-candidate timing and pattern evidence for a group (all arrays have n rows)."""

    likert_median_s: np.ndarray
    likert_timed: np.ndarray
    rapid_count: np.ndarray
    ability_timed: np.ndarray
    likert_scales: tuple[str, ...]
    longest_run: np.ndarray
    run_threshold: np.ndarray
    likert_items: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """Column-wise JSON-able form (NaN → None)."""
        return jsonable_dict(
            {
                "likert_median_seconds": self.likert_median_s,
                "likert_timed": self.likert_timed,
                "rapid_count": self.rapid_count,
                "ability_timed": self.ability_timed,
                "rapid_share": self.rapid_share,
                "likert_scales": list(self.likert_scales),
                "longest_run": self.longest_run,
                "run_threshold": self.run_threshold,
            }
        )

    @property
    def rapid_share(self) -> np.ndarray:
        """Share of timed ability items answered in under :data:`RAPID_GUESS_S`."""
        share: np.ndarray = np.divide(
            self.rapid_count,
            self.ability_timed,
            out=np.full(self.rapid_count.shape, np.nan),
            where=self.ability_timed > 0,
        )
        return share

    @property
    def speeding(self) -> np.ndarray:
        """Boolean: median Likert time under :data:`SPEEDING_MEDIAN_S`."""
        with np.errstate(invalid="ignore"):
            return self.likert_median_s < SPEEDING_MEDIAN_S

    @property
    def rapid_guessing(self) -> np.ndarray:
        """Boolean: rapid share above :data:`RAPID_GUESS_SHARE`."""
        with np.errstate(invalid="ignore"):
            return self.rapid_share > RAPID_GUESS_SHARE

    @property
    def straight_lining(self) -> np.ndarray:
        """Boolean (n × Likert scales): run at or above the threshold."""
        return self.longest_run >= self.run_threshold


def run_threshold(n_items: int) -> int:
    """Straight-lining threshold for a Likert scale of ``n_items``: ``max(8, ceil(n/2))``.

    >>> run_threshold(12), run_threshold(20), run_threshold(21)
    (8, 10, 11)
    """
    return max(STRAIGHT_LINE_MIN_RUN, math.ceil(n_items / 2))


def longest_run(answers: Any) -> np.ndarray:
    """Longest run of identical consecutive answers in each row (NaN breaks a run).

    >>> longest_run([[3, 3, 3, 1, 1], [2, np.nan, 2, 2, 5]]).tolist()
    [3, 2]
    """
    a = as_float_array("answers", answers)
    if a.ndim == 1:
        a = a[None, :]
    n, p = a.shape
    present = ~np.isnan(a)
    run = present[:, 0].astype(np.int64) if p else np.zeros(n, dtype=np.int64)
    best = run.copy()
    for j in range(1, p):
        same = a[:, j] == a[:, j - 1]
        run = np.where(present[:, j], np.where(same, run + 1, 1), 0)
        np.maximum(best, run, out=best)
    return best


def _row_median(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median of the non-NaN values of each row, and their count (no All-NaN warning)."""
    ordered = np.sort(values, axis=1)  # NaN sorts last
    count = (~np.isnan(values)).sum(axis=1)
    lo = np.clip((count - 1) // 2, 0, None)
    hi = np.clip(count // 2, 0, None)
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan), count
    lo_v = np.take_along_axis(ordered, lo[:, None], axis=1)[:, 0]
    hi_v = np.take_along_axis(ordered, np.minimum(hi, values.shape[1] - 1)[:, None], axis=1)[:, 0]
    return np.where(count > 0, (lo_v + hi_v) / 2.0, np.nan), count


def timing_evidence(keys: Sequence[ItemKey] | KeySet, X: Any, times: Any = None) -> TimingEvidence:
    """Speeding, rapid-guessing and straight-lining evidence for a group, vectorised.

    Parameters
    ----------
    keys : sequence of ItemKey
        In presentation order (the straight-lining run follows it).
    X : array_like, shape (n, m)
        Encoded responses (:func:`scoring.items.encode_responses`).
    times : array_like, shape (n, m), optional
        Seconds spent on each item, NaN when unknown.
    """
    keyset = compile_keys(keys)
    answers = as_float_array("X", X, ndim=2)
    if answers.shape[1] != len(keyset):
        raise ScoringInputError(
            "X", f"has {answers.shape[1]} columns but there are {len(keyset)} item keys"
        )
    n = answers.shape[0]
    if times is None:
        seconds = np.full(answers.shape, np.nan)
    else:
        seconds = as_float_array("times", times, ndim=2)
        if seconds.shape != answers.shape:
            raise ScoringInputError(
                "times", f"has shape {seconds.shape}, expected {answers.shape} like X"
            )
        if (seconds < 0).any():
            raise ScoringInputError("times", "response times must be ≥ 0 seconds")
    answered = ~np.isnan(answers)
    timed = answered & ~np.isnan(seconds)

    likert = keyset.mask(("likert",))
    likert_times = np.where(timed[:, likert], seconds[:, likert], np.nan)
    median, likert_timed = _row_median(likert_times)

    ability = keyset.mask(ABILITY_TYPES)
    ability_timed = timed[:, ability].sum(axis=1)
    with np.errstate(invalid="ignore"):
        rapid = (timed[:, ability] & (seconds[:, ability] < RAPID_GUESS_S)).sum(axis=1)

    scales = tuple(c for c in keyset.competencies if likert[keyset.items_of(c)].any())
    runs = np.zeros((n, len(scales)), dtype=np.int64)
    thresholds = np.zeros(len(scales), dtype=np.int64)
    items = np.zeros(len(scales), dtype=np.int64)
    for s, c in enumerate(scales):
        cols = [j for j in keyset.items_of(c) if likert[j]]
        runs[:, s] = longest_run(answers[:, cols])
        items[s] = len(cols)
        thresholds[s] = run_threshold(len(cols))
    return TimingEvidence(
        likert_median_s=median,
        likert_timed=likert_timed,
        rapid_count=rapid,
        ability_timed=ability_timed,
        likert_scales=scales,
        longest_run=runs,
        run_threshold=thresholds,
        likert_items=items,
    )


def _timing_flags(ev: TimingEvidence, i: int) -> list[Flag]:
    flags = []
    if ev.speeding[i]:
        median = float(ev.likert_median_s[i])
        flags.append(
            Flag(
                "speeding",
                "warning",
                f"Likert statements answered in a median of {median:.1f} s each (under"
                f" {SPEEDING_MEDIAN_S:g} s): the self-report answers may not have been read.",
                {
                    "median_seconds": median,
                    "items_timed": int(ev.likert_timed[i]),
                    "threshold_seconds": SPEEDING_MEDIAN_S,
                },
            )
        )
    if ev.rapid_guessing[i]:
        share = float(ev.rapid_share[i])
        flags.append(
            Flag(
                "rapid_guessing",
                "warning",
                f"{int(ev.rapid_count[i])} of {int(ev.ability_timed[i])} timed ability items"
                f" ({100 * share:.0f} %) answered in under {RAPID_GUESS_S:g} s: possible"
                " rapid guessing.",
                {
                    "rapid": int(ev.rapid_count[i]),
                    "timed": int(ev.ability_timed[i]),
                    "share": share,
                    "threshold_seconds": RAPID_GUESS_S,
                    "share_threshold": RAPID_GUESS_SHARE,
                },
            )
        )
    for s, scale in enumerate(ev.likert_scales):
        if ev.straight_lining[i, s]:
            run, limit = int(ev.longest_run[i, s]), int(ev.run_threshold[s])
            flags.append(
                Flag(
                    "straight_lining",
                    "warning",
                    f"{run} identical answers in a row on the {label(scale)} statements"
                    f" (flagged from {limit}).",
                    {
                        "competency": scale,
                        "run": run,
                        "threshold": limit,
                        "items": int(ev.likert_items[s]),
                    },
                )
            )
    return flags


def _section_flags(sections: Sequence[SectionProgress | Mapping[str, Any]] | None) -> list[Flag]:
    flags = []
    for raw in sections or ():
        section = SectionProgress.coerce(raw)
        if section.total == 0 or section.answered >= MIN_COMPLETE * section.total - 1e-9:
            continue
        evidence = {
            "section": section.key,
            "answered": section.answered,
            "total": section.total,
            "status": section.status,
        }
        if section.status == "timed_out":
            flags.append(
                Flag(
                    "timed_out_section",
                    "info",
                    f"Time ran out in section {section.key!r} with {section.answered} of"
                    f" {section.total} items answered while the candidate was still"
                    " answering; its score will be incomplete.",
                    evidence,
                )
            )
            continue
        reason = section.status.replace("_", " ")
        flags.append(
            Flag(
                "abandoned_section",
                "warning",
                f"Section {section.key!r} left with {section.answered} of {section.total}"
                f" items answered ({reason}); its score will be incomplete.",
                {
                    "section": section.key,
                    "answered": section.answered,
                    "total": section.total,
                    "status": section.status,
                },
            )
        )
    return flags


def _counter_flags(counters: PageCounters | Mapping[str, Any] | None) -> list[Flag]:
    c = PageCounters.coerce(counters)
    flags = []
    if c.focus_losses:
        flags.append(
            Flag(
                "focus_loss",
                "warning" if c.focus_losses >= FOCUS_LOSS_WARNING else "info",
                f"Left the assessment tab or window {c.focus_losses} time"
                f"{'s' if c.focus_losses != 1 else ''}.",
                {"count": c.focus_losses, "warning_from": FOCUS_LOSS_WARNING},
            )
        )
    if c.paste_attempts:
        flags.append(
            Flag(
                "paste_attempt",
                "warning" if c.paste_attempts >= PASTE_WARNING else "info",
                f"{c.paste_attempts} paste attempt{'s' if c.paste_attempts != 1 else ''}"
                " into an answer field.",
                {"count": c.paste_attempts, "warning_from": PASTE_WARNING},
            )
        )
    if c.ip_changes:
        flags.append(
            Flag(
                "ip_change",
                "info",
                f"IP address changed {c.ip_changes} time{'s' if c.ip_changes != 1 else ''}"
                " during the attempt (common on mobile networks).",
                {"count": c.ip_changes},
            )
        )
    if c.ua_changes:
        flags.append(
            Flag(
                "ua_change",
                "warning",
                f"Browser or device changed {c.ua_changes} time"
                f"{'s' if c.ua_changes != 1 else ''} during the attempt.",
                {"count": c.ua_changes},
            )
        )
    return flags


def impression_management(values: Any, *, scale_max: int = 5) -> dict[str, np.ndarray]:
    """Evidence of the impression-management check for a group (rows: candidates).

    Returns the mean answer, the count of top-point answers, the count answered and the
    boolean ``idealized`` (see ``idealized_answers`` in the module docstring). Reverse keying
    does not apply: every statement is keyed so that agreeing idealizes.

    >>> ev = impression_management([[5, 5, 4, 4, 3, 4], [5, 5, 5, 5, 2, 1], [2, 3, 4, 2, 3, 3]])
    >>> ev["mean"].round(2).tolist(), ev["top"].tolist(), ev["idealized"].tolist()
    ([4.17, 3.83, 2.83], [2, 4, 0], [True, True, False])
    """
    x = as_float_array("values", values)
    if x.ndim == 1:
        x = x[None, :]
    answered = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.divide(np.nansum(x, axis=1), answered, out=np.full(len(x), np.nan),
                         where=answered > 0)
        top = (x == scale_max).sum(axis=1)
        idealized = (answered >= IDEALIZED_MIN_ANSWERED) & (
            (mean >= IDEALIZED_MEAN - 1e-12) | (top >= IDEALIZED_TOP_ANSWERS)
        )
    return {"mean": mean, "top": top, "answered": answered, "idealized": idealized}


def idealized_answers(values: Sequence[float | None], *, scale_max: int = 5) -> Flag | None:
    """The ``idealized_answers`` flag for one candidate's check answers, or None."""
    row = [np.nan if v is None else v for v in values]
    if not row:
        return None
    ev = impression_management([row], scale_max=scale_max)
    if not ev["idealized"][0]:
        return None
    mean, top, answered = float(ev["mean"][0]), int(ev["top"][0]), int(ev["answered"][0])
    return Flag(
        "idealized_answers",
        "warning",
        f"Idealized answers: the statements that almost nobody can fully endorse were answered"
        f" with a mean of {mean:.1f} (flagged from {IDEALIZED_MEAN:g}) and {top} of {answered}"
        " at the top of the scale. The self-report scores may describe the candidate more"
        " favourably than everyday behaviour: check them with behavioural interview questions."
        " The scores themselves are unchanged.",
        {"mean": mean, "top_answers": top, "answered": answered,
         "mean_threshold": IDEALIZED_MEAN, "top_threshold": IDEALIZED_TOP_ANSWERS},
    )


def compute_flags(
    keys: Sequence[ItemKey] | KeySet,
    X: Any,
    times: Any = None,
    *,
    sections: Sequence[Sequence[SectionProgress | Mapping[str, Any]] | None] | None = None,
    counters: Sequence[PageCounters | Mapping[str, Any] | None] | None = None,
) -> list[tuple[Flag, ...]]:
    """Flags for every candidate of a group (one tuple of flags per row of ``X``).

    ``sections`` and ``counters``, when given, hold one entry per candidate.
    """
    evidence = timing_evidence(keys, X, times)
    n = evidence.likert_median_s.shape[0]
    for name, value in (("sections", sections), ("counters", counters)):
        if value is not None and len(value) != n:
            raise ScoringInputError(name, f"has {len(value)} entries for {n} candidates")
    out = []
    for i in range(n):
        flags = _timing_flags(evidence, i)
        flags += _section_flags(sections[i] if sections is not None else None)
        flags += _counter_flags(counters[i] if counters is not None else None)
        out.append(tuple(flags))
    return out


def flag_candidate(
    keys: Sequence[ItemKey] | KeySet,
    answers: Mapping[str, Any],
    times: Mapping[str, float | None] | None = None,
    *,
    likert_sequence: Sequence[int | None] | None = None,
    sections: Sequence[SectionProgress | Mapping[str, Any]] = (),
    counters: PageCounters | Mapping[str, Any] | None = None,
    impression: Sequence[float | None] | None = None,
) -> tuple[Flag, ...]:
    """Flags for one candidate (a thin layer over the vectorised path).

    Parameters
    ----------
    answers : mapping
        ``{item_id: value}`` as saved.
    times : mapping, optional
        ``{item_id: seconds}``.
    likert_sequence : sequence, optional
        The Likert answers in the order they were shown, when it differs from key order;
        the straight-lining threshold then uses its length as the scale size.
    impression : sequence, optional
        The answers (1–5, None when not answered) to the impression-management statements,
        which are never scored and so are not among ``keys``.
    """
    keyset = compile_keys(keys)
    X = encode_responses(keyset, [answers])
    row = np.full((1, len(keyset)), np.nan)
    for item_id, seconds in (times or {}).items():
        if item_id not in keyset.index:
            raise ScoringInputError(f"times[{item_id!r}]", "unknown item")
        if seconds is not None:
            row[0, keyset.index[item_id]] = check_number(
                f"times[{item_id!r}]", seconds, minimum=0.0
            )
    evidence = timing_evidence(keyset, X, row)
    flags = _timing_flags(evidence, 0)
    if likert_sequence is not None:
        flags = [f for f in flags if f.code != "straight_lining"]
        seq = [np.nan if v is None else v for v in likert_sequence]
        run = int(longest_run([seq])[0]) if seq else 0
        limit = run_threshold(len(seq))
        if seq and run >= limit:
            flags.append(
                Flag(
                    "straight_lining",
                    "warning",
                    f"{run} identical answers in a row on the Likert statements"
                    f" (flagged from {limit}).",
                    {"run": run, "threshold": limit, "items": len(seq)},
                )
            )
    flags += _section_flags(sections)
    flags += _counter_flags(counters)
    if impression is not None:
        idealized = idealized_answers(impression)
        flags += [idealized] if idealized is not None else []
    return tuple(flags)
