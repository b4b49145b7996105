"""Medama's pipelines: the shared steps plus beacon bookkeeping and Medama's unknown-signal rule.

- load:   the shared pipeline, `drop_unknown_signals` after the user agent is parsed, and
          `remember_beacon` last (the visit records which page the beacon id is).
- custom: the shared pipeline and `put_beacon_page` (a custom event with a known `b` belongs to
          that page view, as Medama joins events to views by beacon id).
- unload: `find_beacon` (beacon id -> visit -> page, or drop UNKNOWN_BEACON), the IP filter, the
          shared session step (an `engagement` event adds `m` to the visit's engagement time), and
          `close_beacon` (one unload per page view; the visit lasts at least until the page was left).
"""

from __future__ import annotations

import dataclasses

from footfall.ingest import steps as shared
from footfall.ingest.beacons import BeaconIndex, VisitKey
from footfall.ingest.context import Context
from footfall.ingest.pipeline import Steps, Work, insert_after
from footfall.model import ENGAGEMENT, DropReason, Event, Hit

__all__ = ["MedamaHit", "MedamaSteps", "drop_unknown_signals"]

Pipeline = Steps

# Medama drops a load when two signals are unknown (browser, OS, device, timezone country,
# malformed Accept-Language): such requests come from scripts, not browsers (reference A.1.3 §4).
UNKNOWN_SIGNAL_LIMIT = 2
# Page views a visit remembers beacons for; the oldest is forgotten past this (bounds memory).
MAX_BEACONS_PER_VISIT = 500
# Client and server clocks differ a little; time on page may exceed the visit's age by this much.
CLOCK_SLACK_MS = 5_000


@dataclasses.dataclass(slots=True)
class MedamaHit(Hit):
    """A Hit with what only Medama's bot rule needs: how many non-user-agent signals were unknown
    at the boundary (no country for `t`, a malformed Accept-Language)."""

    unknown_signals: int = 0


def drop_unknown_signals(w: Work, ctx: Context) -> DropReason | None:
    ev = w.event
    assert ev is not None
    unknown = getattr(w.hit, "unknown_signals", 0) + (not ev.browser) + (not ev.os) + (not ev.device)
    return DropReason.BOT if unknown >= UNKNOWN_SIGNAL_LIMIT else None


class MedamaSteps:
    """The beacon steps, bound to the beacon index they share, and the three pipelines."""

    def __init__(self, index: BeaconIndex) -> None:
        self.index = index
        base = shared.PIPELINE
        self.load: Pipeline = insert_after(
            insert_after(
                base,
                "put_user_agent",
                ("drop_unknown_signals", drop_unknown_signals),
                # Medama parses the referrer after its site, bot and signal checks.
                ("refuse_invalid", shared.refuse_invalid),
            ),
            "put_session",
            ("remember_beacon", self.remember_beacon),
        )
        self.custom: Pipeline = insert_after(base, "put_session", ("put_beacon_page", self.put_beacon_page))
        self.unload: Pipeline = (
            ("find_beacon", self.find_beacon),
            ("drop_ignored_ip", shared.drop_ignored_ip),
            ("put_session", shared.put_session),
            ("close_beacon", self.close_beacon),
        )

    def remember_beacon(self, w: Work, ctx: Context) -> DropReason | None:
        ev, session = w.event, w.session
        assert ev is not None and session is not None
        beacon = w.hit.beacon_id
        if not beacon:
            return None
        if session.beacons is None:
            session.beacons = {}
        beacons = session.beacons
        beacons.pop(beacon, None)  # re-insert: the newest page views are the ones kept
        beacons[beacon] = ev.pathname
        if len(beacons) > MAX_BEACONS_PER_VISIT:
            del beacons[next(iter(beacons))]
        now = ev.timestamp

        def still_live(beacon_id: str, key: VisitKey) -> bool:
            visit = ctx.sessions.get(key[0], key[1], now)
            return visit is not None and visit.beacons is not None and beacon_id in visit.beacons

        self.index.remember(beacon, (session.site_id, session.visitor_id), now, still_live)
        return None

    def find_beacon(self, w: Work, ctx: Context) -> DropReason | None:
        hit = w.hit
        key = self.index.find(hit.beacon_id) if hit.beacon_id else None
        if key is None:
            return DropReason.UNKNOWN_BEACON
        site = ctx.sites.by_site_id(key[0])
        session = ctx.sessions.get(key[0], key[1], hit.timestamp_ms) if site is not None else None
        if site is None or session is None or session.beacons is None or hit.beacon_id not in session.beacons:
            return DropReason.UNKNOWN_BEACON
        # A page cannot have been open longer than its visit: a larger `m` (a client clock jump, a
        # forged unload) would inflate time on page, so it is cut to the visit's age.
        longest = max(0, hit.timestamp_ms - session.start) + CLOCK_SLACK_MS
        w.site = site
        w.event = Event(
            site_id=site.id,
            timestamp=hit.timestamp_ms,
            name=ENGAGEMENT,
            protocol=hit.protocol.value,
            visitor_id=session.visitor_id,
            hostname=session.hostname,
            pathname=session.beacons[hit.beacon_id],
            engagement_ms=min(hit.engagement_ms, longest),
            beacon_id=hit.beacon_id,
        )
        return None

    def close_beacon(self, w: Work, ctx: Context) -> DropReason | None:
        ev, session = w.event, w.session
        assert ev is not None and session is not None
        # Medama's tracker sends one unload per page view; a repeat is a replay, not more time. The
        # visit keeps the beacon, so a later custom event with this `b` still finds its page.
        self.index.forget(ev.beacon_id)
        # The unload is the moment the page was left: the visit lasted at least until then, which
        # Medama's only duration signal would otherwise never show in the visit's duration.
        session.timestamp = max(session.timestamp, ev.timestamp)
        return None

    def put_beacon_page(self, w: Work, ctx: Context) -> DropReason | None:
        ev, session = w.event, w.session
        assert ev is not None and session is not None
        beacon = w.hit.beacon_id
        if beacon and session.beacons is not None and beacon in session.beacons:
            ev.pathname = session.beacons[beacon]
            ev.hostname = session.hostname or ev.hostname
        return None
