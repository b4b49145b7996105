"""Which addresses a visitor can arrive from over the public internet, as the geo lookup needs it."""

from __future__ import annotations

import bisect
import ipaddress
import socket

__all__ = ["public_address"]


def _ranges(*cidrs: str) -> tuple[list[int], list[int]]:
    nets = sorted(ipaddress.ip_network(c) for c in cidrs)
    return [int(n.network_address) for n in nets], [int(n.broadcast_address) for n in nets]


# Addresses no visitor arrives from over the public internet. Written out rather than asking
# ipaddress's is_global: that is ~10x slower (it walks a list of networks per call) and lets
# multicast through.
_V4_STARTS, _V4_ENDS = _ranges(
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",  # multicast, reserved, broadcast
)
# Only 2000::/3 is global unicast; inside it, the IETF special-purpose block and the documentation blocks.
_V6_STARTS, _V6_ENDS = _ranges("2001::/23", "2001:db8::/32", "3fff::/20")
_V6_GLOBAL_TOP = 0b001  # first three bits of 2000::/3
_V4_MAPPED = bytes(10) + b"\xff\xff"


def _outside(value: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect.bisect_right(starts, value) - 1
    return i < 0 or value > ends[i]


def public_address(text: str) -> str:
    """``text`` if it is a public IPv4 or IPv6 address (IPv4-mapped IPv6 as plain IPv4), else ""."""
    # inet_pton raises ValueError, not OSError, for a NUL inside the text (Umami's `ip` field is
    # the tracker's to fill).
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError):
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
        except (OSError, ValueError):
            return ""
        if packed[:12] == _V4_MAPPED:
            # dual-stack sockets report v4 clients as ::ffff:a.b.c.d; the v4 data is the one to ask
            packed = packed[12:]
            text = socket.inet_ntop(socket.AF_INET, packed)
        elif packed[0] >> 5 != _V6_GLOBAL_TOP or not _outside(int.from_bytes(packed), _V6_STARTS, _V6_ENDS):
            return ""
        else:
            return text
    return text if _outside(int.from_bytes(packed), _V4_STARTS, _V4_ENDS) else ""
