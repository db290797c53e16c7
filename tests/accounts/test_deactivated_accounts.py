"""Deactivated accounts (A6): no sign-in, and open sessions stop at the next request."""

from __future__ import annotations

from deskguard.accounts.models import User
from deskguard.outbox.models import MailStatus, OutboundMail
from tests.conftest import PASSWORD, signin

GENERIC = b"The email address or password is not correct."


def deactivate(admin_browser, user: User):
    """The button of the confirmation page, in a browser in sudo mode (I10)."""
    return admin_browser.post(f"/agent/admin/accounts/{user.pk}/deactivate/")


def test_a6_a_deactivated_contact_cannot_sign_in_and_gets_the_generic_message(client, contact):
    contact.is_active = False
    contact.save()
    response = client.post("/portal/signin/", {"email": contact.email, "password": PASSWORD})
    assert response.status_code == 400
    assert GENERIC in response.content
    assert "_auth_user_id" not in client.session


def test_a6_an_agent_deactivated_by_an_administrator_is_signed_out_at_the_next_request(
    client, sudo_client, agent
):
    assert signin(client, agent).status_code == 302
    assert client.get("/agent/").status_code == 200

    response = deactivate(sudo_client, agent)
    assert response.status_code == 302
    assert response["Location"] == "/agent/admin/agents/"

    after = client.get("/agent/")
    assert after.status_code == 302
    assert after["Location"].startswith("/agent/signin/")
    assert signin(client, agent).status_code == 400


def test_a6_a_deactivated_contact_loses_access_to_their_tickets_at_once(
    client, sudo_client, contact, make_ticket
):
    ticket = make_ticket(contact)
    assert signin(client, contact).status_code == 302
    assert client.get(f"/portal/tickets/{ticket.pk}/").status_code == 200
    deactivate(sudo_client, contact)

    response = client.get(f"/portal/tickets/{ticket.pk}/")
    assert response.status_code == 302
    assert b"Printer on fire" not in response.content


def test_a6_the_admin_list_shows_the_account_as_deactivated(sudo_client, agent):
    page = sudo_client.post(
        f"/agent/admin/accounts/{agent.pk}/deactivate/", follow=True
    ).content.decode()
    assert f"{agent.email} is deactivated." in page
    assert "Deactivated" in page


def test_a6_an_administrator_cannot_deactivate_their_own_account(admin_client, admin):
    response = admin_client.post(f"/agent/admin/accounts/{admin.pk}/deactivate/", follow=True)
    assert b"You cannot deactivate your own account." in response.content
    admin.refresh_from_db()
    assert admin.is_active
    assert admin_client.get("/agent/admin/").status_code == 200


def test_a6_opening_the_deactivation_page_changes_nothing(sudo_client, agent):
    response = sudo_client.get(f"/agent/admin/accounts/{agent.pk}/deactivate/")
    assert response.status_code == 200
    assert b"Deactivate the account" in response.content
    agent.refresh_from_db()
    assert agent.is_active


def test_a6_deactivating_an_unknown_account_is_a_404(admin_client, db):
    assert admin_client.post("/agent/admin/accounts/987654/deactivate/").status_code == 404
    assert (
        admin_client.post("/agent/admin/accounts/99999999999999999999999/deactivate/").status_code
        == 404
    )


def test_a6_a_deactivated_account_gets_no_password_reset_mail(client, contact, deliver):
    contact.is_active = False
    contact.save()
    response = client.post("/portal/password-reset/", {"email": contact.email})
    assert response.status_code == 302
    assert response["Location"] == "/portal/password-reset/sent/"  # the same answer (F3)
    assert deliver() == []
    assert OutboundMail.objects.get(to_address=contact.email).status == MailStatus.SKIPPED


def test_a6_an_account_deactivated_before_the_worker_ran_gets_no_mail(
    client, sudo_client, contact, deliver
):
    """The worker decides at send time: a reset asked for while the account was active
    is not sent once an administrator deactivated it, nor is any queued notice."""
    response = client.post("/portal/password-reset/", {"email": contact.email})
    assert response.status_code == 302
    assert deactivate(sudo_client, contact).status_code == 302
    assert deliver() == []
    assert set(OutboundMail.objects.values_list("status", flat=True)) == {MailStatus.SKIPPED}
