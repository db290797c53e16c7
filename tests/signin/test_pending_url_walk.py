"""C1: while the second factor is pending, no protected page, file or endpoint is
reachable. Walks every URL pattern of the project, with every method a form uses."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from deskguard.tickets.services import ticket_create
from tests.conftest import code_step

# Pages an anonymous visitor may see; they hold no account data.
PUBLIC = re.compile(
    r"^/(agent|portal)/(signin/|signin/verify/|signin/verify/key/|signout/|password-reset/.*|invitation/.*)$"
    r"|^/$|^/healthz$|^/sso/.*"
)


def all_paths() -> list[str]:
    """Every URL pattern with sample arguments (ids of real rows, made-up tokens)."""
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                route = re.sub(r"<int:\w+>", "1", route)
                route = re.sub(r"<(str:|slug:)?\w+>", "x", route)
                paths.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def test_c1_the_walk_finds_the_protected_pages():
    paths = all_paths()
    assert "/agent/" in paths and "/portal/profile/security/" in paths
    assert "/agent/admin/agents/" in paths
    # K2, K3: the security-key endpoints are walked like every other page.
    assert "/agent/signin/verify/key/" in paths and "/portal/signin/verify/key/" in paths
    assert "/agent/settings/security/keys/add/" in paths
    assert "/portal/profile/security/factors/1/remove/" in paths
    assert len(paths) > 30


@pytest.mark.parametrize("portal_user", ["agent", "contact", "admin"])
def test_c1_a_pending_session_reaches_nothing_protected(
    client, request, enroll, contact, portal_user
):
    ticket_create(contact=contact, subject="Secret payroll ticket", body="salary data")
    user = request.getfixturevalue(portal_user)
    enroll(user)
    verify_url = code_step(client, user)
    for path in all_paths():
        if path.endswith("/signout/"):
            continue  # signing out would end the pending state the walk is testing
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            body = response.content
            assert b"Secret payroll ticket" not in body, (method, path)
            assert b"salary data" not in body, (method, path)
            if PUBLIC.match(path) or response.status_code in (404, 405):
                continue
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/signin/" in response["Location"], (method, path, response["Location"])
        assert "_auth_user_id" not in client.session, path
        assert client.cookies["dgpending"].value, f"{path} ended the pending state"
    # The walk ran with the pending state intact: the code step still answers.
    assert client.get(verify_url).status_code == 200
