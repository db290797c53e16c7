"""Customer Portal: a contact's own tickets and profile (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from deskguard.accounts.portal import Portal
from deskguard.httputil import AuthenticatedHttpRequest, form_data
from deskguard.pagination import keyset_page, pager_links
from deskguard.portals import common
from deskguard.portals.access import contact_required
from deskguard.tickets.forms import ReplyForm, TicketForm
from deskguard.tickets.selectors import TICKET_ORDER, ticket_get_for, tickets_visible_to
from deskguard.tickets.services import ticket_create, ticket_reply

PORTAL = Portal.CUSTOMER


@contact_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = keyset_page(
        tickets_visible_to(request.user), TICKET_ORDER, query=request.GET, per_page=25
    )
    return render(request, "customer/home.html", {"page": page, "pager": pager_links(page, "")})


@contact_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TicketForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        ticket = ticket_create(
            contact=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        messages.success(request, gettext("Your ticket is open. We will reply here."))
        return redirect("customer:ticket", ticket_id=ticket.pk)
    return render(
        request, "customer/ticket_new.html", {"form": form}, status=400 if form.errors else 200
    )


@contact_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: AuthenticatedHttpRequest, ticket_id: int) -> HttpResponse:
    user = request.user
    ticket = ticket_get_for(user, ticket_id)
    form = ReplyForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        ticket_reply(ticket=ticket, author=user, body=form.cleaned_data["body"])
        messages.success(request, gettext("Your reply is sent."))
        return redirect("customer:ticket", ticket_id=ticket.pk)
    return render(
        request,
        "customer/ticket.html",
        {
            "ticket": ticket,
            "messages_list": ticket.messages.select_related("author"),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@contact_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    return common.profile_page(request, PORTAL)


@contact_required
@require_http_methods(["GET", "POST"])
def password(request: AuthenticatedHttpRequest) -> HttpResponse:
    return common.password_page(request, PORTAL)
