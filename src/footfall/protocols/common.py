"""Boundary helpers every dialect uses: client IP derivation, JSON decoding, URL splitting."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import msgspec

from footfall.enrich.sources import strip_www

__all__ = ["SplitUrl", "clean_ip", "client_ip", "decode_json", "strip_www"]

_json_decoder = msgspec.json.Decoder()

_V4_PORT = re.compile(r"([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):[0-9]+\Z")
_BRACKET_PORT = re.compile(r"(\[.*\]):[0-9]+\Z")


def decode_json(body: bytes) -> Any:
    """Decoded JSON, or raises ValueError for anything that is not JSON."""
    try:
        return _json_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        # Deeply nested input ([[[[...) exhausts the decoder's recursion: malformed, not a crash.
        raise ValueError(str(exc)[:200]) from exc


def clean_ip(value: str) -> str:
    """Plausible's clean-up: strip a port after IPv4 or `]`, then the brackets. No validation."""
    value = value.strip()
    if ":" not in value and "[" not in value and "]" not in value:
        return value  # a bare IPv4 address, the common case: nothing to strip
    m = _V4_PORT.match(value) or _BRACKET_PORT.match(value)
    if m:
        value = m.group(1)
    if value.startswith("["):
        value = value[1:]
    if value.endswith("]"):
        value = value[:-1]
    return value


def _forwarded_for(value: str) -> str:
    for part in re.split(r"[;,]", value):
        name, sep, v = part.strip().partition("=")
        if sep and name.strip().lower() == "for":
            return v.strip().strip('"')
    return ""


def client_ip(headers: dict[str, str], peer: str, trusted_header: str = "") -> str:
    """The visitor's IP. With `trusted_header` set, only that header (left-most entry) counts;
    otherwise Plausible's order: X-Plausible-IP, CF-Connecting-IP, B-Forwarded-For,
    X-Forwarded-For (left-most), Forwarded (first for=), then the socket peer."""
    if trusted_header:
        value = headers.get(trusted_header.lower(), "")
        if trusted_header.lower() == "forwarded":
            value = _forwarded_for(value)
        value = value.split(",", 1)[0]
        return clean_ip(value) if value.strip() else peer
    value = headers.get("x-plausible-ip", "")
    if value.strip():
        return clean_ip(value)
    value = headers.get("cf-connecting-ip", "")
    if value.strip():
        return clean_ip(value)
    for name in ("b-forwarded-for", "x-forwarded-for"):
        value = headers.get(name, "")
        if value.strip():
            return clean_ip(value.split(",", 1)[0])
    value = headers.get("forwarded", "")
    if value.strip():
        found = _forwarded_for(value)
        if found:
            return clean_ip(found)
    return peer


class SplitUrl:
    """A URL split the way the dialects need: host may be absent (None) or empty ("")."""

    __slots__ = ("scheme", "host", "path", "query", "fragment", "ok")

    def __init__(self, url: str) -> None:
        self.ok = True
        try:
            parts = urlsplit(url)
            self.scheme = parts.scheme.lower()
            rest = url[len(parts.scheme) + 1 :] if parts.scheme else url
            has_authority = rest.startswith("//")
            host = parts.hostname  # lower-cased, brackets and port removed
            self.host: str | None = (host or "") if has_authority else None
            self.path = parts.path
            self.query = parts.query
            self.fragment: str | None = parts.fragment if "#" in url else None
        except ValueError:
            self.ok = False
            self.scheme, self.host, self.path, self.query, self.fragment = "", None, "", "", None
