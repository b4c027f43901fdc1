"""Demo data: simulated candidates who take the real battery through the real services.

Every simulated candidate is invited, starts, answers item by item, ends sections and
submits through the same service functions the API uses, so the demo pipeline, reports and
norms are produced by the real scoring path. All demo people are marked ``is_demo`` and
their names say "(demo)"; the demo organization is labelled as demo data on every page.

The answers come from a simple generative model: each candidate has a latent level per
competency (standard normal); the probability of a keyed answer being right follows a
logistic curve in that level and the item's difficulty; SJT options are chosen with
probabilities rising with their expert score for stronger candidates (best/worst SJTs: the
most effective option picked with probabilities rising with the panel's effectiveness, the
least effective with probabilities falling with it); Likert answers centre on 3 + 1.1 × level
(reverse-keyed items mirrored); the impression-management statements follow a separate
"idealizing" tendency, so a few candidates raise that flag. Candidates answer the items of
their own forms (bank v2). It is demo data, not a validation study.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.assessments import service as assessment_service
from app.assessments.battery import Battery, ordered_items
from app.assessments.schemas import StartRequest
from app.auth.models import User
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.candidates.schemas import CandidateCreate
from app.core.clock import utcnow
from app.core.db import pk
from app.core.tenancy import owned_by, readable
from app.positions.models import Position
from app.scores import service as score_service
from questionnaires.schema import ChoiceItem, Item, LikertItem, NumericItem, SjtItem
from questionnaires.screening import ScreeningAnswers
from scoring.vocabulary import COMPETENCY_KEYS, EDUCATION_LEVELS

FIRST_NAMES = ("Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara",
               "Davide", "Elena", "Matteo", "Valentina", "Simone", "Martina", "Andrea",
               "Federica", "Stefano", "Laura", "Paolo", "Silvia", "Roberto", "Anna", "James",
               "Sophie", "Lukas", "Camille")
LAST_NAMES = ("Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
              "Gallo", "Conti", "De Luca", "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi",
              "Moretti", "Barbieri", "Fontana", "Santoro", "Walker", "Müller", "Dubois")
LEVEL_DIFFICULTY = {"A2": -1.5, "B1": -0.5, "B2": 0.5, "C1": 1.5}


@dataclass(frozen=True)
class Simulated:
    """One simulated candidate's latent levels (for tests and curiosity, never stored)."""

    candidate_id: int
    levels: dict[str, float]


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _difficulty(item: Item) -> float:
    if item.cefr:
        return LEVEL_DIFFICULTY[item.cefr]
    # A stable per-item difficulty between -1 and 1, so items differ as real ones do.
    return (sum(map(ord, item.id)) % 21 - 10) / 10


def simulated_answer(item: Item, level: float, rng: random.Random) -> Any:
    """One answer of a candidate at ``level`` (a standard-normal latent trait)."""
    if isinstance(item, SjtItem) and item.best_worst:
        ids = [option.id for option in item.options]
        strength = 0.8 + 0.9 * level
        effect = {option.id: option.effectiveness or 0.0 for option in item.options}
        best = rng.choices(ids, weights=[math.exp(strength * effect[i]) for i in ids])[0]
        rest = [i for i in ids if i != best]
        worst = rng.choices(rest, weights=[math.exp(-strength * effect[i]) for i in rest])[0]
        return {"best": best, "worst": worst}
    if isinstance(item, LikertItem):
        value = round(3 + 1.1 * level + rng.gauss(0, 0.9))
        value = min(5, max(1, value))
        return 6 - value if item.reverse else value
    if isinstance(item, SjtItem):
        weights = [math.exp((0.6 + 0.8 * level) * (option.score or 0)) for option in item.options]
        return rng.choices([option.id for option in item.options], weights=weights)[0]
    if isinstance(item, ChoiceItem):
        correct = next(option.id for option in item.options if option.score == 1)
        if rng.random() < _logistic(1.2 * (level - _difficulty(item)) + 0.6):
            return correct
        return rng.choice([option.id for option in item.options if option.id != correct])
    if isinstance(item, NumericItem):
        if rng.random() < _logistic(1.2 * (level - _difficulty(item)) + 0.3):
            return item.answer
        return round(item.answer * rng.choice((0.8, 0.9, 1.1, 1.25)) + 1, 1)
    raise ValueError(f"unknown item type {item.type}")


