"""The enrollment page as a newcomer reads it (L3, B2, D1, D2): forced and opt-in
enrollment are one page that says what an authenticator app is and names some; its
heading is an H1 when forced; the phone layout puts the same-phone link and the key
before the QR code (checked in a browser in tests/e2e/test_flows_in_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest

from deskguard.twofactor.models import SecurityPolicy
from tests.html import parse
from tests.twofactor.test_enrollment import shown_secret

APPS = ["Google Authenticator", "Microsoft Authenticator", "Aegis", "2FAS", "1Password"]
CSS = Path(__file__).resolve().parents[2] / "deskguard/static/deskguard/deskguard.css"


@pytest.fixture
def forced(agent_client) -> bytes:
    """An agent taken to enrollment by enforcement (D1)."""
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    response = agent_client.get("/agent/", follow=True)
    assert response.redirect_chain[-1][0] == "/agent/settings/security/enable/"
    return response.content


@pytest.fixture
def opt_in(agent_client) -> bytes:
    return agent_client.get("/agent/settings/security/enable/").content


@pytest.mark.parametrize("which", ["forced", "opt_in"])
def test_l3_both_enrollments_explain_authenticator_apps_with_examples(request, which):
    page = request.getfixturevalue(which).decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "An authenticator app shows a new 6-digit code every 30 seconds" in text
    for app in APPS:
        assert app in text
    assert "install one from its app store" in text


@pytest.mark.parametrize("which", ["forced", "opt_in"])
def test_l3_both_offer_the_same_phone_link_the_key_and_the_qr_code(request, which):
    content = request.getfixturevalue(which)
    page = parse(content)
    [link] = [a for a in page.all("a") if (a.attr("href") or "").startswith("otpauth://totp/")]
    assert "this phone" in link.text
    assert page.all("div", class_="enrol-qr") and page.all("div", class_="enrol-key")
    assert shown_secret(content)


def test_l3_forced_enrollment_has_an_h1_and_no_settings_navigation(forced):
    page = parse(forced)
    assert page.texts("h1") == ["Set up two-factor authentication"]
    assert page.all("nav", aria_label="Settings") == []
    assert "Your administrator requires two-factor authentication" in forced.decode()


def test_l3_opt_in_enrollment_has_one_h1_and_the_settings_tabs(opt_in):
    page = parse(opt_in)
    assert page.texts("h1") == ["Personal Settings"]
    assert page.all("nav", aria_label="Settings")


def test_l3_the_phone_layout_puts_the_link_and_key_before_the_qr_code():
    """Order by CSS only (no inline style or script): in a narrow or touch media query
    the link comes first and the QR code last; outside it, the QR code first."""
    css = CSS.read_text()
    outside = re.search(r"\.enrol-qr \{ order: (\d+)", css)
    assert outside and outside[1] == "1"
    query = re.search(
        r"@media \(max-width: 600px\), \(hover: none\) and \(pointer: coarse\) \{(.*?)\n\}",
        css,
        re.S,
    )
    assert query, "the phone media query for the enrollment page"
    order = {
        name: int(value)
        for name, value in re.findall(r"\.enrol-(link|key|qr) \{ order: (\d+)", query[1])
    }
    assert order["link"] < order["key"] < order["qr"]


def test_b2_l5_a_wrong_enrollment_code_is_cleared_and_tied_to_the_field(contact_client):
    response = contact_client.post("/portal/profile/security/enable/", {"code": "000000"})
    assert response.status_code == 400
    page = parse(response.content)
    field = page.one("input", name="code")
    assert not field.attr("value")
    assert field.attr("placeholder") is None
    assert field.attr("aria-invalid") == "true"
    [error_id] = (field.attr("aria-describedby") or "").split()
    assert "That code does not match" in page.by_id(error_id).text
    # The same key is still shown: the person can try the next code from their app.
    secret = shown_secret(response.content)
    ok = contact_client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
