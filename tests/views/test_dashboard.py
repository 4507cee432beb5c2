"""The HR lead's dashboard: champions' training, coverage, policy, tier, what needs doing —
never scores — and the same number of SQL statements for 5 champions as for 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from dateutil.relativedelta import relativedelta
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bench.sqlcount import count_statements
from portal.models import (
    Assignment,
    AttemptStatus,
    ElementStatus,
    Invitation,
    Membership,
    OrgRole,
    PolicyElementRecord,
    Tier,
    User,
    Verification,
    utcnow,
)
from portal.services import invitations as invites
from portal.services.assignments import catch_up_required_assignments
from tests.conftest import visible_text
from tests.factories import default_password_hash, make_member_organisation, make_site, make_user
from tests.training_steps import load_basics, make_champion, pass_module, start_module


@pytest.fixture
def org(session):
    load_basics(session)
    organisation = make_member_organisation(session, name="Halton Homes", tier=Tier.ACTIVE)
    organisation.sites[0].headcount = 150  # "Head office": 2 trained champions needed
    make_site(session, organisation, name="Depot", headcount=40)
    session.commit()
    return organisation


@pytest.fixture
def hr_user(session, org):
    # Named, so no factory number ("Person 41") can look like a score on the page.
    return make_user(session, organisation=org, role=OrgRole.HR_LEAD, full_name="Hana Lead",
                     email="hana.lead@example.org")


def test_the_dashboard_shows_training_coverage_policy_tier_and_todo(session, signed_in, org,
                                                                    hr_user) -> None:
    _course, modules = load_basics(session)
    trained = make_champion(session, org, full_name="Ann Trained")
    with time_machine.travel(utcnow() - relativedelta(months=24) + timedelta(days=20),
                             tick=False):
        for module in modules.values():
            pass_module(session, trained, module)  # certificate expires in 20 days
    learning = make_champion(session, org, full_name="Bo Learning")
    failed = start_module(session, learning, modules["second-module"])
    failed.status, failed.score, failed.passed = AttemptStatus.SUBMITTED, 41, False
    pass_module(session, learning, modules["first-module"])
    late = make_champion(session, org, full_name="Cy Late")
    session.scalar(select(Assignment).where(Assignment.user_id == late.id)).due_on = \
        utcnow().date() - timedelta(days=1)
    session.add(Invitation(organisation_id=org.id, role=OrgRole.CHAMPION, email="d@example.org",
                           full_name="Di Waiting", token_hash="a" * 64,
                           last_sent_at=utcnow() - timedelta(days=4),
                           expires_at=utcnow() + timedelta(days=3)))
    for key, verification in (("written_policy", Verification.VERIFIED),
                              ("safe_leave", Verification.UNVERIFIED)):
        session.add(PolicyElementRecord(organisation_id=org.id, element_key=key,
                                        status=ElementStatus.IN_PLACE, verification=verification))
    session.add(PolicyElementRecord(organisation_id=org.id, element_key="staff_informed",
                                    status=ElementStatus.IN_PROGRESS))
    org.renewal_due_on = utcnow().date() + timedelta(days=30)
    session.commit()

    page = signed_in(hr_user).get(f"/organisations/{org.id}").get_data(as_text=True)
    text = visible_text(page)
    assert "Tier Active To reach Established:" in text
    assert "Ann Trained Head office Trained 2 of 2 modules 0 0" in text
    assert "Bo Learning Head office In training 1 of 2 modules 1 0 No certificate yet" in text
    assert "Cy Late Head office Not started 0 of 2 modules 0 1 overdue No certificate yet" in text
    assert "Soon" in text  # Ann's certificate
    assert "Head office Liverpool 150 1 0.7 Not met" in text
    assert "Depot Liverpool 40 0 0.0 Not met" in text
    assert "2 of 10 policy elements in place, 1 verified" in text
    assert f'href="/organisations/{org.id}/policy"' in page
    for todo in ("Renew the membership by", "1 champion has overdue training",
                 "1 invitation has not been accepted after 3 days or more",
                 "1 champion’s certificate expires within 30 days",
                 "Head office needs 1 more trained champion",
                 "Depot needs 1 more trained champion"):
        assert todo in text, todo
    # Statuses and dates only: no scores, answers or attempt counts (P4).
    assert "41" not in text and "100%" not in text and "attempt" not in text.lower()


def test_nothing_to_do_and_targets_met(session, signed_in) -> None:
    _course, modules = load_basics(session)
    small = make_member_organisation(session)
    hr_user = make_user(session, organisation=small, role=OrgRole.HR_LEAD)
    small.sites[0].headcount = 80
    champion = make_champion(session, small)
    for module in modules.values():
        pass_module(session, champion, module)
    session.commit()
    text = visible_text(signed_in(hr_user).get(f"/organisations/{small.id}")
                     .get_data(as_text=True))
    assert "Nothing needs doing right now." in text
    assert "Head office Liverpool 80 1 1.2 Met" in text
    assert "Tier Committed To reach Active:" in text


def test_other_organisations_and_champions_cannot_see_it(session, signed_in, org) -> None:
    outsider = make_user(session, organisation=make_member_organisation(session),
                         role=OrgRole.HR_LEAD)
    champion = make_champion(session, org)
    session.commit()
    assert signed_in(outsider).get(f"/organisations/{org.id}").status_code == 404
    assert signed_in(champion).get(f"/organisations/{org.id}").status_code == 403


# --- The statement count does not grow with the number of champions ---------------------------

def add_champions(session, organisation, count: int, start: int) -> list[User]:
    """Many champions at once (one flush), spread over the organisation's sites."""
    users = [User(email=f"champion{n}@example.org", full_name=f"Champion {n:03d}",
                  password_hash=default_password_hash(), email_verified_at=utcnow())
             for n in range(start, start + count)]
    session.add_all(users)
    session.flush()
    sites = organisation.sites
    session.add_all([Membership(user=user, organisation=organisation, role=OrgRole.CHAMPION,
                                site=sites[n % len(sites)]) for n, user in enumerate(users)])
    session.flush()
    return users


