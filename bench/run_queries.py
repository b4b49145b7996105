"""The dashboard's query set over a demo data dir: time per query, per set, and bytes per event.

    footfall demo --events 1000000 --data-dir /tmp/ff-1m
    python bench/run_queries.py --data-dir /tmp/ff-1m [--site demo.footfall.test] [--repeat 7]

Queries go through the real parse -> compile -> run -> shape path, on the DuckDB file opened
read-only (stop any server on that data dir first). Reports the median of `--repeat` warm runs.
The set is what the dashboard's panels ask for; the page-details query (the pages modal) is timed
on its own, outside the set.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from footfall.query import parse, run, shape
from footfall.storage.duckdb import DuckDBStore
from footfall.storage.meta import MetaStore

DASHBOARD: list[tuple[str, dict[str, Any]]] = [
    (
        "aggregate + comparison",
        {
            "metrics": ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"],
            "date_range": "30d",
            "include": {"comparisons": {"mode": "previous_period"}},
        },
    ),
    ("timeseries 30d", {"metrics": ["visitors"], "date_range": "30d", "dimensions": ["time:day"]}),
    (
        "top pages",
        {"metrics": ["visitors"], "date_range": "30d", "dimensions": ["event:page"], "pagination": {"limit": 10}},
    ),
    (
        "top sources",
        {"metrics": ["visitors"], "date_range": "30d", "dimensions": ["visit:source"], "pagination": {"limit": 10}},
    ),
    (
        "countries",
        {
            "metrics": ["visitors", "percentage"],
            "date_range": "30d",
            "dimensions": ["visit:country"],
            "pagination": {"limit": 10},
        },
    ),
    (
        "devices",
        {
            "metrics": ["visitors", "percentage"],
            "date_range": "30d",
            "dimensions": ["visit:device"],
            "pagination": {"limit": 10},
        },
    ),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--site", default="demo.footfall.test")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="64MB", help="the duckdb_memory_limit setting")
    args = ap.parse_args()

    site = MetaStore(args.data_dir / "meta.sqlite3").find_site(args.site)
    if site is None:
        print(f"no site {args.site!r} in {args.data_dir}", file=sys.stderr)
        return 1
    db_path = args.data_dir / "events.duckdb"
    store = DuckDBStore(db_path, read_only=True, threads=args.threads, memory_limit=args.memory_limit)
    _cols, rows = store.query("SELECT count(*) FROM events WHERE site_id = ?", [site.id])
    n_events = int(rows[0][0])
    _cols, rows = store.query("SELECT count(*) FROM sessions WHERE site_id = ?", [site.id])
    n_sessions = int(rows[0][0])
    now_ms = int(time.time() * 1000)

    # One cache of range sizes per dashboard load, as the server keeps one for a minute: the
    # first query of a set pays for counting the range, the rest reuse it.
    sizes = run.RangeSizes(lambda: 0)

    def one(body: dict[str, Any]) -> dict[str, Any]:
        query = parse.parse({"site_id": site.domain, **body}, site, now_ms)
        return shape.to_json(run.run(store, query, sizes=sizes))

    extra = [
        (
            "(extra) page details",
            {
                "metrics": ["visitors", "pageviews", "bounce_rate", "time_on_page", "scroll_depth"],
                "date_range": "30d",
                "dimensions": ["event:page"],
                "pagination": {"limit": 100},
            },
        )
    ]
    for _name, body in DASHBOARD:  # warm the file cache and DuckDB's
        one(body)
    timings: dict[str, list[float]] = {name: [] for name, _ in DASHBOARD}
    totals: list[float] = []
    for _ in range(args.repeat):
        sizes = run.RangeSizes(lambda: 0)
        set_start = time.perf_counter()
        for name, body in DASHBOARD:
            t = time.perf_counter()
            one(body)
            timings[name].append((time.perf_counter() - t) * 1000)
        totals.append((time.perf_counter() - set_start) * 1000)
    size = db_path.stat().st_size + (
        db_path.with_suffix(".duckdb.wal").stat().st_size if db_path.with_suffix(".duckdb.wal").exists() else 0
    )
    print(
        f"events {n_events:,}  visits {n_sessions:,}  file {size / 1e6:.1f} MB  "
        f"{size / max(n_events, 1):.1f} bytes/event"
    )
    print(f"{'query':28} {'median ms':>10} {'min ms':>8}")
    for name, values in timings.items():
        print(f"{name:28} {statistics.median(values):10.1f} {min(values):8.1f}")
    print(f"{'whole set':28} {statistics.median(totals):10.1f} {min(totals):8.1f}")
    for name, body in extra:
        values = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            one(body)
            values.append((time.perf_counter() - t) * 1000)
        print(f"{name:28} {statistics.median(values):10.1f} {min(values):8.1f}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
