"""Browser fixtures: one Chromium per session, a fresh context per test, and a page
that fails the test on any JavaScript error or Content-Security-Policy violation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# pytest-django's live_server runs Django in a thread while Playwright's sync API
# runs an event loop in this one; Django's async-unsafe guard would then refuse
# the ORM calls the tests make to arrange data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from deskguard.accounts.models import User
from tests.conftest import PASSWORD, portal_path

CHROMIUM = os.environ.get("DESKGUARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Runs before any page script, through the DevTools protocol, so the page's CSP
# does not apply to it: it reports every violation as a console error we collect.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""
PROBLEM = re.compile(r"content.security.policy|csp violation|refused to", re.IGNORECASE)


@dataclass
class BrowserLog:
    """What the browser complained about, page by page (C: F4 CSP, no JS errors)."""

    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def allow(self, text: str) -> None:
        """A console error the test provokes on purpose (e.g. the 400 of a refused code)."""
        self.expected.append(text)

    def console(self, page: Page, message: ConsoleMessage) -> None:
        if PROBLEM.search(message.text):
            self.problems.append(f"console {message.type} on {page.url}: {message.text}")
        elif message.type == "error" and not any(t in message.text for t in self.expected):
            self.problems.append(f"console {message.type} on {page.url}: {message.text}")

    def error(self, page: Page, error: Exception) -> None:
        self.problems.append(f"page error on {page.url}: {error}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        # On a laptop without Chromium the browser tests are reported as skipped; in
        # CI (CI=true, which installs it) a missing browser is a failure, never a pass.
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser, live_server, transactional_db, browser_log) -> Iterator[Page]:
    """A fresh context per test; at the end, no JS error and no CSP violation on
    any page the test visited."""
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(5_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console(page, message))
    page.on("pageerror", lambda error: browser_log.error(page, error))
    page.on("framenavigated", lambda frame: browser_log.visited.append(frame.url))
    yield page
    context.close()
    assert browser_log.visited, "the test visited no page"
    assert browser_log.problems == [], "\n".join(browser_log.problems)


SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def shoot(page: Page, name: str, *, phone: bool = False) -> None:
    """Desktop shot; with phone=True also a narrow one, for the pages people open
    on the same phone as their authenticator app."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)


README_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def readme_shot(page: Page, name: str, *, phone: bool = False) -> None:
    """A screen the README shows. Always shot into test-artifacts/ like every screen; also
    written to docs/screenshots/ when DESKGUARD_README_SHOTS=1 (`make screenshots`), so an
    ordinary test run leaves the working tree as it was."""
    shoot(page, name, phone=phone)
    if os.environ.get("DESKGUARD_README_SHOTS") != "1":
        return
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-phone") if phone else ("",):
        (README_SHOTS / f"{name}{suffix}.png").write_bytes(
            (SHOTS / f"{name}{suffix}.png").read_bytes()
        )


def browser_signin(page: Page, user: User, *, password: str = PASSWORD) -> None:
    """The password step as a person does it: the form of the account's portal."""
    page.goto(portal_path(user) + "signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
