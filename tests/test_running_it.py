"""Running deskguard (G1, G3): the demo data `make run` creates, and where mail goes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.test import Client

from deskguard.accounts.models import User
from deskguard.tickets.models import Ticket
from tests.conftest import signin

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


def test_g3_without_smtp_mail_is_written_to_the_mail_folder_and_the_console(
    settings, tmp_path, capsys
):
    settings.EMAIL_BACKEND = "deskguard.mail.FolderAndConsoleBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    EmailMessage("Your invitation", "Choose your password here", to=["new@example.com"]).send()
    [written] = list(tmp_path.iterdir())
    assert "Choose your password here" in written.read_text()
    assert "Your invitation" in capsys.readouterr().out
    assert not mail.outbox or all(m.subject != "Your invitation" for m in mail.outbox)


def settings_value(name: str, **env: str) -> str:
    """Read a setting as a fresh process with this environment computes it."""
    code = f"import deskguard.settings as s; print(s.{name})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_g3_smtp_is_used_when_email_host_is_set(tmp_path):
    var = str(tmp_path)
    assert (
        settings_value("EMAIL_BACKEND", DESKGUARD_VAR_DIR=var)
        == "deskguard.mail.FolderAndConsoleBackend"
    )
    assert (
        settings_value("EMAIL_BACKEND", DESKGUARD_VAR_DIR=var, EMAIL_HOST="smtp.example.com")
        == "django.core.mail.backends.smtp.EmailBackend"
    )
