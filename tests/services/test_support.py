"""The directory's rules, search and upkeep, on a small fixed set of services."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bench.sqlcount import count_statements
from portal.models import AuditEvent, SupportService
from portal.services import support
from portal.services.support import InvalidServiceError, Search, validate_service
from tests.factories import make_support_service, make_user

VALID = {"name": "Helpline", "summary": "Support by phone.", "phone": "0808 2000 247",
         "boroughs": ["national"], "categories": ["domestic-abuse"]}


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(InvalidServiceError) as caught:
        validate_service({**VALID, **changes})
    return caught.value.errors


# --- Validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("phone", [
    "999", "101", "111", "116 123", "116123", "0808 2000 247", "0800 555 111", "0800 1111",
    "0151 443 2610", "01744 743200", "020 7008 0151", "0330 363 0063", "07700 900123",
    "0800 5999 247", "  0808  802 4040 "])
def test_uk_phone_numbers_are_accepted(phone: str) -> None:
    details = validate_service({**VALID, "phone": phone})
    assert details.phone == " ".join(phone.split())


@pytest.mark.parametrize(("phone", "message"), [
    ("+44 808 2000 247", "only digits and spaces"),
    ("0808-2000-247", "only digits and spaces"),
    ("(0151) 443 2610", "only digits and spaces"),
    ("tel:999", "only digits and spaces"),
    ("0808 2000 247<script>", "only digits and spaces"),
    ("998", "Enter a UK phone number"),
    ("116 12", "Enter a UK phone number"),
    ("0151 443 26", "Enter a UK phone number"),
    ("0151 443 2610 12", "Enter a UK phone number"),
    ("0909 879 0000", "Enter a UK phone number"),  # premium rate
    ("0845 000 0000", "Enter a UK phone number"),
    ("0800 1112", "Enter a UK phone number"),
    ("1234567890", "Enter a UK phone number"),
])
def test_invalid_phone_numbers_get_a_clear_message(phone: str, message: str) -> None:
    assert message in errors_for(phone=phone)["phone"]


@pytest.mark.parametrize(("website", "message"), [
    ("javascript:alert(1)", "starts with https://"),
    ("JavaScript:alert(document.cookie)", "starts with https://"),
    (" javascript:alert(1)", "starts with https://"),
    ("data:text/html,<script>alert(1)</script>", "without spaces"),
    ("data:text/html;base64,PHNjcmlwdD4=", "starts with https://"),
    ("http://www.example.org", "must start with https:// (not http://)"),
    ("HTTP://www.example.org", "must start with https:// (not http://)"),
    ("//www.example.org", "starts with https://"),
    ("www.example.org", "starts with https://"),
    ("https:evil.example", "full website address"),
    ("https://", "full website address"),
    ("https://localhost/", "full website address"),
    ("https://user@evil.example/", "full website address"),
    ("https://evil.example\\@good.example", "without spaces"),
    ("https://www.example.org/a b", "without spaces"),
    ('https://www.example.org/"onmouseover="x', "without spaces"),
])
def test_only_full_https_addresses_are_accepted(website: str, message: str) -> None:
    assert message in errors_for(website=website)["website"]


def test_https_addresses_are_kept_with_a_lower_case_scheme() -> None:
    details = validate_service({**VALID, "website": "HTTPS://www.example.org/help?a=1&b=2"})
    assert details.website == "https://www.example.org/help?a=1&b=2"


@pytest.mark.parametrize("field", ["name", "summary", "phone_note", "text_or_chat", "hours"])
@pytest.mark.parametrize("text", ["<b>Bold</b>", "Call us <script>alert(1)</script>",
                                  "a > b", "<img src=x onerror=alert(1)>"])
def test_html_is_refused_in_every_text_field(field: str, text: str) -> None:
    assert "must not include the characters < or > (HTML is not allowed)" in \
        errors_for(**{field: text})[field]


def test_required_fields_and_lengths() -> None:
    errors = errors_for(name="  ", summary="", boroughs=[], categories=None)
    assert errors == {
        "name": "Enter the name of the service",
        "summary": "Enter what the service offers and who it is for",
        "boroughs": "Select the areas the service covers, or National",
        "categories": "Select at least one kind of help the service gives",
    }
    assert errors_for(name="x" * 201)["name"] == "Name must be 200 characters or fewer"
    assert errors_for(summary="x\x00y")["summary"] == "Summary must not include control characters"


def test_a_service_needs_a_way_to_contact_it() -> None:
    assert "at least one way to contact" in errors_for(phone="")["phone"]
    assert validate_service({**VALID, "phone": None, "website": "https://example.org"}).phone \
        is None


def test_areas_and_kinds_of_help_come_from_the_lists() -> None:
    assert "not wales" in errors_for(boroughs=["wales"])["boroughs"]
    assert "not National or" not in errors_for(boroughs=["national", "knowsley"])["boroughs"]
    assert errors_for(boroughs=["national", "knowsley"])["boroughs"] == \
        "Select National or the areas the service covers, not both"
    assert "not gardening" in errors_for(categories=["gardening"])["categories"]
    assert errors_for(categories="domestic-abuse")["categories"].startswith("Select at least")
    assert "not {'a': 1}" in errors_for(boroughs=[{"a": 1}])["boroughs"]  # odd YAML: no crash
    details = validate_service({**VALID, "boroughs": ["wirral", "knowsley", "wirral"],
                                "categories": ["men", "domestic-abuse"]})
    assert details.boroughs == ("knowsley", "wirral")
    assert details.categories == ("domestic-abuse", "men")


def test_email_and_open_24_hours() -> None:
    assert "correct format" in errors_for(email="not an email")["email"]
    assert "correct format" in errors_for(email='"><script>@example.org')["email"]
    assert validate_service({**VALID, "email": "Help@Example.org"}).email == "Help@example.org"
    assert errors_for(open_24_hours="yes")["open_24_hours"] == \
        "Select whether the service is open 24 hours"
    assert validate_service({**VALID, "open_24_hours": None}).open_24_hours is None


def test_every_error_is_reported_at_once() -> None:
    errors = errors_for(phone="abc", website="http://x.org", summary="<p>", email="x")
    assert set(errors) == {"phone", "website", "summary", "email"}


# --- Search --------------------------------------------------------------------------------

def test_search_words_drop_punctuation_and_possessives() -> None:
    assert support.search_words("Men's Advice Line") == ["men", "advice", "line"]
    assert support.search_words("LGBT+ ‘honour’-based 100%_x") == \
        ["lgbt", "honour", "based", "100", "x"]
    assert support.escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


@pytest.fixture
def directory(session) -> dict[str, SupportService]:
    """A fixed set: two national, two local, one retired."""
    services = {
        "helpline": make_support_service(
            session, name="National Helpline", summary="Free support for women, day or night.",
            categories=["domestic-abuse"], open_24_hours=True),
        "mens": make_support_service(
            session, name="Men's Line", summary="Confidential helpline for men.",
            categories=["domestic-abuse", "men"], phone="0808 801 0327"),
        "knowsley": make_support_service(
            session, name="Knowsley Outreach", summary="Advice for residents of Knowsley.",
            boroughs=["knowsley"], categories=["domestic-abuse"]),
        "wirral": make_support_service(
            session, name="Wirral Honour Project", summary="Help with 100% confidentiality.",
            boroughs=["wirral", "sefton"], categories=["forced-marriage-honour", "fgm"]),
        "retired": make_support_service(
            session, name="Closed Helpline", summary="No longer running.",
            retired_at=support.utcnow()),
    }
    session.commit()
    return services


def names(session, **search: object) -> list[str]:
    return [s.name for s in support.find_services(session, Search(**search)).services]


def test_no_search_lists_every_current_service_by_name(session, directory) -> None:
    assert names(session) == ["Knowsley Outreach", "Men's Line", "National Helpline",
                              "Wirral Honour Project"]


@pytest.mark.parametrize(("text", "expected"), [
    ("helpline", ["Men's Line", "National Helpline"]),
    ("HELPLINE", ["Men's Line", "National Helpline"]),
    ("men", ["Men's Line"]),                 # a whole short word: not "women"
    ("men's", ["Men's Line"]),
    ("women", ["National Helpline"]),
    ("knows", ["Knowsley Outreach"]),        # the start of a word
    ("owsley", []),                          # not the middle of one
    ("forced marriage", ["Wirral Honour Project"]),  # the name of a kind of help
    ("fgm", ["Wirral Honour Project"]),
    ("honour-based", ["Wirral Honour Project"]),
    ("support night", ["National Helpline"]),  # every word must match
    ("support knowsley", []),
    ("closed", []),                          # retired services never show
])
def test_search_words_match_name_summary_and_kinds_of_help(session, directory, text: str,
                                                            expected: list[str]) -> None:
    assert names(session, text=text) == expected


@pytest.mark.parametrize("text", ["%", "_", "%%", "\\", "100%", "' OR 1=1 --", "%_%"])
def test_like_wildcards_and_quotes_are_not_interpreted(session, directory, text: str) -> None:
    """SQL-01, 1.2.9: wildcards match themselves, and punctuation alone matches nothing."""
    expected = ["Wirral Honour Project"] if text == "100%" else []
    assert names(session, text=text) == expected


def test_borough_filter_includes_national_services_local_first(session, directory) -> None:
    assert names(session, borough="knowsley") == [
        "Knowsley Outreach", "Men's Line", "National Helpline"]
    assert names(session, borough="sefton") == [
        "Wirral Honour Project", "Men's Line", "National Helpline"]
    assert names(session, borough="halton") == ["Men's Line", "National Helpline"]


def test_category_filter_matches_any_chosen_kind_of_help(session, directory) -> None:
    assert names(session, categories=("men",)) == ["Men's Line"]
    assert names(session, categories=("men", "fgm")) == ["Men's Line", "Wirral Honour Project"]
    assert names(session, categories=("stalking",)) == []


def test_filters_and_words_combine(session, directory) -> None:
    assert names(session, text="helpline", borough="knowsley", categories=("men",)) == \
        ["Men's Line"]
    assert names(session, open_24_hours=True) == ["National Helpline"]


def test_pages_hold_a_fixed_number_and_out_of_range_pages_clamp(session) -> None:
    for number in range(5):
        make_support_service(session, name=f"Service {number}")
    session.commit()
    first = support.find_services(session, Search(page=1), per_page=2)
    assert (first.total, first.pages, [s.name for s in first.services]) == \
        (5, 3, ["Service 0", "Service 1"])
    assert [s.name for s in support.find_services(session, Search(page=99), per_page=2)
            .services] == ["Service 4"]
    assert support.find_services(session, Search(page=-3), per_page=2).page == 1


def count_queries(session, search: Search) -> int:
    with count_statements(session.get_bind()) as log:
        session.expunge_all()
        page = support.find_services(session, search)
        for service in page.services:  # everything a card shows
            assert service.borough_keys and service.category_keys
    return log.count


def test_a_page_costs_the_same_number_of_queries_however_many_services(session) -> None:
    make_support_service(session, categories=["men"])
    session.commit()
    few = count_queries(session, Search(borough="knowsley", categories=("men", "fgm")))
    for _ in range(15):
        make_support_service(session, boroughs=["knowsley", "wirral"],
                             categories=["men", "fgm", "lgbt"])
    session.commit()
    many = count_queries(session, Search(borough="knowsley", categories=("men", "fgm")))
    assert few == many == 4  # count, page, areas, kinds of help


# --- Coordinators' upkeep --------------------------------------------------------------------

def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_adding_a_service_checks_it_and_audits(session) -> None:
    coordinator = make_user(session, is_coordinator=True)
    service = support.add_service(session, {**VALID, "name": "Café Helpline"},
                                  added_by=coordinator, today=date(2026, 11, 21))
    again = support.add_service(session, {**VALID, "name": "cafe helpline!"},
                                added_by=coordinator, today=date(2026, 11, 21))
    session.commit()
    assert (service.key, again.key) == ("cafe-helpline", "cafe-helpline-2")
    assert service.last_checked_at == date(2026, 11, 21)
    assert service.last_checked_by_id == coordinator.id
    assert audit_actions(session) == ["support_service.added"] * 2


def test_an_invalid_service_is_never_added(session) -> None:
    coordinator = make_user(session, is_coordinator=True)
    with pytest.raises(InvalidServiceError):
        support.add_service(session, {**VALID, "website": "javascript:alert(1)"},
                            added_by=coordinator, today=date(2026, 11, 21))
    session.commit()
    assert session.scalar(select(func.count()).select_from(SupportService)) == 0
    assert audit_actions(session) == []


def test_editing_records_which_fields_changed(session) -> None:
    coordinator = make_user(session, is_coordinator=True)
    service = make_support_service(session, **VALID)
    changed = support.update_service(
        session, service, {**VALID, "phone": "0800 555 111", "boroughs": ["wirral"]},
        updated_by=coordinator)
    assert changed == ["phone", "boroughs"]
    assert support.update_service(session, service, {**VALID, "phone": "0800 555 111",
                                                     "boroughs": ["wirral"]},
                                  updated_by=coordinator) == []
    session.commit()
    event = session.scalar(select(AuditEvent))
    assert (event.action, event.details["fields"]) == ("support_service.edited",
                                                       ["phone", "boroughs"])
    assert service.borough_keys == ["wirral"]


def test_retiring_and_marking_checked(session) -> None:
    coordinator = make_user(session, is_coordinator=True)
    service = make_support_service(session)
    support.mark_checked(session, service, checked_by=coordinator, today=date(2026, 11, 21))
    support.retire_service(session, service, retired_by=coordinator)
    support.retire_service(session, service, retired_by=coordinator)  # once is enough
    session.commit()
    assert service.is_retired and service.last_checked_by_id == coordinator.id
    assert audit_actions(session) == ["support_service.checked", "support_service.retired"]


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 21), date(2026, 5, 21)),
    (date(2026, 8, 31), date(2026, 2, 28)),
    (date(2026, 3, 31), date(2025, 9, 30)),
    (date(2028, 8, 30), date(2028, 2, 29)),
])
def test_six_months_before(day: date, expected: date) -> None:
    assert support.months_before(day, 6) == expected


def test_services_due_for_check_are_six_months_old_and_current(session) -> None:
    make_support_service(session, name="Old", last_checked_at=date(2026, 5, 21))
    make_support_service(session, name="Older", last_checked_at=date(2025, 1, 1))
    make_support_service(session, name="Recent", last_checked_at=date(2026, 5, 22))
    make_support_service(session, name="Old but retired", last_checked_at=date(2025, 1, 1),
                         retired_at=support.utcnow())
    session.commit()
    due = support.services_due_for_check(session, date(2026, 11, 21))
    assert [s.name for s in due] == ["Older", "Old"]
