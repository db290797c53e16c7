"""The OpenID Connect protocol, through Authlib: state, nonce, PKCE S256, and
ID-token signature checks against the provider's JWKS.

Authlib never talks to the provider on its own here: it gets the discovery
document and key set from documents.py (cached in the database, I3), and the
one call it makes, the code exchange, goes through the circuit breaker and the
bound on waiting calls (breaker.py).

Orchestration (which account, which portal, audit, messages) lives in flows.py;
this module only turns a provider's answers into an `Identity` or an `SSOError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import import_key
from joserfc.jws import JWSRegistry, deserialize_compact, extract_compact

from deskguard.crypto import InvalidToken

from .breaker import provider_call
from .documents import provider_keys, provider_keys_refetch, provider_metadata
from .errors import Reason, SSOError
from .models import SSOProvider

__all__ = ["Identity", "Reason", "SSOError", "authorization_url", "identity_fetch"]

# Clock skew allowed on exp/iat, Authlib's default: providers' clocks drift.
LEEWAY_SECONDS = 120


@dataclass(frozen=True)
class Identity:
    subject: str
    email: str
    email_verified: bool
    name: str


def _timeout() -> float:
    """Every request to a provider gives up after SSO_HTTP_TIMEOUT seconds (connect
    and read each); the breaker and the bound on waiting calls keep that wait from
    adding up (breaker.py)."""
    return float(settings.SSO_HTTP_TIMEOUT)


# The discovery fields Authlib uses. Nothing else is handed over: Authlib passes
# its metadata on as client and authorization-request options (a document with a
# "prompt" or "response_type" member would change the request), and without a
# "jwks_uri" it cannot fetch keys behind the cache.
AUTHLIB_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "id_token_signing_alg_values_supported",
)


def _app(provider: SSOProvider, metadata: dict[str, Any]) -> DjangoOAuth2App:
    """A fresh client per request from the cached documents: the provider is a row
    an administrator edits, so nothing lives in process memory."""
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
    app = DjangoOAuth2App(
        DjangoIntegration(f"dgsso_{provider.slug}"),
        name=f"dgsso_{provider.slug}",
        client_id=provider.client_id,
        client_secret=secret or None,
        client_kwargs=client_kwargs,
    )
    app.server_metadata = {k: metadata[k] for k in AUTHLIB_METADATA if k in metadata}
    return app


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
    """Start the flow: the (cached) discovery document, then a URL carrying state,
    nonce and an S256 code challenge. Authlib keeps state, nonce and code verifier
    in the session."""
    try:
        app = _app(provider, provider_metadata(provider))
        data = app.create_authorization_url(redirect_uri)
        app.save_authorize_data(request, redirect_uri=redirect_uri, **data)
    except PROTOCOL_ERRORS as exc:
        raise _translate(exc) from exc
    return str(data["url"])


def state_forget(request: HttpRequest, *, provider: SSOProvider, state: str) -> None:
    DjangoIntegration(f"dgsso_{provider.slug}").clear_state_data(request.session, state)


def _code_exchange(
    request: HttpRequest, app: DjangoOAuth2App, provider: SSOProvider
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Authlib's `authorize_access_token` up to the ID token: the state (single use)
    gives the PKCE verifier and the redirect URI, the code is exchanged through
    the breaker. Returns the token response and the state's data (with the nonce)."""
    state = request.GET.get("state")
    data = app.framework.get_state_data(request.session, state)
    app.framework.clear_state_data(request.session, state)
    if not data:
        raise SSOError(Reason.STATE_MISMATCH)
    params: dict[str, Any] = {"code": request.GET.get("code"), "state": state}
    for name in ("code_verifier", "redirect_uri"):
        if data.get(name):
            params[name] = data[name]
    with provider_call(provider):
        token = app.fetch_access_token(**params)
    return dict(token), dict(data)


def _verifying_key(id_token: str, keys: dict[str, Any], algorithms: Any) -> dict[str, Any] | None:
    """The key of `keys` whose signature the token carries, as a one-key set (the one
    with the token's key id; any of them for a token without one), or None. Authlib
    checks the signature again, and the claims, with this key alone."""
    kid = extract_compact(id_token.encode()).protected.get("kid")
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    listed = keys.get("keys")
    for data in listed if isinstance(listed, list) else []:
        if not isinstance(data, dict) or (kid is not None and data.get("kid") != kid):
            continue
        try:
            deserialize_compact(id_token, import_key(data), registry=registry)
        except (JoseError, ValueError, TypeError, KeyError):
            continue
        return {"keys": [data]}
    return None


def _signing_keys(provider: SSOProvider, metadata: dict[str, Any], id_token: str) -> dict[str, Any]:
    """The key that verifies the ID token: from the cached set, or, when none does
    (the provider rotated its keys), from a refetched one (at most once a minute)."""
    algorithms = metadata.get("id_token_signing_alg_values_supported")
    found = _verifying_key(id_token, provider_keys(provider, metadata), algorithms)
    if found is None:
        refetched = provider_keys_refetch(provider, metadata)
        found = _verifying_key(id_token, refetched, algorithms)
    if found is None:
        raise SSOError(Reason.TOKEN_INVALID, error="unknown_key")
    return found


def identity_fetch(request: HttpRequest, *, provider: SSOProvider) -> Identity:
    """Finish the flow: check the state, exchange the code with the PKCE verifier,
    and verify the ID token's signature (JWKS), iss, aud, exp and nonce (Authlib)."""
    try:
        metadata = provider_metadata(provider)
        app = _app(provider, metadata)
        token, data = _code_exchange(request, app, provider)
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            # No ID token: nothing to trust.
            raise SSOError(Reason.TOKEN_INVALID, error="no_id_token")
        app.server_metadata["jwks"] = _signing_keys(provider, metadata, id_token)
        # Only the verified ID token is trusted (Google, Microsoft, Keycloak and
        # Okta put email and email_verified there when the "email" scope is asked).
        claims = dict(app.parse_id_token(token, nonce=data.get("nonce"), leeway=LEEWAY_SECONDS))
    except PROTOCOL_ERRORS as exc:
        raise _translate(exc) from exc
    return Identity(
        subject=_text(claims.get("sub")),
        email=_text(claims.get("email")).strip(),
        email_verified=_is_true(claims.get("email_verified")),
        # Unchanged: flows.py checks it (I4) before a new contact would get it.
        name=_text(claims.get("name")),
    )


def _text(value: object) -> str:
    """A string claim, or empty: a number or an object is no e-mail or name."""
    return value if isinstance(value, str) else ""


def _is_true(value: object) -> bool:
    # Some providers (e.g. AWS Cognito) send the boolean claim as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")
