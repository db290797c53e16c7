"""I5: a lost database connection costs no request a 500 once the database is back,
and /healthz tells the truth.

A gunicorn worker keeps its PostgreSQL connection between requests (CONN_MAX_AGE).
When PostgreSQL drops it (a restart, a failover, an idle-session timeout), the
worker's next request used to run its first query on the dead connection: a 500 for
a page, a 503 from /healthz that took a healthy server out of the load balancer.

The drop is real: the test terminates the server's backends from its own connection,
the way a restart ends them (`pid <> pg_backend_pid()` spares the test's). The test
client cannot show this: it calls the application without Django's request-start
signal, where the per-request connection check (CONN_HEALTH_CHECKS) happens, so the
first test runs a real gunicorn."""

from __future__ import annotations

import psycopg
import pytest
import requests
from django.db import connection

from tests.conftest import PASSWORD
from tests.servers import database_url, gunicorn, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

# pg_terminate_backend(pid, timeout) waits (up to 5 s) until the backend has exited, so
# the next request cannot slip through before the connection is really gone.
TERMINATE_OTHERS = """
    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("terminates PostgreSQL backends; SQLite has no server connection to lose")


def terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(TERMINATE_OTHERS)
        return int(cursor.fetchone()[0])


@pytest.mark.real_hasher  # the server verifies with the production hasher only
def test_i5_after_postgresql_drops_the_connections_the_next_requests_answer_normally(
    postgres, contact, tmp_path
):
    with gunicorn(tmp_path, DATABASE_URL=database_url()) as server:
        browser = signed_in(server, contact, PASSWORD)
        assert browser.get(f"{server.url}/portal/", timeout=10).status_code == 200

        for _ in range(2):  # every time, not once
            assert terminate_other_connections() == 1, "the worker's connection was dropped"
            page = browser.get(f"{server.url}/portal/", timeout=10)
            assert page.status_code == 200, server.log_text()[-3000:]
            assert "My tickets" in page.text or contact.email in page.text

            assert terminate_other_connections() == 1
            health = requests.get(f"{server.url}/healthz", timeout=10)
            assert health.status_code == 200, health.text
            assert health.json()["database"] == "ok"


@pytest.fixture
def fresh_connection_after(postgres):
    """The test kills its own connection: leave a live one to the teardown's flush."""
    yield
    connection.close()


def test_i5_healthz_answers_200_when_its_connection_died_after_the_request_began(
    fresh_connection_after, client
):
    """The connection check runs at the start of a request; a connection that dies
    after it (here: before /healthz queries, as the test client skips the check) is
    not an unreachable database. /healthz asks once more on a new connection and
    answers 503 only if that fails too (tests/test_health.py: a database that is
    really unreachable)."""
    assert client.get("/healthz").status_code == 200
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        [(terminated,)] = other.execute(TERMINATE_OTHERS).fetchall()
    assert terminated == 1, "the test's (and the request's) connection was dropped"
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["database"] == "ok"
