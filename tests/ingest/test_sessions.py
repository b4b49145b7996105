"""Live visits: Plausible's session rules (reference/plausible.md §1.14)."""

from __future__ import annotations

from footfall.ingest.sessions import LiveSession, MemorySessionStore
from footfall.model import EVENT_COLUMNS, SESSION_ATTRS, SESSION_COLUMNS, Event

T = 1_773_144_000_000


def ev(name: str = "pageview", ts: int = T, **kw: object) -> Event:
    return Event(site_id="s", timestamp=ts, name=name, protocol="plausible", visitor_id=9, **kw)  # type: ignore[arg-type]


def test_session_row_matches_the_columns() -> None:
    row = LiveSession(ev(), 1).row()
    assert len(row) == len(SESSION_COLUMNS)
    assert SESSION_COLUMNS[13 : 13 + len(SESSION_ATTRS)] == SESSION_ATTRS


def test_a_visit_starting_with_an_interactive_custom_event_is_not_a_bounce() -> None:
    s = LiveSession(ev("Signup", pathname="/x"), 1)
    assert s.is_bounce is False
    assert s.entry_page == "" and s.pageviews == 0
    s.record(ev("pageview", T + 1000, pathname="/landing"))
    assert s.entry_page == "/landing" and s.pageviews == 1


def test_pageview_then_non_interactive_event_is_a_bounce() -> None:
    s = LiveSession(ev(), 1)
    s.record(ev("Autoplay", T + 1, interactive=False))
    assert s.is_bounce is True
    s.record(ev("Click", T + 2))
    assert s.is_bounce is False


def test_engagement_keeps_the_visit_alive_without_counting() -> None:
    s = LiveSession(ev(pathname="/a"), 1)
    s.record(ev("engagement", T + 60_000, engagement_ms=4000, pathname="/a"))
    assert (s.events, s.pageviews, s.duration_s, s.is_bounce) == (1, 1, 0, True)
    assert s.engagement_ms == 4000 and s.last_seen == T + 60_000


def test_duration_is_absolute_for_out_of_order_events() -> None:
    s = LiveSession(ev(ts=T + 10_000), 1)
    s.record(ev(ts=T))
    assert s.duration_s == 0 or s.duration_s == 10
    s.record(ev(ts=T + 20_000))
    assert s.duration_s == 10


def test_store_expires_after_the_timeout() -> None:
    store = MemorySessionStore(timeout_ms=30 * 60_000)
    s = LiveSession(ev(), 1)
    store.put(s, T)
    assert store.get("s", 9, T + 30 * 60_000) is s
    assert store.get("s", 9, T + 30 * 60_000 + 1) is None  # past the timeout: never continued
    assert len(store) == 1  # removed by the next expiry pass, at most a second later
    assert store.get("s", 9, T + 30 * 60_000 + MemorySessionStore.EXPIRE_EVERY_MS) is None
    assert len(store) == 0


def test_expiry_removes_only_the_visits_past_the_timeout() -> None:
    store = MemorySessionStore(timeout_ms=10_000)
    visits = []
    for i in range(100):
        s = LiveSession(ev(ts=T + i * 1000), i)
        s.visitor_id = i
        store.put(s, T + i * 1000)
        visits.append(s)
    for i in range(0, 100, 2):  # every other visit comes back: popped and put back at the end
        visits[i].last_seen = T + 100_000 + i
        store.put(visits[i], T + 100_000 + i)
    store.get("s", -1, T + 105_000)  # expiry pass: visits last seen before 95 s are gone
    assert len(store) == 50 + 3  # the returning ones, and the odd ones seen at 95 s or later
    assert all(store.get("s", i, T + 105_000) is visits[i] for i in range(0, 100, 2))
    assert [i for i in range(1, 100, 2) if store.get("s", i, T + 105_000)] == [95, 97, 99]


def test_store_keeps_touched_visits() -> None:
    store = MemorySessionStore(timeout_ms=1000)
    a, b = LiveSession(ev(), 1), LiveSession(ev(), 2)
    b.visitor_id = 10
    store.put(a, T)
    store.put(b, T)
    a.last_seen = T + 900
    store.put(a, T + 900)
    assert store.get("s", 9, T + 1500) is a
    assert store.get("s", 10, T + 1500) is None


def test_events_inherit_every_session_attribute() -> None:
    first = ev(**{name: f"v-{name}" for name in SESSION_ATTRS})
    s = LiveSession(first, 1)
    later = ev("Click", T + 1)
    s.inherit(later)
    assert all(getattr(later, name) == f"v-{name}" for name in SESSION_ATTRS)
    assert (later.session_id, later.visitor_id) == (1, 9)


def test_event_row_is_in_column_order() -> None:
    # Event.row() is unrolled by hand for speed; this keeps it equal to the dataclass order.
    e = Event(**{c: f"v-{c}" for c in EVENT_COLUMNS})  # type: ignore[arg-type]
    assert e.row() == tuple(f"v-{c}" for c in EVENT_COLUMNS)
