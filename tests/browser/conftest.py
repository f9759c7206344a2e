"""Browser-test fixtures: headless Debian Chromium through Playwright, screenshots, a run summary.

The browser is the system ``chromium`` (Playwright cannot download its own here); install it with
``apt-get install -y chromium fonts-wqy-microhei``. Screenshots go to ``var/screenshots/`` under the
repository; their folder and the measured timings are printed in pytest's terminal summary.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_kit import DESKTOP, api_call, login_page

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]

# Lines for the terminal summary (screenshots, timings), filled in by the tests.
SUMMARY: list[str] = []


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if not SUMMARY:
        return
    terminalreporter.section("browser tests")
    for line in SUMMARY:
        terminalreporter.write_line(line)


def _report(line: str) -> None:
    SUMMARY.append(line)
    print(line)


@pytest.fixture(scope="session")
def report():
    """report(line): show a line in the run's terminal summary (whether or not output is captured)."""
    return _report


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _report(f"screenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium fonts-wqy-microhei")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """Console errors and uncaught exceptions seen by a page (failed HTTP loads are expected: 401/403)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", self._console)

    # htmx logs every 4xx it swaps in (a refusal shown in place, by design: base.html's htmx-config)
    EXPECTED = ("Failed to load resource", "Response Status Error Code 4")

    def _console(self, message) -> None:
        if message.type == "error" and not any(text in message.text for text in self.EXPECTED):
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def new_page(browser):
    """new_page(viewport=DESKTOP, **context options) → a page in a fresh context (own cookies).

    At teardown the test fails if any page logged a JavaScript error or a CSP violation.
    """
    contexts = []
    problems = PageProblems()

    def make(viewport: dict | None = None, **options):
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.errors, "browser errors:\n" + "\n".join(problems.errors)


# --- fixtures over the shared helpers (browser_kit.py) ------------------------------------------

@pytest.fixture
def api(live_server):
    """api(role, method, path, expect=200, **httpx kwargs) → JSON, as that demo user."""
    return lambda role, method, path, **kw: api_call(live_server, role, method, path, **kw)


@pytest.fixture
def login(live_server):
    """login(page, role, start): sign in through the login form and land on ``start``."""
    return lambda page, role, start: login_page(page, live_server, role, start)
