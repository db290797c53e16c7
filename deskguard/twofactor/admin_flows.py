"""Administrator actions on policies and on other people's second factor (D1-D5, F5)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import Count, Sum
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deskguard.accounts.models import Kind, User
from deskguard.audit.models import Event
from deskguard.audit.services import COMMAND_LINE
from deskguard.events import security_event
from deskguard.limits.throttle import throttle_clear

from . import services
from .models import AdoptionCount, SecurityPolicy
from .policy import has_2fa, policy_current, twofactor_active, twofactor_enforced

POLICY_FIELDS = (
    "agents_enforce_2fa",
    "contacts_allow_2fa",
    "contacts_enforce_2fa",
    "sso_create_contacts",
    "agents_allow_keys",
    "contacts_allow_keys",
)


# I10: the value of each setting that makes accounts weaker than before. Switching a
# setting to it needs sudo mode and a confirmation; the other direction does not.
WEAK_VALUES = {
    "agents_enforce_2fa": False,
    "contacts_allow_2fa": False,
    "contacts_enforce_2fa": False,
    # On, anyone a provider vouches for gets an account with no password or 2FA.
    "sso_create_contacts": True,
    # K4: "allow security keys" weakens nothing either way: off, keys already added keep
    # working (as I11 for the app) and accounts still have 2FA; on adds an option.
}


class ActionRefused(Exception):
    """An administrator action the rules forbid; the message is shown to them."""


# D1/D2: switching enforcement on sends accounts to enrollment at their next request;
# the administrator sees how many before it applies (no sudo mode: it weakens nothing).
ENFORCING_VALUES = {"agents_enforce_2fa": True, "contacts_enforce_2fa": True}

CONTACTS_ENFORCED_NOT_ALLOWED = _(
    "Two-factor authentication cannot be enforced for contacts while it is not allowed "
    "for them. Turn on “Allow two-factor authentication for contacts” as well, or leave "
    "enforcement off. Nothing was saved."
)


class ConfirmationNeeded(ActionRefused):
    """The change weakens the policy or enforces 2FA, and the administrator has not
    seen its confirmation page."""

    def __init__(self, unconfirmed: list[str]) -> None:
        super().__init__(gettext("Confirm the change first."))
        self.unconfirmed = unconfirmed


def policy_refusal(values: dict[str, bool]) -> str | None:
    """Why a combination of settings is refused (D2), or None. Enforcing 2FA for
    contacts while not allowing it would require what is barred; it is refused, never
    silently corrected."""
    if values.get("contacts_enforce_2fa") and not values.get("contacts_allow_2fa"):
        return str(CONTACTS_ENFORCED_NOT_ALLOWED)
    return None


def policy_diff(policy: SecurityPolicy, changes: dict[str, bool]) -> dict[str, list[bool]]:
    """The settings `changes` would change, as {name: [before, after]}."""
    return {
        name: [getattr(policy, name), bool(value)]
        for name, value in changes.items()
        if name in POLICY_FIELDS and getattr(policy, name) != bool(value)
    }


def policy_weakening(diff: dict[str, list[bool]]) -> list[str]:
    """The settings of `diff` that weaken accounts (I10)."""
    return [name for name, (_, new) in diff.items() if WEAK_VALUES.get(name) is new]


def policy_to_confirm(diff: dict[str, list[bool]]) -> list[str]:
    """The settings of `diff` that apply only after their confirmation page: those that
    weaken accounts (I10) and those that enforce 2FA (its impact, D1/D2)."""
    return [
        name
        for name, (_, new) in diff.items()
        if WEAK_VALUES.get(name) == new or ENFORCING_VALUES.get(name) == new
    ]


@transaction.atomic
def policy_update(
    request: HttpRequest,
    *,
    admin: User,
    changes: dict[str, bool],
    confirmed: Collection[str] = (),
) -> list[str]:
    """D5: change some policy fields; every change is recorded with before and after.

    The row is locked so two administrators saving at once cannot lose an update, and
    a change that weakens or enforces a setting the administrator did not confirm
    (`confirmed`, what their confirmation page showed) is refused with
    ConfirmationNeeded: decided under the lock, so another administrator's save in
    between cannot slip one in. An invalid combination (policy_refusal) is refused
    with ActionRefused and nothing is saved.
    """
    SecurityPolicy.objects.get_or_create(pk=1)  # a test flush may have removed the row
    policy = SecurityPolicy.objects.select_for_update().get(pk=1)
    after = {name: bool(changes.get(name, getattr(policy, name))) for name in POLICY_FIELDS}
    if refusal := policy_refusal(after):
        raise ActionRefused(refusal)
    diff = policy_diff(policy, changes)
    unconfirmed = set(policy_to_confirm(diff)) - set(confirmed)
    if unconfirmed:
        raise ConfirmationNeeded(sorted(unconfirmed))
    for name, (_old, new) in diff.items():
        setattr(policy, name, new)
    if diff:
        policy.save()
        security_event(
            event=Event.POLICY_CHANGED, request=request, actor=admin, detail={"changes": diff}
        )
    return list(diff)


def disable_refusal(*, admin: User, target: User) -> str | None:
    """Why an administrator may not disable `target`'s 2FA, or None if they may."""
    if not admin.is_admin:
        return gettext("Only administrators can do this.")
    if target.kind == Kind.CONTACT and twofactor_enforced(target, policy_current()):
        return gettext(
            "Two-factor authentication is enforced for all contacts, so it cannot be "
            "turned off for one contact. Resend recovery codes instead."
        )
    if not twofactor_active(target):
        return gettext("%(email)s does not have two-factor authentication on.") % {
            "email": target.email
        }
    return None


