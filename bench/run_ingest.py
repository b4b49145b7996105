"""Ingestion throughput: Footfall vs a no-op ASGI endpoint on the same server stack, same run.

    python bench/run_ingest.py [--rounds 5] [--seconds 8] [--connections 64] [--path /api/event]
                               [--lua bench/plausible.lua]

Both servers start idle on 127.0.0.1; wrk (1 thread) loads them round-robin so background load
hits both alike. Then wrk paces Footfall at half its median rate to read p50/p99 latency.
Prints one JSON object with every number; BENCHMARKS.md records them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from procs import children, free_port, status_mb, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


def wrk(url: str, lua: Path, seconds: int, connections: int, rate: float = 0) -> dict[str, float]:
    env = {**os.environ, "RATE": str(int(rate)), "CONNS": str(connections)}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    return json.loads(line[5:])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--path", default="/api/event")
    ap.add_argument("--lua", default=str(ROOT / "bench" / "plausible.lua"))
    ap.add_argument("--setup", default="", help="shell command run with $DATA after `sites add` (e.g. more sites)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    data = Path(tempfile.mkdtemp(prefix="footfall-bench-"))
    env = {**os.environ, "FOOTFALL_DATA_DIR": str(data), "FOOTFALL_LOG_LEVEL": "warning"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "footfall",
            "sites",
            "add",
            "example.com",
            "--id",
            "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    if args.setup:
        subprocess.run(args.setup, shell=True, env={**env, "DATA": str(data)}, check=True)
    ff_port, noop_port = free_port(), free_port()
    footfall = subprocess.Popen(
        [sys.executable, "-m", "footfall", "serve", "--port", str(ff_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    noop = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "noop_app:app",
            "--port",
            str(noop_port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--lifespan",
            "on",
        ],
        cwd=ROOT / "bench",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lua = Path(args.lua)
    try:
        wait_healthy(f"http://127.0.0.1:{ff_port}/api/health", footfall)
        time.sleep(0.5)
        ff_url = f"http://127.0.0.1:{ff_port}{args.path}"
        noop_url = f"http://127.0.0.1:{noop_port}{args.path}"
        for url in (noop_url, ff_url):  # warm-up: caches, JIT-less but branch/page warm
            wrk(url, lua, 2, args.connections)
        rounds: dict[str, list[dict[str, float]]] = {"noop": [], "footfall": []}
        for _ in range(args.rounds):
            rounds["noop"].append(wrk(noop_url, lua, args.seconds, args.connections))
            rounds["footfall"].append(wrk(ff_url, lua, args.seconds, args.connections))
        med = {k: statistics.median(r["rps"] for r in v) for k, v in rounds.items()}
        half = wrk(ff_url, lua, max(args.seconds, 10), args.connections, rate=med["footfall"] / 2)
        with urllib.request.urlopen(f"http://127.0.0.1:{ff_port}/metrics") as r:
            metrics = r.read().decode()
        result = {
            "path": args.path,
            "lua": lua.name,
            "connections": args.connections,
            "seconds_per_round": args.seconds,
            "rounds": args.rounds,
            "noop_rps": [round(r["rps"]) for r in rounds["noop"]],
            "footfall_rps": [round(r["rps"]) for r in rounds["footfall"]],
            "noop_median_rps": round(med["noop"]),
            "footfall_median_rps": round(med["footfall"]),
            "ratio": round(med["footfall"] / med["noop"], 3),
            "footfall_p99_ms_at_max": [r["p99_ms"] for r in rounds["footfall"]],
            "half_rate_target_rps": round(med["footfall"] / 2),
            "half_rate_achieved_rps": round(half["rps"]),
            "half_rate_p50_ms": half["p50_ms"],
            "half_rate_p99_ms": half["p99_ms"],
            "non_2xx": sum(int(r["errors_status"]) for v in rounds.values() for r in v) + int(half["errors_status"]),
            "socket_errors": sum(
                int(r[k])
                for v in rounds.values()
                for r in v
                for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout")
            ),
            "footfall_rss_mb": round(status_mb(footfall.pid), 1),
            "footfall_store_process_rss_mb": round(sum(status_mb(c) for c in children(footfall.pid)), 1),
            "dropped": [line for line in metrics.splitlines() if line.startswith("footfall_events_dropped_total")],
            "accepted": [line for line in metrics.splitlines() if line.startswith("footfall_events_accepted_total")],
        }
        print(json.dumps(result, indent=1))
    finally:
        for proc in (footfall, noop):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
