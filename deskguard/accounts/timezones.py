"""Time zones an account can choose (L2), from the system's IANA database (zoneinfo)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings

# The areas of the IANA database's canonical names. The others ("US/Eastern", "EST",
# "Etc/GMT+5") are aliases kept for old software; offering them would only make the
# list longer and "Etc/GMT+5" means UTC-5, which nobody guesses.
_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def zone_valid(name: str) -> bool:
    """Whether `name` is a time zone this system knows (any IANA name, aliases too)."""
    if not name or len(name) > 64 or "\x00" in name or name.startswith(("/", ".")):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_or_default(name: str) -> ZoneInfo:
    """The account's zone; the helpdesk's when it chose none (or a name this system
    no longer knows, rather than failing a page or a mail)."""
    return ZoneInfo(name) if zone_valid(name) else ZoneInfo(settings.TIME_ZONE)


@cache
def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Canonical zones grouped by area ("Europe" -> "Europe/Berlin"), for a select."""
    groups: dict[str, list[tuple[str, str]]] = {area: [] for area in _AREAS}
    for name in sorted(available_timezones()):
        area, _, place = name.partition("/")
        if area in groups and place:
            groups[area].append((name, place.replace("_", " ").replace("/", " / ")))
    groups["UTC"] = [("UTC", "UTC")]
    return [(area, zones) for area, zones in groups.items() if zones]
