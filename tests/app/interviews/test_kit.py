"""The interview kit: the position's competencies, the candidate's weakest first, each with a
behavioural and a situational question and their anchored scales, flags after the first two."""

from app.interviews import kit as kit_service
from app.positions.models import Position
from questionnaires.interview_bank import load_interview_bank
from scoring import COMPETENCY_KEYS

WEIGHTS = {"analysis": 0.3, "communication": 0.3, "commercial_knowledge": 0.4}


def _report(**scores: float | None) -> dict:
    return {
        "competencies": {k: {"t_score": v, "percent": None} for k, v in scores.items()},
        "flags": [{"code": "paste_attempts"}, {"code": "speeding"}],
    }


def test_every_competency_has_behavioural_and_situational_questions_with_anchors():
    bank = load_interview_bank()
    for key in COMPETENCY_KEYS:
        kinds = [q.kind for q in bank.for_competency(key).questions]
        assert kinds.count("behavioural") >= 2 and kinds.count("situational") >= 2, key
        for question in bank.for_competency(key).questions:
            assert {1, 3, 5} <= set(question.anchors)
            assert all(a.it != a.en for a in question.anchors.values())


def test_the_weakest_competency_comes_first_and_unscored_ones_last():
    position = Position(organization_id=1, title="KAM", weights=WEIGHTS)
    kit = kit_service.build(position, _report(analysis=58.0, communication=41.0,
                                              commercial_knowledge=None), lang="en")
    assert [c["key"] for c in kit["competencies"]] == [
        "communication", "analysis", "commercial_knowledge"]
    first = kit["competencies"][0]
    assert first["probe_first"] and len(first["questions"]) == kit_service.DEEP
    assert [q["kind"] for q in first["questions"][:2]] == ["behavioural", "situational"]
    assert set(first["questions"][0]["anchors"]) >= {1, 3, 5}
    assert len(kit["competencies"][2]["questions"]) == kit_service.SHORT
    assert kit["flags_after"] == 2
    assert [f["code"] for f in kit["flags"]] == ["paste_attempt", "speeding"]  # alias resolved


def test_the_kit_is_written_in_the_language_asked_for():
    position = Position(organization_id=1, title="KAM", weights=WEIGHTS)
    english = kit_service.build(position, _report(analysis=40.0), lang="en")
    italian = kit_service.build(position, _report(analysis=40.0), lang="it")
    assert english["competencies"][0]["questions"][0]["id"] == \
        italian["competencies"][0]["questions"][0]["id"]
    assert english["competencies"][0]["title"] == "Analysis"
    assert italian["competencies"][0]["title"] == "Capacità di analisi"
