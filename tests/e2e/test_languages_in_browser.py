"""L4 in Chromium: a browser that asks for German gets German pages, scripts included
(the retry countdown, the copy button), and the longer German words still fit a 360 px
phone without sideways scrolling (L1) and pass axe (L5). Screenshots land in
test-artifacts/screenshots/ (60-69)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from deskguard.accounts.models import Kind
from deskguard.twofactor import services, totp

from .conftest import PASSWORD, readme_shot, shoot
from .test_layout_and_accessibility import Findings, narrow_page  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

NARROW = {"width": 360, "height": 800}


@pytest.fixture
def german_page(browser, live_server, transactional_db, browser_log) -> Iterator[Page]:
    """A browser whose language is German (its Accept-Language and navigator.language)."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
        locale="de-DE",
        extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    page.on("console", lambda message: browser_log.console(page, message))
    page.on("pageerror", lambda error: browser_log.error(page, error))
    yield page
    context.close()
    assert browser_log.problems == [], "\n".join(browser_log.problems)


def fits(page: Page) -> None:
    page.set_viewport_size(NARROW)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= NARROW["width"], (page.url, width)
    page.set_viewport_size({"width": 1280, "height": 800})


def german_signin(page: Page, email: str, path: str = "/portal/") -> None:
    page.goto(path + "signin/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_load_state()


def test_l4_a_german_browser_reads_the_customer_portal_in_german_on_a_phone(
    german_page: Page, make_user
):
    page = german_page
    contact = make_user(Kind.CONTACT, email="greta@example.com", name="Greta")
    page.goto("/portal/signin/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung im Kundenportal")
    fits(page)
    german_signin(page, contact.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Tickets")
    fits(page)

    page.goto("/portal/profile/security/")
    expect(
        page.get_by_role("link", name="Zwei-Faktor-Authentifizierung einschalten")
    ).to_be_visible()
    fits(page)
    page.get_by_role("link", name="Zwei-Faktor-Authentifizierung einschalten").click()
    expect(page.get_by_text("Installieren Sie eine Authenticator-App.")).to_be_visible()
    fits(page)
    readme_shot(page, "60-enrollment-german", phone=True)
    # The copy button's feedback comes from the page, in its language.
    copy = page.locator("[data-copy-target=totp-secret]")
    expect(copy).to_have_text("Schlüssel kopieren")
    copy.click()
    expect(copy).to_have_text("Kopiert")

    page.goto("/portal/profile/")
    expect(page.get_by_label("Sprache")).to_be_visible()
    fits(page)


def test_l4_the_retry_countdown_counts_in_german(german_page: Page, make_user, browser_log):
    page = german_page
    agent = make_user(Kind.AGENT, email="gerd@example.com")
    services.device_activate(user=agent, secret=totp.secret_new(), step=0)
    german_signin(page, agent.email, "/agent/")
    expect(page).to_have_url(re.compile(r"/agent/signin/verify/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Authentifizierung")
    browser_log.allow("status of 400")
    browser_log.allow("status of 429")
    field = page.get_by_label("Bestätigungscode")
    verify = page.get_by_role("button", name="Bestätigen")
    for _ in range(5):
        field.fill("000000")
        verify.click()
        expect(field).to_have_value("")
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(
        re.compile(r"Sie können in (29|30) Sekunden wieder einen Code eingeben\.")
    )
    expect(verify).to_be_disabled()
    fits(page)
    shoot(page, "61-code-step-throttled-german", phone=True)


def test_l4_l1_l5_the_pages_in_german_fit_360_px_and_pass_axe(
    narrow_page: Page,  # noqa: F811 (the fixture imported above)
    admin,
    agent,
    contact,
    make_ticket,
):
    """The German words are longer: the same checks as the English pages (no sideways
    scrolling at 360 and 700 px, no serious axe violation), signed out with a German
    browser and signed in as German-speaking accounts."""
    admin.language = contact.language = "de"
    admin.save(update_fields=["language"])
    contact.save(update_fields=["language"])
    ticket = make_ticket(contact, subject="Der Drucker druckt nur noch leere Seiten")
    page = narrow_page
    page.context.set_extra_http_headers({"Accept-Language": "de-DE,de;q=0.9"})
    findings = Findings(page, "de-out")
    for path in ("/portal/signin/", "/portal/password-reset/", "/agent/signin/"):
        findings.check(path, status=200)
        expect(page.locator("html")).to_have_attribute("lang", "de")
    findings.check("/portal/no-such-page/", status=404)
    expect(page.get_by_role("link", name="Startseite")).to_be_visible()

    german_signin(page, contact.email)
    for path in (
        "/portal/",
        f"/portal/tickets/{ticket.pk}/",
        "/portal/tickets/new/",
        "/portal/profile/",
        "/portal/profile/security/",
        "/portal/profile/security/enable/",
    ):
        findings.check(path, status=200)
        expect(page.locator("html")).to_have_attribute("lang", "de")
    page.context.clear_cookies()

    german_signin(page, admin.email, "/agent/")
    for path in (
        "/agent/",
        "/agent/settings/security/",
        "/agent/admin/",
        "/agent/admin/agents/",
        "/agent/admin/contacts/",
        "/agent/admin/accounts/new/",
        "/agent/admin/agent-portal/login/",
        "/agent/admin/customer-portal/security/",
        "/agent/admin/sso/",
        "/agent/admin/audit/",
        "/agent/admin/mail/",
    ):
        findings.check(path, status=200)
        expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin-Einstellungen")
    assert findings.problems == [], "\n".join(findings.problems)
