"""The flows a newcomer, an agent on a phone and an administrator walk, in Chromium at
390 and 1280 px (L3, L5, C5, C7, D1, D2): what comes first on the enrollment page,
a retry countdown that really counts and re-enables Verify, and the policy pages.
Screenshots land in test-artifacts/screenshots/ (40-49)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskguard.accounts.models import Kind
from deskguard.limits.models import Throttle
from deskguard.twofactor import services, totp
from deskguard.twofactor.models import SecurityPolicy
from deskguard.twofactor.policy import policy_current

from .conftest import DESKTOP, PHONE, browser_signin, shoot

pytestmark = pytest.mark.e2e


def top(page: Page, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["y"]


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width  # type: ignore[index]


def test_l3_forced_enrollment_puts_link_and_key_first_on_a_phone_and_qr_first_on_a_desktop(
    page: Page, agent
):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    browser_signin(page, agent)
    expect(page).to_have_url(re.compile(r"/agent/settings/security/enable/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_text("Microsoft Authenticator")).to_be_visible()

    page.set_viewport_size(PHONE)
    link = top(page, ".enrol-link")
    key = top(page, ".enrol-key")
    qr = top(page, ".enrol-qr")
    assert link < key < qr, (link, key, qr)
    no_sideways_scroll(page)

    page.set_viewport_size(DESKTOP)
    qr_box = page.locator(".enrol-qr").bounding_box()
    key_box = page.locator(".enrol-key").bounding_box()
    link_box = page.locator(".enrol-link").bounding_box()
    assert qr_box and key_box and link_box
    # The QR code first: at the top left, the key and the link beside it.
    assert qr_box["y"] <= key_box["y"] < link_box["y"], (qr_box, key_box, link_box)
    assert qr_box["x"] < key_box["x"]
    shoot(page, "40-enroll-forced", phone=True)


def test_c5_l5_the_retry_countdown_runs_and_re_enables_verify(page: Page, agent, browser_log):
    """The server refuses early codes; the page counts down the seconds it was told,
    keeps Verify disabled meanwhile and enables it at 0, with the field emptied."""
    secret = totp.secret_new()
    services.device_activate(user=agent, secret=secret, step=0)
    browser_signin(page, agent)
    expect(page).to_have_url(re.compile(r"/agent/signin/verify/$"))
    browser_log.allow("status of 400")
    browser_log.allow("status of 429")
    field = page.get_by_label("Verification code")
    verify = page.get_by_role("button", name="Verify")
    timer = page.get_by_role("timer")
    for _ in range(5):
        field.fill("000000")
        verify.click()
        expect(field).to_have_value("")
    # The fifth wrong code starts the delay: 30 s, counted down at once.
    expect(timer).to_contain_text(re.compile(r"again in (29|30) seconds\."))
    expect(verify).to_be_disabled()
    # Make it 3 s so the test can watch it run out: a fresh page, then a code the
    # server refuses unjudged with 3 s to go.
    Throttle.objects.filter(failures__gte=5).update(
        blocked_until=timezone.now() + timedelta(seconds=3)
    )
    page.goto("/agent/signin/verify/")
    expect(timer).to_have_count(0)
    field.fill(pyotp.TOTP(secret).now())
    with page.expect_response(re.compile(r"/verify/$")) as answer:
        verify.click()
    assert answer.value.status == 429
    expect(timer).to_be_visible()
    expect(timer).to_contain_text(re.compile(r"You can enter a code again in [1-3] seconds?\."))
    expect(verify).to_be_disabled()
    expect(field).to_have_value("")
    expect(field).to_have_accessible_description(re.compile("Try again after"))
    shoot(page, "41-code-step-throttled", phone=True)
    # It counts: the number shown goes down without a reload.
    first = timer.inner_text()
    time.sleep(1.2)
    assert timer.inner_text() != first
    expect(timer).to_have_text("You can enter a code again now.", timeout=5_000)
    expect(verify).to_be_enabled()
    expect(field).to_be_focused()
    field.fill(pyotp.TOTP(secret).at(time.time() + 30))
    verify.click()
    expect(page).to_have_url(re.compile(r"/agent/$"))


def test_b1_c7_security_page_states_at_both_widths(page: Page, agent):
    browser_signin(page, agent)
    page.goto("/agent/settings/security/")
    expect(page.locator("a.button.primary")).to_have_text("Turn on two-factor authentication")
    shoot(page, "42-security-off", phone=True)
    _, codes = services.device_activate(user=agent, secret=totp.secret_new(), step=0)
    page.get_by_role("button", name="Sign out").click()
    browser_signin(page, agent)
    page.get_by_label("Verification code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/agent/settings/security/$"))
    expect(page.locator("a.button.primary")).to_have_text("Set up your authenticator app again")
    shoot(page, "43-security-after-recovery-code", phone=True)


def test_d1_d2_policy_pages_refuse_a_bad_combination_and_preview_enforcement(
    page: Page, admin, make_user, browser_log
):
    browser_log.allow("status of 400")
    for _ in range(2):
        make_user(Kind.AGENT)
    browser_signin(page, admin)
    page.goto("/agent/admin/customer-portal/security/")
    expect(page.get_by_role("heading", name="Single sign-on (SSO)")).to_be_visible()
    page.get_by_label("Allow two-factor authentication for contacts").uncheck()
    page.get_by_label("Enforce two-factor authentication (2FA) for all contacts").check()
    with page.expect_response(re.compile(r"/security/$")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 400
    enforce = page.get_by_label("Enforce two-factor authentication (2FA) for all contacts")
    expect(enforce).to_have_attribute("aria-invalid", "true")
    expect(enforce).to_have_accessible_description(re.compile("Nothing was saved"))
    shoot(page, "44-policy-refused-combination", phone=True)
    policy = policy_current()
    assert policy.contacts_allow_2fa and not policy.contacts_enforce_2fa

    page.goto("/agent/admin/agent-portal/login/")
    page.get_by_label("Enforce two-factor authentication (2FA) for all agents").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/policy/confirm/$"))
    expect(
        page.get_by_text("3 agents will be asked to set up 2FA at their next request")
    ).to_be_visible()
    shoot(page, "45-confirm-enforce-agents", phone=True)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