def statements_for(app: Flask, client: FlaskClient, path: str) -> int:
    with count_statements(app.extensions["portal.engine"]) as log:
        response = client.get(path)
    assert response.status_code == 200
    return log.count


def test_the_dashboard_costs_the_same_statements_for_5_and_500_champions(
        app, session, signed_in, org, hr_user) -> None:
    _course, modules = load_basics(session)
    client = signed_in(hr_user)
    path = f"/organisations/{org.id}"

    first = add_champions(session, org, 5, start=0)
    catch_up_required_assignments(session, today=utcnow().date())
    for module in modules.values():
        pass_module(session, first[0], module)
    pass_module(session, first[1], modules["first-module"])
    session.commit()
    few = statements_for(app, client, path)
    assert f"{5} champions" in client.get(path).get_data(as_text=True)

    more = add_champions(session, org, 495, start=5)
    catch_up_required_assignments(session, today=utcnow().date())
    for user in more[:20]:
        pass_module(session, user, modules["second-module"])
    for module in modules.values():
        pass_module(session, more[-1], module)
    session.execute(sa.update(Assignment).where(Assignment.user_id.in_(
        [u.id for u in more[100:150]])).values(due_on=utcnow().date() - timedelta(days=3)))
    invites.add_invitation(session, org, invites.Invitee("Another Lead", "lead2@example.org",
                                                         OrgRole.HR_LEAD), invited_by=hr_user,
                           days=14)
    session.commit()
    many = statements_for(app, client, path)
    page = client.get(path).get_data(as_text=True)
    # A page of the table, and the figures over all 500.
    assert "500 champions" in page and page.count("of 2 modules") == 50
    assert "Showing 1 to 50 of 500 champions" in visible_text(page)
    assert "50 champions have overdue training" in page and "Another Lead" in page
    assert few == many, (few, many)
    assert many <= 12, many
    # Later pages and filtered views cost the same.
    for query in ("?page=7&q=champion", "?overdue=yes&status=Not+started&sort=expires"):
        assert statements_for(app, client, path + query) == many, query


# --- The champions' table: pages, search, filters; figures over every page ---------------------

def table_rows(html: str) -> list[str]:
    """The champions' table's rows as visible text (name first)."""
    table = html.split('Champions’ training', 2)[-1].split("</table>", 1)[0]
    body = table.split('<tbody class="govuk-table__body">', 1)[1]
    return [visible_text(row).strip() for row in body.split('<tr class="govuk-table__row">')[1:]]


def every_row(client: FlaskClient, path: str) -> list[str]:
    rows, page = [], 1
    while True:
        html = client.get(f"{path}{'&' if '?' in path else '?'}page={page}").get_data(as_text=True)
        rows += table_rows(html)
        if f"page={page + 1}" not in html:
            return rows
        page += 1


