"""The dashboard's figures against values worked out by hand (acceptance 1).

The fixed data set is described in tests/monitoring_data.build_fixed_data; the comments here
show the working.
"""

from __future__ import annotations

from datetime import date

import pytest

from portal.models import Borough, MembershipStatus, Sector, Tier
from portal.services import monitoring
from portal.services.disclosure import FEWER_THAN, WITHHELD
from portal.services.monitoring import Filters, SizeBand, parse_filters
from tests.monitoring_data import NOW, build_fixed_data

F, W = FEWER_THAN, WITHHELD


@pytest.fixture
def data(session):
    return build_fixed_data(session)


def figures(session, **filters: object) -> monitoring.Dashboard:
    return monitoring.dashboard(session, Filters(**filters), NOW)


def breakdown(result: monitoring.Dashboard, key: str) -> dict[str, tuple]:
    found = next(b for b in result.breakdowns if b.key == key)
    rows = {row.label: (row.organisations, row.employees, row.champions.text, row.trained.text,
                        row.overdue.text) for row in found.rows}
    total = found.total
    rows["All"] = (total.organisations, total.employees, total.champions.text,
                   total.trained.text, total.overdue.text)
    return rows


def test_headline_figures(session, data) -> None:
    headline = figures(session).headline
    # F never confirmed its e-mail address, so it is not counted anywhere.
    assert dict(headline.by_status) == {
        MembershipStatus.APPLIED: 1, MembershipStatus.APPROVED: 3, MembershipStatus.DECLINED: 1,
        MembershipStatus.SUSPENDED: 1, MembershipStatus.WITHDRAWN: 0, MembershipStatus.LAPSED: 0}
    assert dict(headline.by_tier) == {"Committed": 1, "Active": 1, "Established": 1}
    assert headline.members == 3
    assert headline.employees == 30 + 40 + 1200 + 20
    # Champions: A 7 current (its leaver is not counted), B 12, C 2; D is suspended.
    assert headline.champions.text == "21"
    # Trained: A 4 current + 1 expired + Sefton 1 = 6; B 9 never expiring + 1 = 10.
    assert headline.trained.text == "16"
    assert headline.certified.text == "15"  # 16 less A's expired certificate
    assert headline.expiring.text == F  # A's Sefton champion and B's tenth: 2
    assert headline.expiring.value == 2
    # Overdue: A's L5 and L6 (L6 twice, one person), C's K1; not cancelled, completed, due today
    # or in the future, nor the leaver's, nor D's.
    assert headline.overdue.text == F and headline.overdue.value == 3


def test_borough_breakdown_with_secondary_suppression(session, data) -> None:
    rows = breakdown(figures(session), "borough")
    # Champions 0, 2, 6, 1, 0, 12, 0: the two small cells (2 and 1) add up to 21 - 18 = 3,
    # which could be 1 + 2 or 2 + 1, so nothing more is hidden.
    # Trained 0, 0, 5, 1, 0, 10, 0 of 16: the Sefton 1 alone would be 16 - 15. Withholding 5
    # is not enough (1 + a withheld cell of at least 5 = 6 pins the 1), so 10 goes too.
    assert rows == {
        "Halton": (0, 0, "0", "0", "0"),
        "Knowsley": (1, 20, F, "0", F),
        "Liverpool": (1, 30, "6", W, F),
        "Sefton": (1, 40, F, F, "0"),
        "St Helens": (0, 0, "0", "0", "0"),
        "Wirral": (1, 1200, "12", W, "0"),
        "Outside the Liverpool City Region": (0, 0, "0", "0", "0"),
        "All": (3, 1290, "21", "16", F),
    }


def test_sector_and_size_breakdowns(session, data) -> None:
    result = figures(session)
    # Champions by sector 12, 7, 2, 0, 0, 0: the 2 would be 21 - 19, so 7 is withheld; then
    # the hidden pair adds up to 9, a small cell of 1 to 4 and a withheld one of 5 to 12.
    assert breakdown(result, "sector") == {
        "Public sector": (1, 1200, "12", "10", "0"),
        "Private sector": (1, 70, W, "6", F),
        "Voluntary and community sector": (1, 20, F, "0", F),
        "Education": (0, 0, "0", "0", "0"),
        "Health and care": (0, 0, "0", "0", "0"),
        "Other": (0, 0, "0", "0", "0"),
        "All": (3, 1290, "21", "16", F),
    }
    assert breakdown(result, "size_band") == {
        "1 to 49 employees": (1, 20, F, "0", F),
        "50 to 249 employees": (1, 70, W, "6", F),
        "250 to 999 employees": (0, 0, "0", "0", "0"),  # D is suspended
        "1,000 or more employees": (1, 1200, "12", "10", "0"),
        "All": (3, 1290, "21", "16", F),
    }


def test_funnel_counts_and_median_days(session, data) -> None:
    funnel = figures(session).funnel
    # Applied: A, B, C, D, E, G. Approved: A (10 days), B (4), C (10), D (9): median 9.5.
    # Policy in place: A 30 days after approval, B 10, D before approval (0): median 10.
    # First champion trained: A's champions joined before its policy (0), B 5 days after,
    # D 31 days after: median 5. C has no trained champion.
    assert [(s.label, s.organisations, s.median_days) for s in funnel] == [
        ("Applied", 6, None), ("Approved", 4, 9.5), ("Policy in place", 3, 10.0),
        ("First champion trained", 3, 5.0)]


