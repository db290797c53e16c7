"""J1, J2: on PostgreSQL, every list page's queries are answered from indexes: no
sequential scan of a large table, no sort of a large input. The tables are filled
with tens of thousands of rows and analysed, so the planner chooses as it would in
production; each page is requested through the real views and every query it ran
is EXPLAINed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent
from deskguard.audit.selectors import AUDIT_ORDER
from deskguard.pagination import Order, keyset_cursor
from deskguard.tickets.models import Ticket
from deskguard.tickets.selectors import TICKET_ORDER

LARGE_TABLES = {
    "accounts_user",
    "audit_auditevent",
    "tickets_ticket",
    "twofactor_secondfactor",
    "tickets_message",
}
# A sort is fine over a handful of rows (a page, or an e-mail's few events found by
# the trigram index); above this many estimated input rows it means a missing index.
SORT_ROWS_ALLOWED = 1000
CONTACTS, AGENTS, EVENTS, TICKETS = 30_000, 300, 60_000, 30_000

SEED = f"""
INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active, date_joined,
                           session_version)
SELECT '!', 'c' || n || '@example.com', '', 'contact', false, true, now(), 0
FROM generate_series(1, {CONTACTS}) n;
INSERT INTO accounts_user (password, email, name, kind, is_admin, is_active, date_joined,
                           session_version)
SELECT '!', 'a' || n || '@example.com', '', 'agent', false, true, now(), 0
FROM generate_series(1, {AGENTS}) n;
INSERT INTO twofactor_secondfactor (user_id, kind, name, created_at, secret_encrypted, last_step,
                                    sign_count, transports, aaguid, credential_id)
SELECT id, 'app', '', now(), 'x', 0, 0, '[]', '', '' FROM accounts_user
-- Only the seeded accounts: ids carry on from earlier tests on PostgreSQL, so an id
-- rule alone could give the administrator who signs in below an authenticator.
WHERE id % 5 = 0 AND email ~ '^[ac][0-9]+@example\\.com$';
INSERT INTO audit_auditevent (event, at, actor_label, subject_label, method, user_agent,
                              detail, subject_id)
SELECT (ARRAY['signin.succeeded','signin.failed','2fa.passed','signout'])[1 + n % 4],
       now() - n * interval '1 minute', '', 'c' || (n % {CONTACTS}) || '@example.com',
       'password', 'bench', '{{}}', NULL
FROM generate_series(1, {EVENTS}) n;
INSERT INTO tickets_ticket (contact_id, subject, status, created_at, updated_at)
SELECT (SELECT min(id) FROM accounts_user) + n % {CONTACTS}, 'Ticket ' || n,
       (ARRAY['open','pending','closed'])[1 + n % 3], now(), now() - n * interval '1 minute'
FROM generate_series(1, {TICKETS}) n;
-- Autovacuum moves new GIN entries out of the pending list in production; a test
-- transaction cannot VACUUM, so it does the same by hand.
SELECT gin_clean_pending_list('user_email_trgm'::regclass);
SELECT gin_clean_pending_list('audit_subject_label_trgm'::regclass);
SELECT gin_clean_pending_list('audit_actor_label_trgm'::regclass);
ANALYZE accounts_user; ANALYZE twofactor_secondfactor; ANALYZE audit_auditevent;
ANALYZE tickets_ticket;
"""


def plan_problems(node: dict[str, Any], path: str = "") -> list[str]:
    here = f"{path} > {node['Node Type']}"
    problems = []
    if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE_TABLES:
        problems.append(f"sequential scan of {node['Relation Name']} at {here}")
    if node["Node Type"] in ("Sort", "Incremental Sort"):
        below = sum(child.get("Plan Rows", 0) for child in node.get("Plans", []))
        if below > SORT_ROWS_ALLOWED:
            problems.append(f"sort of ~{below} rows at {here} (key {node.get('Sort Key')})")
    for child in node.get("Plans", []):
        problems += plan_problems(child, here)
    return problems


def explain(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    return (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]


def last_page_cursor(queryset, order: Order) -> str:
    """The cursor that opens the oldest page (as following "Older" to the end would)."""
    row = queryset.order_by(*order.order_by(reverse=True))[50]
    return keyset_cursor(order, row)


@pytest.fixture
def seeded(db, admin, contact):
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's; CI runs this file there")
    with connection.cursor() as cursor:
        cursor.execute(SEED)


def pages(contact) -> dict[str, str]:
    contacts = User.objects.filter(kind="contact")
    email_order = Order(("email",), descending=False)
    return {
        "contacts, first page": "/agent/admin/contacts/",
        "contacts, last page": "/agent/admin/contacts/?older="
        + last_page_cursor(contacts, email_order),
        "contacts, one e-mail": "/agent/admin/contacts/?q=c12345%40example.com",
        "contacts, with 2FA": "/agent/admin/contacts/?twofa=on",
        "contacts, without 2FA": "/agent/admin/contacts/?twofa=off",
        "agents": "/agent/admin/agents/",
        "audit log, first page": "/agent/admin/audit/",
        "audit log, last page": "/agent/admin/audit/?older="
        + last_page_cursor(AuditEvent.objects.all(), AUDIT_ORDER),
        "audit log, one account": "/agent/admin/audit/?account=c12345%40example.com",
        "audit log, one event type": "/agent/admin/audit/?event=signout",
        "audit log, one day": "/agent/admin/audit/?date_from=2020-01-01&date_to=2020-01-01",
        "tickets, first page": "/agent/",
        "tickets, last page": "/agent/?older="
        + last_page_cursor(Ticket.objects.all(), TICKET_ORDER),
        "tickets, one status": "/agent/?status=pending",
        "adoption overview": "/agent/admin/",
        "audit exports": "/agent/admin/audit/exports/",
    }


def test_j1_j2_every_list_query_uses_an_index(seeded, client, admin, contact):
    from tests.conftest import signin

    assert signin(client, admin).status_code == 302
    problems: list[str] = []
    for name, url in pages(contact).items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            problems += [f"{name}: {problem}\n    {sql}" for problem in plan_problems(explain(sql))]
    assert not problems, "\n".join(problems)
