"""The interview kit of one candidate: the structured questions of every competency the
position weights, with their behaviourally anchored scales, weakest competencies first, then
follow-ups for the test-taking flags (the report's interview guide is the short form of this).

Order: competencies by the candidate's test score, lowest first (T-score when normed, else
percent of maximum; competencies without a score last, in model order). The two weakest get
``DEEP`` questions each, the others ``SHORT``; every competency opens with a behavioural and a
situational question. Flags follow the two weakest competencies, so they are asked early but
after the candidate has settled in (the flags file's advice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.interviews.service import rated_competencies
from app.positions.models import Position
from questionnaires.interview_bank import InterviewBank, InterviewQuestion, load_interview_bank

DEEP, SHORT = 3, 2


def _score(entry: Mapping[str, Any] | None) -> float | None:
    if not entry:
        return None
    value = entry.get("t_score")
    if value is None:
        value = entry.get("percent")
    return None if value is None else float(value)


def order(position: Position, report: Mapping[str, Any]) -> list[str]:
    """The position's rated competencies, the candidate's weakest first."""
    competencies = report.get("competencies") or {}
    keys = rated_competencies(position)
    known = {k: s for k in keys if (s := _score(competencies.get(k))) is not None}
    scored = sorted(known, key=known.__getitem__)
    return scored + [k for k in keys if k not in scored]


def _picked(questions: tuple[InterviewQuestion, ...], count: int) -> list[InterviewQuestion]:
    first = [q for q in questions if q.kind == "behavioural"][:1]
    first += [q for q in questions if q.kind == "situational"][:1]
    return (first + [q for q in questions if q not in first])[:count]


def _question(q: InterviewQuestion, lang: str) -> dict[str, Any]:
    return {
        "id": q.id,
        "kind": q.kind,
        "question": q.question.pick(lang),
        "probes": [p.pick(lang) for p in q.probes],
        "anchors": {level: q.anchors[level].pick(lang) for level in sorted(q.anchors)},
        "good_signs": [s.pick(lang) for s in q.good_signs],
        "warning_signs": [s.pick(lang) for s in q.warning_signs],
    }


def _flags(bank: InterviewBank, report: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    flags, seen = [], set()
    for flag in report.get("flags") or []:
        entry = bank.for_flag(flag["code"])
        if entry is None or entry.flag in seen:
            continue
        seen.add(entry.flag)
        flags.append({
            "code": entry.flag, "title": entry.title.pick(lang),
            "means": entry.what_it_means.pick(lang),
            "follow_ups": [{"question": f.question.pick(lang), "good": f.reassuring.pick(lang),
                            "weak": f.worrying.pick(lang)} for f in entry.follow_ups],
        })
    return flags


def build(position: Position, report: Mapping[str, Any], *, lang: str,
          bank: InterviewBank | None = None) -> dict[str, Any]:
    """The candidate's kit in ``lang``: guide, competencies (weakest first) and flags."""
    bank = bank or load_interview_bank()
    competencies = report.get("competencies") or {}
    sections = []
    for index, key in enumerate(order(position, report)):
        entry = bank.for_competency(key)
        if entry is None:
            continue
        sections.append({
            "key": key,
            "title": entry.title.pick(lang),
            "covers": entry.what_it_covers.pick(lang),
            "guidance": entry.guidance.pick(lang) if entry.guidance else None,
            "test_score": _score(competencies.get(key)),
            "test_unit": "T" if (competencies.get(key) or {}).get("t_score") is not None
            else "percent",
            "probe_first": index < 2 and _score(competencies.get(key)) is not None,
            "questions": [_question(q, lang) for q in
                          _picked(entry.questions, DEEP if index < 2 else SHORT)],
        })
    return {
        "language": lang,
        "title": bank.guide.title.pick(lang),
        "guide": bank.guide.guide.pick(lang).split("\n\n"),
        "note": bank.note.pick(lang),
        "competencies": sections,
        "flags": _flags(bank, report, lang),
        "flags_after": min(2, len(sections)),
    }
