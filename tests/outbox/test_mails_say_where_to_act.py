"""L2: every security mail has a button to the page where its reader acts (absolute,
from DESKGUARD_BASE_URL), names the browser and system in words, gives the time in
the reader's time zone, and is a proper HTML document (lang, title)."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client

from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.rules import SECOND_FACTOR
from deskguard.twofactor.models import SecurityPolicy, TOTPDevice
from tests.conftest import code_step

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def buttons(html: str) -> dict[str, str]:
    """The mail's button-links: words -> absolute URL."""
    return {
        words: url
        for url, words in re.findall(
            r'<a href="([^"]+)" style="display: inline-block[^>]*>([^<]+)</a>', html
        )
    }


def test_l2_the_throttle_mail_says_the_password_was_right_and_links_the_password_page(
    settings, agent, enroll, deliver
):
    settings.BASE_URL = "https://help.example.com"
    enroll(agent)
    client = Client(HTTP_USER_AGENT=FIREFOX_WINDOWS)
    url = code_step(client, agent)
    for _ in range(5):
        assert client.post(url, {"code": "000000"}).status_code == 400
    [notice] = deliver()
    assert notice.subject == "[deskguard] Wrong sign-in codes after your correct password"
    text = notice.body
    assert "Someone entered your password correctly" in text
    assert "whoever it was knows your password" in text
    assert "If this was not you, change your password now" in text
    assert "Change your password:\nhttps://help.example.com/agent/settings/password/" in text
    assert "Browser: Firefox 128 on Windows 10" in text
    html = html_of(notice)
    assert buttons(html) == {
        "Change your password": "https://help.example.com/agent/settings/password/"
    }


def test_l2_the_lock_mail_says_the_password_was_right_and_what_still_works(agent, enroll, deliver):
    enroll(agent)
    # The fifth wrong code starts the delays, the hundredth locks codes (C5).
    failures = SECOND_FACTOR.rule.lock_after
    security_event(event=Event.SECOND_FACTOR_FAILED, subject=agent, detail={"failures": failures})
    [notice] = deliver()
    assert notice.subject == "[deskguard] Sign-in locked after wrong codes"
    assert "Someone entered your password correctly" in notice.body
    assert "You can still sign in with a recovery code" in notice.body


def test_l2_a_wrong_reauthentication_does_not_claim_the_password_was_right(agent, enroll, deliver):
    enroll(agent)
    security_event(
        event=Event.SECOND_FACTOR_FAILED, subject=agent, detail={"failures": 5, "reauth": True}
    )
    [notice] = deliver()
    assert "password correctly" not in notice.body
    assert "wrong passwords or codes" in notice.body


def test_l2_new_recovery_codes_link_to_the_security_page(admin_client, contact, enroll, deliver):
    enroll(contact)
    assert admin_client.post(f"/agent/admin/contacts/{contact.pk}/resend-codes/").status_code == 302
    [notice] = [m for m in deliver() if "Your new recovery codes" in m.subject]
    assert "set up your authenticator app again on your Security page" in notice.body
    assert "Open your Security page:\nhttp://testserver/portal/profile/security/" in notice.body
    assert buttons(html_of(notice)) == {
        "Open your Security page": "http://testserver/portal/profile/security/"
    }
    # The link leads, through the sign-in, to that page.
    anonymous = Client().get("/portal/profile/security/")
    assert anonymous["Location"].startswith("/portal/signin/?next=/portal/profile/security/")


def test_l2_if_this_was_not_you_links_the_password_change_page(contact, enroll, deliver):
    enroll(contact)
    security_event(event=Event.RECOVERY_REGENERATED, subject=contact)
    [notice] = deliver()
    assert (
        "If this was not you, change your password now and tell your administrator:\n"
        "http://testserver/portal/profile/password/"
    ) in notice.body
    html = html_of(notice)
    assert '<a href="http://testserver/portal/profile/password/"' in html
    assert ">change your password now</a>" in html


def test_l2_times_are_in_the_readers_time_zone(settings, make_user, enroll, deliver):
    settings.TIME_ZONE = "UTC"
    tokyo = make_user(email="tokyo@example.com", time_zone="Asia/Tokyo")
    default = make_user(email="default@example.com")
    for user in (tokyo, default):
        enroll(user)
        with time_machine.travel(dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC), tick=False):
            security_event(event=Event.RECOVERY_REGENERATED, subject=user)
    mails = {m.to[0]: m for m in deliver()}
    # 22:30 UTC is 07:30 the next morning in Tokyo.
    assert "When:    2026-03-02 07:30 (Asia/Tokyo)" in mails[tokyo.email].body
    assert "2026-03-02 07:30 (Asia/Tokyo)" in html_of(mails[tokyo.email])
    # An account that chose no zone reads the helpdesk's.
    assert "When:    2026-03-01 22:30 (UTC)" in mails[default.email].body


def test_l2_a_browser_the_parser_does_not_know_reads_unknown_not_its_raw_string(
    contact, enroll, deliver
):
    enroll(contact)
    client = Client(HTTP_USER_AGENT="zz-scanner/\u00e9\x01 [x]")
    client.post(
        "/portal/signin/", {"email": contact.email, "password": "correct horse battery staple"}
    )
    url = "/portal/signin/verify/"
    for _ in range(5):
        client.post(url, {"code": "000000"})
    [notice] = deliver()
    assert "Browser: Unknown browser" in notice.body
    assert "zz-scanner" not in notice.body


def test_l2_the_iphone_is_named_in_words(contact, enroll, deliver):
    enroll(contact)
    client = Client(HTTP_USER_AGENT=IPHONE_SAFARI)
    url = code_step(client, contact)
    for _ in range(5):
        client.post(url, {"code": "000000"})
    [notice] = deliver()
    assert "Browser: Safari 17 on iOS 17" in notice.body


def test_l2_every_html_mail_has_lang_and_a_title(admin_client, contact, enroll, deliver):
    enroll(contact)
    security_event(event=Event.RECOVERY_REGENERATED, subject=contact)
    admin_client.post("/agent/admin/accounts/new/", {"kind": "contact", "email": "new@example.com"})
    Client().post("/portal/password-reset/", {"email": contact.email})
    mails = deliver()
    assert len(mails) >= 2
    for message in mails:
        html = html_of(message)
        assert html.startswith('<!doctype html>\n<html lang="en">')
        subject = message.subject.removeprefix("[deskguard] ")
        assert f"<title>{subject}</title>" in html
        # The text part stays readable: no markup in it.
        assert "<" not in message.body


def test_l2_invitation_and_reset_mails_have_a_button_to_their_page(admin_client, contact, deliver):
    Client().post("/portal/password-reset/", {"email": contact.email})
    [reset] = [m for m in deliver() if "Reset your password" in m.subject]
    [(words, url)] = buttons(html_of(reset)).items()
    assert words == "Choose a new password"
    assert url.startswith("http://testserver/portal/password-reset/")
    assert url in reset.body


def test_l2_without_a_security_page_the_button_leads_to_the_profile(
    admin, contact, enroll, deliver
):
    """D2: when contacts may not use 2FA, a contact whose 2FA an administrator turned
    off has no Security page any more; the mail sends them where they can act."""
    enroll(contact)
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"contacts_allow_2fa": False})
    TOTPDevice.objects.filter(user=contact).delete()
    security_event(event=Event.ADMIN_DISABLED, actor=admin, subject=contact)
    [notice] = deliver()
    assert buttons(html_of(notice)) == {"Open your profile": "http://testserver/portal/profile/"}
