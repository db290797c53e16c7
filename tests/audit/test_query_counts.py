"""E2: the audit pages use a fixed number of queries, however long the log is."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from deskguard.audit.models import Event
from tests.audit.conftest import AUDIT_URL, EXPORT_URL
from tests.tasks import run_queued_tasks

BUDGET = 8


def add_events(record, n: int) -> None:
    for i in range(n):
        record(Event.SIGNIN_FAILED, subject_label=f"user{i}@example.org", detail={"i": i})


def count(client, url: str, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_e2_the_list_page_query_count_does_not_grow_with_rows(admin_client, record):
    add_events(record, 3)
    small = count(admin_client, AUDIT_URL)
    add_events(record, 150)
    assert count(admin_client, AUDIT_URL) == small
    assert count(admin_client, AUDIT_URL, page="3") == small
    assert count(admin_client, AUDIT_URL, account="user1", event=Event.SIGNIN_FAILED) == small


def test_e2_the_list_page_stays_within_its_query_budget(
    admin_client, record, django_assert_max_num_queries
):
    add_events(record, 120)
    with django_assert_max_num_queries(BUDGET):
        assert admin_client.get(AUDIT_URL, {"account": "example.org"}).status_code == 200


def export_counts(client) -> tuple[int, int]:
    """Queries of the request that asks for an export, and of the worker writing it."""
    with CaptureQueriesContext(connection) as asked:
        assert client.post(EXPORT_URL, {"format": "csv"}).status_code == 302
    with CaptureQueriesContext(connection) as written:
        assert run_queued_tasks() == 1
    return len(asked), len(written)


def test_j3_the_export_query_count_does_not_grow_with_rows(admin_client, record):
    add_events(record, 3)
    small = export_counts(admin_client)
    add_events(record, 300)
    assert export_counts(admin_client) == small
    assert small[0] <= BUDGET