def _screening(rng: random.Random, levels: dict[str, float]) -> ScreeningAnswers:
    experience = max(0.0, round(rng.gauss(5 + 2 * levels["business_sense"], 3), 1))
    english = ("B1", "B2", "C1", "C2")[min(3, max(0, round(1.5 + levels["languages"])))]
    return ScreeningAnswers.model_validate({
        # Everyone in the demo finished school: secondary, bachelor, master, doctorate.
        "education": rng.choices(EDUCATION_LEVELS[1:], weights=(3, 5, 4, 0.3))[0],
        "languages": [{"language": "en", "cefr_self": english}],
        "years_sales": experience,
        "years_key_accounts": max(0.0, round(experience - rng.uniform(0, 4), 1)),
        "client_base_size": rng.randint(5, 60),
        "salary_expectation_monthly": round(rng.gauss(3200 + 300 * experience, 400), -1),
        "variable_pay": rng.choices(("fixed_only", "up_to_30", "30_to_60", "over_60"),
                                    weights=(1, 3, 4, 2))[0],
    })


def simulate_candidates(
    session: Session,
    *,
    position: Position,
    actor: User,
    count: int,
    seed: int = 2026,
    now: datetime | None = None,
    complete_share: float = 0.85,
) -> list[Simulated]:
    """Invite ``count`` demo candidates; most complete the battery, some are still invited."""
    rng = random.Random(seed)
    now = now or utcnow()
    simulated = []
    for n in range(count):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} (demo)"
        email = f"demo.candidate{seed}.{n}@example.com"
        language = rng.choice(("it", "it", "en"))
        candidate, invitation, token = candidate_service.invite(
            session, position=position, actor=actor, base_url="http://demo.invalid",
            data=CandidateCreate(full_name=name, email=email, language=language),
            send_email=False,
        )
        candidate.is_demo = True
        session.add(candidate)
        general = rng.gauss(0, 1)
        levels: dict[str, float] = {
            c: 0.6 * general + 0.8 * rng.gauss(0, 1) for c in COMPETENCY_KEYS}
        levels["idealizing"] = rng.gauss(-0.6, 1)
        simulated.append(Simulated(pk(candidate), levels))
        if rng.random() > complete_share:
            continue
        started = now - timedelta(days=rng.uniform(1, 20))
        # Invited a little before starting (the report lists invited, started, completed).
        invited = started - timedelta(days=rng.uniform(0.2, 3))
        candidate.created_at = invitation.created_at = invited
        session.add(invitation)
        _take(session, token=token, levels=levels, rng=rng, started=started)
    session.flush()
    return simulated


def _take(session: Session, *, token: str, levels: dict[str, float], rng: random.Random,
          started: datetime) -> None:
    """Take the whole battery through the service, section by section, at a human pace."""
    ctx = assessment_service.resolve(session, token=token)
    attempt = assessment_service.start(
        session, ctx=ctx, now=started, ip="203.0.113.10", user_agent="KAM demo simulator",
        data=StartRequest(consent=True, language=ctx.candidate.language,
                          screening=_screening(rng, levels)),
    )
    battery = Battery.load(session, attempt.questionnaire_versions)
    limits = {row.section_key: row.time_limit_s for row in assessment_service.sections_of(
        session, attempt)}
    clock = started
    for _questionnaire_key, section in battery.sections.values():
        items = ordered_items(section, attempt.order_seed, attempt.forms)
        # Use 50-95 % of the section's time, spread over the items of the form.
        step = limits[section.key] * rng.uniform(0.5, 0.95) / len(items)
        for item in items:
            seconds = step * rng.uniform(0.7, 1.0)
            clock += timedelta(seconds=seconds)
            level = levels["idealizing"] if not item.scored else levels[item.competency]
            assessment_service.save_answer(
                session, ctx=ctx, item_id=item.id,
                value=simulated_answer(item, level, rng),
                elapsed_ms=int(seconds * 1000), ip="203.0.113.10",
                user_agent="KAM demo simulator", now=clock,
            )
        assessment_service.complete_section(session, ctx=ctx, section_key=section.key,
                                            now=clock)
    if assessment_service.submit(session, ctx=ctx, now=clock + timedelta(seconds=5)):
        score_service.score_submitted(session, attempt=attempt)


DEMO_POSITION = "Key Account Manager – Nord Italia (demo)"
EARLIER_POSITION = "Key Account Manager – earlier campaign (demo)"
DRAFT_POSITION = "Key Account Manager – Sud (demo, draft)"


