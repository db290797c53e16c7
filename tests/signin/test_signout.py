"""Sign-out in each portal (A2, F4): POST only, and the session is gone afterwards."""

from __future__ import annotations

import pytest

from tests.conftest import signin


@pytest.mark.parametrize(
    ("persona", "portal", "home"),
    [("agent", "agent", "/agent/"), ("contact", "portal", "/portal/")],
)
def test_a2_signing_out_ends_the_session_and_returns_to_the_portals_sign_in_page(
    client, agent, contact, persona, portal, home
):
    assert signin(client, {"agent": agent, "contact": contact}[persona]).status_code == 302
    assert client.get(home).status_code == 200

    response = client.post(f"/{portal}/signout/", follow=True)

    assert response.redirect_chain[0] == (f"/{portal}/signin/", 302)
    assert b"You have signed out." in response.content
    assert "_auth_user_id" not in client.session
    after = client.get(home)
    assert after.status_code == 302
    assert after["Location"].startswith(f"/{portal}/signin/")


@pytest.mark.parametrize("portal", ["agent", "portal"])
def test_f4_sign_out_by_get_is_refused_so_a_link_or_image_cannot_sign_anyone_out(
    client, agent_client, portal
):
    response = client.get(f"/{portal}/signout/")
    assert response.status_code == 405
    assert client.get("/agent/").status_code == 200


def test_a2_signing_out_when_not_signed_in_just_shows_the_sign_in_page(client, db):
    response = client.post("/portal/signout/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin/"
