"""Live visits: the state kept while a visit may still receive events.

A visit ends after `timeout_ms` without events (30 minutes by default). The store is an
interface with an in-process implementation; peers of a multi-node deployment would share one
(e.g. Redis) behind the same two calls. Ingestion never reads the events table to decide.
"""

from __future__ import annotations

import operator
from typing import Any, Protocol, TypeVar

from footfall.model import ENGAGEMENT, PAGEVIEW, SESSION_ATTRS, Event

# A visit's attributes in three groups, each shared between the visits that agree on it: where the
# visit came from, where the visitor is, and what they use. One tuple of all twenty is nearly unique
# per visitor (city x browser version x screen x language), so interning it saved little; the
# groups repeat across visitors, which saves ~150-200 bytes per live visit.
_GEO_AT, _DEVICE_AT = SESSION_ATTRS.index("country"), SESSION_ATTRS.index("browser")
_source_attrs = operator.attrgetter(*SESSION_ATTRS[:_GEO_AT])
_geo_attrs = operator.attrgetter(*SESSION_ATTRS[_GEO_AT:_DEVICE_AT])
_device_attrs = operator.attrgetter(*SESSION_ATTRS[_DEVICE_AT:])

T = TypeVar("T")


class _Interner:
    """One shared copy per distinct value; bounded: cleared when it grows past `limit`."""

    __slots__ = ("_table", "limit")

    def __init__(self, limit: int = 100_000) -> None:
        self._table: dict[Any, Any] = {}
        self.limit = limit

    def __call__(self, value: T) -> T:
        table = self._table
        if len(table) >= self.limit:
            table.clear()
        result: T = table.setdefault(value, value)
        return result


_intern_attrs = _Interner()
# The same for the hostname and the entry and exit pages: each event brings its own copy of a
# string that most visits share (a site's pages repeat), ~60 bytes per page kept per live visit.
_intern_page = _Interner()


class LiveSession:
    __slots__ = (
        "site_id",
        "session_id",
        "visitor_id",
        "start",
        "timestamp",
        "last_seen",
        "hostname",
        "entry_page",
        "exit_page",
        "pageviews",
        "events",
        "is_bounce",
        "engagement_ms",
        "source",
        "geo",
        "device",
        "distinct_id",
        "protocol",
        "beacons",
    )

    def __init__(self, event: Event, session_id: int) -> None:
        is_pageview = event.name == PAGEVIEW
        self.site_id = event.site_id
        self.session_id = session_id
        self.visitor_id = event.visitor_id
        self.start = event.timestamp
        self.timestamp = event.timestamp
        self.last_seen = event.timestamp
        self.hostname = _intern_page(event.hostname) if is_pageview else ""
        self.entry_page = _intern_page(event.pathname) if is_pageview else ""
        self.exit_page = self.entry_page
        self.pageviews = 1 if is_pageview else 0
        self.events = 1
        self.is_bounce = is_pageview or not event.interactive
        self.engagement_ms = 0
        self.source: tuple[Any, ...] = _intern_attrs(_source_attrs(event))
        self.geo: tuple[Any, ...] = _intern_attrs(_geo_attrs(event))
        self.device: tuple[Any, ...] = _intern_attrs(_device_attrs(event))
        self.distinct_id = event.distinct_id
        self.protocol = event.protocol
        # Medama beacon id -> pathname of its page view, so an unload can find its page.
        self.beacons: dict[str, str] | None = None

    @property
    def duration_s(self) -> int:
        return abs(self.timestamp - self.start) // 1000

    def record(self, event: Event) -> None:
        """Fold a later event of this visit in (Plausible's session update rules)."""
        self.last_seen = max(self.last_seen, event.timestamp)
        if event.name == ENGAGEMENT:
            # Engagement keeps the visit alive and adds time, but is not activity for counts,
            # exit page or bounce.
            self.engagement_ms += event.engagement_ms
            return
        is_pageview = event.name == PAGEVIEW
        self.timestamp = max(self.timestamp, event.timestamp)
        if is_pageview:
            page = _intern_page(event.pathname)
            if not self.entry_page:
                self.entry_page = page
            if not self.hostname:
                self.hostname = _intern_page(event.hostname)
            self.exit_page = page
            self.pageviews += 1
        self.events += 1
        if event.distinct_id:
            self.distinct_id = event.distinct_id
        if self.is_bounce and (self.pageviews >= 2 or (not is_pageview and event.interactive)):
            self.is_bounce = False

    def inherit(self, event: Event) -> None:
        """Give the event the visit's ids and attributes (SESSION_ATTRS, in that order)."""
        event.session_id = self.session_id
        event.visitor_id = self.visitor_id
        # Unpacking assignments: several times faster than a setattr loop on the hot path.
        (
            event.referrer,
            event.referrer_domain,
            event.referrer_source,
            event.channel,
            event.utm_source,
            event.utm_medium,
            event.utm_campaign,
            event.utm_content,
            event.utm_term,
            event.click_id_param,
        ) = self.source
        event.country, event.region, event.city = self.geo
        (
            event.browser,
            event.browser_version,
            event.os,
            event.os_version,
            event.device,
            event.screen,
            event.language,
        ) = self.device

    def row(self) -> tuple[Any, ...]:
        """The values in SESSION_COLUMNS order."""
        return (
            self.site_id,
            self.session_id,
            self.visitor_id,
            self.start,
            self.timestamp,
            self.hostname,
            self.entry_page,
            self.exit_page,
            self.pageviews,
            self.events,
            self.duration_s,
            self.is_bounce,
            self.engagement_ms,
            *self.source,
            *self.geo,
            *self.device,
            self.distinct_id,
            self.protocol,
        )


