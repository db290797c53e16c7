"""Browser fixtures: one Chromium per session, a fresh context per test, and a page
that fails the test on any JavaScript error, Content-Security-Policy violation, or
serious or critical accessibility violation found by axe-core (L5)."""

from __future__ import annotations

import json
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

import axe_playwright_python
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Response, sync_playwright

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

# L5: axe-core (the copy the PyPI package axe-playwright-python ships, pinned in
# requirements-dev.lock) audits every page a browser test loads. It is added like the
# CSP reporter, so the page's CSP does not apply to it, and it runs once the page has
# loaded; serious and critical violations come back as console errors, which fail the
# test through BrowserLog. window.__axeDone lets a test wait for the audit of the page
# it is on (axe_violations below).
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
AXE_FAILING_IMPACTS = ("serious", "critical")
AXE_WAIT_MS = 15_000
RUN_AXE_ON_LOAD = """
if (window.top === window) {
  window.__axeDone = new Promise((resolve) => {
    window.addEventListener("load", () => {
      axe.run(document, { resultTypes: ["violations"] }).then((results) => {
        const failing = results.violations
          .filter((v) => FAILING_IMPACTS.includes(v.impact))
          .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.map((n) => n.target.join(" ")) }));
        failing.forEach((v) => console.error(
          "accessibility violation (axe " + v.id + ", " + v.impact + "): " + v.help +
          " at " + v.targets.join(", ")));
        resolve(failing);
      }, (error) => { console.error("axe could not run: " + error); resolve([]); });
    });
  });
}
""".replace("FAILING_IMPACTS", json.dumps(AXE_FAILING_IMPACTS))


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
    context.add_init_script(AXE_SOURCE + "\n" + RUN_AXE_ON_LOAD)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console(page, message))
    page.on("pageerror", lambda error: browser_log.error(page, error))
    page.on("framenavigated", lambda frame: browser_log.visited.append(frame.url))
    scripts_off = {"last page": False}

    def note_sandbox(response: Response) -> None:
        # A page served in a CSP sandbox (a mail's HTML part) runs no script, not even
        # an evaluate() from here, which would then wait forever.
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            policy = response.headers.get("content-security-policy") or ""
            scripts_off["last page"] = "sandbox" in policy

    page.on("response", note_sandbox)
    # Chrome says so when it keeps our own added scripts out of such a page.
    browser_log.allow("because the document's frame is sandboxed")
    yield page
    # The page the test ended on is audited too, however quickly the test finished.
    if not scripts_off["last page"]:
        try:
            axe_violations(page)
        except Error:
            pass  # the page was navigating away or closed: nothing left to audit
    context.close()
    assert browser_log.visited, "the test visited no page"
    assert browser_log.problems == [], "\n".join(browser_log.problems)


def axe_violations(page: Page) -> list[dict[str, object]]:
    """The serious and critical axe violations of the page now shown, once its
    automatic audit has finished (they are also reported as console errors)."""
    page.wait_for_load_state("load")
    # evaluate() has no timeout of its own: give up on an audit after AXE_WAIT_MS.
    result = page.evaluate(
        """(wait) => Promise.race([window.__axeDone || [],
                                   new Promise((r) => setTimeout(() => r(null), wait))])""",
        AXE_WAIT_MS,
    )
    if result is None:
        raise AssertionError(f"axe did not finish auditing {page.url} in {AXE_WAIT_MS} ms")
    return result


SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


NARROWEST = {"width": 360, "height": 740}


def fits_narrowest(page: Page) -> None:
    """L1: the page does not scroll sideways on a 360 px phone."""
    page.set_viewport_size(NARROWEST)
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    page.set_viewport_size(DESKTOP)
    assert width <= inner, f"{page.url} is {width} px wide on a {inner} px screen"


def shoot(page: Page, name: str, *, phone: bool = False, sandboxed: bool = False) -> None:
    """Desktop shot; with phone=True also a narrow one, for the pages people open
    on the same phone as their authenticator app. Every screen shot here is also
    checked at 360 px for sideways scrolling (L1), except a page in a CSP sandbox
    (a mail's HTML part), where the browser runs no script of ours."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    if not sandboxed:
        fits_narrowest(page)
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


@pytest.fixture
def webauthn_at_live_server(settings, live_server) -> None:
    """The relying party is the test server: on http://localhost:PORT the RP id is
    "localhost", the origin the browser reports, an address browsers allow WebAuthn on."""
    settings.BASE_URL = live_server.url
    assert live_server.url.startswith("http://localhost:")
