"""L1, L5: the error pages (400, 403, 404, 500 and the body-size refusals) are pages of
the portal whose address was asked for: the agent theme and a home link to the Agent
Portal under /agent/, the customer ones elsewhere; each fits a phone (viewport) and
has a skip link to its main content."""

from __future__ import annotations

import io

import pytest
from django.test import Client, RequestFactory

from deskguard import errors


def theme(html: str) -> str:
    if '<body class="portal-agent">' in html:
        return "agent"
    assert '<body class="portal-customer">' in html, html
    return "customer"


def assert_a_phone_page(html: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<a class="skip-link" href="#main">' in html and 'id="main"' in html


@pytest.mark.parametrize(
    ("path", "portal", "home"),
    [("/agent/no-such-page/", "agent", "/agent/"), ("/portal/no-such-page/", "customer", "/")],
)
def test_l1_l5_a_404_is_a_page_of_the_portal_asked_for(client: Client, db, path, portal, home):
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 404
    assert theme(html) == portal
    assert f'<a href="{home}">Home</a>' in html
    assert_a_phone_page(html)


def test_l1_l5_a_contact_at_the_agent_portal_gets_its_403_in_the_agent_theme(contact_client):
    response = contact_client.get("/agent/")
    html = response.content.decode()
    assert response.status_code == 403
    assert theme(html) == "agent"
    assert "This page belongs to the Agent Portal." in html
    assert_a_phone_page(html)


@pytest.mark.parametrize(
    ("path", "portal"), [("/agent/tickets/1/", "agent"), ("/portal/tickets/1/", "customer")]
)
def test_l1_l5_a_500_is_a_page_of_the_portal_asked_for_without_touching_the_database(
    db, path, portal, django_assert_num_queries
):
    request = RequestFactory().get(path)
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert theme(html) == portal
    assert_a_phone_page(html)


def test_l1_l5_a_400_for_a_bad_request_keeps_the_theme_and_echoes_nothing(client: Client, db):
    response = client.request(
        REQUEST_METHOD="POST",
        PATH_INFO="/agent/signin/",
        QUERY_STRING="",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="many",
        **{"wsgi.input": io.BytesIO(b"email=a")},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert theme(html) == "agent"
    assert "The Content-Length header is not a number." in html
    assert_a_phone_page(html)
    generic = errors.bad_request(RequestFactory().get("/portal/?<b>x</b>"), ValueError("<b>"))
    assert generic.status_code == 400
    assert "<b>" not in generic.content.decode()
    assert theme(generic.content.decode()) == "customer"