def test_months_cover_the_last_twelve_with_completions_and_new_members(session, data) -> None:
    months = figures(session).months
    assert [m.key for m in months][0] == "2025-12" and months[-1].key == "2026-11"
    completions = {m.key: m.completions.text for m in months if m.completions.value}
    # Dec: A's Sefton champion; Mar: A 4 + B 10; Apr: A's leaver (trained before leaving).
    assert completions == {"2025-12": F, "2026-03": "14", "2026-04": F}
    assert {m.key: m.new_members for m in months if m.new_members} == {
        "2026-01": 1, "2026-03": 1, "2026-06": 1}
    assert months[0].label == "Dec 2025"


def test_policy_adoption_rates(session, data) -> None:
    adoption = {a.key: a for a in figures(session).adoption}
    assert len(adoption) == 10
    written = adoption["written_policy"]
    assert (written.in_place, written.verified, written.members) == (2, 1, 3)
    assert (written.in_place_percent, written.verified_percent) == (67, 33)
    informed = adoption["staff_informed"]
    assert (informed.in_place, informed.verified) == (1, 1)  # A's is only in progress
    assert adoption["safe_leave"].in_place == 0


def test_borough_filter_counts_only_that_borough(session, data) -> None:
    result = figures(session, borough=Borough.LIVERPOOL)
    headline = result.headline
    assert dict(headline.by_status)[MembershipStatus.APPROVED] == 1  # A
    assert dict(headline.by_status)[MembershipStatus.SUSPENDED] == 1  # D
    assert headline.members == 1 and headline.employees == 30  # A's Liverpool site only
    assert (headline.champions.text, headline.trained.text, headline.certified.text,
            headline.expiring.text, headline.overdue.text) == ("6", "5", F, "0", F)
    assert breakdown(result, "borough")["Sefton"] == (0, 0, "0", "0", "0")
    assert [s.organisations for s in result.funnel] == [2, 2, 2, 2]  # A and D
    completions = {m.key: m.completions.value for m in result.months if m.completions.value}
    assert completions == {"2026-03": 4, "2026-04": 1}  # the Sefton champion is elsewhere


@pytest.mark.parametrize(("filters", "members", "champions"), [
    ({"sector": Sector.PUBLIC}, 1, "12"),
    ({"size_band": SizeBand.MEDIUM}, 1, "7"),
    ({"tier": Tier.ESTABLISHED}, 1, "12"),
    ({"tier": Tier.COMMITTED}, 1, F),
    ({"sector": Sector.EDUCATION}, 0, "0"),
])
def test_other_filters_apply_to_every_panel(session, data, filters, members, champions) -> None:
    result = figures(session, **filters)
    assert result.headline.members == members
    assert result.headline.champions.text == champions
    assert sum(b.total.organisations for b in result.breakdowns[1:]) == 2 * members
    assert all(a.members == members for a in result.adoption)


def test_date_filter_selects_organisations_by_application_date(session, data) -> None:
    result = figures(session, applied_from=date(2026, 2, 1), applied_to=date(2026, 10, 1))
    # B (1 March), C (1 June) and E (1 October, the last day counts); not A, D or G.
    assert dict(result.headline.by_status) == {
        MembershipStatus.APPLIED: 1, MembershipStatus.APPROVED: 2, MembershipStatus.DECLINED: 0,
        MembershipStatus.SUSPENDED: 0, MembershipStatus.WITHDRAWN: 0, MembershipStatus.LAPSED: 0}
    assert result.headline.champions.text == "14"
    assert [m.key for m in result.months] == [f"2026-{n:02d}" for n in range(2, 11)]
    assert [s.organisations for s in result.funnel] == [3, 2, 1, 1]


def test_filters_read_from_the_url_and_back() -> None:
    parsed = parse_filters({"borough": "sefton", "sector": "public", "size": "1000-plus",
                            "tier": "active", "from-day": "1", "from-month": "2",
                            "from-year": "2026", "to-day": "", "to-month": "", "to-year": ""})
    assert parsed.errors == {}
    assert parsed.filters == Filters(Borough.SEFTON, Sector.PUBLIC, SizeBand.VERY_LARGE,
                                     Tier.ACTIVE, date(2026, 2, 1), None)
    assert parse_filters(parsed.filters.query_args()).filters == parsed.filters
    assert parsed.filters.describe()[-1] == ("Applied from", "1 February 2026")


@pytest.mark.parametrize(("args", "errors"), [
    ({"borough": "atlantis", "tier": "<script>"}, {}),
    ({"from-day": "31", "from-month": "2", "from-year": "2026"},
     {"from-day": "Applied from must be a real date"}),
    ({"from-day": "1", "from-month": "", "from-year": "2026"},
     {"from-month": "Applied from must include a month"}),
    ({"to-day": "x", "to-month": "1", "to-year": "2026"},
     {"to-day": "Applied to must be a real date"}),
    ({"to-day": "1", "to-month": "1", "to-year": "1899"},
     {"to-year": "Applied to must be a real date"}),
    ({"from-day": "2", "from-month": "1", "from-year": "2026", "to-day": "1", "to-month": "1",
      "to-year": "2026"}, {"to-day": "Applied to must be the same as or after applied from"}),
])
def test_bad_filters_are_ignored_or_explained(args, errors) -> None:
    parsed = parse_filters(args)
    assert parsed.errors == errors
    assert parsed.filters.borough is None and parsed.filters.tier is None


def test_trend_months_follow_the_date_filter_up_to_two_years() -> None:
    today = date(2026, 11, 21)
    assert len(monitoring.trend_months(Filters(), today)) == 12
    long_range = Filters(applied_from=date(2020, 1, 1), applied_to=date(2026, 6, 30))
    months = monitoring.trend_months(long_range, today)
    assert (len(months), months[0], months[-1]) == (24, date(2024, 7, 1), date(2026, 6, 1))
