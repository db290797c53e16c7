"""An account's recent security activity as its holder reads it (L2): one row per
sign-in, however many audit rows it took.

A sign-in with a second step writes a failed code or two, maybe a recovery code's
use, then the success; a wrong password before it is part of the same attempt. The
audit log keeps each row (E1); the Security page folds the rows of one attempt
(same browser and address, minutes apart) into one line that says how it ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deskguard.accounts.models import User

from .models import AuditEvent, Event
from .words import method_in_words

# The pending sign-in lives 5 minutes (signin/pending.py); a little more covers a
# wrong password typed just before it.
ATTEMPT_WINDOW = dt.timedelta(minutes=10)
# Rows read to make the page's lines: folding never needs more than a few per line.
READ_LIMIT = 80

_ATTEMPT_EVENTS = frozenset(
    {
        Event.SIGNIN_FAILED,
        Event.SIGNIN_THROTTLED,
        Event.SECOND_FACTOR_FAILED,
        Event.SECOND_FACTOR_REPLAYED,
        Event.SECOND_FACTOR_THROTTLED,
        Event.SECOND_FACTOR_LOCKED,
        Event.RECOVERY_USED,
        Event.SIGNIN_SUCCEEDED,
    }
)
_WRONG_CODE_EVENTS = frozenset({Event.SECOND_FACTOR_FAILED, Event.SECOND_FACTOR_REPLAYED})


@dataclass
class Activity:
    """One line of the Security page's activity table."""

    at: dt.datetime
    what: str
    how: str = ""
    ip: str | None = None
    user_agent: str = ""
    events: list[AuditEvent] = field(default_factory=list)
    signed_out_at: dt.datetime | None = None

    @property
    def is_signin(self) -> bool:
        return any(e.event in _ATTEMPT_EVENTS for e in self.events)


def _same_attempt(line: Activity, event: AuditEvent) -> bool:
    first = line.events[0]
    return (
        line.is_signin
        and not any(e.event == Event.SIGNIN_SUCCEEDED for e in line.events)
        and (event.ip, event.user_agent) == (first.ip, first.user_agent)
        and event.at - line.events[-1].at <= ATTEMPT_WINDOW
    )


def _wrong_passwords(count: int) -> str:
    return ngettext("%(count)d wrong password", "%(count)d wrong passwords", count) % {
        "count": count
    }


def _wrong_codes(count: int) -> str:
    return ngettext("%(count)d wrong code", "%(count)d wrong codes", count) % {"count": count}


def _describe_attempt(line: Activity) -> None:
    events = [e.event for e in line.events]
    wrong_passwords = events.count(Event.SIGNIN_FAILED)
    wrong_codes = sum(1 for e in events if e in _WRONG_CODE_EVENTS)
    troubles = []
    if wrong_passwords:
        troubles.append(_wrong_passwords(wrong_passwords))
    if wrong_codes:
        troubles.append(_wrong_codes(wrong_codes))
    succeeded = next((e for e in line.events if e.event == Event.SIGNIN_SUCCEEDED), None)
    if succeeded is not None:
        line.what = _("Signed in")
        line.how = method_in_words(succeeded.method)
        if troubles:
            line.how += " " + _("(after %(troubles)s)") % {"troubles": _(" and ").join(troubles)}
    elif Event.SECOND_FACTOR_LOCKED in events:
        line.what = _("Sign-in refused: codes locked")
        line.how = ", ".join(troubles)
    elif Event.SIGNIN_THROTTLED in events or Event.SECOND_FACTOR_THROTTLED in events:
        line.what = _("Sign-in paused after wrong attempts")
        line.how = ", ".join(troubles)
    elif wrong_codes:
        line.what = _("Sign-in not completed: right password, wrong code")
        line.how = _wrong_codes(wrong_codes)
    else:
        line.what = _("Sign-in failed")
        line.how = _wrong_passwords(wrong_passwords)


def security_activity(*, user: User, limit: int = 10) -> list[Activity]:
    """The newest `limit` lines of the account's activity, newest first."""
    events = list(AuditEvent.objects.filter(subject=user)[:READ_LIMIT])
    events.reverse()  # oldest first: an attempt is built in the order it happened
    lines: list[Activity] = []
    for event in events:
        open_line = next((line for line in reversed(lines) if line.is_signin), None)
        if event.event in _ATTEMPT_EVENTS:
            if open_line is not None and _same_attempt(open_line, event):
                open_line.events.append(event)
                open_line.at = event.at
            else:
                lines.append(
                    Activity(
                        at=event.at,
                        what="",
                        ip=event.ip,
                        user_agent=event.user_agent,
                        events=[event],
                    )
                )
        elif (
            event.event == Event.SIGNOUT
            and open_line is not None
            and open_line.signed_out_at is None
            and any(e.event == Event.SIGNIN_SUCCEEDED for e in open_line.events)
            and (event.ip, event.user_agent) == (open_line.ip, open_line.user_agent)
        ):
            open_line.signed_out_at = event.at
        else:
            lines.append(
                Activity(
                    at=event.at,
                    what=event.get_event_display(),
                    how=method_in_words(event.method),
                    ip=event.ip,
                    user_agent=event.user_agent,
                    events=[event],
                )
            )
    for line in lines:
        if line.is_signin:
            _describe_attempt(line)
    lines.reverse()
    return lines[:limit]
