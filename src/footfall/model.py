"""The canonical values every layer shares.

- `Hit`: what a tracker said, parsed once at the boundary by a protocol module.
- `Event`: the row being built by the ingestion pipeline and finally stored; its fields are the
  event columns of DESIGN.md (the contract), in `EVENT_COLUMNS` order.
- `Site`: a registered website.
- `DropReason`: the closed set of reasons an event is not stored.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class DropReason(enum.StrEnum):
    NOT_FOUND = "not_found"  # no site for the domain / website id / hostname
    SPAM_REFERRER = "spam_referrer"  # referrer host on the spam list
    BOT = "bot"  # user agent is a bot, crawler, headless browser or HTTP library
    IGNORED_IP = "ignored_ip"  # client IP in the ignore_ips setting
    NO_SESSION_FOR_ENGAGEMENT = "no_session_for_engagement"  # engagement with no live visit
    UNKNOWN_BEACON = "unknown_beacon"  # Medama unload for a beacon id we never saw
    INVALID = "invalid"  # Hit.invalid: a 400 its dialect gives only after the site and bot checks
    BUFFER_FULL = "buffer_full"  # back-pressure: the write buffer is at its bound


class Protocol(enum.StrEnum):
    PLAUSIBLE = "plausible"
    UMAMI = "umami"
    MEDAMA = "medama"


class SiteKey(enum.StrEnum):
    """How a hit names its site."""

    DOMAIN = "domain"  # Plausible `d`
    ID = "id"  # Umami `website` UUID
    HOSTNAME = "hostname"  # Medama: host of `u` or `g`


PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"

SCROLL_MISSING = 255  # Plausible's sentinel for "no scroll depth sent"


@dataclasses.dataclass(slots=True)
class Site:
    id: str  # UUID, canonical lower-case text form
    domain: str
    hostnames: tuple[str, ...] = ()
    timezone: str = "UTC"
    created_at_ms: int = 0

    def all_hostnames(self) -> tuple[str, ...]:
        return (self.domain, *self.hostnames)


@dataclasses.dataclass(slots=True)
class Hit:
    """One event as a tracker described it, before enrichment. Built only by protocols/."""

    protocol: Protocol
    site_key: SiteKey
    site_ref: str  # the domain, website id or hostname, as sent (trimmed)
    timestamp_ms: int  # UTC milliseconds (server receive time unless the dialect allows a client time)
    name: str  # "pageview", "engagement" or a custom event name
    ip: str  # client IP as derived from headers; never stored
    user_agent: str  # never stored
    hostname: str = ""
    pathname: str = "/"
    query: str = ""  # raw query string, without "?"
    title: str = ""
    referrer: str = ""  # raw referrer URL as sent
    props: dict[str, str] = dataclasses.field(default_factory=dict)
    screen: str = ""
    language: str = ""
    timezone: str = ""
    engagement_ms: int = 0
    scroll_depth: int = SCROLL_MISSING
    interactive: bool = True
    tag: str = ""
    distinct_id: str = ""
    beacon_id: str = ""
    is_unique_user: bool | None = None
    is_unique_page: bool | None = None
    # A timezone sent by the tracker may stand in for the country when the IP gives none (Medama).
    country_hint: str = ""
    # Why the boundary found the hit invalid, when its dialect refuses that only after its site and
    # bot checks (Umami's hostname, Medama's referrer): the `refuse_invalid` step drops it there.
    invalid: str = ""


@dataclasses.dataclass(slots=True)
class Event:
    """The row the pipeline builds. `timestamp` is UTC milliseconds.

    Its fields are the stored event columns of DESIGN.md (the contract), in storage order;
    EVENT_COLUMNS below is derived from them.
    """

    site_id: str
    timestamp: int
    name: str
    protocol: str
    visitor_id: int = 0
    session_id: int = 0
    hostname: str = ""
    pathname: str = "/"
    query: str = ""
    title: str = ""
    referrer: str = ""
    referrer_domain: str = ""
    referrer_source: str = ""
    channel: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    click_id_param: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    browser: str = ""
    browser_version: str = ""
    os: str = ""
    os_version: str = ""
    device: str = ""
    screen: str = ""
    language: str = ""
    timezone: str = ""
    props: dict[str, str] = dataclasses.field(default_factory=dict)
    engagement_ms: int = 0
    scroll_depth: int | None = None
    interactive: bool = True
    tag: str = ""
    distinct_id: str = ""
    beacon_id: str = ""
    is_unique_user: bool | None = None
    is_unique_page: bool | None = None

    def row(self) -> tuple[Any, ...]:
        """The values in EVENT_COLUMNS order: what the write buffer holds (astuple deep-copies)."""
        return (
            self.site_id,
            self.timestamp,
            self.name,
            self.protocol,
            self.visitor_id,
            self.session_id,
            self.hostname,
            self.pathname,
            self.query,
            self.title,
            self.referrer,
            self.referrer_domain,
            self.referrer_source,
            self.channel,
            self.utm_source,
            self.utm_medium,
            self.utm_campaign,
            self.utm_content,
            self.utm_term,
            self.click_id_param,
            self.country,
            self.region,
            self.city,
            self.browser,
            self.browser_version,
            self.os,
            self.os_version,
            self.device,
            self.screen,
            self.language,
            self.timezone,
            self.props,
            self.engagement_ms,
            self.scroll_depth,
            self.interactive,
            self.tag,
            self.distinct_id,
            self.beacon_id,
            self.is_unique_user,
            self.is_unique_page,
        )


EVENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Event))

# Session columns: one row per visit, rewritten while the visit is live. Visit metrics (bounce,
# duration, entry/exit page) read this table instead of re-deriving visits from events.
# Attributes a visit takes from its first event and every later event inherits (as Plausible
# does): the visit's source and device do not change mid-visit.
SESSION_ATTRS: tuple[str, ...] = (
    "referrer",
    "referrer_domain",
    "referrer_source",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "click_id_param",
    "country",
    "region",
    "city",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device",
    "screen",
    "language",
)

SESSION_COLUMNS: tuple[str, ...] = (
    "site_id",
    "session_id",
    "visitor_id",
    "start",
    "timestamp",
    "hostname",
    "entry_page",
    "exit_page",
    "pageviews",
    "events",
    "duration",
    "is_bounce",
    "engagement_ms",
    *SESSION_ATTRS,
    "distinct_id",
    "protocol",
)
