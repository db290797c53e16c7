"""Admin Settings pages for 2FA policy and assistance (D1-D5). Thin: each calls one
flow in twofactor/admin_flows.py. What weakens an account or the policy goes through
sudo mode and a confirmation page first (I10)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_stubs_ext import StrPromise

from deskguard.accounts.models import Kind, User
from deskguard.accounts.services import deactivate_refusal, user_deactivate
from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals.access import admin_required
from deskguard.twofactor import admin_flows
from deskguard.twofactor.models import SecurityPolicy
from deskguard.twofactor.policy import policy_current, twofactor_active
from deskguard.twofactor.sudo import sudo_active

from . import consequences
from .confirmation import confirmation_page, submitted_clear, submitted_get, submitted_put
from .sudo import sudo_redirect

# K4. The https/localhost rule is the browsers' (README, "Security keys and passkeys").
KEYS_HELP = _(
    "Offered as a second factor next to the authenticator app, where browsers allow them: "
    "when the helpdesk's address (DESKGUARD_BASE_URL) is https, or localhost. Keys already "
    "added keep working when this is switched off."
)


class PolicyForm(forms.Form):
    # The page's headings and the fields under each, in order.
    sections: tuple[tuple[str | StrPromise, tuple[str, ...]], ...] = ()

    def grouped(self) -> list[tuple[str | StrPromise, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.sections]


class AgentLoginPolicyForm(PolicyForm):
    sections = (
        (_("Two-factor authentication (2FA)"), ("agents_enforce_2fa", "agents_allow_keys")),
    )

    agents_enforce_2fa = forms.BooleanField(
        required=False,
        label=_("Enforce two-factor authentication (2FA) for all agents"),
        help_text=_(
            "Administrators included. Agents without 2FA must set it up at their next "
            "request. Single sign-on logins are not affected."
        ),
    )
    agents_allow_keys = forms.BooleanField(
        required=False,
        label=_("Allow security keys and passkeys for agents"),
        help_text=KEYS_HELP,
    )


class CustomerSecurityPolicyForm(PolicyForm):
    sections = (
        (
            _("Two-factor authentication (2FA)"),
            ("contacts_allow_2fa", "contacts_enforce_2fa", "contacts_allow_keys"),
        ),
        (_("Single sign-on (SSO)"), ("sso_create_contacts",)),
    )

    contacts_allow_2fa = forms.BooleanField(
        required=False,
        label=_("Allow two-factor authentication for contacts"),
        help_text=_(
            "Contacts turn it on from My Profile → Security. When off, contacts without "
            "2FA see no 2FA option and cannot set it up. Contacts who already use 2FA keep "
            "it: their sign-in still asks for a code, and they can still turn it off "
            "themselves."
        ),
    )
    contacts_enforce_2fa = forms.BooleanField(
        required=False,
        label=_("Enforce two-factor authentication (2FA) for all contacts"),
        help_text=_(
            "Every contact without 2FA must set it up at their next request. Needs "
            "“Allow two-factor authentication for contacts” on."
        ),
    )
    contacts_allow_keys = forms.BooleanField(
        required=False,
        label=_("Allow security keys and passkeys for contacts"),
        help_text=KEYS_HELP,
    )
    sso_create_contacts = forms.BooleanField(
        required=False,
        label=_("Create a contact at the first single sign-on"),
        help_text=_("Otherwise single sign-on only signs in contacts that already exist."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # D2: refused with the reason, never silently corrected (nothing is saved).
        if refusal := admin_flows.policy_refusal(data):
            self.add_error("contacts_enforce_2fa", refusal)
        return data


POLICY_PAGES: dict[str, tuple[type[PolicyForm], StrPromise, StrPromise]] = {
    "agent-login": (AgentLoginPolicyForm, _("Agent Portal"), _("Login")),
    "customer-security": (CustomerSecurityPolicyForm, _("Customer Portal"), _("Security")),
}


def policy_labels() -> dict[str, str]:
    """The settings' names in the reader's language (L4), for the confirmation page."""
    return {
        name: str(field.label)
        for form_class, _area, _tab in POLICY_PAGES.values()
        for name, field in form_class.base_fields.items()
    }


POLICY = "policy"


@admin_required
@require_http_methods(["GET", "POST"])
def policy_page(request: AuthenticatedHttpRequest, page: str) -> HttpResponse:
    form_class, area, tab = POLICY_PAGES[page]
    admin = request.user
    policy = policy_current(request)
    initial = {name: getattr(policy, name) for name in form_class.base_fields}
    form = form_class(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = admin_flows.policy_update(request, admin=admin, changes=form.cleaned_data)
        except admin_flows.ConfirmationNeeded:
            # I10: it weakens the policy, or D1/D2: it enforces 2FA (its impact is shown
            # first). Kept for the confirmation page, which comes after the
            # re-authentication if it weakens and the administrator is not in sudo mode.
            submitted_put(request, POLICY, {"page": page, **form.cleaned_data}, secret=False)
            return redirect("agent:admin-policy-confirm")
        except admin_flows.ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, gettext("Saved.") if changed else gettext("Nothing changed."))
            return redirect(f"agent:admin-policy-{page}")
    return render(
        request,
        "agent/admin/policy.html",
        {
            "form": form,
            # Enforcement includes administrators: say so before it locks this one out.
            "self_without_2fa": page == "agent-login" and not twofactor_active(admin),
            "area": area,
            "area_tab": tab,
            "tab": page,
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def policy_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """I10: a policy change that weakens a setting, or D1/D2: one that enforces 2FA,
    stated with its impact, then applied as shown. Only a weakening change needs sudo
    mode; enforcing needs the administrator to have seen how many it sends to
    enrollment."""
    submitted = submitted_get(request, POLICY, secret=False)
    page = str(submitted.data.get("page")) if submitted else ""
    if submitted is None or page not in POLICY_PAGES:
        messages.info(request, gettext("There is no change waiting for your confirmation."))
        return redirect("agent:admin")
    changes = {k: bool(v) for k, v in submitted.data.items() if k in admin_flows.POLICY_FIELDS}
    diff = admin_flows.policy_diff(policy_current(request), changes)
    if admin_flows.policy_weakening(diff) and not sudo_active(request):
        # Outside sudo mode the page (GET) or the action (POST) is not reached.
        return sudo_redirect(request)
    shown = submitted.shown if isinstance(submitted.shown, list) else []
    if request.method == "POST":
        try:
            admin_flows.policy_update(request, admin=request.user, changes=changes, confirmed=shown)
        except admin_flows.ConfirmationNeeded:
            messages.warning(
                request, gettext("The settings changed meanwhile. Check the change again.")
            )
            return redirect("agent:admin-policy-confirm")
        except admin_flows.ActionRefused as refused:
            submitted_clear(request, POLICY)
            messages.error(request, str(refused))
            return redirect(f"agent:admin-policy-{page}")
        submitted_clear(request, POLICY)
        messages.success(request, gettext("Saved."))
        return redirect(f"agent:admin-policy-{page}")
    if not diff:
        submitted_clear(request, POLICY)
        messages.info(request, gettext("Nothing changed: the settings are already like that."))
        return redirect(f"agent:admin-policy-{page}")
    to_confirm = admin_flows.policy_to_confirm(diff)
    submitted_put(request, POLICY, submitted.data, shown=to_confirm, secret=False)
    area, tab = POLICY_PAGES[page][1:]
    return confirmation_page(
        request,
        title=gettext("Change %(area)s · %(tab)s") % {"area": area, "tab": tab},
        consequences=consequences.policy_change(
            diff=diff, labels=policy_labels(), admin=request.user
        ),
        button=gettext("Save the change"),
        cancel=reverse(f"agent:admin-policy-{page}"),
        tab=page,
        # A change that only strengthens accounts is not a dangerous button.
        danger=bool(admin_flows.policy_weakening(diff)),
    )


Describe = Callable[..., list[str]]


@dataclass(frozen=True)
class Action:
    title: StrPromise
    describe: Describe
    refusal: Callable[..., str | None]
    flow: Callable[..., None]
    done: StrPromise
    # I10: the action weakens the account: sudo mode first.
    sudo: bool


def _deactivate(request: AuthenticatedHttpRequest, *, admin: User, target: User) -> None:
    if refusal := deactivate_refusal(admin=admin, target=target):
        raise admin_flows.ActionRefused(refusal)
    user_deactivate(user=target, by=admin, request=request)


ACTIONS = {
    "disable-2fa": Action(
        _("Disable two-factor authentication"),
        consequences.disable_2fa,
        admin_flows.disable_refusal,
        admin_flows.admin_twofactor_disable,
        _("Two-factor authentication is off for %(email)s. They were told by email."),
        sudo=True,
    ),
    "resend-codes": Action(
        _("Resend recovery codes"),
        consequences.resend_codes,
        admin_flows.resend_refusal,
        admin_flows.admin_recovery_resend,
        _("New recovery codes were emailed to %(email)s."),
        sudo=False,
    ),
    "deactivate": Action(
        _("Deactivate the account"),
        consequences.deactivate,
        deactivate_refusal,
        _deactivate,
        _("%(email)s is deactivated."),
        sudo=True,
    ),
}


@admin_required
@require_http_methods(["GET", "POST"])
def account_action(
    request: AuthenticatedHttpRequest, user_id: int, action: str, kind: Kind | None = None
) -> HttpResponse:
    """D3/D4/A6 with a confirmation page that says what will happen. The account is
    looked up within the list it was reached from (`kind`), so an agent cannot be
    targeted from the contacts list or the reverse. A refusal is shown before any
    re-authentication: there is no point proving it is you for something refused."""
    target = get_object_or_404(User, pk=user_id, **({"kind": kind} if kind else {}))
    spec = ACTIONS[action]
    admin = request.user
    back = "agent:admin-agents" if target.kind == Kind.AGENT else "agent:admin-contacts"
    refusal = spec.refusal(admin=admin, target=target)
    if refusal is None and spec.sudo and not sudo_active(request):
        return sudo_redirect(request)
    if request.method == "POST" and refusal is None:
        try:
            spec.flow(request, admin=admin, target=target)
        except admin_flows.ActionRefused as exc:  # the rules changed since the check
            refusal = str(exc)
        else:
            messages.success(request, str(spec.done) % {"email": target.email})
            return redirect(back)
    policy: SecurityPolicy = policy_current(request)
    return confirmation_page(
        request,
        title=str(spec.title),
        target=target,
        consequences=[] if refusal else spec.describe(admin=admin, target=target, policy=policy),
        button=str(spec.title),
        cancel=reverse(back),
        tab="agents" if target.kind == Kind.AGENT else "contacts",
        refusal=refusal,
    )
