"""Full-page screenshots of the screens no behaviour test walks through, for a person
to look at (design review); the 2FA screens are shot by test_twofactor_in_browser.py
on its way. They land in test-artifacts/screenshots/ (gitignored). Each test also
fails on any JS error or CSP violation on these pages, like every browser test here.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Page, expect

from deskguard.tickets.services import ticket_reply
from deskguard.twofactor import services, totp
from tests.conftest import PASSWORD
from tests.tasks import run_queued_tasks

from .conftest import browser_signin, readme_shot, shoot

pytestmark = pytest.mark.e2e

SECRET = totp.secret_new()


def agent_admin_paths() -> list[str]:
    """Every Admin Settings page without URL arguments, as they are added."""
    found: list[str] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for item in patterns:
            route = str(item.pattern)
            if isinstance(item, URLResolver):
                walk(item.url_patterns, prefix + route, item.namespace or namespace)
            elif isinstance(item, URLPattern) and namespace == "agent":
                full = prefix + route
                if (item.name or "").startswith("admin") and "<" not in full and "(" not in full:
                    found.append("/" + full.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "", "")
    return sorted(set(found))


@pytest.fixture
def tickets(admin, contact, make_user, make_ticket):
    made = [
        make_ticket(contact, subject="Printer on fire", body="The printer in room 4 smokes."),
        make_ticket(
            contact,
            subject="A very long subject line that keeps going to see whether the ticket "
            "list wraps it gracefully instead of overflowing the card",
            body="Long.",
        ),
        make_ticket(make_user(name="Dora Diaz"), subject="Invoice 2024-117 is wrong"),
    ]
    ticket_reply(ticket=made[0], author=admin, body="We sent a technician. Stay clear.")
    return made


def test_screens_of_the_sign_in_pages(page: Page):
    """A2: each portal's own sign-in page."""
    page.goto("/agent/signin/")
    shoot(page, "01-agent-signin")
    page.goto("/portal/signin/")
    readme_shot(page, "02-customer-signin", phone=True)