class SessionStore(Protocol):
    def get(self, site_id: str, visitor_id: int, now_ms: int) -> LiveSession | None: ...

    def put(self, session: LiveSession, now_ms: int) -> None: ...

    def __len__(self) -> int: ...


class MemorySessionStore:
    """In-process live visits in a dict ordered by last activity, so expiry pops from the front.

    A plain dict, not an OrderedDict (~50 bytes less per visit): `put` moves a visit to the end by
    popping and reinserting it. That leaves a hole at the front of the dict's entry table until
    the dict next resizes, which makes reaching the oldest visit cost a scan over the holes; so
    expiry runs at most once a second (of event time), in one pass. `get` checks the timeout
    itself, so a visit past it is never continued in between.
    """

    EXPIRE_EVERY_MS = 1000

    def __init__(self, timeout_ms: int = 30 * 60_000) -> None:
        self.timeout_ms = timeout_ms
        # Keyed by the visitor id alone: it is a keyed hash of the site with the visitor, so a
        # (site, visitor) tuple per visit (~56 bytes) would add nothing but memory. `get` still
        # checks the site, for the ~1 in 10^8 chance that two sites' visitors share an id.
        self._live: dict[int, LiveSession] = {}
        self._next_expiry = -(2**63)

    def __len__(self) -> int:
        return len(self._live)

    def _expire(self, now_ms: int) -> None:
        self._next_expiry = now_ms + self.EXPIRE_EVERY_MS
        cutoff = now_ms - self.timeout_ms
        stale = []
        for key, session in self._live.items():
            if session.last_seen >= cutoff:
                break
            stale.append(key)
        for key in stale:
            del self._live[key]

    def get(self, site_id: str, visitor_id: int, now_ms: int) -> LiveSession | None:
        if now_ms >= self._next_expiry:
            self._expire(now_ms)
        session = self._live.get(visitor_id)
        if session is None or session.site_id != site_id or now_ms - session.last_seen > self.timeout_ms:
            return None
        return session

    def put(self, session: LiveSession, now_ms: int) -> None:
        live = self._live
        key = session.visitor_id
        live.pop(key, None)
        live[key] = session
