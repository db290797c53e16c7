"""L1 and L5 on every page: rendered 360 px wide, no page scrolls sideways, and axe-core
finds no serious or critical violation. Pages of both portals, signed out and signed
in, the second step, password reset, every Admin Settings page, the Security pages,
a page with a flash message, and the error pages.

Each page is checked in turn and every failure collected, so one run names them all.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pyotp
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from deskguard.audit.models import AuditExport, ExportStatus
from deskguard.outbox.models import MailKind, MailStatus, OutboundMail
from deskguard.sso.models import SSOProvider
from deskguard.twofactor import services, totp

from .conftest import DESKTOP, SHOTS, axe_violations, browser_signin
from .test_screenshots import agent_admin_paths

pytestmark = pytest.mark.e2e

NARROW = {"width": 360, "height": 740}
TABLET = {"width": 700, "height": 900}
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# DESKGUARD_LAYOUT_SHOTS=1 also saves each page at 390, 700 and 1280 px for a person to look
# at (test-artifacts/screenshots/layout/, gitignored).
LAYOUT_SHOTS = SHOTS / "layout" if os.environ.get("DESKGUARD_LAYOUT_SHOTS") else None


class Findings:
    """What each page got wrong at 360 px: sideways scrolling or axe violations."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.name = name
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, path: str | None = None, *, status: int | None = None) -> None:
        page = self.page
        if path is not None:
            response = page.goto(path)
            if status is not None:
                assert response is not None and response.status == status, (path, response)
        page.wait_for_load_state("load")
        address = urlsplit(page.url)
        where = address.path + (f"?{address.query}" if address.query else "")
        self.check_width(where)
        # Between the stacked phone layout and the desktop one (a tablet) as well.
        page.set_viewport_size(TABLET)
        self.check_width(where)
        page.set_viewport_size(NARROW)
        for violation in axe_violations(page):
            self.problems.append(
                f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']}"
                f" at {violation['targets']}"
            )
        self.checked.append(where)
        if LAYOUT_SHOTS is not None:
            self.shoot(where)

    def check_width(self, where: str) -> None:
        width, viewport = self.page.evaluate(PAGE_WIDTH)
        if width > viewport:
            wide = self.page.evaluate(
                """(limit) => [...document.querySelectorAll("body *")]
                  .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
                  .slice(0, 3).map((e) => e.tagName.toLowerCase() + "." + e.className)""",
                viewport,
            )
            self.problems.append(f"{where}: {width} px wide in a {viewport} px window ({wide})")

    def shoot(self, where: str) -> None:
        assert LAYOUT_SHOTS is not None
        LAYOUT_SHOTS.mkdir(parents=True, exist_ok=True)
        name = f"{self.name}-{len(self.checked):02d}-" + re.sub(r"[^a-z0-9]+", "-", where).strip(
            "-"
        )
        size = self.page.viewport_size
        for label, width in (("390", 390), ("700", 700), ("1280", 1280)):
            self.page.set_viewport_size({"width": width, "height": 800})
            self.page.screenshot(path=str(LAYOUT_SHOTS / f"{name}-{label}.png"), full_page=True)
        if size:
            self.page.set_viewport_size(size)


@pytest.fixture
def narrow_page(page: Page, browser_log) -> Page:
    page.set_viewport_size(NARROW)
    # Each violation is also a console error; this test lists them itself, per page.
    browser_log.allow("accessibility violation")
    # The error pages are visited on purpose.
    browser_log.allow("the server responded with a status of 40")
    return page


def test_l1_l5_signed_out_pages_at_360_px(narrow_page: Page, contact, admin):
    """Sign-in of both portals, password reset asked for, sent and chosen, the 404 of
    each portal (the agent one in the agent theme), and the skip link by keyboard."""
    findings = Findings(narrow_page, "out")
    for portal in ("/agent/", "/portal/"):
        findings.check(f"{portal}signin/")
        findings.check(f"{portal}password-reset/")
        findings.check(f"{portal}password-reset/sent/")
        findings.check(f"{portal}no-such-page/", status=404)
    uid = urlsafe_base64_encode(force_bytes(contact.pk))
    token = default_token_generator.make_token(contact)
    findings.check(f"/portal/password-reset/{uid}/{token}/")
    findings.check("/portal/password-reset/done/")
    assert narrow_page.locator("body.portal-customer").count() == 1
    findings.check("/agent/no-such-page/", status=404)
    expect(narrow_page.locator("body")).to_have_class(re.compile("portal-agent"))
    expect(narrow_page.get_by_role("link", name="Home")).to_have_attribute("href", "/agent/")
    # The first Tab lands on the skip link, which then shows, and leads to the content
    # (on a page whose form does not take the focus first).
    narrow_page.goto("/portal/password-reset/sent/")
    narrow_page.keyboard.press("Tab")
    skip = narrow_page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, box
    narrow_page.keyboard.press("Enter")
    expect(narrow_page.locator("main#main")).to_be_focused()
    assert findings.problems == [], "\n".join(findings.problems)


