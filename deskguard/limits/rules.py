"""Every rate limit of deskguard, declared once: its key prefix and its rule.

A caller names a limit (`PASSWORD_ACCOUNT`) and the value it limits (an e-mail, a
client group, an account id); the key stored in the database is built here and
nowhere else, as a keyed hash under the server secret (I8): a copy of the throttle
table is not a list of every address anyone typed, and cannot be reversed with a
dictionary of e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.crypto import salted_hmac

KEY_SALT = "deskguard.limits.key"


@dataclass(frozen=True)
class Rule:
    free_failures: int  # failures allowed before delays start
    base_delay: timedelta  # delay after the first throttled failure; doubles after
    max_delay: timedelta
    lock_after: int | None = None  # hard lock, lifted only by an explicit reset
    forget_after: timedelta | None = None  # a quiet period that clears the count

    def delay(self, failures: int) -> timedelta | None:
        """The delay after `failures` consecutive failures, or None below the limit."""
        if failures < self.free_failures:
            return None
        exponent = min(failures - self.free_failures, 30)
        delay: timedelta = self.base_delay * (2**exponent)
        return min(delay, self.max_delay)

    def delay_steps(self) -> int:
        """How many doublings reach the cap (after that, every delay is the cap)."""
        steps, delay = 0, self.base_delay
        while delay < self.max_delay:
            steps, delay = steps + 1, delay * 2
        return steps


@dataclass(frozen=True)
class Key:
    """One counted thing: the stored key and the rule it is counted under."""

    key: str
    rule: Rule
    label: str  # the limit's prefix, for the audit log ("pw-account", "pw-address"...)


@dataclass(frozen=True)
class Limit:
    prefix: str
    rule: Rule

    def of(self, value: str) -> Key:
        digest = salted_hmac(KEY_SALT, f"{self.prefix}:{value}", algorithm="sha256")
        return Key(f"{self.prefix}:{digest.hexdigest()[:40]}", self.rule, self.prefix)


# C5: 5 free tries, then 30 s doubling to a 15-minute cap; after 100 consecutive
# failures the second factor locks (NIST SP 800-63B 5.2.2 caps failed attempts at 100).
SECOND_FACTOR = Limit(
    "2fa-account", Rule(5, timedelta(seconds=30), timedelta(minutes=15), lock_after=100)
)
# Passwords (I1). Per account, as above but without a hard lock (that would let anyone
# lock anyone out): every client the account does not know shares this count, so the
# account cannot be guessed faster from many addresses than from one.
PASSWORD_ACCOUNT = Limit(
    "pw-account",
    Rule(5, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)),
)
# A browser that signed in to the account before (its device cookie) is counted on its
# own, so strangers' failures never delay the owner's browser (OWASP "device cookies").
PASSWORD_DEVICE = Limit(
    "pw-device",
    Rule(5, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)),
)
# Per client address (an IPv6 /64 counts as one): more generous for shared NATs.
PASSWORD_ADDRESS = Limit(
    "pw-address",
    Rule(20, timedelta(seconds=30), timedelta(minutes=15), forget_after=timedelta(days=1)),
)
# Password-reset requests per client address, whatever the address typed (visible 429).
RESET_ADDRESS = Limit(
    "reset-address",
    Rule(10, timedelta(minutes=1), timedelta(minutes=30), forget_after=timedelta(hours=1)),
)
# I2: reset mails actually sent (counted by the mail worker): 3 an hour for each
# requesting client (or the owner's known browser) and address, and 10 an hour to one
# address from everywhere together, so nobody can flood a mailbox, and a stranger's
# requests use up only the stranger's own three.
RESET_MAIL_CLIENT = Limit(
    "reset-mail-client",
    Rule(3, timedelta(minutes=20), timedelta(hours=1), forget_after=timedelta(hours=1)),
)
RESET_MAIL_ADDRESS = Limit(
    "reset-mail-address",
    Rule(10, timedelta(minutes=20), timedelta(hours=1), forget_after=timedelta(hours=1)),
)

ALL = (
    SECOND_FACTOR,
    PASSWORD_ACCOUNT,
    PASSWORD_DEVICE,
    PASSWORD_ADDRESS,
    RESET_ADDRESS,
    RESET_MAIL_CLIENT,
    RESET_MAIL_ADDRESS,
)
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
