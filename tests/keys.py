"""Helpers for security-key tests (K1-K5): read the WebAuthn options a page gives the
browser, and answer them with a software key (tests/webauthn_soft.py), through the
real forms."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from django.http import HttpResponse
from django.test import Client

from deskguard.accounts.models import User
from tests.conftest import PASSWORD, code_step, portal_path
from tests.webauthn_soft import SoftKey

# The test server's address as the relying party sees it (conftest sets BASE_URL).
ORIGIN = "https://testserver"
RP_ID = "testserver"


def soft_key() -> SoftKey:
    return SoftKey(rp_id=RP_ID, origin=ORIGIN)


def options_in(page: HttpResponse) -> dict[str, Any]:
    """The options of the page's WebAuthn form (what webauthn.js hands the browser)."""
    found = re.search(rb'data-webauthn-options="([^"]*)"', page.content)
    assert found, "the page offers no security key"
    return json.loads(html.unescape(found.group(1).decode()))


def security_url(user: User) -> str:
    return portal_path(user) + ("settings/security/" if user.is_agent else "profile/security/")


def reauth(client: Client, user: User, *, code: str = "", key: SoftKey | None = None) -> None:
    """Prove password + code or key on the factor pages' confirmation page (K3)."""
    url = security_url(user) + "confirm/"
    data = {"password": PASSWORD, "code": code}
    if key is not None:
        data["credential"] = key.assert_(options_in(client.get(url)))
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]


def register(client: Client, user: User, key: SoftKey, *, name: str = "My key") -> HttpResponse:
    """Add `key` through Security -> Add security key, as the browser would."""
    url = security_url(user) + "keys/add/"
    page = client.get(url)
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    return client.post(url, {"name": name, "credential": key.register(options_in(page))})


def key_step(client: Client, user: User) -> tuple[str, dict[str, Any]]:
    """Sign in with the password; the second step offers the account's keys. Returns
    the key form's URL and the options the page gave the browser."""
    page = client.get(code_step(client, user))
    assert b"Use your security key" in page.content
    return portal_path(user) + "signin/verify/key/", options_in(page)


def signin_with_key(client: Client, user: User, key: SoftKey, **assertion: Any) -> HttpResponse:
    url, options = key_step(client, user)
    return client.post(url, {"credential": key.assert_(options, **assertion)})