def test_l1_l5_customer_portal_at_360_px(narrow_page: Page, contact, make_ticket, admin):
    """The second step, the ticket list, a ticket, a new ticket, My Profile with its
    tabs, and the Security pages of an enrolled contact; a flash message."""
    secret = totp.secret_new()
    services.device_activate(user=contact, secret=secret, step=0)
    ticket = make_ticket(contact, subject="A printer on fire " + "and smoking " * 8)
    findings = Findings(narrow_page, "customer")
    browser_signin(narrow_page, contact)
    findings.check()  # the second step
    narrow_page.get_by_label("Verification code").fill(pyotp.TOTP(secret).now())
    narrow_page.get_by_role("button", name="Verify").click()
    expect(narrow_page).to_have_url(re.compile(r"/portal/$"))
    findings.check()  # with the "signed in" flash message, if any
    for path in (
        "/portal/",
        f"/portal/tickets/{ticket.pk}/",
        "/portal/tickets/new/",
        "/portal/profile/",
        "/portal/profile/password/",
        "/portal/profile/security/",
        "/portal/profile/security/regenerate/",
        "/portal/profile/security/replace/",
        "/portal/profile/security/disable/",
        "/portal/no-such-page/",
    ):
        findings.check(path)
    narrow_page.goto("/portal/profile/")
    expect(narrow_page.get_by_role("link", name="My Profile")).to_have_attribute(
        "aria-current", "page"
    )
    narrow_page.get_by_role("button", name="Save").click()
    findings.check()  # a flash message after saving
    expect(narrow_page.locator(".flash[role=status] p")).not_to_have_count(0)
    findings.check("/agent/", status=403)  # a contact at the other portal
    assert findings.problems == [], "\n".join(findings.problems)


def test_l1_l5_agent_portal_and_every_admin_settings_page_at_360_px(
    narrow_page: Page, admin, agent, contact, make_ticket, make_user
):
    """The ticket list, a ticket, Personal Settings and Security (enrolment), and every
    Admin Settings page without arguments; each list has rows to lay out."""
    services.device_activate(user=contact, secret=totp.secret_new(), step=0)
    for n in range(3):
        make_user(email=f"a-rather-long-address-{n}@customers.example.com", name=f"C {n}")
    ticket = make_ticket(contact, subject="Invoice 2024-117 is wrong " * 4)
    SSOProvider.objects.create(
        name="Acme ID", slug="acme-identity", issuer="https://id.acme.example", client_id="dg"
    )
    OutboundMail.objects.create(
        kind=MailKind.RECOVERY_CODES,
        status=MailStatus.FAILED,
        to_address=contact.email,
        subject="Your new recovery codes",
        attempts=3,
        last_answer="550 5.1.1 <carol@example.com>: Recipient address rejected: no such user",
    )
    AuditExport.objects.create(
        requested_by=admin, format="csv", upto_id=0, status=ExportStatus.DONE, size=0
    )
    findings = Findings(narrow_page, "agent")
    browser_signin(narrow_page, admin)
    expect(narrow_page).to_have_url(re.compile(r"/agent/$"))
    for path in (
        "/agent/",
        f"/agent/tickets/{ticket.pk}/",
        "/agent/settings/",
        "/agent/settings/password/",
        "/agent/settings/security/",
        "/agent/settings/security/enable/",
        f"/agent/admin/agents/{agent.pk}/disable-2fa/",
        "/agent/no-such-page/",
    ):
        findings.check(path)
    admin_pages = 0
    for path in agent_admin_paths():
        response = narrow_page.context.request.get(path, max_redirects=0)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue  # an export, a POST-only action
        findings.check(path)
        admin_pages += 1
        links = narrow_page.locator(f'.admin-nav a[href="{path}"]')
        for n in range(links.count()):
            expect(links.nth(n)).to_have_attribute("aria-current", "page")
    assert admin_pages >= 9, findings.checked
    assert findings.problems == [], "\n".join(findings.problems)


def test_l1_admin_tabs_keep_their_place_when_one_becomes_active(page: Page, admin):
    """The active tab is marked without a bolder font: the tabs after it stay where
    they were (a bold active tab shifted them by up to 21 px)."""
    page.set_viewport_size(DESKTOP)
    browser_signin(page, admin)
    positions = {}
    for path in ("/agent/admin/", "/agent/admin/agents/", "/agent/admin/mail/"):
        page.goto(path)
        boxes = page.locator(".admin-nav .tab-groups .tab").evaluate_all(
            "(tabs) => tabs.map((t) => Math.round(t.getBoundingClientRect().left))"
        )
        positions[path] = boxes
    assert len(set(map(tuple, positions.values()))) == 1, positions


def test_l5_the_audit_of_every_page_finds_a_real_violation(page: Page, browser_log):
    """The automatic axe audit is not a no-op: an image without alternative text and a
    list with a conflicting role (the old flash markup) are reported, and would fail
    the test that loaded them."""
    browser_log.allow("accessibility violation")
    page.goto(
        "data:text/html,<!doctype html><html lang=en><title>t</title><main><h1>t</h1>"
        "<img src=x.png><ul role=status><li>Saved.</li></ul></main></html>"
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "listitem"} <= found, found
