"""HR leads (issue 19): navigation, first steps, the champions list, bulk resend, the status
CSV, confirming a withdrawal, what happened to each invitation; applicants' home page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import Invitation, Membership, OrgRole, OutboxMessage, SchemeStatus, utcnow
from portal.services.champion_list import PAGE_SIZE
from tests.conftest import csrf_token
from tests.factories import (
    make_application,
    make_member_organisation,
    make_site,
    make_user,
    sync_courses,
)
from tests.views.test_champions import invite
from tests.views.test_training import FIXTURES


@pytest.fixture
def org(session):
    return make_member_organisation(session, name="Wirral Works")


@pytest.fixture
def hr(session, org, signed_in):
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD,
                               full_name="Hana Lead"))


def test_hr_leads_have_your_organisation_in_the_navigation(hr, org) -> None:
    html = hr.get("/training").get_data(as_text=True)
    nav = html.split('class="govuk-service-navigation', 1)[1].split("</nav>", 1)[0]
    assert f'href="/organisations/{org.id}"' in nav and "Your organisation" in nav


def test_champions_do_not(session, org, signed_in) -> None:
    client = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    assert "Your organisation" not in client.get("/training").get_data(as_text=True)


def test_first_steps_show_until_done(session, hr, org) -> None:
    html = hr.get("/dashboard").get_data(as_text=True)
    steps = html.split(f'id="first-steps-{org.id}"', 1)[1].split("</ul>", 1)[0]
    assert "You have done 1 of 4" in html  # the sites came with the application
    for title in ("Invite your first champion", "Start recording your policy",
                  "Set up your signposting card"):
        assert title in steps
    invite(hr, org, email="first@example.org")
    org.champion_contact = "champions@example.org"
    session.commit()
    path = f"/organisations/{org.id}/policy/written-policy"
    hr.post(path, data={"csrf_token": csrf_token(hr, path), "status": "in_progress",
                        "version": "0"})
    assert "first-steps" not in hr.get("/dashboard").get_data(as_text=True)


def test_first_steps_are_not_shown_before_approval(session, signed_in) -> None:
    _, applicant = make_application(session)
    html = signed_in(applicant).get("/dashboard").get_data(as_text=True)
    assert "first-steps" not in html
    assert "Your application for" in html and "Being checked" in html


def test_a_declined_applicant_sees_the_reason_and_no_actions(session, signed_in) -> None:
    organisation, applicant = make_application(session)
    organisation.scheme_status = SchemeStatus.DECLINED
    organisation.status_reason = "outside_area"
    organisation.status_changed_at = utcnow()
    client = signed_in(applicant)
    home = client.get("/dashboard").get_data(as_text=True)
    assert "Declined" in home and "outside the scheme’s area" in home.replace("&#39;", "’")
    page = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert "outside the scheme" in page and 'href="/contact"' in page
    for action in ("See and invite champions", "Add a site", ">Change<", "Remove"):
        assert action not in page, action


def many_champions(session, org, count: int) -> None:
    depot = make_site(session, org, name="Depot")
    for number in range(count):
        user = make_user(session, full_name=f"Champion {number:04d}")
        session.add(Membership(user=user, organisation=org, role=OrgRole.CHAMPION,
                               site=depot if number % 2 else None))
    session.commit()


def test_the_list_searches_filters_sorts_and_pages(session, hr, org) -> None:
    many_champions(session, org, PAGE_SIZE * 10 + 7)
    path = f"/organisations/{org.id}/champions"
    first = hr.get(path).get_data(as_text=True)
    assert f"Showing 1 to {PAGE_SIZE} of {PAGE_SIZE * 10 + 7:,} champions" in first
    assert "Champion 0000" in first and f"Champion {PAGE_SIZE:04d}" not in first
    last = hr.get(path + "?page=11").get_data(as_text=True)
    assert f"Showing {PAGE_SIZE * 10 + 1:,} to {PAGE_SIZE * 10 + 7:,}" in last
    found = hr.get(path + "?q=champion+0123").get_data(as_text=True)
    assert "Showing 1 to 1 of 1 champion matching" in found and "Champion 0123" in found
    depot = next(s for s in org.sites if s.name == "Depot")
    at_depot = hr.get(f"{path}?site={depot.id}").get_data(as_text=True)
    assert f"of {(PAGE_SIZE * 10 + 7) // 2:,} champions matching" in at_depot
    assert "Champion 0000" not in at_depot
    backwards = hr.get(f"{path}?sort=since&status=Not+started").get_data(as_text=True)
    assert backwards.index("Champion") >= 0
    none = hr.get(f"{path}?overdue=yes").get_data(as_text=True)
    assert "No champions match" in none
    assert hr.get(f"{path}?page=abc&site=zzz&status=%00&sort=evil").status_code == 200


def test_the_status_csv_has_statuses_and_dates_never_scores(session, hr, org) -> None:
    many_champions(session, org, 3)
    response = hr.get(f"/organisations/{org.id}/champions/training-status.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "champions-training" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Name", "Site", "Job title", "Champion since", "Training status"]
    assert not any("score" in cell.lower() or "attempt" in cell.lower() for cell in rows[0])
    assert len(rows) == 4 and rows[1][4] == "Not started"


def test_champions_cannot_download_the_csv(session, org, signed_in) -> None:
    client = signed_in(make_user(session, organisation=org, role=OrgRole.CHAMPION))
    assert client.get(f"/organisations/{org.id}/champions/training-status.csv") \
        .status_code == 403


def test_withdrawing_an_invitation_asks_first(session, hr, org) -> None:
    invite(hr, org, email="maybe@example.org", full_name="Maybe Later")
    invitation = session.scalar(select(Invitation))
    path = f"/organisations/{org.id}/invitations/{invitation.id}/revoke"
    page = hr.get(path).get_data(as_text=True)
    assert "Withdraw the invitation to Maybe Later?" in page
    session.refresh(invitation)
    assert invitation.revoked_at is None
    hr.post(path, data={"csrf_token": csrf_token(hr, path)})
    listing = hr.get(f"/organisations/{org.id}/champions").get_data(as_text=True)
    assert "Withdrawn on" in listing and "the link no longer works" in listing


def test_bulk_resend_sends_the_selected_invitations(session, hr, org) -> None:
    for number in range(3):
        invite(hr, org, email=f"person{number}@example.org", full_name=f"Person {number}")
    ids = [str(i) for i in session.scalars(select(Invitation.id).order_by(Invitation.id))]
    path = f"/organisations/{org.id}/champions"
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    response = hr.post(f"{path}/invitations/resend",
                       data={"csrf_token": csrf_token(hr, path), "invitation": ids[:2]},
                       follow_redirects=True)
    assert "2 invitations sent again" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before + 2


def test_bulk_resend_ignores_other_organisations_invitations(session, hr, org,
                                                             signed_in) -> None:
    other = make_member_organisation(session)
    other_hr = signed_in(make_user(session, organisation=other, role=OrgRole.HR_LEAD))
    invite(other_hr, other, email="theirs@example.org")
    theirs = session.scalar(select(Invitation.id))
    path = f"/organisations/{org.id}/champions"
    response = hr.post(f"{path}/invitations/resend",
                       data={"csrf_token": csrf_token(hr, path), "invitation": [str(theirs)]},
                       follow_redirects=True)
    assert "sent again" not in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Invitation, theirs).resends_on_day == 0


def test_bulk_resend_with_nothing_selected_says_so(hr, org) -> None:
    path = f"/organisations/{org.id}/champions"
    response = hr.post(f"{path}/invitations/resend", data={"csrf_token": csrf_token(hr, path)},
                       follow_redirects=True)
    assert "Select the invitations to send again" in response.get_data(as_text=True)


def test_assigned_by_names_the_hr_lead(session, hr, org) -> None:
    sync_courses(session, FIXTURES)
    champion = make_user(session, organisation=org, role=OrgRole.CHAMPION)
    session.commit()
    path = f"/organisations/{org.id}/assignments/new"
    page = hr.get(path).get_data(as_text=True)
    training = page.split('name="training" type="radio" value="', 1)[1].split('"', 1)[0]
    due = utcnow().date() + timedelta(days=30)
    response = hr.post(path, data={"csrf_token": csrf_token(hr, path), "training": training,
                                   "who": "some", "champions": [str(champion.memberships[0].id)],
                                   "due_on": [str(due.day), str(due.month), str(due.year)]})
    assert response.status_code == 303
    listing = hr.get(f"/organisations/{org.id}/assignments").get_data(as_text=True)
    assert "Hana Lead" in listing and "An HR lead" not in listing
