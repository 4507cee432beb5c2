"""The floor serves the same "Your training" page as the portal (bench/floor.py), so the ratio
of the two measures the portal's overheads and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bench import floor
from bench.sessions import session_cookie
from portal.models import Assignment, utcnow
from tests.conftest import PER_REQUEST, make_app
from tests.factories import make_member_organisation, sync_courses
from tests.training_steps import REAL_COURSES, load_basics, make_champion, pass_module, start_module

pytestmark = pytest.mark.pg


def _same_page(html: str) -> str:
    return re.sub(r"\s+", " ", PER_REQUEST.sub("", html)).replace("> <", "><").strip()


def _pages(app, users) -> list[tuple[str, str]]:  # noqa: ANN001 - app and users of the test
    floor_app = floor.create_app(app.config["DATABASE_URL"], app.config["SECRET_KEY"],
                                 app.config["SESSION_COOKIE_NAME"])
    pages = []
    for user in users:
        cookie = session_cookie(app, user)[0]  # as the benchmark signs people in
        portal = app.test_client(use_cookies=False).get("/training", headers={"Cookie": cookie})
        assert portal.status_code == 200
        served = floor_app.test_client(use_cookies=False).get("/training",
                                                              headers={"Cookie": cookie})
        assert served.status_code == 200
        assert served.headers["Content-Security-Policy"].split("'nonce-")[0] \
            == portal.headers["Content-Security-Policy"].split("'nonce-")[0]
        pages.append((_same_page(portal.get_data(as_text=True)),
                      _same_page(served.get_data(as_text=True))))
    floor_app.extensions["floor.engine"].dispose()
    return pages


def test_the_floor_serves_the_portals_html_for_every_kind_of_progress(pg_url: str) -> None:
    app = make_app(pg_url)
    try:
        with app.extensions["portal.sessionmaker"]() as session:
            sync_courses(session, REAL_COURSES)
            _, modules = load_basics(session)
            organisation = make_member_organisation(session, name="Floor & Partners")
            now = utcnow()
            busy = make_champion(session, organisation)  # required courses assigned, due later
            first, second = list(modules.values())[:2]
            pass_module(session, busy, first)
            start_module(session, busy, second)
            lapsed = make_champion(session, organisation)
            pass_module(session, lapsed, first, when=now - relativedelta(months=25))
            for assignment in session.scalars(select(Assignment).where(
                    Assignment.user_id == lapsed.id)):
                assignment.due_on = (now - timedelta(days=3)).date()  # overdue
            refresher = make_champion(session, organisation, assign=False)
            pass_module(session, refresher, second, when=now - relativedelta(months=25))
            certified = make_champion(session, organisation, assign=False)
            for module in modules.values():  # the last pass earns the course's certificate
                pass_module(session, certified, module)
            nobody = make_champion(session, make_member_organisation(session), assign=False)
            for membership in nobody.memberships:
                membership.withdrawn_at = now  # no current role: no training
            session.commit()
            users = [busy, lapsed, refresher, certified, nobody]
            pages = _pages(app, users)
    finally:
        app.extensions["portal.engine"].dispose()
    for portal_html, floor_html in pages:
        assert floor_html == portal_html
    kinds = " ".join(portal for portal, _ in pages)
    for shown in ("Passed", "In progress", "Overdue", "Needs refresher", "Not started",
                  "View your certificate", "You have no training at the moment",
                  "Floor &amp; Partners"):
        assert shown in kinds, shown
