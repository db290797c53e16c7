"""A3/F3: reset mail is rate-limited, never sent inside the request (the mail worker
sends it and alone decides whether the address has an account), and its links only
work for active accounts of their own portal."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from deskguard.accounts.models import User
from deskguard.outbox.models import MailKind, MailStatus, OutboundMail


def ask(client, email, portal="portal"):
    return client.post(f"/{portal}/password-reset/", {"email": email})


def test_a3_i2_one_client_gets_at_most_three_reset_mails_an_hour_with_the_same_answer(
    contact, deliver
):
    client = Client(REMOTE_ADDR="10.0.0.1")
    answers = [ask(client, contact.email) for _ in range(5)]
    assert [a.status_code for a in answers] == [302] * 5
    assert len({a["Location"] for a in answers}) == 1
    assert len([m for m in deliver() if m.to == [contact.email]]) == 3
    skipped = OutboundMail.objects.filter(to_address=contact.email, status=MailStatus.SKIPPED)
    assert skipped.count() == 2
    assert all("used up" in m.last_answer for m in skipped)


def test_a3_i2_an_address_gets_at_most_ten_reset_mails_an_hour_from_everywhere(contact, deliver):
    for i in range(14):
        assert ask(Client(REMOTE_ADDR=f"10.0.1.{i}"), contact.email).status_code == 302
    assert len([m for m in deliver() if m.to == [contact.email]]) == 10


def test_f3_one_client_address_is_slowed_down_after_ten_requests(client, contact, deliver):
    for i in range(10):
        assert ask(client, f"someone{i}@example.com").status_code == 302
    refused = ask(client, contact.email)
    assert refused.status_code == 429
    assert b"Try again after" in refused.content
    assert not OutboundMail.objects.filter(to_address=contact.email).exists()
    assert deliver() == []


def test_f3_the_request_sends_no_mail_and_queues_the_same_row_for_any_address(
    contact, mailoutbox, deliver
):
    """The request neither sends mail nor looks up the account: a known and an unknown
    address cost the same work and write the same kind of queue row, so neither the
    answer nor its timing tells them apart. The worker sends the mail afterwards."""
    with CaptureQueriesContext(connection) as known_queries:
        known = ask(Client(REMOTE_ADDR="10.0.1.1"), contact.email)
    assert mailoutbox == []
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = ask(Client(REMOTE_ADDR="10.0.1.2"), "nobody@example.com")
    assert mailoutbox == []
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert known.content == unknown.content
    assert len(known_queries) == len(unknown_queries)
    user_table = User._meta.db_table
    for query in known_queries.captured_queries + unknown_queries.captured_queries:
        assert user_table not in query["sql"], query["sql"]
    rows = list(
        OutboundMail.objects.order_by("id").values_list(
            "kind", "status", "to_address", "recipient", "attempts"
        )
    )
    assert rows == [
        (MailKind.PASSWORD_RESET, MailStatus.WAITING, contact.email, None, 0),
        (MailKind.PASSWORD_RESET, MailStatus.WAITING, "nobody@example.com", None, 0),
    ]
    assert DBTaskResult.objects.count() == 2  # one delivery task each

    assert [m.to for m in deliver()] == [[contact.email]]
    statuses = dict(OutboundMail.objects.values_list("to_address", "status"))
    assert statuses == {contact.email: MailStatus.SENT, "nobody@example.com": MailStatus.SKIPPED}


def test_a3_a_link_of_a_since_deactivated_account_sets_nothing(client, contact, mailed_links):
    ask(client, contact.email)
    [link] = mailed_links(contact.email)
    User.objects.filter(pk=contact.pk).update(is_active=False)
    page = client.get(link.replace("http://testserver", ""), follow=True)
    assert b"not valid any more" in page.content


def test_a3_a_link_does_not_work_under_the_other_portal(client, contact, mailed_links):
    ask(client, contact.email)
    [link] = mailed_links(contact.email)
    page = client.get(link.replace("http://testserver/portal/", "/agent/"), follow=True)
    assert b"not valid any more" in page.content
