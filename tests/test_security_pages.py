"""Every page, as every kind of person: headers, caching, third parties, titles, echoed input.

One walk per database backend visits every GET route of the app (tests/security_world.py fills
the URL arguments with organisation A's objects) as an anonymous visitor, champion A, HR lead A
and a coordinator, and keeps each response; the tests below check the collected pages whatever
their status (CONF-01, SESS-08, PRIV-06, PRIV-08, PRIV-10, XSS-04, CSRF-01's "GETs change
nothing", CSRF-02).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import html5lib
import pytest
from flask import Flask
from sqlalchemy import select

from config import TestConfig
from portal.models import ModuleVersion, SupportService
from portal.views.main import REGULATOR_LINKS
from tests.conftest import BACKENDS, csrf_token, make_app
from tests.security_world import (
    build_security_world,
    clients_for,
    get_paths,
    module_database,
    snapshot,
)

SENSITIVE_WORDS = ("domestic abuse", "abuse", "violence", "violent", "refuge", "victim",
                   "perpetrator", "survivor", "coercive", "abusive")
TRACKING_PARAMETERS = ("utm_", "fbclid", "gclid", "mc_eid", "_hsenc")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "srcset", "cite",
                  "background", "xlink:href")
REFLECTED = '"><script>alert(71)</script><img src=x onerror=alert(72)>'
ECHO_PARAMETERS = ("q", "search", "next", "code", "page", "status", "borough", "category",
                   "site", "url", "error", "message", "email", "name")
# A score, percentage or count of attempts as a page would show one (explanations such as "you
# see progress, not scores" are fine).
SCORE_OR_ATTEMPTS = re.compile(
    r"\b\d{1,3} ?%|\bscored?:? *\d|\b\d+ (?:attempts?|tries)\b|\battempts?:? *\d|"
    r"\b\d+ (?:out )?of \d+ (?:questions|correct)|\bcorrect answers?:? *\d")
# Shown to the champion after a quiz; an HR lead must never see them (PRIV-06, P4).
OUR_HOST = urlsplit(TestConfig.BASE_URL).netloc
QUIZ_DETAIL_MARKERS = ("FEEDBACK-RIGHT-MARKER", "FEEDBACK-WRONG-MARKER", "EXPLANATION-MARKER")


@dataclass(frozen=True)
class Page:
    role: str
    path: str
    status: int
    headers: dict[str, str]
    mimetype: str
    text: str

    @property
    def is_html(self) -> bool:
        return self.mimetype == "text/html" and self.status == 200


@dataclass
class Sweep:
    pages: list[Page]
    reflected: list[Page]
    before: dict
    after: dict
    allowed_external: set[str]
    exit_url: str


def page_from(role: str, path: str, response) -> Page:  # noqa: ANN001 - a test response
    text = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    headers = {name: ", ".join(response.headers.getlist(name)) for name in response.headers.keys()}
    return Page(role, path, response.status_code, headers, response.mimetype, text)


@pytest.fixture(scope="module", params=BACKENDS)
def sweep(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          sqlite_template: Path) -> Sweep:
    """Walk every page as every role once per backend, with HSTS on as in production."""
    app = make_app(module_database(request, tmp_path_factory, sqlite_template), SEND_HSTS=True)
    engine = app.extensions["portal.engine"]
    with app.extensions["portal.sessionmaker"]() as session:
        world = build_security_world(app, session)
        allowed = allowed_external_urls(app, session)
    clients = clients_for(app, world)
    paths = get_paths(app, world)
    # The coordinator's audit page records that it was viewed: the one write a GET may make.
    before = snapshot(engine, skip=("audit_event",))
    pages = [page_from(role, path, client.get(path))
             for role, client in clients.items() for path in paths]
    after = snapshot(engine, skip=("audit_event",))
    query = "&".join(f"{name}={quote(REFLECTED)}" for name in ECHO_PARAMETERS)
    reflected = [page_from(role, path, client.get(f"{path}{'&' if '?' in path else '?'}{query}"))
                 for role, client in clients.items() if role != "champion_a"
                 for path in paths if not path.endswith("/pdf")]
    engine.dispose()
    return Sweep(pages, reflected, before, after, allowed, app.config["EXIT_URL"])


def allowed_external_urls(app: Flask, session) -> set[str]:  # noqa: ANN001
    """The fixed exit destination, and the support services' and course content's own links."""
    allowed = {app.config["EXIT_URL"], *REGULATOR_LINKS.values()}  # cited on footer pages
    allowed |= {w for w in session.scalars(select(SupportService.website)) if w}
    for body in session.scalars(select(ModuleVersion.body_html)):
        allowed |= set(re.findall(r'href="(https?://[^"]+)"', body))
    return allowed


# --- Headers ----------------------------------------------------------------------------------

def header_problems(where: str, headers: dict[str, str]) -> list[str]:
    """CONF-01: what is missing or wrong in one response's security headers."""
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    if not ("attachment" in headers.get("Content-Disposition", "") and csp == "sandbox"):
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'", "script-src 'self'"):
            if directive not in csp:
                problems.append(f"CSP lacks {directive}")
        if re.search(r"unsafe-inline|unsafe-eval|https?:|\*", csp):
            problems.append(f"CSP too loose: {csp}")
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Cross-Origin-Opener-Policy": "same-origin", "X-Frame-Options": "DENY",
                "Strict-Transport-Security": "max-age=31536000; includeSubDomains"}
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    if "Access-Control-Allow-Origin" in headers:
        problems.append("Access-Control-Allow-Origin sent")
    return [f"{where}: {problem}" for problem in problems]


