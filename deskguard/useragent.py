"""A browser and its system in words ("Firefox 128 on Windows 10") for mails, the audit
log and the Security page (L2).

The parsing is `ua-parser` (the maintained Python port of the uap-core rules, updated
as browsers change); only the wording is ours. A string it does not recognise reads
"Unknown browser", never the raw text, which the audit log keeps for whoever needs it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ua_parser import parse

UNKNOWN = gettext_lazy("Unknown browser")
AUTOMATED = gettext_lazy("Automated client")
# For unknown crawlers the rules take the name from the string itself ("(+bot"): only
# a plain name is worth repeating.
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 ._-]{0,39}")

# uap-core's names where a reader knows the product by a shorter one.
_BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "HeadlessChrome": "Headless Chrome",
    "Samsung Internet": "Samsung Internet",
}
_SYSTEM_NAMES = {"Mac OS X": "macOS"}
# Browsers froze these versions in the string years ago (macOS stays "10.15"), so a
# version would mislead more than it tells.
_SYSTEMS_WITHOUT_VERSION = frozenset({"macOS", "Linux", "Ubuntu", "Chrome OS"})


def _named(family: str, major: str | None, *, names: dict[str, str]) -> str:
    name = names.get(family, family)
    return f"{name} {major}" if major else name


@lru_cache(maxsize=1024)
def _parts(user_agent: str) -> tuple[bool, str, str, str]:
    """(automated, the crawler's plain name, browser, system), parsed once per string;
    the words around them are the reader's language's (L4), so they are not cached."""
    # The audit row holds at most 300 characters; nothing longer is worth parsing.
    result = parse(user_agent[:300])
    browser = system = ""
    family = result.user_agent.family if result.user_agent is not None else "Other"
    plain = family != "Other" and _PLAIN_NAME.fullmatch(family) is not None
    if result.device is not None and result.device.family == "Spider":
        return True, family if plain else "", "", ""
    if plain and result.user_agent is not None:
        browser = _named(family, result.user_agent.major, names=_BROWSER_NAMES)
    if result.os is not None and result.os.family != "Other":
        name = _SYSTEM_NAMES.get(result.os.family, result.os.family)
        major = None if name in _SYSTEMS_WITHOUT_VERSION else result.os.major
        system = _named(name, major, names={})
    return False, "", browser, system


def browser_in_words(user_agent: str) -> str:
    """'Firefox 128 on Windows 10', 'Safari 17 on iOS 17', 'Chrome 131', 'Automated
    client (Googlebot)', or 'Unknown browser' (also for an empty string: callers
    decide whether to show it)."""
    automated, crawler, browser, system = _parts(user_agent)
    if automated:
        if crawler:
            return _("Automated client (%(name)s)") % {"name": crawler}
        return str(AUTOMATED)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if system:
        return _("%(browser)s on %(system)s") % {"browser": UNKNOWN, "system": system}
    return browser or str(UNKNOWN)
