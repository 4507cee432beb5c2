"""The coordinators' audit log: filters in the URL, pagination, a fixed number of statements."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bench.sqlcount import count_statements as statements_of
from portal.models import AuditEvent, OrgRole, User
from portal.services.audit import record_event
from tests.factories import make_member_organisation, make_user

ROW = re.compile(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell">')


@pytest.fixture
def coordinator(session) -> User:
    user = make_user(session, is_coordinator=True, full_name="Cora Ordinator")
    session.commit()
    return user


@pytest.fixture
def client(signed_in, coordinator) -> FlaskClient:
    return signed_in(coordinator)


def event(session, action: str, when: datetime, **values: object) -> AuditEvent:
    found = record_event(session, action, **values)
    found.occurred_at = when
    return found


@pytest.fixture
def events(session, client):
    """Events by two HR leads in two organisations over three days in March, and no others
    (the coordinator's sign-in is forgotten)."""
    session.execute(sa.delete(AuditEvent))
    first, second = make_member_organisation(session, name="Alder Foods"), \
        make_member_organisation(session, name="Birch Print")
    ann = make_user(session, organisation=first, role=OrgRole.HR_LEAD, full_name="Ann Alder")
    bob = make_user(session, organisation=second, role=OrgRole.HR_LEAD, full_name="Bob Birch")
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    event(session, "site.added", day, actor=ann, organisation=first)
    event(session, "invitation.sent", day + timedelta(days=1), actor=ann, organisation=first)
    event(session, "site.added", day + timedelta(days=1), actor=bob, organisation=second)
    event(session, "invitation.sent", day + timedelta(days=2), actor=bob, organisation=second)
    session.commit()
    return {"first": first, "second": second, "ann": ann, "bob": bob}


def rows(html: str) -> int:
    return len(ROW.findall(html))


def page(client: FlaskClient, query: str = "") -> str:
    response = client.get("/coordinator/audit" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_everything_newest_first_and_viewing_is_recorded(client, events, session,
                                                         coordinator) -> None:
    html = page(client)
    assert rows(html) == 4
    assert html.index("12 March") < html.index("10 March")
    assert "Alder Foods" in html and "Ann Alder" in html
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.viewed",
                                                   AuditEvent.actor_id == coordinator.id))


@pytest.mark.parametrize(("query", "expected"), [
    ("?action=site.added", 2),
    ("?organisation={first}", 2),
    ("?actor={bob}", 2),
    ("?since=11/3/2026", 3),
    ("?until=2026-03-11", 3),
    ("?since=11/3/2026&until=11/3/2026", 2),
    ("?action=invitation.sent&organisation={second}&since=12-3-2026", 1),
])
def test_filters_combine(client, events, query: str, expected: int) -> None:
    ids = {"first": events["first"].id, "second": events["second"].id, "bob": events["bob"].id}
    assert rows(page(client, query.format(**ids))) == expected


def test_the_actor_filter_names_the_person_and_links_to_their_record(client, events) -> None:
    html = page(client, f"?actor={events['bob'].id}")
    assert f'href="/coordinator/people/{events["bob"].id}"' in html
    assert "Show everyone’s actions" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("?since=31/2/2026", 4), ("?since=yesterday", 4), ("?until=1/1/99999", 4),
    ("?since=12/3/2026&until=10/3/2026", 1),  # the "from" date still applies
    ("?organisation=x", 4), ("?actor=-1", 4), ("?action=<script>", 4), ("?page=0", 4),
    ("?page=abc", 4)])
def test_bad_filters_are_explained_and_ignored(client, events, query: str,
                                               expected: int) -> None:
    html = page(client, query)
    assert rows(html) == expected
    if "page" not in query:
        assert "There is a problem" in html
    assert "<script>" not in html.split("</header>")[1]


def test_pagination_keeps_the_filters(client, session, events) -> None:
    for number in range(60):
        event(session, "site.changed", datetime(2026, 4, 1, tzinfo=UTC)
              + timedelta(minutes=number), actor=events["ann"], organisation=events["first"])
    session.commit()
    html = page(client, f"?organisation={events['first'].id}")
    assert rows(html) == 50 and "62 events" in html
    assert f"/coordinator/audit?page=2&amp;organisation={events['first'].id}" in html
    assert rows(page(client, f"?organisation={events['first'].id}&page=2")) == 12


def count_statements(app: Flask, client: FlaskClient, path: str) -> int:
    with statements_of(app.extensions["portal.engine"]) as log:
        assert client.get(path).status_code == 200
    return log.count


def test_a_page_costs_the_same_statements_however_many_events(app, client, session,
                                                              events) -> None:
    path = f"/coordinator/audit?actor={events['ann'].id}&since=1/1/2026"
    few = count_statements(app, client, path)
    for _ in range(70):
        actor = make_user(session, organisation=events["second"], role=OrgRole.HR_LEAD)
        event(session, "site.changed", datetime(2026, 4, 1, tzinfo=UTC), actor=actor,
              organisation=make_member_organisation(session))
        event(session, "site.changed", datetime(2026, 4, 1, tzinfo=UTC), actor=events["ann"],
              organisation=events["second"])
    session.commit()
    assert count_statements(app, client, path) == few
    assert count_statements(app, client, "/coordinator/audit") == few - 1  # no actor to name


def test_the_organisation_trail_links_to_the_whole_log(client, events) -> None:
    html = client.get(f"/coordinator/organisations/{events['first'].id}/audit") \
        .get_data(as_text=True)
    assert rows(html) == 2
    assert f"/coordinator/audit?organisation={events['first'].id}" in html
