"""E3: the account holder is told by e-mail, with when, where and what to do."""

from __future__ import annotations

import pyotp

from deskguard.outbox.models import MailKind, MailStatus, OutboundMail
from tests.twofactor.test_enrollment import shown_secret


def test_e3_enabling_2fa_mails_a_notice_with_time_address_and_browser(
    client, contact, mailoutbox, deliver
):
    client.defaults["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
    )
    client.post(
        "/portal/signin/", {"email": contact.email, "password": "correct horse battery staple"}
    )
    secret = shown_secret(client.get("/portal/profile/security/enable/").content)
    response = client.post("/portal/profile/security/enable/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    shown = client.get("/portal/profile/security/recovery-codes/").content.decode()
    codes = [line.split("</li>")[0].strip() for line in shown.split("<li>")[1:]]
    assert len(codes) == 10 and all(len(code.replace("-", "")) == 16 for code in codes)
    # H1: the request only queued the notice; the worker sends it.
    assert mailoutbox == []
    [queued] = OutboundMail.objects.filter(to_address=contact.email)
    assert (queued.kind, queued.status) == (MailKind.NOTICE, MailStatus.WAITING)

    [notice] = [m for m in deliver() if "Two-factor authentication is on" in m.subject]
    assert notice.to == [contact.email]
    assert "Address: 127.0.0.1" in notice.body
    # L2: the browser and its system in words, not the raw string.
    assert "Browser: Firefox 140 on Windows 10" in notice.body
    assert "Gecko" not in notice.body
    assert "If this was not you" in notice.body
    html = notice.alternatives[0][0]
    assert "If this was not you" in html and "Firefox 140 on Windows 10" in html
    # No code or secret in an ordinary notice.
    assert secret not in notice.body and secret not in html
    for code in codes:
        for form in (code, code.replace("-", "")):
            assert form not in notice.body and form not in html
    queued.refresh_from_db()
    assert queued.status == MailStatus.SENT
