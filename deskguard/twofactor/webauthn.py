"""Security keys and passkeys (K1, K2): WebAuthn through py_webauthn. Pure functions,
no database and no request: the relying party comes from DESKGUARD_BASE_URL.

WebAuthn binds credentials to the relying party id (the host name) and checks the
origin (scheme, host and port) of every ceremony; browsers allow it only on https
or on `localhost` (an IP address such as 127.0.0.1 is not a valid RP id).
"""

from __future__ import annotations

import binascii
import ipaddress
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

__all__ = ["WebAuthnException", "base64url_to_bytes"]

# Two minutes to find the key and touch it (the browser's prompt); the stored
# challenge lives a little longer (CHALLENGE_TTL), for the reply's way back.
TIMEOUT_MS = 120_000
CHALLENGE_TTL = 300
CHALLENGE_BYTES = 32
# A reply larger than this is not a WebAuthn credential (refused before parsing).
MAX_RESPONSE_CHARS = 64_000


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def site_supports_keys() -> bool:
    """Browsers run WebAuthn only in a secure context whose host can be an RP id: an
    https address with a host name, or `localhost` (http allowed there). An IP address
    is never a valid RP id, so keys are not offered on http://127.0.0.1:8000."""
    parts = urlsplit(settings.BASE_URL)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    local = host == "localhost" or host.endswith(".localhost")
    return parts.scheme == "https" or (parts.scheme == "http" and local)


def relying_party() -> RelyingParty:
    parts = urlsplit(settings.BASE_URL)
    origin = f"{parts.scheme}://{parts.netloc}"
    return RelyingParty(id=parts.hostname or "localhost", origin=origin, name=settings.SITE_NAME)


@dataclass(frozen=True)
class Registered:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    aaguid: str
    transports: list[str]


@dataclass(frozen=True)
class Asserted:
    credential_id: str  # base64url
    new_sign_count: int


def challenge_new() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def _descriptors(
    credential_ids: list[str], transports: dict[str, list[str]]
) -> list[PublicKeyCredentialDescriptor]:

    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(cid),
            transports=[
                AuthenticatorTransport(t) for t in transports.get(cid, []) if t in _TRANSPORTS
            ],
        )
        for cid in credential_ids
    ]


_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def registration_options(
    *,
    user_handle: bytes,
    email: str,
    display_name: str,
    challenge: bytes,
    existing: list[str],
    transports: dict[str, list[str]],
) -> str:
    """The options for navigator.credentials.create(), as JSON. Keys already registered
    are excluded, so the browser refuses to register one twice."""
    rp = relying_party()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=email,
        user_id=user_handle,
        user_display_name=display_name or email,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing, transports),
    )
    return str(options_to_json(options))


def registration_verify(*, response: str, challenge: bytes) -> Registered:
    """Raises WebAuthnException (or ValueError for a reply that is not JSON)."""
    if len(response) > MAX_RESPONSE_CHARS:
        raise ValueError(gettext("The security key's reply is too large."))
    parsed = json.loads(response)
    rp = relying_party()
    verified = verify_registration_response(
        credential=parsed,
        expected_challenge=challenge,
        expected_rp_id=rp.id,
        expected_origin=rp.origin,
    )
    reported = parsed.get("response", {}).get("transports", []) if isinstance(parsed, dict) else []
    transports = [t for t in reported if isinstance(t, str) and t in _TRANSPORTS]
    return Registered(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid),
        transports=transports,
    )


def authentication_options(
    *, challenge: bytes, credential_ids: list[str], transports: dict[str, list[str]]
) -> str:
    """The options for navigator.credentials.get(), as JSON, for the account's keys."""
    options = generate_authentication_options(
        rp_id=relying_party().id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(credential_ids, transports),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return str(options_to_json(options))


@dataclass(frozen=True)
class Reply:
    """A browser's reply as posted, checked for shape only (the signature is checked
    later): its JSON text, the credential id and the challenge it answers."""

    text: str
    credential_id: str
    challenge: str  # base64url, as stored in WebAuthnChallenge


def reply_parse(text: str) -> Reply:
    """ValueError (with a message for the user) for anything that is not a WebAuthn
    reply: too large, not JSON, no id, no client data with a challenge."""
    if len(text) > MAX_RESPONSE_CHARS:
        raise ValueError(gettext("The security key's reply is too large."))
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValueError(gettext("The security key's reply could not be read.")) from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("response"), dict):
        raise ValueError(gettext("The security key's reply could not be read."))
    credential_id = parsed.get("id")
    if not isinstance(credential_id, str) or not 0 < len(credential_id) <= 1400:
        raise ValueError(gettext("The reply names no security key."))
    client_data = parsed["response"].get("clientDataJSON")
    try:
        data = json.loads(base64url_to_bytes(client_data)) if isinstance(client_data, str) else None
    except (ValueError, binascii.Error):
        data = None
    challenge = data.get("challenge") if isinstance(data, dict) else None
    if not isinstance(challenge, str) or not 0 < len(challenge) <= 64:
        raise ValueError(gettext("The security key's reply could not be read."))
    return Reply(text=text, credential_id=credential_id, challenge=challenge)


def assertion_verify(*, response: str, challenge: bytes, public_key: bytes) -> Asserted:
    """Checks the signature, challenge, origin, RP id and user presence: raises
    WebAuthnException. The sign count is the caller's to check, in the UPDATE that
    stores the new one (services: a count that did not grow means a cloned key)."""
    rp = relying_party()
    verified = verify_authentication_response(
        credential=json.loads(response),
        expected_challenge=challenge,
        expected_rp_id=rp.id,
        expected_origin=rp.origin,
        credential_public_key=public_key,
        credential_current_sign_count=0,
    )
    return Asserted(
        credential_id=bytes_to_base64url(verified.credential_id),
        new_sign_count=verified.new_sign_count,
    )
