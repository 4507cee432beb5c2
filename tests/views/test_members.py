"""The public member list and membership check: organisations only, never people."""

from __future__ import annotations

import re

import pytest

from tests.monitoring_data import add_bulk_data, build_fixed_data


@pytest.fixture
def data(session):
    return build_fixed_data(session)


def listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', html)


def test_only_current_members_who_opted_in_are_listed(client, data) -> None:
    response = client.get("/members")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Member organisations – Workplace Champions</title>" in html
    # A and B opted in; C did not; D opted in but is suspended; E, F, G are not members.
    assert listed(html) == ["Alder Foods", "Birch Council"]
    assert "Private sector" in html and "Liverpool, Sefton" in html and "Active" in html
    assert "Established" in html and "Wirral" in html


def test_the_list_never_shows_people(client, data) -> None:
    html = client.get("/members").get_data(as_text=True)
    assert "@example.org" not in html and "Alder L1" not in html and "Person" not in html
    assert "01234567" not in html  # registered numbers are for checking, not for listing


def test_search_by_name(client, data) -> None:
    assert listed(client.get("/members?search=BIRCH").get_data(as_text=True)) == \
        ["Birch Council"]
    html = client.get("/members?search=<script>alert(1)</script>").get_data(as_text=True)
    assert listed(html) == [] and "<script>alert(1)" not in html
    assert "No listed members match your search" in html


def test_pages_of_members(client, session) -> None:
    add_bulk_data(session, 60, champions_each=0)  # every other one is listed: 30
    html = client.get("/members").get_data(as_text=True)
    assert "30 members, page 1 of 2" in html and len(listed(html)) == 25
    assert len(listed(client.get("/members?page=2").get_data(as_text=True))) == 5
    assert client.get("/members?page=x%00").status_code == 200


@pytest.mark.parametrize(("query", "found"), [
    ("Alder Foods", "Alder Foods"),
    ("alder foods ltd", "Alder Foods"),  # case and "Ltd" do not matter
    ("0123 4567", "Alder Foods"),  # the registered number, spaced
    ("Cedar Charity", "Cedar Charity"),  # members who are not listed can still be checked
])
def test_verify_confirms_current_members(client, data, query: str, found: str) -> None:
    html = client.get("/verify", query_string={"organisation": query}).get_data(as_text=True)
    assert "This organisation is a current member" in html
    assert f'<dt class="govuk-summary-list__key">{found}</dt>' in html


@pytest.mark.parametrize("query", ["Damson Limited", "Elm Academy", "Fig Florist",
                                   "Gorse Clinic", "Alder", "Nobody At All"])
def test_verify_says_nothing_about_anyone_else(client, data, query: str) -> None:
    """Suspended, applying, declined and partial names are all simply not found."""
    html = client.get("/verify", query_string={"organisation": query}).get_data(as_text=True)
    assert "We could not find a current member with that name or number" in html
    assert "Suspended" not in html and "Declined" not in html
