"""Coordinators' dashboard, organisations list and exports: access, figures, filters in the URL,
CSV safety (CSV-01), re-authentication and audit for exports of people, and a constant number
of SQL statements however many organisations there are (acceptance 2)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from bench.sqlcount import count_statements as statements_of
from portal.models import AuditEvent, Borough, OrgRole, SchemeStatus, Sector
from portal.services import exports, monitoring
from portal.services.monitoring_filters import Filters
from portal.services.tiers import refresh_all_tiers
from tests.conftest import csrf_token
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.monitoring_data import NOW, add_bulk_data, build_fixed_data, make_champion, make_org

ENDPOINTS = ["/coordinator/dashboard", "/coordinator/exports", "/coordinator/organisations",
             "/coordinator/exports/figures.csv", "/coordinator/exports/organisations.csv",
             "/coordinator/exports/champions.csv"]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def data(session, clock):
    return build_fixed_data(session)


@pytest.fixture
def coordinator(data, signed_in):
    return signed_in(data.coordinator)


def confirm_password(client, password: str = DEFAULT_PASSWORD, next_url: str = "/dashboard"):  # noqa: ANN201
    path = f"/confirm-password?next={next_url}"
    return client.post(path, data={"password": password,
                                   "csrf_token": csrf_token(client, path)})


def rows_of(response) -> list[list[str]]:  # noqa: ANN001
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def audit(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


# --- Who may see what ------------------------------------------------------------------------

@pytest.mark.parametrize("role", [OrgRole.HR_LEAD, OrgRole.CHAMPION])
def test_everybody_but_coordinators_gets_not_found(session, data, signed_in, role) -> None:
    client = signed_in(make_user(session, organisation=data.orgs["A"], role=role))
    for path in ENDPOINTS:
        assert client.get(path).status_code == 404, path


def test_anonymous_people_are_sent_to_sign_in(client, data) -> None:
    for path in ENDPOINTS:
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- The dashboard ---------------------------------------------------------------------------

def cell_texts(html: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, as the text of each cell."""
    table = html[html.index(caption):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr class=\"govuk-table__row[^\"]*\">(.*?)</tr>", table, re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_dashboard_shows_the_hand_worked_figures(coordinator, session) -> None:
    html = coordinator.get("/coordinator/dashboard").get_data(as_text=True)
    assert "<title>Scheme dashboard – Workplace Champions</title>" in html
    # Rounding depends on the champions' random record keys: the figures are the service's.
    figures = monitoring.dashboard(session, Filters(), NOW)
    liverpool, everyone = figures.breakdowns[0].rows[2], figures.breakdowns[0].total
    assert (liverpool.champions.value, everyone.champions.value, everyone.trained.value) \
        == (6, 21, 16)
    borough = cell_texts(html, "Member organisations and champions by borough")
    assert borough[0][3:7] == ["Champions", "Current certification", "Ever trained",
                               "Overdue training"]
    assert borough[2] == ["Knowsley", "1", "20", "fewer than 5", "0", "0", "fewer than 5"]
    assert borough[3] == ["Liverpool", "1", "30", liverpool.champions.text, "fewer than 5",
                          "5", "fewer than 5"]
    assert borough[-1] == ["All member organisations", "3", "1,290", everyone.champions.text,
                           "15", everyone.trained.text, "fewer than 5"]
    assert everyone.champions.text in ("20", "25") and everyone.trained.text in ("15", "20")
    assert "rounded up or down to a multiple of 5" in html and "at most 4 away" in html
    assert "Nov 2026 (so far)" in html and "Nov 2026 is not over yet" in html
    assert "Tiers have not yet been re-checked for every organisation" in html
    funnel = cell_texts(html, "Organisations reaching each step")
    assert funnel[1:] == [["Applied", "6", "Not applicable"], ["Approved", "4", "9.5"],
                          ["Policy in place", "3", "10"], ["First champion trained", "3", "5"]]
    # Every chart is an image with a title and a description carrying its figures.
    charts = re.findall(r'<svg class="portal-chart" role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 9
    assert 'id="chart-borough-desc">Champions by borough: Halton, 0; Knowsley, fewer than 5;' \
        in html
    assert "Alder L1" not in html and "@example.org" not in html


def test_filters_live_in_the_url_and_apply_to_every_panel(coordinator) -> None:
    html = coordinator.get("/coordinator/dashboard?borough=liverpool&sector=private"
                           ).get_data(as_text=True)
    assert "<strong>Borough</strong>: Liverpool" in html
    assert '<option value="liverpool" selected>' in html
    glance = html[html.index("At a glance"):html.index("Organisations by status")]
    assert re.search(r"Member organisations\s*</dt>\s*<dd[^>]*>\s*1\s*</dd>", glance)
    assert re.search(r"Employees covered\s*</dt>\s*<dd[^>]*>\s*30\s*</dd>", glance)
    # The download and list links carry the same filters.
    assert "/coordinator/exports/figures.csv?borough=liverpool&amp;sector=private" in html
    assert "/coordinator/organisations?borough=liverpool&amp;sector=private" in html


def test_bad_dates_are_explained_and_kept(coordinator) -> None:
    response = coordinator.get("/coordinator/dashboard?from-day=31&from-month=2&from-year=2026"
                               "&borough=<script>")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Scheme dashboard" in html
    assert 'href="#from-day">Applied from must be a real date' in html
    assert 'name="from-day" type="text" value="31"' in html
    assert "<script>" not in html


# --- The organisations list ----------------------------------------------------------------

def test_organisations_list_searches_filters_sorts_and_links(coordinator, data) -> None:
    html = coordinator.get("/coordinator/organisations?sort=employees").get_data(as_text=True)
    names = re.findall(r'href="/coordinator/organisations/\d+">([^<]+)</a>', html)
    assert names == ["Birch Council", "Damson Limited", "Alder Foods", "Gorse Clinic",
                     "Cedar Charity", "Elm Academy"]
    html = coordinator.get("/coordinator/organisations?borough=sefton&status=approved"
                           ).get_data(as_text=True)
    assert re.findall(r'href="/coordinator/organisations/\d+">([^<]+)</a>', html) == \
        ["Alder Foods"]
    assert "Liverpool, Sefton" in html and "Active" in html
    alder = data.orgs["A"].id
    assert f'href="/organisations/{alder}"' in html  # the page as its HR lead sees it
    html = coordinator.get("/coordinator/organisations?search=01234567").get_data(as_text=True)
    assert "Alder Foods" in html and "Birch Council" not in html


def test_organisations_list_pages(coordinator, session) -> None:
    add_bulk_data(session, 60, champions_each=0)
    first = coordinator.get("/coordinator/organisations?sector=other").get_data(as_text=True)
    assert "10 organisations" in first  # 60 bulk organisations share 6 sectors
    html = coordinator.get("/coordinator/organisations?status=approved").get_data(as_text=True)
    assert "63 organisations, page 1 of 2" in html
    assert "page=2&amp;status=approved" in html or "status=approved&amp;page=2" in html \
        or re.search(r"page=2[^\"]*status=approved", html)
    second = coordinator.get("/coordinator/organisations?status=approved&page=2")
    assert "page 2 of 2" in second.get_data(as_text=True)


# --- Exports -------------------------------------------------------------------------------

def test_exports_are_neutral_uncached_streamed_csv(coordinator, session) -> None:
    for what in ("figures", "organisations"):
        response = coordinator.get(f"/coordinator/exports/{what}.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="workplace-champions-{what}-2026-11-21.csv"'
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.is_streamed
        response.get_data()  # finish the stream before the next request
    rows = rows_of(coordinator.get("/coordinator/exports/organisations.csv"))
    assert rows[0][:3] == ["Organisation ID", "Name", "Companies House or charity number"]
    assert [row[1] for row in rows[1:]] == ["Alder Foods", "Birch Council", "Cedar Charity",
                                            "Damson Limited", "Elm Academy", "Gorse Clinic"]
    assert rows[1][6:10] == ["Liverpool; Sefton", "2", "70", "50 to 249 employees"]
    assert [event.details for event in audit(session, "export.organisations")] == [{
        "filters": {}}, {"filters": {}}]


def test_figures_export_carries_the_same_protected_figures(coordinator, session) -> None:
    rows = rows_of(coordinator.get("/coordinator/exports/figures.csv?sector=private"))
    assert rows[0] == ["Section", "Item", "Measure", "Value", "Protection", "Note"]
    table = {(row[0], row[1], row[2]): row[3:] for row in rows[1:]}
    # One type per column: the Value column is numbers or empty, so a spreadsheet can add it.
    values = [row[3] for row in rows[1:] if row[3]]
    assert all(float(value) >= 0 for value in values)
    assert {row[4] for row in rows[1:]} <= {"", "exact", "rounded to a multiple of 5",
                                             "fewer than 5"}
    assert table[("Filters", "Sector", "")] == ["", "", "Private sector"]
    how = table[("About these figures", "How figures are protected", "")][2]
    assert "cell-key method" in how and "at most 4" in how
    assert table[("About these figures", "Tiers last re-checked", "")] == ["", "", "Not yet"]
    # Private sector: A only (D is suspended): 7 champions, Liverpool 6 and Sefton 1.
    private = monitoring.dashboard(session, Filters(sector=Sector.PRIVATE), NOW)
    assert table[("At a glance", "Member organisations", "")] == ["1", "exact", ""]
    assert table[("At a glance", "Champions", "")] == [
        private.headline.champions.text, "rounded to a multiple of 5", ""]
    assert table[("By borough", "Sefton", "Champions")] == ["", "fewer than 5", ""]
    assert table[("By borough", "Liverpool", "Champions with a current certification")] == [
        "", "fewer than 5", ""]
    assert table[("By borough", "Liverpool", "Champions ever trained")] == [
        "5", "rounded to a multiple of 5", ""]
    assert table[("At a glance", "Champions with overdue training", "")] == [
        "", "fewer than 5", ""]
    assert table[("At a glance", "Champions with a current certification", "")] == [
        "5", "rounded to a multiple of 5", ""]
    assert table[("Per month", "Nov 2026", "New member organisations")] == [
        "0", "exact", "Month not over yet"]


def test_the_dashboard_says_when_tiers_were_last_checked(app_factory, session, data) -> None:
    refresh_all_tiers(session, NOW)
    session.commit()
    app = app_factory()
    client = app.test_client()
    from tests.conftest import sign_in
    assert sign_in(client, data.coordinator.email).status_code == 303
    html = client.get("/coordinator/dashboard").get_data(as_text=True)
    assert "Every organisation’s tier was last re-checked on 21 November 2026 at 12:00pm" \
        in html
    rows = rows_of(client.get("/coordinator/exports/figures.csv"))
    assert ["About these figures", "Tiers last re-checked", "", "", "", "2026-11-21"] in rows


def test_application_dates_are_london_dates(coordinator, session) -> None:
    """Issue 17: an application at 23:56 UTC on 26 September was received at 00:56 on 27
    September in London: it is shown as 27 September and filtered as a 27 September one."""
    from datetime import UTC, datetime
    late = make_org(session, "Late Applicant", sector=Sector.OTHER,
                    sites=[(Borough.HALTON, 10)], status=SchemeStatus.APPLIED,
                    applied=datetime(2026, 9, 26, 23, 56, tzinfo=UTC))
    session.commit()
    page = coordinator.get(f"/coordinator/organisations/{late.id}").get_data(as_text=True)
    assert re.search(r"Application received\s*</dt>\s*<dd[^>]*>\s*27 September 2026", page)
    on_27th = "from-day=27&from-month=9&from-year=2026&to-day=27&to-month=9&to-year=2026"
    on_26th = "from-day=26&from-month=9&from-year=2026&to-day=26&to-month=9&to-year=2026"
    listed = coordinator.get(f"/coordinator/organisations?{on_27th}").get_data(as_text=True)
    assert "Late Applicant" in listed
    assert "Late Applicant" not in coordinator.get(
        f"/coordinator/organisations?{on_26th}").get_data(as_text=True)
    rows = rows_of(coordinator.get(f"/coordinator/exports/organisations.csv?{on_27th}"))
    assert [(row[1], row[10]) for row in rows[1:]] == [("Late Applicant", "2026-09-27")]


def test_hostile_names_are_neutralised_in_every_export(coordinator, session, data) -> None:
    """CSV-01: names that a spreadsheet would run as formulas become plain text."""
    hostile = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)",
               "\t=cmd", "\r=cmd", " =1+1", "＝1+1"]
    for number, name in enumerate(hostile):
        org = make_org(session, f"{name} {number}" if name[0] in "\t\r " else name,
                       sector=Sector.OTHER, sites=[(Borough.HALTON, 10)],
                       applied=NOW - timedelta(days=1), approved=NOW)
        make_champion(session, org, org.sites[0], joined=NOW, full_name=name)
    session.commit()
    assert confirm_password(coordinator).status_code == 303
    for what in ("organisations", "champions"):
        text = coordinator.get(f"/coordinator/exports/{what}.csv").get_data(as_text=True)
        for row in csv.reader(io.StringIO(text[1:])):
            for cell in row:
                assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "＝"), (what, cell)
                assert not cell.lstrip()[:1] == "=", (what, cell)
        assert "'=HYPERLINK(" in text and "'+1+1" in text and "'@SUM(A1)" in text
        assert "'\t=cmd" in text and "'-2+3" in text


