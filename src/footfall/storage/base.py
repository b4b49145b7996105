"""The narrow storage interface every event backend implements.

Reports are compiled to SQL in query/ and run through `query`/`query_arrow`; backends never grow
one method per report. The same contract test suite (tests/storage/) runs against each backend.

Contract:
- `write(events, sessions)` is called by one writer at a time (the write buffer's thread). Events
  are appended. Sessions are upserted by session_id: the newest row for a session replaces the
  stored one. Either the whole batch is stored or none of it (no half-written rows).
- `query` / `query_arrow` may be called from any thread, concurrently with `write`; they see every
  batch whose `write` has returned.
- Values are always passed as parameters (`?` placeholders), never formatted into SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, chain
from operator import itemgetter
from typing import Any, Protocol

import pyarrow as pa

from footfall.model import EVENT_COLUMNS, SESSION_COLUMNS

Row = tuple[Any, ...]

# Arrow types of the event and session columns; backends map them to their own column types.
_STR = pa.string()
EVENT_ARROW_TYPES: dict[str, pa.DataType] = {
    **{c: _STR for c in EVENT_COLUMNS},
    "timestamp": pa.timestamp("ms"),
    "visitor_id": pa.uint64(),
    "session_id": pa.uint64(),
    "props": pa.map_(pa.string(), pa.string()),
    "engagement_ms": pa.uint32(),
    "scroll_depth": pa.uint8(),
    "interactive": pa.bool_(),
    "is_unique_user": pa.bool_(),
    "is_unique_page": pa.bool_(),
}

SESSION_ARROW_TYPES: dict[str, pa.DataType] = {
    **{c: _STR for c in SESSION_COLUMNS},
    "session_id": pa.uint64(),
    "visitor_id": pa.uint64(),
    "start": pa.timestamp("ms"),
    "timestamp": pa.timestamp("ms"),
    "pageviews": pa.uint32(),
    "events": pa.uint32(),
    "duration": pa.uint32(),
    "is_bounce": pa.bool_(),
    "engagement_ms": pa.uint64(),
}

EVENT_SCHEMA = pa.schema([(c, EVENT_ARROW_TYPES[c]) for c in EVENT_COLUMNS])
SESSION_SCHEMA = pa.schema([(c, SESSION_ARROW_TYPES[c]) for c in SESSION_COLUMNS])


def rows_to_table(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    """Row tuples (what the buffer holds) to a typed Arrow table; the costly part of a flush.

    One column at a time: `zip(*rows)` would transpose the whole batch in a single C call that
    holds the GIL for ~10 ms per 3,000 rows, stalling every request the event loop is serving.
    """
    if not rows:
        return schema.empty_table()
    arrays = []
    for index, field in enumerate(schema):
        values = list(map(itemgetter(index), rows))
        if pa.types.is_map(field.type):
            arrays.append(_map_array(values, field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _map_array(dicts: list[dict[str, str]], type_: pa.MapType) -> pa.MapArray:
    """A map column from dicts, built as offsets + flat keys + flat values.

    `pa.array` on per-row item lists costs a third of the whole table (props are nearly always
    empty) and holds the GIL in one call; these C-level passes take a fraction of that.
    """
    offsets = pa.array([0, *accumulate(map(len, dicts))], type=pa.int32())
    keys = pa.array(list(chain.from_iterable(dicts)), type=type_.key_type)
    items = pa.array(list(chain.from_iterable(map(dict.values, dicts))), type=type_.item_type)
    return pa.MapArray.from_arrays(offsets, keys, items, type=type_)


class EventStore(Protocol):
    dialect: str  # "duckdb" or "clickhouse": which SQL dialect query/ compiles to

    def migrate(self) -> None: ...

    def write(self, events: Sequence[Row], sessions: Sequence[Row]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[Row]]: ...

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table: ...

    def close(self) -> None: ...
