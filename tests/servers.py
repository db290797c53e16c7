"""A real gunicorn serving deskguard on 127.0.0.1, for tests about what only a real
server shows: request bodies as they arrive on a socket (I4), a worker's persistent
database connection across requests (I5), the application under another database
role (I6). The test client calls the application directly and skips both."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from django.db import connection

from deskguard.accounts.models import User

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Server:
    url: str
    host: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(user: str | None = None, password: str | None = None) -> str:
    """The URL of the test database (PostgreSQL), as the suite's role or `user`."""
    s = connection.settings_dict
    if user is None:
        user, password = s["USER"], s.get("PASSWORD")
    secret = f":{quote(password, safe='')}" if password else ""
    return f"postgres://{quote(user, safe='')}{secret}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """Local mode with secrets, mail folder and SQLite file (unless DATABASE_URL) under
    `tmp_path`, none of the test process's deskguard or mail settings, and `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DJANGO_", "DESKGUARD_")) and k != "DATABASE_URL"
    }
    return {
        **clean,
        "DESKGUARD_ENV": "local",
        "DESKGUARD_VAR_DIR": str(tmp_path / "var"),
        "DESKGUARD_MANIFEST_STATIC": "false",
        "LOG_LEVEL": "WARNING",
        **env,
    }


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` in a fresh process with `environment(tmp_path, **env)`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def signed_in(server: Server, user: User, password: str) -> requests.Session:
    """A browser session signed in through the server's own form (no 2FA enrolled)."""
    browser = requests.Session()
    token = form_token(browser, f"{server.url}/portal/signin/")
    response = browser.post(
        f"{server.url}/portal/signin/",
        {"email": user.email, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    return browser


def form_token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found[1]


@contextmanager
def gunicorn(tmp_path: Path, *, workers: int = 1, **env: str) -> Iterator[Server]:
    """Serve deskguard in local mode with secrets in `tmp_path` and `env` on top; yields
    once the server answers HTTP (any status: the database may be absent on purpose)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [str(Path(sys.executable).parent / "gunicorn"), "deskguard.wsgi"]
    command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--error-logfile", str(log), "--timeout", "60"]
    # gunicorn 23+ opens a control socket at one path in $HOME: two test servers at
    # once (pytest -n 2) would fight over it.
    command += ["--no-control-socket"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment(tmp_path, **env))
    server = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.log_text()[-3000:]}")
            try:
                # The socket listens before the worker has loaded Django: wait long.
                requests.get(f"{server.url}/healthz", timeout=20)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not answer: {server.log_text()[-3000:]}")
                time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
