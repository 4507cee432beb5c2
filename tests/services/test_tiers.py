"""Tiers follow from the data: each rule, each missing item, time travel and the nightly run."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import time_machine
from sqlalchemy import select

from bench.sqlcount import count_statements as statements_of
from portal.models import (
    AuditEvent,
    CommitmentSignature,
    ElementStatus,
    Membership,
    Organisation,
    OrgRole,
    PolicyElementRecord,
    SchemeStatus,
    Tier,
    Verification,
    WithdrawalReason,
    utcnow,
)
from portal.services import organisations as orgs
from portal.services.champions import withdraw_champion
from portal.services.policy_framework import WRITTEN_POLICY, policy_framework
from portal.services.tiers import (
    assess,
    needed_for,
    refresh_all_tiers,
    refresh_tier,
)
from tests.factories import (
    make_certificate,
    make_course,
    make_member_organisation,
    make_organisation,
    make_site,
    make_user,
)


def record(session, organisation, key, status=ElementStatus.IN_PLACE,  # noqa: ANN001, ANN201
           verification=Verification.UNVERIFIED):
    row = PolicyElementRecord(organisation_id=organisation.id, element_key=key, status=status,
                              verification=verification,
                              in_place_on=date(2026, 1, 1) if status == "in_place" else None)
    session.add(row)
    session.flush()
    return row


def champion(session, organisation, *, certified=True, site=None, **cert):  # noqa: ANN001, ANN201
    user = make_user(session)
    session.add(Membership(user=user, organisation=organisation, role=OrgRole.CHAMPION,
                           site=site or organisation.sites[0]))
    session.flush()
    if certified:
        make_certificate(session, user, **cert)
    return user


def all_in_place(session, organisation, verified=True) -> None:  # noqa: ANN001
    for element in policy_framework().elements:
        record(session, organisation, element.key,
               verification=Verification.VERIFIED if verified else Verification.UNVERIFIED)


def established(session, **overrides):  # noqa: ANN001, ANN201
    """An organisation that meets every rule: one site of 120 staff needs 2 champions."""
    organisation = make_member_organisation(session, **overrides)
    all_in_place(session, organisation)
    champion(session, organisation)
    champion(session, organisation)
    return organisation


def test_not_approved_or_not_signed_is_in_no_tier(session) -> None:
    applied = make_member_organisation(session, scheme_status=SchemeStatus.APPLIED)
    assessment = assess(session, applied, utcnow())
    assert assessment.tier is None and assessment.next_tier == Tier.COMMITTED
    assert assessment.missing == ("A scheme coordinator needs to approve the application",)
    unsigned = make_organisation(session)
    assert assess(session, unsigned, utcnow()).missing == ("Sign the scheme commitment",)
    suspended = make_member_organisation(session, scheme_status=SchemeStatus.SUSPENDED)
    assert "suspended" in assess(session, suspended, utcnow()).missing[0]


def test_committed_lists_the_written_policy_and_a_first_champion(session) -> None:
    organisation = make_member_organisation(session)
    assessment = assess(session, organisation, utcnow())
    assert assessment.tier == Tier.COMMITTED and assessment.next_tier == Tier.ACTIVE
    assert assessment.missing == (
        "Record “Written policy approved by leadership” as in place (it is not started)",
        "Invite at least one champion, who then completes the champion training")
    record(session, organisation, WRITTEN_POLICY, ElementStatus.IN_PROGRESS)
    champion(session, organisation, certified=False)
    assert assess(session, organisation, utcnow()).missing == (
        "Record “Written policy approved by leadership” as in place (it is in progress)",
        "At least one champion needs to complete the champion training and hold a current "
        "certificate")


def test_active_needs_the_written_policy_in_place_and_one_certified_champion(session) -> None:
    organisation = make_member_organisation(session)
    record(session, organisation, WRITTEN_POLICY)  # in place, not yet verified: enough
    champion(session, organisation)
    assessment = assess(session, organisation, utcnow())
    assert assessment.tier == Tier.ACTIVE and assessment.next_tier == Tier.ESTABLISHED
    missing = assessment.missing
    assert "“Written policy approved by leadership” is waiting for a coordinator to verify it" \
        in missing
    assert "“Safe leave” is not started: it needs to be in place" in missing
    assert "Head office (120 members of staff) needs 2 champions with a current certificate; " \
        "it has 1" in missing
    assert len(missing) == len(policy_framework().elements) + 1


def test_established_when_every_rule_is_met(session) -> None:
    organisation = established(session)
    assessment = assess(session, organisation, utcnow())
    assert assessment.tier == Tier.ESTABLISHED and assessment.next_tier is None
    assert assessment.missing == ()
    [site] = assessment.sites
    assert (site.certified, site.needed, site.met) == (2, 2, True)


def test_each_missing_item_for_established(session) -> None:
    organisation = established(session)
    session.scalar(select(PolicyElementRecord).where(
        PolicyElementRecord.element_key == "safe_leave")).verification = Verification.RETURNED
    session.scalar(select(PolicyElementRecord).where(
        PolicyElementRecord.element_key == "review_date")).status = ElementStatus.IN_PROGRESS
    champion(session, organisation, expires_at=utcnow() - timedelta(days=1))
    make_site(session, organisation, name="Depot", headcount=30)
    session.flush()
    session.expire(organisation)
    assessment = assess(session, organisation, utcnow())
    assert assessment.tier == Tier.ACTIVE
    assert assessment.missing == (
        "“Safe leave” was returned by a coordinator: see their comment and update the evidence",
        "“Review date set” is in progress: it needs to be in place",
        "Depot (30 members of staff) needs 1 champion with a current certificate; it has 0",
        "1 champion’s certificate has expired: they need to complete the refresher training")


def test_coverage_target_is_per_100_staff_and_configurable(session) -> None:
    assert [needed_for(n, 1.0) for n in (1, 99, 100, 101, 250)] == [1, 1, 1, 2, 3]
    assert [needed_for(n, 0.5) for n in (120, 200, 201)] == [1, 1, 2]
    assert needed_for(120, 2.5) == 3
    organisation = make_member_organisation(session)
    all_in_place(session, organisation)
    champion(session, organisation)
    assert assess(session, organisation, utcnow(), target=1.0).tier == Tier.ACTIVE
    assert assess(session, organisation, utcnow(), target=0.5).tier == Tier.ESTABLISHED


def test_only_current_champions_with_required_champion_certificates_count(session) -> None:
    organisation = make_member_organisation(session)
    all_in_place(session, organisation)
    withdrawn = champion(session, organisation)
    membership = session.scalar(select(Membership).where(Membership.user_id == withdrawn.id))
    membership.withdrawn_at = utcnow()
    champion(session, organisation, course=make_course(session, audience="hr_lead"))
    champion(session, organisation, course=make_course(session, required=False))
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    make_certificate(session, hr_lead)
    elsewhere = make_member_organisation(session)
    champion(session, elsewhere)
    session.flush()
    assessment = assess(session, organisation, utcnow())
    assert assessment.tier == Tier.COMMITTED
    assert assessment.sites[0].certified == 0 and assessment.sites[0].champions == 2
    # A certificate for a required course open to everyone ("all") does count.
    champion(session, organisation, course=make_course(session, audience="all"))
    assert assess(session, organisation, utcnow()).sites[0].certified == 1


def test_a_champion_renewed_after_lapsing_is_current(session) -> None:
    organisation = established(session)
    user = champion(session, organisation, expires_at=utcnow() - timedelta(days=1))
    assert assess(session, organisation, utcnow()).tier == Tier.ACTIVE
    make_certificate(session, user)
    assert assess(session, organisation, utcnow()).tier == Tier.ESTABLISHED


def test_certificates_expiring_drop_the_tier_on_the_nightly_refresh(session) -> None:
    organisation = established(session)
    refresh_tier(session, organisation, utcnow())
    session.commit()
    assert organisation.tier == Tier.ESTABLISHED
    with time_machine.travel(utcnow() + timedelta(days=2 * 366), tick=False):
        assert refresh_all_tiers(session, utcnow(), target=1.0) == 1
        session.commit()
        session.expire_all()
        assert session.get(Organisation, organisation.id).tier == Tier.COMMITTED
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation.tier_changed")
            .order_by(AuditEvent.id.desc())).first()
        assert event.details == {"from": "established", "to": "committed"}
        assert event.organisation_id == organisation.id
        assert refresh_all_tiers(session, utcnow(), target=1.0) == 0  # nothing else changes


def test_refresh_tier_records_changes_only_and_clears_when_not_approved(session) -> None:
    organisation = make_member_organisation(session)
    assert refresh_tier(session, organisation, utcnow()) == Tier.COMMITTED
    assert organisation.tier_changed_at is not None
    assert refresh_tier(session, organisation, utcnow()) == Tier.COMMITTED
    organisation.scheme_status = SchemeStatus.SUSPENDED
    assert refresh_tier(session, organisation, utcnow()) is None and organisation.tier is None
    session.flush()
    changes = session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "organisation.tier_changed").order_by(AuditEvent.id)).all()
    assert changes == [{"from": None, "to": "committed"}, {"from": "committed", "to": None}]


def test_status_transitions_keep_the_tier_in_step(session) -> None:
    coordinator = make_user(session, is_coordinator=True)
    organisation = make_member_organisation(session, scheme_status=SchemeStatus.APPLIED)
    orgs.approve_application(session, organisation, actor=coordinator, renewal_months=12)
    assert organisation.tier == Tier.COMMITTED
    orgs.suspend_organisation(session, organisation, actor=coordinator, reason="other")
    assert organisation.tier is None
    orgs.reinstate_organisation(session, organisation, actor=coordinator, renewal_months=12)
    assert organisation.tier == Tier.COMMITTED


def test_withdrawing_a_champion_and_adding_a_site_refresh_the_tier(session) -> None:
    organisation = established(session)
    hr_lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
    refresh_tier(session, organisation, utcnow())
    assert organisation.tier == Tier.ESTABLISHED
    site = orgs.add_site(session, organisation, orgs.SiteAnswers("Depot", "wirral", 10),
                         actor=hr_lead)
    assert organisation.tier == Tier.ACTIVE
    orgs.remove_site(session, site, actor=hr_lead)
    assert organisation.tier == Tier.ESTABLISHED
    membership = session.scalars(select(Membership).where(
        Membership.organisation_id == organisation.id,
        Membership.role == OrgRole.CHAMPION)).first()
    withdraw_champion(session, membership, actor=hr_lead, reason=WithdrawalReason.LEFT)
    assert organisation.tier == Tier.ACTIVE


def count_statements(session, action) -> int:  # noqa: ANN001
    with statements_of(session.get_bind()) as log:
        action()
    return log.count


def test_nightly_refresh_is_set_based_not_per_organisation(session) -> None:
    """The statement count does not grow with the number of organisations in a batch."""
    def organisations(count: int) -> None:
        for number in range(count):
            organisation = established(session) if number % 2 else \
                make_member_organisation(session)
            make_site(session, organisation, headcount=500)
        session.commit()

    organisations(3)
    first = count_statements(session, lambda: refresh_all_tiers(session, utcnow(), target=1.0))
    session.commit()
    organisations(30)
    second = count_statements(session, lambda: refresh_all_tiers(session, utcnow(), target=1.0))
    session.commit()
    assert first == second
    assert first <= 10
    # Small batches give the same answers as one big one.
    session.execute(sa.update(Organisation).values(tier=None))
    session.commit()
    refresh_all_tiers(session, utcnow(), target=1.0, batch_size=4)
    session.commit()
    tiers = session.scalars(select(Organisation.tier)).all()
    assert (tiers.count(Tier.COMMITTED), tiers.count(Tier.ACTIVE)) == (17, 16)


def test_nightly_refresh_clears_tiers_of_organisations_no_longer_approved(session) -> None:
    organisation = make_member_organisation(session, tier=Tier.ACTIVE)
    organisation.scheme_status = SchemeStatus.LAPSED
    session.commit()
    assert refresh_all_tiers(session, utcnow(), target=1.0) == 1
    session.commit()
    session.expire_all()
    assert session.get(Organisation, organisation.id).tier is None


def test_tiers_refresh_command(app, session) -> None:
    organisation = make_member_organisation(session)
    session.add(CommitmentSignature(organisation=organisation, version=1, signatory_name="A",
                                    signatory_job_title="B"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["tiers", "refresh"])
    assert result.exit_code == 0, result.output
    assert "1 tier changed." in result.output
    session.expire_all()
    assert session.get(Organisation, organisation.id).tier == Tier.COMMITTED
