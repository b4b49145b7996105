"""The embedded DuckDB event store (the default backend).

One process owns the file. Writes come from a single writer (the write buffer's thread) as column
arrays DuckDB scans (storage/columns.py): ~130k rows/s, where executemany manages ~350 rows/s.
Reads use their own cursor per call, so they run concurrently with the writer.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from footfall.storage.base import BATCH_ROWS, Row, utc_datetime
from footfall.storage.columns import EVENTS, SESSIONS

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger("footfall.store")

# Numbered migrations; each runs once, in order, inside one transaction with its version bump.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = ((1, (EVENTS.ddl(), SESSIONS.ddl())),)


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        # A COMMIT that failed (a full disk) has already ended the transaction, and ROLLBACK's
        # own "no transaction is active" would replace the error that says why.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


class DuckDBStore:
    dialect = "duckdb"

    def __init__(
        self, path: Path | str, *, read_only: bool = False, threads: int = 2, memory_limit: str = "64MB"
    ) -> None:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.read_only = read_only
        self._db = duckdb.connect(
            self.path,
            read_only=read_only,
            config={
                "threads": threads,
                # Without a limit DuckDB caches every block it wrote or read (up to 80% of RAM);
                # queries past the limit spill to disk instead of growing the server. Measured
                # after 1M ingested events: blocks cached 37 MB at 128MB, 6 MB at 64MB, and the
                # dashboard's query set over 10M events ~5% slower at 64MB.
                "memory_limit": memory_limit,
                # DuckDB keeps freed memory for reuse up to these thresholds (128 MiB and 512 MiB by
                # default): most of an ingesting server's RSS. Lower ones hand it back sooner.
                "allocator_flush_threshold": "32MiB",
                "allocator_bulk_deallocation_flush_threshold": "32MiB",
                # Freed pages go back to the OS from a background thread within seconds, rather
                # than when the next write happens to purge them: 102 -> 61 MB of a store process
                # ten seconds after 600k events were written (41 MB it had freed but still held).
                "allocator_background_threads": True,
            },
        )
        self._write_lock = threading.Lock()

    @contextlib.contextmanager
    def _writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the single writer (reads use their own, concurrently)."""
        with self._write_lock:
            con = self._db.cursor()
            try:
                yield con
            finally:
                con.close()

    def migrate(self) -> None:
        if self.read_only:
            return
        with self._write_lock:
            con = self._db
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] if row and row[0] is not None else 0
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                with _transaction(con):
                    for statement in statements:
                        con.execute(statement)
                    con.execute("INSERT INTO schema_version VALUES (?)", [version])

    def schema_version(self) -> int:
        row = self._db.cursor().execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def write(self, events: Sequence[Row], sessions: Sequence[Row]) -> int:
        event_arrays, bad_events, why = EVENTS.arrays(events)
        session_arrays, bad_sessions, session_why = SESSIONS.arrays(sessions)
        if bad_events or bad_sessions:
            log.error(
                "left out %d event rows and %d visit rows no column can hold: %s",
                bad_events,
                bad_sessions,
                why or session_why,
            )
        with self._writer() as con:
            con.register("_ff_events", event_arrays)
            con.register("_ff_sessions", session_arrays)
            try:
                with _transaction(con):
                    if len(events) > bad_events:
                        con.execute(f"INSERT INTO events SELECT {EVENTS.select_list} FROM _ff_events")
                    if len(sessions) > bad_sessions:
                        # Live visits are rewritten on every flush; the `start` bound lets DuckDB's
                        # zone maps skip old row groups instead of scanning every stored visit.
                        con.execute(
                            "DELETE FROM sessions WHERE start >= (SELECT min(start) FROM _ff_sessions) "
                            "AND session_id IN (SELECT session_id FROM _ff_sessions)"
                        )
                        con.execute(f"INSERT INTO sessions SELECT {SESSIONS.select_list} FROM _ff_sessions")
            finally:
                con.unregister("_ff_events")
                con.unregister("_ff_sessions")
        return bad_events + bad_sessions

    def purge(self, before_ms: int) -> int:
        cutoff = utc_datetime(before_ms)
        deleted = 0
        with self._writer() as con, _transaction(con):
            for table in ("events", "sessions"):
                row = con.execute(f"DELETE FROM {table} WHERE timestamp < ?", [cutoff]).fetchone()
                deleted += int(row[0]) if row else 0
        return deleted

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]:
        cur = self._db.cursor()
        try:
            cur.execute(sql, list(params))
            columns = [d[0] for d in cur.description or ()]
            return columns, [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def query_batches(self, sql: str, params: Sequence[Any] = (), batch_rows: int = BATCH_ROWS) -> pa.RecordBatchReader:
        import pyarrow as pa  # only exports come here: the store loads pyarrow on first use

        cur = self._db.cursor()
        try:
            reader = cur.sql(sql, params=list(params)).to_arrow_reader(batch_rows)
        except BaseException:
            cur.close()
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from reader
            finally:
                cur.close()  # the cursor lives as long as its reader is read

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def checkpoint(self) -> None:
        with self._write_lock:
            self._db.execute("CHECKPOINT")

    def close(self) -> None:
        with self._write_lock:
            self._db.close()
