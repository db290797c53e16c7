"""Agent Portal: all tickets, personal settings, admin settings (thin views)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from deskguard.accounts.forms import AccountCreateForm
from deskguard.accounts.models import Kind, User
from deskguard.accounts.portal import Portal
from deskguard.accounts.services import user_create
from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.pagination import Order, keyset_page, pager_links
from deskguard.portals import common
from deskguard.portals.access import admin_required, agent_required
from deskguard.tickets.forms import ReplyForm, StatusForm
from deskguard.tickets.models import Status
from deskguard.tickets.selectors import TICKET_ORDER, ticket_get_for, tickets_visible_to
from deskguard.tickets.services import ticket_reply, ticket_set_status
from deskguard.twofactor.admin_flows import adoption_overview
from deskguard.twofactor.policy import has_2fa, policy_current, with_2fa_flag

from . import consequences
from .confirmation import confirmation_page, submitted_clear, submitted_get, submitted_put
from .sudo import sudo_required

PORTAL = Portal.AGENT
TICKETS_PER_PAGE = 25
ACCOUNTS_PER_PAGE = 50
# By e-mail, which is unique: the (kind, email) index answers every page (J1).
ACCOUNT_ORDER = Order(("email",), descending=False)
# A contains-search needs three characters to use the trigram index (J2): shorter
# ones would read every account.
SEARCH_MIN_LENGTH = 3


@agent_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    tickets = tickets_visible_to(request.user)
    status = request.GET.get("status", "")
    if status in Status.values:
        tickets = tickets.filter(status=status)
    else:
        status = ""
    page = keyset_page(tickets, TICKET_ORDER, query=request.GET, per_page=TICKETS_PER_PAGE)
    return render(
        request,
        "agent/home.html",
        {
            "page": page,
            "pager": pager_links(page, urlencode({"status": status}) if status else ""),
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
            messages.success(request, gettext("Your reply is sent."))
            return redirect("agent:ticket", ticket_id=ticket.pk)
        if status_form.is_bound and status_form.is_valid():
            ticket_set_status(ticket=ticket, status=Status(status_form.cleaned_data["status"]))
            messages.success(request, gettext("The status is changed."))
            return redirect("agent:ticket", ticket_id=ticket.pk)
        if not reply_form.is_bound and not status_form.is_bound:
            messages.error(request, gettext("Write a reply or choose a status."))
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
    accounts = with_2fa_flag(User.objects.filter(kind=kind))
    # PostgreSQL cannot compare text holding NUL (DataError, a 500): drop it.
    query = request.GET.get("q", "")[:254].replace("\x00", "").strip()
    too_short = 0 < len(query) < SEARCH_MIN_LENGTH
    if query and not too_short:
        accounts = accounts.filter(email__icontains=query)
    twofa = request.GET.get("twofa", "")
    if twofa in ("on", "off"):
        # The EXISTS form for filtering: PostgreSQL plans it as a (anti) semi-join
        # walking the list's index, where a LEFT JOIN ... IS NULL was misestimated.
        accounts = accounts.filter(has_2fa() if twofa == "on" else ~has_2fa())
    else:
        twofa = ""
    query_string = urlencode({k: v for k, v in (("q", query), ("twofa", twofa)) if v})
    page = (
        None
        if too_short
        else keyset_page(accounts, ACCOUNT_ORDER, query=request.GET, per_page=ACCOUNTS_PER_PAGE)
    )
    return render(
        request,
        "agent/admin/accounts.html",
        {
            "page": page or [],
            "pager": pager_links(page, query_string) if page else {},
            "search_error": gettext("Type at least %(count)d characters of the email address.")
            % {"count": SEARCH_MIN_LENGTH}
            if too_short
            else "",
            "kind": kind,
            "query": query,
            "twofa": twofa,
            "contacts_enforced": policy_current(request).contacts_enforce_2fa,
            "tab": "agents" if kind == Kind.AGENT else "contacts",
        },
        status=400 if too_short else 200,
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
        messages.info(request, gettext("There is no invitation waiting for your confirmation."))
        return redirect("agent:admin-account-new")
    if request.method == "POST" and submitted.shown:
        submitted_clear(request, INVITE)
        return _invite(request, form)
    submitted_put(request, INVITE, submitted.data, shown=True, secret=False)
    return confirmation_page(
        request,
        title=gettext("Invite an administrator"),
        consequences=consequences.invite_administrator(
            email=form.cleaned_data["email"], name=form.cleaned_data["name"]
        ),
        button=gettext("Send the invitation"),
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
        language=form.cleaned_data["language"],
        created_by=request.user,
    )
    messages.success(request, gettext("%(email)s is invited by email.") % {"email": user.email})
    return redirect("agent:admin-agents" if user.is_agent else "agent:admin-contacts")
