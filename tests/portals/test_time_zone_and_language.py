"""L2: each account chooses its time zone (default: the helpdesk's) on its profile
page, and every page shows times in the zone of whoever reads it; L4: the account's
language choice is stored beside it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from deskguard.accounts.models import Language
from tests.conftest import signin

MARCH_FIRST_2230_UTC = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("persona", "url"), [("agent", "/agent/settings/"), ("contact", "/portal/profile/")]
)
def test_l2_an_account_chooses_its_time_zone_and_language_on_its_profile(request, persona, url):
    client = request.getfixturevalue(f"{persona}_client")
    user = request.getfixturevalue(persona)
    page = client.get(url).content.decode()
    assert '<select name="time_zone"' in page
    assert '<option value="" selected>Same as the helpdesk (UTC)</option>' in page
    assert '<option value="Europe/Berlin">Berlin</option>' in page
    assert '<option value="de">Deutsch</option>' in page
    response = client.post(
        url, {"name": "Renamed", "time_zone": "Europe/Berlin", "language": "de"}, follow=True
    )
    # L4: the chosen language applies at once, to this confirmation too.
    assert "Ihr Profil ist gespeichert." in response.content.decode()
    user.refresh_from_db()
    assert (user.name, user.time_zone, user.language) == ("Renamed", "Europe/Berlin", "de")
    assert '<option value="Europe/Berlin" selected>Berlin</option>' in response.content.decode()


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "../../etc/passwd", "Europe/Berlin\x00", "x" * 500, "/UTC"]
)
def test_l2_a_time_zone_zoneinfo_does_not_know_is_a_form_error(contact_client, contact, zone):
    response = contact_client.post(
        "/portal/profile/", {"name": "Carol", "time_zone": zone, "language": ""}
    )
    assert response.status_code == 400
    assert b"is not a time zone we know. Choose one from the list" in response.content
    contact.refresh_from_db()
    assert contact.time_zone == ""


def test_l2_a_language_outside_the_list_is_a_form_error(contact_client, contact):
    response = contact_client.post(
        "/portal/profile/", {"name": "Carol", "time_zone": "", "language": "fr"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert {v for v, _ in Language.choices} == {"en", "de"}


def test_l2_a_form_without_the_new_fields_keeps_their_values(contact_client, contact):
    contact.time_zone, contact.language = "Asia/Tokyo", "de"
    contact.save()
    contact_client.post("/portal/profile/", {"name": "Caroline"})
    contact.refresh_from_db()
    assert (contact.name, contact.time_zone, contact.language) == ("Caroline", "Asia/Tokyo", "de")


def test_l2_pages_show_times_in_the_readers_zone(
    settings, client, other_client, agent, contact, make_ticket
):
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(MARCH_FIRST_2230_UTC, tick=False):
        make_ticket(contact, subject="Printer on fire")
    contact.time_zone = "Asia/Tokyo"
    contact.save()
    signin(client, contact)
    signin(other_client, agent)
    # The contact, in Tokyo, sees the next morning; the agent the helpdesk's time.
    assert "2026-03-02 07:30" in client.get("/portal/").content.decode()
    agent_page = other_client.get("/agent/").content.decode()
    assert "2026-03-01 22:30" in agent_page
    assert "2026-03-02 07:30" not in agent_page


def test_l2_the_zone_of_one_request_does_not_leak_into_the_next(
    settings, client, contact, make_ticket
):
    settings.TIME_ZONE = "UTC"
    contact.time_zone = "Pacific/Auckland"
    contact.save()
    signin(client, contact)
    client.get("/portal/")
    assert timezone.get_current_timezone_name() == "UTC"
