"""Medama's `/event/hit` body, parsed once (reference/medama.md A.1.1, A.1.3-A.1.5).

The body is a JSON object tagged by `e` (load, unload or custom); msgspec decodes it straight
into one of three typed structs, so a wrong type, a missing field, an unknown `e`, a float or a
null in `d` all fail here, as ogen's generated decoder fails them upstream, with a 400. Then each
event becomes one Hit. Sizes are bounded here: Medama has no limits, Footfall must.
"""

from __future__ import annotations

import functools
import re
import socket
from typing import Annotated, NamedTuple
from urllib.parse import urlsplit

import msgspec

from footfall.enrich.languages import parse_accept_language
from footfall.enrich.timezones import TimezoneCountries
from footfall.enrich.urls import decode_path
from footfall.ingest.medama import MedamaHit
from footfall.model import ENGAGEMENT, PAGEVIEW, Hit, Protocol, SiteKey
from footfall.protocols.common import strip_www

__all__ = ["CUSTOM_EVENT", "Invalid", "Url", "is_ip_literal", "parse_hit", "parse_url"]

CUSTOM_EVENT = "custom"  # Medama's custom events are property bags without a name: `e` names them
MAX_BEACON = 128  # the tracker's ids are ~20 characters
MAX_URL = 8192
MAX_HOST = 253
MAX_TIMEZONE = 64
MAX_PROPS = 50
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2000
MAX_DURATION_MS = 2**32 - 1  # the stored engagement_ms is 32-bit

Beacon = Annotated[str, msgspec.Meta(max_length=MAX_BEACON)]
PropValue = (
    Annotated[str, msgspec.Meta(max_length=MAX_PROP_VALUE)]
    | Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    | bool
)
Props = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=MAX_PROP_KEY)], PropValue], msgspec.Meta(max_length=MAX_PROPS)
]


class Load(msgspec.Struct, tag_field="e", tag="load"):
    b: Beacon
    u: Annotated[str, msgspec.Meta(max_length=MAX_URL)]
    p: bool
    q: bool
    r: Annotated[str, msgspec.Meta(max_length=MAX_URL)] = ""
    t: Annotated[str, msgspec.Meta(max_length=MAX_TIMEZONE)] = ""
    d: Props = {}  # optional, but not null: ogen's OptEventLoadD refuses null


class Unload(msgspec.Struct, tag_field="e", tag="unload"):
    b: Beacon
    m: Annotated[int, msgspec.Meta(gt=0, le=MAX_DURATION_MS)]


class Custom(msgspec.Struct, tag_field="e", tag="custom"):
    g: Annotated[str, msgspec.Meta(max_length=MAX_HOST)]
    d: Props
    b: Beacon = ""