def test_every_page_sends_the_security_headers(sweep: Sweep) -> None:
    """CONF-01: HSTS, a strict CSP, nosniff, Referrer-Policy, Permissions-Policy, COOP, no CORS.

    Downloads (PDF certificates and cards) carry `Content-Security-Policy: sandbox` instead.
    """
    problems = [p for page in sweep.pages
                for p in header_problems(f"{page.role} {page.path}", page.headers)]
    assert len(sweep.pages) > 200 and {p.status for p in sweep.pages} >= {200, 302, 403, 404}
    assert problems == []


def error_responses(app: Flask) -> Iterator[tuple[str, object]]:
    """One response for each error status the app sends (CONF-04's list; 503 is in REL-08)."""
    @app.route("/boom-for-headers")
    def boom() -> str:
        raise RuntimeError("boom")
    boom.access_rule = "public"

    client = app.test_client()
    yield "404", client.get("/no-such-page")
    yield "405", client.delete("/")
    yield "400 csrf", client.post("/sign-in", data={"email": "a@example.org"})
    yield "400 host", client.get("/", headers={"Host": "evil.example"})
    yield "413", client.post("/sign-in", data={"email": "x" * (7 * 1024 * 1024)})
    token = csrf_token(client, "/forgot-password")
    for _ in range(4):
        last = client.post("/forgot-password", data={"email": "a@example.org",
                                                     "csrf_token": token})
    yield "429", last
    yield "500", client.get("/boom-for-headers")


def test_every_error_response_sends_the_security_headers(app_factory) -> None:
    """CONF-01, CONF-04: error responses carry the same headers as pages, and no-store."""
    app = app_factory(SEND_HSTS=True)
    statuses = {}
    for name, response in error_responses(app):
        statuses[name] = response.status_code
        assert header_problems(name, response.headers) == []
        assert "no-store" in response.headers["Cache-Control"], name
    assert statuses == {"404": 404, "405": 405, "400 csrf": 400, "400 host": 400, "413": 413,
                        "429": 429, "500": 500}


