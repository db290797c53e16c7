"""Admin Settings pages for 2FA policy and assistance (D1-D5). Thin: each calls one
flow in twofactor/admin_flows.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from deskguard.accounts.models import Kind, User
from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals.access import admin_required
from deskguard.twofactor import admin_flows
from deskguard.twofactor.policy import policy_current, twofactor_active


class AgentLoginPolicyForm(forms.Form):
    agents_enforce_2fa = forms.BooleanField(
        required=False,
        label="Enforce two-factor authentication (2FA) for all agents",
        help_text="Administrators included. Agents without 2FA must set it up at their next "
        "request. Single sign-on logins are not affected.",
    )


class CustomerSecurityPolicyForm(forms.Form):
    contacts_allow_2fa = forms.BooleanField(
        required=False,
        label="Allow two-factor authentication for contacts",
        help_text="Contacts turn it on from My Profile → Security. When off, contacts without "
        "2FA see no 2FA option and cannot set it up. Contacts who already use 2FA keep it: "
        "their sign-in still asks for a code, and they can still turn it off themselves.",
    )
    contacts_enforce_2fa = forms.BooleanField(
        required=False,
        label="Enforce two-factor authentication (2FA) for all users",
        help_text="Every contact without 2FA must set it up at their next request.",
    )
    sso_create_contacts = forms.BooleanField(
        required=False,
        label="Create a contact at the first single sign-on",
        help_text="Otherwise single sign-on only signs in contacts that already exist.",
    )


POLICY_PAGES: dict[str, tuple[type[forms.Form], str, str]] = {
    "agent-login": (AgentLoginPolicyForm, "Agent Portal", "Login"),
    "customer-security": (CustomerSecurityPolicyForm, "Customer Portal", "Security"),
}


@admin_required
@require_http_methods(["GET", "POST"])
def policy_page(request: AuthenticatedHttpRequest, page: str) -> HttpResponse:
    form_class, area, tab = POLICY_PAGES[page]
    admin = request.user
    policy = policy_current(request)
    initial = {name: getattr(policy, name) for name in form_class.base_fields}
    form = form_class(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = admin_flows.policy_update(request, admin=admin, changes=form.cleaned_data)
        messages.success(request, "Saved." if changed else "Nothing changed.")
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


@dataclass(frozen=True)
class Action:
    title: str
    explanation: str
    refusal: Callable[..., str | None]
    flow: Callable[..., None]
    done: str


ACTIONS = {
    "disable-2fa": Action(
        "Disable two-factor authentication",
        "This removes the account's authenticator app and recovery codes and signs it out "
        "everywhere. If 2FA is enforced, it must set 2FA up again at its next sign-in.",
        admin_flows.disable_refusal,
        admin_flows.admin_twofactor_disable,
        "Two-factor authentication is off for {email}. They were told by e-mail.",
    ),
    "resend-codes": Action(
        "Resend recovery codes",
        "A new set of 10 recovery codes is e-mailed to the contact; the current codes stop "
        "working at once. After signing in with one, the contact sets up 2FA again.",
        admin_flows.resend_refusal,
        admin_flows.admin_recovery_resend,
        "New recovery codes were e-mailed to {email}.",
    ),
}


@admin_required
@require_http_methods(["GET", "POST"])
def account_action(
    request: AuthenticatedHttpRequest, kind: Kind, user_id: int, action: str
) -> HttpResponse:
    """D3/D4 with a confirmation step. The account is looked up within the list it was
    reached from, so an agent cannot be targeted from the contacts list or the reverse."""
    target = get_object_or_404(User, pk=user_id, kind=kind)
    spec = ACTIONS[action]
    back = "agent:admin-agents" if kind == Kind.AGENT else "agent:admin-contacts"
    refusal = spec.refusal(admin=request.user, target=target)
    if request.method == "POST" and refusal is None:
        try:
            spec.flow(request, admin=request.user, target=target)
        except admin_flows.ActionRefused as exc:  # the rules changed since the check
            refusal = str(exc)
        else:
            messages.success(request, spec.done.format(email=target.email))
            return redirect(back)
    return render(
        request,
        "agent/admin/account_action.html",
        {
            "target": target,
            "action": spec,
            "refusal": refusal,
            "back": back,
            "tab": "agents" if kind == Kind.AGENT else "contacts",
        },
        status=403 if refusal else 200,
    )
