"""Applying to join: question pages, check answers, e-mail confirmation and duplicate flags."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.models import (
    AuditEvent,
    CommitmentSignature,
    JoinDraft,
    Membership,
    Organisation,
    OrgRole,
    OutboxMessage,
    SchemeStatus,
    Site,
    User,
    utcnow,
)
from portal.services import joining
from portal.services.organisations import application_queue
from tests.conftest import csrf_token, sign_in
from tests.factories import make_member_organisation, make_user
from tests.joining_steps import (
    ACCOUNT,
    COMMITMENT,
    ORGANISATION,
    SITE,
    apply,
    confirmation_link,
    fill_in_application,
    post_step,
)

EMAIL = ACCOUNT["email"].lower()
TABLES = (User, Organisation, Site, Membership, CommitmentSignature, OutboxMessage, AuditEvent)


def counts(session) -> dict[str, int]:
    session.expire_all()
    return {t.__name__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_the_whole_application_waits_for_the_email_to_be_confirmed(client, session) -> None:
    response = apply(client)
    assert response.status_code == 303 and response.headers["Location"] == "/join/sent"
    assert "Check your email" in client.get("/join/sent").get_data(as_text=True)
    user = session.scalar(select(User))
    organisation = session.scalar(select(Organisation))
    assert user.email == EMAIL and user.full_name == "Hana Applicant"
    assert user.email_verified_at is None and not user.is_coordinator
    assert organisation.scheme_status == SchemeStatus.APPLIED and organisation.submitted_at is None
    assert organisation.listed_publicly and organisation.sector.value == "private"
    assert [(s.name, s.borough.value, s.headcount) for s in organisation.sites] == \
        [("Workshop", "wirral", 42)]
    assert user.role_in(organisation) == OrgRole.HR_LEAD
    signature = organisation.latest_signature
    assert (signature.version, signature.signatory_name, signature.signatory_job_title,
            signature.signed_by_id) == (1, "Sam Director", "Managing director", user.id)
    assert signature.signed_at is not None
    assert application_queue(session) == []
    assert session.scalar(select(func.count()).select_from(JoinDraft)) == 0
    [message] = session.scalars(select(OutboxMessage)).all()
    assert message.to_address == EMAIL
    assert message.subject == "Confirm your email address – Workplace Champions"


def test_confirming_the_email_sends_the_application_to_coordinators(client, session) -> None:
    apply(client)
    link = confirmation_link(session, EMAIL)
    page = client.get(link)
    assert page.status_code == 200 and "Confirm email address" in page.get_data(as_text=True)
    assert session.scalar(select(Organisation)).submitted_at is None  # a GET changes nothing
    response = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert "We have sent your application to the scheme coordinators" in \
        response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(User)).email_verified_at is not None
    [queued] = application_queue(session)
    assert queued.organisation.name == "Birkenhead Bicycles Ltd"
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["organisation.applied", "organisation.submitted"]
    again = client.get(link)
    assert "already confirmed" in again.get_data(as_text=True)


def test_confirmation_links_expire_and_cannot_be_forged(client, session) -> None:
    apply(client)
    link = confirmation_link(session, EMAIL)
    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1)):
        expired = client.get(link)
    assert expired.status_code == 400 and "This link has expired" in \
        expired.get_data(as_text=True)
    forged = client.get(link[:-4] + "AAAA")
    assert forged.status_code == 400 and "This link does not work" in \
        forged.get_data(as_text=True)
    from portal.services.accounts import make_reset_token
    reset_token = make_reset_token(client.application.config["SECRET_KEY"],
                                   session.scalar(select(User)))
    assert client.get(f"/confirm-email/{reset_token}").status_code == 400  # another purpose


def test_unconfirmed_applicants_can_sign_in_and_ask_for_a_new_link(client, session) -> None:
    apply(client)
    assert sign_in(client, EMAIL, ACCOUNT["password"]).status_code == 303
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Confirm your email address to send your application" in page
    for _ in range(3):
        response = client.post("/account/confirm-email",
                               data={"csrf_token": csrf_token(client, "/dashboard")})
        assert response.status_code == 303
    assert client.post("/account/confirm-email", data={
        "csrf_token": csrf_token(client, "/dashboard")}).status_code == 429
    assert counts(session)["OutboxMessage"] == 4


def test_the_session_cookie_holds_no_answers(app, client) -> None:
    """SESS-07: only the draft's random id, never names, e-mails or the organisation."""
    fill_in_application(client)
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = zlib.decompress(raw).decode() if value.startswith(".") else raw.decode()
    data = json.loads(text)
    assert set(data) <= {"join_draft", "csrf_token", "_fresh"}
    for secret in ("Hana", "example.org", "Birkenhead", "Workshop", "Sam Director"):
        assert secret.lower() not in text.lower()


