"""Run an event store in a child process, behind the same EventStore interface.

Why: the server's event loop and a store's writes shared one interpreter lock. A flush (Arrow
building, DuckDB's insert, the visits' rewrite) held it for tens of milliseconds, and those
pauses were the ingestion p99 (15-20 ms at half load; 2.5 ms with writes discarded). In a child
the writes run on the other core under their own lock; the server's cost per stored row drops to
pickling it (~1 µs).

The parent talks to the child over pipes ("lanes"): one for writes (only the write buffer's thread
writes) and a few for reads, so a dashboard query never waits behind a flush. Each request is a
pickled `(op, args)`; each answer is `(True, value)` or `(False, message)`. The child ignores
SIGINT/SIGTERM: Ctrl-C reaches the whole process group, and the parent must still flush through
it. It exits when its pipes close, which also covers a parent that died without cleaning up.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from footfall.storage.base import BATCH_ROWS, EventStore, Row

log = logging.getLogger("footfall.store")

# Rows are pickled a chunk at a time: one pickle of a whole flush (10k rows, ~8 ms) is one C call
# holding the parent's interpreter lock, the very pause this module exists to remove.
CHUNK_ROWS = 500
READ_LANES = 4


class StoreError(RuntimeError):
    """The store in the child process failed; the message is the child's error."""


def _serve_lane(store: EventStore, conn: Connection) -> None:
    pending_events: list[Row] = []
    pending_sessions: list[Row] = []
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            return
        result: Any = None
        try:
            if op == "rows":  # one chunk of a write; stored on "commit", all or nothing
                events, sessions = args
                pending_events.extend(events)
                pending_sessions.extend(sessions)
                continue
            if op == "commit":
                events, sessions = pending_events, pending_sessions
                pending_events, pending_sessions = [], []
                result = store.write(events, sessions)
            elif op == "purge":
                result = store.purge(*args)
            elif op == "query":
                result = store.query(*args)
            elif op == "query_batches":
                if not _send_batches(conn, store.query_batches(*args)):
                    return
                continue
            elif op == "migrate":
                store.migrate()
            else:
                raise ValueError(f"unknown store operation {op!r}")
        except Exception as exc:
            answer: tuple[bool, Any] = (False, f"{type(exc).__name__}: {exc}")
        else:
            answer = (True, result)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return


def _send_batches(conn: Connection, reader: Any) -> bool:
    """A streamed answer: ("schema", s), then ("batch", b) per batch, then (True, None) or
    (False, error). False when the parent is gone."""
    try:
        conn.send(("schema", reader.schema))
        try:
            for batch in reader:
                conn.send(("batch", batch))
        except Exception as exc:
            conn.send((False, f"{type(exc).__name__}: {exc}"))
        else:
            conn.send((True, None))
        return True
    except (EOFError, OSError):
        return False
    finally:
        reader.close()


def _child_main(open_store: Callable[[], EventStore], write_conn: Connection, read_conns: list[Connection]) -> None:
    try:
        store = open_store()
    except Exception as exc:  # e.g. the file is locked by another server: the parent says why
        write_conn.send((False, f"{type(exc).__name__}: {exc}"))
        return
    write_conn.send((True, store.dialect))
    readers = [threading.Thread(target=_serve_lane, args=(store, c), daemon=True) for c in read_conns]
    for thread in readers:
        thread.start()
    _serve_lane(store, write_conn)  # returns when the parent closes the write lane
    for thread in readers:  # the parent closes every lane together
        thread.join(timeout=5)
    store.close()


class _Lane:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def call(self, op: str, *args: Any) -> Any:
        return self.exchange([(op, args)])

    def exchange(self, requests: Iterable[tuple[str, tuple[Any, ...]]]) -> Any:
        """Send the requests, then read the one answer the last of them gets."""
        with self.lock:
            try:
                for request in requests:
                    self.conn.send(request)
                ok, value = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise StoreError("the store process is gone") from exc
        if not ok:
            raise StoreError(value)
        return value


