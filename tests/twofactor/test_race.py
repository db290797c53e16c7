"""C3 (and G2): two requests racing with the same code, each on its own database
connection as in two server processes; exactly one may win."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client

from deskguard.accounts.models import Kind
from deskguard.twofactor import services, totp
from deskguard.twofactor.models import TOTPDevice
from tests.conftest import PASSWORD, signin
from tests.keys import key_step, register, soft_key

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 6


def race(work: Callable[[int], object], *, racers: int = RACERS) -> list[object]:
    barrier = threading.Barrier(racers)
    results: list[object] = [None] * racers

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # reported below, not swallowed
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.fixture
def racing_db():
    if connection.vendor != "postgresql":
        pytest.skip("row-level races need PostgreSQL; CI runs this file there")


def test_c3_the_database_accepts_a_code_once_when_requests_race(racing_db, make_user):
    user = make_user(Kind.AGENT)
    secret = totp.secret_new()
    services.device_activate(user=user, secret=secret, step=0)
    now = time.time()
    code = totp.code_at(secret, now)

    def attempt(_: int) -> object:
        device = TOTPDevice.objects.get(user=user)
        return services.totp_accept(device=device, code=code, at=now)

    results = race(attempt)
    assert results.count(services.Check.ACCEPTED) == 1, results
    assert results.count(services.Check.REPLAYED) == RACERS - 1, results


def test_c3_racing_sign_ins_with_one_code_sign_in_exactly_one_session(racing_db, make_user):
    user = make_user(Kind.AGENT)
    secret = totp.secret_new()
    services.device_activate(user=user, secret=secret, step=0)
    clients = [Client() for _ in range(RACERS)]
    for c in clients:
        assert (
            c.post("/agent/signin/", {"email": user.email, "password": PASSWORD}).status_code == 302
        )
    code = totp.code_at(secret, time.time())

    def attempt(i: int) -> object:
        return clients[i].post("/agent/signin/verify/", {"code": code}).status_code

    results = race(attempt)
    assert results.count(302) == 1, results
    assert all(r in (400, 429) for r in results if r != 302), results


def test_c5_concurrent_failures_from_one_address_are_all_counted(racing_db, make_user):
    """The per-address count is not locked during Argon2, but no failure is lost."""
    from deskguard.limits.models import Throttle
    from deskguard.limits.rules import PASSWORD_ADDRESS

    users = [make_user(Kind.CONTACT) for _ in range(RACERS)]

    def attempt(i: int) -> object:
        return Client().post("/portal/signin/", {"email": users[i].email, "password": "nope!"})

    results = race(attempt)
    assert all(getattr(r, "status_code", None) == 400 for r in results), results
    key = PASSWORD_ADDRESS.of("127.0.0.1").key
    assert Throttle.objects.get(key=key).failures == RACERS


@pytest.mark.usefixtures("keys_site")
def test_k2_one_key_answer_posted_by_racing_requests_signs_in_once(racing_db, client, agent):
    """The challenge is consumed by DELETE ... RETURNING: of racing requests carrying
    the same assertion (one pending sign-in, several connections), one signs in."""
    key = soft_key()
    assert signin(client, agent).status_code == 302
    register(client, agent, key)
    client.post("/agent/signout/")
    url, options = key_step(client, agent)
    reply = key.assert_(options)
    cookies = client.cookies

    def attempt(_: int) -> object:
        racer = Client()
        racer.cookies = cookies
        return racer.post(url, {"credential": reply}).status_code

    results = race(attempt)
    assert results.count(302) == 1, results
    assert all(r == 400 for r in results if r != 302), results