def test_the_task_list_shows_progress(client) -> None:
    html = client.get("/join").get_data(as_text=True)
    assert html.count("Incomplete") == 4 and "Cannot start yet" in html
    fill_in_application(client)
    html = client.get("/join").get_data(as_text=True)
    assert html.count("Completed") == 4 and 'href="/join/check-answers"' in html


def test_steps_need_the_account_first_and_check_answers_needs_everything(client) -> None:
    assert client.get("/join/organisation").headers["Location"] == "/join/account"
    assert client.get("/join/check-answers").headers["Location"] == "/join"
    post_step(client, "/join/account", ACCOUNT)
    assert client.get("/join/organisation").status_code == 200
    assert client.get("/join/check-answers").headers["Location"] == "/join"


def test_check_answers_shows_everything_with_change_links(client) -> None:
    fill_in_application(client)
    html = client.get("/join/check-answers").get_data(as_text=True)
    for text in ("Hana Applicant", EMAIL, "Birkenhead Bicycles Ltd", "Private sector", "Workshop",
                 "Wirral, 42 staff", "Sam Director", "Managing director", "version 1",
                 'href="/join/organisation?from=check"', "Accept and send"):
        assert text in html, text
    assert ACCOUNT["password"] not in html


def test_changing_an_answer_returns_to_check_answers(client, session) -> None:
    fill_in_application(client)
    response = post_step(client, "/join/organisation?from=check",
                         {**ORGANISATION, "name": "Birkenhead Cycles"})
    assert response.headers["Location"] == "/join/check-answers"
    assert "Birkenhead Cycles" in client.get("/join/check-answers").get_data(as_text=True)


