"""The narrow storage interface every event backend implements.

Reports are compiled to SQL in query/ and run through `query` (exports: `query_batches`); backends never grow
one method per report. The same contract test suite (tests/storage/) runs against each backend.

Contract:
- `write(events, sessions)` is called by one writer at a time (the write buffer's thread). Events
  are appended. Sessions are upserted by session_id: the newest row for a session replaces the
  stored one. Either the whole batch is stored or none of it (no half-written rows), except rows
  holding a value no column can hold (a wrong type, an integer out of range): those are left out,
  and `write` returns how many, so that one bad row never blocks every later write.
- `query` / `query_batches` may be called from any thread, concurrently with `write`; they see every
  batch whose `write` has returned.
- Values are always passed as parameters (`?` placeholders), never formatted into SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

Row = tuple[Any, ...]

BATCH_ROWS = 50_000

_EPOCH = dt.datetime(1970, 1, 1)


def utc_datetime(ms: int) -> dt.datetime:
    """A UTC instant in ms as the naive datetime the stores take and give for TIMESTAMP."""
    return _EPOCH + dt.timedelta(milliseconds=ms)


def utc_ms(ts: dt.datetime) -> int:
    """The inverse of utc_datetime (an aware datetime is read as UTC)."""
    return (ts.replace(tzinfo=None) - _EPOCH) // dt.timedelta(milliseconds=1)


class EventStore(Protocol):
    dialect: str  # "duckdb" or "clickhouse": which SQL dialect query/ compiles to

    def migrate(self) -> None: ...

    def write(self, events: Sequence[Row], sessions: Sequence[Row]) -> int:
        """Store the batch; returns the number of rows left out as unstorable (normally 0)."""
        ...

    def purge(self, before_ms: int) -> int:
        """Delete events before `before_ms` and visits whose last event was before it, in one
        transaction; returns the number of rows deleted. Called by the single writer."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]: ...

    def query_batches(self, sql: str, params: Sequence[Any] = (), batch_rows: int = BATCH_ROWS) -> pa.RecordBatchReader:
        """The result a batch at a time (exports: memory stays bounded whatever the row count).
        Read it to the end or close it: a backend may hold resources until then."""
        ...

    def close(self) -> None: ...