_decoder = msgspec.json.Decoder(Load | Unload | Custom)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BAD_HOST_CHAR = re.compile(r"[\s<>\"{}|\\^`]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A fragment that is a client-side route (`#/settings`, `#!/x`) names a page; an anchor does not.
_ROUTE_FRAGMENT = re.compile(r"^!?/")


class Invalid(Exception):
    """The request gets Medama's 400 with this message."""


class Url(NamedTuple):
    host: str  # lower-case, without port or brackets
    path: str
    query: str
    fragment: str


@functools.lru_cache(maxsize=4096)
def _parse_url_cached(url: str) -> Url | None:
    return _parse_url(url)


def _parse_url(url: str) -> Url | None:
    """Go's url.Parse acceptance, near enough: no control characters, well-formed %-escapes in
    host and path, a numeric port; None when it would fail."""
    if _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # validates the port
        host = parts.hostname or ""
    except ValueError:
        return None
    if _BAD_ESCAPE.search(parts.netloc) or _BAD_ESCAPE.search(parts.path) or _BAD_HOST_CHAR.search(parts.netloc):
        return None
    return Url(host, parts.path, parts.query, parts.fragment)


def parse_url(url: str) -> Url | None:
    # Pages and referrers repeat; only short strings are cached, so the cache's memory is bounded.
    return _parse_url_cached(url) if len(url) <= 2048 else _parse_url(url)


def is_ip_literal(text: str) -> bool:
    """Whether `text` is an IPv4 or IPv6 address (inet_pton: a tenth of ipaddress' cost)."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        return False
    return True


def _props(raw: dict[str, str | int | bool] | None) -> dict[str, str]:
    if not raw:
        return {}
    # Medama stores ints as decimal text and booleans as "true"/"false".
    return {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in raw.items()}


def _referrer(raw: str, page_host: str) -> str:
    """The referrer to classify: "" for self-referrals and IP-literal hosts (Medama records neither)."""
    if not raw:
        return ""
    parts = parse_url(raw)
    if parts is None:
        raise Invalid(f"invalid referrer URL: {raw[:100]!r}")
    host = parts.host
    if host == page_host or (host and is_ip_literal(host)):
        return ""
    return raw


def _load(body: Load, ip: str, user_agent: str, accept_language: str, now_ms: int, tz: TimezoneCountries) -> Hit:
    # Medama reads `u` as a request URI: an absolute URL or an absolute path.
    if not (body.u.startswith("/") or _SCHEME.match(body.u)):
        raise Invalid("invalid URI for request")
    parts = parse_url(body.u)
    if parts is None:
        raise Invalid("invalid URI for request")
    host = parts.host if not body.u.startswith("/") else ""
    path = decode_path(parts.path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    path = path or "/"
    if parts.fragment and _ROUTE_FRAGMENT.match(parts.fragment):
        # Medama keeps every fragment in the path (QUIRK); only hash routes are pages.
        path += "#" + decode_path(parts.fragment)
    country = tz.country(body.t)
    language = parse_accept_language(accept_language)
    try:
        referrer, invalid = _referrer(body.r, host), ""
    except Invalid as exc:
        referrer, invalid = "", str(exc)
    return MedamaHit(
        protocol=Protocol.MEDAMA,
        site_key=SiteKey.HOSTNAME,
        site_ref=host,
        timestamp_ms=now_ms,
        name=PAGEVIEW,
        ip=ip,
        user_agent=user_agent,
        hostname=strip_www(host),
        pathname=path,
        query=parts.query,
        referrer=referrer,
        invalid=invalid,
        props=_props(body.d),
        language=language.tag,
        timezone=body.t,
        beacon_id=body.b,
        is_unique_user=body.p,
        is_unique_page=body.q,
        country_hint=country,
        unknown_signals=(not country) + language.malformed,
    )


def parse_hit(raw: bytes, *, ip: str, user_agent: str, accept_language: str, now_ms: int, tz: TimezoneCountries) -> Hit:
    """The body to one Hit, or raise Invalid with Medama's message."""
    if not raw:
        raise Invalid("request body is empty")
    try:
        body = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise Invalid(f"decode request: {exc}") from None
    except msgspec.DecodeError as exc:
        raise Invalid(f"decode request: invalid JSON: {exc}") from None
    if isinstance(body, Load):
        return _load(body, ip, user_agent, accept_language, now_ms, tz)
    if isinstance(body, Unload):
        return Hit(
            protocol=Protocol.MEDAMA,
            site_key=SiteKey.HOSTNAME,
            site_ref="",  # an unload names no site: its beacon id leads to the visit
            timestamp_ms=now_ms,
            name=ENGAGEMENT,
            ip=ip,
            user_agent=user_agent,
            beacon_id=body.b,
            engagement_ms=body.m,
        )
    if not body.d:
        raise Invalid("invalid custom property")
    group = body.g.strip().lower()
    return Hit(
        protocol=Protocol.MEDAMA,
        site_key=SiteKey.HOSTNAME,
        site_ref=group,
        timestamp_ms=now_ms,
        name=CUSTOM_EVENT,
        ip=ip,
        user_agent=user_agent,
        hostname=strip_www(group),
        pathname="",  # no page unless the beacon id names one (put_beacon_page)
        props=_props(body.d),
        beacon_id=body.b,
    )
