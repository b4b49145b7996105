"""Memory and disk: RSS after 1M stored events with 100k live visits, and bytes per event.

    python bench/run_storage.py [--events 1000000] [--visitors 100000]

Runs the real pipeline (no HTTP) with the store in a child process, as `footfall serve` runs it:
100k visitors each send events over 25 minutes of simulated time, so every visit is still live at
the end. RSS is the server's and the store process's together, read right after the last write
and again after `--settle` seconds idle. Also reports the pipeline's rate.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from procs import status_mb

from footfall.app import create_app
from footfall.model import Hit, Protocol, SiteKey
from footfall.settings import Settings
from footfall.storage.backends import open_store_process

UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
]
REFS = [
    "",
    "",
    "",
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://t.co/x",
    "https://duckduckgo.com/",
]


def public_ip(v: int) -> str:
    """A spread of (mostly public) IPv4 addresses, so geo lookups touch the database as real traffic does."""
    h = (v * 2654435761) & 0xFFFFFFFF
    first = 1 + h % 223
    if first in (10, 127):
        first += 1
    return f"{first}.{h >> 8 & 255}.{h >> 16 & 255}.{1 + (h >> 24) % 254}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--visitors", type=int, default=100_000)
    ap.add_argument("--memory-limit", default="64MB", help="the duckdb_memory_limit setting")
    ap.add_argument("--settle", type=float, default=15, help="seconds idle before the settled RSS reading")
    args = ap.parse_args()
    rng = random.Random(42)
    data = Path(tempfile.mkdtemp(prefix="footfall-store-"))
    now = [1_773_144_000_000]
    settings = Settings(data_dir=str(data), duckdb_memory_limit=args.memory_limit)
    store = open_store_process(settings)
    app = create_app(settings, clock=lambda: now[0], store=store)
    app.meta.add_site("example.com", now_ms=now[0])
    app.startup()
    store_pid = store.process.pid
    base_rss = status_mb()
    base_store_rss = status_mb(store_pid)
    span_ms = 25 * 60_000
    step = span_ms / args.events
    t0 = time.perf_counter()
    start = now[0]
    for i in range(args.events):
        v = i % args.visitors
        now[0] = start + int(i * step)
        hit = Hit(
            protocol=Protocol.PLAUSIBLE,
            site_key=SiteKey.DOMAIN,
            site_ref="example.com",
            timestamp_ms=now[0],
            name="pageview",
            ip=public_ip(v),
            user_agent=UAS[v % len(UAS)],
            hostname="example.com",
            pathname=f"/docs/page-{int(500 ** rng.random())}",
            query="utm_source=newsletter" if v % 10 == 0 else "",
            referrer=REFS[v % len(REFS)],
        )
        app.ingestor.ingest([hit])
        if i % settings.flush_rows == settings.flush_rows - 1:
            # Without network waits this loop outruns the writer thread, and the buffer would
            # hold up to buffer_max_rows (200k rows, ~200 MB) instead of the flush_rows a server's
            # buffer holds when its store keeps up.
            app.buffer.flush()
    app.buffer.flush()
    elapsed = time.perf_counter() - t0
    gc.collect()
    busy = {"server": status_mb(), "store": status_mb(store_pid)}
    # Then idle, as a server is between bursts: memory the allocators hold only while writes go on
    # (DuckDB's background threads return it within seconds) is reported apart from what stays.
    time.sleep(args.settle)
    result = {
        "events": args.events,
        "visitors": args.visitors,
        "live_sessions": len(app.ctx.sessions),
        "pipeline_events_per_s": round(args.events / elapsed),
        "rss_mb_at_start": round(base_rss + base_store_rss, 1),
        "rss_mb_right_after_last_write": round(busy["server"] + busy["store"], 1),
        "server_rss_mb_right_after": round(busy["server"], 1),
        "store_process_rss_mb_right_after": round(busy["store"], 1),
        "settle_s": args.settle,
        "rss_mb_after": round(status_mb() + status_mb(store_pid), 1),
        "rss_anon_mb_after": round(status_mb(field="RssAnon") + status_mb(store_pid, "RssAnon"), 1),
        "rss_file_mb_after": round(status_mb(field="RssFile") + status_mb(store_pid, "RssFile"), 1),
        "server_rss_mb_after": round(status_mb(), 1),
        "store_process_rss_mb_after": round(status_mb(store_pid), 1),
        "duckdb_memory_limit": args.memory_limit,
    }
    app.shutdown()
    app.store.query("CHECKPOINT")
    # The file keeps freed blocks (live visits are rewritten each flush) for reuse; what is stored
    # is the used blocks. Both are reported.
    _, ((block_size, used_blocks),) = app.store.query("SELECT block_size, used_blocks FROM pragma_database_size()")
    app.store.close()
    size = (data / "events.duckdb").stat().st_size
    result["duckdb_file_mb"] = round(size / 1e6, 1)
    result["bytes_per_event_file"] = round(size / args.events, 1)
    result["bytes_per_event_used_blocks"] = round(block_size * used_blocks / args.events, 1)
    print(json.dumps(result, indent=1))
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