@pytest.fixture
def busy(session, org):
    """120 champions over two sites: 30 trained, 12 with overdue training."""
    _course, modules = load_basics(session)
    users = add_champions(session, org, 120, start=0)
    catch_up_required_assignments(session, today=utcnow().date())
    for user in users[:30]:
        for module in modules.values():
            pass_module(session, user, module)
    session.execute(sa.update(Assignment).where(Assignment.user_id.in_(
        [u.id for u in users[100:112]])).values(due_on=utcnow().date() - timedelta(days=3)))
    session.commit()
    return users


def test_the_table_shows_a_page_and_links_to_the_others(session, signed_in, org, hr_user,
                                                        busy) -> None:
    client = signed_in(hr_user)
    path = f"/organisations/{org.id}"
    first = client.get(path).get_data(as_text=True)
    assert "Showing 1 to 50 of 120 champions" in visible_text(first)
    assert len(table_rows(first)) == 50 and table_rows(first)[0].startswith("Champion 000")
    assert f'href="{path}?page=2#champions"' in first and f'{path}?page=3#champions' in first
    last = client.get(path + "?page=3").get_data(as_text=True)
    assert "Showing 101 to 120 of 120 champions" in visible_text(last)
    assert table_rows(last)[-1].startswith("Champion 119")
    assert "Showing 101 to 120" in visible_text(client.get(path + "?page=99")
                                                 .get_data(as_text=True))
    # Every champion once, in name order, over the pages.
    names = [row.split(" ")[1] for row in every_row(client, path)]
    assert names == [f"{n:03d}" for n in range(120)]


def test_the_figures_count_every_page(session, signed_in, org, hr_user, busy) -> None:
    client = signed_in(hr_user)
    path = f"/organisations/{org.id}"
    text = visible_text(client.get(path).get_data(as_text=True))
    assert "120 champions" in text and "12 champions have overdue training" in text
    rows = every_row(client, path)
    assert len(rows) == 120
    assert sum(" Trained " in row for row in rows) == 30
    assert sum(" overdue " in row for row in rows) == 12
    # Coverage counts trained champions per site: the sum is every trained champion.
    coverage = text.split("Sites and coverage", 1)[1]
    assert "Head office Liverpool 150 15 " in coverage and "Depot Liverpool 40 15 " in coverage
    # Filtered: the overdue and trained views hold exactly those the figures count.
    assert len(every_row(client, path + "?overdue=yes")) == 12
    trained = every_row(client, path + "?status=Trained")
    assert len(trained) == 30 and all(" Trained " in row for row in trained)


def test_the_table_searches_names_and_email_addresses_and_filters_by_site(
        session, signed_in, org, hr_user, busy) -> None:
    client = signed_in(hr_user)
    path = f"/organisations/{org.id}"
    by_email = visible_text(client.get(path + "?q=CHAMPION7%40example").get_data(as_text=True))
    assert "Showing 1 to 1 of 1 champion matching your filters (120 in all)" in by_email
    assert "Champion 007" in by_email
    by_name = client.get(path + "?q=champion+01").get_data(as_text=True)
    assert [row[:12] for row in table_rows(by_name)] == [f"Champion 01{n}" for n in range(10)]
    depot = next(site for site in org.sites if site.name == "Depot")
    at_depot = client.get(f"{path}?site={depot.id}&status=Not+started").get_data(as_text=True)
    assert "Showing 1 to 45 of 45 champions matching" in visible_text(at_depot)
    assert all(" Depot Not started " in row for row in table_rows(at_depot))
    # Page links keep the filters.
    both = client.get(f"{path}?site={depot.id}").get_data(as_text=True)
    assert f"?page=2&amp;site={depot.id}#champions" in both
    nothing = visible_text(client.get(path + "?q=nobody").get_data(as_text=True))
    assert "No champions match" in nothing and "120 champions" in nothing


def test_every_filter_error_is_shown_at_once(session, signed_in, org, hr_user, busy) -> None:
    client = signed_in(hr_user)
    response = client.get(f"/organisations/{org.id}?q={'x' * 101}&site=zzz&status=Bogus"
                          "&sort=evil&page=%00")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Error: Your organisation" in html
    summary = html.split("govuk-error-summary", 1)[1].split("</ul>", 1)[0]
    for message in ("Search words must be 100 characters or fewer",
                    "Select a site from the list", "Select a training status from the list",
                    "Select an order from the list"):
        assert message in summary and message in html.split("</ul>", 1)[1], message
    # The parts with errors are left out: every champion, first page.
    assert "Showing 1 to 50 of 120 champions" in visible_text(html)
