"""Browser tests: the real app on a loopback port, driven by Debian's Chromium via Playwright.

Every page a test checks with `assert_accessible` is checked, as it stands (dialogs open, errors
shown), by two accessibility engines, axe-core (WCAG 2.2 A/AA rules plus best practices) and
HTML_CodeSniffer (WCAG 2 AA errors), and must not scroll sideways at 320 CSS pixels wide (WCAG
1.4.10). Beyond those, the HTML of every page the browser loads is kept; at the end of the session
the Nu HTML Checker (vnu) reads it all in one run, the question checks of tests/form_labels.py read
it too, and each kind of page (its address pattern, the navigation of the role that saw it, and
whether it shows errors) is loaded again, as served and with the portal's own CSS and JavaScript,
for the same two engines and the reflow check. The pages checked are listed in the terminal summary.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Response, Route, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.form_labels import form_label_problems
from tests.smtp import free_port
from tests.two_factor import CODE_PATH, next_code

CHROMIUM = "/usr/bin/chromium"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
HTMLCS_SCRIPT = NODE_MODULES / "html_codesniffer" / "build" / "HTMLCS.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
REPLAY_ORIGIN = "http://portal.replay"  # pages loaded again from what was served, offline
REFLOW_WIDTH = 320  # CSS pixels: 1280 at 400 % zoom (WCAG 1.4.10)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.browser


class LiveServer:
    """The portal served by Werkzeug in a thread; EXIT_URL points at a neutral local page."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The exit destination must be reachable without a network: a page of our own, which
        # needs no session (the health check stands in for BBC Weather here).
        self.exit_url = f"{self.url}/healthz"
        self.app = make_app(database_url, BASE_URL=self.url, EXIT_URL=self.exit_url,
                            TRUSTED_HOSTS=["127.0.0.1"], SESSION_COOKIE_SECURE=True)
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.app.extensions["portal.engine"].dispose()

    def db(self) -> Session:
        return self.app.extensions["portal.sessionmaker"]()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    path = tmp_path / "portal.db"
    shutil.copyfile(sqlite_template, path)
    with LiveServer(f"sqlite:///{path}") as server:
        yield server


@dataclass
class Served:
    """One page as the server sent it, for the checks run once at the end of the session."""

    path: str
    status: int
    html: str


@dataclass
class PageLog:
    served: list[Served] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # paths given to assert_accessible
    replayed: list[str] = field(default_factory=list)  # paths loaded again and checked at the end

    def keep(self, response: Response) -> None:
        """A `response` handler: keep every HTML document the browser loads in its main frame."""
        if (response.request.resource_type != "document" or 300 <= response.status < 400
                or response.frame.parent_frame is not None
                or "text/html" not in response.headers.get("content-type", "")):
            return
        parts = urlsplit(response.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.served.append(Served(path, response.status, response.text()))


PAGE_LOG = PageLog()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # axe and HTML_CodeSniffer are injected as script tags, which our CSP (rightly) forbids;
    # tests bypass it. The served HTML is kept whatever the test does with the page.
    context = browser.new_context(bypass_csp=True)
    context.on("response", PAGE_LOG.keep)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def vnu_errors(pages: list[Served], folder: Path) -> list[str]:
    """Every error the Nu HTML Checker finds in `pages`, in one run of the checker."""
    if shutil.which("java") is None:
        pytest.fail("No Java runtime for the Nu HTML Checker: run `make test`, which installs it")
    files = []
    for number, served in enumerate(pages):
        path = folder / f"page-{number:04d}.html"
        path.write_text(served.html, encoding="utf-8")
        files.append(path)
    result = subprocess.run(  # noqa: S603 - our own fixed command over files we wrote
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True, text=True, timeout=600, check=False)
    by_file = {f"file:{path}": served for path, served in zip(files, pages, strict=True)}
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [f"{by_file[m['url']].path} line {m.get('lastLine')}: {m['message']}"
            if m.get("url") in by_file else f"{m.get('url')}: {m['message']}"
            for m in messages]


@pytest.fixture(scope="session", autouse=True)
def served_html_is_valid(tmp_path_factory: pytest.TempPathFactory,
                         browser: Browser) -> Iterator[None]:
    """After the last browser test: vnu and the question checks over every page served, and the
    accessibility engines and reflow over every kind of page served."""
    yield
    pages = PAGE_LOG.served
    if not pages:
        return
    problems = vnu_errors(pages, tmp_path_factory.mktemp("served-html"))
    problems += [f"{served.path}: {problem}" for served in pages
                 for problem in form_label_problems(served.html)]
    kinds = one_page_of_each_kind(pages)
    PAGE_LOG.replayed += [served.path for served in kinds]
    problems += replayed_page_problems(browser, kinds)
    assert problems == [], "\n".join(dict.fromkeys(problems))


def page_kind(served: Served) -> tuple[str, ...]:
    """Pages of one kind look alike to the engines: the same address pattern (ids and codes
    replaced), status, role (the navigation links the page offers) and error state."""
    path = re.sub(r"/[0-9]+(?=/|$)|/[A-Za-z0-9_-]{20,}(?=/|$)", "/N", served.path.split("?")[0])
    navigation = tuple(re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"',
                                  served.html))
    shows_errors = "govuk-error-summary" in served.html
    return (path, str(served.status), str(shows_errors), *navigation)


