"""Two-factor authentication in a real Chromium, under the real Content-Security-Policy.

Every test also checks (through the `page` fixture) that no page it visited logged a
JavaScript error or a Content-Security-Policy violation (F4: no inline script or style).
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from deskguard.accounts.models import Kind
from deskguard.twofactor import recovery, services, totp
from deskguard.twofactor.models import SecurityPolicy, TOTPDevice

from .conftest import browser_signin, readme_shot, shoot

pytestmark = pytest.mark.e2e

CODE_SHAPE = re.compile(r"^[0-9a-z]{4}(-[0-9a-z]{4}){3}$")


def totp_now(key: str, *, steps: int = 0) -> str:
    return pyotp.TOTP(key).at(time.time() + steps * 30)


def enroll_in_browser(page: Page, security_url: str) -> tuple[str, list[str]]:
    """Enable 2FA from the Security page the way a person does; returns the key and codes."""
    page.goto(security_url)
    shoot(page, "05-security-off")
    page.get_by_role("link", name="Turn on two-factor authentication").click()
    return finish_enrollment(page, shot="06-enable-qr")


def finish_enrollment(page: Page, *, shot: str) -> tuple[str, list[str]]:
    # B2: a visible QR code (inline SVG with a real size) and the key as text.
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    readme_shot(page, shot, phone=True)
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 100 and box["height"] >= 100, box
    key_text = page.locator("#totp-secret").inner_text()
    key = re.sub(r"\s+", "", key_text)
    assert re.fullmatch(r"[A-Z2-7]{32}", key), key_text  # 160 bits of base32 (B4)
    page.get_by_label("6-digit code from your app").fill(totp_now(key))
    page.get_by_role("button", name="Verify").click()
    # B3: ten recovery codes, shown once.
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(CODE_SHAPE.match(code) for code in codes), codes
    readme_shot(page, "07-recovery-codes", phone=True)
    return key, codes


def test_b2_b3_c1_a_contact_enables_2fa_and_signs_in_with_a_code(page: Page, contact):
    """B2, B3, C1: enable from My Profile -> Security, save the codes, sign in again
    with password + TOTP. Download runs in deskguard.js under the CSP."""
    browser_signin(page, contact)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    key, codes = enroll_in_browser(page, "/portal/profile/security/")

    # B3: the page says 2FA is now on; the codes are confirmed with a full-size button.
    expect(page.get_by_role("status")).to_contain_text("Two-factor authentication is now on.")
    saved = page.get_by_role("button", name="I have saved my recovery codes")
    box = saved.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 150, box

    # B3: Download .txt gives a file holding exactly these codes.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .txt").click()
    download = info.value
    assert download.suggested_filename == f"{contact.email}-recovery-codes.txt"
    downloaded = open(download.path(), encoding="utf-8").read().split()
    assert downloaded == codes

    saved.click()
    expect(page).to_have_url(re.compile(r"/portal/profile/security/$"))
    expect(page.locator(".badge.on")).to_have_text("On")
    expect(page.get_by_text("10 unused recovery codes")).to_be_visible()
    assert TOTPDevice.objects.filter(user=contact).exists()

    # Sign out, then C1: the password alone does not sign in.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/portal/signin/$"))
    browser_signin(page, contact)
    expect(page).to_have_url(re.compile(r"/portal/signin/verify/$"))
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/signin/"))  # not signed in yet

    browser_signin(page, contact)
    readme_shot(page, "09-challenge", phone=True)
    # The enrollment code's time step is spent (C3), so use the next step's code,
    # which the server accepts one step ahead.
    page.get_by_label("Verification code").fill(totp_now(key, steps=1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_c4_c7_an_agent_signs_in_with_a_recovery_code_and_lands_on_security(
    page: Page, agent, browser_log
):
    """C4, C7: a recovery code (typed in upper case, with spaces) signs in once and
    leads to the Security page with the number of codes left."""
    _, codes = services.device_activate(user=agent, secret=totp.secret_new(), step=0)
    typed = " ".join(recovery.display(codes[0]).upper().split("-"))

    browser_signin(page, agent)
    expect(page).to_have_url(re.compile(r"/agent/signin/verify/$"))
    field = page.get_by_label("Verification code")
    expect(field).to_have_attribute("inputmode", "numeric")
    page.get_by_role("button", name="Use a recovery code").click()
    # Phones now offer a keyboard with letters, and the field has the focus.
    expect(field).to_have_attribute("inputmode", "text")
    expect(field).to_be_focused()
    field.fill(typed)
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/agent/settings/security/$"))
    expect(page.locator(".flash")).to_contain_text("You signed in with a recovery code; 9 remain")
    expect(page.get_by_text("9 unused recovery codes")).to_be_visible()
    # C7: the banner names the button the page offers first.
    expect(page.locator(".flash")).to_contain_text("“Set up your authenticator app again”")
    expect(page.locator("a.button.primary")).to_have_text("Set up your authenticator app again")

    # C4: the same code does not work a second time.
    page.get_by_role("button", name="Sign out").click()
    browser_signin(page, agent)
    page.get_by_label("Verification code").fill(typed)
    # The refusal is a 400, which Chromium logs as a failed load: not a script error.
    browser_log.allow("status of 400")
    with page.expect_response(re.compile(r"/agent/signin/verify/$")) as refused:
        page.get_by_role("button", name="Verify").click()
    assert refused.value.status == 400
    # L5: the message describes the emptied field.
    field = page.get_by_label("Verification code")
    expect(field).to_have_value("")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("That code is not correct."))


def test_d1_an_agent_without_2fa_is_held_on_enrollment_while_it_is_enforced(page: Page, agent):
    """D1: with enforcement on, the password step leads straight to enrollment and
    every other agent page sends the agent back there until 2FA is active."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})

    browser_signin(page, agent)
    expect(page).to_have_url(re.compile(r"/agent/settings/security/enable/$"))
    expect(page.get_by_role("note")).to_contain_text("Your administrator requires")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")

    for path in ("/agent/", "/agent/settings/", "/agent/settings/security/"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/agent/settings/security/enable/$"))

    finish_enrollment(page, shot="14-agent-enforced-enrollment")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page).to_have_url(re.compile(r"/agent/settings/security/$"))
    expect(page.get_by_text("cannot be turned off")).to_be_visible()
    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/agent/$"))
    assert agent.kind == Kind.AGENT
