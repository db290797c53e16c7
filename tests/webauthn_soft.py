"""A software security key for server-side WebAuthn tests: it makes the replies a
browser would send (registration with "none" attestation, assertions signed with
ES256), so tests can also make the replies a browser never would (a wrong origin, a
wrong RP id, a lowered sign count, a replayed assertion).

The real browser tests use Chromium's virtual authenticator instead (tests/e2e).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40
AAGUID = bytes(16)  # all zero: "no attestation", as most keys report with "none"


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


def _client_data(kind: str, challenge: bytes, origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": _b64(challenge), "origin": origin, "crossOrigin": False},
        separators=(",", ":"),
    ).encode()


@dataclass
class SoftKey:
    rp_id: str
    origin: str
    sign_count: int = 0
    user_verified: bool = True
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def id(self) -> str:
        return _b64(self.credential_id)

    def _cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _auth_data(self, *, rp_id: str, attested: bool) -> bytes:
        flags = FLAG_UP | (FLAG_UV if self.user_verified else 0) | (FLAG_AT if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
        data += struct.pack(">I", self.sign_count)
        if attested:
            data += AAGUID + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += self._cose_public_key()
        return data

    def register(self, options: dict[str, Any], *, origin: str | None = None) -> str:
        """The reply to navigator.credentials.create(options), as the page posts it."""
        from webauthn.helpers import base64url_to_bytes

        challenge = base64url_to_bytes(options["challenge"])
        rp_id = options["rp"]["id"]
        attestation = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": self._auth_data(rp_id=rp_id, attested=True)}
        )
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(
                        _client_data("webauthn.create", challenge, origin or self.origin)
                    ),
                    "attestationObject": _b64(attestation),
                    "transports": ["usb"],
                },
                "clientExtensionResults": {},
            }
        )

    def assert_(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        count: bool = True,
    ) -> str:
        """The reply to navigator.credentials.get(options); the key counts a use unless
        `count` is False (a cloned key replaying its old count)."""
        from webauthn.helpers import base64url_to_bytes

        if count:
            self.sign_count += 1
        challenge = base64url_to_bytes(options["challenge"])
        auth_data = self._auth_data(rp_id=rp_id or self.rp_id, attested=False)
        client_data = _client_data("webauthn.get", challenge, origin or self.origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(client_data),
                    "authenticatorData": _b64(auth_data),
                    "signature": _b64(signature),
                    "userHandle": None,
                },
                "clientExtensionResults": {},
            }
        )
