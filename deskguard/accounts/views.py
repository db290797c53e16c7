"""Password reset and invitation pages, shared by both portals.

Each portal mounts these views under its own namespace; the namespace says which
portal (and so which kind of account) a request is for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView

from deskguard.audit.models import Event
from deskguard.events import security_event
from deskguard.limits.rules import PASSWORD_ACCOUNT
from deskguard.limits.throttle import retry_message, throttle_clear
from deskguard.signin.device import device_nonce

from .forms import BoundedSetPasswordForm
from .models import User, normalize_email
from .portal import Portal, current_portal
from .reset import password_reset_refusal, reset_mail_budget

if TYPE_CHECKING:
    # What the mixin is combined with, so its super() calls type-check.
    _ViewBase = FormView[Any]
else:
    _ViewBase = object


class PortalMixin(_ViewBase):
    """Django's auth views in a portal's namespace, templates and look."""

    template_stem: str
    success_name: str = ""

    @property
    def portal(self) -> Portal:
        return current_portal(self.request)

    def get_template_names(self) -> list[str]:
        return [f"accounts/{self.template_stem}.html"]

    def get_success_url(self) -> str:
        return reverse(self.portal.url(self.success_name))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["portal"] = self.portal
        return dict(context)

    def form_invalid(self, form: Any) -> HttpResponse:
        # Django's FormView answers a refused form with 200; say 400 like every
        # other form here, so clients and monitoring see the refusal.
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(PortalMixin, auth_views.PasswordResetView):
    template_stem = "password_reset"
    success_name = "password-reset-done"

    def form_valid(self, form: Any) -> HttpResponse:
        """A3/F3: the same answer whatever the address. The link goes out with the mail
        worker, which alone looks up the account: the request does the same work for
        every address and never waits on the mail server."""
        email = normalize_email(str(form.cleaned_data["email"]))
        retry_at = password_reset_refusal(self.request, email=email)
        if retry_at is not None:
            form.add_error(None, retry_message(retry_at))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        budget = reset_mail_budget(
            self.request, email=email, device_nonce=device_nonce(self.request, email=email)
        )
        security_event(
            event=Event.PASSWORD_RESET_REQUESTED,
            request=self.request,
            subject_label=email[:254],
            detail={"portal": self.portal.value, **budget},
        )
        return redirect(self.get_success_url())


class PasswordResetDoneView(PortalMixin, auth_views.PasswordResetDoneView):
    template_stem = "password_reset_done"


class PasswordResetConfirmView(PortalMixin, auth_views.PasswordResetConfirmView):
    """Sets a new password from an e-mailed link. It never signs in (A3): the next
    sign-in goes through the password and, if active, the second factor."""

    template_stem = "password_reset_confirm"
    success_name = "password-reset-complete"
    form_class = BoundedSetPasswordForm
    post_reset_login = False

    def get_user(self, uidb64: str) -> User | None:
        """Only an active account of this portal: a link of a since-deactivated
        account, or opened under the other portal's URL, is not valid."""
        user = super().get_user(uidb64)
        if user is None or not user.is_active or user.kind != self.portal.kind:
            return None
        return user

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event(event=Event.PASSWORD_RESET, request=self.request, subject=form.user)
        # I1: whoever kept the account's password delayed, the owner proved the mailbox
        # and chose a new password: the account's count starts over.
        throttle_clear(PASSWORD_ACCOUNT.of(form.user.email))
        return response


class InvitationView(PasswordResetConfirmView):
    template_stem = "invitation"


class PasswordResetCompleteView(PortalMixin, auth_views.PasswordResetCompleteView):
    template_stem = "password_reset_complete"
