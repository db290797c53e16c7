"""What an administrator's action will do, in words, for its confirmation page (I10):
the account named, what is removed, what changes at the next sign-in, and who is
told by e-mail. Each function matches the flow it describes; keep them in step.
Whole sentences go through gettext, in the administrator's language (L4)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deskguard.accounts.models import Kind, User
from deskguard.accounts.portal import Portal
from deskguard.sso.services import sso_providers_for_portal
from deskguard.twofactor import services
from deskguard.twofactor.admin_flows import adoption_overview
from deskguard.twofactor.models import SecurityKey, SecurityPolicy, TOTPDevice
from deskguard.twofactor.policy import twofactor_active, twofactor_enforced


def _no_mail() -> str:
    return _("No email is sent.")


def _with_2fa(kind: Kind) -> tuple[int, int]:
    """(accounts of `kind` with 2FA, without), active accounts only."""
    adoption = next(a for a in adoption_overview() if a.kind == kind)
    return adoption.with_2fa, adoption.without_2fa


def disable_2fa(*, admin: User, target: User, policy: SecurityPolicy) -> list[str]:
    """twofactor.admin_flows.admin_twofactor_disable."""
    codes = services.recovery_codes_remaining(user=target)
    # K3: every factor goes, named as the holder knows them.
    keys = SecurityKey.objects.filter(user=target).count()
    factors = [_("authenticator app")] if TOTPDevice.objects.filter(user=target).exists() else []
    if keys:
        factors.append(
            ngettext("%(count)d security key", "%(count)d security keys", keys) % {"count": keys}
        )
    unused = ngettext(
        "%(count)d unused recovery code", "%(count)d unused recovery codes", codes
    ) % {"count": codes}
    removed = [*factors, unused]
    listed = ", ".join(removed[:-1]) + _(" and ") + removed[-1] if len(removed) > 1 else removed[0]
    # The verb agrees with the list: one thing only when it is a single code.
    things = 1 if len(removed) == 1 and codes == 1 else 2
    lines = [
        ngettext("%(name)s's %(listed)s is removed.", "%(name)s's %(listed)s are removed.", things)
        % {"name": target.display_name, "listed": listed},
    ]
    if target.pk == admin.pk:
        lines.append(
            _(
                "This is your own account: you stay signed in here and your other sessions "
                "are signed out. You leave sudo mode, and confirming an action like this one "
                "needs two-factor authentication again."
            )
        )
    else:
        lines.append(_("They are signed out everywhere."))
    if twofactor_enforced(target, policy):
        if target.kind == Kind.AGENT:
            lines.append(
                _(
                    "Two-factor authentication is enforced for agents, so they must set up "
                    "two-factor authentication again at their next sign-in."
                )
            )
        else:
            lines.append(
                _(
                    "Two-factor authentication is enforced for contacts, so they must set up "
                    "two-factor authentication again at their next sign-in."
                )
            )
    else:
        lines.append(_("Their next sign-in asks for their password only."))
    lines.append(_("%(email)s is told by email.") % {"email": target.email})
    return lines


def resend_codes(*, admin: User, target: User, policy: SecurityPolicy) -> list[str]:
    """twofactor.admin_flows.admin_recovery_resend."""
    return [
        _(
            "A new set of 10 recovery codes is emailed to %(email)s. Their current "
            "codes stop working as soon as the mail server accepted the new ones."
        )
        % {"email": target.email},
        _(
            "Their authenticator app keeps working, and a lock after too many wrong codes "
            "is lifted. After signing in with a mailed code they set up their app again."
        ),
        _("%(email)s is told by email (the message holds the new codes).")
        % {"email": target.email},
    ]


def deactivate(*, admin: User, target: User, policy: SecurityPolicy) -> list[str]:
    """accounts.services.user_deactivate."""
    lines = [
        _(
            "%(name)s can no longer sign in, with a password or with single "
            "sign-on. Their open sessions end at their next request."
        )
        % {"name": target.display_name},
        _("Their tickets, messages and audit history stay."),
    ]
    if target.is_admin:
        lines.append(_("They lose access to Admin Settings."))
    lines.append(
        _no_mail()
        + " "
        + _("A deactivated account receives no mail, and mail still queued for it is not sent.")
    )
    return lines


def invite_administrator(*, email: str, name: str) -> list[str]:
    """accounts.services.user_create with is_admin."""
    who = f"{name} <{email}>" if name else email
    return [
        _("%(who)s is invited as an administrator of the Agent Portal.") % {"who": who},
        _(
            "Once they chose a password they can change every security setting, turn off "
            "two-factor authentication for any account, deactivate accounts, manage single "
            "sign-on and read the audit log."
        ),
        _("An invitation with a link to choose a password is emailed to %(email)s.")
        % {"email": email},
    ]


def policy_change(
    *, diff: dict[str, list[bool]], labels: dict[str, str], admin: User | None = None
) -> list[str]:
    """twofactor.admin_flows.policy_update: one line per changed setting."""
    lines: list[str] = []
    for name, (_old, new) in diff.items():
        label = labels.get(name, name)
        switched = (
            _("“%(setting)s” is switched on") if new else _("“%(setting)s” is switched off")
        ) % {"setting": label}
        lines.append(f"{switched}. {_POLICY_TEXT[name, new]()}")
    if admin is not None and diff.get("agents_enforce_2fa", [False, False])[1]:
        if not twofactor_active(admin):
            lines.append(
                _(
                    "You do not use two-factor authentication yourself: you are asked to set "
                    "it up at your next request too."
                )
            )
    lines.append(_no_mail() + " " + _("The change applies to every account at its next request."))
    return lines


def enforcement_impact(kind: Kind) -> str:
    """D1/D2: how many active accounts of `kind` enforcement sends to enrollment,
    counted in one query (the adoption summary, J5: the same cost at any size)."""
    _with, without = _with_2fa(kind)
    if kind == Kind.AGENT:
        if without == 0:
            return _(
                "Every agent already uses 2FA: nobody is asked to set it up now. New "
                "agents set it up at their first sign-in."
            )
        return ngettext(
            "%(count)d agent will be asked to set up 2FA at their next request, "
            "and can reach nothing else until it is done.",
            "%(count)d agents will be asked to set up 2FA at their next request, "
            "and can reach nothing else until it is done.",
            without,
        ) % {"count": without}
    if without == 0:
        return _(
            "Every contact already uses 2FA: nobody is asked to set it up now. New "
            "contacts set it up at their first sign-in."
        )
    return ngettext(
        "%(count)d contact will be asked to set up 2FA at their next request, "
        "and can reach nothing else until it is done.",
        "%(count)d contacts will be asked to set up 2FA at their next request, "
        "and can reach nothing else until it is done.",
        without,
    ) % {"count": without}


def _agents_enforced() -> str:
    return enforcement_impact(Kind.AGENT) + " " + _("This includes administrators.")


def _contacts_enforced() -> str:
    return enforcement_impact(Kind.CONTACT)


def _allow_off() -> str:
    using, _without = _with_2fa(Kind.CONTACT)
    return ngettext(
        "Contacts without two-factor authentication can no longer set it up, and their "
        "Security page disappears. The %(count)d contact who uses it keeps it: their "
        "sign-in still asks for a code, and they can still turn it off themselves.",
        "Contacts without two-factor authentication can no longer set it up, and their "
        "Security page disappears. The %(count)d contacts who use it keep it: their "
        "sign-in still asks for a code, and they can still turn it off themselves.",
        using,
    ) % {"count": using}


def _sso_creates_contacts() -> str:
    names = ", ".join(p.name for p in sso_providers_for_portal(portal=Portal.CUSTOMER))
    return (
        _(
            "Anyone whose email address an enabled single sign-on provider of the Customer "
            "Portal verifies gets a contact account at their first sign-in, without a "
            "password or second factor."
        )
        + " "
        + (
            _("Providers that can do this now: %(names)s.") % {"names": names}
            if names
            else _("No provider can now.")
        )
    )


_POLICY_TEXT: dict[tuple[str, bool], Callable[[], str]] = {
    ("agents_enforce_2fa", True): _agents_enforced,
    ("agents_enforce_2fa", False): lambda: _(
        "Agents without two-factor authentication are no longer taken to set it up; "
        "agents who use it keep it and may now turn it off themselves."
    ),
    ("contacts_enforce_2fa", True): _contacts_enforced,
    ("contacts_enforce_2fa", False): lambda: _(
        "Contacts are no longer required to use two-factor authentication; those who use "
        "it keep it, and they (or an administrator) may now turn it off."
    ),
    ("contacts_allow_2fa", True): lambda: _(
        "Contacts can set up two-factor authentication under My Profile → Security."
    ),
    ("contacts_allow_2fa", False): _allow_off,
    ("sso_create_contacts", True): _sso_creates_contacts,
    ("sso_create_contacts", False): lambda: _("Single sign-on signs in existing contacts only."),
    ("agents_allow_keys", True): lambda: _("Agents can add security keys and passkeys."),
    ("agents_allow_keys", False): lambda: _(
        "Agents can no longer add security keys; keys already added keep working."
    ),
    ("contacts_allow_keys", True): lambda: _("Contacts can add security keys and passkeys."),
    ("contacts_allow_keys", False): lambda: _(
        "Contacts can no longer add security keys; keys already added keep working."
    ),
}
