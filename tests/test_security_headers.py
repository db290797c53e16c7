"""Response headers that keep pages from being framed, sniffed or injected (F4)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

PUBLIC_PAGES = ["/portal/signin/", "/agent/signin/", "/portal/password-reset/", "/nowhere/"]


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_f4_every_page_carries_the_security_headers(client, db, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"


def test_f4_signed_in_pages_carry_them_too_and_are_not_cached(agent_client):
    response = agent_client.get("/agent/")
    assert response["X-Frame-Options"] == "DENY"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_f4_error_pages_carry_them_too(contact_client):
    response = contact_client.get("/agent/")
    assert response.status_code == 403
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def assert_no_inline_code(html: str, url: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, f"inline script on {url}: {tag}"
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), "script with a body"
    assert not re.search(r"\sstyle\s*=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "<style" not in html


@pytest.mark.parametrize(
    "url", ["/portal/", "/portal/tickets/new/", "/portal/profile/", "/portal/profile/password/"]
)
def test_f4_customer_pages_have_no_inline_code_the_policy_would_block(
    contact_client, contact, make_ticket, url
):
    make_ticket(contact)
    response = contact_client.get(url)
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode(), url)


@pytest.mark.parametrize(
    "url",
    [
        "/agent/",
        "/agent/settings/",
        "/agent/settings/password/",
        "/agent/admin/",
        "/agent/admin/agents/",
        "/agent/admin/contacts/",
        "/agent/admin/accounts/new/",
        "/agent/admin/sudo/",
        "/agent/signin/",
        "/portal/signin/",
    ],
)
def test_f4_agent_and_admin_pages_have_no_inline_code_the_policy_would_block(
    admin_client, contact, make_ticket, url
):
    make_ticket(contact)
    response = admin_client.get(url, follow=True)
    assert response.status_code == 200
    assert_no_inline_code(response.content.decode(), url)


def production_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings module in a fresh interpreter, as a production server would."""
    script = (
        "import json; from django.conf import settings; print(json.dumps({k: getattr(settings, k)"
        " for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_NAME',"
        " 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'DEBUG')}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**base, "DJANGO_SETTINGS_MODULE": "deskguard.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_f4_outside_local_mode_cookies_are_secure_httponly_and_host_prefixed(tmp_path):
    result = production_settings(
        DESKGUARD_ENV="production",
        DESKGUARD_VAR_DIR=str(tmp_path),
        SECRET_KEY="s" * 50,
        TOTP_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        RECOVERY_CODE_HMAC_KEY="r" * 32,
        ALLOWED_HOSTS="help.example.com",
        # H5: production starts only with a mail transport.
        EMAIL_HOST="smtp.example.com",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["DEBUG"] is False


def test_f4_production_refuses_to_start_without_its_secrets(tmp_path):
    result = production_settings(DESKGUARD_ENV="production", DESKGUARD_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DESKGUARD_ENV=production" in result.stderr
    assert not list(tmp_path.iterdir()), "no secret was generated into var/"
