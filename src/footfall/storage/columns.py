"""The stored columns' types, and the rows of a write as column arrays (how DuckDB takes them).

Why numpy arrays and not Arrow tables: DuckDB scans a dict of numpy arrays as a table just as it
scans Arrow, and numpy is ~5 MB resident in the store process where pyarrow's libraries and its
allocator kept ~40 MB (bench/BENCHMARKS.md, memory). Arrow is loaded only when an export asks for
record batches.

A value no column can hold (a wrong type, an integer out of range, a string that is not valid
Unicode) leaves its row out instead of failing the batch: the write buffer would retry that batch
forever and ingestion would stop. Each column is checked as a whole first; rows are checked one by
one only when a column fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from json import dumps
from operator import itemgetter
from typing import Any

import numpy as np

from footfall.model import EVENT_COLUMNS, SESSION_COLUMNS
from footfall.storage.base import Row

# The kinds of stored column: (SQL type, numpy dtype of the array DuckDB scans).
KINDS: dict[str, tuple[str, Any]] = {
    "str": ("VARCHAR", object),
    "time": ("TIMESTAMP", "datetime64[ms]"),
    "u64": ("UBIGINT", np.uint64),
    "u32": ("UINTEGER", np.uint32),
    "u8": ("UTINYINT", np.uint8),
    "bool": ("BOOLEAN", np.bool_),
    "map": ("MAP(VARCHAR, VARCHAR)", object),
    # Nullable (None is NULL): numpy's integer and bool arrays hold no NULL, so these are object
    # arrays that the SELECT casts.
    "u8?": ("UTINYINT", object),
    "bool?": ("BOOLEAN", object),
}

EVENT_KINDS: dict[str, str] = {
    **{c: "str" for c in EVENT_COLUMNS},
    "timestamp": "time",
    "visitor_id": "u64",
    "session_id": "u64",
    "props": "map",
    "engagement_ms": "u32",
    "scroll_depth": "u8?",
    "interactive": "bool",
    "is_unique_user": "bool?",
    "is_unique_page": "bool?",
}

SESSION_KINDS: dict[str, str] = {
    **{c: "str" for c in SESSION_COLUMNS},
    "session_id": "u64",
    "visitor_id": "u64",
    "start": "time",
    "timestamp": "time",
    "pageviews": "u32",
    "events": "u32",
    "duration": "u32",
    "is_bounce": "bool",
    "engagement_ms": "u64",
}

# Years 1 to 9999 in ms: DuckDB refuses a timestamp past its own range inside the insert, which
# would fail the batch (and every retry of it).
_INT_RANGES = {
    "time": (-62_135_596_800_000, 253_402_300_799_999),
    "u64": (0, 2**64 - 1),
    "u32": (0, 2**32 - 1),
    "u8": (0, 2**8 - 1),
}


class Table:
    """One stored table: its columns in order and each one's kind."""

    def __init__(self, name: str, columns: Sequence[str], kinds: dict[str, str]) -> None:
        self.name = name
        self.columns = tuple(columns)
        self.kinds = tuple(kinds[c] for c in columns)
        self.select_list = self._select_list()

    def ddl(self) -> str:
        cols = ",\n  ".join(f'"{c}" {KINDS[k][0]}' for c, k in zip(self.columns, self.kinds, strict=True))
        return f"CREATE TABLE {self.name} (\n  {cols}\n)"

    def _select_list(self) -> str:
        """The SELECT list that turns the arrays of `arrays` back into the table's columns, in order."""
        out = []
        for column, kind in zip(self.columns, self.kinds, strict=True):
            if kind == "map":  # numpy holds no maps: each one as a JSON object
                out.append(f'"{column}"::JSON::{KINDS[kind][0]}')
            elif kind.endswith("?"):
                out.append(f'"{column}"::{KINDS[kind][0]}')
            else:
                out.append(f'"{column}"')
        return ", ".join(out)

    def arrays(self, rows: Sequence[Row]) -> tuple[dict[str, Any], int, str]:
        """The rows as named column arrays, leaving out any row a column cannot hold:
        (arrays, rows left out, why the first was)."""
        try:
            return self._arrays(rows), 0, ""
        except _Unstorable as exc:
            why = str(exc)
        good = [row for row in rows if self._row_ok(row)]
        return self._arrays(good), len(rows) - len(good), why

    def _arrays(self, rows: Sequence[Row]) -> dict[str, Any]:
        width = len(self.columns)
        if any(len(row) != width for row in rows):
            raise _Unstorable(f"a row of the wrong length (the {self.name} table has {width} columns)")
        arrays: dict[str, Any] = {}
        n = len(rows)
        for index, (column, kind) in enumerate(zip(self.columns, self.kinds, strict=True)):
            values = list(map(itemgetter(index), rows))
            if values and not _COLUMN_CHECKS[kind](values):
                raise _Unstorable(f"a value the {column} column cannot hold ({kind})")
            if kind == "map":
                # Not list columns: DuckDB infers a list column's type from a sample of its rows, and
                # a batch whose sampled maps are all empty fails on the first row that is not.
                arrays[column] = np.fromiter(map(_json_object, values), dtype=object, count=n)
            elif kind == "str" or kind.endswith("?"):
                arrays[column] = np.fromiter(values, dtype=object, count=n)
            else:
                arrays[column] = np.array(values, dtype=KINDS[kind][1])
        return arrays

    def _row_ok(self, row: Row) -> bool:
        if len(row) != len(self.columns):
            return False
        return all(_COLUMN_CHECKS[kind]([value]) for kind, value in zip(self.kinds, row, strict=True))


def _json_object(value: dict[str, str]) -> str:
    return dumps(value, ensure_ascii=False, separators=(",", ":")) if value else "{}"


class _Unstorable(ValueError):
    pass


def _strings_ok(values: list[Any]) -> bool:
    # One pass for both: join refuses anything but strings, and a lone surrogate (JSON allows
    # "\ud800") is no UTF-8, which DuckDB would fail the whole batch on.
    try:
        "".join(values).encode()
    except (TypeError, UnicodeEncodeError):
        return False
    return True


def _ints_ok(kind: str) -> Callable[[list[Any]], bool]:
    low, high = _INT_RANGES[kind]

    def ok(values: list[Any]) -> bool:
        return set(map(type, values)) == {int} and low <= min(values) and max(values) <= high

    return ok


def _bools_ok(values: list[Any]) -> bool:
    return set(map(type, values)) == {bool}


def _maps_ok(values: list[Any]) -> bool:
    if set(map(type, values)) != {dict}:
        return False
    flat = list(chain(chain.from_iterable(values), chain.from_iterable(map(dict.values, values))))
    return not flat or _strings_ok(flat)


def _or_none(check: Callable[[list[Any]], bool]) -> Callable[[list[Any]], bool]:
    def ok(values: list[Any]) -> bool:
        present = [v for v in values if v is not None]
        return not present or check(present)

    return ok


_COLUMN_CHECKS: dict[str, Callable[[list[Any]], bool]] = {
    "str": _strings_ok,
    "time": _ints_ok("time"),
    "u64": _ints_ok("u64"),
    "u32": _ints_ok("u32"),
    "u8": _ints_ok("u8"),
    "bool": _bools_ok,
    "map": _maps_ok,
    "u8?": _or_none(_ints_ok("u8")),
    "bool?": _or_none(_bools_ok),
}

EVENTS = Table("events", EVENT_COLUMNS, EVENT_KINDS)
SESSIONS = Table("sessions", SESSION_COLUMNS, SESSION_KINDS)
