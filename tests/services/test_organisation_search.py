"""The organisations list's pages, found by keyset: following the next (`after`) and previous
(`before`) links, or asking for a page by number, must give exactly the rows of the forward
order, whatever ties the sort keys have; the last page is read from the reversed order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.models import SchemeStatus
from portal.services.organisation_search import (
    OrganisationSearch,
    Sort,
    matching,
    ordered,
    organisations_page,
)
from tests.factories import make_member_organisation, make_site

PER_PAGE = 4
SAME_DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def tied(session) -> None:
    """Organisations whose sort keys tie (names equal but for case, same dates, same headcount)
    or are missing (never approved, no renewal date), so only the id tells them apart."""
    for number in range(18):
        approved = number % 3 != 0
        organisation = make_member_organisation(
            session, name=("Acme" if number % 2 else "ACME") if number < 8 else f"Org {number % 5}",
            scheme_status=SchemeStatus.APPROVED if approved else SchemeStatus.LAPSED,
            submitted_at=SAME_DAY, approved_at=SAME_DAY if approved else None,
            renewal_due_on=date(2027, 3, 1) if number % 4 else None)
        if number % 5 == 0:
            make_site(session, organisation, headcount=30)
    session.commit()


def every_row_in_order(session, search: OrganisationSearch, reverse: bool = False) -> list[int]:
    orgs = matching(search)
    return [row.id for row in session.execute(ordered(select(orgs), orgs, search.sort, reverse))]


@pytest.mark.parametrize("sort", list(Sort))
def test_the_reversed_order_is_the_exact_mirror(session, tied, sort) -> None:
    search = OrganisationSearch(sort=sort)
    forward = every_row_in_order(session, search)
    assert len(forward) == 18
    assert every_row_in_order(session, search, reverse=True) == forward[::-1]


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("status", [None, SchemeStatus.APPROVED])
def test_every_page_holds_the_rows_of_the_forward_order(session, tied, sort, status) -> None:
    search = OrganisationSearch(sort=sort, status=status)
    forward = every_row_in_order(session, search)
    pages = (len(forward) + PER_PAGE - 1) // PER_PAGE
    for page in range(1, pages + 1):
        found = organisations_page(session, search, page, per_page=PER_PAGE)
        start = (page - 1) * PER_PAGE
        assert [row.id for row in found.rows] == forward[start:start + PER_PAGE], page
        assert found.total == len(forward) and found.page == page
    past = organisations_page(session, search, pages + 3, per_page=PER_PAGE)
    assert past.page == pages and [row.id for row in past.rows] == forward[(pages - 1) * PER_PAGE:]


def pages_of(rows: list[int]) -> list[list[int]]:
    return [rows[start:start + PER_PAGE] for start in range(0, len(rows), PER_PAGE)]


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("status", [None, SchemeStatus.APPROVED])
@pytest.mark.parametrize("labelled", [True, False])
def test_next_and_previous_links_walk_the_forward_order(session, tied, sort, status,
                                                        labelled) -> None:
    """From the first page by `after` (the last row shown), back from the last by `before`
    (the first row shown): every page, in order, with its number (carried by the link, or
    worked out by the count when the link has none)."""
    search = OrganisationSearch(sort=sort, status=status)
    expected = pages_of(every_row_in_order(session, search))
    walked, found = [], organisations_page(session, search, 1, per_page=PER_PAGE)
    while True:
        walked.append(([row.id for row in found.rows], found.page))
        if found.page == found.pages:
            break
        found = organisations_page(session, search, found.page + 1 if labelled else None,
                                   per_page=PER_PAGE, after=found.rows[-1].id)
    assert walked == [(rows, number) for number, rows in enumerate(expected, 1)]
    back, found = [], organisations_page(session, search, len(expected), per_page=PER_PAGE)
    while True:
        back.append(([row.id for row in found.rows], found.page))
        if found.page == 1:
            break
        found = organisations_page(session, search, found.page - 1 if labelled else None,
                                   per_page=PER_PAGE, before=found.rows[0].id)
    assert back == walked[::-1]


def test_a_link_from_an_organisation_the_filters_leave_out_still_finds_its_place(session,
                                                                                 tied) -> None:
    everyone = every_row_in_order(session, OrganisationSearch())
    approved = OrganisationSearch(status=SchemeStatus.APPROVED)
    lapsed = [row for row in everyone if row not in every_row_in_order(session, approved)]
    found = organisations_page(session, approved, None, per_page=PER_PAGE, after=lapsed[0])
    later = every_row_in_order(session, approved)
    expected = [row for row in later if everyone.index(row) > everyone.index(lapsed[0])]
    assert [row.id for row in found.rows] == expected[:PER_PAGE]
    assert not found.stale_link
    assert found.page == (len(later) - len(expected)) // PER_PAGE + 1


@pytest.mark.parametrize("cursor", [0, 999_999_999])
def test_an_unknown_organisation_in_a_link_gives_the_first_page(session, tied, cursor) -> None:
    for where in ({"after": cursor}, {"before": cursor}):
        found = organisations_page(session, OrganisationSearch(), per_page=PER_PAGE, **where)
        assert found.stale_link and found.page == 1
        assert [row.id for row in found.rows] == \
            every_row_in_order(session, OrganisationSearch())[:PER_PAGE]
