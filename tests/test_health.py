"""G4: /healthz for load balancers, with a real database round trip."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections


def test_g4_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


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
