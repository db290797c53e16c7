"""Admin Settings -> Mail delivery (H4): the queue, each message's state and the mail
server's last answer, Retry for a failed message; in local mode, the messages the
demo sent. Never a body in production (H5)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from deskguard.httputil import AuthenticatedHttpRequest
from deskguard.portals.access import admin_required

from .backends import local_file
from .models import MailStatus, OutboundMail
from .services import RetryRefused, mail_queue_state, mail_retry

PER_PAGE = 50
TAB = "mail"
# The HTML part of a local message, opened as its own page in a CSP sandbox: its own
# inline styles apply, nothing else (no script, no remote image, no form, no framing).
MESSAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"
)


@admin_required
@require_safe
def mail_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    mails = OutboundMail.objects.order_by("-id")
    if status in MailStatus.values:
        mails = mails.filter(status=status)
    before = request.GET.get("before", "")
    if before.isdigit():
        mails = mails.filter(id__lt=int(before))
    # One row more than a page says whether there is an older page, without a count.
    rows = list(mails[: PER_PAGE + 1])
    older = rows[PER_PAGE - 1].pk if len(rows) > PER_PAGE else None
    return render(
        request,
        "outbox/list.html",
        {
            "tab": TAB,
            "mails": rows[:PER_PAGE],
            "status": status,
            "statuses": MailStatus.choices,
            "older": older,
            "paged": bool(before),
            "queue": mail_queue_state(),
            "local": settings.LOCAL and not settings.EMAIL_HOST,
        },
    )


def _local_message(mail: OutboundMail) -> EmailMessage | None:
    """The message as the local mailbox received it (local mode only)."""
    if not (settings.LOCAL and not settings.EMAIL_HOST):
        return None
    path = local_file(mail.pk)
    if not path.is_file():
        return None
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return parsed if isinstance(parsed, EmailMessage) else None


@admin_required
@require_safe
def mail_detail(request: AuthenticatedHttpRequest, mail_id: int) -> HttpResponse:
    mail = get_object_or_404(OutboundMail.objects.select_related("event"), pk=mail_id)
    message = _local_message(mail)
    text = ""
    if message is not None and (part := message.get_body(preferencelist=("plain",))):
        text = str(part.get_content())
    return render(
        request,
        "outbox/detail.html",
        {
            "tab": TAB,
            "mail": mail,
            "local": settings.LOCAL and not settings.EMAIL_HOST,
            "text": text,
            "has_html": message is not None
            and message.get_body(preferencelist=("html",)) is not None,
        },
    )


@admin_required
@require_safe
def mail_html(request: AuthenticatedHttpRequest, mail_id: int) -> HttpResponse:
    mail = get_object_or_404(OutboundMail, pk=mail_id)
    message = _local_message(mail)
    part = message.get_body(preferencelist=("html",)) if message is not None else None
    if part is None:
        raise Http404("No such message in the local mailbox.")
    response = HttpResponse(str(part.get_content()), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MESSAGE_CSP
    return response


@admin_required
@require_POST
def mail_retry_view(request: AuthenticatedHttpRequest, mail_id: int) -> HttpResponse:
    get_object_or_404(OutboundMail, pk=mail_id)
    try:
        mail = mail_retry(mail_id=mail_id)
    except RetryRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext("The message to %(address)s is queued again.") % {"address": mail.to_address},
        )
    return redirect("agent:admin-mail-detail", mail_id=mail_id)
