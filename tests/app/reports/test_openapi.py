"""The pipeline and the comparison are typed responses, documented in /openapi.json; the
pages read the same models (app/reports/pages/), so what the API documents is what they show."""

from __future__ import annotations


def _response(schema: dict, path: str) -> str:
    ok = schema["paths"][path]["get"]["responses"]["200"]
    return ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_the_pipeline_and_the_comparison_are_documented_as_typed_models(client):
    schema = client.get("/openapi.json").json()
    models = schema["components"]["schemas"]

    assert _response(schema, "/api/v1/positions/{position_id}/candidates") == "PipelinePage"
    page = models["PipelinePage"]["properties"]
    assert {"total", "limit", "offset", "ranking", "items", "rankings_hidden"} <= set(page)
    assert page["items"]["items"]["$ref"].endswith("/PipelineItem")
    item = models["PipelineItem"]["properties"]
    assert {"fit_score", "band", "rank", "requirements_missed", "latest_decision"} <= set(item)

    assert _response(schema, "/api/v1/positions/{position_id}/compare") == "Comparison"
    comparison = models["Comparison"]["properties"]
    assert comparison["candidates"]["items"]["$ref"].endswith("/CandidateReport")
    assert comparison["reliability"]["$ref"].endswith("/Reliability")
    pair = models["PairDifference"]["properties"]
    assert {"reliably_different", "basis", "difference", "margin"} <= set(pair)
