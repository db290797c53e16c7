"""The password step and the code step use a small fixed number of queries that does
not grow with the number of accounts, devices or recovery codes (C1, C3, C4)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from deskguard.accounts.models import Kind
from tests.conftest import PASSWORD


def signin_queries(client, user, code: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as password_step:
        client.post("/agent/signin/", {"email": user.email, "password": PASSWORD})
    with CaptureQueriesContext(connection) as code_step:
        response = client.post("/agent/signin/verify/", {"code": code})
    assert response.status_code == 302
    client.post("/agent/signout/")
    return len(password_step), len(code_step)


def test_c1_queries_do_not_grow_with_accounts_devices_or_codes(client, make_user, enroll):
    def measure():
        user = make_user(Kind.AGENT)
        enrollment = enroll(user)
        signin_queries(client, user, enrollment.code())  # first use creates throttle rows
        return (
            signin_queries(client, user, enrollment.code(steps=1)),
            signin_queries(client, user, enrollment.codes[0]),
        )

    small = measure()
    for _ in range(40):
        enroll(make_user(Kind.AGENT))  # 40 more devices and 400 more recovery codes
    large = measure()
    assert large == small
    (password_step, totp_step), (_, recovery_step) = small
    assert password_step <= 16, small
    assert totp_step <= 24 and recovery_step <= 26, small


def test_c1_the_code_step_query_budget(client, make_user, enroll, django_assert_max_num_queries):
    user = make_user(Kind.AGENT)
    code = enroll(user).code()
    client.post("/agent/signin/", {"email": user.email, "password": PASSWORD})
    with django_assert_max_num_queries(24):
        assert client.post("/agent/signin/verify/", {"code": code}).status_code == 302
