"""The write buffer in front of a real store: one unstorable row never stops ingestion."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from footfall.app import Footfall
from footfall.ingest.buffer import WriteBuffer
from footfall.ingest.context import Metrics
from footfall.model import Event

from conftest import CHROME_UA, SITE_ID, stored


async def _pageview(client: httpx.AsyncClient, path: str) -> None:
    body = {"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}
    headers = {"content-type": "text/plain", "user-agent": CHROME_UA, "x-forwarded-for": "81.2.69.160"}
    r = await client.post("/api/event", content=json.dumps(body), headers=headers)
    assert r.status_code == 202


async def test_a_row_no_column_can_hold_is_left_out_and_the_rest_stored(client: httpx.AsyncClient, app: Footfall):
    # No protocol produces such a row (tests/protocols/test_fuzz.py looks for one); this stands in
    # for a future enrichment bug. Before, the store refused the whole batch and the buffer retried
    # it forever: nothing after it was ever stored, and past its bound every tracker got 503.
    await _pageview(client, "/before")
    broken = Event(site_id=SITE_ID, timestamp=app.clock(), name="pageview", protocol="plausible")
    broken.visitor_id = "not a number"  # type: ignore[assignment]
    assert app.buffer.append(broken.row(), None)
    await _pageview(client, "/after")
    assert [e["pathname"] for e in stored(app)] == ["/before", "/after"]
    assert app.buffer.failing == 0 and len(app.buffer) == 0
    metrics = (await client.get("/metrics")).text
    assert "footfall_rows_unstorable_total 1" in metrics
    assert "footfall_flush_errors_total 0" in metrics


class _Visit:
    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self.pageviews = 1

    def row(self) -> tuple[int, int]:
        return (self.session_id, self.pageviews)


class _RecordingStore:
    """Takes writes like a store; `during_write` runs inside one, as the event loop may."""

    def __init__(self) -> None:
        self.writes: list[tuple[list[Any], list[Any]]] = []
        self.during_write: Callable[[], None] | None = None
        self.fail_next = False

    def write(self, events: Any, sessions: Any) -> int:
        if self.during_write is not None:
            self.during_write()
            self.during_write = None
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        self.writes.append((list(events), list(sessions)))
        return 0


def _buffer(store: _RecordingStore) -> WriteBuffer:
    return WriteBuffer(store, Metrics())  # type: ignore[arg-type]


def test_a_visit_is_written_once_per_flush_with_its_newest_state() -> None:
    store = _RecordingStore()
    buffer = _buffer(store)
    visit = _Visit(7)
    buffer.append(("e1",), visit)
    visit.pageviews = 2
    buffer.append(("e2",), visit)
    assert buffer.flush()
    assert store.writes == [([("e1",), ("e2",)], [(7, 2)])]


def test_a_visit_changed_while_it_is_written_is_written_again() -> None:
    store = _RecordingStore()
    buffer = _buffer(store)
    visit = _Visit(7)
    buffer.append(("e1",), visit)

    def event_loop_meanwhile() -> None:
        visit.pageviews = 3
        buffer.append(("e2",), visit)

    store.during_write = event_loop_meanwhile
    assert buffer.flush()
    assert store.writes[-1] == ([("e2",)], [(7, 3)])


def test_visits_of_a_failed_write_are_kept_and_written_later_in_their_newest_state() -> None:
    store = _RecordingStore()
    buffer = _buffer(store)
    visit = _Visit(7)
    buffer.append(("e1",), visit)
    store.fail_next = True
    assert buffer.flush()  # the flush retries: the second attempt stores
    assert store.writes == [([("e1",)], [(7, 1)])]
    visit.pageviews = 4
    buffer.append(("e2",), visit)
    assert buffer.flush()
    assert store.writes[-1] == ([("e2",)], [(7, 4)])
