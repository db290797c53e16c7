"""A3/F3: reset mail is rate-limited, sent after the response, and its links only
work for active accounts of their own portal."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import resolve

from deskguard.accounts.models import User
from deskguard.audit.models import AuditEvent, Event


def ask(client, email, portal="portal"):
    return client.post(f"/{portal}/password-reset/", {"email": email})


def test_a3_one_address_gets_at_most_three_reset_mails_an_hour_with_the_same_answer(
    client, contact
):
    answers = [ask(Client(REMOTE_ADDR=f"10.0.0.{i}"), contact.email) for i in range(5)]
    assert [a.status_code for a in answers] == [302] * 5
    assert len({a["Location"] for a in answers}) == 1
    assert len([m for m in mail.outbox if m.to == [contact.email]]) == 3
    mailed = AuditEvent.objects.filter(event=Event.PASSWORD_RESET_REQUESTED)
    assert [e.detail["mailed"] for e in mailed.order_by("id")] == [True] * 3 + [False] * 2


def test_f3_one_client_address_is_slowed_down_after_ten_requests(client, contact):
    for i in range(10):
        assert ask(client, f"someone{i}@example.com").status_code == 302
    refused = ask(client, contact.email)
    assert refused.status_code == 429
    assert b"Try again after" in refused.content
    assert not mail.outbox


def test_f3_the_reset_mail_is_sent_after_the_response_is_complete(rf, contact):
    """The mail is queued on the response and sent when the server closes it (after
    the last byte), so a real address does not answer slower than an unknown one."""
    request = rf.post("/portal/password-reset/", {"email": contact.email})
    request._dont_enforce_csrf_checks = True
    request.user = AnonymousUser()
    request.resolver_match = resolve(request.path)
    response = request.resolver_match.func(request)
    assert response.status_code == 302
    assert mail.outbox == []  # the view returned, nothing sent yet
    response.close()  # what gunicorn does after sending the response
    assert [m.to for m in mail.outbox] == [[contact.email]]


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