def test_static_files_are_nosniff_and_may_be_cached(client) -> None:
    response = client.get("/static/css/main.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_no_page_is_kept_by_browsers_or_proxies(sweep: Sweep) -> None:
    """SESS-08: no-store and private, and Vary: Cookie, on every page signed in or not."""
    problems = []
    for page in sweep.pages:
        cache = page.headers.get("Cache-Control", "")
        if "no-store" not in cache or "private" not in cache:
            problems.append(f"{page.role} {page.path}: Cache-Control {cache!r}")
        if "Cookie" not in page.headers.get("Vary", ""):
            problems.append(f"{page.role} {page.path}: no Vary: Cookie")
    assert problems == []
    assert any(p.path == "/sign-in" and p.role == "anonymous" for p in sweep.pages)


# --- What pages link to and say ---------------------------------------------------------------

def urls_in(html: str) -> Iterator[str]:
    document = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for name in URL_ATTRIBUTES:
            value = (element.attrib.get(name) or "").strip()
            if value:
                yield from ([part.strip().split(" ")[0] for part in value.split(",")]
                            if name == "srcset" else [value])


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.netloc == OUR_HOST and parts.scheme == "https":
        return False  # our own absolute links (the printed card names the portal's address)
    return parts.scheme not in ("", "mailto", "tel") or bool(parts.netloc) or url.startswith("//")


def test_no_page_loads_or_links_anything_from_elsewhere(sweep: Sweep) -> None:
    """PRIV-08: no third-party scripts, styles, fonts, images or forms, no tracking links.

    The only external URLs are the fixed exit destination and the support services' and course
    content's own links, without tracking parameters.
    """
    problems, pages, links = [], 0, 0
    for page in sweep.pages:
        if not page.is_html:
            continue
        pages += 1
        urls = list(urls_in(page.text))
        links += len(urls)
        for url in filter(is_external, urls):
            query = dict(parse_qsl(urlsplit(url).query))
            if url not in sweep.allowed_external or any(
                    key.startswith(TRACKING_PARAMETERS) for key in query):
                problems.append(f"{page.role} {page.path}: {url}")
    assert pages > 100 and links > 1000
    assert problems == []


def test_every_page_has_the_exit_button(sweep: Sweep) -> None:
    """PRIV-09: the Exit this page button and its skip link on every page, whoever is looking
    and whatever the status (error pages included)."""
    pages = [page for page in sweep.pages if page.mimetype == "text/html" and page.text
             and not 300 <= page.status < 400]  # a redirect's own body is never shown
    assert len(pages) > 150 and {page.status for page in pages} >= {200, 403, 404}
    for page in pages:
        assert 'data-module="govuk-exit-this-page"' in page.text, (page.role, page.path)
        assert 'href="/exit"' in page.text, (page.role, page.path)
        assert "govuk-js-exit-this-page-skiplink" in page.text, (page.role, page.path)


def test_every_page_title_is_neutral(sweep: Sweep) -> None:
    """PRIV-10: <title> names the page and the scheme, never the subject."""
    problems, titles = [], set()
    for page in sweep.pages:
        if not page.is_html:
            continue
        match = re.search(r"<title>(.*?)</title>", page.text, re.S)
        title = match.group(1).strip() if match else ""
        titles.add(title)
        if not title.endswith(" – Workplace Champions") or any(
                word in title.lower() for word in SENSITIVE_WORDS):
            problems.append(f"{page.role} {page.path}: {title!r}")
    assert len(titles) > 30
    assert problems == []


def test_download_file_names_are_neutral(sweep: Sweep) -> None:
    """PRIV-10: a saved file's name says nothing about the subject."""
    names = set()
    for page in sweep.pages:
        disposition = page.headers.get("Content-Disposition", "")
        if disposition:
            assert disposition.startswith("attachment; filename="), page.path
            name = disposition.split("filename=", 1)[1].strip('"')
            names.add(name)
    assert {"certificate.pdf", "signposting-card.pdf", "champions-template.csv"} <= names
    for name in names:
        assert re.fullmatch(r"[a-z0-9-]+\.[a-z]+", name), name
        assert not any(word in name for word in SENSITIVE_WORDS), name


# Pages whose percentages and question counts are the organisation's own (its self-assessment
# scores, its anonymous staff pulse), never a person's: the quiz markers are still checked.
ORGANISATION_SCORE_PAGES = re.compile(r"/organisations/\d+/(?:self-assessment|pulses)")


def test_hr_leads_never_see_scores_answers_or_attempts(sweep: Sweep) -> None:
    """PRIV-06: champion A has passed (score 100, feedback shown to them); HR lead A's pages
    about the organisation, and the dashboard, show none of it."""
    seen = 0
    for page in sweep.pages:
        if page.role != "hr_a" or page.status != 200 or not page.path.startswith(
                ("/organisations/", "/dashboard")):
            continue
        seen += 1
        text = page.text.lower()
        if not ORGANISATION_SCORE_PAGES.match(page.path):
            assert not SCORE_OR_ATTEMPTS.search(text), (page.path,
                                                        SCORE_OR_ATTEMPTS.search(text))
        assert not any(marker.lower() in text for marker in QUIZ_DETAIL_MARKERS), page.path
    assert seen > 15


def test_query_parameters_are_never_reflected_unescaped(sweep: Sweep) -> None:
    """XSS-04: every page, with every parameter a page might echo set to a payload."""
    problems, echoed = [], 0
    for page in sweep.reflected:
        if "<script>alert(71)" in page.text or "<img src=x onerror" in page.text:
            problems.append(f"{page.role} {page.path}")
        if page.status >= 500:
            problems.append(f"{page.role} {page.path}: {page.status}")
        location = page.headers.get("Location", "")
        if "<script>" in location or "\n" in location or location.startswith(("//", "http")):
            problems.append(f"{page.role} {page.path}: Location {location!r}")
        echoed += "&lt;script&gt;alert(71)" in page.text
    assert problems == []
    assert echoed >= 3  # some pages do echo input (search, verify, filters): escaped


# --- Requests that only read ------------------------------------------------------------------

def test_viewing_pages_changes_nothing(sweep: Sweep) -> None:
    """CSRF-01: no GET changes data, so no link or image can make a change for someone.

    The quick exit (PRIV-09) is the documented exception and is not in the walk; the audit
    trail may record that a coordinator viewed a page.
    """
    assert sweep.after == sweep.before


def test_csrf_tokens_never_appear_in_urls(sweep: Sweep) -> None:
    """CSRF-02: tokens travel only in form bodies, never in a Location header or a link."""
    tokens = {m for page in sweep.pages
              for m in re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                                  page.text)}
    assert len(tokens) > 3
    for page in sweep.pages:
        urls = [page.headers.get("Location", ""), *(urls_in(page.text) if page.is_html else [])]
        for url in urls:
            assert not any(token in url for token in tokens), (page.path, url)
            assert "csrf" not in url.lower(), (page.path, url)
