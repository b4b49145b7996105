"""The write buffer: requests append rows; one writer thread stores them in batches.

Flushes when `flush_rows` rows wait, every `flush_interval_ms`, and on stop (so SIGTERM loses
nothing that was acknowledged). Bounded: past `max_rows` waiting rows, `append` refuses and the
protocol answers 503, instead of growing memory without limit when the store falls behind.
A failed write keeps its rows and retries on the next tick; rows are only dropped from memory
once the store has taken them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from footfall.ingest.context import Metrics
from footfall.ingest.retention import Retention
from footfall.storage.base import EventStore

log = logging.getLogger("footfall.buffer")

Row = tuple[Any, ...]


class Visit(Protocol):
    """A live visit (ingest/sessions.LiveSession): stored as its newest state, built when written."""

    session_id: int

    def row(self) -> Row: ...


class WriteBuffer:
    def __init__(
        self,
        store: EventStore,
        metrics: Metrics,
        *,
        flush_rows: int = 10_000,
        flush_interval_ms: int = 1000,
        max_rows: int = 200_000,
        retention: Retention | None = None,
    ) -> None:
        self.store = store
        self.retention = retention
        self.metrics = metrics
        self.flush_rows = flush_rows
        self.interval_s = flush_interval_ms / 1000
        self.max_rows = max_rows
        self._cond = threading.Condition()
        self._events: list[Row] = []
        # Visits changed since the last write, by session id. Their rows are built when the
        # writer takes them, not on every event: one row per visit and flush instead of one per
        # event (~1 µs each on the request path, and up to a flush of 35-column tuples held).
        self._sessions: dict[int, Visit] = {}
        self._in_flight = 0  # rows taken by the writer but not yet stored
        self._flushed_seq = 0
        self._requested_seq = 0
        self._stopping = False
        self._failing = 0  # failed writes since the last one that succeeded
        self._thread: threading.Thread | None = None

    @property
    def failing(self) -> int:
        """Failed writes since the last one that succeeded (health reports the writer failing)."""
        return self._failing

    def __len__(self) -> int:
        return len(self._events) + self._in_flight

    def append(self, event: Row, session: Visit | None) -> bool:
        """Called from the event loop: O(1), no I/O. False when the buffer is full."""
        with self._cond:
            if len(self._events) + self._in_flight >= self.max_rows:
                return False
            self._events.append(event)
            if session is not None:
                self._sessions[session.session_id] = session
            if len(self._events) >= self.flush_rows:
                self._cond.notify()
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="footfall-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Flush everything and stop the writer."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._flush_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Block until everything appended before this call is stored (tests, export)."""
        if self._thread is None:
            self._flush_all()
            return True
        with self._cond:
            self._requested_seq += 1
            target = self._requested_seq
            self._cond.notify()
            return self._cond.wait_for(lambda: self._flushed_seq >= target, timeout)

    def _take(self) -> tuple[list[Row], list[Visit]]:
        """Called holding the lock: hand the waiting rows and changed visits to the writer."""
        events, self._events = self._events, []
        sessions, self._sessions = list(self._sessions.values()), {}
        self._in_flight = len(events)
        return events, sessions

    def _store(self, events: list[Row], sessions: list[Visit]) -> bool:
        if not events and not sessions:
            return True
        try:
            # Outside the lock, while the event loop may still update these visits: a row caught
            # mid-update is written again whole on the next flush, since every update marks its
            # visit changed (in `append`) after it is made.
            left_out = self.store.write(events, [visit.row() for visit in sessions])
        except Exception as exc:
            # A full disk fails every retry, once a second: the first failure with its traceback,
            # then one line each, so the log shows the outage without burying everything else.
            if self._failing:
                log.error("storing %d events failed again (%s); keeping them", len(events), exc)
            else:
                log.exception("storing %d events failed; keeping them for the next flush", len(events))
            self._failing += 1
            self.metrics.flush_errors += 1
            with self._cond:
                # Put them back in front, and merge sessions without overwriting newer states.
                self._events[:0] = events
                for visit in sessions:
                    self._sessions.setdefault(visit.session_id, visit)
                self._in_flight = 0
            return False
        if self._failing:
            log.warning("stored %d events after %d failed attempts", len(events), self._failing)
            self._failing = 0
        self.metrics.flushed_rows += len(events)
        self.metrics.unstorable_rows += left_out
        with self._cond:
            self._in_flight = 0
        return True

    def _maintain(self) -> None:
        """Housekeeping on the writer's thread, between writes: the retention purge when due."""
        cutoff = self.retention.cutoff() if self.retention is not None else None
        if cutoff is None:
            return
        try:
            deleted = self.store.purge(cutoff)
        except Exception as exc:
            log.error("deleting data past the retention period failed (%s); next try in an hour", exc)
            return
        self.metrics.purged_rows += deleted
        if deleted:
            log.info("deleted %d rows (events and visits) past the retention period", deleted)

    def _flush_all(self) -> None:
        for _ in range(3):
            with self._cond:
                events, sessions = self._take()
                target = self._requested_seq
            ok = self._store(events, sessions)
            if ok:
                with self._cond:
                    self._flushed_seq = max(self._flushed_seq, target)
                    self._cond.notify_all()
                if not self._events:
                    return
        if self._events:
            log.error("%d events could not be stored (see the errors above)", len(self._events))

    def _due(self, deadline: float) -> Callable[[], bool]:
        return lambda: (
            self._stopping
            or len(self._events) >= self.flush_rows
            or self._requested_seq > self._flushed_seq
            or time.monotonic() >= deadline
        )

    def _run(self) -> None:
        deadline = time.monotonic() + self.interval_s
        while True:
            with self._cond:
                self._cond.wait_for(self._due(deadline), timeout=max(0.0, deadline - time.monotonic()))
                if self._stopping:
                    return
                events, sessions = self._take()
                target = self._requested_seq
            ok = self._store(events, sessions)
            if ok:
                self._maintain()  # before waiters wake: a flush() then sees a due purge done
            with self._cond:
                if ok:
                    self._flushed_seq = max(self._flushed_seq, target)
                self._cond.notify_all()
            if not ok:
                time.sleep(min(self.interval_s, 1.0))
            deadline = time.monotonic() + self.interval_s
