"""The dashboard's figures against values worked out by hand (acceptance 1).

The fixed data set is described in tests/monitoring_data.build_fixed_data; the comments here
show the working. Counts of people are checked as the true counts behind each cell (`value`);
how they are published is tested in tests/services/test_small_numbers.py, and here only that
every cell follows that rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.forms.filters import parse_filters
from portal.models import Borough, SchemeStatus, Sector, Tier
from portal.services import monitoring, monitoring_filters
from portal.services.monitoring_filters import Filters, SizeBand
from portal.services.small_numbers import FEWER_THAN, rounded
from tests.monitoring_data import (
    NOW,
    build_fixed_data,
    make_certificate,
    make_champion,
    make_org,
)


@pytest.fixture
def data(session):
    return build_fixed_data(session)


def figures(session, **filters: object) -> monitoring.Dashboard:
    return monitoring.dashboard(session, Filters(**filters), NOW)


def breakdown(result: monitoring.Dashboard, key: str) -> dict[str, tuple]:
    """Organisations, employees, and the true counts of champions, champions with a current
    certification, champions ever trained, and champions with overdue training."""
    found = next(b for b in result.breakdowns if b.key == key)
    return {row.label: (row.organisations, row.employees, row.champions.value,
                        row.certified.value, row.trained.value, row.overdue.value)
            for row in (*found.rows, found.total)}


def people_cells(result: monitoring.Dashboard) -> list:
    headline = result.headline
    cells = [headline.champions, headline.trained, headline.certified, headline.expiring,
             headline.overdue, *(month.completions for month in result.months)]
    for found in result.breakdowns:
        for row in (*found.rows, found.total):
            cells += [row.champions, row.certified, row.trained, row.overdue]
    return cells


def assert_published_by_the_rule(result: monitoring.Dashboard) -> None:
    for cell in people_cells(result):
        if 0 < cell.value < 5:
            assert (cell.number, cell.text) == (None, FEWER_THAN)
        else:
            assert cell.number == rounded(cell.value, cell.key)
            assert cell.number % 5 == 0 and abs(cell.number - cell.value) <= 4


def test_headline_figures(session, data) -> None:
    result = figures(session)
    headline = result.headline
    # F never confirmed its e-mail address, so it is not counted anywhere.
    assert dict(headline.by_status) == {
        SchemeStatus.APPLIED: 1, SchemeStatus.APPROVED: 3, SchemeStatus.DECLINED: 1,
        SchemeStatus.SUSPENDED: 1, SchemeStatus.WITHDRAWN: 0, SchemeStatus.LAPSED: 0}
    assert dict(headline.by_tier) == {"Committed": 1, "Active": 1, "Established": 1}
    assert headline.members == 3
    assert headline.employees == 30 + 40 + 1200 + 20
    # Champions: A 7 current (its leaver is not counted), B 12, C 2; D is suspended.
    assert headline.champions.value == 21
    # Ever trained: A 4 current + 1 expired + Sefton 1 = 6; B 9 never expiring + 1 = 10.
    assert headline.trained.value == 16
    assert headline.certified.value == 15  # 16 less A's expired certificate
    assert headline.expiring.value == 2  # A's Sefton champion and B's tenth
    assert headline.expiring.text == FEWER_THAN
    # Overdue: A's L5 and L6 (L6 twice, one person), C's K1; not cancelled, completed, due today
    # or in the future, nor the leaver's, nor D's.
    assert headline.overdue.value == 3
    assert headline.tiers_checked_at is None  # no re-check of every tier has run
    assert_published_by_the_rule(result)


def test_borough_breakdown(session, data) -> None:
    # Liverpool: A's L1-L6, of whom L1-L4 are certified now and L5 was (expired).
    assert breakdown(figures(session), "borough") == {
        "Halton": (0, 0, 0, 0, 0, 0),
        "Knowsley": (1, 20, 2, 0, 0, 1),
        "Liverpool": (1, 30, 6, 4, 5, 2),
        "Sefton": (1, 40, 1, 1, 1, 0),
        "St Helens": (0, 0, 0, 0, 0, 0),
        "Wirral": (1, 1200, 12, 10, 10, 0),
        "Outside the Liverpool City Region": (0, 0, 0, 0, 0, 0),
        "All": (3, 1290, 21, 15, 16, 3),
    }


def test_sector_and_size_breakdowns(session, data) -> None:
    result = figures(session)
    assert breakdown(result, "sector") == {
        "Public sector": (1, 1200, 12, 10, 10, 0),
        "Private sector": (1, 70, 7, 5, 6, 2),
        "Voluntary and community sector": (1, 20, 2, 0, 0, 1),
        "Education": (0, 0, 0, 0, 0, 0),
        "Health and care": (0, 0, 0, 0, 0, 0),
        "Other": (0, 0, 0, 0, 0, 0),
        "All": (3, 1290, 21, 15, 16, 3),
    }
    assert breakdown(result, "size_band") == {
        "1 to 49 employees": (1, 20, 2, 0, 0, 1),
        "50 to 249 employees": (1, 70, 7, 5, 6, 2),
        "250 to 999 employees": (0, 0, 0, 0, 0, 0),  # D is suspended
        "1,000 or more employees": (1, 1200, 12, 10, 10, 0),
        "All": (3, 1290, 21, 15, 16, 3),
    }
    assert_published_by_the_rule(result)


def test_the_same_people_show_the_same_figure_in_every_view(session, data) -> None:
    """Wirral's champions are all of the public sector's and all of the 1,000-plus band's:
    the same records, so the same cell key and the same published figure everywhere."""
    result = figures(session)
    wirral = next(r for r in result.breakdowns[0].rows if r.label == "Wirral")
    public = next(r for r in result.breakdowns[1].rows if r.label == "Public sector")
    filtered = figures(session, borough=Borough.WIRRAL).headline
    assert wirral.champions == public.champions == filtered.champions
    assert len({wirral.champions.text, public.champions.text, filtered.champions.text}) == 1


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
    completions = {m.key: m.completions.value for m in months if m.completions.value}
    # The champions of the headline only: Dec, A's Sefton champion; Mar, A 4 + B 10. Not A's
    # leaver (April), nor suspended D's.
    assert completions == {"2025-12": 1, "2026-03": 14}
    assert {m.key: m.new_members for m in months if m.new_members} == {
        "2026-01": 1, "2026-03": 1, "2026-06": 1}
    assert months[0].label == "Dec 2025"
    # 21 November: November is not over.
    assert [m.key for m in months if m.partial] == ["2026-11"]


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
    assert dict(headline.by_status)[SchemeStatus.APPROVED] == 1  # A
    assert dict(headline.by_status)[SchemeStatus.SUSPENDED] == 1  # D
    assert headline.members == 1 and headline.employees == 30  # A's Liverpool site only
    assert (headline.champions.value, headline.trained.value, headline.certified.value,
            headline.expiring.value, headline.overdue.value) == (6, 5, 4, 0, 2)
    assert breakdown(result, "borough")["Sefton"] == (0, 0, 0, 0, 0, 0)
    assert [s.organisations for s in result.funnel] == [2, 2, 2, 2]  # A and D
    completions = {m.key: m.completions.value for m in result.months if m.completions.value}
    assert completions == {"2026-03": 4}  # the Sefton champion is elsewhere, the leaver gone


@pytest.mark.parametrize(("filters", "members", "champions"), [
    ({"sector": Sector.PUBLIC}, 1, 12),
    ({"size_band": SizeBand.MEDIUM}, 1, 7),
    ({"tier": Tier.ESTABLISHED}, 1, 12),
    ({"tier": Tier.COMMITTED}, 1, 2),
    ({"sector": Sector.EDUCATION}, 0, 0),
])
def test_other_filters_apply_to_every_panel(session, data, filters, members, champions) -> None:
    result = figures(session, **filters)
    assert result.headline.members == members
    assert result.headline.champions.value == champions
    assert_published_by_the_rule(result)
    assert sum(b.total.organisations for b in result.breakdowns[1:]) == 2 * members
    assert all(a.members == members for a in result.adoption)


def test_date_filter_selects_organisations_by_application_date(session, data) -> None:
    result = figures(session, applied_from=date(2026, 2, 1), applied_to=date(2026, 10, 1))
    # B (1 March), C (1 June) and E (1 October, the last day counts); not A, D or G.
    assert dict(result.headline.by_status) == {
        SchemeStatus.APPLIED: 1, SchemeStatus.APPROVED: 2, SchemeStatus.DECLINED: 0,
        SchemeStatus.SUSPENDED: 0, SchemeStatus.WITHDRAWN: 0, SchemeStatus.LAPSED: 0}
    assert result.headline.champions.value == 14
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


# --- The scheme's time zone (issue 17) ------------------------------------------------------------

LATE_ON_26_SEPTEMBER = datetime(2026, 9, 26, 23, 56, tzinfo=UTC)  # 00:56 on the 27th in London


def test_application_dates_are_filtered_by_the_london_day(session, data) -> None:
    make_org(session, "Late Applicant", sector=Sector.OTHER, sites=[(Borough.HALTON, 10)],
             status=SchemeStatus.APPLIED, applied=LATE_ON_26_SEPTEMBER)
    session.commit()

    def applied(**days: date) -> int:
        return dict(figures(session, **days).headline.by_status)[SchemeStatus.APPLIED]

    # E applied on 1 October; the late applicant on 27 September, London time.
    assert applied(applied_from=date(2026, 9, 27), applied_to=date(2026, 9, 27)) == 1
    assert applied(applied_to=date(2026, 9, 26)) == 0
    assert applied(applied_from=date(2026, 9, 26), applied_to=date(2026, 9, 26)) == 0
    assert applied(applied_from=date(2026, 9, 28)) == 1  # E only


def test_months_are_london_months(session, data) -> None:
    """A certificate and an approval at 23:30 UTC on 30 September are October's (00:30 BST)."""
    late = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)
    org = make_org(session, "Late Member", sector=Sector.OTHER, sites=[(Borough.HALTON, 10)],
                   applied=datetime(2026, 9, 1, tzinfo=UTC), approved=late)
    person = make_champion(session, org, org.sites[0], joined=late)
    make_certificate(session, person, data.course, issued_at=late, expires_at=None)
    session.commit()
    months = {m.key: m for m in figures(session).months}
    assert (months["2026-10"].completions.value, months["2026-10"].new_members) == (1, 1)
    assert (months["2026-09"].completions.value, months["2026-09"].new_members) == (0, 0)


def test_the_month_we_are_in_is_partial_in_london() -> None:
    """At 23:30 UTC on 31 May it is already 1 June in London: June is the month under way."""
    now = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert monitoring_filters.local_today(now) == date(2026, 6, 1)
    months = monitoring.trend_months(Filters(), monitoring_filters.local_today(now))
    assert months[-1] == date(2026, 6, 1) and months[0] == date(2025, 7, 1)


def test_the_dashboard_marks_the_london_month_under_way(session, data) -> None:
    months = monitoring.dashboard(session, Filters(), datetime(2026, 5, 31, 23, 30,
                                                               tzinfo=UTC)).months
    assert [(m.key, m.partial) for m in months][-2:] == [("2026-05", False), ("2026-06", True)]
