"""A REAL OpenID Connect provider on 127.0.0.1 (oidc-provider-mock, in a thread),
plus the misbehaving peers the failure tests need: a provider whose ID tokens are
already expired, a discovery document whose keys do not sign its tokens, one
whose token endpoint is down, and a socket that accepts but never answers.

The browser is the Django test client; the hops to the provider are real HTTP
requests made with `requests`. Nothing in Authlib is patched.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import flask
import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from authlib import jose
from django.test import Client

from deskguard.sso.models import SSOProvider

CLIENT_SECRET = "s3cr3t-Th4t-Must-Never-Be-Shown-9f8e7d"


@dataclass
class Provider:
    """One running provider: its base URL (= its issuer), and the path of every
    request it received (to count discovery and JWKS fetches)."""

    url: str
    hits: list[str] = field(default_factory=list)

    def count(self, path: str) -> int:
        return self.hits.count(path)

    def user(self, sub: str, **claims: object) -> str:
        """Choose the claims of the provider's user `sub` (the mock's PUT /users API)."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text
        return sub


DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/jwks"


def _counted(app, hits: list[str]):
    """The provider's WSGI app, recording the path of each request it serves."""

    def serve(environ, start_response):
        hits.append(environ.get("PATH_INFO", ""))
        return app(environ, start_response)

    return serve


def _serve(app, hits: list[str]) -> Iterator[str]:
    server = werkzeug.serving.make_server("127.0.0.1", 0, _counted(app, hits), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def oidc() -> Iterator[Provider]:
    # require_nonce: the provider refuses a request without one, as Google does.
    hits: list[str] = []
    for url in _serve(oidc_provider_mock.app(require_nonce=True), hits):
        yield Provider(url, hits)


@pytest.fixture(scope="session")
def oidc_expired() -> Iterator[Provider]:
    """Signs correctly, but every ID token expired ten minutes before it was issued
    (beyond the 120 s clock-skew leeway)."""
    app = oidc_provider_mock.app(access_token_max_age=timedelta(seconds=-600))
    hits: list[str] = []
    for url in _serve(app, hits):
        yield Provider(url, hits)


@pytest.fixture(scope="session")
def oidc_other() -> Iterator[Provider]:
    """A second, independent provider with its own signing key."""
    hits: list[str] = []
    for url in _serve(oidc_provider_mock.app(), hits):
        yield Provider(url, hits)


@dataclass
class RotatingProvider(Provider):
    """A provider that can replace its signing key, as providers do on a schedule:
    from the next request on it signs with the new key and publishes only it."""

    new_key: object | None = None

    def rotate(self) -> None:
        self.new_key = jose.RSAKey.generate_key(is_private=True)


@pytest.fixture
def oidc_rotating() -> Iterator[RotatingProvider]:
    app = oidc_provider_mock.app(require_nonce=True)
    provider = RotatingProvider(url="")

    @app.before_request
    def install_new_key() -> None:
        # Runs after the mock's own hook has put its storage on flask.g.
        if provider.new_key is not None:
            flask.g.oidc_provider_mock_storage.jwk = provider.new_key
            provider.new_key = None

    for url in _serve(app, provider.hits):
        provider.url = url
        yield provider


@dataclass
class Documents:
    """A tiny server of hand-made discovery documents, one per path prefix."""

    url: str
    documents: dict[str, dict[str, object]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def add(self, name: str, **metadata: object) -> str:
        issuer = f"{self.url}/{name}"
        self.documents[f"/{name}/.well-known/openid-configuration"] = {
            "issuer": issuer,
            **metadata,
        }
        return issuer


@pytest.fixture(scope="session")
def documents() -> Iterator[Documents]:
    served = Documents(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.hits.append(urlsplit(self.path).path)
            body = served.documents.get(urlsplit(self.path).path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body or {}).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served
    server.shutdown()
    server.server_close()


@dataclass
class Blackhole:
    """Accepts TCP connections and never answers: a provider that hangs."""

    url: str
    connections: int = 0


@pytest.fixture(scope="session")
def blackhole() -> Iterator[Blackhole]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    hole = Blackhole(url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            hole.connections += 1
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield hole
    listener.close()
    for conn in held:
        conn.close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _short_timeouts(settings):
    # Keep the suite fast; production uses 5 s (deskguard.sso.client).
    settings.SSO_HTTP_TIMEOUT = 2


@pytest.fixture
def make_provider(db):
    def make(issuer: str, *, slug: str = "testid", name: str = "TestID", **extra) -> SSOProvider:
        provider = SSOProvider(
            name=name, slug=slug, issuer=issuer, client_id=f"deskguard-{slug}", **extra
        )
        provider.client_secret_set(CLIENT_SECRET)
        provider.save()
        return provider

    return make


@pytest.fixture
def provider(make_provider, oidc) -> SSOProvider:
    return make_provider(oidc.url)


# The browser: Django's client for deskguard, `requests` for the provider.


def sso_begin(client: Client, provider: SSOProvider, portal: str, **params: str):
    """Press the SSO button on `portal`'s sign-in page ("agent" or "customer")."""
    return client.get(f"/sso/{provider.slug}/start/", {"portal": portal, **params})


def provider_answer(authorize_url: str, *, sub: str | None = None, deny: bool = False) -> str:
    """The user signs in (or refuses) at the provider; returns where it redirects."""
    form = {"action": "deny"} if deny else {"sub": sub}
    response = requests.post(authorize_url, data=form, allow_redirects=False, timeout=5)
    assert response.status_code in (302, 303), response.text[:500]
    return response.headers["Location"]


def local(url: str) -> str:
    """A deskguard URL (http://testserver/...) as a path the test client can open."""
    parts = urlsplit(url)
    assert parts.netloc in ("", "testserver"), url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sso_sign_in(client: Client, provider: SSOProvider, portal: str, sub: str, **params: str):
    """The whole flow, following every redirect; returns the callback's response."""
    start = sso_begin(client, provider, portal, **params)
    assert start.status_code == 302, start.content[:500]
    callback = provider_answer(start["Location"], sub=sub)
    return client.get(local(callback))


def flashed(client: Client, response) -> str:
    """Follow a redirect to the sign-in page and return the page's text."""
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()
