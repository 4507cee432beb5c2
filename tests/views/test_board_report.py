"""The board report: the dashboard's figures for a quarter or a year, with comparisons, as a page
and as a tagged PDF from the same template."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.sqlcount import count_statements as statements_of
from portal import clock
from portal.models import OrgRole, User
from portal.services.board_report import Period, board_report, last_complete_quarter
from portal.services.monitoring import dashboard
from portal.services.monitoring_filters import Filters, start_of
from tests.conftest import visible_text
from tests.factories import make_certificate, make_member_organisation, make_user
from tests.test_documents import assert_no_pdf_ua_errors, assert_tagged, pdf_of, pdf_text

HEADLINES = ("Member organisations", "Employees covered", "Champions",
             "Champions with a current certification", "Champions with overdue training")


@pytest.fixture
def coordinator(session) -> User:
    return make_user(session, is_coordinator=True)


@pytest.fixture
def client(signed_in, coordinator) -> FlaskClient:
    return signed_in(coordinator)


def scheme(session, period: Period, *, champions: int) -> None:
    """Members that applied in the period (with champions), before it, and a year before."""
    for day, count in ((period.start + timedelta(days=10), champions),
                       (period.previous().start + timedelta(days=3), 2),
                       (period.year_earlier().start + timedelta(days=20), 6)):
        applied = start_of(day) + timedelta(hours=9)
        organisation = make_member_organisation(session, submitted_at=applied,
                                                approved_at=applied + timedelta(days=2))
        for _ in range(count):
            champion = make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
            make_certificate(session, champion)
    session.commit()


def dashboard_value(html: str, label: str) -> str:
    text = visible_text(html)
    match = re.search(re.escape(f" {label} ") + r"([\d,]+|fewer than 5)", text)
    assert match, label
    return match[1]


def report_row(html: str, label: str) -> list[str]:
    row = re.search(r'<th scope="row" class="govuk-table__header">' + re.escape(label)
                    + r"</th>(.*?)</tr>", html, re.S)
    assert row, label
    return [visible_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def dashboard_path(period: Period) -> str:
    start, end = period.start, period.end
    return (f"/coordinator/dashboard?from-day={start.day}&from-month={start.month}"
            f"&from-year={start.year}&to-day={end.day}&to-month={end.month}&to-year={end.year}")


def test_the_reports_figures_equal_the_dashboards_for_each_period(client, session) -> None:
    period = last_complete_quarter(clock.today())
    scheme(session, period, champions=7)
    report = client.get(f"/coordinator/report?period={period.key}")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    for column, shown in enumerate((period, period.previous(), period.year_earlier())):
        board = client.get(dashboard_path(shown)).get_data(as_text=True)
        for label in HEADLINES:
            assert report_row(html, label)[column] == dashboard_value(board, label), \
                (shown, label)
    found = board_report(session, period, Filters(), clock.now())
    assert found.current == dashboard(session, period.filters(Filters()), clock.now())
    assert found.year_earlier.headline.members == 1


def test_the_report_is_a_tagged_pdf_from_the_same_template(client, session, caplog) -> None:
    period = last_complete_quarter(clock.today())
    scheme(session, period, champions=3)
    page = visible_text(client.get(f"/coordinator/report?period={period.key}")
                        .get_data(as_text=True))
    response = client.get(f"/coordinator/report.pdf?period={period.key}")
    assert 'filename="board-report.pdf"' in response.headers["Content-Disposition"]
    reader = pdf_of(response, "board-report.pdf")
    assert_tagged(reader, "Board report")
    assert_no_pdf_ua_errors(caplog)
    text = " ".join(pdf_text(reader).split())
    assert f"Board report: {period.label}" in text and f"Board report: {period.label}" in page
    assert "fewer than 5" in text and "Headline figures" in text
    assert "Download this report" not in text


def test_a_period_not_in_the_list_is_a_clear_error(client) -> None:
    future = Period(clock.today().year + 1)
    for value in (future.key, "2026-Q5", "last year", "1999"):
        response = client.get(f"/coordinator/report?period={value}")
        assert response.status_code == 400
        assert "Choose a quarter or a year from the list" in response.get_data(as_text=True)


def test_the_report_costs_the_same_statements_however_much_data(app: Flask, client,
                                                                session) -> None:
    period = Period(clock.today().year - 1)
    scheme(session, period, champions=2)
    path = f"/coordinator/report?period={period.key}"
    with statements_of(app.extensions["portal.engine"]) as few:
        assert client.get(path).status_code == 200
    scheme(session, period, champions=9)
    scheme(session, period.previous(), champions=4)
    with statements_of(app.extensions["portal.engine"]) as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count


def test_periods_run_by_quarter_and_year() -> None:
    assert (Period(2026, 1).start, Period(2026, 1).end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert Period(2026, 1).previous() == Period(2025, 4)
    assert Period(2026, 4).end == date(2026, 12, 31) and Period(2026).previous() == Period(2025)
    assert Period(2026, 2).year_earlier() == Period(2025, 2)


def test_a_coordinator_gets_a_monthly_link_never_the_figures(app, client, session,
                                                             coordinator) -> None:
    from sqlalchemy import select

    from portal.models import AuditEvent, OutboxMessage
    from portal.services.board_report import send_monthly_links
    from tests.conftest import csrf_token
    scheme(session, last_complete_quarter(clock.today()), champions=7)
    token = csrf_token(client, "/coordinator/report")
    started = client.post("/coordinator/report/monthly-email",
                          data={"csrf_token": token, "action": "start"}, follow_redirects=True)
    assert "Stop the monthly email" in started.get_data(as_text=True)
    today = clock.today()
    with app.app_context():
        assert send_monthly_links(session, today) == 1
        session.commit()
        assert send_monthly_links(session, today) == 0  # once a month
        next_month = today.replace(day=1) + timedelta(days=32)
        assert send_monthly_links(session, next_month) == 1
        session.commit()
    messages = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "board_report")))
    assert [m.to_address for m in messages] == [coordinator.email] * 2
    period = last_complete_quarter(today)
    body = messages[0].body_text
    assert f"/coordinator/report?period={period.key}" in body
    assert "has no figures" in body and "champions" not in body.lower().replace(
        "workplace champions", "")
    assert not re.search(r"\b(5|10|fewer than)\b", body)
    assert messages[0].subject == "Your monthly report link – Workplace Champions"
    client.post("/coordinator/report/monthly-email", data={"csrf_token": token,
                                                             "action": "stop"})
    with app.app_context():
        assert send_monthly_links(session, next_month + timedelta(days=31)) == 0
    assert [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("report.%")).order_by(AuditEvent.id))] == [
        "report.subscribed", "report.unsubscribed"]
