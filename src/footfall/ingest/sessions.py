"""Live visits: the state kept while a visit may still receive events.

A visit ends after `timeout_ms` without events (30 minutes by default). The store is an
interface with an in-process implementation; peers of a multi-node deployment would share one
(e.g. Redis) behind the same two calls. Ingestion never reads the events table to decide.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Protocol

from footfall.model import ENGAGEMENT, PAGEVIEW, SESSION_ATTRS, Event

_session_attrs = operator.attrgetter(*SESSION_ATTRS)

# Visits mostly share their attributes (the same browser, OS, country and source), so one tuple
# serves them all: ~200 bytes less per live visit. Bounded: cleared when it grows past the limit.
_ATTRS_INTERN_MAX = 100_000
_attrs_intern: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _intern_attrs(attrs: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(_attrs_intern) >= _ATTRS_INTERN_MAX:
        _attrs_intern.clear()
    return _attrs_intern.setdefault(attrs, attrs)


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
        "attrs",
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
        self.hostname = event.hostname if is_pageview else ""
        self.entry_page = event.pathname if is_pageview else ""
        self.exit_page = self.entry_page
        self.pageviews = 1 if is_pageview else 0
        self.events = 1
        self.is_bounce = is_pageview or not event.interactive
        self.engagement_ms = 0
        self.attrs: tuple[Any, ...] = _intern_attrs(_session_attrs(event))
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
            if not self.entry_page:
                self.entry_page = event.pathname
            if not self.hostname:
                self.hostname = event.hostname
            self.exit_page = event.pathname
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
        # One unpacking assignment: several times faster than a setattr loop on the hot path.
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
            event.country,
            event.region,
            event.city,
            event.browser,
            event.browser_version,
            event.os,
            event.os_version,
            event.device,
            event.screen,
            event.language,
        ) = self.attrs

    def row(self) -> tuple[Any, ...]:
        """The values in SESSION_COLUMNS order."""
        a = self.attrs
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
            *a,
            self.distinct_id,
            self.protocol,
        )


class SessionStore(Protocol):
    def get(self, site_id: str, visitor_id: int, now_ms: int) -> LiveSession | None: ...

    def put(self, session: LiveSession, now_ms: int) -> None: ...

    def __len__(self) -> int: ...


class MemorySessionStore:
    """In-process live visits, ordered by last activity so expiry pops from the front."""

    def __init__(self, timeout_ms: int = 30 * 60_000) -> None:
        self.timeout_ms = timeout_ms
        self._live: OrderedDict[tuple[str, int], LiveSession] = OrderedDict()

    def __len__(self) -> int:
        return len(self._live)

    def _expire(self, now_ms: int) -> None:
        live = self._live
        cutoff = now_ms - self.timeout_ms
        while live:
            key, oldest = next(iter(live.items()))
            if oldest.last_seen >= cutoff:
                break
            del live[key]

    def get(self, site_id: str, visitor_id: int, now_ms: int) -> LiveSession | None:
        self._expire(now_ms)
        session = self._live.get((site_id, visitor_id))
        if session is not None and now_ms - session.last_seen > self.timeout_ms:
            return None
        return session

    def put(self, session: LiveSession, now_ms: int) -> None:
        key = (session.site_id, session.visitor_id)
        self._live[key] = session
        self._live.move_to_end(key)
