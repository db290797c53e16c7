"""H1, G2: two real `manage.py db_worker` processes share one PostgreSQL queue and
deliver every message exactly once to a real SMTP server (the task claim is SELECT ...
FOR UPDATE SKIP LOCKED, the message claim a conditional UPDATE).

After a crash between the server's acceptance and the commit of "sent", a message
stays "sending" and is sent again after outbox.delivery.STALE: at least once, never
lost (tested in test_worker_crash.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from deskguard.accounts.models import Kind
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.outbox.models import MailStatus, OutboundMail

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 40


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def worker(smtp_server, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DESKGUARD_ENV": "local",
        "DESKGUARD_VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
    }
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--batch"]
    command += ["--interval", "0", "--no-startup-delay"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)


@pytest.mark.django_db(transaction=True)
def test_h1_g2_two_workers_deliver_each_message_once(make_user, smtp_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL; CI runs this file there")
    users = [make_user(Kind.CONTACT) for _ in range(MESSAGES)]
    for user in users:
        security_event(event=Event.ENROLLED, subject=user)
    workers = [worker(smtp_server, tmp_path) for _ in range(2)]
    for process in workers:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()[-2000:]
    received = Counter(message.rcpt_tos[0] for message in smtp_server.messages)
    assert received == Counter(user.email for user in users)
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
