"""`footfall events export`: the stored events of one site, with the contract's columns."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from footfall.model import EVENT_COLUMNS
from footfall.storage.base import BATCH_ROWS, EventStore, utc_datetime, utc_ms

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")


class Output(Protocol):
    """Where an export goes: a file, stdout, or the admin endpoint's streaming sink."""

    def write(self, data: Any, /) -> int: ...


_WINDOW_ROWS = BATCH_ROWS
_COLUMNS = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
_JSON_SLICE = 1000


def parse_instant(text: str) -> int:
    """An ISO date or date-time (naive means UTC) to UTC milliseconds."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def _where(site_id: str, since_ms: int | None, until_ms: int | None) -> tuple[str, list[object]]:
    where = ["site_id = ?"]
    params: list[object] = [site_id]
    if since_ms is not None:
        where.append("timestamp >= ?")
        params.append(utc_datetime(since_ms))
    if until_ms is not None:
        where.append("timestamp < ?")
        params.append(utc_datetime(until_ms))
    return " AND ".join(where), params


def _windows(store: EventStore, site_id: str, since_ms: int | None, until_ms: int | None) -> list[tuple[int, int]]:
    """[start, end) spans in ms, in order, that together hold the site's events in the range and
    each hold at most _WINDOW_ROWS of them (or share one millisecond).

    Why: DuckDB's sort of whole event rows needs several times their size and does not spill it
    (out of memory at its 64MB limit on 100k events, and at 128MB on 10M). Each window is read
    unsorted (streamed, nothing held by the store) and sorted here, so an export holds one window.
    Counts are cheap next to the export, and the timestamp's zone maps skip what is outside."""
    where, params = _where(site_id, since_ms, until_ms)
    _cols, rows = store.query(f"SELECT min(timestamp), max(timestamp), count(*) FROM events WHERE {where}", params)
    first, last, total = rows[0]
    if not total:
        return []
    todo = [(utc_ms(first), utc_ms(last) + 1, int(total))]
    done: list[tuple[int, int]] = []
    while todo:
        start, end, count = todo.pop()
        if count <= _WINDOW_ROWS or end - start <= 1:
            done.append((start, end))
            continue
        parts = min(end - start, 2 * -(-count // _WINDOW_ROWS))
        edges = [start + (end - start) * i // parts for i in range(parts + 1)]
        # parts <= end - start, so the edges strictly increase: no empty part.
        for lo, hi in pairwise(edges):
            _cols, counted = store.query(
                f"SELECT count(*) FROM events WHERE {where} AND timestamp >= ? AND timestamp < ?",
                [*params, utc_datetime(lo), utc_datetime(hi)],
            )
            if counted[0][0]:
                todo.append((lo, hi, int(counted[0][0])))
    return sorted(done)


def _select(site_id: str, window: tuple[int, int] | None) -> tuple[str, list[object]]:
    if window is None:  # no events: the query still gives the columns' schema
        return f"SELECT {_COLUMNS} FROM events WHERE site_id = ? AND false", [site_id]
    where, params = _where(site_id, *window)
    return f"SELECT {_COLUMNS} FROM events WHERE {where}", params


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    ts = row["timestamp"]
    if isinstance(ts, dt.datetime):
        row["timestamp"] = _iso(ts)
    props = row["props"]
    if isinstance(props, list):  # Arrow gives maps as lists of (key, value) pairs
        row["props"] = dict(props)
    return row


def _flatten_props(table: pa.Table) -> pa.Table:
    """CSV has no map type: props become a JSON object string."""
    import pyarrow as pa

    idx = table.schema.get_field_index("props")
    props = [json.dumps(dict(v) if v else {}, ensure_ascii=False) for v in table.column(idx).to_pylist()]
    return table.set_column(idx, "props", pa.array(props, pa.string()))


class _Batches:
    """The events in time order: one window after another, each sorted (see _windows)."""

    def __init__(self, store: EventStore, site_id: str, since_ms: int | None, until_ms: int | None) -> None:
        self._store = store
        self._site_id = site_id
        self._windows: list[tuple[int, int] | None] = [*_windows(store, site_id, since_ms, until_ms)] or [None]
        self._reader = store.query_batches(*_select(site_id, self._windows[0]))
        self.schema = self._reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for i, window in enumerate(self._windows):
            if i:
                self._reader.close()
                self._reader = self._store.query_batches(*_select(self._site_id, window))
            if window is None or window[1] - window[0] <= 1:
                yield from self._reader  # one millisecond (or nothing): no order to make
            else:
                window_rows = self._reader.read_all().sort_by("timestamp")  # stable: ties keep stored order
                yield from window_rows.to_batches(BATCH_ROWS)

    def close(self) -> None:
        self._reader.close()


def export_events(
    store: EventStore,
    site_id: str,
    fmt: str,
    out: Output,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> int:
    """Write the events; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    # Imported here: the server only needs pyarrow when someone exports.
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    # A window at a time (see _windows), so an export of any size holds one window, not the site.
    batches = _Batches(store, site_id, since_ms, until_ms)
    schema = batches.schema
    rows = 0
    try:
        if fmt == "parquet":
            with pq.ParquetWriter(out, schema, compression="zstd") as parquet:
                for batch in batches:
                    parquet.write_batch(batch)
                    rows += batch.num_rows
        elif fmt == "csv":
            flat_schema = schema.set(schema.get_field_index("props"), pa.field("props", pa.string()))
            with pa_csv.CSVWriter(out, flat_schema) as csv_out:
                for batch in batches:
                    csv_out.write_table(_flatten_props(pa.Table.from_batches([batch])))
                    rows += batch.num_rows
        else:
            for batch in batches:
                # Python objects cost far more than Arrow's columns: convert a slice at a time.
                for start in range(0, batch.num_rows, _JSON_SLICE):
                    part = batch.slice(start, _JSON_SLICE).to_pylist()
                    out.write(
                        (
                            "".join(json.dumps(_jsonable(r), ensure_ascii=False, default=str) + "\n" for r in part)
                        ).encode()
                    )
                rows += batch.num_rows
    finally:
        batches.close()
    return rows
