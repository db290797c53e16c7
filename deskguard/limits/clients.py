"""Which client an attempt comes from, for the per-address limits (I8)."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from deskguard.netutil import client_ip

# One IPv6 customer usually gets a whole /64 (RFC 6177): counting single addresses
# would give one attacker 2^64 fresh counters.
IPV6_PREFIX = 64


def client_group(address: str | None) -> str:
    """The address as counted: IPv4 as is, IPv6 as its /64 network."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is an IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


def request_client_group(request: HttpRequest) -> str:
    return client_group(client_ip(request))
