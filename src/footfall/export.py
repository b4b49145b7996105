"""`footfall events export`: the stored events of one site, with the contract's columns."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Protocol

from footfall.model import EVENT_COLUMNS
from footfall.storage.base import EventStore

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")


class Output(Protocol):
    """Where an export goes: a file, stdout, or the admin endpoint's streaming sink."""

    def write(self, data: Any, /) -> int: ...


_BATCH = 50_000
_JSON_SLICE = 1000


def parse_instant(text: str) -> int:
    """An ISO date or date-time (naive means UTC) to UTC milliseconds."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def _select(site_id: str, since_ms: int | None, until_ms: int | None) -> tuple[str, list[object]]:
    cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
    where = ["site_id = ?"]
    params: list[object] = [site_id]
    if since_ms is not None:
        where.append("timestamp >= ?")
        params.append(dt.datetime.fromtimestamp(since_ms / 1000, dt.UTC).replace(tzinfo=None))
    if until_ms is not None:
        where.append("timestamp < ?")
        params.append(dt.datetime.fromtimestamp(until_ms / 1000, dt.UTC).replace(tzinfo=None))
    return f"SELECT {cols} FROM events WHERE {' AND '.join(where)} ORDER BY timestamp", params


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
    sql, params = _select(site_id, since_ms, until_ms)
    # Imported here: the server only needs pyarrow when someone exports.
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    # A batch at a time, so an export of any size holds one batch in memory, not the site.
    reader = store.query_batches(sql, params, _BATCH)
    rows = 0
    try:
        if fmt == "parquet":
            with pq.ParquetWriter(out, reader.schema, compression="zstd") as parquet:
                for batch in reader:
                    parquet.write_batch(batch)
                    rows += batch.num_rows
        elif fmt == "csv":
            flat_schema = reader.schema.set(reader.schema.get_field_index("props"), pa.field("props", pa.string()))
            with pa_csv.CSVWriter(out, flat_schema) as csv_out:
                for batch in reader:
                    csv_out.write_table(_flatten_props(pa.Table.from_batches([batch])))
                    rows += batch.num_rows
        else:
            for batch in reader:
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
        reader.close()
    return rows