def one_page_of_each_kind(pages: list[Served]) -> list[Served]:
    kinds: dict[tuple[str, ...], Served] = {}
    for served in pages:
        kinds.setdefault(page_kind(served), served)
    return list(kinds.values())


def replayed_page_problems(browser: Browser, pages: list[Served]) -> list[str]:
    """Each of `pages` loaded again exactly as served (with the portal's built CSS and
    JavaScript, nothing else) for axe, HTML_CodeSniffer and reflow."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    current: list[Served] = []

    def serve(route: Route) -> None:
        path = urlsplit(route.request.url).path
        if route.request.resource_type == "document":
            route.fulfill(status=current[0].status, content_type="text/html; charset=utf-8",
                          body=current[0].html)
        elif path.startswith("/static/") and (STATIC / path.removeprefix("/static/")).is_file():
            route.fulfill(path=STATIC / path.removeprefix("/static/"))
        else:
            route.abort()  # anything else (a link prefetched, a form posted) goes nowhere

    page.route(f"{REPLAY_ORIGIN}/**", serve)
    problems = []
    try:
        for served in pages:
            current[:] = [served]
            page.goto(REPLAY_ORIGIN + served.path, wait_until="load")
            problems += [f"{served.path} (as served): {problem}"
                         for problem in accessibility_problems(page)]
    finally:
        context.close()
    return problems


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PAGE_LOG.served and not PAGE_LOG.checked:
        return
    write = terminalreporter.write_line
    terminalreporter.section("pages checked")
    served = Counter(page.path for page in PAGE_LOG.served)
    write(f"Nu HTML Checker and question checks: {len(PAGE_LOG.served)} pages served "
          f"({len(served)} distinct addresses)")
    for path, count in sorted(served.items()):
        write(f"  {path}" + (f" (x{count})" if count > 1 else ""))
    checked = Counter(PAGE_LOG.checked)
    write(f"axe, HTML_CodeSniffer and reflow at {REFLOW_WIDTH}px, as the test left the page: "
          f"{len(PAGE_LOG.checked)} pages ({len(checked)} distinct addresses)")
    for path, count in sorted(checked.items()):
        write(f"  {path}" + (f" (x{count})" if count > 1 else ""))
    replayed = Counter(PAGE_LOG.replayed)
    write(f"axe, HTML_CodeSniffer and reflow at {REFLOW_WIDTH}px, each kind of page as served "
          f"(address pattern, role, errors shown): {len(PAGE_LOG.replayed)} pages")
    for path, count in sorted(replayed.items()):
        write(f"  {path}" + (f" (x{count})" if count > 1 else ""))


def pass_two_factor(page: Page, server: LiveServer, email: str) -> None:
    """After the password: a coordinator enters the next code from their (test) app."""
    page.wait_for_load_state()
    if urlsplit(page.url).path != CODE_PATH:
        return
    page.get_by_label("Code from your authenticator app").fill(next_code(server.app, email=email))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def assert_accessible(page: Page) -> None:
    """The page as it stands: zero axe violations, zero HTML_CodeSniffer errors (WCAG 2 AA), and
    no sideways scrolling of the page at 320 CSS pixels wide."""
    parts = urlsplit(page.url)
    PAGE_LOG.checked.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    problems = accessibility_problems(page)
    assert problems == [], f"{page.url}: {problems}"


def accessibility_problems(page: Page) -> list[str]:
    """axe violations, HTML_CodeSniffer errors and sideways scrolling at 320 px, as messages."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    problems = [f"axe {v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]]
    page.add_script_tag(path=str(HTMLCS_SCRIPT))
    problems += [f"HTML_CodeSniffer {code}: {message} {element}"
                 for code, message, element in page.evaluate(HTMLCS_ERRORS)]
    widths = reflow_widths(page)
    if widths["scroll"] > widths["client"]:
        problems.append(f"scrolls sideways at {REFLOW_WIDTH}px: {widths}")
    return problems


# HTML_CodeSniffer's WCAG2AA errors (type 1; warnings and notices ask a person to check).
HTMLCS_ERRORS = """() => new Promise((resolve, reject) => {
  HTMLCS.process("WCAG2AA", document, () => {
    resolve(HTMLCS.getMessages().filter(m => m.type === HTMLCS.ERROR).map(m =>
      [m.code, m.msg, m.element.outerHTML.slice(0, 160)]));
  }, reject, "en");
})"""


def reflow_widths(page: Page) -> dict:
    """WCAG 1.4.10: at 320 CSS px the page itself must never scroll sideways (a wide table may,
    inside its own container). The page's scrolling and visible widths there, and what sticks
    out."""
    size = page.viewport_size
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": size["height"] if size else 720})
    try:
        widths = page.evaluate("""() => {
          const root = document.documentElement;
          // What sticks out, for the message (a wide table's cells may, inside its container).
          const wide = [...document.body.querySelectorAll("*")].filter(el => {
            const box = el.getBoundingClientRect();
            return box.right > root.clientWidth + 1 && box.width > 0
              && !el.closest(".portal-table-container");
          }).slice(0, 3).map(el => el.outerHTML.slice(0, 120));
          return {scroll: root.scrollWidth, client: root.clientWidth, wide};
        }""")
    finally:
        if size:
            page.set_viewport_size(size)
    return widths
