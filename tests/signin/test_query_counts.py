"""C1, C3, C4 and the sign-in's SQL budgets: each step runs a fixed, small number of
statements, the same with 1 account as with 40 more accounts, devices and 400 more
recovery codes. The budgets are the measured numbers, asserted exactly: one more query
fails a test, and so does one fewer until the number here is lowered.

Targets (the sign-in speed work): a password POST at most 5 statements and 2 writes;
a valid code POST at most 10 statements and 4 writes besides Django's session save."""

from __future__ import annotations

import pytest
from django.test import Client

from deskguard.accounts.models import Kind
from tests.conftest import code_step, signin
from tests.queries import Counted, counted

# Measured on this code (SQLite and PostgreSQL alike): raise only with a reason.
PASSWORD_STEP = (4, 2)  # statements, writes: read both limits, count, account, settle
CODE_PAGE = (1, 0)  # the pending account with its authenticator and limit, one SELECT
VALID_CODE = (7, 3)  # statements, writes besides the session: accept, last login, audit
WRONG_CODE = (4, 2)  # account, count the failure, re-read the limit, audit
REPLAYED_CODE = (6, 3)  # account, the refused accept, was it used, count, re-read, audit
RECOVERY_CODE = (11, 6)  # use the code, count left, its audit row, the notice's mail and task


@pytest.fixture
def signed_up(make_user, enroll):
    """An agent with an authenticator whose limit rows exist (a first sign-in ran, with
    one wrong code and then the right one, which cleared the count)."""
    user = make_user(Kind.AGENT)
    enrollment = enroll(user)
    warm = Client()
    url = code_step(warm, user)
    assert warm.post(url, {"code": "000000"}).status_code == 400  # creates the 2FA row
    assert warm.post(url, {"code": enrollment.code(steps=-1)}).status_code == 302
    return user, enrollment


def within(measured: Counted, budget: tuple[int, int], *, app_writes: bool = False) -> None:
    """Exactly the budget: one more statement fails, and so does one fewer, so a change
    that saves a query updates the number here and the budget stays the real count."""
    writes = measured.app_writes if app_writes else measured.writes
    assert (measured.statements, writes) == budget, str(measured)


def test_c1_the_password_step_stays_within_its_budget(client, signed_up):
    user, _ = signed_up
    response, measured = counted(lambda: signin(client, user))
    assert response["Location"] == "/agent/signin/verify/"
    within(measured, PASSWORD_STEP)


def test_c1_the_code_page_is_one_query(client, signed_up):
    user, _ = signed_up
    url = code_step(client, user)
    response, measured = counted(lambda: client.get(url))
    assert response.status_code == 200
    within(measured, CODE_PAGE)


def test_c3_a_valid_code_stays_within_its_budget(client, signed_up):
    user, enrollment = signed_up
    url = code_step(client, user)
    code = enrollment.code(steps=1)
    response, measured = counted(lambda: client.post(url, {"code": code}))
    assert response.status_code == 302, response.content
    within(measured, VALID_CODE, app_writes=True)


def test_c3_c5_wrong_and_replayed_codes_stay_within_their_budgets(client, signed_up):
    user, enrollment = signed_up
    url = code_step(client, user)
    code = enrollment.code(steps=1)
    assert client.post(url, {"code": code}).status_code == 302
    client.post("/agent/signout/")
    url = code_step(client, user)
    response, replayed = counted(lambda: client.post(url, {"code": code}))
    assert response.status_code == 400 and b"already used" in response.content
    within(replayed, REPLAYED_CODE)
    response, wrong = counted(lambda: client.post(url, {"code": "000000"}))
    assert response.status_code == 400 and b"not correct" in response.content
    within(wrong, WRONG_CODE)


def test_c4_a_recovery_code_stays_within_its_budget(client, signed_up):
    user, enrollment = signed_up
    url = code_step(client, user)
    response, measured = counted(lambda: client.post(url, {"code": enrollment.codes[0]}))
    assert response.status_code == 302
    within(measured, RECOVERY_CODE, app_writes=True)


def test_c1_the_counts_do_not_grow_with_accounts_devices_or_codes(client, make_user, enroll):
    def measure() -> tuple[int, int, int]:
        user = make_user(Kind.AGENT)
        enrollment = enroll(user)
        url = code_step(client, user)
        client.post(url, {"code": "000000"})
        _, password = counted(lambda: signin(client, user))
        code = enrollment.code(steps=1)
        _, valid = counted(lambda: client.post(url, {"code": code}))
        client.post("/agent/signout/")
        code_step(client, user)
        _, recovery = counted(lambda: client.post(url, {"code": enrollment.codes[0]}))
        client.post("/agent/signout/")
        return password.statements, valid.statements, recovery.statements

    small = measure()
    for _ in range(40):
        enroll(make_user(Kind.AGENT))  # 40 more devices and 400 more recovery codes
    assert measure() == small
