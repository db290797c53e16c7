"""Running deskguard (G1, G3, H5): the demo data `make run` creates, and where mail goes."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage as ParsedMessage
from io import StringIO
from pathlib import Path

from cryptography.fernet import Fernet
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.test import Client

from deskguard.accounts.models import Kind, User
from deskguard.accounts.services import user_create
from deskguard.outbox.models import MailStatus, OutboundMail
from deskguard.tickets.models import Ticket
from tests.conftest import signin
from tests.tasks import run_queued_tasks

ROOT = Path(__file__).resolve().parents[1]


def test_g1_seed_demo_creates_the_demo_accounts_once_and_prints_working_passwords(
    db, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert first.getvalue() == second.getvalue()  # printed again, not created again
    rows = dict(re.findall(r"(\S+@example\.com)\s+(\S+)", first.getvalue()))
    assert set(rows) == {
        "admin@example.com",
        "agent@example.com",
        "carol@example.com",
        "dave@example.com",
    }
    assert User.objects.count() == 4
    assert User.objects.get(email="admin@example.com").is_admin
    assert Ticket.objects.count() == 3
    for email, password in rows.items():
        response = signin(Client(), User.objects.get(email=email), password=password)
        assert response.status_code == 302, email


LOCAL_BACKEND = "deskguard.outbox.backends.LocalFolderBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def test_g3_without_smtp_the_worker_writes_each_mail_to_a_private_file_and_logs_one_line(
    settings, tmp_path, caplog, capsys, admin
):
    """Local mode (G3, H4, H5): one .eml file per message, readable by its owner only;
    the console says who got what and where to read it, never the body."""
    settings.EMAIL_BACKEND = LOCAL_BACKEND
    folder = tmp_path / "mail"
    settings.EMAIL_FILE_PATH = str(folder)
    caplog.set_level(logging.INFO, logger="deskguard.mail")
    user_create(email="new@example.com", kind=Kind.CONTACT, created_by=admin)
    assert not folder.exists(), "nothing is written inside the request"

    run_queued_tasks()
    [queued] = OutboundMail.objects.all()
    assert queued.status == MailStatus.SENT
    assert queued.last_answer == "delivered to the local mailbox"
    [written] = list(folder.iterdir())
    assert written.name == f"mail-{queued.pk}.eml"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    message = message_from_bytes(written.read_bytes(), policy=email_policy.default)
    assert isinstance(message, ParsedMessage)
    assert message["To"] == "new@example.com"
    assert message["Subject"] == "[deskguard] You are invited"
    text = message.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"http://testserver/portal/invitation/\S+", text)

    lines = [r.getMessage() for r in caplog.records if r.name == "deskguard.mail"]
    assert lines == [
        "mail to new@example.com: [deskguard] You are invited "
        f"(read it at http://testserver/agent/admin/mail/{queued.pk}/)"
    ]
    assert "Ada Admin invited you" in text
    out, err = capsys.readouterr()
    for shown in (caplog.text, out, err):
        assert link not in shown and "invited you" not in shown
    assert mail.outbox == []


def test_g3_a_message_from_outside_the_queue_gets_its_own_private_file(settings, tmp_path, caplog):
    settings.EMAIL_BACKEND = LOCAL_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    caplog.set_level(logging.INFO, logger="deskguard.mail")
    EmailMessage("Your invitation", "Choose your password here", to=["new@example.com"]).send()
    [written] = list(tmp_path.iterdir())
    assert re.fullmatch(r"mail-\d+\.eml", written.name)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "Choose your password here" in written.read_text()
    [line] = [r.getMessage() for r in caplog.records if r.name == "deskguard.mail"]
    assert line == f"mail to new@example.com: Your invitation (read it at {written})"
    assert "Choose your password" not in caplog.text
    assert not mail.outbox or all(m.subject != "Your invitation" for m in mail.outbox)


def settings_run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh process with only this deskguard and mail environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DJANGO_", "DESKGUARD_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(name: str, **env: str) -> str:
    """Read a setting as a fresh process with this environment computes it."""
    result = settings_run(f"import deskguard.settings as s; print(s.{name})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def production(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of a production server with all its secrets, plus `env`."""
    return {
        "DJANGO_SETTINGS_MODULE": "deskguard.settings",
        "DESKGUARD_ENV": "production",
        "DESKGUARD_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "s" * 50,
        "TOTP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "RECOVERY_CODE_HMAC_KEY": "r" * 32,
        "ALLOWED_HOSTS": "help.example.com",
        **env,
    }


def test_g3_smtp_is_used_when_email_host_is_set(tmp_path):
    var = str(tmp_path)
    assert settings_value("EMAIL_BACKEND", DESKGUARD_VAR_DIR=var) == LOCAL_BACKEND
    assert (
        settings_value("EMAIL_BACKEND", DESKGUARD_VAR_DIR=var, EMAIL_HOST="smtp.example.com")
        == SMTP_BACKEND
    )
    assert (
        settings_value("EMAIL_BACKEND", **production(tmp_path, EMAIL_HOST="smtp.example.com"))
        == SMTP_BACKEND
    )
    assert (
        settings_value("EMAIL_BACKEND", **production(tmp_path, EMAIL_BACKEND=SMTP_BACKEND))
        == SMTP_BACKEND
    )


def test_h5_production_refuses_to_start_without_a_mail_transport(tmp_path):
    result = settings_run("import django; django.setup()", **production(tmp_path))
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert "Production needs a mail transport" in result.stderr
    assert "EMAIL_HOST" in result.stderr and "EMAIL_BACKEND" in result.stderr
    started = settings_run(
        "import django; django.setup()", **production(tmp_path, EMAIL_HOST="smtp.example.com")
    )
    assert started.returncode == 0, started.stderr


def test_h5_production_refuses_a_mail_backend_that_prints_or_drops_mail(tmp_path):
    console = "django.core.mail.backends.console.EmailBackend"
    result = settings_run(
        "import django; django.setup()", **production(tmp_path, EMAIL_BACKEND=console)
    )
    assert result.returncode != 0
    assert "prints or drops mail" in result.stderr
