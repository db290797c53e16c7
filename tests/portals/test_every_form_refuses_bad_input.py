"""Bad input on every form (F4, A1-A6): empty, blank, oversized, wrong type, missing
fields, NUL bytes, a file or a JSON body where form fields belong.

Every case must answer 400 with a visible form error, never a 500, and change
nothing in the database and send no mail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deskguard.accounts.models import Kind, User
from deskguard.audit.models import AuditEvent
from deskguard.limits.models import Throttle
from deskguard.outbox.models import OutboundMail
from deskguard.tickets.models import Message, Ticket
from tests.conftest import PASSWORD, signin
from tests.tasks import run_queued_tasks

# Longer than every field's limit, the 20,000-character ticket message included.
HUGE = "x" * 25_000
HUGE_EMAIL = "a" * 10_000 + "@example.com"
NEW = "a perfectly good passphrase 1"


@dataclass(frozen=True)
class Form:
    name: str
    persona: str  # who fills it in: anonymous, contact, agent or admin
    url: Callable[[Client, dict], str]
    valid: dict[str, str]
    emails: tuple[str, ...] = ()
    wrong_types: tuple[dict[str, str], ...] = ()
    # Cases that are valid input for this form (e.g. a blank optional name).
    skip: frozenset[str] = field(default_factory=frozenset)
    needs: tuple[str, ...] = ()  # other accounts that must exist


def reset_link(client: Client, personas: dict) -> str:
    """Ask for a reset link by mail, let the mail worker send it, and open it, as the
    browser would."""
    from django.core import mail

    client.post("/portal/password-reset/", {"email": personas["contact"].email})
    run_queued_tasks()
    [message] = mail.outbox
    link = next(w for w in message.body.split() if w.startswith("http://"))
    mail.outbox.clear()
    page = client.get(urlsplit(link).path, follow=True)
    return page.redirect_chain[-1][0]


FORMS = [
    Form(
        "customer sign-in",
        "anonymous",
        lambda c, p: "/portal/signin/",
        {"email": "carol@example.com", "password": PASSWORD},
        emails=("email",),
        wrong_types=({"email": "carol at example dot com"}, {"email": "@", "password": "x"}),
    ),
    Form(
        "agent sign-in",
        "anonymous",
        lambda c, p: "/agent/signin/",
        {"email": "agent@example.com", "password": PASSWORD},
        emails=("email",),
        wrong_types=({"email": "agent@"},),
    ),
    Form(
        "customer password reset",
        "anonymous",
        lambda c, p: "/portal/password-reset/",
        {"email": "carol@example.com"},
        emails=("email",),
        wrong_types=({"email": "not an address"},),
    ),
    Form(
        "agent password reset",
        "anonymous",
        lambda c, p: "/agent/password-reset/",
        {"email": "agent@example.com"},
        emails=("email",),
        wrong_types=({"email": "agent@@example.com"},),
    ),
    Form(
        "set a new password from the mailed link",
        "anonymous",
        reset_link,
        {"new_password1": NEW, "new_password2": NEW},
        wrong_types=({"new_password1": NEW, "new_password2": "123"},),
    ),
    Form(
        "open a ticket",
        "contact",
        lambda c, p: "/portal/tickets/new/",
        {"subject": "Subject", "body": "Body"},
        wrong_types=({"subject": "   ", "body": "Body"},),
    ),
    Form(
        "contact reply",
        "contact",
        lambda c, p: f"/portal/tickets/{p['ticket'].pk}/",
        {"body": "A reply"},
        wrong_types=({"body": " \n\t "},),
    ),
    Form(
        "agent reply",
        "agent",
        lambda c, p: f"/agent/tickets/{p['ticket'].pk}/",
        {"body": "A reply"},
        wrong_types=({"body": "   "},),
    ),
    Form(
        "agent status change",
        "agent",
        lambda c, p: f"/agent/tickets/{p['ticket'].pk}/",
        {"status": "closed"},
        wrong_types=({"status": "deleted"}, {"status": "1"}, {"status": "CLOSED"}),
    ),
    Form(
        "customer profile",
        "contact",
        lambda c, p: "/portal/profile/",
        {"name": "Caroline"},
        skip=frozenset({"blank"}),
    ),
    Form(
        "agent personal settings",
        "agent",
        lambda c, p: "/agent/settings/",
        {"name": "Alan"},
        skip=frozenset({"blank"}),
    ),
    Form(
        "customer password change",
        "contact",
        lambda c, p: "/portal/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        wrong_types=({"old_password": PASSWORD, "new_password1": NEW, "new_password2": "other"},),
    ),
    Form(
        "agent password change",
        "agent",
        lambda c, p: "/agent/settings/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        wrong_types=(
            {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
        ),
    ),
    Form(
        "invite an account",
        "admin",
        lambda c, p: "/agent/admin/accounts/new/",
        {"kind": "agent", "email": "new@example.com", "name": "New"},
        emails=("email",),
        skip=frozenset({"a file as name"}),  # the name is optional at invitation
        needs=("contact",),
        wrong_types=(
            {"kind": "superuser", "email": "new@example.com"},
            {"kind": "agent", "email": "new@example"},
            {"kind": "contact", "email": "new@example.com", "is_admin": "on"},
            {"kind": "agent", "email": "carol@example.com"},
        ),
    ),
]


def bad_inputs(form: Form) -> list[tuple[str, object]]:
    """(case, payload) pairs; a payload is a dict, or ("json", text) for a raw body."""
    cases: list[tuple[str, object]] = [
        ("empty", {}),
        ("json body", ("json", json.dumps(form.valid))),
        ("blank", dict.fromkeys(form.valid, "")),
        (
            "oversized",
            {k: HUGE_EMAIL if k in form.emails else HUGE for k in form.valid},
        ),
        ("nul byte", {k: v[:3] + "\x00" + v[3:] for k, v in form.valid.items()}),
    ]
    for key in form.valid:
        if key != "name":  # an omitted optional name is covered below
            cases.append((f"missing {key}", {k: v for k, v in form.valid.items() if k != key}))
        cases.append(
            (
                f"a file as {key}",
                {**form.valid, key: SimpleUploadedFile("x.txt", b"data")},
            )
        )
        cases.append((f"oversized {key}", {**form.valid, key: HUGE}))
    for n, data in enumerate(form.wrong_types):
        cases.append((f"wrong type {n}", data))
    return [(case, payload) for case, payload in cases if case not in form.skip]


CASES = [
    pytest.param(form, case, payload, id=f"{form.name}: {case}")
    for form in FORMS
    for case, payload in bad_inputs(form)
]


def snapshot() -> tuple:
    return (
        list(
            User.objects.order_by("pk").values_list(
                "email", "name", "password", "is_active", "kind", "is_admin"
            )
        ),
        list(Ticket.objects.order_by("pk").values_list("subject", "status", "updated_at")),
        list(Message.objects.order_by("pk").values_list("body", "author_id")),
        list(Throttle.objects.order_by("key").values_list("key", "failures")),
        AuditEvent.objects.count(),
        OutboundMail.objects.count(),
    )


class Personas(dict):
    """Creates only the accounts a case needs: each costs an Argon2 hash."""

    def __init__(self, make_user, make_ticket):
        super().__init__()
        self.make_user, self.make_ticket = make_user, make_ticket

    def __missing__(self, name: str):
        if name == "ticket":
            value = self.make_ticket(self["contact"])
        elif name == "contact":
            value = self.make_user(Kind.CONTACT, email="carol@example.com")
        else:
            value = self.make_user(
                Kind.AGENT, email=f"{name}@example.com", is_admin=name == "admin"
            )
        self[name] = value
        return value


@pytest.mark.parametrize(("form", "case", "payload"), CASES)
def test_f4_a_form_refuses_bad_input_with_a_clear_error_and_changes_nothing(
    client, db, make_user, make_ticket, deliver, form, case, payload
):
    personas = Personas(make_user, make_ticket)
    for name in form.needs:
        personas[name]
    if form.persona != "anonymous":
        assert signin(client, personas[form.persona]).status_code == 302
    url = form.url(client, personas)
    before = snapshot()

    if isinstance(payload, tuple):
        response = client.post(url, payload[1], content_type="application/json")
    else:
        response = client.post(url, payload)

    assert response.status_code == 400, f"{form.name} / {case}: {response.status_code}"
    html = response.content.decode()
    assert 'class="field-error"' in html or 'role="alert"' in html or "flash-error" in html, (
        "the page says what is wrong"
    )
    assert snapshot() == before  # nothing queued either
    assert deliver() == []


def test_f4_the_table_covers_every_form_of_the_foundation():
    """A new form without bad-input cases fails here rather than going untested."""
    covered = {f.name for f in FORMS}
    assert len(covered) == len(FORMS) == 14
