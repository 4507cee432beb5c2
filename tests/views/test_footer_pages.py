"""The footer pages: contact, accessibility statement, privacy notice and cookies (issue 19)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.conftest import make_app, sign_in
from tests.factories import make_user

FOOTER = {"/contact": "Contact", "/accessibility": "Accessibility statement",
          "/privacy": "Privacy", "/cookies": "Cookies"}


@pytest.mark.parametrize("path", FOOTER)
def test_every_page_links_to_the_footer_pages(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    footer = response.get_data(as_text=True).split('<footer', 1)[1]
    for target, text in FOOTER.items():
        assert f'href="{target}">{text}</a>' in footer


def test_the_accessibility_statement_has_what_the_regulations_require(client, app) -> None:
    html = client.get("/accessibility").get_data(as_text=True)
    assert "Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility " \
           "Regulations 2018" in html
    assert re.search(r'id="compliance-status">This website is partially compliant', html)
    assert 'id="known-issues"' in html and "Non-accessible content" in html
    assert "Reporting accessibility problems" in html and app.config["CONTACT_EMAIL"] in html
    assert "Enforcement procedure" in html and "Equality and Human Rights Commission" in html
    assert "Equality Commission for Northern Ireland" in html
    assert "This statement was prepared on 7 December 2026" in html


def test_the_statement_dates_come_from_configuration(database_url: str) -> None:
    app: Flask = make_app(database_url, ACCESSIBILITY_STATEMENT_PREPARED="2027-03-01",
                          ACCESSIBILITY_STATEMENT_REVIEWED="2027-09-15")
    html = app.test_client().get("/accessibility").get_data(as_text=True)
    assert "prepared on 1 March 2027. It was last reviewed on 15 September 2027" in html
    app.extensions["portal.engine"].dispose()


def test_the_privacy_notice_names_the_controller_basis_retention_and_the_ico(client,
                                                                            app) -> None:
    html = client.get("/privacy").get_data(as_text=True)
    assert app.config["DATA_CONTROLLER"] in html
    assert "public task (UK GDPR Article 6(1)(e))" in html
    assert "365 days" not in html and "12 months after your last role ends" in html
    assert "https://ico.org.uk/make-a-complaint/" in html and "0303 123 1113" in html
    assert 'href="/cookies"' in html and 'href="/contact"' in html


def test_the_cookies_page_names_the_one_cookie_the_portal_sets(client, app) -> None:
    html = client.get("/cookies").get_data(as_text=True)
    rows = re.findall(r"<tr class=\"govuk-table__row\">\s*<td", html)
    assert len(rows) == 1
    assert f"<code>{app.config['SESSION_COOKIE_NAME']}</code>" in html
    assert "30 minutes after you were last active" in html


def test_signing_in_sets_only_the_cookie_the_cookies_page_names(client, session, app) -> None:
    user = make_user(session)
    session.commit()
    sign_in(client, user.email)
    names = {cookie.key for cookie in client._cookies.values()}
    assert names == {app.config["SESSION_COOKIE_NAME"]}


def test_the_contact_page_gives_an_address_and_is_not_a_support_line(client, app) -> None:
    html = client.get("/contact").get_data(as_text=True)
    assert f'href="mailto:{app.config["CONTACT_EMAIL"]}"' in html
    assert "call 999" in html and 'href="/support"' in html
    assert "within 5 working days" in html


def test_nothing_tells_people_to_reply_or_ask_a_coordinator_without_a_way_to(client) -> None:
    for path in ("/accessibility", "/privacy"):
        html = client.get(path).get_data(as_text=True)
        assert "tell your scheme coordinator" not in html.lower()
        assert "contact your scheme coordinator" not in html.lower()
