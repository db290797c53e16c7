"""Personas and helpers shared by the whole suite (ARCHITECTURE.md #7): one way to
sign in through the real forms, one way to enrol, codes computed from the stored
secret at a controlled clock."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.test import Client

from deskguard.accounts.models import Kind, User
from deskguard.crypto import secret_decrypt
from deskguard.tickets.models import Ticket
from deskguard.tickets.services import ticket_create
from deskguard.twofactor import services, totp
from deskguard.twofactor.models import TOTPDevice
from tests.tasks import run_queued_tasks

pytest_plugins = ["tests.smtp_server"]

PASSWORD = "correct horse battery staple"
PRODUCTION_HASHER = "deskguard.accounts.hashers.DeskguardArgon2Hasher"
# Argon2id costs about 19 ms a password by design; a test that is not about the
# hasher signs in with a fast one (the production one stays listed, so a stored
# Argon2 hash still verifies). Tests about the hasher are marked `real_hasher`.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", PRODUCTION_HASHER]


LOCALE = Path(__file__).resolve().parent.parent / "deskguard" / "locale"


def pytest_configure(config: pytest.Config) -> None:
    """L4: pages are rendered from the compiled catalogues, which are built, not
    committed (`make compilemessages`). A run started without make (a fresh clone, an
    edited .po) compiles the stale ones first, once, in the controlling process before
    any xdist worker starts reading them."""
    if hasattr(config, "workerinput"):
        return
    msgfmt = shutil.which("msgfmt")
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            if msgfmt is None:
                raise pytest.UsageError(
                    f"{mo} needs building from {po.name} with GNU gettext's msgfmt: "
                    "apt-get install gettext (or brew install gettext)"
                )
            subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_guard() -> Iterator[None]:
    """Between transactional tests pytest-django empties every table with TRUNCATE,
    which the audit log refuses on PostgreSQL (I6, audit/migrations/0004). The flush
    runs with session_replication_role = replica, PostgreSQL's own switch that skips
    ordinary triggers for one transaction and that only a superuser may set (the
    suite's role, postgres, is one). The trigger itself has no bypass, so production
    keeps the guarantee; only the harness, with the rights to drop the trigger anyway,
    steps around it."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        flush(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _fast_settings(request, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.BASE_URL = "http://testserver"
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS


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


def portal_path(user: User) -> str:
    """The URL prefix of the account's own portal."""
    return "/agent/" if user.kind == Kind.AGENT else "/portal/"


def signin(
    client: Client, user: User, *, password: str = PASSWORD, portal: str | None = None, **data
) -> HttpResponse:
    """The password step through the portal's own form (or `portal`, e.g. "/agent/"
    for the other one), as a browser posts it. Extra form fields go in `data`."""
    path = (portal or portal_path(user)) + "signin/"
    return client.post(path, {"email": user.email, "password": password, **data})


def code_step(client: Client, user: User, *, password: str = PASSWORD) -> str:
    """Sign in with the password of an enrolled account; the answer must be the code
    step (C1). Returns its URL."""
    response = signin(client, user, password=password)
    url = portal_path(user) + "signin/verify/"
    assert response.status_code == 302, response.content
    assert response["Location"] == url
    return url


@dataclass
class Enrollment:
    user: User
    codes: list[str]

    @property
    def secret(self) -> str:
        # Read back from the database, as the server will.
        return secret_decrypt(TOTPDevice.objects.get(user=self.user).secret_encrypted)

    def code(self, *, at: float | None = None, steps: int = 0) -> str:
        moment = time.time() if at is None else at
        return totp.code_at(self.secret, moment + steps * totp.STEP_SECONDS)


@pytest.fixture
def enroll(db) -> Callable[[User], Enrollment]:
    """Give an account an authenticator (and 10 recovery codes) through the service
    enrollment uses."""

    def make(user: User) -> Enrollment:
        _, codes = services.device_activate(user=user, secret=totp.secret_new(), step=0)
        return Enrollment(user, codes)

    return make


@pytest.fixture
def agent_client(client, agent) -> Client:
    assert signin(client, agent).status_code == 302
    return client


@pytest.fixture
def admin_client(client, admin) -> Client:
    assert signin(client, admin).status_code == 302
    return client


@pytest.fixture
def sudo_client(admin, enroll) -> Client:
    """The administrator in sudo mode (I10), in a browser of their own: enrolled, and
    signed in with password and a current code just now. For the next 10 minutes an
    action that weakens an account or the policy asks only for its confirmation. (A
    test that stays past the window re-authenticates at /agent/admin/sudo/.)"""
    browser = Client()
    enrollment = enroll(admin)
    url = code_step(browser, admin)
    assert browser.post(url, {"code": enrollment.code()}).status_code == 302
    return browser


def confirmed(client: Client, submitted: HttpResponse) -> HttpResponse:
    """An administrator's form answered with the way to its confirmation page (I10):
    open the page as the browser does, then press its button. Returns that answer."""
    assert submitted.status_code == 302, submitted.content
    page = client.get(submitted["Location"])
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    return client.post(submitted["Location"])


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
def deliver(mailoutbox) -> Callable[[], list[EmailMessage]]:
    """Run the mail worker over the queue, as `manage.py db_worker` would, and return
    every message delivered so far (Django's test outbox)."""

    def run() -> list[EmailMessage]:
        run_queued_tasks()
        return mailoutbox

    return run


@pytest.fixture
def mailed_links(deliver) -> Callable[[str], list[str]]:
    """The http(s) links in the mails delivered to `address`, oldest first."""

    def links(address: str) -> list[str]:
        found: list[str] = []
        for message in deliver():
            if address in message.to:
                found += re.findall(r"https?://[^\s\"<>]+", message.body)
        return found

    return links


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests first: each takes seconds, so started first on both xdist workers
    they run beside the short tests instead of finishing alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture
def keys_site(settings):
    """An address browsers allow WebAuthn on (K1): https, a host name."""
    settings.BASE_URL = "https://testserver"
