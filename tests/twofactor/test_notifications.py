"""E3: the account holder is told by e-mail, with when, where and what to do."""

from __future__ import annotations

import pyotp
from django.core import mail

from tests.twofactor.test_enrollment import shown_secret


def test_e3_enabling_2fa_mails_a_notice_with_time_address_and_browser(
    client, contact, django_capture_on_commit_callbacks
):
    client.defaults["HTTP_USER_AGENT"] = "Mozilla/5.0 (TestPhone) Firefox/140.0"
    client.post(
        "/portal/signin/", {"email": contact.email, "password": "correct horse battery staple"}
    )
    secret = shown_secret(client.get("/portal/profile/security/enable/").content)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    [notice] = [m for m in mail.outbox if "Two-factor authentication is on" in m.subject]
    assert notice.to == [contact.email]
    assert "Address: 127.0.0.1" in notice.body
    assert "TestPhone" in notice.body
    assert "If this was not you" in notice.body
    html = notice.alternatives[0][0]
    assert "If this was not you" in html and "TestPhone" in html
    # No code or secret in an ordinary notice.
    assert secret not in notice.body and secret not in html
