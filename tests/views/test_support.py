"""The public support directory, and coordinators keeping it current."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import AuditEvent, OrgRole, SupportService
from portal.services.support import uk_today
from tests.conftest import csrf_token
from tests.factories import make_organisation, make_support_service, make_user

CARD_TITLE = re.compile(r'govuk-summary-card__title">\s*(.*?)\s*</h3>', re.S)


@pytest.fixture
def directory(session) -> dict[str, SupportService]:
    services = {
        "helpline": make_support_service(
            session, name="National Helpline", summary="Free support, day or night.",
            phone="0808 2000 247", website="https://www.example.org/help/",
            email="help@example.org", open_24_hours=True, hours="24 hours a day",
            text_or_chat="Live chat on the website."),
        "knowsley": make_support_service(
            session, name="Knowsley Outreach", summary="Advice for Knowsley residents.",
            phone="0151 443 2610", boroughs=["knowsley"], categories=["domestic-abuse", "men"],
            last_checked_at=uk_today() - timedelta(days=65)),
        "wirral": make_support_service(
            session, name="Wirral Project", summary="Forced marriage advice.",
            boroughs=["wirral"], categories=["forced-marriage-honour"]),
    }
    session.commit()
    return services


def titles(response) -> list[str]:
    return CARD_TITLE.findall(response.get_data(as_text=True))


def test_the_directory_page_has_the_emergency_panel_and_a_plain_get_form(client,
                                                                          directory) -> None:
    response = client.get("/support")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Support services – Workplace Champions</title>" in html
    assert 'data-module="govuk-exit-this-page"' in html
    assert "In an emergency, call 999" in html and 'href="tel:999"' in html
    assert "stay on the line and press 55" in html and "Silent Solution" in html
    assert re.search(r'<form method="get" action="/support"', html)
    assert 'name="q"' in html and 'name="borough"' in html and 'name="category"' in html
    assert "csrf_token" not in html.split('action="/support"')[1].split("</form>")[0]
    assert titles(response) == ["Knowsley Outreach", "National Helpline", "Wirral Project"]


def test_a_card_shows_every_detail_with_safe_links(client, directory) -> None:
    html = client.get("/support?q=national").get_data(as_text=True)
    assert '<a class="govuk-link" href="tel:08082000247">0808 2000 247</a>' in html
    assert ('<a class="govuk-link portal-link--address" href="https://www.example.org/help/" '
            'rel="noopener noreferrer">www.example.org/help</a>') in html
    assert 'href="mailto:help@example.org"' in html
    assert "Live chat on the website." in html and "24 hours a day" in html
    assert "Open 24 hours" in html and "National: anyone can use it" in html
    checked = uk_today() - timedelta(days=36)  # the factory's last check
    assert f"{checked.day} {checked:%B %Y}" in html  # last checked


def test_links_go_straight_to_the_service_with_no_tracking(client, directory) -> None:
    html = client.get("/support").get_data(as_text=True)
    for href in re.findall(r'href="(https?://[^"]+)"', html):
        assert href == "https://www.example.org/help/", href  # never through a redirect of ours
    for link in re.findall(r"<a [^>]*https://[^>]*>", html):
        assert 'rel="noopener noreferrer"' in link and "target=" not in link
    assert "onclick" not in html and "ping=" not in html


@pytest.mark.parametrize(("query", "expected"), [
    ("q=knowsley", ["Knowsley Outreach"]),
    ("q=FORCED+marriage", ["Wirral Project"]),
    ("q=men", ["Knowsley Outreach"]),
    ("q=nothing+like+this", []),
    ("q=%25", []),
    ("q=_", []),
    ("borough=knowsley", ["Knowsley Outreach", "National Helpline"]),
    ("borough=wirral&category=forced-marriage-honour", ["Wirral Project"]),
    ("category=men&category=forced-marriage-honour", ["Knowsley Outreach", "Wirral Project"]),
    ("open_24_hours=y", ["National Helpline"]),
    ("q=advice&borough=knowsley", ["Knowsley Outreach"]),
])
def test_search_and_filters(client, directory, query: str, expected: list[str]) -> None:
    response = client.get(f"/support?{query}")
    assert response.status_code == 200
    assert titles(response) == expected


def test_the_form_keeps_what_was_asked(client, directory) -> None:
    html = client.get("/support?q=advice&borough=wirral&category=men").get_data(as_text=True)
    assert 'value="advice"' in html
    assert '<option value="wirral" selected>' in html
    assert re.search(r'value="men" checked', html)
    assert "Area: Wirral. National services are included." in html


@pytest.mark.parametrize(("query", "message"), [
    ("q=" + "x" * 101, "Search words must be 100 characters or fewer"),
    ("borough=atlantis", "Select an area from the list"),
    ("borough=national", "Select an area from the list"),
    ("category=gardening", "Select kinds of help from the list"),
])
def test_bad_search_input_gets_a_clear_error_not_a_500(client, directory, query: str,
                                                        message: str) -> None:
    response = client.get(f"/support?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and "There is a problem" in html
    assert "<title>Error: Support services" in html
    assert len(titles(response)) == 3  # the rest of the search still works


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=99999999999999999999",
                                   "q=%00", "q=%3Cscript%3E", "category=", "borough="])
def test_odd_input_never_breaks_the_page(client, directory, query: str) -> None:
    assert client.get(f"/support?{query}").status_code == 200


def test_search_words_are_escaped_in_the_page(client, directory) -> None:
    """XSS-04: echoed search words are escaped."""
    html = client.get('/support?q="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_stored_text_is_escaped_even_if_it_got_past_validation(client, session,
                                                               directory) -> None:
    """Defence in depth: a row written around the validation still renders as text."""
    service = directory["helpline"]
    service.name = "Help <script>alert(1)</script>"
    service.summary = '<img src=x onerror="alert(1)">'
    service.phone_note = "<b>free</b>"
    service.hours = "<i>always</i>"
    session.commit()
    html = client.get("/support").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "<b>free</b>" not in html and "<i>always</i>" not in html
    assert "Help &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;free&lt;/b&gt;" in html


def test_retired_services_are_not_listed(client, session, directory) -> None:
    directory["wirral"].retired_at = directory["wirral"].created_at
    session.commit()
    assert "Wirral Project" not in titles(client.get("/support"))


def test_results_are_paged_and_links_keep_the_search(client, session) -> None:
    for number in range(25):
        make_support_service(session, name=f"Service {number:02}", boroughs=["knowsley"])
    session.commit()
    first = client.get("/support?borough=knowsley")
    assert len(titles(first)) == 20 and "Page 1 of 2." in first.get_data(as_text=True)
    assert 'href="/support?borough=knowsley&amp;page=2"' in first.get_data(as_text=True)
    assert titles(client.get("/support?borough=knowsley&page=2")) == \
        [f"Service {n}" for n in range(20, 25)]


def test_nothing_records_a_search(client, session, directory, caplog) -> None:
    """P1: no audit row, no log line, no cookie, nothing cached: searching leaves no trace."""
    caplog.set_level(logging.DEBUG)
    response = client.get("/support?q=forced+marriage&borough=wirral")
    assert response.status_code == 200
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert not any("forced" in record.getMessage() or "wirral" in record.getMessage()
                   for record in caplog.records)
    assert "Set-Cookie" not in response.headers
    assert "no-store" in response.headers["Cache-Control"]


# --- Coordinators ------------------------------------------------------------------------

COORDINATOR_PAGES = ["/coordinator/support-services", "/coordinator/support-services/new",
                     "/coordinator/support-services/due-for-check"]


@pytest.fixture
def coordinator(signed_in, session):  # noqa: ANN201 - a signed-in test client
    return signed_in(make_user(session, is_coordinator=True, full_name="Dana Coordinator"))


def form_data(**changes: object) -> dict:
    data = {"name": "Sefton Helpline", "summary": "Advice for Sefton residents.",
            "phone": "0151 934 1234", "phone_note": "", "text_or_chat": "", "website":
            "https://www.example.org", "email": "", "hours": "Monday to Friday",
            "open_24_hours": "no", "boroughs": ["sefton"], "categories": ["domestic-abuse"]}
    data.update(changes)
    return data


def support_events(session) -> list[AuditEvent]:
    """Audit events about the directory (signing in records its own)."""
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("support%"))
                                .order_by(AuditEvent.id)))


def post(client, path: str, data: dict, token_page: str | None = None):  # noqa: ANN201
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_page or path)})


def test_coordinator_pages_are_hidden_from_everyone_else(client, signed_in, session,
                                                         directory) -> None:
    organisation = make_organisation(session)
    champion = signed_in(make_user(session, organisation=organisation, role=OrgRole.CHAMPION))
    service_id = directory["helpline"].id
    pages = [*COORDINATOR_PAGES, f"/coordinator/support-services/{service_id}/edit",
             f"/coordinator/support-services/{service_id}/retire"]
    for path in pages:
        assert client.get(path).status_code == 302, path  # to sign in
        assert champion.get(path).status_code == 404, path
    assert champion.post(f"/coordinator/support-services/{service_id}/check").status_code in \
        (400, 404)


def test_coordinator_pages_render(coordinator, directory) -> None:
    service_id = directory["helpline"].id
    for path in [*COORDINATOR_PAGES, f"/coordinator/support-services/{service_id}/edit",
                 f"/coordinator/support-services/{service_id}/retire"]:
        response = coordinator.get(path)
        assert response.status_code == 200, path
        assert 'data-module="govuk-exit-this-page"' in response.get_data(as_text=True)
    assert coordinator.get("/coordinator/support-services/999/edit").status_code == 404


def test_the_list_marks_retired_services(coordinator, session, directory) -> None:
    directory["wirral"].retired_at = directory["wirral"].created_at
    session.commit()
    html = coordinator.get("/coordinator/support-services").get_data(as_text=True)
    row = html.split("Wirral Project")[1].split("</tr>")[0]
    assert "Retired" in row
    assert "Listed" in html.split("Knowsley Outreach")[1].split("</tr>")[0]


def test_adding_a_service(coordinator, session) -> None:
    response = post(coordinator, "/coordinator/support-services/new", form_data())
    assert response.status_code == 303
    service = session.scalar(select(SupportService))
    assert (service.key, service.phone, service.borough_keys, service.open_24_hours) == \
        ("sefton-helpline", "0151 934 1234", ["sefton"], False)
    assert service.last_checked_at == uk_today() and service.last_checked_by_id is not None
    assert [e.action for e in support_events(session)] == ["support_service.added"]
    assert "Sefton Helpline has been added" in coordinator.get(response.headers["Location"]) \
        .get_data(as_text=True)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"phone": "+44 151 934 1234"}, "phone", "Enter the phone number using only digits and spaces"),
    ({"phone": "0151 934"}, "phone", "Enter a UK phone number"),
    ({"website": "javascript:alert(1)"}, "website", "Enter a website address that starts with"),
    ({"website": "http://www.example.org"}, "website",
     "Website address must start with https:// (not http://)"),
    ({"summary": "<script>alert(1)</script>"}, "summary",
     "Summary must not include the characters &lt; or &gt; (HTML is not allowed)"),
    ({"name": "<b>Bold</b>"}, "name", "Name must not include the characters"),
    ({"name": ""}, "name", "Enter the name of the service"),
    ({"boroughs": []}, "boroughs", "Select the areas the service covers, or National"),
    ({"boroughs": ["atlantis"]}, "boroughs", "Select areas from the list"),
    ({"categories": []}, "categories", "Select at least one kind of help"),
    ({"email": "nobody"}, "email", "Enter an email address in the correct format"),
    ({"phone": "", "website": ""}, "phone", "Enter at least one way to contact the service"),
])
def test_bad_input_is_refused_with_a_clear_message(coordinator, session, changes: dict,
                                                   field: str, message: str) -> None:
    response = post(coordinator, "/coordinator/support-services/new", form_data(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert f'href="#{field}"' in html  # the error summary points at the field
    assert session.scalar(select(func.count()).select_from(SupportService)) == 0
    assert support_events(session) == []
    if "summary" in changes:  # what was typed is kept, escaped
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_editing_a_service(coordinator, session, directory) -> None:
    service = directory["knowsley"]
    path = f"/coordinator/support-services/{service.id}/edit"
    page = coordinator.get(path).get_data(as_text=True)
    assert 'value="0151 443 2610"' in page and re.search(r'value="knowsley" checked', page)
    response = post(coordinator, path, form_data(name="Knowsley Outreach", boroughs=[
        "knowsley", "halton"]))
    assert response.status_code == 303
    session.refresh(service)
    assert service.borough_keys == ["halton", "knowsley"]
    assert service.phone == "0151 934 1234" and service.key.startswith("service-")
    [event] = support_events(session)
    assert event.action == "support_service.edited" and event.target_id == service.id
    assert "boroughs" in event.details["fields"]


def test_an_invalid_edit_changes_nothing(coordinator, session, directory) -> None:
    service = directory["knowsley"]
    path = f"/coordinator/support-services/{service.id}/edit"
    response = post(coordinator, path, form_data(website="javascript:alert(1)"))
    assert response.status_code == 200
    session.refresh(service)
    assert service.name == "Knowsley Outreach" and service.phone == "0151 443 2610"


def test_retiring_asks_first_then_hides_the_service(coordinator, client, session,
                                                    directory) -> None:
    service = directory["wirral"]
    path = f"/coordinator/support-services/{service.id}/retire"
    assert "Are you sure you want to retire Wirral Project?" in \
        coordinator.get(path).get_data(as_text=True)
    assert post(coordinator, path, {}).status_code == 303
    session.refresh(service)
    assert service.is_retired
    assert [e.action for e in support_events(session)] == ["support_service.retired"]
    assert "Wirral Project" not in titles(client.get("/support"))
    assert coordinator.get(path).status_code == 303  # already retired


def test_marking_checked_records_who_and_when(coordinator, session, directory) -> None:
    service = directory["knowsley"]
    service.last_checked_at = uk_today() - timedelta(days=700)
    session.commit()
    due = coordinator.get("/coordinator/support-services/due-for-check").get_data(as_text=True)
    assert "Knowsley Outreach" in due and "National Helpline" not in due
    response = post(coordinator, f"/coordinator/support-services/{service.id}/check",
                    {"return_to": "due"}, token_page="/coordinator/support-services/due-for-check")
    assert response.status_code == 303
    assert response.headers["Location"] == "/coordinator/support-services/due-for-check"
    session.refresh(service)
    assert service.last_checked_at == uk_today()
    assert service.last_checked_by.full_name == "Dana Coordinator"
    assert [e.action for e in support_events(session)] == ["support_service.checked"]
    after = coordinator.get("/coordinator/support-services/due-for-check").get_data(as_text=True)
    assert "Knowsley Outreach has been marked as checked today" in after
    assert f"/coordinator/support-services/{service.id}/edit" not in after


def test_marking_checked_needs_the_csrf_token(coordinator, directory) -> None:
    response = coordinator.post(
        f"/coordinator/support-services/{directory['knowsley'].id}/check")
    assert response.status_code == 400
