"""Names with HTML or formula characters are shown as text on every page and in every e-mail."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from portal.mail import Claimed, build_message
from portal.models import Invitation, Organisation, OrgRole, OutboxMessage, SchemeStatus
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_user
from tests.test_joining_access import MATRIX, TOKEN, build_world

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>=HYPERLINK("x")'


def make_everything_hostile(session) -> None:  # noqa: ANN001
    for organisation in session.scalars(select(Organisation)):
        organisation.name = f"{HOSTILE} Org {organisation.id}"
        for site in organisation.sites:
            site.name = f"{HOSTILE} Site {site.id}"
        for membership in organisation.memberships:
            membership.user.full_name = f"{HOSTILE} Person {membership.user_id}"
            membership.job_title = HOSTILE[:100]
    for invitation in session.scalars(select(Invitation)):
        invitation.full_name = HOSTILE
    session.commit()


def assert_escaped(html: str, where: str) -> None:
    assert "<script>alert(1)" not in html and "<img src=x" not in html, where
    assert 'onerror=alert(2)>' not in html.replace("&gt;", ""), where


def assert_no_formulas(text: str, where: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], where


def test_every_page_escapes_names(session, signed_in) -> None:
    world = build_world(session)
    make_everything_hostile(session)
    seen_escaped = 0
    for role in ("hr_a", "coordinator"):
        client = signed_in(world.people[role])
        for endpoint, (method, template, _) in MATRIX.items():
            if method != "GET":
                continue
            response = client.get(template.format(**world.ids))
            html = response.get_data(as_text=True)
            if response.mimetype == "text/csv":  # names as typed, but never a formula
                assert_no_formulas(html, f"{role} {endpoint}")
                continue
            assert_escaped(html, f"{role} {endpoint}")
            seen_escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert_escaped(client.get("/dashboard").get_data(as_text=True), f"{role} dashboard")
    assert seen_escaped >= 15  # the names really were on the pages, escaped
    page = signed_in(make_user(session)).get("/accept-invitation/" + TOKEN)
    assert_escaped(page.get_data(as_text=True), "accept (another person)")


def test_every_email_is_plain_text_with_names_as_typed(session, signed_in, app) -> None:
    """E-mails have no HTML part, so names appear literally and nothing can render."""
    org = make_member_organisation(session, name=f"{HOSTILE} Ltd",
                                   scheme_status=SchemeStatus.APPLIED)
    hr = make_user(session, organisation=org, role=OrgRole.HR_LEAD, full_name=HOSTILE)
    coordinator = signed_in(make_user(session, is_coordinator=True))
    hr_client = signed_in(hr)
    token = csrf_token(coordinator, "/dashboard")
    coordinator.post(f"/coordinator/organisations/{org.id}/approve", data={"csrf_token": token})
    path = f"/organisations/{org.id}/champions/invite"
    hr_client.post(path, data={"csrf_token": csrf_token(hr_client, path), "full_name": HOSTILE,
                               "email": "x@example.org", "site": str(org.sites[0].id)})
    suspend = f"/coordinator/organisations/{org.id}/suspend"
    coordinator.post(suspend, data={"csrf_token": token, "reason": "other"})
    messages = session.scalars(select(OutboxMessage)).all()
    assert {m.kind for m in messages} == {"application_decision", "invitation",
                                          "membership_status"}
    for message in messages:
        assert HOSTILE in message.body_text or f"{HOSTILE} Ltd" in message.body_text
        assert not re.search(r"[<>]", message.subject) and "\n" not in message.subject
    with app.app_context():
        built = build_message(Claimed(1, "x@example.org", messages[0].subject,
                                      messages[0].body_text, 0, "t"))
    assert built.get_content_type() == "text/plain" and not built.is_multipart()
