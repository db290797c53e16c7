"""Security keys for contacts in the Customer Portal, in a real Chromium (K1, K2, K4).

Until now only agents used a key end to end. Here a contact who signs in with a
password and an authenticator app code is, by default (K4: keys are off for contacts),
offered no key on their Security page, and the key-registration address refuses them
with a 403 page that says why. Once an administrator ticks "Allow security keys and
passkeys for contacts" on Admin Settings, the same contact adds a named key with
Chromium's virtual authenticator (DevTools WebAuthn domain, see webauthn.py) (K1),
sees it listed by name, and after signing out completes the second step with the key
and lands on the Customer Portal's home (K2); switched off again, the key keeps
working and only adding another is no longer offered (K4). Every page is shot at desktop width and
checked at 360 px and with axe (shoot), and no page may log a JavaScript error or a
CSP violation (the `page` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from deskguard.accounts.models import User
from deskguard.twofactor.models import SecondFactor, SecurityKey, SecurityPolicy
from deskguard.twofactor.policy import policy_current
from tests.conftest import Enrollment

from .conftest import browser_signin, shoot
from .webauthn import Authenticators, add_key, sign_out, use_key_button

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("webauthn_at_live_server")]

SECURITY = "/portal/profile/security/"
KEY_ADD = SECURITY + "keys/add/"


def signin_with_app(page: Page, contact: User, code: str) -> None:
    """Password, then the authenticator app's code, as the contact types them."""
    browser_signin(page, contact)
    expect(page).to_have_url(re.compile(r"/portal/signin/verify/$"))
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()


def open_security(page: Page) -> None:
    """My Profile, then the Security tab: the way there a contact clicks."""
    page.get_by_role("navigation", name="Customer Portal").get_by_role(
        "link", name="My Profile"
    ).click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Security").click()
    expect(page).to_have_url(re.compile(re.escape(SECURITY) + "$"))
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    expect(page.locator(".badge.on")).to_have_text("On")


def test_k4_keys_are_off_for_contacts_by_default_no_offer_and_the_add_page_refuses(
    page: Page, contact: User, enroll: Callable[[User], Enrollment], browser_log
):
    """K4 default: a contact with the app, signed in with password and code, sees no
    way to add a key, and the key-registration URL answers 403 with the reason."""
    assert policy_current().contacts_allow_keys is False  # the default (row or no row)
    enrollment = enroll(contact)
    Authenticators(page).plug()  # a key is at hand; the portal just does not offer keys
    signin_with_app(page, contact, enrollment.code())
    open_security(page)
    expect(page.get_by_role("cell", name="Authenticator app", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Add security key")).to_have_count(0)
    expect(page.get_by_text("security key or passkey")).to_have_count(0)
    shoot(page, "contact-security-keys-off", phone=True)

    browser_log.allow("status of 403")  # Chrome logs the refused page's status
    refused = page.goto(KEY_ADD)
    assert refused is not None and refused.status == 403
    expect(page).to_have_title(re.compile(r"^Not allowed · "))
    expect(page.locator(".flash")).to_have_text("Security keys are not offered on this helpdesk.")
    expect(page.get_by_role("button", name="Add key")).to_have_count(0)
    shoot(page, "contact-security-key-refused", phone=True)
    page.get_by_role("link", name="Back to Security").click()
    expect(page).to_have_url(re.compile(re.escape(SECURITY) + "$"))
    assert not SecurityKey.objects.filter(user=contact).exists()


def test_k1_k2_k4_once_allowed_a_contact_adds_a_named_key_and_signs_in_with_it(
    page: Page, admin: User, contact: User, enroll: Callable[[User], Enrollment]
):
    """K4 switched on by an administrator on Admin Settings; then K1: the contact adds
    a named key next to their app, listed by its name; K2: at the next sign-in the key
    completes the second step and the contact lands on the portal's home; switched off
    again, the key still signs them in (K4: a setting switched off weakens no one)."""
    enrollment = enroll(contact)

    # K4: the administrator allows keys for contacts (it weakens nothing: no sudo mode).
    browser_signin(page, admin)
    page.goto("/agent/admin/customer-portal/security/")
    allow = page.get_by_label("Allow security keys and passkeys for contacts")
    expect(allow).not_to_be_checked()  # off by default
    allow.check()
    shoot(page, "contact-keys-policy", phone=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Saved.")
    expect(page.get_by_label("Allow security keys and passkeys for contacts")).to_be_checked()
    assert SecurityPolicy.objects.get(pk=1).contacts_allow_keys is True
    sign_out(page)

    # K1: the contact, signed in with password and app, adds a named key.
    keys = Authenticators(page)
    keys.plug()
    signin_with_app(page, contact, enrollment.code())
    open_security(page)
    expect(page.get_by_role("link", name="Add security key")).to_be_visible()
    shoot(page, "contact-security-keys-on", phone=True)
    # The sign-in just proved both factors: adding the key asks for nothing more (K3).
    add_key(page, SECURITY, "Carol's YubiKey", shot="contact-security-key-add")
    expect(page).to_have_url(re.compile(re.escape(SECURITY) + "$"))
    expect(page.locator(".flash")).to_have_text("The security key “Carol's YubiKey” was added.")
    expect(page.get_by_role("cell", name="Carol's YubiKey (security key)")).to_be_visible()
    expect(page.get_by_role("cell", name="Authenticator app", exact=True)).to_be_visible()
    shoot(page, "contact-security-key-listed", phone=True)
    key = SecurityKey.objects.get(user=contact)
    assert key.name == "Carol's YubiKey" and key.last_used_at is None
    assert SecondFactor.objects.filter(user=contact).count() == 2

    # K2: password, then the key at the second step (the app's code is the other way).
    sign_out(page)
    expect(page).to_have_url(re.compile(r"/portal/signin/$"))
    button = use_key_button(page, contact)
    expect(page).to_have_url(re.compile(r"/portal/signin/verify/$"))
    expect(page.get_by_text("Or use your authenticator app")).to_be_visible()
    shoot(page, "contact-signin-security-key", phone=True)
    button.click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", name="My tickets", level=1)).to_be_visible()
    shoot(page, "contact-home-after-key")
    assert SecurityKey.objects.get(user=contact).last_used_at is not None

    # K4: switched off again (as the admin page saves it), the key keeps working; only
    # adding another is no longer offered.
    SecurityPolicy.objects.filter(pk=1).update(contacts_allow_keys=False)
    sign_out(page)
    use_key_button(page, contact).click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    open_security(page)
    expect(page.get_by_role("cell", name="Carol's YubiKey (security key)")).to_be_visible()
    expect(page.get_by_role("link", name="Add security key")).to_have_count(0)