def test_screens_of_the_customer_portal(page: Page, contact, tickets):
    """A5, B1, B6: the ticket list, a ticket, Security with 2FA on, and the
    re-authentication before turning it off."""
    enrollment_codes = services.device_activate(user=contact, secret=SECRET, step=0)
    assert enrollment_codes
    browser_signin(page, contact)
    page.get_by_label("Verification code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    readme_shot(page, "04-customer-ticket-list", phone=True)
    page.goto(f"/portal/tickets/{tickets[0].pk}/")
    shoot(page, "03-customer-ticket")
    page.goto("/portal/profile/security/")
    readme_shot(page, "08-security-on")
    page.goto("/portal/profile/security/disable/")
    shoot(page, "10-reauth-turn-off")


def test_screens_of_the_agent_portal_and_admin_settings(page: Page, admin, tickets):
    """A5, D1-D5, E2: the ticket list, a ticket, and every Admin Settings page."""
    browser_signin(page, admin)
    expect(page).to_have_url(re.compile(r"/agent/$"))
    readme_shot(page, "11-agent-ticket-list")
    page.goto(f"/agent/tickets/{tickets[0].pk}/")
    shoot(page, "12-agent-ticket")
    page.goto("/agent/settings/security/")
    shoot(page, "13-agent-security-off")
    for path in agent_admin_paths():
        response = page.context.request.get(path, max_redirects=0)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue  # an export, a POST-only action
        page.goto(path)
        slug = re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/agent/admin/")).strip("-")
        # The overview (adoption of 2FA) is one of the README's screens.
        (readme_shot if not slug else shoot)(page, f"20-admin-{slug or 'overview'}")


def test_screens_of_the_mail_delivery_pages(page: Page, admin, contact, settings, tmp_path):
    """H4: the queue, and a message the demo sent, read in the local mailbox."""
    settings.EMAIL_BACKEND = "deskguard.outbox.backends.LocalFolderBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.EMAIL_HOST = ""
    services.device_activate(user=contact, secret=SECRET, step=0)
    browser_signin(page, admin)
    page.goto(f"/agent/admin/contacts/{contact.pk}/resend-codes/")
    page.get_by_role("button", name="Resend recovery codes").click()
    run_queued_tasks()
    page.goto("/agent/admin/mail/")
    shoot(page, "21-mail-queue", phone=True)
    page.get_by_role("link", name="Your new recovery codes").click()
    expect(page.get_by_text("Your recovery codes (each works once)")).to_be_visible()
    shoot(page, "22-mail-message")
    page.get_by_role("link", name="Open the HTML version").click()
    expect(page.get_by_text("Your recovery codes (each works once)")).to_be_visible()
    shoot(page, "23-mail-message-html", phone=True, sandboxed=True)


def test_screens_of_sudo_mode_and_the_confirmation_pages(
    page: Page, admin, agent, contact, browser_log
):
    """I10: Confirm it is you (without and with 2FA), and the confirmation pages of
    actions that weaken an account or the policy; I11: an enrolled contact's Security
    page once "allow" is off."""
    services.device_activate(user=agent, secret=totp.secret_new(), step=0)
    contact_secret = totp.secret_new()
    services.device_activate(user=contact, secret=contact_secret, step=0)
    browser_signin(page, admin)  # no 2FA yet: not in sudo mode
    page.goto(f"/agent/admin/agents/{agent.pk}/disable-2fa/")
    expect(
        page.get_by_text("Set up two-factor authentication for your own account")
    ).to_be_visible()
    shoot(page, "30-sudo-set-up-2fa-first", phone=True)

    services.device_activate(user=admin, secret=SECRET, step=0)
    page.reload()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    shoot(page, "31-sudo-confirm-it-is-you", phone=True)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Verification code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(rf"/agents/{agent.pk}/disable-2fa/$"))
    shoot(page, "32-confirm-disable-2fa", phone=True)

    page.goto("/agent/admin/agents/")
    page.get_by_role("row", name=re.compile(agent.email)).get_by_role(
        "link", name="Deactivate"
    ).click()
    shoot(page, "33-confirm-deactivate")

    page.goto("/agent/admin/customer-portal/security/")
    page.get_by_label("Allow two-factor authentication for contacts").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/policy/confirm/$"))
    shoot(page, "34-confirm-allow-off", phone=True)
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.goto("/agent/admin/sso/new/")
    page.get_by_label("Name").fill("Acme ID")
    page.get_by_label("Slug").fill("acme")
    page.get_by_label("Issuer or discovery URL").fill("https://id.acme.example")
    page.get_by_label("Client ID").fill("deskguard")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/sso/confirm/$"))
    shoot(page, "35-confirm-sso-add")

    page.goto("/agent/admin/accounts/new/")
    page.get_by_label("Kind").select_option("agent")
    page.get_by_label("Email").fill("boss@example.com")
    page.get_by_label("Administrator (agents only)").check()
    page.get_by_label("Language of the mails").select_option("de")
    shoot(page, "36-invite-form")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page).to_have_url(re.compile(r"/admin/accounts/new/confirm/$"))
    shoot(page, "36-confirm-invite-admin")

    page.get_by_role("button", name="Sign out").click()
    browser_signin(page, contact)
    page.get_by_label("Verification code").fill(pyotp.TOTP(contact_secret).now())
    page.get_by_role("button", name="Verify").click()
    page.goto("/portal/profile/security/")
    expect(page.get_by_text("if you turn it off, you cannot turn it on again")).to_be_visible()
    shoot(page, "37-security-on-allow-off", phone=True)


def test_screens_of_an_audit_export_from_request_to_download(page: Page, admin, settings, tmp_path):
    """J1, J3: the audit log paged by keyset, an export asked for from it, its progress
    page while waiting and while written, the finished file downloaded."""
    from django.utils import timezone

    from deskguard.audit.models import AuditEvent, AuditExport, Event, ExportStatus

    settings.EXPORT_DIR = tmp_path / "exports"
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            event=Event.SIGNIN_FAILED,
            subject_label=f"visitor{n}@example.org",
            ip="203.0.113.9",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            at=now - timezone.timedelta(minutes=n),
        )
        for n in range(120)
    )
    browser_signin(page, admin)
    page.goto("/agent/admin/audit/?account=visitor")
    page.get_by_role("link", name="Older →").click()
    expect(page.get_by_role("link", name="← Newer")).to_be_visible()
    readme_shot(page, "40-audit-log-second-page")
    page.get_by_role("button", name="CSV").click()
    expect(page.get_by_text("Waiting for the worker to start")).to_be_visible()
    shoot(page, "41-audit-export-waiting")
    export = AuditExport.objects.get()
    AuditExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, rows_total=120, rows_written=48, started_at=now
    )
    page.reload()
    expect(page.get_by_text("Written 48 of 120 events (40%)")).to_be_visible()
    shoot(page, "42-audit-export-running")
    AuditExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED, rows_written=0)
    run_queued_tasks()
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    shoot(page, "43-audit-export-done")
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 1 + 120
    page.goto("/agent/admin/audit/exports/")
    shoot(page, "44-audit-exports")
