"""Full-page screenshots of the main screens, for a person to look at (design review).

They land in test-artifacts/screenshots/ (gitignored). The test also fails on any JS
error or CSP violation on these pages, like every browser test here.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Page, expect

from deskguard.accounts.models import Kind
from deskguard.tickets.services import ticket_reply
from deskguard.twofactor.models import SecurityPolicy

from .conftest import browser_signin

pytestmark = pytest.mark.e2e

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


def agent_admin_paths() -> list[str]:
    """Every Admin Settings page without URL arguments, as they are added."""
    found: list[str] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for item in patterns:
            route = str(item.pattern)
            if isinstance(item, URLResolver):
                walk(item.url_patterns, prefix + route, item.namespace or namespace)
            elif isinstance(item, URLPattern) and namespace == "agent":
                full = prefix + route
                if (item.name or "").startswith("admin") and "<" not in full and "(" not in full:
                    found.append("/" + full.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "", "")
    return sorted(set(found))


def test_screens_of_both_portals(page: Page, admin, contact, make_user, make_ticket):
    """A2, B1, B2, B3, C1, D1: the screens people see, saved as PNGs."""
    tickets = [
        make_ticket(contact, subject="Printer on fire", body="The printer in room 4 smokes."),
        make_ticket(
            contact,
            subject="A very long subject line that keeps going to see whether the ticket "
            "list wraps it gracefully instead of overflowing the card",
            body="Long.",
        ),
        make_ticket(make_user(name="Dora Diaz"), subject="Invoice 2024-117 is wrong"),
    ]
    ticket_reply(ticket=tickets[0], author=admin, body="We sent a technician. Stay clear.")

    # Sign-in pages, both portals.
    page.goto("/agent/signin/")
    shoot(page, "01-agent-signin")
    page.goto("/portal/signin/")
    shoot(page, "02-customer-signin", phone=True)

    # Customer: Security off, enable (QR), recovery codes, Security on.
    browser_signin(page, contact)
    page.goto(f"/portal/tickets/{tickets[0].pk}/")
    shoot(page, "03-customer-ticket")
    page.goto("/portal/")
    shoot(page, "04-customer-ticket-list")
    page.goto("/portal/profile/security/")
    shoot(page, "05-security-off")
    page.get_by_role("link", name="Enable", exact=True).click()
    expect(page.locator(".qr svg")).to_be_visible()
    shoot(page, "06-enable-qr", phone=True)
    key = re.sub(r"\s+", "", page.locator("#totp-secret").inner_text())
    page.get_by_label("6-digit code from your app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    shoot(page, "07-recovery-codes", phone=True)
    page.get_by_label("I have saved these codes somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    shoot(page, "08-security-on")

    # The second step at sign-in.
    page.get_by_role("button", name="Sign out").click()
    browser_signin(page, contact)
    expect(page).to_have_url(re.compile(r"/signin/verify/$"))
    shoot(page, "09-challenge", phone=True)
    page.get_by_label("Verification code").fill(pyotp.TOTP(key).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.goto("/portal/profile/security/disable/")
    shoot(page, "10-reauth-turn-off")

    # Agent Portal: ticket list, a ticket, Admin Settings pages.
    page.context.clear_cookies()
    browser_signin(page, admin)
    expect(page).to_have_url(re.compile(r"/agent/$"))
    shoot(page, "11-agent-ticket-list")
    page.goto(f"/agent/tickets/{tickets[0].pk}/")
    shoot(page, "12-agent-ticket")
    page.goto("/agent/settings/security/")
    shoot(page, "13-agent-security-off")
    for path in agent_admin_paths():
        response = page.context.request.get(path, max_redirects=0)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue  # an export, a POST-only action
        page.goto(path)
        slug = re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/agent/admin/")).strip("-")
        shoot(page, f"20-admin-{slug or 'overview'}")

    # D1: an agent without 2FA while it is enforced.
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    page.context.clear_cookies()
    browser_signin(page, make_user(Kind.AGENT, name="Nina New"))
    expect(page).to_have_url(re.compile(r"/agent/settings/security/enable/$"))
    shoot(page, "14-agent-enforced-enrollment", phone=True)
