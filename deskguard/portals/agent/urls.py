from __future__ import annotations

from django.urls import include, path

from deskguard.accounts.models import Kind

from . import security_admin, sudo, views

app_name = "agent"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("settings/", views.profile, name="profile"),
    path("settings/password/", views.password, name="password"),
    path("settings/security/", include("deskguard.twofactor.urls")),
    path("admin/", views.admin_home, name="admin"),
    path("admin/agents/", views.admin_accounts, {"kind": Kind.AGENT}, name="admin-agents"),
    path("admin/contacts/", views.admin_accounts, {"kind": Kind.CONTACT}, name="admin-contacts"),
    path("admin/accounts/new/", views.admin_account_new, name="admin-account-new"),
    path(
        "admin/accounts/new/confirm/",
        views.admin_account_new_confirm,
        name="admin-account-new-confirm",
    ),
    path(
        "admin/accounts/<int:user_id>/deactivate/",
        security_admin.account_action,
        {"action": "deactivate"},
        name="admin-account-deactivate",
    ),
    path("admin/sudo/", sudo.sudo_page, name="admin-sudo"),
    path("admin/policy/confirm/", security_admin.policy_confirm, name="admin-policy-confirm"),
    path(
        "admin/agent-portal/login/",
        security_admin.policy_page,
        {"page": "agent-login"},
        name="admin-policy-agent-login",
    ),
    path(
        "admin/customer-portal/security/",
        security_admin.policy_page,
        {"page": "customer-security"},
        name="admin-policy-customer-security",
    ),
    path(
        "admin/agents/<int:user_id>/disable-2fa/",
        security_admin.account_action,
        {"kind": Kind.AGENT, "action": "disable-2fa"},
        name="admin-agent-disable-2fa",
    ),
    path(
        "admin/contacts/<int:user_id>/disable-2fa/",
        security_admin.account_action,
        {"kind": Kind.CONTACT, "action": "disable-2fa"},
        name="admin-contact-disable-2fa",
    ),
    path(
        "admin/contacts/<int:user_id>/resend-codes/",
        security_admin.account_action,
        {"kind": Kind.CONTACT, "action": "resend-codes"},
        name="admin-contact-resend-codes",
    ),
    path("admin/sso/", include("deskguard.sso.admin_urls")),
    path("admin/audit/", include("deskguard.audit.urls")),
    path("admin/mail/", include("deskguard.outbox.urls")),
    path("", include("deskguard.signin.urls")),
    path("", include("deskguard.accounts.urls")),
]
