"""The pages the benchmark measures: one entry each, in a table.

An entry says what the page is called in the results, how to build its URL from the seeded data
(`Fixtures`), and who is signed in. Adding a page is one line in PAGES, for example:

    Page("coordinator_dashboard", lambda f: "/coordinator/dashboard", COORDINATOR),

A name in REQUIRED without an entry is reported as "not built yet" (null in the results file).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import seeding as scale
from portal.forms.filters import parse_search
from portal.models import Course, Module, Organisation, User
from portal.services import organisation_search

LEARNER, HR_LEAD, COORDINATOR = "learner", "hr_lead", "coordinator"
EMAILS = {LEARNER: scale.LEARNER_EMAIL, HR_LEAD: scale.HR_LEAD_EMAIL,
          COORDINATOR: scale.COORDINATOR_EMAIL}
GET, QUIZ_SUBMIT = "GET", "quiz_submit"  # the quiz POST needs a fresh attempt for every request
LIST_PAGE_SIZE = 50  # portal.services.organisations.organisations_page


@dataclass(frozen=True)
class Fixtures:
    """Ids in the seeded database that page URLs are built from."""

    bench_organisation_id: int
    module_id: int  # the first module of the champions' course
    organisations_listed: int  # in the coordinator's list with no filters (its default view)
    # The last organisation on the page before the middle one: the middle page's link names it
    # (`?after=<id>&page=<n>`, keyset pagination), as the list's own "next" link would.
    organisations_middle_after: int | None = None

    @property
    def organisations_last_page(self) -> int:
        return max(1, math.ceil(self.organisations_listed / LIST_PAGE_SIZE))

    @property
    def organisations_middle_page(self) -> int:
        """The page furthest from both ends (the last is read from the other end of the sort)."""
        return max(1, (self.organisations_last_page + 1) // 2)

    @property
    def organisations_middle_url(self) -> str:
        if self.organisations_middle_after is None:
            return "/coordinator/organisations"
        return (f"/coordinator/organisations?after={self.organisations_middle_after}"
                f"&page={self.organisations_middle_page}")


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Fixtures], str]
    user: str | None = None  # LEARNER, HR_LEAD, COORDINATOR, or None for nobody signed in
    kind: str = GET
    throughput: bool = True  # also measured under load against hello world (wrk)


PAGES = [
    Page("home", lambda f: "/"),
    Page("sign_in", lambda f: "/sign-in"),
    Page("your_training", lambda f: "/training", LEARNER),
    Page("module", lambda f: f"/training/modules/{f.module_id}", LEARNER),
    Page("quiz_submit", lambda f: "/training/attempts/<attempt>", LEARNER, kind=QUIZ_SUBMIT),
    # The HR lead dashboard (issue 6), for the organisation with 500 champions.
    Page("hr_dashboard", lambda f: f"/organisations/{f.bench_organisation_id}", HR_LEAD),
    Page("coordinator_dashboard", lambda f: "/coordinator/dashboard", COORDINATOR),
    Page("coordinator_dashboard_filtered",
         lambda f: "/coordinator/dashboard?borough=liverpool&sector=private", COORDINATOR,
         throughput=False),
    Page("organisations_list", lambda f: "/coordinator/organisations", COORDINATOR),
    Page("organisations_list_search", lambda f: "/coordinator/organisations?search=harbour",
         COORDINATOR, throughput=False),
    Page("organisations_list_status", lambda f: "/coordinator/organisations?status=lapsed",
         COORDINATOR, throughput=False),
    Page("organisations_list_middle_page", lambda f: f.organisations_middle_url,
         COORDINATOR, throughput=False),
    Page("organisations_list_last_page",
         lambda f: f"/coordinator/organisations?page={f.organisations_last_page}",
         COORDINATOR, throughput=False),
]

# Every name the results need.
REQUIRED = ("home", "sign_in", "your_training", "module", "quiz_submit", "hr_dashboard",
            "coordinator_dashboard", "organisations_list")
RATIO_PAGES = ("home", "sign_in", "your_training", "module", "quiz_submit", "hr_dashboard",
               "coordinator_dashboard")


def pending() -> list[str]:
    names = {page.name for page in PAGES}
    return [name for name in REQUIRED if name not in names]


def load_fixtures(session: Session) -> Fixtures:
    bench = session.scalar(select(Organisation.id).where(
        Organisation.name == scale.BENCH_ORGANISATION).order_by(Organisation.id.desc()).limit(1))
    module = session.scalar(
        select(Module.id).join(Course, Course.id == Module.course_id)
        .where(Course.audience.in_(["champion", "all"]), Course.retired_at.is_(None),
               Module.retired_at.is_(None), Module.current_version_id.is_not(None))
        .order_by(Course.id, Module.position).limit(1))
    default_view, _errors = parse_search({})
    found = organisation_search.matching(default_view)
    listed = session.scalar(select(func.count()).select_from(found)) or 0
    fixtures = Fixtures(bench_organisation_id=bench, module_id=module,
                        organisations_listed=listed)
    before_middle = (fixtures.organisations_middle_page - 1) * LIST_PAGE_SIZE
    after = session.scalar(organisation_search.ordered(select(found.c.id), found,
                                                       default_view.sort)
                           .offset(before_middle - 1).limit(1)) if before_middle else None
    return dataclasses.replace(fixtures, organisations_middle_after=after)


def principal(session: Session, role: str) -> User:
    user = session.scalar(select(User).where(User.email == EMAILS[role]))
    if user is None:
        raise LookupError(f"{EMAILS[role]} is missing: the database was not seeded by seed-scale")
    return user
