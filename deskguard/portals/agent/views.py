"""Agent Portal: all tickets, personal settings, admin settings (thin views)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from deskguard.accounts.forms import AccountCreateForm
from deskguard.accounts.models import Kind, User
from deskguard.accounts.portal import Portal
from deskguard.accounts.services import user_create
from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.portals import common
from deskguard.portals.access import admin_required, agent_required
from deskguard.tickets.forms import ReplyForm, StatusForm
from deskguard.tickets.models import Status
from deskguard.tickets.selectors import ticket_get_for, tickets_visible_to
from deskguard.tickets.services import ticket_reply, ticket_set_status
from deskguard.twofactor.admin_flows import adoption_overview
from deskguard.twofactor.policy import has_2fa, policy_current

from . import consequences
from .confirmation import confirmation_page, submitted_clear, submitted_get, submitted_put
from .sudo import sudo_required

PORTAL = Portal.AGENT


@agent_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    tickets = tickets_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        tickets = tickets.filter(status=status)
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "agent/home.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
        },
    )


@agent_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    user = request.user
    ticket = ticket_get_for(user, ticket_id)
    reply_form = ReplyForm(request.POST if "body" in request.POST else None)
    status_form = StatusForm(
        request.POST if "status" in request.POST else None, initial={"status": ticket.status}
    )
    if request.method == "POST":
        if reply_form.is_bound and reply_form.is_valid():
            ticket_reply(ticket=ticket, author=user, body=reply_form.cleaned_data["body"])
            messages.success(request, "Your reply is sent.")
            return redirect("agent:ticket", ticket_id=ticket.pk)
        if status_form.is_bound and status_form.is_valid():
            ticket_set_status(ticket=ticket, status=Status(status_form.cleaned_data["status"]))
            messages.success(request, "The status is changed.")
            return redirect("agent:ticket", ticket_id=ticket.pk)
        if not reply_form.is_bound and not status_form.is_bound:
            messages.error(request, "Write a reply or choose a status.")
    return render(
        request,
        "agent/ticket.html",
        {
            "ticket": ticket,
            "messages_list": ticket.messages.select_related("author"),
            "reply_form": reply_form,
            "status_form": status_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@agent_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    return common.profile_page(request, PORTAL)


@agent_required
@require_http_methods(["GET", "POST"])
def password(request: AuthenticatedHttpRequest) -> HttpResponse:
    return common.password_page(request, PORTAL)


@admin_required
def admin_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The adoption overview: who has 2FA, before enforcement is switched on."""
    return render(
        request,
        "agent/admin/home.html",
        {
            "tab": "overview",
            "adoption": adoption_overview(),
            "policy": policy_current(request),
        },
    )


@admin_required
def admin_accounts(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    accounts = User.objects.filter(kind=kind).order_by("email").annotate(has_2fa=has_2fa())
    # PostgreSQL cannot compare text holding NUL (DataError, a 500): drop it.
    query = request.GET.get("q", "")[:254].replace("\x00", "")
    if query:
        accounts = accounts.filter(email__icontains=query)
    twofa = request.GET.get("twofa", "")
    if twofa in ("on", "off"):
        accounts = accounts.filter(has_2fa=twofa == "on")
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "agent/admin/accounts.html",
        {
            "page": page,
            "kind": kind,
            "query": query,
            "twofa": twofa,
            "query_string": urlencode({k: v for k, v in (("q", query), ("twofa", twofa)) if v}),
            "contacts_enforced": policy_current(request).contacts_enforce_2fa,
            "tab": "agents" if kind == Kind.AGENT else "contacts",
        },
    )


INVITE = "invite-admin"


@admin_required
@require_http_methods(["GET", "POST"])
def admin_account_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AccountCreateForm(form_data(request), initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["is_admin"]:
            # I10: a new administrator can weaken every account: sudo mode and a
            # confirmation first. The form waits in the session meanwhile.
            submitted_put(request, INVITE, _invitation_data(request), secret=False)
            return redirect("agent:admin-account-new-confirm")
        return _invite(request, form)
    return render(
        request,
        "agent/admin/account_new.html",
        {"form": form, "tab": "new"},
        status=400 if form.errors else 200,
    )


@admin_required
@sudo_required
@require_http_methods(["GET", "POST"])
def admin_account_new_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    submitted = submitted_get(request, INVITE, secret=False)
    form = AccountCreateForm(submitted.data if submitted else None)
    if submitted is None or not form.is_valid() or not form.cleaned_data["is_admin"]:
        # Nothing waiting, or no longer valid (the address was taken meanwhile).
        submitted_clear(request, INVITE)
        messages.info(request, "There is no invitation waiting for your confirmation.")
        return redirect("agent:admin-account-new")
    if request.method == "POST" and submitted.shown:
        submitted_clear(request, INVITE)
        return _invite(request, form)
    submitted_put(request, INVITE, submitted.data, shown=True, secret=False)
    return confirmation_page(
        request,
        title="Invite an administrator",
        consequences=consequences.invite_administrator(
            email=form.cleaned_data["email"], name=form.cleaned_data["name"]
        ),
        button="Send the invitation",
        cancel=reverse("agent:admin-account-new"),
        tab="new",
    )


def _invitation_data(request: AuthenticatedHttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in AccountCreateForm.base_fields}


def _invite(request: AuthenticatedHttpRequest, form: AccountCreateForm) -> HttpResponse:
    user = user_create(
        email=form.cleaned_data["email"],
        kind=Kind(form.cleaned_data["kind"]),
        name=form.cleaned_data["name"],
        is_admin=form.cleaned_data["is_admin"],
        created_by=request.user,
    )
    messages.success(request, f"{user.email} is invited by e-mail.")
    return redirect("agent:admin-agents" if user.is_agent else "agent:admin-contacts")
