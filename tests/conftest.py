"""Personas and helpers shared by the whole suite (ARCHITECTURE.md #7)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from deskguard.accounts.models import Kind, User
from deskguard.tickets.models import Ticket
from deskguard.tickets.services import ticket_create

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(10_000))

    def make(
        kind: Kind = Kind.CONTACT,
        *,
        email: str | None = None,
        is_admin: bool = False,
        password: str = PASSWORD,
        **extra,
    ) -> User:
        email = email or f"{kind}{next(counter)}@example.com"
        return User.objects.create_user(email, password, kind=kind, is_admin=is_admin, **extra)

    return make


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Kind.AGENT, email="admin@example.com", is_admin=True, name="Ada Admin")


@pytest.fixture
def agent(make_user) -> User:
    return make_user(Kind.AGENT, email="agent@example.com", name="Alan Agent")


@pytest.fixture
def contact(make_user) -> User:
    return make_user(Kind.CONTACT, email="carol@example.com", name="Carol Contact")


@pytest.fixture
def outsider(make_user) -> User:
    """Another contact, whose tickets the first contact must never see."""
    return make_user(Kind.CONTACT, email="oscar@example.com", name="Oscar Outsider")


def signin(client: Client, user: User, *, password: str = PASSWORD):
    portal = "agent" if user.kind == Kind.AGENT else "portal"
    return client.post(f"/{portal}/signin/", {"email": user.email, "password": password})


@pytest.fixture
def agent_client(client, agent) -> Client:
    assert signin(client, agent).status_code == 302
    return client


@pytest.fixture
def admin_client(client, admin) -> Client:
    assert signin(client, admin).status_code == 302
    return client


@pytest.fixture
def contact_client(client, contact) -> Client:
    assert signin(client, contact).status_code == 302
    return client


@pytest.fixture
def make_ticket(db) -> Callable[..., Ticket]:
    """A ticket opened by `contact` through the service the portal uses."""

    def make(contact: User, *, subject: str = "Printer on fire", body: str = "Help!") -> Ticket:
        return ticket_create(contact=contact, subject=subject, body=body)

    return make


@pytest.fixture
def other_client() -> Client:
    """A second browser, e.g. the administrator while the first one is the agent."""
    return Client()


@pytest.fixture
def mailed_links(mailoutbox) -> Callable[[str], list[str]]:
    """The http(s) links in the mails sent to `address`, oldest first."""

    def links(address: str) -> list[str]:
        found: list[str] = []
        for message in mailoutbox:
            if address in message.to:
                found += re.findall(r"https?://[^\s\"<>]+", message.body)
        return found

    return links