@pytest.mark.parametrize(("path", "data", "message"), [
    ("/join/account", {**ACCOUNT, "email": "not-an-email"}, "Enter an email address in the"),
    ("/join/account", {**ACCOUNT, "email": "a@b@example.org"}, "Enter an email address in the"),
    ("/join/account", {**ACCOUNT, "email": "x\r\nbcc: evil@example.org"}, "Enter an email address"),
    ("/join/account", {**ACCOUNT, "email": ""}, "Enter your work email address"),
    ("/join/account", {**ACCOUNT, "password": "password1234"}, "harder to guess"),
    ("/join/account", {**ACCOUNT, "full_name": "Hana\r\nBcc: x@example.org"}, "on one line"),
    ("/join/account", {**ACCOUNT, "full_name": "x" * 201}, "200 characters or fewer"),
    ("/join/organisation", {**ORGANISATION, "name": ""}, "Enter the organisation’s name"),
    ("/join/organisation", {**ORGANISATION, "registered_number": "12AB"},
     "Enter a Companies House number like 01234567"),
    ("/join/organisation", {**ORGANISATION, "sector": "banking"}, "Not a valid choice"),
    ("/join/organisation", {**ORGANISATION, "listed_publicly": ""}, "Select yes if"),
    ("/join/sites/add", {**SITE, "headcount": "ten"}, "must be a whole number"),
    ("/join/sites/add", {**SITE, "headcount": "0"}, "between 1 and 1,000,000"),
    ("/join/sites/add", {**SITE, "headcount": "-5"}, "must be a whole number"),
    ("/join/sites/add", {**SITE, "headcount": "1e3"}, "must be a whole number"),
    ("/join/sites/add", {**SITE, "headcount": "٣"}, "must be a whole number"),
    ("/join/sites/add", {**SITE, "borough": "manchester"}, "Not a valid choice"),
    ("/join/commitment", {**COMMITMENT, "agree": ""}, "Confirm that the organisation agrees"),
    ("/join/commitment", {**COMMITMENT, "signatory_job_title": ""}, "Enter the job title"),
])
def test_bad_answers_get_a_clear_message_and_keep_the_input(client, session, path, data,
                                                           message) -> None:
    if path != "/join/account":
        post_step(client, "/join/account", ACCOUNT)
    response = post_step(client, path, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html, html[:300]
    assert "There is a problem" in html
    assert counts(session)["User"] == 0


def test_duplicate_sites_are_refused_and_sites_can_be_removed(client) -> None:
    post_step(client, "/join/account", ACCOUNT)
    post_step(client, "/join/sites/add", SITE)
    again = post_step(client, "/join/sites/add", {**SITE, "name": "WORKSHOP"})
    assert "already added a site with this name" in again.get_data(as_text=True)
    post_step(client, "/join/sites/add", {**SITE, "name": "Shop"})
    assert "You have added 2 sites" in client.get("/join/sites").get_data(as_text=True)
    post_step(client, "/join/sites/1/remove", {})
    html = client.get("/join/sites").get_data(as_text=True)
    assert "You have added 1 site" in html and "Shop" in html and ">Workshop<" not in html
    post_step(client, "/join/sites/1/remove", {})
    assert client.get("/join/sites").headers["Location"] == "/join/sites/add"
    post_step(client, "/join/sites/99/remove", {})  # nothing there: nothing happens


def test_likely_duplicates_are_flagged_to_the_applicant(client, session) -> None:
    make_member_organisation(session, name="Birkenhead Bicycles Limited")
    session.commit()
    fill_in_application(client)
    html = client.get("/join/check-answers").get_data(as_text=True)
    assert "has already applied or is already a member" in html
    assert "Birkenhead Bicycles Limited" not in html  # nothing about the other organisation


def test_a_duplicate_by_registered_number_is_flagged(client, session) -> None:
    make_member_organisation(session, name="Quite Different", registered_number="SC123456")
    session.commit()
    fill_in_application(client, organisation={**ORGANISATION, "registered_number": "sc 123456"})
    assert "has already applied" in client.get("/join/check-answers").get_data(as_text=True)


def test_an_address_with_an_account_gets_the_same_page_and_an_email(client, session) -> None:
    """AUTH-06: the applicant learns nothing; the address owner is told, once a day."""
    make_user(session, email=EMAIL)
    session.commit()
    before = counts(session)
    response = apply(client)
    assert response.headers["Location"] == "/join/sent"
    after = counts(session)
    assert after["Organisation"] == before["Organisation"] and after["User"] == before["User"]
    [message] = session.scalars(select(OutboxMessage)).all()
    assert message.to_address == EMAIL and "already has an account" in message.body_text
    apply(client)
    assert counts(session)["OutboxMessage"] == 1


def test_signed_in_confirmed_people_skip_the_account_and_go_straight_to_the_queue(
        signed_in, session) -> None:
    user = make_user(session, full_name="Existing Person")
    client = signed_in(user)
    assert client.get("/join/account").headers["Location"] == "/join"
    response = apply(client, account=None)
    assert response.headers["Location"] == "/join/sent"
    assert "Application sent" in client.get("/join/sent").get_data(as_text=True)
    [queued] = application_queue(session)
    assert queued.organisation.latest_signature.signed_by_id == user.id
    assert counts(session)["OutboxMessage"] == 0


def test_extra_fields_are_ignored(client, session) -> None:
    """Mass assignment: role, organisation, status and verification come from the server only."""
    extra = {"role": "coordinator", "is_coordinator": "1", "organisation_id": "1",
             "status": "approved", "email_verified_at": "2020-01-01", "submitted_at": "x",
             "password_hash": "x", "name_key": "x"}
    fill_in_application(client, account={**ACCOUNT, **extra},
                        organisation={**ORGANISATION, **extra}, site={**SITE, **extra},
                        commitment={**COMMITMENT, **extra})
    post_step(client, "/join/check-answers", extra)
    user, organisation = session.scalar(select(User)), session.scalar(select(Organisation))
    assert not user.is_coordinator and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2")
    assert organisation.scheme_status == SchemeStatus.APPLIED and organisation.submitted_at is None
    assert organisation.name_key == "birkenhead bicycles"


def test_html_and_formula_characters_are_escaped_on_pages_and_plain_in_email(client,
                                                                             session) -> None:
    """XSS-03: names are shown as text everywhere; e-mail is plain text only."""
    name = '<img src=x onerror=alert(1)> "=HYPERLINK(1)'
    fill_in_application(client, account={**ACCOUNT, "full_name": name},
                        organisation={**ORGANISATION, "name": "=cmd|' /C calc'!A0 <b>Org</b>"},
                        site={**SITE, "name": "<i>Yard</i>"},
                        commitment={**COMMITMENT, "signatory_name": "<script>x</script>"})
    for path in ("/join/check-answers", "/join/sites"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>x" not in html and "<i>Yard" not in html
    post_step(client, "/join/check-answers", {})
    message = session.scalar(select(OutboxMessage))
    assert name in message.body_text  # plain text: shown literally, never rendered
    coordinator = make_user(session, is_coordinator=True)
    session.commit()
    link = confirmation_link(session, EMAIL)
    client.post(link, data={"csrf_token": csrf_token(client, link)})
    sign_in(client, coordinator.email)
    organisation = session.scalar(select(Organisation))
    for path in ("/coordinator/applications", f"/coordinator/organisations/{organisation.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "<script>x" not in html and "<b>Org" not in html
        assert "&lt;b&gt;Org&lt;/b&gt;" in html


def test_drafts_are_discarded_after_a_day(client, session) -> None:
    fill_in_application(client)
    with time_machine.travel(utcnow() + timedelta(hours=25)):
        assert client.get("/join/check-answers").headers["Location"] == "/join"
        assert "Completed" not in client.get("/join").get_data(as_text=True)
        other = client.application.test_client()
        post_step(other, "/join/account", ACCOUNT)  # a new draft clears out the old ones
    assert counts(session)["User"] == 0
    assert session.scalar(select(func.count()).select_from(JoinDraft)) == 1


def test_sending_twice_makes_one_application(client, session) -> None:
    """REL-03: a double click sends the application once."""
    fill_in_application(client)
    token = csrf_token(client, "/join/check-answers")
    first = client.post("/join/check-answers", data={"csrf_token": token})
    second = client.post("/join/check-answers", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert counts(session)["Organisation"] == 1 and counts(session)["OutboxMessage"] == 1


def test_a_failure_part_way_leaves_nothing_behind(client, session, monkeypatch) -> None:
    """REL-01, REL-07: no account, organisation or e-mail from a failed application."""
    fill_in_application(client)
    before = counts(session)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("portal.services.joining.sign_commitment", fail)
    response = post_step(client, "/join/check-answers", {})
    assert response.status_code == 500
    assert counts(session) == before
    assert session.scalar(select(func.count()).select_from(JoinDraft)) == 1


def test_sending_is_rate_limited_per_address(app_factory, session) -> None:
    client = app_factory(JOIN_LIMIT_PER_ADDRESS="2 per hour").test_client()
    for _ in range(2):
        apply(client, account={**ACCOUNT, "email": f"x{_}@example.org"})
    fill_in_application(client, account={**ACCOUNT, "email": "x9@example.org"})
    assert post_step(client, "/join/check-answers", {}).status_code == 429


def test_two_applications_from_one_new_address_at_once_make_one_account(client, session,
                                                                        monkeypatch) -> None:
    """REL-04: the loser of the race is told as if the address already had an account."""
    fill_in_application(client)
    make_user(session, email=EMAIL)  # committed by the other request "meanwhile"
    session.commit()
    real = joining.find_user_by_email
    calls: list[str] = []

    def not_yet_the_first_time(db, email):  # noqa: ANN001, ANN202 - a stand-in
        calls.append(email)
        return None if len(calls) == 1 else real(db, email)

    monkeypatch.setattr(joining, "find_user_by_email", not_yet_the_first_time)
    response = post_step(client, "/join/check-answers", {})
    assert response.status_code == 303 and response.headers["Location"] == "/join/sent"
    assert counts(session)["User"] == 1 and counts(session)["Organisation"] == 0
    assert "already has an account" in session.scalar(select(OutboxMessage)).body_text


def cookie_text(app, client) -> str:  # noqa: ANN001 - test helper
    value = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return zlib.decompress(raw).decode() if value.startswith(".") else raw.decode()


def test_check_your_email_names_the_address_and_gives_a_reference(app, client,
                                                                  session) -> None:
    assert apply(client).status_code == 303
    html = client.get("/join/sent").get_data(as_text=True)
    assert 'id="sent-to">hana.applicant@example.org</strong>' in html
    reference = html.split("Your reference is <strong>", 1)[1].split("</strong>", 1)[0]
    assert len(reference) == 9 and reference[4] == "-"
    session.expire_all()
    message = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert f"Your reference: {reference}" in message.body_text
    assert "example.org" not in cookie_text(app, client)  # the page looks the address up
