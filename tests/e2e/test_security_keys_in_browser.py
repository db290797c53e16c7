"""Security keys and passkeys in a real Chromium (K1-K3), with Chromium's virtual
authenticator (DevTools protocol: WebAuthn.addVirtualAuthenticator, a CTAP2 platform
authenticator with user verification) against the test server on http://localhost:PORT,
an address browsers allow WebAuthn on. The browser makes and signs every reply; the
server checks them with py_webauthn. Like every browser test here, no page may log a
JavaScript error or a Content-Security-Policy violation (webauthn.js is a static file).

The README's screenshots of the Security page and of the second step with a key are
taken here, from the pages these tests walk through (`make screenshots` writes them to
docs/screenshots/).
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from deskguard.twofactor import services, totp
from deskguard.twofactor.models import SecondFactor, SecurityKey
from tests.conftest import PASSWORD

from .conftest import browser_signin, readme_shot, shoot
from .webauthn import Authenticators, add_key, save_codes, sign_out, use_key_button

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("webauthn_at_live_server")]


def test_k1_k2_k3_register_sign_in_second_key_remove_one_sign_in_with_the_other(page: Page, agent):
    keys = Authenticators(page)
    laptop = keys.plug()
    browser_signin(page, agent)
    add_key(page, "/agent/settings/security/", "Laptop key")
    save_codes(page)  # the first factor turns 2FA on and comes with recovery codes
    expect(page.locator(".badge.on")).to_have_text("On")
    expect(page.get_by_role("cell", name="Laptop key (security key)")).to_be_visible()
    stored = SecurityKey.objects.get(user=agent)
    assert stored.name == "Laptop key" and stored.aaguid

    sign_out(page)
    button = use_key_button(page, agent)
    # Only keys: the field below takes a recovery code.
    expect(page.get_by_label("Recovery code")).to_have_attribute("inputmode", "text")
    button.click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    assert SecurityKey.objects.get(user=agent).last_used_at is not None

    # A second key: the laptop's is unplugged, a backup key plugged in. The sign-in
    # just proved both factors, so adding it asks for nothing more (K3).
    laptop_credentials = keys.unplug(laptop)
    backup = keys.plug()
    add_key(page, "/agent/settings/security/", "Backup key")
    expect(page.locator(".flash")).to_contain_text("The security key “Backup key” was added.")
    expect(page.get_by_role("cell", name="Backup key (security key)")).to_be_visible()
    assert SecurityKey.objects.filter(user=agent).count() == 2

    # Remove the laptop's key.
    page.get_by_role("link", name="Remove Laptop key").click()
    expect(
        page.get_by_text("Your other factors and your recovery codes keep working")
    ).to_be_visible()
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("“Laptop key” was removed.")
    assert list(SecurityKey.objects.filter(user=agent).values_list("name", flat=True)) == [
        "Backup key"
    ]

    # Sign in with the other one.
    sign_out(page)
    use_key_button(page, agent).click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    keys.unplug(backup)
    assert laptop_credentials  # the removed key still exists in the "hardware"


def test_k2_a_failed_user_verification_leaves_the_user_on_the_second_step(
    page: Page, agent, browser_log
):
    keys = Authenticators(page)
    key = keys.plug()
    browser_signin(page, agent)
    add_key(page, "/agent/settings/security/", "Fingerprint")
    save_codes(page)
    sign_out(page)

    keys.user_verified(key, False)  # the fingerprint is not recognised
    button = use_key_button(page, agent)
    button.click()
    status = page.locator("[data-webauthn-status]")
    expect(status).to_contain_text("did not answer or was cancelled")
    expect(page).to_have_url(re.compile(r"/agent/signin/verify/$"))
    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/agent/signin/"))  # not signed in

    keys.user_verified(key, True)
    use_key_button(page, agent).click()
    expect(page).to_have_url(re.compile(r"/agent/$"))


def test_k2_an_account_with_a_key_and_an_app_signs_in_with_either(page: Page, agent):
    secret = totp.secret_new()
    services.device_activate(user=agent, secret=secret, step=0)
    keys = Authenticators(page)
    keys.plug()
    browser_signin(page, agent)
    page.get_by_label("Verification code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    add_key(page, "/agent/settings/security/", "YubiKey 5C")
    expect(page.locator(".flash")).to_contain_text("was added")
    assert SecondFactor.objects.filter(user=agent).count() == 2
    readme_shot(page, "security-keys")
    shoot(page, "security-keys", phone=True)

    sign_out(page)
    use_key_button(page, agent)
    expect(page.get_by_text("Or use your authenticator app")).to_be_visible()
    readme_shot(page, "signin-security-key")
    shoot(page, "signin-security-key", phone=True)
    page.get_by_label("Verification code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))

    sign_out(page)
    use_key_button(page, agent).click()
    expect(page).to_have_url(re.compile(r"/agent/$"))


def forget_recent_proof() -> None:
    """As if the 10 minutes after the last proof of both factors had passed."""
    for row in Session.objects.all():
        session = SessionStore(session_key=row.session_key)
        session.pop("dg.reauth", None)
        session.save()


def test_k3_renaming_a_key_asks_for_password_and_the_key_first(page: Page, agent):
    keys = Authenticators(page)
    keys.plug()
    browser_signin(page, agent)
    add_key(page, "/agent/settings/security/", "Old name")
    save_codes(page)
    forget_recent_proof()

    page.get_by_role("link", name="Rename Old name").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    shoot(page, "security-confirm-with-key")
    # The key's button asks the browser; the typed-code button would post the form as is.
    page.get_by_role("button", name="Use your security key instead").click()
    expect(page.get_by_role("heading", name="Rename “Old name”")).to_be_visible()
    page.get_by_label("Name of the key").fill("Desk key")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="Desk key (security key)")).to_be_visible()
    assert SecurityKey.objects.get(user=agent).name == "Desk key"
