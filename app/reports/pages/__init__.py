"""Staff pages on top of the report services: a position's pipeline (with the invitation
form) and its funnel, a candidate's report with decisions, the comparison of 2–5 candidates,
and their CSV / XLSX / PDF exports, one module per page (:mod:`.common` holds what they share).

Numbers come from :mod:`app.reports.pipeline` and :mod:`app.reports.service` unchanged;
these modules only choose what a page shows and word it (:mod:`app.reports.wording`).
"""

from fastapi import APIRouter

from app.reports.pages import compare, decision, exports, funnel, pipeline, report

router = APIRouter(include_in_schema=False)
for _page in (funnel, pipeline, exports, report, decision, compare):
    router.include_router(_page.router)
