"""Export while the server runs: time, size, and the peak memory of the server and its store.

    footfall demo --events 1000000 --days 30 --data-dir /tmp/ff-1m     # once
    python bench/run_export.py --data-dir /tmp/ff-1m [--site demo.footfall.test] [--formats parquet,jsonl]

Starts `footfall serve` on the data dir (stop any other server on it first), runs
`footfall events export` (which then asks the server), and reads the peak RSS (VmHWM) of the
server process and of its store process after each export. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from procs import children, free_port, status_mb, wait_healthy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--site", default="demo.footfall.test")
    ap.add_argument("--formats", default="parquet,jsonl")
    args = ap.parse_args()
    env = {**os.environ, "FOOTFALL_DATA_DIR": args.data_dir, "FOOTFALL_LOG_LEVEL": "warning"}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "footfall", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict[str, object] = {"data_dir": args.data_dir, "site": args.site}
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health", server)
        (store,) = children(server.pid)
        result["rss_peak_mb_before"] = {
            "server": round(status_mb(server.pid, "VmHWM"), 1),
            "store": round(status_mb(store, "VmHWM"), 1),
        }
        for fmt in args.formats.split(","):
            with tempfile.NamedTemporaryFile(suffix="." + fmt) as out:
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "footfall", "events", "export", "--site", args.site, "--format", fmt],
                    env=env,
                    stdout=out,
                    check=True,
                )
                result[fmt] = {
                    "seconds": round(time.perf_counter() - start, 1),
                    "bytes": os.path.getsize(out.name),
                    "rss_peak_mb_server": round(status_mb(server.pid, "VmHWM"), 1),
                    "rss_peak_mb_store": round(status_mb(store, "VmHWM"), 1),
                }
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
