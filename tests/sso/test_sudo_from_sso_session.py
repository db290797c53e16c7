"""An administrator signed in by single sign-on and sudo mode (I10, A4).

SSO skips the second factor, so an SSO session is never in sudo mode by itself. The
re-authentication page asks such an administrator for the same proof as anyone: their
helpdesk password and a code. Without a password they cannot give it, and the page
says how to get one.
"""

from __future__ import annotations

import time

import time_machine

from deskguard.accounts.models import Kind
from deskguard.audit.models import AuditEvent, Event
from deskguard.twofactor.models import TOTPDevice
from tests.conftest import PASSWORD
from tests.sso.conftest import sso_sign_in

SUDO = "/agent/admin/sudo/"


def test_i10_an_sso_session_is_not_in_sudo_mode_and_proves_password_and_code(
    client, provider, oidc, admin, agent, enroll
):
    enrollment = enroll(admin)
    enroll(agent)
    target = f"/agent/admin/agents/{agent.pk}/disable-2fa/"
    with time_machine.travel(time.time(), tick=False) as traveller:
        sub = oidc.user("ada", email=admin.email, email_verified=True)
        assert sso_sign_in(client, provider, "agent", sub)["Location"] == "/agent/"
        assert client.get(target)["Location"] == f"{SUDO}?next={target}"
        assert client.post(target)["Location"] == f"{SUDO}?next={target}"
        assert TOTPDevice.objects.filter(user=agent).exists()
        traveller.shift(30)
        entered = client.post(
            f"{SUDO}?next={target}", {"password": PASSWORD, "code": enrollment.code()}
        )
    assert entered["Location"] == target
    event = AuditEvent.objects.get(event=Event.SUDO_ENTERED)
    assert event.method == "password+totp"
    assert client.get(target).status_code == 200


def test_i10_an_sso_administrator_without_a_password_is_told_to_choose_one(
    client, provider, oidc, make_user, agent, enroll
):
    boss = make_user(Kind.AGENT, email="boss@example.com", is_admin=True, password="")
    assert not boss.has_usable_password()
    enroll(boss)
    enroll(agent)
    sub = oidc.user("boss", email=boss.email, email_verified=True)
    assert sso_sign_in(client, provider, "agent", sub)["Location"] == "/agent/"
    page = client.get(f"{SUDO}?next=/agent/admin/agents/{agent.pk}/disable-2fa/")
    text = page.content.decode()
    assert "Your account has no password" in text
    assert 'href="/agent/password-reset/"' in text
    assert 'name="password"' not in text
    refused = client.post(SUDO, {"password": "", "code": "123456"})
    assert refused.status_code == 403
    assert not AuditEvent.objects.filter(event=Event.SUDO_ENTERED).exists()
