"""Every form checks every field in one pass (issue 19, acceptance 2).

Each form is submitted twice: empty, and with every field wrong at once. Each time the page
must show one error summary listing an error for every field, and the database must be exactly
as it was before: nothing saved, no audit event, no e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal import clock
from portal.models import Base, OrgRole
from portal.services.organisations import REGISTERED_NUMBER_MESSAGE
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_user
from tests.joining_steps import ACCOUNT, post_step
from tests.views.test_champions import emails, invite, link_in

LONG = "x" * 600
ON_TWO_LINES = "Sam\tSmith"
EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


@dataclass
class Case:
    """One form: who opens it, where, and for each submission the errors the summary must list,
    as (the field the error links to, words in the message)."""

    name: str
    opener: str  # "public", "hr", "invitee", "join"
    path: Callable[[dict], str]
    empty: list[tuple[str, str]]
    wrong_data: dict = field(default_factory=dict)
    wrong: list[tuple[str, str]] = field(default_factory=list)
    method: str = "post"


def _future(days: int) -> list[str]:
    day = clock.today() + timedelta(days=days)
    return [str(day.day), str(day.month), str(day.year)]


CASES = [
    Case("join account", "public", lambda w: "/join/account",
         empty=[("full_name", "Enter your full name"),
                ("email", "Enter your work email address"), ("password", "Enter a password")],
         wrong_data={"full_name": ON_TWO_LINES, "email": "not-an-email", "password": "short"},
         wrong=[("full_name", "must be on one line"), ("email", EMAIL_MESSAGE),
                ("password", "12 characters or more")]),
    Case("join account, weak password", "public", lambda w: "/join/account",
         empty=[("full_name", "Enter your full name"),
                ("email", "Enter your work email address"), ("password", "Enter a password")],
         wrong_data={"full_name": "", "email": "hana@", "password": "password1234"},
         wrong=[("full_name", "Enter your full name"), ("email", EMAIL_MESSAGE),
                ("password", "harder to guess")]),
    Case("join organisation", "join", lambda w: "/join/organisation",
         empty=[("name", "Enter the organisation’s name"),
                ("sector", "Select the organisation’s sector"),
                ("listed_publicly", "Select yes if the organisation should appear")],
         wrong_data={"name": ON_TWO_LINES, "registered_number": "12?"},
         wrong=[("name", "must be on one line"), ("registered_number", REGISTERED_NUMBER_MESSAGE),
                ("sector", "Select the organisation’s sector"),
                ("listed_publicly", "Select yes if the organisation should appear")]),
    Case("join site", "join", lambda w: "/join/sites/add",
         empty=[("name", "Enter the site’s name"), ("borough", "Select where the site is"),
                ("headcount", "Enter the number of staff at the site")],
         wrong_data={"name": LONG, "headcount": "lots"},
         wrong=[("name", "120 characters or fewer"), ("borough", "Select where the site is"),
                ("headcount", "whole number")]),
    Case("join commitment", "join", lambda w: "/join/commitment",
         empty=[("signatory_name", "Enter the full name of the person signing"),
                ("signatory_job_title", "Enter the job title of the person signing"),
                ("agree", "Confirm that the organisation agrees")],
         wrong_data={"signatory_name": ON_TWO_LINES, "signatory_job_title": LONG},
         wrong=[("signatory_name", "must be on one line"),
                ("signatory_job_title", "100 characters or fewer"),
                ("agree", "Confirm that the organisation agrees")]),
    Case("accept invitation", "invitee", lambda w: w["link"],
         empty=[("full_name", "Enter your full name"), ("password", "Enter a password")],
         wrong_data={"full_name": LONG, "password": "too short"},
         wrong=[("full_name", "200 characters or fewer"), ("password", "12 characters or more")]),
    Case("policy element", "hr", lambda w: f"/organisations/{w['org_id']}/policy/written-policy",
         empty=[("status", "Select where the organisation is with this")],
         wrong_data={"status": "in_place", "in_place_on": _future(30),
                     "review_on": ["1", "13", "2030"], "evidence_note": LONG,
                     "document": (b"just some text", "policy.pdf")},
         wrong=[("in_place_on", "must be today or in the past"),
                ("review_on", "must be a real date"),
                ("evidence_note", "500 characters or fewer"), ("document", "")]),
    Case("contact route", "hr",
         lambda w: f"/organisations/{w['org_id']}/signposting-card/contact",
         empty=[("champion_contact", "Enter how staff can reach your champions at work")],
         wrong_data={"champion_contact": "Ring Sam on 07700 900123"},
         wrong=[("champion_contact", "not a mobile number")]),
    Case("invite a champion", "hr", lambda w: f"/organisations/{w['org_id']}/champions/invite",
         empty=[("full_name", "Enter the champion’s full name"),
                ("email", "Enter the champion’s work email address"),
                ("site", "Select the champion’s site")],
         wrong_data={"full_name": ON_TWO_LINES, "email": "no-at-sign", "job_title": LONG},
         wrong=[("full_name", "must be on one line"), ("email", EMAIL_MESSAGE),
                ("site", "Select the champion’s site"), ("job_title", "100 characters")]),
    Case("invite an HR lead", "hr", lambda w: f"/organisations/{w['org_id']}/hr-leads/invite",
         empty=[("full_name", "Enter the HR lead’s full name"),
                ("email", "Enter the HR lead’s work email address")],
         wrong_data={"full_name": LONG, "email": "lead@all-errors.example", "job_title": LONG},
         wrong=[("full_name", "200 characters or fewer"),
                ("email", "already has a role in your organisation"),
                ("job_title", "100 characters")]),
    Case("change password", "hr", lambda w: "/account/password",
         empty=[("current_password", "Enter your current password"),
                ("password", "Enter a new password")],
         wrong_data={"current_password": "not my password at all", "password": "short"},
         wrong=[("current_password", "Your current password is not correct"),
                ("password", "12 characters or more")]),
    Case("change your name", "hr", lambda w: "/account/name",
         empty=[("full_name", "Enter your full name")],
         wrong_data={"full_name": ON_TWO_LINES},
         wrong=[("full_name", "must be on one line")]),
    Case("change your email address", "hr", lambda w: "/account/email",
         empty=[("email", "Enter your new email address"), ("password", "Enter your password")],
         wrong_data={"email": "not an address", "password": "not my password at all"},
         wrong=[("email", EMAIL_MESSAGE), ("password", "Your password is not correct")]),
    Case("check a certificate or membership", "public", lambda w: "/verify", method="get",
         empty=[("code", "Enter the verification code"),
                ("organisation", "Enter the organisation’s name")]),
]


def snapshot(session: Session) -> dict[str, list]:
    """Every row of every table: anything saved, changed or queued shows as a difference."""
    session.expire_all()
    return {table.name: sorted(map(repr, session.execute(sa.select(table)).all()))
            for table in Base.metadata.sorted_tables}


def summary_items(html: str) -> list[tuple[str, str]]:
    assert html.count('class="govuk-error-summary"') == 1, "expected exactly one error summary"
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([\w-]+)">\s*(.*?)\s*</a>', summary, re.S)


def lists_every_error(items: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    fields = [target.split("-")[0] for target, _ in items]
    assert sorted(fields) == sorted(name for name, _ in expected), items
    for name, words in expected:
        message = next(text for target, text in items if target.split("-")[0] == name)
        assert words.replace("’", "&#39;") in message.replace("’", "&#39;") \
            or words in message.replace("&#39;", "’"), (name, message)


@pytest.fixture
def world(session, signed_in, app) -> dict:
    org = make_member_organisation(session, name="All Errors Ltd")
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD,
                   email="lead@all-errors.example")
    hr_client = signed_in(hr)
    invite(hr_client, org, email="new.person@all-errors.example", full_name="New Person")
    joiner = app.test_client()
    assert post_step(joiner, "/join/account", ACCOUNT).status_code == 303
    return {"org_id": org.id, "link": link_in(emails(session)[-1]),
            "clients": {"hr": hr_client, "public": app.test_client(),
                        "invitee": app.test_client(), "join": joiner}}


def submit(world: dict, case: Case, data: dict):  # noqa: ANN201 - a test response
    client: FlaskClient = world["clients"][case.opener]
    path = case.path(world)
    if case.method == "get":
        return client.get(path, query_string={"code": "", "organisation": " ", **data})
    # A file goes as a fresh stream each time: the client closes what it sends, and the cases
    # are shared by every backend's run.
    files = {name: (BytesIO(value[0]), value[1]) for name, value in data.items()
             if isinstance(value, tuple)}
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data, **files},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@pytest.mark.parametrize("how", ["empty", "every field wrong"])
def test_one_summary_lists_every_error_and_nothing_is_saved(session, world, case: Case,
                                                            how: str) -> None:
    if how == "every field wrong" and not case.wrong_data:
        pytest.skip("a search form: empty is the only wrong input")
    client = world["clients"][case.opener]
    client.get(case.path(world))  # the page opens before anything is compared
    before = snapshot(session)
    data, expected = ({}, case.empty) if how == "empty" else (case.wrong_data, case.wrong)
    response = submit(world, case, dict(data))
    assert response.status_code in (200, 400), response.status_code
    html = response.get_data(as_text=True)
    lists_every_error(summary_items(html), expected)
    assert "Error: " in html.split("</title>")[0]
    assert snapshot(session) == before
