"""The event and session columns as Arrow types, and rows to Arrow tables (how stores take writes).

Only the store imports this: the server process that runs the store in a child never loads
pyarrow (~40 MB) unless it exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate, chain
from operator import itemgetter

import pyarrow as pa
import pyarrow.compute as pc

from footfall.model import EVENT_COLUMNS, SESSION_COLUMNS
from footfall.storage.base import Row

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
        if pa.types.is_timestamp(field.type):
            _check_time_range(field.name, arrays[-1])
    return pa.Table.from_arrays(arrays, schema=schema)


# Years 1 to 9999 in ms. Arrow takes any 64-bit value, but DuckDB refuses one past its own range
# inside the insert, which would fail the batch (and every retry of it) after conversion.
_MIN_MS, _MAX_MS = -62_135_596_800_000, 253_402_300_799_999


def _check_time_range(name: str, array: pa.Array) -> None:
    low, high = pc.min_max(array.cast(pa.int64())).values()
    if low.is_valid and (low.as_py() < _MIN_MS or high.as_py() > _MAX_MS):
        raise ValueError(f"{name} out of range: {low.as_py()}..{high.as_py()} ms")


# What a value no column can hold raises while a table is built: a wrong type, an integer out of
# range, a row of the wrong length.
_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError, IndexError)


def storable_table(rows: Sequence[Row], schema: pa.Schema) -> tuple[pa.Table, int, str]:
    """The rows as a table, leaving out any row that cannot be converted: (table, left out, why).

    One bad value must not fail its whole batch: the write buffer would retry that batch forever
    and ingestion would stop. Rows are checked one by one only after the fast path has failed.
    """
    try:
        return rows_to_table(rows, schema), 0, ""
    except _CONVERSION_ERRORS as exc:
        first_error = f"{type(exc).__name__}: {exc}"
    good = []
    for row in rows:
        try:
            rows_to_table([row], schema)
        except _CONVERSION_ERRORS:
            continue
        good.append(row)
    return rows_to_table(good, schema), len(rows) - len(good), first_error[:300]


def _map_array(dicts: list[dict[str, str]], type_: pa.MapType) -> pa.MapArray:
    """A map column from dicts, built as offsets + flat keys + flat values.

    `pa.array` on per-row item lists costs a third of the whole table (props are nearly always
    empty) and holds the GIL in one call; these C-level passes take a fraction of that.
    """
    offsets = pa.array([0, *accumulate(map(len, dicts))], type=pa.int32())
    keys = pa.array(list(chain.from_iterable(dicts)), type=type_.key_type)
    items = pa.array(list(chain.from_iterable(map(dict.values, dicts))), type=type_.item_type)
    return pa.MapArray.from_arrays(offsets, keys, items, type=type_)