# --- Re-authentication for exports of people ---------------------------------------------------

def test_champions_export_needs_the_password_again_and_is_audited(coordinator, session) -> None:
    path = "/coordinator/exports/champions.csv?sector=private&status=approved"
    response = coordinator.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == ("/confirm-password?next=/coordinator/exports"
                                             "?sector%3Dprivate%26status%3Dapproved")
    assert audit(session, "export.champions") == []
    back = "/coordinator/exports?sector%3Dprivate%26status%3Dapproved"
    confirmed = confirm_password(coordinator, next_url=back)
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == "/coordinator/exports?sector=private&status=approved"
    rows = rows_of(coordinator.get(path))
    assert rows[0][:7] == ["Organisation ID", "Organisation", "Organisation status", "Site",
                           "Borough", "Name", "Email address"]
    people = {row[5]: row for row in rows[1:]}
    assert sorted(people) == ["Alder L1", "Alder L2", "Alder L3", "Alder L4", "Alder L5",
                              "Alder L6", "Alder S1"]  # not A's leaver, nor suspended D's
    assert people["Alder L5"][8:] == ["Certification expired", "2025-02-01", "2026-02-01", "1"]
    assert people["Alder L6"][8:] == ["Not trained", "", "", "2"]
    assert people["Alder S1"][4] == "Sefton"
    events = audit(session, "export.champions")
    assert len(events) == 1
    assert events[0].details == {"filters": {"sector": "private", "status": "approved"}}
    assert events[0].actor_id is not None
    assert [e.outcome for e in audit(session, "password_confirmed")] == ["success"]


