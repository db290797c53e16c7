"""Agent Personal Settings and Customer My Profile (A2, B1 scaffold): name and password."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, signin

NEW = "another good passphrase 5"


@pytest.mark.parametrize(
    ("persona", "url", "heading"),
    [
        ("agent", "/agent/settings/", b"Personal Settings"),
        ("contact", "/portal/profile/", b"My Profile"),
    ],
)
def test_a2_each_portal_has_its_own_settings_page(client, agent, contact, persona, url, heading):
    signin(client, {"agent": agent, "contact": contact}[persona])
    page = client.get(url)
    assert page.status_code == 200
    assert heading in page.content


def test_a2_a_contact_changes_their_name(contact_client, contact):
    response = contact_client.post("/portal/profile/", {"name": "Caroline"}, follow=True)
    assert b"Your profile is saved." in response.content
    contact.refresh_from_db()
    assert contact.name == "Caroline"


def test_a2_an_agent_changes_their_password_and_stays_signed_in(agent_client, other_client, agent):
    response = agent_client.post(
        "/agent/settings/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert b"Your password is changed." in response.content
    assert agent_client.get("/agent/").status_code == 200
    assert signin(other_client, agent).status_code == 400
    assert signin(other_client, agent, password=NEW).status_code == 302


def test_a3_a_password_change_ends_the_accounts_other_sessions(
    contact_client, other_client, contact
):
    signin(other_client, contact)
    contact_client.post(
        "/portal/profile/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert other_client.get("/portal/").status_code == 302


def test_a3_a_wrong_current_password_changes_nothing(contact_client, contact):
    response = contact_client.post(
        "/portal/profile/password/",
        {"old_password": "not my password", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 400
    assert b"Your old password was entered incorrectly." in response.content
    contact.refresh_from_db()
    assert contact.check_password(PASSWORD)


def test_a2_the_other_portals_settings_are_refused(contact_client, db):
    assert contact_client.get("/agent/settings/").status_code == 403
    assert contact_client.post("/agent/settings/", {"name": "x"}).status_code == 403