def populate(session: Session, *, hr: User, manager: User | None = None,
             pipeline_size: int = 40, earlier_size: int = 90) -> Position | None:
    """The demo pipeline: one open position with a few dozen candidates, plus an earlier
    (closed) campaign so the organization's norm group is large enough for norms.

    Does nothing when the organization already has the demo position (safe to run again).
    """
    from app.norms import service as norm_service
    from app.positions import service as position_service
    from app.positions.schemas import PositionCreate

    existing = session.exec(
        readable(Position, hr.organization_id).where(Position.title == DEMO_POSITION)
    ).first()
    if existing is not None:
        return None
    earlier = position_service.create(session, actor=hr, data=PositionCreate(
        title=EARLIER_POSITION, territory="Italia"))
    simulated = simulate_candidates(session, position=earlier, actor=hr, count=earlier_size,
                                    seed=7, complete_share=1.0)
    panel = [hr, *([manager] if manager else [])]
    interviews_and_outcomes(session, position=earlier, simulated=simulated, panel=panel,
                            interviewed=min(45, earlier_size), hired=min(32, earlier_size))
    earlier.status = "closed"
    session.add(earlier)
    position = position_service.create(session, actor=hr, data=PositionCreate(
        title=DEMO_POSITION, territory="Lombardia, Veneto, Emilia-Romagna",
        knockouts={"min_languages": {"en": "B1"}, "min_years_sales": 2},
        manager_ids=[manager.id] if manager else [],
        ranking={"mode": "mix", "fit_weight": 0.6},
        feedback_page=True,  # its candidates read their strengths and what to work on
    ))
    current = simulate_candidates(session, position=position, actor=hr, count=pipeline_size,
                                  seed=2026)
    draft = position_service.create(session, actor=hr, data=PositionCreate(
        title=DRAFT_POSITION, territory="Campania, Puglia"))
    draft.status = "draft"  # being prepared: nobody can be invited yet
    session.add(draft)
    session.flush()
    _interviews_under_way(session, position=position, simulated=current, panel=panel)
    score_service.rescore_after_norms(
        session, rows=norm_service.rebuild(session, organization_id=hr.organization_id))
    _fairness_demo(session, hr=hr, manager=manager, earlier=earlier)
    return position


def _fairness_demo(session: Session, *, hr: User, manager: User | None,
                   earlier: Position) -> None:
    """What issue 17's pages need to show something: the optional questions asked and
    answered by most demo candidates, the earlier campaign's screening decisions (advanced to
    the interview, or not), one contest."""
    from app.candidates import decisions as decision_service
    from app.candidates.models import Decision
    from app.explanations import service as explanation_service
    from app.fairness import selfid as selfid_service
    from app.organizations.models import Organization
    from app.scores.models import Score

    rng = random.Random(17)
    organization = session.get_one(Organization, hr.organization_id)
    questions = ["gender", "age_band", "first_language"]
    organization.settings = {**(organization.settings or {}),
                             "self_identification": questions}
    session.add(organization)
    rows = session.exec(
        select(Candidate, Score).join(Score, col(Score.candidate_id) == Candidate.id)
        .where(owned_by(Candidate, hr.organization_id)).order_by(col(Candidate.id))
    ).all()
    screened_out = []
    for candidate, score in rows:
        if rng.random() < 0.85:
            selfid_service.save(session, organization_id=candidate.organization_id,
                                candidate_id=pk(candidate), questions=questions, answers={
                                    "gender": rng.choices(("female", "male", "another",
                                                           "prefer_not"), (46, 46, 2, 6))[0],
                                    "age_band": rng.choices(("under_40", "40_plus"),
                                                            (65, 35))[0],
                                    "first_language": "italian"
                                    if candidate.language == "it" or rng.random() < 0.3
                                    else "other",
                                })
        if candidate.position_id != earlier.id:
            continue
        basis = score_service.decision_basis(session, candidate_id=pk(candidate))
        first = session.exec(select(Decision).where(Decision.candidate_id == candidate.id)
                             .order_by(col(Decision.created_at))).first()
        if first is None:  # not called to an interview: screened out
            decision_service.record(session, candidate=candidate, decision="reject",
                                    actor=manager or hr, note="", basis=basis)
            screened_out.append(candidate)
            continue
        # Interviewed (and then hired or not): advanced to the interview a month before.
        missed = score.requirements_passed is False
        advanced = decision_service.record(
            session, candidate=candidate, decision="advance", actor=manager or hr,
            note="Demo: invited to the structured interview." if missed else "", basis=basis)
        advanced.created_at = first.created_at - timedelta(days=30)
        session.add(advanced)
    rejected = screened_out[0] if screened_out else None
    if rejected is not None:
        explanation_service.open_contest(
            session, candidate=rejected,
            reason="I have seven years with key accounts in pharma; please look again.")
    session.flush()


def _rating(level: float, rng: random.Random) -> int:
    """An interviewer's 1-5 rating of a competency at ``level``: noisy, anchored on 3."""
    return min(5, max(1, round(3 + 0.9 * level + rng.gauss(0, 0.7))))


def _rate(session: Session, *, position: Position, candidate: Any, panel: list[User],
          levels: dict[str, float], rng: random.Random, raters: int | None = None) -> None:
    from app.interviews import service as interview_service

    interview_service.assign(session, candidate=candidate,
                             interviewer_ids=[pk(u) for u in panel], actor=panel[0])
    keys = interview_service.rated_competencies(position)
    for user in panel[: raters if raters is not None else len(panel)]:
        interview_service.submit(
            session, candidate=candidate, position=position, actor=user,
            ratings={k: _rating(levels[k], rng) for k in keys},
            notes={k: "Demo note: a concrete example, with figures." for k in keys})


