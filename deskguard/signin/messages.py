"""What the sign-in pages say. The same failure text for every wrong email, password,
portal or inactive account (F3)."""

from __future__ import annotations

GENERIC_FAILURE = "The email address or password is not correct."
EXPIRED = "Your sign-in expired or was not started. Please sign in again."
SIGNED_OUT = "You have signed out."


def recovery_code_used(remaining: int, *, has_app: bool = True) -> str:
    """C7: after a recovery code, lead the user to set up a new authenticator (or, for
    an account with only security keys, to replace a lost key)."""
    if not has_app:
        return (
            f"You signed in with a recovery code; {remaining} remain. "
            "If you lost a security key, remove it below and add a new one."
        )
    return (
        f"You signed in with a recovery code; {remaining} "
        f"{'remains' if remaining == 1 else 'remain'}. If you lost your "
        "phone, press “Set up your authenticator app again” below."
    )
