"""L2: browsers and systems in words, from the maintained ua-parser rules; strings it
does not know degrade to a plain phrase, never to an error or the raw text."""

from __future__ import annotations

import pytest

from deskguard.useragent import browser_in_words


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 on Windows 10",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 on iOS 17",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.39 Mobile Safari/537.36",
            "Chrome 131 on Android 14",
        ),
        (
            # macOS is frozen at "10_15_7" in every browser's string: no version shown.
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
            "Edge 130 on macOS",
        ),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "Automated client (Googlebot)"),
        ("Mozilla/5.0 (Windows NT 10.0)", "Unknown browser on Windows 10"),
    ],
)
def test_l2_common_browsers_read_as_words(user_agent, words):
    assert browser_in_words(user_agent) == words


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        ("", "Unknown browser"),
        ("\x00\x01garbage", "Unknown browser"),
        ("<script>alert(1)</script>", "Unknown browser"),
        ("x" * 5000, "Unknown browser"),
        ("(+bot", "Automated client"),
    ],
)
def test_l2_strings_the_parser_does_not_know_degrade_to_plain_words(user_agent, words):
    assert browser_in_words(user_agent) == words
