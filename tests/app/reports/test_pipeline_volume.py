"""The pipeline at volume: 10,000 candidates in one position, filtered, sorted and paged in SQL."""

import time

from sqlalchemy import text

from tests.app.reports.scenario import bulk_scored
from tests.factories import auth_headers


def _pipeline(client, headers, position_id, **params):
    return client.get(f"/api/v1/positions/{position_id}/candidates", headers=headers,
                      params=params)


def test_ten_thousand_candidates_are_filtered_sorted_and_paged_in_the_database(
    client, session, team
):
    bulk_scored(session, position=team.position, n=10_000)
    analyze = "ANALYZE" if session.get_bind().dialect.name == "sqlite" else (
        "ANALYZE candidate, score, invitation")
    session.exec(text(analyze))  # what autovacuum / a periodic ANALYZE keeps current
    headers = auth_headers(client, team.hr)
    for params in ({}, {"sort": "-npv", "offset": 5000}, {"q": "bulk 0-99", "status": "completed"},
                   {"band": "A", "flagged": "false", "knockouts_passed": "true", "sort": "name",
                    "limit": 200}):
        started = time.perf_counter()
        response = _pipeline(client, headers, team.position.id, **params)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert elapsed < 2.0, (params, elapsed)
    body = _pipeline(client, headers, team.position.id, limit=200).json()
    assert body["total"] == 10_000 and len(body["items"]) == 200
    assert [r["rank"] for r in body["items"]] == list(range(1, 201))
