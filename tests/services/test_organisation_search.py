"""The organisations list's pages: pages in the second half are read in the reversed order and
turned round, which must give exactly the rows the forward order gives."""

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
    for page in range(1, pages + 2):  # and one past the end, which is empty
        found = organisations_page(session, search, page, per_page=PER_PAGE)
        start = (page - 1) * PER_PAGE
        assert [row.id for row in found.rows] == forward[start:start + PER_PAGE], page
        assert found.total == len(forward)
