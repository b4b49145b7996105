"""Time to a fully rendered dashboard, and the page weight, in headless Chromium.

    footfall demo --events 10000000 --data-dir /tmp/ff-10m        # or pass --events here
    python bench/run_dashboard.py --data-dir /tmp/ff-10m [--site demo.footfall.test] [--repeat 5]

Starts `footfall serve` on the data dir (stop any other server on it first), signs in, and loads
/dashboard?site=SITE&period=30d `--repeat` times. "Rendered" is the moment the page marks
#dashboard[data-loaded]: top stats, chart and every panel have drawn the API's answers. The time is
measured from the navigation start (performance.timeOrigin). The first load runs in a fresh
browser context (cold cache) and counts every byte the page fetched, as transferred.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from procs import free_port, wait_healthy

PASSWORD = "bench-password-1"
LOADED = "#dashboard[data-loaded]:not([data-loaded=''])"
ELAPSED = "() => Number(document.getElementById('dashboard').dataset.loaded) - performance.timeOrigin"
API_TIMES = "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).map(e => e.duration)"


def footfall(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "footfall", *args], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "footfall", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_healthy(f"http://127.0.0.1:{port}/api/health", proc, seconds=60)
    return proc


def measure(url: str, site: str, repeat: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto(url + "/login")
        page.fill("input[name=email]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/sites")

        transfers: list[tuple[str, int]] = []

        def on_finished(request: Any) -> None:
            sizes = request.sizes()
            transfers.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

        page.on("requestfinished", on_finished)
        target = f"{url}/dashboard?site={site}&period=30d"
        times = []
        for i in range(repeat):
            if i == 1:
                page.remove_listener("requestfinished", on_finished)
            page.goto(target)
            page.wait_for_selector(LOADED, timeout=120_000)
            times.append(page.evaluate(ELAPSED))
        shown = page.text_content(".stat[data-metric=visitors] .stat-value")
        api_ms = page.evaluate(API_TIMES)
        browser.close()
    api = sum(n for u, n in transfers if "/api/" in u)
    static = sum(n for u, n in transfers if "/api/" not in u)
    return {
        "first_load_ms": round(times[0]),
        "warm_median_ms": round(statistics.median(times[1:] or times)),
        "warm_all_ms": [round(t) for t in times],
        "bytes_static": static,
        "bytes_api": api,
        "bytes_total": static + api,
        "requests": len(transfers),
        "visitors_shown": shown,
        "api_calls_last_load_ms": sorted(round(t) for t in api_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--site", default="demo.footfall.test")
    parser.add_argument("--events", type=int, default=0, help="run `footfall demo` with this many events first")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.events:
        footfall("demo", "--events", str(args.events), "--site", args.site, "--data-dir", str(args.data_dir))
    footfall("users", "add", "bench", "--password-stdin", "--data-dir", str(args.data_dir), stdin=PASSWORD + "\n")
    port = free_port()
    proc = start_server(args.data_dir, port)
    try:
        result = measure(f"http://127.0.0.1:{port}", args.site, max(2, args.repeat))
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    print(json.dumps({"site": args.site, "data_dir": str(args.data_dir), **result}, indent=2))


if __name__ == "__main__":
    main()
