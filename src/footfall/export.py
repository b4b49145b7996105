"""`footfall events export`: the stored events of one site, with the contract's columns."""

from __future__ import annotations

import datetime as dt
import json
from typing import IO, TYPE_CHECKING

from footfall.model import EVENT_COLUMNS
from footfall.storage.base import EventStore

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("jsonl", "csv", "parquet")
_BATCH = 50_000


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
    out: IO[bytes],
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> int:
    """Write the events; returns how many."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    sql, params = _select(site_id, since_ms, until_ms)
    table = store.query_arrow(sql, params)
    # Imported here: the server only needs pyarrow when someone exports.
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        pq.write_table(table, out, compression="zstd")
    elif fmt == "csv":
        pa_csv.write_csv(_flatten_props(table), out)
    else:
        for batch in table.to_batches(_BATCH):
            lines = [json.dumps(_jsonable(r), ensure_ascii=False, default=str) for r in batch.to_pylist()]
            if lines:
                out.write(("\n".join(lines) + "\n").encode())
    return int(table.num_rows)