class _Child:
    """One child process and the parent's ends of its lanes."""

    def __init__(self, open_store: Callable[[], EventStore], read_lanes: int) -> None:
        # A plain child (`python -m footfall.storage.process FD...`) with socket pairs for lanes:
        # multiprocessing's spawn would also start its resource-tracker process and re-import
        # the parent's __main__.
        pairs = [socket.socketpair() for _ in range(1 + read_lanes)]
        child_fds = [theirs.fileno() for _ours, theirs in pairs]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "footfall.storage.process", *map(str, child_fds)], pass_fds=child_fds
        )
        conns = []
        for ours, theirs in pairs:
            theirs.close()  # the child holds its copy: EOF reaches it once ours close
            conns.append(Connection(ours.detach()))
        self.closed = False
        self.writer = _Lane(conns[0])
        self.readers: queue.SimpleQueue[_Lane] = queue.SimpleQueue()
        self.lanes = [self.writer]
        for conn in conns[1:]:
            lane = _Lane(conn)
            self.readers.put(lane)
            self.lanes.append(lane)
        try:
            conns[0].send(open_store)
            ok, hello = conns[0].recv()  # the child's first word: its dialect, or why it failed
        except (EOFError, OSError) as exc:
            self.close()
            raise StoreError("the store process exited while opening the store") from exc
        if not ok:
            self.close()
            raise StoreError(hello)
        self.dialect: str = hello

    @contextmanager
    def reader(self) -> Iterator[_Lane]:
        lane = self.readers.get()
        try:
            yield lane
        finally:
            self.readers.put(lane)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for lane in self.lanes:
            with lane.lock:
                lane.conn.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            log.error("the store process did not exit; killing it")
            self.process.kill()
            self.process.wait(timeout=5)


class ProcessStore:
    """An EventStore served by a child process; `open_store` (picklable) builds it there.

    A child that dies (killed, out of memory, a crash in the database) is replaced on the next
    call: the call that finds it gone fails (the write buffer keeps its rows and retries), the
    ones after it run against a new child, which reopens the store and recovers its log.
    """

    def __init__(self, open_store: Callable[[], EventStore], *, read_lanes: int = READ_LANES) -> None:
        self._open_store = open_store
        self._read_lanes = read_lanes
        self._restart_lock = threading.Lock()
        self._closed = False
        self._child = _Child(open_store, read_lanes)
        self.dialect: str = self._child.dialect
        # Before interpreter exit, so the child is never left waiting on pipes nobody closes.
        atexit.register(self.close)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self._child.process

    def _live(self) -> _Child:
        child = self._child
        if child.process.poll() is None or self._closed:
            return child
        with self._restart_lock:
            if self._child is child:  # no other thread replaced it meanwhile
                log.error("the store process exited (code %s); starting a new one", child.process.returncode)
                child.close()
                self._child = _Child(self._open_store, self._read_lanes)
            return self._child

    def migrate(self) -> None:
        self._live().writer.call("migrate")

    def write(self, events: Sequence[Row], sessions: Sequence[Row]) -> int:
        chunks = (
            ("rows", (list(events[start : start + CHUNK_ROWS]), list(sessions[start : start + CHUNK_ROWS])))
            for start in range(0, max(len(events), len(sessions)), CHUNK_ROWS)
        )
        left_out: int = self._live().writer.exchange(itertools.chain(chunks, [("commit", ())]))
        return left_out

    def purge(self, before_ms: int) -> int:
        deleted: int = self._live().writer.call("purge", before_ms)  # the write lane: one writer
        return deleted

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        with self._live().reader() as lane:
            result: tuple[list[str], list[Row]] = lane.call("query", sql, list(params))
            return result

    def query_batches(self, sql: str, params: Sequence[Any] = (), batch_rows: int = BATCH_ROWS) -> Any:
        import pyarrow as pa  # only exports come here: the server loads pyarrow on first use

        child = self._live()
        lane = child.readers.get()
        try:
            lane.conn.send(("query_batches", (sql, list(params), batch_rows)))
            first = lane.conn.recv()
        except (EOFError, OSError) as exc:
            child.readers.put(lane)
            raise StoreError("the store process is gone") from exc
        if first[0] is False:  # the query failed before its first row
            child.readers.put(lane)
            raise StoreError(first[1])

        def batches() -> Iterator[Any]:
            done = False
            try:
                while True:
                    kind, value = lane.conn.recv()
                    if kind == "batch":
                        yield value
                        continue
                    done = True
                    if kind is False:
                        raise StoreError(value)
                    return
            except (EOFError, OSError) as exc:
                raise StoreError("the store process is gone") from exc
            finally:
                if not done:  # closed early: read the rest so the lane is clean for the next caller
                    with contextlib.suppress(EOFError, OSError):
                        while lane.conn.recv()[0] == "batch":
                            pass
                child.readers.put(lane)

        return pa.RecordBatchReader.from_batches(first[1], batches())

    def close(self) -> None:
        """Close the pipes; the child finishes, closes the store (a checkpoint) and exits."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        with self._restart_lock:
            self._child.close()


def _main(fds: list[int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A file-size limit (`ulimit -f`, systemd's LimitFSIZE) is then a failed write that the buffer
    # retries, like a full disk, instead of a kill that restarts the child into the same wall.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    conns = [Connection(fd) for fd in fds]
    try:
        open_store = conns[0].recv()
    except (EOFError, OSError):
        return
    _child_main(open_store, conns[0], conns[1:])


if __name__ == "__main__":
    _main([int(arg) for arg in sys.argv[1:]])
