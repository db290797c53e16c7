"""Request-aware security-key and factor steps (K1, K3, K5): add a key, rename it,
remove a factor. Writes in keys.py/services.py; each change is audited and mailed in
its own transaction (events.security_event)."""

from __future__ import annotations

import secrets
from enum import Enum

from django.db import transaction
from django.http import HttpRequest

from deskguard.accounts.models import User
from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.throttle import throttle_clear

from . import keys, services, webauthn
from .flows import Fresh, fresh_codes_put
from .forms import ReauthForm
from .models import FactorKind, SecondFactor, SecurityKey
from .policy import keys_usable
from .verify import Factor, KeyAttempt, Result, second_factor_verify

SESSION_NONCE = "dg.webauthn"


def session_binding(request: HttpRequest) -> str:
    """What a registration or re-authentication challenge is bound to: a random value
    of this browser session (gone at sign-out, when the session is flushed)."""
    nonce = request.session.get(SESSION_NONCE)
    if not isinstance(nonce, str):
        nonce = secrets.token_urlsafe(24)
        request.session[SESSION_NONCE] = nonce
    return keys.binding_of(nonce)


def key_add(request: HttpRequest, *, user: User, name: str, reply: webauthn.Reply) -> SecurityKey:
    """K1: register a key (raises keys.RegistrationRefused). The account's first factor
    turns 2FA on and comes with recovery codes, shown once like after enrolling an app."""
    registered = keys.registration_check(user=user, reply=reply, binding=session_binding(request))
    with transaction.atomic():
        # The account's factors, locked: two first keys added at once make one set of codes.
        first = not list(SecondFactor.objects.select_for_update().filter(user=user))
        key = keys.key_store(user=user, name=name, registered=registered)
        detail = {"key": key.label, "factor": key.pk, "first": first}
        security_event(event=Event.KEY_ADDED, request=request, subject=user, detail=detail)
        codes = None
        if first:
            codes = services.recovery_codes_replace(user=user)
            throttle_clear(services.throttle_key(user))
            security_event(
                event=Event.ENROLLED,
                request=request,
                subject=user,
                detail={"factor": "key", "key": key.label},
            )
            security_event(event=Event.RECOVERY_GENERATED, request=request, subject=user)
    if codes is not None:
        fresh_codes_put(request, codes, after=Fresh.ENROLLED)
    return key


@transaction.atomic
def key_rename(request: HttpRequest, *, user: User, key: SecurityKey, name: str) -> None:
    keys.key_rename(key=key, name=name)
    security_event(
        event=Event.KEY_RENAMED,
        request=request,
        subject=user,
        detail={"factor": key.pk, "before": key.label, "key": name[: keys.NAME_MAX]},
    )


class Removal(Enum):
    REMOVED = "removed"  # other factors remain
    TURNED_OFF = "turned_off"  # it was the last: 2FA is off
    REFUSED = "refused"  # it is the last and 2FA is enforced
    GONE = "gone"  # removed meanwhile (another tab)


def factor_remove(
    request: HttpRequest, *, user: User, factor: SecondFactor, enforced: bool
) -> Removal:
    """K3: remove one factor. Removing the last one turns 2FA off: its recovery codes go
    too, as when 2FA is turned off; under enforcement (`enforced`) that is refused. The
    account's factors are locked while deciding, so two removals at once cannot both
    think another factor remains."""
    with transaction.atomic():
        factors = list(SecondFactor.objects.select_for_update().filter(user=user))
        if factor.pk not in {f.pk for f in factors}:
            return Removal.GONE
        last = len(factors) == 1
        if last and enforced:
            return Removal.REFUSED
        is_key = factor.kind == FactorKind.KEY
        detail = {"key": factor.label, "factor": factor.pk, "last": last}
        if last:
            services.factors_remove(user=user)
        else:
            SecondFactor.objects.filter(pk=factor.pk).delete()
        security_event(
            event=Event.KEY_REMOVED if is_key else Event.APP_REMOVED,
            request=request,
            subject=user,
            detail=detail,
        )
        if last:
            security_event(event=Event.DISABLED, request=request, subject=user)
    return Removal.TURNED_OFF if last else Removal.REMOVED


# Re-authentication with a code or a key (K3) -----------------------------------


def reauth_verify(request: HttpRequest, *, user: User, form: ReauthForm) -> Result:
    """Password and a code, or password and a security key (K3), under the account's
    second-factor limit."""
    factor = form.cleaned_data["factor"]
    key = None
    if factor is Factor.KEY:
        binding = session_binding(request)
        key = KeyAttempt(form.cleaned_data["reply"], keys.Purpose.REAUTH, binding)
    return second_factor_verify(
        request,
        user=user,
        factor=factor,
        code=form.cleaned_data["code"],
        password=form.cleaned_data["password"],
        key=key,
    )


def reauth_key_options(request: HttpRequest, user: User) -> str:
    """The options for proving it is them with a key, if they have one that works here."""
    if not keys_usable(user):
        return ""
    return keys.authentication_options(
        user=user, purpose=keys.Purpose.REAUTH, binding=session_binding(request)
    )