def interviews_and_outcomes(
    session: Session, *, position: Position, simulated: list[Simulated], panel: list[User],
    interviewed: int, hired: int, seed: int = 16, now: datetime | None = None,
) -> None:
    """An earlier campaign's second half: the strongest candidates interviewed by the panel,
    the best of them hired eight months ago, and their 6-month outcomes (performance, quota,
    retention, ramp) recorded; a few have their 12-month outcome too. Performance follows the
    candidates' latent levels with noise, so the validity dashboard has something real to
    estimate (demo data, not a validation study)."""
    from app.candidates import decisions as decision_service
    from app.candidates.models import Candidate, Decision
    from app.interviews import outcomes as outcome_service
    from app.scores.models import Score

    rng = random.Random(seed)
    now = now or utcnow()
    keys = ("business_sense", "analysis", "communication", "commercial_knowledge",
            "stress_resistance")

    def merit(s: Simulated) -> float:
        return sum(s.levels[k] for k in keys) / len(keys)

    ranked = sorted(simulated, key=lambda s: merit(s) + rng.gauss(0, 0.4), reverse=True)
    chosen = ranked[:interviewed]
    for s in chosen:
        candidate = session.get_one(Candidate, s.candidate_id)
        _rate(session, position=position, candidate=candidate, panel=panel, levels=s.levels,
              rng=rng)
    by_interview = sorted(chosen, key=lambda s: merit(s) + rng.gauss(0, 0.5), reverse=True)
    for rank, s in enumerate(by_interview):
        # Two waves of hires: the first a year and a month ago (6- and 12-month outcomes),
        # the second eight months ago (6-month outcomes).
        hired_at = now - timedelta(days=400 if rank % 2 == 0 else 245)
        candidate = session.get_one(Candidate, s.candidate_id)
        decision = "hire" if rank < hired else "reject"
        decision_service.record(
            session, candidate=candidate, decision=decision, actor=panel[0],
            note="Demo: hired after the structured interview." if decision == "hire"
            else "Demo: another candidate was stronger in the interview.",
            basis=score_service.decision_basis(session, candidate_id=pk(candidate)))
        row = session.exec(select(Decision).where(Decision.candidate_id == candidate.id)
                           .order_by(col(Decision.id).desc()).limit(1)).one()
        row.created_at = hired_at + timedelta(days=rng.uniform(0, 20))
        session.add(row)
        if decision != "hire":
            continue
        score = session.exec(select(Score).where(Score.candidate_id == candidate.id)).first()
        experienced = score is not None and score.costed_option == "experienced"
        performance = merit(s) + rng.gauss(0, 0.6)
        ramp = max(2, round(rng.gauss((5 if experienced else 14) - performance, 1.5)))
        # Sales staff turn over about 30 % a year, external hires sooner (SPEC §4).
        leaves_after = rng.expovariate((0.035 if experienced else 0.028)
                                       * math.exp(-0.5 * performance))
        followed = 12 if (now - row.created_at).days >= 365 else 6
        for months in (6, 12)[: 2 if followed == 12 else 1]:
            gone = leaves_after < months
            outcome_service.record(session, candidate=candidate, position=position,
                                   actor=panel[0], data={
                "months": months,
                "performance": None if gone and months == 12
                else min(5, max(1, round(3 + performance + rng.gauss(0, 0.3)))),
                "quota_attainment_pct": None if gone and months == 12 else round(
                    max(0.0, 95 + 22 * performance + rng.gauss(0, 8)), 1),
                "still_employed": not gone,
                "left_on": (row.created_at + timedelta(days=30.44 * leaves_after)).date()
                if gone else None,
                "months_to_quota": ramp if ramp <= months and not gone else None})
            if gone:
                break
    session.flush()


def _interviews_under_way(session: Session, *, position: Position, simulated: list[Simulated],
                          panel: list[User], seed: int = 61) -> None:
    """Three candidates of the open position in the interview stage: one with every rating
    in, one waiting for an interviewer, one just assigned."""
    from app.assessments.models import Attempt
    from app.candidates.models import Candidate

    rng = random.Random(seed)
    done = [s for s in simulated if session.exec(select(Attempt).where(
        Attempt.candidate_id == s.candidate_id, Attempt.status == "completed")).first()]
    for s, raters in zip(done[:3], (len(panel), 1, 0), strict=False):
        candidate = session.get_one(Candidate, s.candidate_id)
        _rate(session, position=position, candidate=candidate, panel=panel, levels=s.levels,
              rng=rng, raters=raters)
