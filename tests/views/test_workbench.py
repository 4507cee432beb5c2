"""The coordinator's workbench: work queues on the home page, notes on organisations, the outbox
and its retry button, and the catalogue's health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bench.sqlcount import count_statements as statements_of
from portal import clock
from portal.models import (
    AttemptStatus,
    AuditEvent,
    ElementStatus,
    Membership,
    Module,
    ModuleVersion,
    OrganisationNote,
    OrgRole,
    OutboxMessage,
    OutboxStatus,
    PolicyElementRecord,
    QuizAttempt,
    SchemeStatus,
    User,
    Verification,
)
from portal.services.policy_framework import WRITTEN_POLICY
from portal.services.subject_rights import personal_data
from tests.conftest import csrf_token, visible_text
from tests.factories import (
    make_application,
    make_course,
    make_member_organisation,
    make_support_service,
    make_user,
)


@pytest.fixture
def coordinator(session) -> User:
    return make_user(session, is_coordinator=True, full_name="Cora Ordinator")


@pytest.fixture
def client(signed_in, coordinator) -> FlaskClient:
    return signed_in(coordinator)


def queue_count(html: str, queue: str) -> str:
    start = html.index("<dd", html.index(f'id="queue-{queue}"'))
    value = html[start:html.index("</dd>", start)]
    return visible_text(value).split()[0]


def queue_link(html: str, queue: str) -> str:
    start = html.index(f'id="queue-{queue}"')
    href = html.index('href="', start) + len('href="')
    return html[href:html.index('"', href)].replace("&amp;", "&")


def count_statements(app: Flask, client: FlaskClient, path: str) -> int:
    with statements_of(app.extensions["portal.engine"]) as log:
        assert client.get(path).status_code == 200
    return log.count


def add_work(session, *, copies: int = 1) -> None:
    """One of everything the queues count (times `copies`), and some that they must not."""
    now, today = clock.now(), clock.today()
    for _ in range(copies):
        make_application(session, submitted_at=now - timedelta(days=20))  # waiting long
        make_application(session, submitted_at=now - timedelta(days=1))
        member = make_member_organisation(session, renewal_due_on=today + timedelta(days=30))
        make_member_organisation(session, renewal_due_on=today + timedelta(days=200))
        make_member_organisation(session, scheme_status=SchemeStatus.LAPSED,
                                 status_changed_at=now - timedelta(days=3))
        make_member_organisation(session, scheme_status=SchemeStatus.LAPSED,
                                 status_changed_at=now - timedelta(days=90))
        session.add_all([
            PolicyElementRecord(organisation_id=member.id, element_key=WRITTEN_POLICY,
                                status=ElementStatus.IN_PLACE, in_place_on=today,
                                review_on=today - timedelta(days=2)),
            OutboxMessage(kind="invitation", to_address="failed@example.org", subject="Hello",
                          body_text="Private text of the message", status=OutboxStatus.FAILED,
                          attempts=5, last_error="550 mailbox unavailable"),
            OutboxMessage(kind="invitation", to_address="sent@example.org", subject="Hello",
                          body_text="Sent text", status=OutboxStatus.SENT, sent_at=now),
        ])
        make_support_service(session, last_checked_at=today - timedelta(days=200))
        make_support_service(session)
    session.commit()


def test_each_queue_counts_its_work_and_links_to_a_list_of_exactly_that(client,
                                                                        session) -> None:
    add_work(session)
    html = client.get("/dashboard").get_data(as_text=True)
    expected = {"applications": "2", "applications-long": "1", "evidence": "1",
                "renewals": "1", "lapsed": "1", "reviews": "1", "emails": "1", "services": "1"}
    assert {queue: queue_count(html, queue) for queue in expected} == expected
    listed = {queue: visible_text(client.get(queue_link(html, queue)).get_data(as_text=True))
              for queue in expected}
    assert "2 waiting for a decision" in listed["applications"]
    assert "1 waiting for a decision for more than 14 days" in listed["applications-long"]
    assert "1 waiting" in listed["evidence"]
    assert "1 organisation" in listed["renewals"] and "Renewal due by" in listed["renewals"]
    assert "1 organisation" in listed["lapsed"] and "Lapsed since" in listed["lapsed"]
    assert "1 overdue" in listed["reviews"]
    assert "1 email: failed" in listed["emails"]
    assert "550 mailbox unavailable" in listed["emails"]
    assert "Private text" not in listed["emails"]


def test_the_home_page_costs_the_same_statements_however_much_work_waits(app, client,
                                                                         session) -> None:
    add_work(session)
    few = count_statements(app, client, "/dashboard")
    add_work(session, copies=4)
    assert count_statements(app, client, "/dashboard") == few
    assert queue_count(client.get("/dashboard").get_data(as_text=True), "renewals") == "5"


def test_queue_lists_cost_the_same_statements_however_long(app, client, session) -> None:
    add_work(session)
    paths = ["/coordinator/policy/reviews-overdue", "/coordinator/outbox?status=failed",
             "/coordinator/outbox", "/coordinator/applications?waiting=14",
             "/coordinator/organisations?status=lapsed&lapsed_since="
             + (clock.today() - timedelta(days=30)).isoformat()]
    few = {path: count_statements(app, client, path) for path in paths}
    add_work(session, copies=3)
    assert {path: count_statements(app, client, path) for path in paths} == few


def test_people_who_are_not_coordinators_see_no_queues(session, signed_in) -> None:
    organisation = make_member_organisation(session)
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    html = signed_in(hr_lead).get("/dashboard").get_data(as_text=True)
    assert "Work waiting for you" not in html
    assert signed_in(hr_lead).get("/coordinator/outbox").status_code == 404


def test_a_failed_email_can_be_sent_again_once_and_it_is_audited(client, session,
                                                                  coordinator) -> None:
    add_work(session)
    message = session.scalar(select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.FAILED))
    path = f"/coordinator/outbox/{message.id}/retry"
    token = csrf_token(client, "/coordinator/outbox?status=failed")
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 303
    session.expire_all()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "email.retried"))
    assert event.actor_id == coordinator.id and event.target_id == message.id
    again = client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be sent again" in again.get_data(as_text=True)
    assert client.post(path).status_code == 400  # no CSRF token


def test_notes_are_dated_attributed_audited_and_in_the_authors_export(client, session,
                                                                      coordinator) -> None:
    organisation = make_member_organisation(session, name="Wirral Widgets")
    session.commit()
    path = f"/coordinator/organisations/{organisation.id}/notes"
    page = client.get(path).get_data(as_text=True)
    assert "Never write anything about any person’s situation" in page
    token = csrf_token(client, path)
    refused = client.post(path, data={"csrf_token": token, "body": "x" * 1001})
    text = visible_text(refused.get_data(as_text=True))
    assert refused.status_code == 200
    assert "Select what kind of contact it was" in text
    assert "The note must be 1,000 characters or fewer" in text
    assert session.scalar(select(OrganisationNote)) is None
    response = client.post(path, data={"csrf_token": token, "kind": "call",
                                       "body": "Agreed a briefing for champions in March."})
    assert response.status_code == 303
    text = visible_text(client.get(path).get_data(as_text=True))
    assert "Phone or video call" in text and "by Cora Ordinator" in text
    assert "Agreed a briefing for champions in March." in text
    trail = visible_text(client.get(f"/coordinator/organisations/{organisation.id}/audit")
                         .get_data(as_text=True))
    assert "Note added" in trail
    rows = personal_data(session, session.get(User, coordinator.id))["organisation_note"]
    assert [row["body"] for row in rows] == ["Agreed a briefing for champions in March."]


def attempts(session, version: ModuleVersion, people: int, *, tries: int = 1,
             passed_last: bool = True) -> None:
    organisation = make_member_organisation(session)
    for _ in range(people):
        person = make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
        for number in range(tries):
            passed = passed_last and number == tries - 1
            session.add(QuizAttempt(user_id=person.id, module_id=version.module_id,
                                    module_version_id=version.id, drawn=[],
                                    status=AttemptStatus.SUBMITTED, score=100 if passed else 0,
                                    passed=passed, submitted_at=clock.now()))
    session.flush()


@pytest.fixture
def versions(session) -> tuple[ModuleVersion, ModuleVersion]:
    course = make_course(session, title="Champions’ essentials")
    module = Module(key="listening", course_id=course.id)
    session.add(module)
    session.flush()
    old = ModuleVersion(module_id=module.id, version=1, content_hash="a" * 64,
                        title="Listening well", body_html="", pass_mark=80, questions=[],
                        created_at=clock.now() - timedelta(days=40))
    new = ModuleVersion(module_id=module.id, version=2, content_hash="b" * 64,
                        title="Listening well", body_html="", pass_mark=80, questions=[])
    session.add_all([old, new])
    session.flush()
    module.current_version_id = new.id
    session.commit()
    return old, new


def test_catalogue_health_shows_versions_and_protects_small_numbers(client, session,
                                                                    versions) -> None:
    old, new = versions
    attempts(session, old, 3)  # too few people: no rates, no number
    attempts(session, new, 10, tries=2)  # each failed once, then passed
    session.commit()
    html = client.get("/coordinator/catalogue").get_data(as_text=True)
    text = visible_text(html)
    assert "Champions’ essentials" in text and "Listening well" in text
    assert "b" * 12 in text and "a" * 12 in text and "Live" in text
    old_row = text[text.index("aaaaaaaaaaaa"):]
    assert old_row.split("Not shown")[0].count("fewer than 5") == 2
    new_row = text[text.index("bbbbbbbbbbbb"):text.index("aaaaaaaaaaaa")]
    assert "10 10 50% 2.0" in new_row
    assert " 3 " not in old_row[:60]


def test_catalogue_health_costs_the_same_statements_however_many_attempts(app, client, session,
                                                                          versions) -> None:
    old, new = versions
    attempts(session, new, 2)
    session.commit()
    few = count_statements(app, client, "/coordinator/catalogue")
    attempts(session, old, 12, tries=3)
    attempts(session, new, 8)
    session.commit()
    assert count_statements(app, client, "/coordinator/catalogue") == few


def test_a_persons_key_makes_the_same_cell_with_several_roles(session, versions) -> None:
    old, _ = versions
    attempts(session, old, 6)
    person = session.scalar(select(QuizAttempt.user_id).limit(1))
    session.add(Membership(user_id=person, organisation_id=make_member_organisation(session).id,
                           role=OrgRole.CHAMPION, record_key=0))
    session.commit()
    from portal.services.catalogue_health import catalogue_health
    (course,) = catalogue_health(session)
    figures = course.modules[0].versions[1]
    assert figures.people_taken.value == 6 and figures.attempts == 6


def test_approving_asks_to_confirm_and_keeps_an_optional_note(client, session) -> None:
    organisation, _ = make_application(session, name="Sefton Saddlers")
    session.commit()
    path = f"/coordinator/organisations/{organisation.id}/approve"
    page = visible_text(client.get(f"/coordinator/organisations/{organisation.id}")
                        .get_data(as_text=True))
    assert "Approve application" in page
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Check the details" in confirm.get_data(as_text=True)
    token = csrf_token(client, path)
    too_long = client.post(path, data={"csrf_token": token, "note": "x" * 1001})
    assert "The note must be 1,000 characters or fewer" in visible_text(
        too_long.get_data(as_text=True))
    session.expire_all()
    assert organisation.scheme_status == SchemeStatus.APPLIED
    response = client.post(path, data={"csrf_token": token,
                                       "note": "Checked the charity register by phone."})
    assert response.status_code == 303
    session.expire_all()
    assert organisation.scheme_status == SchemeStatus.APPROVED
    (note,) = session.scalars(select(OrganisationNote)).all()
    assert note.body == "Checked the charity register by phone." and note.kind == "decision"
    assert client.get(path).status_code == 303  # decided: nothing left to confirm


def awaiting(session, count: int) -> list[PolicyElementRecord]:
    records = []
    for _ in range(count):
        member = make_member_organisation(session)
        record = PolicyElementRecord(organisation_id=member.id, element_key=WRITTEN_POLICY,
                                     status=ElementStatus.IN_PLACE, in_place_on=clock.today(),
                                     evidence_note="Policy approved by the board")
        session.add(record)
        records.append(record)
    session.commit()
    return records


def test_several_elements_are_verified_together_or_none_are(client, session) -> None:
    first, second, third = awaiting(session, 3)
    token = csrf_token(client, "/coordinator/policy")
    nothing = client.post("/coordinator/policy/verify-selected", data={"csrf_token": token})
    assert "Select the evidence you have checked" in visible_text(nothing.get_data(as_text=True))
    third.version += 1  # someone changed it after the page was opened
    session.commit()
    stale = client.post("/coordinator/policy/verify-selected", data={
        "csrf_token": token, "elements": [f"{first.id}:1", f"{third.id}:1"]})
    assert stale.status_code == 409 and "Nothing was verified" in stale.get_data(as_text=True)
    session.expire_all()
    assert first.verification == Verification.UNVERIFIED
    done = client.post("/coordinator/policy/verify-selected", data={
        "csrf_token": token, "elements": [f"{first.id}:1", f"{second.id}:1"]})
    assert done.status_code == 303
    session.expire_all()
    assert [r.verification for r in (first, second, third)] == [
        Verification.VERIFIED, Verification.VERIFIED, Verification.UNVERIFIED]
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "policy.element_verified")) == 2


def certified_champions(session, organisation, count: int) -> None:
    from tests.factories import make_certificate
    site = organisation.sites[0]
    for _ in range(count):
        champion = make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
        session.flush()
        champion.memberships[0].site_id = site.id
        make_certificate(session, champion)
    session.flush()


def test_coverage_per_100_staff_and_sites_meeting_the_target(client, session) -> None:
    from portal.services.monitoring import dashboard
    from portal.services.monitoring_filters import Filters
    covered = make_member_organisation(session, name="Covered Co")
    make_member_organisation(session, name="Uncovered Co")
    certified_champions(session, covered, 6)  # 120 staff at each head office: 2 needed
    session.commit()
    headline = dashboard(session, Filters(), clock.now()).headline
    assert (headline.sites, headline.sites_meeting, headline.sites_meeting_percent) == (2, 1, 50)
    assert headline.coverage == f"{100 * headline.certified.number / 240:.1f}"
    html = visible_text(client.get("/coordinator/dashboard").get_data(as_text=True))
    assert "Sites meeting the coverage target 1 of 2 (50%)" in html
    page = visible_text(client.get(f"/coordinator/organisations/{covered.id}")
                        .get_data(as_text=True))
    assert "Coverage by site" in page and "Head office 120 2 Met" in page


def test_coverage_is_not_shown_for_fewer_than_5_champions(session) -> None:
    from portal.services.monitoring import dashboard
    from portal.services.monitoring_filters import Filters
    organisation = make_member_organisation(session)
    certified_champions(session, organisation, 3)
    session.commit()
    headline = dashboard(session, Filters(), clock.now()).headline
    assert headline.certified.hidden and headline.coverage == "Not shown"
    assert headline.sites_meeting == 1  # sites are counted exactly: 3 is enough for 120 staff
