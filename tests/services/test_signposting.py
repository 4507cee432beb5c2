"""The signposting card: the contact route rules, the policy summary and the services chosen."""

from __future__ import annotations

from datetime import date

import pytest

from portal.models import Borough, ElementStatus, PolicyElementRecord, utcnow
from portal.services.policy_framework import policy_framework
from portal.services.signposting import (
    LOCAL_SERVICE_LIMIT,
    NATIONAL_SERVICE_KEYS,
    ContactRouteError,
    build_card,
    clean_contact_route,
)
from tests.factories import make_member_organisation, make_site, make_support_service


@pytest.mark.parametrize("route", [
    "champions@example.org",
    "Search 'Workplace Champions' on the intranet",
    "Switchboard 0151 496 0000, ask for a Workplace Champion",
    "https://intranet.example.org/champions",
])
def test_shared_work_routes_are_accepted(route: str) -> None:
    assert clean_contact_route(f"  {route} ") == route


@pytest.mark.parametrize("route", [
    "Call Sam on 07700 900123",
    "07700900123",
    "+44 7700 900 123",
    "+44 (0)7700 900123",
    "0044 7700-900-123",
])
def test_mobile_numbers_are_refused(route: str) -> None:
    with pytest.raises(ContactRouteError, match="not a mobile number"):
        clean_contact_route(route)


@pytest.mark.parametrize(("route", "message"), [
    ("<script>alert(1)</script>", "HTML is not allowed"),
    ("x" * 201, "200 characters or fewer"),
])
def test_html_and_long_routes_are_refused(route: str, message: str) -> None:
    with pytest.raises(ContactRouteError, match=message):
        clean_contact_route(route)


def test_an_empty_route_clears_it() -> None:
    assert clean_contact_route("   ") is None


def in_place(session, organisation, key: str, **values) -> None:  # noqa: ANN001
    session.add(PolicyElementRecord(organisation_id=organisation.id, element_key=key,
                                    status=values.pop("status", ElementStatus.IN_PLACE),
                                    in_place_on=date(2026, 1, 5), **values))
    session.flush()


def test_policy_points_need_the_written_policy_first(session) -> None:
    organisation = make_member_organisation(session)
    in_place(session, organisation, "safe_leave")
    assert build_card(session, organisation).policy_points == []

    in_place(session, organisation, "written_policy", review_on=date(2027, 1, 5))
    in_place(session, organisation, "staff_informed", status=ElementStatus.IN_PROGRESS)
    card = build_card(session, organisation)
    summaries = {element.key: element.staff_summary for element in policy_framework().elements}
    # Framework order, in-place elements only, in the words staff read.
    assert card.policy_points == [summaries["written_policy"], summaries["safe_leave"]]
    assert card.policy_review_on == date(2027, 1, 5)


def test_every_element_has_a_staff_summary() -> None:
    for element in policy_framework().elements:
        assert 20 < len(element.staff_summary) <= 140, element.key
        assert "<" not in element.staff_summary


def test_services_are_the_national_set_then_the_most_local_for_its_boroughs(session) -> None:
    organisation = make_member_organisation(session)  # its head office is in Liverpool
    make_site(session, organisation, name="Depot", borough=Borough.ST_HELENS)
    national = [make_support_service(session, key=key, name=f"National {n}")
                for n, key in enumerate(reversed(NATIONAL_SERVICE_KEYS))]
    make_support_service(session, key="samaritans", name="A national extra")
    regional = make_support_service(session, name="A regional service",
                                    boroughs=["liverpool", "st-helens", "wirral", "sefton"])
    st_helens = make_support_service(session, name="Z St Helens service", boroughs=["st-helens"])
    make_support_service(session, name="Wirral only", boroughs=["wirral"])
    make_support_service(session, name="St Helens stalking", boroughs=["st-helens"],
                         categories=["stalking"])
    retired = make_support_service(session, name="Retired", boroughs=["liverpool"])
    retired.retired_at = utcnow()
    session.flush()

    card = build_card(session, organisation)
    assert card.national_services == list(reversed(national))
    assert card.local_services == [st_helens, regional]
    assert card.borough_names == ["Liverpool", "St Helens"]


def test_local_services_are_capped_to_fit_one_page(session) -> None:
    organisation = make_member_organisation(session)
    for n in range(LOCAL_SERVICE_LIMIT + 3):
        make_support_service(session, name=f"Liverpool {n}", boroughs=["liverpool"])
    assert len(build_card(session, organisation).local_services) == LOCAL_SERVICE_LIMIT


def test_sites_outside_the_region_add_no_local_services(session) -> None:
    organisation = make_member_organisation(session)
    organisation.sites[0].borough = Borough.OUTSIDE
    make_support_service(session, name="Outside", boroughs=["outside"])
    session.flush()
    card = build_card(session, organisation)
    assert card.local_services == [] and card.borough_names == []
