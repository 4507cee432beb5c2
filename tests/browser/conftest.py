"""Browser tests: the real app on a loopback port, driven by Debian's Chromium via Playwright.

Every page visited is checked with axe-core (WCAG 2.2 A/AA rules plus best practices).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.smtp import free_port
from tests.two_factor import CODE_PATH, next_code

CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # axe is injected as a script tag, which our CSP (rightly) forbids; tests bypass it.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def pass_two_factor(page: Page, server: LiveServer, email: str) -> None:
    """After the password: a coordinator enters the next code from their (test) app."""
    page.wait_for_load_state()
    if urlsplit(page.url).path != CODE_PATH:
        return
    page.get_by_label("Code from your authenticator app").fill(next_code(server.app, email=email))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def assert_accessible(page: Page) -> None:
    """Zero axe violations on the page as it stands."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                  for v in result["violations"]]
    assert violations == [], f"{page.url}: {violations}"
