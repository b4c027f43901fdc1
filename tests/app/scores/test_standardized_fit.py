"""The stored fit score is a true T-score of the norm group, for the position's weights, and
is remade when the weights or the norms change (SPEC §3.5)."""

import numpy as np
import pytest
from scipy import stats
from sqlmodel import select

from app.norms import service as norm_service
from app.scores import service as score_service
from app.scores.models import Score
from tests.app.reports.scenario import bulk_completed, import_norms
from tests.factories import auth_headers


def _scored_group(session, team, n: int) -> None:
    """``n`` completed attempts, scored as a submit scores them."""
    for attempt in bulk_completed(session, position=team.position, n=n, seed=5, spread=0.2):
        score_service.score_submitted(session, attempt=attempt)


def _scores(session, team) -> list[Score]:
    return list(session.exec(select(Score).where(Score.position_id == team.position.id)))


def _established(session, team, monkeypatch, n: int = 60) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "norm_min_n", 40)
    _scored_group(session, team, n)
    rows = norm_service.rebuild(session, organization_id=team.admin.organization_id)
    score_service.rescore_after_norms(session, rows=rows)


def test_fit_scores_have_mean_50_and_sd_10_in_the_norm_group(session, team, monkeypatch):
    _established(session, team, monkeypatch)
    scores = [s for s in _scores(session, team) if s.fit_score is not None]
    assert len(scores) == 60 and {s.fit_unit for s in scores} == {"T"}
    fits = np.array([s.fit_score for s in scores])
    assert fits.mean() == pytest.approx(50.0, abs=1e-9)
    assert fits.std(ddof=1) == pytest.approx(10.0, abs=1e-9)
    # The same as SciPy's z-score of each attempt's weighted sum of competency z-scores.
    weights = team.position.weights
    sums = np.array([sum(w * s.scales[c]["z"] for c, w in weights.items() if w) for s in scores])
    zs = np.array([s.composite_z for s in scores])
    assert zs == pytest.approx(stats.zscore(sums, ddof=1), abs=1e-9)
    std = scores[0].composite["standardization"]
    assert std["standardized"] is True and std["n"] == 60
    # The utility takes that z: expected NPV rises with it.
    npv = np.array([s.expected_npv for s in scores])
    same_option = [s.costed_option == scores[0].costed_option for s in scores]
    assert stats.spearmanr(zs[same_option], npv[same_option]).statistic == pytest.approx(1.0)


def test_new_weights_rebuild_the_group_and_keep_a_true_t_score(client, session, team,
                                                               monkeypatch):
    _established(session, team, monkeypatch)
    response = client.patch(
        f"/api/v1/positions/{team.position.id}", headers=auth_headers(client, team.hr),
        json={"weights": {"commercial_knowledge": 0.9, "languages": 0.1}},
    )
    assert response.status_code == 200, response.text
    session.expire_all()
    fits = np.array([s.fit_score for s in _scores(session, team)])
    assert fits.mean() == pytest.approx(50.0, abs=1e-9)
    assert fits.std(ddof=1) == pytest.approx(10.0, abs=1e-9)
    stored = score_service.composite_norms(session, position=team.position)
    assert stored["z"].competencies == ("languages", "commercial_knowledge")


def test_the_report_explains_the_standardization(client, session, team, monkeypatch):
    _established(session, team, monkeypatch)
    score = _scores(session, team)[0]
    body = client.get(f"/api/v1/candidates/{score.candidate_id}/report",
                      headers=auth_headers(client, team.hr)).json()
    composite = body["composite"]
    assert composite["fit_score"] == pytest.approx(score.fit_score, abs=1e-9)
    assert composite["standardization"]["n"] == 60
    assert "re-standardized against the norm group" in composite["explanation"]["summary"]
    assert body["utility"]["composite_z"] == pytest.approx(score.composite_z, abs=1e-9)


def test_a_norm_table_without_spread_gives_no_t_scores(client, session, team):
    """Scores all equal but not integers (SD computed as ~1e-16) count as no spread."""
    from tests.app.reports.scenario import complete, synthetic_norms

    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    tables = synthetic_norms(session, keys=["commercial-knowledge", "english"])
    scale = next(iter(tables[0]["scales"].values()))
    scale["scores"] = [0.1 + 0.1 + 0.1 if i % 2 else 0.3 for i in range(scale["n"])]
    scale["mean"], scale["sd"] = 0.3, float(np.std(scale["scores"], ddof=1))
    assert 0 < scale["sd"] < 1e-15
    import_norms(session, organization_id=team.admin.organization_id, tables=tables)
    body = client.get(f"/api/v1/candidates/{candidate.id}/report",
                      headers=auth_headers(client, team.hr)).json()
    entry = body["competencies"]["commercial_knowledge"]
    assert entry["t_score"] is None and entry["norm_status"] == "none"
    assert "are equal" in entry["norm_message"] and "no spread" in entry["norm_message"]
    assert body["composite"]["unit"] == "percent"
