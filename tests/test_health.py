"""G4: /healthz for load balancers, with a real database round trip."""

from __future__ import annotations

import pytest
from django.db import connection


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
    """No mock: the connection really points at a database that does not exist."""
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        # A file inside a directory that does not exist cannot be opened.
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    connection.close()
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert client.get("/healthz").status_code == 200, "it recovers with the database"
