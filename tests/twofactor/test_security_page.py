"""The Security page's primary action matches the account's state (B1, B5, B6, B7, C7),
and the recovery codes page says what just happened and is confirmed with a
full-size button (B3)."""

from __future__ import annotations

import pyotp

from deskguard.twofactor.models import SecurityPolicy
from tests.conftest import PASSWORD, code_step
from tests.html import Element, Page, parse
from tests.twofactor.test_enrollment import shown_secret

SECURITY = "/agent/settings/security/"


def actions(page: Page) -> list[tuple[str, str, bool]]:
    """(text, href, primary) of each button-link in the 2FA card, in order; the factor
    list's per-row Rename and Remove (K3) act on one factor, not on the account."""
    return [
        (" ".join(a.text.split()), a.attr("href") or "", "primary" in (a.attr("class") or ""))
        for a in page.all("a")
        if "button" in (a.attr("class") or "").split()
        and "/security/" in (a.attr("href") or "")
        and "/factors/" not in (a.attr("href") or "")
    ]


def primary(page: Page) -> tuple[str, str]:
    [(text, href)] = [(text, href) for text, href, is_primary in actions(page) if is_primary]
    return text, href


def test_b1_without_2fa_the_primary_action_turns_it_on(agent_client):
    page = parse(agent_client.get(SECURITY).content)
    assert primary(page) == ("Turn on two-factor authentication", SECURITY + "enable/")
    assert [text for text, _, _ in actions(page)] == ["Turn on two-factor authentication"]


def test_b5_with_2fa_new_recovery_codes_is_primary_replace_and_turn_off_secondary(
    client, agent, enroll
):
    enrollment = enroll(agent)
    client.post(code_step(client, agent), {"code": enrollment.code()})
    page = parse(client.get(SECURITY).content)
    assert primary(page) == ("New recovery codes", SECURITY + "regenerate/")
    assert actions(page) == [
        ("New recovery codes", SECURITY + "regenerate/", True),
        ("Replace authenticator app", SECURITY + "replace/", False),
        ("Turn off two-factor authentication", SECURITY + "disable/", False),
    ]


def test_b6_under_enforcement_there_is_no_turn_off(client, agent, enroll):
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"agents_enforce_2fa": True})
    enrollment = enroll(agent)
    client.post(code_step(client, agent), {"code": enrollment.code()})
    page = parse(client.get(SECURITY).content)
    assert [text for text, _, _ in actions(page)] == [
        "New recovery codes",
        "Replace authenticator app",
    ]


def test_c7_after_a_recovery_code_the_banner_and_the_primary_button_say_the_same(
    client, agent, enroll
):
    enrollment = enroll(agent)
    signed_in = client.post(code_step(client, agent), {"code": enrollment.codes[0]}, follow=True)
    page = parse(signed_in.content)
    flashes = [p for p in page.all("p") if (p.attr("class") or "").startswith("flash-")]
    [banner] = [p for p in flashes if "recovery code" in p.text]
    text, href = primary(page)
    assert text == "Set up your authenticator app again"
    assert f"“{text}”" in banner.text
    assert "9 remain." in banner.text
    # The button leads straight to the new QR code: the sign-in proved both factors.
    enable = client.get(href, follow=True)
    assert enable.redirect_chain[-1][0] == SECURITY + "enable/"
    secret = shown_secret(enable.content)
    assert client.post(SECURITY + "enable/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    # With the app replaced, the page is back to its usual primary action.
    assert primary(parse(client.get(SECURITY).content))[0] == "New recovery codes"


def codes_page_after_enabling(client) -> Page:
    secret = shown_secret(client.get(SECURITY + "enable/").content)
    client.post(SECURITY + "enable/", {"code": pyotp.TOTP(secret).now()})
    return parse(client.get(SECURITY + "recovery-codes/").content)


def confirm_button(page: Page) -> Element:
    return page.one("button", name="saved")


def test_b3_the_codes_page_after_enabling_says_2fa_is_now_on_with_h1_and_tabs(agent_client):
    page = codes_page_after_enabling(agent_client)
    assert page.texts("h1") == ["Personal Settings"]
    tabs = page.one("nav", aria_label="Settings")
    assert [" ".join(a.text.split()) for a in tabs.children] == ["Profile", "Password", "Security"]
    [status] = page.all("div", role="status")
    assert "Two-factor authentication is now on." in " ".join(status.text.split())
    assert "no longer work" not in " ".join(status.text.split())


def test_b3_the_codes_are_confirmed_with_a_full_size_button(agent_client):
    page = codes_page_after_enabling(agent_client)
    button = confirm_button(page)
    assert button.attr("type") == "submit" and button.attr("value") == "on"
    assert "primary" in (button.attr("class") or "")
    assert " ".join(button.text.split()) == "I have saved my recovery codes"
    assert page.all("input", type="checkbox") == []
    # The server still requires the confirmation: a bare POST keeps the codes on screen.
    refused = agent_client.post(SECURITY + "recovery-codes/", {})
    assert refused.status_code == 400
    assert b"Confirm that you saved the codes." in refused.content
    done = agent_client.post(SECURITY + "recovery-codes/", {"saved": "on"}, follow=True)
    assert b"Two-factor authentication is on and your recovery codes are saved." in done.content


def test_b5_new_codes_do_not_claim_2fa_was_just_turned_on(client, agent, enroll):
    enrollment = enroll(agent)
    client.post(code_step(client, agent), {"code": enrollment.code()})
    # Regenerating asks for the password and a code (not the one used to sign in).
    response = client.post(
        SECURITY + "regenerate/", {"password": PASSWORD, "code": enrollment.code(steps=1)}
    )
    assert response["Location"] == SECURITY + "recovery-codes/"
    page = parse(client.get(SECURITY + "recovery-codes/").content)
    text = " ".join(page.one("section", class_="card").text.split())
    assert "Two-factor authentication is now on" not in text
    assert "Your previous recovery codes no longer work." in text
    assert page.texts("h1") == ["Personal Settings"]
    done = client.post(SECURITY + "recovery-codes/", {"saved": "on"}, follow=True)
    assert b"Your new recovery codes are saved. The old ones no longer work." in done.content


def test_l5_a_refused_re_authentication_describes_both_fields_and_clears_the_code(
    client, agent, enroll
):
    enrollment = enroll(agent)
    client.post(code_step(client, agent), {"code": enrollment.code()})
    response = client.post(SECURITY + "regenerate/", {"password": "wrong", "code": "123456"})
    assert response.status_code == 400
    page = parse(response.content)
    error = page.by_id("reauth-error")
    assert " ".join(error.text.split()) == "The password or the code is not correct."
    for name in ("password", "code"):
        field = page.one("input", name=name)
        assert field.attr("aria-invalid") == "true"
        assert field.attr("aria-describedby") == "reauth-error"
        assert not field.attr("value")


def test_l5_sudo_mode_refusal_describes_both_fields(sudo_client):
    """The administrator's "Confirm it is you" page (I10) answers the same way."""
    response = sudo_client.post("/agent/admin/sudo/", {"password": "wrong", "code": "123456"})
    assert response.status_code == 400
    page = parse(response.content)
    assert page.by_id("reauth-error")
    for name in ("password", "code"):
        assert page.one("input", name=name).attr("aria-describedby") == "reauth-error"
