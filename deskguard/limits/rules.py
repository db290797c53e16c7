"""Every rate limit of deskguard, declared once: its key prefix and its rule.

A caller names a limit (`limits.PASSWORD_ACCOUNT`) and the value it limits (an
e-mail, a client address, an account id); the key stored in the database is built
here and nowhere else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Rule:
    free_failures: int  # failures allowed before delays start
    base_delay: timedelta  # delay after the first throttled failure; doubles after
    max_delay: timedelta
    lock_after: int | None = None  # hard lock, lifted only by an explicit reset
    forget_after: timedelta | None = None  # a quiet period that clears the count


@dataclass(frozen=True)
class Key:
    """One counted thing: the stored key and the rule it is counted under."""

    key: str
    rule: Rule


@dataclass(frozen=True)
class Limit:
    prefix: str
    rule: Rule

    def of(self, value: str) -> Key:
        """The counter for `value`. Hashed: the table must not become a list of every
        address anyone ever typed."""
        digest = hashlib.sha256(value.encode()).hexdigest()[:40]
        return Key(f"{self.prefix}:{digest}", self.rule)


# C5: 5 free tries, then 30 s doubling to a 15-minute cap; after 100 consecutive
# failures the second factor locks (NIST SP 800-63B 5.2.2 caps failed attempts at 100).
SECOND_FACTOR = Limit(
    "2fa-account", Rule(5, timedelta(seconds=30), timedelta(minutes=15), lock_after=100)
)
# Passwords: per account as above but without a hard lock (that would let anyone
# lock anyone out); per client address more generous for shared NATs.
PASSWORD_ACCOUNT = Limit(
    "pw-account",
    Rule(5, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)),
)
PASSWORD_ADDRESS = Limit(
    "pw-address",
    Rule(20, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)),
)
# Password-reset requests, counted whether or not the address has an account:
# 3 mails an hour per address typed, 10 requests before delays per client address.
RESET_EMAIL = Limit(
    "reset-email",
    Rule(3, timedelta(minutes=20), timedelta(hours=1), forget_after=timedelta(hours=1)),
)
RESET_ADDRESS = Limit(
    "reset-address",
    Rule(10, timedelta(minutes=1), timedelta(minutes=30), forget_after=timedelta(hours=1)),
)

ALL = (SECOND_FACTOR, PASSWORD_ACCOUNT, PASSWORD_ADDRESS, RESET_EMAIL, RESET_ADDRESS)
# Limits whose count must outlive a quiet day: their hard lock must not lapse.
KEPT_WHILE_FAILING = (SECOND_FACTOR,)

# I3: SSO starts per client address, counted whether they succeed or not. A person
# presses the button once or twice per sign-in; 30 covers a busy office behind one
# address. Past that, one start per 10 s, doubling to one per 5 minutes, until the
# address has been quiet for 15 minutes. Each start writes a session and may call
# the provider, so one client looping on the URL must not be free.
SSO_START_ADDRESS = Limit(
    "sso-start-address",
    Rule(30, timedelta(seconds=10), timedelta(minutes=5), forget_after=timedelta(minutes=15)),
)