def test_champions_export_leaves_out_organisations_that_are_not_members(coordinator) -> None:
    """Issue 17: the export lists the champions the dashboard counts, so none of suspended D."""
    confirm_password(coordinator)
    rows = rows_of(coordinator.get("/coordinator/exports/champions.csv?status=suspended"))
    assert rows == [list(exports.CHAMPION_HEADER)]


def test_confirmation_expires_after_fifteen_minutes(coordinator, clock) -> None:
    confirm_password(coordinator)
    path = "/coordinator/exports/champions.csv"
    assert coordinator.get(path).status_code == 200
    clock.shift(timedelta(minutes=14))
    assert coordinator.get(path).status_code == 200
    clock.shift(timedelta(minutes=2))
    response = coordinator.get(path)
    assert response.status_code == 302 and "/confirm-password" in response.headers["Location"]


def test_a_wrong_password_is_refused_and_audited(coordinator, session) -> None:
    response = confirm_password(coordinator, "not the password at all")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your password is not correct" in html
    assert "<title>Error: Confirm your password" in html
    assert coordinator.get("/coordinator/exports/champions.csv").status_code == 302
    assert [e.outcome for e in audit(session, "password_confirmed")] == ["failure"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "/no-such-page"])
def test_confirmation_only_returns_to_our_own_pages(coordinator, target: str) -> None:
    response = confirm_password(coordinator, next_url=target)
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"


