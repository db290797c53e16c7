"""A browser and its system in words ("Firefox 128 on Windows 10") for mails, the audit
log and the Security page (L2).

The parsing is `ua-parser` (the maintained Python port of the uap-core rules, updated
as browsers change); only the wording is ours. A string it does not recognise reads
"Unknown browser", never the raw text, which the audit log keeps for whoever needs it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ua_parser import parse

UNKNOWN = "Unknown browser"
AUTOMATED = "Automated client"
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
def browser_in_words(user_agent: str) -> str:
    """'Firefox 128 on Windows 10', 'Safari 17 on iOS 17', 'Chrome 131', 'Automated
    client (Googlebot)', or 'Unknown browser' (also for an empty string: callers
    decide whether to show it)."""
    # The audit row holds at most 300 characters; nothing longer is worth parsing.
    result = parse(user_agent[:300])
    browser = system = ""
    family = result.user_agent.family if result.user_agent is not None else "Other"
    plain = family != "Other" and _PLAIN_NAME.fullmatch(family) is not None
    if result.device is not None and result.device.family == "Spider":
        return f"{AUTOMATED} ({family})" if plain else AUTOMATED
    if plain and result.user_agent is not None:
        browser = _named(family, result.user_agent.major, names=_BROWSER_NAMES)
    if result.os is not None and result.os.family != "Other":
        name = _SYSTEM_NAMES.get(result.os.family, result.os.family)
        major = None if name in _SYSTEMS_WITHOUT_VERSION else result.os.major
        system = _named(name, major, names={})
    if browser and system:
        return f"{browser} on {system}"
    if system:
        return f"{UNKNOWN} on {system}"
    return browser or UNKNOWN
