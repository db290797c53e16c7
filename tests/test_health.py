"""G4: /healthz for load balancers, with a real database round trip."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.db import DEFAULT_DB_ALIAS, connection, connections

from deskguard.accounts.models import Kind
from deskguard.accounts.services import user_create

EMPTY_QUEUE = {"waiting": 0, "oldest_waiting_seconds": None}


def test_g4_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "mail_queue": EMPTY_QUEUE}
    assert "no-cache" in response["Cache-Control"]


def test_g4_h4_healthz_tells_how_many_mails_wait_and_since_when(client, admin, deliver):
    """Monitoring alerts on the age of the oldest waiting message; a waiting queue does
    not take the site out of the load balancer."""
    start = time.time()
    with time_machine.travel(start, tick=False) as traveller:
        user_create(email="first@example.com", kind=Kind.CONTACT, created_by=admin)
        traveller.shift(30)
        user_create(email="second@example.com", kind=Kind.CONTACT, created_by=admin)
        traveller.shift(60)
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "mail_queue": {"waiting": 2, "oldest_waiting_seconds": 90},
    }
    assert len(deliver()) == 2
    assert client.get("/healthz").json()["mail_queue"] == EMPTY_QUEUE


def test_g4_healthz_needs_no_sign_in_and_sets_no_cookie(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.django_db(transaction=True)
def test_g4_healthz_answers_503_when_the_database_is_unreachable(client, tmp_path):
    """No mock: the default connection really points at a database that does not exist.

    A second connection object takes the default alias for the request, so the test
    database's own connection is never closed (closing it would drop SQLite's
    in-memory test database for every test that follows)."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        # A file inside a directory that does not exist cannot be opened.
        settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    original = connections[DEFAULT_DB_ALIAS]
    unreachable = type(original)(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = unreachable
    try:
        response = client.get("/healthz")
    finally:
        unreachable.close()
        connections[DEFAULT_DB_ALIAS] = original
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert client.get("/healthz").status_code == 200, "it recovers with the database"
