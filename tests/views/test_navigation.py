"""Links declared by endpoint, not by path: each one resolves to a page that answers GET.

The service navigation (views/helpers.py) and the pages reminder e-mails link to
(services/reminders.py) name endpoints; a renamed or removed page fails here rather than
leaving a dead link.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from portal import clock
from portal.services import reminders
from portal.views import helpers

NAVIGATION = (*helpers.SIGNED_OUT_NAVIGATION, helpers.HOME, helpers.TRAINING, helpers.SUPPORT,
              helpers.YOUR_ORGANISATIONS, *helpers.COORDINATOR_NAVIGATION, helpers.ACCOUNT)
NAVIGATION_ENDPOINTS = sorted({e for item in NAVIGATION for e in (item.endpoint, *item.also)})
REMINDER_PAGES = sorted({*reminders.PERSONAL_PAGES.values(),
                         *reminders.ORGANISATION_PAGES.values(),
                         reminders.ORGANISATION_OVERVIEW})


def get_rule(app: Flask, endpoint: str):  # noqa: ANN201 - a werkzeug Rule
    rules = [rule for rule in app.url_map.iter_rules(endpoint) if "GET" in (rule.methods or ())]
    assert rules, f"{endpoint} has no page that answers GET"
    return rules[0]


@pytest.mark.parametrize("endpoint", NAVIGATION_ENDPOINTS)
def test_each_navigation_link_is_a_page_without_arguments(app: Flask, endpoint: str) -> None:
    assert not get_rule(app, endpoint).arguments, f"{endpoint} needs arguments"


def test_an_hr_leads_organisation_link_takes_the_organisation(app: Flask) -> None:
    assert get_rule(app, helpers.YOUR_ORGANISATION.endpoint).arguments == {"org_id"}
    with app.test_request_context("/organisations/3/champions"):
        item = helpers.YOUR_ORGANISATION.item("/organisations/3/champions", org_id=3)
    assert item["href"] == "/organisations/3"


@pytest.mark.parametrize("endpoint", REMINDER_PAGES)
def test_each_reminder_page_resolves(app: Flask, endpoint: str) -> None:
    assert get_rule(app, endpoint).arguments <= {"org_id"}


def test_reminder_links_are_absolute_and_lead_to_their_pages(app: Flask) -> None:
    settings = app.extensions["portal.settings"]
    due = reminders.Due(reminders.INVITATION_PENDING, 1, "ref", clock.today(), 7, "Org")
    assert reminders.reminder_link(due, settings) == "https://portal.test/organisations/7/champions"
    overdue = replace(due, kind=reminders.ASSIGNMENT_OVERDUE)
    assert reminders.reminder_link(overdue, settings) == "https://portal.test/training"
    renewal = replace(due, kind=reminders.RENEWAL_DUE)
    assert reminders.reminder_link(renewal, settings) == "https://portal.test/organisations/7"


def test_the_navigation_marks_the_page_it_is_on(app: Flask) -> None:
    with app.test_request_context("/coordinator/exports"):
        items = [item.item("/coordinator/exports") for item in helpers.COORDINATOR_NAVIGATION]
    assert [item["active"] for item in items] == [True, False, False, False]
    assert items[0]["href"] == "/coordinator/dashboard"
