"""The membership lifecycle, likely duplicates, registered numbers and renewal dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, SchemeStatus, normalise_name, utcnow
from portal.services import organisations as orgs
from portal.services.commitments import all_commitments, current_commitment, parse_commitment
from tests.factories import make_application, make_member_organisation, make_organisation, make_user

S = SchemeStatus


@pytest.mark.parametrize(("first", "second"), [
    ("Mersey Ferries Trading Ltd", "mersey ferries trading limited"),
    ("Mersey Ferries Trading Ltd.", "MERSEY  FERRIES TRADING"),
    ("Smith & Sons (Liverpool) Ltd", "Smith and Sons Liverpool"),
    ("Café Nero", "Cafe Nero Limited"),
    ("St. Helens Builders", "St Helens Builders"),
])
def test_names_that_differ_only_in_case_punctuation_and_ltd_match(first, second) -> None:
    assert normalise_name(first) == normalise_name(second) != ""


def test_different_names_do_not_match() -> None:
    assert normalise_name("Wirral Bakery") != normalise_name("Wirral Brewery")
    assert normalise_name("Limitless Ltd") == "limitless"


@pytest.mark.parametrize("number", ["01234567", "SC123456", "sc 123 456", "NI012345", "OC301234",
                                    "R0123456", "1123456", "212345", "NIC100002", None, ""])
def test_valid_registered_numbers(number) -> None:
    assert orgs.is_valid_registered_number(number)


@pytest.mark.parametrize("number", ["1234", "123456789", "ABC12345", "12-AB", "=1+1", "SC12345",
                                    "０１２３４５６７"])
def test_invalid_registered_numbers(number) -> None:
    assert not orgs.is_valid_registered_number(number)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 11, 21), 12, date(2027, 11, 21)),
    (date(2028, 2, 29), 12, date(2029, 2, 28)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 12, 15), 3, date(2027, 3, 15)),
])
def test_add_months(start, months, expected) -> None:
    assert orgs.add_months(start, months) == expected


def test_the_commitment_is_versioned_data_rendered_once() -> None:
    commitment = current_commitment()
    assert commitment.version == 1 and commitment.title == "Scheme commitment"
    assert commitment.effective == date(2026, 11, 1)
    assert "<ol>" in commitment.html and "<strong>A safe working environment.</strong>" in \
        commitment.html
    assert all_commitments()[1] is commitment


def test_commitment_html_is_sanitised() -> None:
    text = "---\nversion: 9\ntitle: T\neffective: 2026-01-01\n---\n<script>x()</script>\n\n" \
           "[a](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    html = parse_commitment(text).html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_approval_sets_the_dates_and_is_audited(session) -> None:
    organisation, _ = make_application(session)
    coordinator = make_user(session, is_coordinator=True)
    orgs.approve_application(session, organisation, actor=coordinator, renewal_months=12)
    today = utcnow().date()
    assert organisation.scheme_status == S.APPROVED
    assert organisation.approved_at.date() == today
    assert organisation.renewal_due_on == orgs.add_months(today, 12)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.approved"))
    assert event.actor_id == coordinator.id and event.organisation_id == organisation.id
    assert event.details == {"from": "applied", "to": "approved"}


def test_renewal_period_is_configurable(session) -> None:
    organisation, _ = make_application(session)
    orgs.approve_application(session, organisation, actor=make_user(session), renewal_months=6)
    assert organisation.renewal_due_on == orgs.add_months(utcnow().date(), 6)


def test_unconfirmed_applications_cannot_be_decided(session) -> None:
    organisation, _ = make_application(session, confirmed=False)
    with pytest.raises(orgs.StatusChangeError):
        orgs.approve_application(session, organisation, actor=make_user(session),
                                 renewal_months=12)
    with pytest.raises(orgs.StatusChangeError):
        orgs.decline_application(session, organisation, actor=make_user(session), reason="other")


@pytest.mark.parametrize(("start", "change"), [
    (S.APPLIED, orgs.suspend_organisation), (S.APPLIED, orgs.withdraw_organisation),
    (S.DECLINED, orgs.suspend_organisation), (S.WITHDRAWN, orgs.suspend_organisation),
    (S.SUSPENDED, orgs.suspend_organisation),
])
def test_the_lifecycle_refuses_moves_it_does_not_allow(session, start, change) -> None:
    organisation = make_member_organisation(session, scheme_status=start)
    with pytest.raises(orgs.StatusChangeError):
        change(session, organisation, actor=make_user(session), reason="other")
    assert organisation.scheme_status == start


def test_declined_applications_stay_declined(session) -> None:
    organisation = make_member_organisation(session, scheme_status=S.DECLINED)
    with pytest.raises(orgs.StatusChangeError):
        orgs.reinstate_organisation(session, organisation, actor=make_user(session),
                                  renewal_months=12)


def test_suspend_reinstate_withdraw_round_trip(session) -> None:
    organisation = make_member_organisation(session)
    due = organisation.renewal_due_on
    actor = make_user(session, is_coordinator=True)
    orgs.suspend_organisation(session, organisation, actor=actor, reason="organisation_asked")
    assert organisation.scheme_status == S.SUSPENDED and organisation.status_reason == \
        "organisation_asked"
    orgs.reinstate_organisation(session, organisation, actor=actor, renewal_months=12)
    assert organisation.scheme_status == S.APPROVED and organisation.renewal_due_on == due
    orgs.withdraw_organisation(session, organisation, actor=actor, reason="organisation_closed")
    assert organisation.scheme_status == S.WITHDRAWN
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action != "organisation.tier_changed").order_by(AuditEvent.id)).all()
    assert actions == ["organisation.suspended", "organisation.reinstated",
                       "organisation.withdrawn"]


def test_lapsing_and_reinstating_starts_a_new_year(session) -> None:
    today = utcnow().date()
    overdue = make_member_organisation(session, renewal_due_on=today - timedelta(days=1))
    current = make_member_organisation(session, renewal_due_on=today)
    assert orgs.lapse_overdue_organisations(session, today=today) == 1
    assert overdue.scheme_status == S.LAPSED and current.scheme_status == S.APPROVED
    orgs.reinstate_organisation(session, overdue, actor=make_user(session), renewal_months=12)
    assert overdue.renewal_due_on == orgs.add_months(today, 12)


def test_a_status_changed_elsewhere_is_not_overwritten(session, app) -> None:
    organisation, _ = make_application(session)
    session.commit()
    with app.extensions["portal.sessionmaker"]() as other:
        orgs.decline_application(other, other.get(type(organisation), organisation.id),
                                 actor=None, reason="other")
        other.commit()
    with pytest.raises(orgs.StatusChangeError):
        orgs.approve_application(session, organisation, actor=None, renewal_months=12)


def test_likely_duplicates_by_name_or_number(session) -> None:
    existing = make_member_organisation(session, name="Wirral Widgets Ltd",
                                        registered_number="01234567")
    make_application(session, confirmed=False, name="Wirral Widgets")  # unconfirmed: ignored
    assert orgs.likely_duplicates(session, name="WIRRAL WIDGETS LIMITED",
                                  registered_number=None) == [existing]
    assert orgs.likely_duplicates(session, name="Something else",
                                  registered_number="0123 4567") == [existing]
    assert orgs.likely_duplicates(session, name="Something else", registered_number=None) == []
    assert orgs.likely_duplicates(session, name="Ltd.", registered_number=None) == []


def test_queue_is_oldest_first_and_flags_duplicates(session) -> None:
    now = utcnow()
    newer, _ = make_application(session, name="Newer Org", submitted_at=now)
    older, _ = make_application(session, name="Older Org", submitted_at=now - timedelta(days=3),
                                registered_number="SC123456")
    make_application(session, name="Unconfirmed Org", confirmed=False)
    make_organisation(session, name="Someone Else", registered_number="SC123456")
    queue = orgs.application_queue(session)
    assert [item.organisation for item in queue] == [older, newer]
    assert [item.possible_duplicate for item in queue] == [True, False]
