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
from tests.tasks import run_queued_tasks

from .conftest import browser_signin, shoot

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
    shoot(page, "02-customer-signin", phone=True)


def test_screens_of_the_customer_portal(page: Page, contact, tickets):
    """A5, B1, B6: the ticket list, a ticket, Security with 2FA on, and the
    re-authentication before turning it off."""
    enrollment_codes = services.device_activate(user=contact, secret=SECRET, step=0)
    assert enrollment_codes
    browser_signin(page, contact)
    page.get_by_label("Verification code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    shoot(page, "04-customer-ticket-list", phone=True)
    page.goto(f"/portal/tickets/{tickets[0].pk}/")
    shoot(page, "03-customer-ticket")
    page.goto("/portal/profile/security/")
    shoot(page, "08-security-on")
    page.goto("/portal/profile/security/disable/")
    shoot(page, "10-reauth-turn-off")


def test_screens_of_the_agent_portal_and_admin_settings(page: Page, admin, tickets):
    """A5, D1-D5, E2: the ticket list, a ticket, and every Admin Settings page."""
    browser_signin(page, admin)
    expect(page).to_have_url(re.compile(r"/agent/$"))
    shoot(page, "11-agent-ticket-list")
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
        shoot(page, f"20-admin-{slug or 'overview'}")


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
    shoot(page, "23-mail-message-html", phone=True)


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
    shoot(page, "30-audit-log-second-page")
    page.get_by_role("button", name="CSV").click()
    expect(page.get_by_text("Waiting for the worker to start")).to_be_visible()
    shoot(page, "31-audit-export-waiting")
    export = AuditExport.objects.get()
    AuditExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, rows_total=120, rows_written=48, started_at=now
    )
    page.reload()
    expect(page.get_by_text("Written 48 of 120 events (40%)")).to_be_visible()
    shoot(page, "32-audit-export-running")
    AuditExport.objects.filter(pk=export.pk).update(status=ExportStatus.QUEUED, rows_written=0)
    run_queued_tasks()
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    shoot(page, "33-audit-export-done")
    lines = download.value.path().read_text().splitlines()
    assert len(lines) == 1 + 120
    page.goto("/agent/admin/audit/exports/")
    shoot(page, "34-audit-exports")
