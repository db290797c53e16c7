"""The OpenID Connect protocol, through Authlib: discovery, state, nonce, PKCE S256,
and ID-token signature checks against the provider's JWKS.

Orchestration (which account, which portal, audit, messages) lives in flows.py;
this module only turns a provider's answers into an `Identity` or an `SSOError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from deskguard.crypto import InvalidToken

from .models import SSOProvider

# Clock skew allowed on exp/iat, Authlib's default: providers' clocks drift.
LEEWAY_SECONDS = 120


class Reason(StrEnum):
    """Why an SSO sign-in was refused; recorded as `detail.reason` in the audit log."""

    STATE_MISMATCH = "state_mismatch"
    NONCE_MISMATCH = "nonce_mismatch"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    EMAIL_MISSING = "email_missing"
    EMAIL_UNVERIFIED = "email_unverified"
    UNKNOWN_ACCOUNT = "unknown_account"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    WRONG_PORTAL = "wrong_portal"
    PROVIDER_UNREACHABLE = "provider_unreachable"
    PROVIDER_ERROR = "provider_error"
    MISCONFIGURED = "provider_misconfigured"


class SSOError(Exception):
    def __init__(self, reason: Reason, *, error: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        # A short machine code from the provider ("access_denied"), never free text.
        self.error = error


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    email_verified: bool
    name: str


def _timeout() -> float:
    """Every request to a provider gives up after SSO_HTTP_TIMEOUT seconds (connect
    and read each): a provider that is down costs its own users a short wait and
    nobody else anything."""
    return float(settings.SSO_HTTP_TIMEOUT)


def _app(provider: SSOProvider) -> DjangoOAuth2App:
    """A fresh client per request: providers are rows an administrator edits, so
    nothing (secret, URL, metadata) is cached across requests or processes."""
    try:
        secret = provider.client_secret_get()
    except InvalidToken as exc:
        raise SSOError(Reason.MISCONFIGURED, error="secret_undecryptable") from exc
    client_kwargs: dict[str, Any] = {
        "scope": " ".join(provider.scope_list),
        "code_challenge_method": "S256",
        "default_timeout": _timeout(),
        # No secret: a public client, protected by PKCE alone.
        "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
    }
    return DjangoOAuth2App(
        DjangoIntegration(f"dgsso_{provider.slug}"),
        name=f"dgsso_{provider.slug}",
        client_id=provider.client_id,
        client_secret=secret or None,
        server_metadata_url=provider.discovery_url,
        client_kwargs=client_kwargs,
    )


def _load_metadata(app: DjangoOAuth2App, provider: SSOProvider) -> None:
    metadata = app.load_server_metadata()
    # OpenID Connect Discovery 4.3: the document must name the issuer we asked,
    # otherwise an ID token from another issuer could pass the `iss` check.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer_url:
        raise SSOError(Reason.MISCONFIGURED, error="issuer_mismatch")


def _translate(exc: Exception) -> SSOError:
    """Map a library failure to a reason; the caller re-raises it from `exc`."""
    if isinstance(exc, SSOError):
        return exc
    if isinstance(exc, MismatchingStateError):
        return SSOError(Reason.STATE_MISMATCH)
    if isinstance(exc, requests.RequestException):
        # Timeouts, refused connections, DNS failures and 5xx answers alike.
        return SSOError(Reason.PROVIDER_UNREACHABLE, error=type(exc).__name__)
    if isinstance(exc, OAuthError):
        return SSOError(Reason.PROVIDER_ERROR, error=safe_code(exc.error))
    if isinstance(exc, ExpiredTokenError):
        return SSOError(Reason.TOKEN_EXPIRED)
    if isinstance(exc, ClaimError) and exc.claim == "nonce":
        return SSOError(Reason.NONCE_MISMATCH)
    if isinstance(exc, JoseError):
        return SSOError(Reason.TOKEN_INVALID, error=safe_code(exc.error))
    # AuthlibBaseError, or a malformed answer: JSON that is not an object, a
    # missing field (ValueError, KeyError, TypeError, Authlib's RuntimeError).
    return SSOError(Reason.PROVIDER_ERROR, error=type(exc).__name__)


PROTOCOL_ERRORS = (
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
    RuntimeError,
)


def safe_code(value: object) -> str:
    text = str(value or "")[:40]
    return text if text.replace("_", "").isalnum() and text.isascii() else "other"


def authorization_url(request: HttpRequest, *, provider: SSOProvider, redirect_uri: str) -> str:
    """Start the flow: discovery, then a URL carrying state, nonce and an S256 code
    challenge. Authlib keeps state, nonce and code verifier in the session."""
    app = _app(provider)
    try:
        _load_metadata(app, provider)
        data = app.create_authorization_url(redirect_uri)
        app.save_authorize_data(request, redirect_uri=redirect_uri, **data)
    except PROTOCOL_ERRORS as exc:
        raise _translate(exc) from exc
    return str(data["url"])


def state_forget(request: HttpRequest, *, provider: SSOProvider, state: str) -> None:
    DjangoIntegration(f"dgsso_{provider.slug}").clear_state_data(request.session, state)


def identity_fetch(request: HttpRequest, *, provider: SSOProvider) -> Identity:
    """Finish the flow: Authlib checks the state, exchanges the code with the PKCE
    verifier, and verifies the ID token's signature (JWKS), iss, aud, exp and nonce."""
    app = _app(provider)
    try:
        _load_metadata(app, provider)
        token = app.authorize_access_token(request, leeway=LEEWAY_SECONDS)
        claims = token.get("userinfo")
        if not claims:
            # No ID token, or one Authlib did not verify: nothing to trust.
            raise SSOError(Reason.TOKEN_INVALID, error="no_id_token")
        # Only the verified ID token is trusted (Google, Microsoft, Keycloak and
        # Okta put email and email_verified there when the "email" scope is asked).
        claims = dict(claims)
    except PROTOCOL_ERRORS as exc:
        raise _translate(exc) from exc
    return Identity(
        subject=str(claims.get("sub", "")),
        email=str(claims.get("email") or "").strip(),
        email_verified=_is_true(claims.get("email_verified")),
        name=str(claims.get("name") or "")[:150],
    )


def _is_true(value: object) -> bool:
    # Some providers (e.g. AWS Cognito) send the boolean claim as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")
