"""F4: the stylesheet and script are files (the CSP forbids inline ones), so they
must actually be served, or every page is unstyled and deskguard.js never runs."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.parametrize(
    "asset", ["deskguard/deskguard.css", "deskguard/deskguard.js", "deskguard/countdown.js"]
)
def test_f4_the_static_finders_find_the_stylesheet_and_script(asset):
    """Without this, runserver, the live server and collectstatic all miss them."""
    assert finders.find(asset) is not None, (
        f"{asset} is found by no staticfiles finder: add deskguard/static to "
        "STATICFILES_DIRS (or put it in an installed app)"
    )
