"""What the second step shows (C5, L5): an empty field with no look-alike code in it,
a refused code cleared and its message tied to the field, and a retry countdown that
a static script runs while the server keeps refusing early codes."""

from __future__ import annotations

import time

import time_machine

from tests.conftest import code_step
from tests.html import Element, Page, parse


def code_field(page: Page) -> Element:
    return page.one("input", name="code")


def described_by(page: Page, field: Element) -> list[str]:
    """The texts of the elements the field's aria-describedby names."""
    ids = (field.attr("aria-describedby") or "").split()
    return [" ".join(page.by_id(i).text.split()) for i in ids]


def test_l5_the_code_field_is_empty_with_no_digit_placeholder(client, agent, enroll):
    """A grey "123 456" looked like a code already filled in."""
    enroll(agent)
    page = parse(client.get(code_step(client, agent)).content)
    field = code_field(page)
    assert field.attr("placeholder") is None
    assert not field.attr("value")
    assert field.attr("autocomplete") == "one-time-code"
    assert field.attr("aria-invalid") is None


def test_l5_a_wrong_code_is_cleared_and_its_message_describes_the_field(client, agent, enroll):
    enroll(agent)
    url = code_step(client, agent)
    response = client.post(url, {"code": "000000"})
    assert response.status_code == 400
    page = parse(response.content)
    field = code_field(page)
    assert not field.attr("value")  # the wrong code is not typed back in
    assert field.attr("aria-invalid") == "true"
    assert "That code is not correct." in described_by(page, field)
    # Said once, at the field: not a second, unattached box above the form.
    assert response.content.decode().count("That code is not correct.") == 1


def test_l5_a_malformed_code_is_the_fields_error_too(client, agent, enroll):
    enroll(agent)
    response = client.post(code_step(client, agent), {"code": "12"})
    assert response.status_code == 400
    page = parse(response.content)
    field = code_field(page)
    assert field.attr("aria-invalid") == "true"
    assert any("6-digit code" in text for text in described_by(page, field))


def test_c5_a_throttled_code_step_counts_down_and_still_refuses_early_codes(client, agent, enroll):
    enrollment = enroll(agent)
    with time_machine.travel(time.time(), tick=False) as traveller:
        url = code_step(client, agent)
        for _ in range(5):
            client.post(url, {"code": "000000"})
        refused = client.post(url, {"code": enrollment.code()})
        assert refused.status_code == 429  # the server decides, whatever a script does
        page = parse(refused.content)
        field = code_field(page)
        assert not field.attr("value")
        assert any("Try again after" in text for text in described_by(page, field))
        countdown = page.one("p", role="timer")
        seconds = int(countdown.attr("data-countdown") or 0)
        assert 1 <= seconds <= 30
        # It names the Verify button and the field, which exist on the page.
        button = page.by_id(countdown.attr("data-countdown-button") or "")
        assert button.tag == "button" and button.attr("type") == "submit"
        assert page.by_id(countdown.attr("data-countdown-field") or "") == field
        # Hidden until the script runs it: without script, no frozen number.
        assert countdown.attr("hidden") is not None
        # Strict CSP: the countdown is a static file, and there is no inline script.
        scripts = page.all("script")
        assert all(s.attr("src") for s in scripts)
        assert "/static/deskguard/countdown.js" in [s.attr("src") for s in scripts]
        traveller.shift(seconds)
        url = code_step(client, agent)
        assert client.post(url, {"code": enrollment.code(steps=1)}).status_code == 302


def test_c5_an_unthrottled_refusal_has_no_countdown(client, agent, enroll):
    enroll(agent)
    response = client.post(code_step(client, agent), {"code": "000000"})
    assert parse(response.content).all("p", role="timer") == []
