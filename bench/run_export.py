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
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        (store,) = [int(c) for c in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        result["rss_peak_mb_before"] = {"server": round(peak_mb(server.pid), 1), "store": round(peak_mb(store), 1)}
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
                    "rss_peak_mb_server": round(peak_mb(server.pid), 1),
                    "rss_peak_mb_store": round(peak_mb(store), 1),
                }
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