def test_password_confirmation_is_throttled_with_sign_in(app_factory, session, signed_in,
                                                         data) -> None:
    app = app_factory(SIGN_IN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    client = app.test_client()
    from tests.conftest import sign_in
    assert sign_in(client, data.coordinator.email).status_code == 303
    statuses = [confirm_password(client, "wrong password here").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert confirm_password(client).status_code == 429


def test_downloads_are_rate_limited_per_coordinator(app_factory, data) -> None:
    """REL-17: exports read whole tables, so each coordinator gets a few an hour (GETs too)."""
    app = app_factory(EXPORT_LIMIT_PER_ACCOUNT="2 per hour")
    client = app.test_client()
    from tests.conftest import sign_in
    assert sign_in(client, data.coordinator.email).status_code == 303
    statuses = [client.get("/coordinator/exports/organisations.csv").status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_dashboard_figures_are_kept_a_minute_and_say_when_they_were_worked_out(
        app_factory, session, data, clock) -> None:
    """Issue 10: the figures (suppressed counts, nothing about a person) are worked out at most
    once a DASHBOARD_CACHE_SECONDS per filter and process; each filter has its own."""
    app = app_factory(DASHBOARD_CACHE_SECONDS=60)
    client = app.test_client()
    from tests.conftest import sign_in
    assert sign_in(client, data.coordinator.email).status_code == 303
    path, filtered = "/coordinator/dashboard", "/coordinator/dashboard?sector=public"
    first = client.get(path).get_data(as_text=True)
    assert "Figures worked out on" in first and "more than 60 seconds old" in first
    headline = cell_texts(first, "Member organisations and champions by borough")[-1]
    filtered_first = cell_texts(client.get(filtered).get_data(as_text=True),
                                "Member organisations and champions by borough")[-1]
    assert filtered_first != headline

    # the dashboard's own reads are skipped: only the signed-in person is loaded
    assert count_statements(app, client, path) == 1
    wirral = make_org(session, "Newcomer Ltd", sector=Sector.PRIVATE,
                      sites=[(Borough.WIRRAL, 100)])
    for _ in range(5):
        make_champion(session, wirral, wirral.sites[0], joined=NOW - timedelta(days=1))
    session.commit()
    assert cell_texts(client.get(path).get_data(as_text=True),
                      "Member organisations and champions by borough")[-1] == headline

    clock.shift(timedelta(seconds=61))
    fresh = cell_texts(client.get(path).get_data(as_text=True),
                       "Member organisations and champions by borough")[-1]
    assert fresh != headline and fresh[1] == str(int(headline[1]) + 1)
    assert cell_texts(client.get(filtered).get_data(as_text=True),
                      "Member organisations and champions by borough")[-1] == filtered_first


# --- Statement counts (acceptance 2) ---------------------------------------------------------

def count_statements(app, client, path: str) -> int:  # noqa: ANN001
    with statements_of(app.extensions["portal.engine"]) as log:
        response = client.get(path)
        assert response.status_code == 200, path
        response.get_data()  # drain the stream inside the window
    return log.count


COUNTED = ["/coordinator/dashboard", "/coordinator/dashboard?borough=wirral&tier=active",
           "/coordinator/organisations", "/coordinator/organisations?sort=employees&search=bulk",
           "/coordinator/exports/figures.csv", "/coordinator/exports/organisations.csv",
           "/coordinator/exports/champions.csv", "/members", "/members?search=bulk"]


@pytest.mark.slow
def test_statements_do_not_grow_with_the_number_of_organisations(app, session, signed_in,
                                                                 clock) -> None:
    coordinator = make_user(session, is_coordinator=True)
    add_bulk_data(session, 10)
    client = signed_in(coordinator)
    confirm_password(client)
    few = {path: count_statements(app, client, path) for path in COUNTED}
    add_bulk_data(session, 990)
    many = {path: count_statements(app, client, path) for path in COUNTED}
    assert few == many
    assert max(few.values()) <= 8, few
