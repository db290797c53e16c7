"""L2 on the Security page: recent activity reads one line per sign-in (its wrong
passwords and codes, the recovery code and the sign-out folded in), the device in
words and the method in words."""

from __future__ import annotations

import re

from django.test import Client

from tests.conftest import PASSWORD, code_step, signin

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def activity_rows(page: str) -> list[str]:
    section = page[page.index('id="activity-heading"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_l2_a_sign_in_with_wrong_codes_is_one_line_in_words(agent, enroll):
    enrollment = enroll(agent)
    browser = Client(HTTP_USER_AGENT=FIREFOX)
    # A wrong password, then the right one, two wrong codes, then the right code.
    assert signin(browser, agent, password="not it").status_code == 400
    url = code_step(browser, agent)
    for _ in range(2):
        assert browser.post(url, {"code": "000000"}).status_code == 400
    assert browser.post(url, {"code": enrollment.code()}).status_code == 302

    rows = activity_rows(browser.get("/agent/settings/security/").content.decode())
    [line] = [row for row in rows if "Signed in" in row]
    assert "Password and authenticator code (after 1 wrong password and 2 wrong codes)" in line
    assert "Firefox 128 on Windows 10" in line
    assert "127.0.0.1" in line
    # Nothing of the sign-in is left on lines of its own, and no jargon shows.
    assert not [row for row in rows if "wrong" in row.lower() and row != line]
    page = browser.get("/agent/settings/security/").content.decode()
    section = page[page.index('id="activity-heading"') :]
    assert "password+totp" not in section
    assert "Mozilla/5.0" not in re.sub(r'title="[^"]*"', "", section)


def test_l2_each_sign_in_is_its_own_line_with_its_sign_out(contact, enroll):
    enrollment = enroll(contact)
    phone = Client(HTTP_USER_AGENT=IPHONE)
    url = code_step(phone, contact)
    assert phone.post(url, {"code": enrollment.codes[0]}).status_code == 302
    phone.post("/portal/signout/")
    desktop = Client(HTTP_USER_AGENT=FIREFOX)
    url = code_step(desktop, contact)
    assert desktop.post(url, {"code": enrollment.code()}).status_code == 302

    rows = activity_rows(desktop.get("/portal/profile/security/").content.decode())
    signins = [row for row in rows if "Signed in" in row]
    assert len(signins) == 2
    newest, older = signins
    assert "Password and authenticator code" in newest and "Firefox 128 on Windows 10" in newest
    assert "Password and recovery code" in older and "Safari 17 on iOS 17" in older
    assert "Signed out" in older and "Signed out" not in newest
    assert not [row for row in rows if row.startswith(("Recovery code used", "Signed out"))]


def test_l2_a_sign_in_stopped_at_the_code_step_says_the_password_was_right(agent, enroll):
    enrollment = enroll(agent)
    stranger = Client(HTTP_USER_AGENT="curl/8.5.0")
    url = code_step(stranger, agent)
    stranger.post(url, {"code": "000000"})
    owner = Client(HTTP_USER_AGENT=FIREFOX)
    url = code_step(owner, agent, password=PASSWORD)
    assert owner.post(url, {"code": enrollment.code()}).status_code == 302
    rows = activity_rows(owner.get("/agent/settings/security/").content.decode())
    [stopped] = [row for row in rows if "not completed" in row]
    assert "Sign-in not completed: right password, wrong code" in stopped
    assert "1 wrong code" in stopped
    assert "curl 8" in stopped
