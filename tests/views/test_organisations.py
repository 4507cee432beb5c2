"""HR leads keep their organisation's details and sites, renew, and withdraw champions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import (
    AuditEvent,
    CommitmentSignature,
    Membership,
    Organisation,
    OrgRole,
    SchemeStatus,
    Site,
    User,
    WithdrawalReason,
    utcnow,
)
from portal.services.organisations import add_months
from tests.conftest import csrf_token
from tests.factories import make_member_organisation, make_site, make_user
from tests.views.test_champions import invite


@pytest.fixture
def org(session):
    return make_member_organisation(session, name="Halton Homes")


@pytest.fixture
def hr(session, org, signed_in):
    return signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))


def post(client, path: str, data: dict | None = None):  # noqa: ANN001, ANN201 - test helper
    return client.post(path, data={"csrf_token": csrf_token(client, "/dashboard"),
                                   **(data or {})})


def fresh(session, model, ident):  # noqa: ANN001, ANN201
    session.expire_all()
    return session.get(model, ident)


def events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


DETAILS = {"name": "Halton Homes & Co", "registered_number": "OC301234", "sector": "voluntary",
           "listed_publicly": "no"}


def test_hr_leads_change_details_and_the_audit_names_only_the_fields(hr, session, org) -> None:
    response = post(hr, f"/organisations/{org.id}/edit", DETAILS)
    assert response.status_code == 303 and response.headers["Location"] == \
        f"/organisations/{org.id}"
    organisation = fresh(session, Organisation, org.id)
    assert organisation.name == "Halton Homes & Co" and organisation.name_key == \
        "halton homes and co"
    assert organisation.registered_number == "OC301234" and not organisation.listed_publicly
    [event] = events(session, "organisation.details_changed")
    assert event.details == {"fields": ["name", "registered_number", "sector"]}


def test_details_form_is_prefilled_and_validated(hr, session, org) -> None:
    page = hr.get(f"/organisations/{org.id}/edit").get_data(as_text=True)
    assert 'value="Halton Homes"' in page
    response = post(hr, f"/organisations/{org.id}/edit", {**DETAILS, "registered_number": "12"})
    assert "Enter a Companies House number" in response.get_data(as_text=True)
    assert fresh(session, Organisation, org.id).name == "Halton Homes"


def test_extra_fields_cannot_change_status_or_dates(signed_in, session) -> None:
    org = make_member_organisation(session, scheme_status=SchemeStatus.APPLIED, approved_at=None,
                                   renewal_due_on=None)
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    post(client, f"/organisations/{org.id}/edit", {
        **DETAILS, "status": "approved", "approved_at": "2020-01-01", "organisation_id": "99",
        "renewal_due_on": "2099-01-01", "submitted_at": "", "role": "coordinator"})
    organisation = fresh(session, Organisation, org.id)
    assert organisation.scheme_status == SchemeStatus.APPLIED and organisation.approved_at is None
    assert organisation.renewal_due_on is None and organisation.name == "Halton Homes & Co"


def test_coordinators_edit_any_organisation_and_return_to_their_page(signed_in, session,
                                                                     org) -> None:
    client = signed_in(make_user(session, is_coordinator=True))
    response = post(client, f"/organisations/{org.id}/edit", DETAILS)
    assert response.headers["Location"] == f"/coordinator/organisations/{org.id}"
    [event] = events(session, "organisation.details_changed")
    assert event.actor_id is not None


def test_sites_are_added_changed_and_removed(hr, session, org) -> None:
    path = f"/organisations/{org.id}/sites/add"
    assert post(hr, path, {"name": "Runcorn yard", "borough": "halton",
                           "headcount": "1,250"}).status_code == 303
    site = session.scalar(select(Site).where(Site.name == "Runcorn yard"))
    assert site.headcount == 1250 and site.borough.value == "halton"
    duplicate = post(hr, path, {"name": "RUNCORN YARD", "borough": "halton", "headcount": "5"})
    assert "already has a site with this name" in duplicate.get_data(as_text=True)
    post(hr, f"/organisations/{org.id}/sites/{site.id}/edit",
         {"name": "Runcorn depot", "borough": "outside", "headcount": "12"})
    site = fresh(session, Site, site.id)
    assert (site.name, site.borough.value, site.headcount) == ("Runcorn depot", "outside", 12)
    assert "Remove Runcorn depot?" in hr.get(f"/organisations/{org.id}/sites/{site.id}/remove") \
        .get_data(as_text=True)
    post(hr, f"/organisations/{org.id}/sites/{site.id}/remove")
    assert fresh(session, Site, site.id) is None
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("site.%"))
                              .order_by(AuditEvent.id)).all()
    assert actions == ["site.added", "site.changed", "site.removed"]


@pytest.mark.parametrize("status", [SchemeStatus.DECLINED, SchemeStatus.WITHDRAWN,
                                    SchemeStatus.LAPSED])
def test_a_closed_organisations_details_and_sites_stay_as_they_were(hr, session, org,
                                                                    status) -> None:
    """Its page offers no changes, and the addresses refuse them too: back to the page, which
    says why, with nothing written."""
    site = make_site(session, org, name="Second site")
    org.scheme_status = status
    session.commit()
    before = (org.name, session.scalar(select(func.count(Site.id))))
    paths = [f"/organisations/{org.id}/edit", f"/organisations/{org.id}/sites/add",
             f"/organisations/{org.id}/sites/{site.id}/edit",
             f"/organisations/{org.id}/sites/{site.id}/remove"]
    for path in paths:
        assert hr.get(path).headers["Location"] == f"/organisations/{org.id}", path
        response = post(hr, path, {**DETAILS, "borough": "halton", "headcount": "10"})
        assert response.status_code == 303, path
        assert response.headers["Location"] == f"/organisations/{org.id}", path
    session.expire_all()
    assert (fresh(session, Organisation, org.id).name,
            session.scalar(select(func.count(Site.id)))) == before
    assert "cannot be changed now" in hr.get(f"/organisations/{org.id}").get_data(as_text=True)


def test_the_last_site_cannot_be_removed(hr, session, org) -> None:
    site = org.sites[0]
    response = post(hr, f"/organisations/{org.id}/sites/{site.id}/remove")
    assert "must have at least one site" in response.get_data(as_text=True)
    assert fresh(session, Site, site.id) is not None


def test_a_site_with_champions_or_invitations_cannot_be_removed(hr, session, org) -> None:
    spare = make_site(session, org, name="Spare")
    session.commit()
    invite(hr, org, site=str(spare.id))
    response = post(hr, f"/organisations/{org.id}/sites/{spare.id}/remove")
    assert "Champions or open invitations are linked" in response.get_data(as_text=True)
    assert fresh(session, Site, spare.id) is not None


@pytest.mark.parametrize(("headcount", "message"), [
    ("", "Enter the number of staff"), ("0", "between 1 and"), ("2.5", "whole number"),
    ("99999999", "between 1 and"), ("1" * 20, "characters"),
])
def test_bad_headcounts(hr, session, org, headcount, message) -> None:
    response = post(hr, f"/organisations/{org.id}/sites/add",
                    {"name": "New", "borough": "sefton", "headcount": headcount})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Site)) == 1


def test_renewing_is_possible_only_near_the_renewal_date(hr, session, org) -> None:
    page = hr.get(f"/organisations/{org.id}/renew").get_data(as_text=True)
    assert "You can renew it from" in page
    post(hr, f"/organisations/{org.id}/renew", {"signatory_name": "A", "signatory_job_title": "B",
                                               "agree": "y"})
    assert fresh(session, Organisation, org.id).renewal_due_on == org.renewal_due_on
    assert events(session, "organisation.renewed") == []


def test_renewing_adds_a_year_and_records_the_signature(hr, session, org) -> None:
    due = utcnow().date() + timedelta(days=30)
    fresh(session, Organisation, org.id).renewal_due_on = due
    session.commit()
    overview = hr.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Renew the membership" in overview
    page = hr.get(f"/organisations/{org.id}/renew").get_data(as_text=True)
    assert "A safe working environment" in page
    response = post(hr, f"/organisations/{org.id}/renew", {
        "signatory_name": "Pat Chief", "signatory_job_title": "Chief executive", "agree": "y"})
    assert response.status_code == 303
    assert fresh(session, Organisation, org.id).renewal_due_on == add_months(due, 12)
    signature = session.scalars(select(CommitmentSignature)
                                .order_by(CommitmentSignature.id.desc())).first()
    assert (signature.version, signature.signatory_name) == (1, "Pat Chief")
    assert len(events(session, "organisation.renewed")) == 1
    again = post(hr, f"/organisations/{org.id}/renew", {
        "signatory_name": "Pat Chief", "signatory_job_title": "Chief executive", "agree": "y"})
    assert again.status_code == 200 and "You can renew it from" in again.get_data(as_text=True)
    assert fresh(session, Organisation, org.id).renewal_due_on == add_months(due, 12)


def test_renewing_needs_the_commitment_agreed(hr, session, org) -> None:
    fresh(session, Organisation, org.id).renewal_due_on = utcnow().date() + timedelta(days=1)
    session.commit()
    response = post(hr, f"/organisations/{org.id}/renew", {"signatory_name": "Pat",
                                                          "signatory_job_title": "CEO"})
    assert "Confirm that the organisation agrees" in response.get_data(as_text=True)


def test_suspended_memberships_cannot_be_renewed(signed_in, session) -> None:
    org = make_member_organisation(session, scheme_status=SchemeStatus.SUSPENDED,
                                   renewal_due_on=utcnow().date() + timedelta(days=10))
    client = signed_in(make_user(session, organisation=org, role=OrgRole.HR_LEAD))
    page = client.get(f"/organisations/{org.id}/renew").get_data(as_text=True)
    assert "cannot be renewed at the moment" in page


def test_withdrawing_a_champion_keeps_their_account_and_prompts_a_replacement(hr, session,
                                                                              org) -> None:
    champion = make_user(session, organisation=org, role=OrgRole.CHAMPION,
                         full_name="Chris Doyle")
    membership = session.scalar(select(Membership).where(Membership.user_id == champion.id))
    membership.site = org.sites[0]
    session.commit()
    path = f"/organisations/{org.id}/champions/{membership.id}/withdraw"
    assert "Withdraw Chris Doyle as a champion" in hr.get(path).get_data(as_text=True)
    missing = post(hr, path)
    assert "Select a reason" in missing.get_data(as_text=True)
    response = post(hr, path, {"reason": "stepped_down", "role": "hr_lead"})
    assert response.status_code == 303
    prompt = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nominate a replacement" in prompt
    assert f"/organisations/{org.id}/champions/invite?site={org.sites[0].id}" in prompt
    membership = fresh(session, Membership, membership.id)
    assert not membership.is_current and membership.withdrawal_reason == \
        WithdrawalReason.STEPPED_DOWN and membership.role == OrgRole.CHAMPION
    assert fresh(session, User, champion.id) is not None
    [event] = events(session, "champion.withdrawn")
    assert event.details == {"reason": "stepped_down"} and event.target_id == membership.id
    assert post(hr, path, {"reason": "other"}).status_code == 404
    listing = hr.get(f"/organisations/{org.id}/champions").get_data(as_text=True)
    assert "Chris Doyle" not in listing
    invite_page = hr.get(f"/organisations/{org.id}/champions/invite?site={org.sites[0].id}")
    assert f'value="{org.sites[0].id}" checked' in invite_page.get_data(as_text=True)


def test_a_withdrawn_champion_loses_access_to_the_organisation(signed_in, session, org,
                                                               hr) -> None:
    champion = make_user(session, organisation=org, role=OrgRole.CHAMPION)
    membership = session.scalar(select(Membership).where(Membership.user_id == champion.id))
    session.commit()
    their_client = signed_in(champion)
    assert "Halton Homes" in their_client.get("/dashboard").get_data(as_text=True)
    post(hr, f"/organisations/{org.id}/champions/{membership.id}/withdraw",
         {"reason": "left_organisation"})
    assert "Halton Homes" not in their_client.get("/dashboard").get_data(as_text=True)


def test_hr_leads_cannot_be_withdrawn_as_champions(hr, session, org) -> None:
    lead = session.scalar(select(Membership).where(Membership.role == OrgRole.HR_LEAD))
    assert hr.get(f"/organisations/{org.id}/champions/{lead.id}/withdraw").status_code == 404
