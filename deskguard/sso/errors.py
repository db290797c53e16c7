"""Why an SSO sign-in was refused: one reason per cause, shared by the protocol
client, the provider cache and the circuit breaker, and the sign-in flows."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Recorded as `detail.reason` in the audit log; flows.MESSAGES says it to the user."""

    STATE_MISMATCH = "state_mismatch"
    NONCE_MISMATCH = "nonce_mismatch"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    EMAIL_MISSING = "email_missing"
    EMAIL_UNVERIFIED = "email_unverified"
    # I4: the claim is not an address the sign-up form would accept.
    EMAIL_INVALID = "email_invalid"
    # I4: the name a new contact would get is too long or has control characters.
    NAME_INVALID = "name_invalid"
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
        # A short machine code ("access_denied", "circuit_open"), never free text.
        self.error = error
