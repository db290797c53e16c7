"""SSO buttons on the sign-in pages (A4): per portal, no network, gone when removed."""

from __future__ import annotations

from deskguard.sso.models import ProviderPortals, SSOProvider


def test_a4_each_portal_shows_the_buttons_of_its_enabled_providers(client, make_provider, oidc):
    make_provider(oidc.url, slug="both", name="Everyone ID")
    make_provider(oidc.url, slug="staff", name="Staff ID", portals=ProviderPortals.AGENT)
    make_provider(oidc.url, slug="people", name="People ID", portals=ProviderPortals.CUSTOMER)
    make_provider(oidc.url, slug="off", name="Old ID", enabled=False)
    agent_page = client.get("/agent/signin/").content.decode()
    customer_page = client.get("/portal/signin/").content.decode()
    assert 'href="/sso/both/start/?portal=agent' in agent_page
    assert "Sign in with Staff ID" in agent_page
    assert "People ID" not in agent_page
    assert 'href="/sso/both/start/?portal=customer' in customer_page
    assert "Sign in with People ID" in customer_page
    assert "Staff ID" not in customer_page
    assert "Old ID" not in agent_page + customer_page


def test_a4_no_provider_means_no_sso_block(client, db):
    assert b'class="sso"' not in client.get("/portal/signin/").content


def test_a4_the_sign_in_page_never_contacts_a_provider(client, make_provider, blackhole):
    """A provider that is down must not slow password sign-in."""
    make_provider(blackhole.url)
    before = blackhole.connections
    page = client.get("/agent/signin/")
    assert page.status_code == 200
    assert b"Sign in with TestID" in page.content
    assert blackhole.connections == before


def test_a4_the_start_link_is_a_plain_get_link_that_keeps_the_next_page(client, provider):
    page = client.get("/portal/signin/", {"next": "/portal/tickets/new/"}).content.decode()
    assert (
        'href="/sso/testid/start/?portal=customer&amp;next=/portal/tickets/new/"' in page
        or 'href="/sso/testid/start/?portal=customer&amp;next=%2Fportal%2Ftickets%2Fnew%2F"' in page
    )
    assert "<form" not in page.split('class="sso"')[1].split("</div>")[0]


def test_a4_a_removed_provider_loses_its_button_and_its_urls(client, provider):
    assert b"Sign in with TestID" in client.get("/portal/signin/").content
    SSOProvider.objects.filter(pk=provider.pk).delete()
    assert b"Sign in with TestID" not in client.get("/portal/signin/").content
    assert client.get("/sso/testid/start/", {"portal": "customer"}).status_code == 404
    assert client.get("/sso/testid/callback/", {"state": "x", "code": "y"}).status_code == 404


def test_a4_a_disabled_provider_loses_its_button_and_its_urls(client, provider):
    SSOProvider.objects.filter(pk=provider.pk).update(enabled=False)
    assert b"Sign in with TestID" not in client.get("/agent/signin/").content
    assert client.get("/sso/testid/start/", {"portal": "agent"}).status_code == 404


def test_a2_a4_a_provider_is_not_started_on_a_portal_it_is_not_offered_on(
    client, make_provider, oidc
):
    make_provider(oidc.url, portals=ProviderPortals.AGENT)
    assert client.get("/sso/testid/start/", {"portal": "customer"}).status_code == 404
    assert client.get("/sso/testid/start/", {"portal": "nonsense"}).status_code == 404
    assert client.get("/sso/testid/start/").status_code == 404


def test_a4_the_sso_urls_answer_only_get(client, provider):
    assert client.post("/sso/testid/start/", {"portal": "agent"}).status_code == 405
    assert client.post("/sso/testid/callback/").status_code == 405
