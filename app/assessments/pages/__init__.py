"""The candidate's pages: landing and consent, screening, one section at a time, submit, end,
one module per page (:mod:`.common` holds what they share).

Everything works without JavaScript: the landing page is a form, each section is one form
whose answers the server saves, and the timer is printed by the server. With JavaScript
(``static/assessment.js``) every answer is also saved the moment it is given through the
candidate JSON API, unsaved answers are kept on the device and re-sent, and the timer counts
down. Domain errors become a page in the candidate's language, never JSON.
"""

from fastapi import APIRouter, Depends

from app.assessments.pages import about_you, answers, done, intro, landing, section

# The explanation pages reuse the candidate pages' error page, language and CSRF check.
from app.assessments.pages.common import (
    _candidate_page,
    _csrf_ok,
    _language,
    _refuse_csrf,
    unknown_link_page,
)
from app.ops.ratelimit import guard_candidate_token

# Unknown tokens are counted per client address (429 past the limit); valid ones pass.
router = APIRouter(
    prefix="/a", include_in_schema=False, dependencies=[Depends(guard_candidate_token)]
)
for _page in (landing, intro, section, answers, done, about_you):
    router.include_router(_page.router)

__all__ = [
    "_candidate_page", "_csrf_ok", "_language", "_refuse_csrf", "router", "unknown_link_page",
]
