"""The client IP as Umami derives it (reference/umami.md §1.5), falling back to the socket peer.

Umami's header order differs from Plausible's (true-client-ip, cf-connecting-ip, ... before
x-forwarded-for), so a site behind a CDN keeps the countries it had. The value is normalised
(IPv4-mapped IPv6 to dotted IPv4, IPv6 compressed; a `:port` stripped), else used as sent.
"""

from __future__ import annotations

import ipaddress
import re

HEADERS = (
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
    "x-nf-client-connection-ip",
    "do-connecting-ip",
    "x-real-ip",
    "x-appengine-user-ip",
    "x-forwarded-for",
    "forwarded",
    "x-client-ip",
    "x-cluster-client-ip",
    "x-forwarded",
)
_FOR = re.compile(r"for=(\[?[0-9a-fA-F:.]+\]?)")
_PORT = re.compile(r"^(\[[^\]]*\]|[^:]+):[0-9]+\Z")


_PLAIN_V4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$")


def normalise_ip(value: str) -> str:
    value = value.strip()
    if _PLAIN_V4.match(value):
        return value  # already canonical: skip ipaddress, which costs more than the rest of this
    # Unlike Umami, "[v6]:port" loses its brackets too: the value must hash and geo-locate as an IP.
    for candidate in (value, _PORT.sub(r"\1", value), _PORT.sub(r"\1", value).strip("[]")):
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return address.compressed
    return _PORT.sub(r"\1", value)


def umami_client_ip(headers: dict[str, str], peer: str, trusted_header: str = "") -> str:
    if trusted_header:
        value = headers.get(trusted_header.lower(), "")
        if value.strip():
            return normalise_ip(value.split(",", 1)[0])
    for name in HEADERS:
        value = headers.get(name, "")
        if not value.strip():
            continue
        if name == "x-forwarded-for":
            value = value.split(",", 1)[0]
        elif name == "forwarded":
            match = _FOR.search(value)
            if match is None:
                continue  # Umami's dev branch: an unparsable Forwarded names no client
            value = match.group(1)
        return normalise_ip(value)
    return normalise_ip(peer) if peer else ""
