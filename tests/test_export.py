"""`events export` of sites larger than one sort: every event once, in time order, bounded memory."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from footfall import export
from footfall.model import Event
from footfall.storage.duckdb import DuckDBStore

T = 1_773_144_000_000
SITE, OTHER = "site-a", "site-b"


def _event(site: str, ts: int, path: str, **kw: Any) -> tuple[Any, ...]:
    return Event(site_id=site, timestamp=ts, name="pageview", protocol="plausible", pathname=path, **kw).row()


def _store(tmp_path: Path, rows: list[tuple[Any, ...]], memory_limit: str = "64MB") -> DuckDBStore:
    store = DuckDBStore(tmp_path / "events.duckdb", memory_limit=memory_limit)
    store.migrate()
    for start in range(0, len(rows), 2000):
        store.write(rows[start : start + 2000], [])
    return store


def test_a_site_larger_than_the_stores_memory_exports_whole_and_in_order(tmp_path: Path) -> None:
    # DuckDB's sort of 60k whole rows needs more than 24MB and does not spill it; the export sorts
    # a window at a time instead.
    rng = random.Random(7)
    rows = [
        _event(SITE, T + rng.randrange(86_400_000), f"/{i}/" + "x" * rng.randrange(50, 300), props={"n": str(i)})
        for i in range(60_000)
    ]
    store = _store(tmp_path, rows, memory_limit="24MB")
    out = io.BytesIO()
    assert export.export_events(store, SITE, "parquet", out) == 60_000
    table = pq.read_table(io.BytesIO(out.getvalue()), columns=["timestamp", "pathname"])
    stamps = table.column("timestamp").to_pylist()
    assert stamps == sorted(stamps)
    assert sorted(table.column("pathname").to_pylist()) == sorted(r[7] for r in rows)
    store.close()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_windows_keep_time_order_the_range_and_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(export, "_WINDOW_ROWS", 5)
    rng = random.Random(3)
    ours = [T + rng.randrange(3_600_000) for _ in range(40)] + [T + 1_800_000] * 12  # 12 in one ms
    rng.shuffle(ours)
    rows = [_event(SITE, ts, f"/{i}") for i, ts in enumerate(ours)]
    rows += [_event(OTHER, T + i * 1000, f"/other{i}") for i in range(30)]
    store = _store(tmp_path, rows)
    since, until = T + 600_000, T + 3_000_000

    windows = export._windows(store, SITE, since, until)
    assert windows == sorted(windows)
    assert all(a < b <= c for (a, b), (c, _d) in zip(windows, windows[1:], strict=False))
    for start, end in windows:
        inside = sum(start <= ts < end for ts in ours)
        assert inside <= 5 or end - start == 1
    assert sum(sum(s <= ts < e for ts in ours) for s, e in windows) == sum(since <= ts < until for ts in ours)

    out = io.BytesIO()
    count = export.export_events(store, SITE, fmt, out, since_ms=since, until_ms=until)
    if fmt == "parquet":
        got = pq.read_table(io.BytesIO(out.getvalue())).to_pylist()
        stamps = [int(r["timestamp"].timestamp() * 1000) for r in got]
        paths = [r["pathname"] for r in got]
    elif fmt == "csv":
        lines = out.getvalue().decode().splitlines()[1:]
        paths = [line.split(",")[7].strip('"') for line in lines]
        stamps = [ours[int(p[1:])] for p in paths]
    else:
        got = [json.loads(line) for line in out.getvalue().decode().splitlines()]
        stamps = [export.parse_instant(r["timestamp"]) for r in got]
        paths = [r["pathname"] for r in got]
    expected = sorted((ts, f"/{i}") for i, ts in enumerate(ours) if since <= ts < until)
    assert count == len(expected) == len(paths)
    assert stamps == [ts for ts, _p in expected]
    assert sorted(paths) == sorted(p for _ts, p in expected)
    store.close()


def test_an_empty_range_exports_nothing_with_the_columns(tmp_path: Path) -> None:
    store = _store(tmp_path, [_event(SITE, T, "/a")])
    assert export._windows(store, SITE, T + 1, None) == []
    out = io.BytesIO()
    assert export.export_events(store, SITE, "parquet", out, since_ms=T + 1) == 0
    assert pq.read_table(io.BytesIO(out.getvalue())).num_rows == 0
    store.close()