def admin_twofactor_disable(request: HttpRequest, *, admin: User, target: User) -> None:
    """D3 (agents) and D4 (contacts, only while contact enforcement is off): remove the
    authenticator and recovery codes, sign the account out everywhere, mail it."""
    if refusal := disable_refusal(admin=admin, target=target):
        raise ActionRefused(refusal)
    with transaction.atomic():
        services.factors_remove(user=target)
        target.sessions_revoke()
        if request.user.pk == target.pk:
            update_session_auth_hash(request, target)  # keep the administrator's own session
        security_event(event=Event.ADMIN_DISABLED, request=request, actor=admin, subject=target)


def resend_refusal(*, admin: User, target: User) -> str | None:
    if not admin.is_admin:
        return gettext("Only administrators can do this.")
    if target.kind != Kind.CONTACT:
        return gettext("Recovery codes can be resent to contacts only.")
    if not twofactor_active(target):
        return gettext("%(email)s does not have two-factor authentication on.") % {
            "email": target.email
        }
    return None


def admin_recovery_resend(request: HttpRequest, *, admin: User, target: User) -> None:
    """D4: a fresh set of recovery codes is e-mailed to the contact. The mail worker
    makes the set when it sends the message, and the old set dies only once the mail
    server accepted it (H2, H3). The lock on the account's codes is lifted now."""
    if refusal := resend_refusal(admin=admin, target=target):
        raise ActionRefused(refusal)
    with transaction.atomic():
        throttle_clear(services.throttle_key(target))
        security_event(event=Event.RECOVERY_RESENT, request=request, actor=admin, subject=target)


@transaction.atomic
def break_glass_reset(*, target: User) -> bool:
    """F5: the command-line reset for when the only administrator is locked out."""
    removed = services.factors_remove(user=target)
    target.sessions_revoke()
    security_event(
        event=Event.BREAK_GLASS_RESET,
        subject=target,
        actor_label=COMMAND_LINE,
        detail={"device_removed": removed},
    )
    return removed


@dataclass(frozen=True)
class Adoption:
    kind: Kind
    total: int
    with_2fa: int

    @property
    def without_2fa(self) -> int:
        return self.total - self.with_2fa

    @property
    def percent(self) -> int:
        return round(100 * self.with_2fa / self.total) if self.total else 0


def adoption_overview() -> list[Adoption]:
    """J5: how many active agents and contacts have 2FA, from the summary the database
    triggers keep (models.AdoptionCount): a few dozen rows, at any number of accounts."""
    rows: dict[str, tuple[int, int]] = {
        row["kind"]: (row["total"], row["with_2fa"])
        for row in AdoptionCount.objects.values("kind")
        .annotate(total=Sum("total"), with_2fa=Sum("with_2fa"))
        .order_by()
    }
    return [Adoption(kind, *rows.get(kind, (0, 0))) for kind in (Kind.AGENT, Kind.CONTACT)]


def adoption_recount() -> list[Adoption]:
    """The same numbers counted from every account: what the summary must always equal
    (tests), and a check after restoring a database without its triggers."""
    rows: dict[str, tuple[int, int]] = {
        row["kind"]: (row["total"], row["with_2fa"])
        for row in User.objects.filter(is_active=True)
        .values("kind")
        .annotate(total=Count("id"), with_2fa=Count("id", filter=has_2fa()))
    }
    return [Adoption(kind, *rows.get(kind, (0, 0))) for kind in (Kind.AGENT, Kind.CONTACT)]
