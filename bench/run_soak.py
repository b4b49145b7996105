"""Soak: every dialect's wrk load against one `footfall serve`, then what was stored is checked.

    python bench/run_soak.py [--seconds 6]

Runs the Plausible, Umami (send and 1000-event batches) and Medama scripts, then bench/mixed.lua
(Plausible engagement, Medama unload and Umami identify after the events they follow up), one
after another on 127.0.0.1, stops the server with SIGTERM (which flushes the buffer), and checks:
- every acknowledged event is stored: wrk counts the answers that arrived within its duration,
  so stored events lie between that and that plus what was in flight at the end;
- the server logged no error (a failed write is retried and logged, never answered);
- `footfall events export` gives every stored event, in time order.
Prints one JSON object and exits 1 when a check fails. Two such runs found a write that failed on
a batch of sparse props and an export that ran DuckDB out of memory (bench/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from procs import free_port, wait_healthy
from run_ingest import wrk

ROOT = Path(__file__).resolve().parent.parent
WEBSITE = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"
# (script, path, connections, events per request)
LOADS = (
    ("plausible.lua", "/api/event", 64, 1),
    ("umami_send.lua", "/api/send", 64, 1),
    ("umami_batch.lua", "/api/batch", 4, 1000),
    ("medama_hit.lua", "/api/event/hit", 64, 1),
    ("mixed.lua", "", 64, 1),  # engagement, unload and identify after what they follow up
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=6, help="per script")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="footfall-soak-"))
    env = {**os.environ, "FOOTFALL_DATA_DIR": str(data)}
    footfall = [sys.executable, "-m", "footfall"]
    subprocess.run(
        [*footfall, "sites", "add", "example.com", "--id", WEBSITE], env=env, check=True, capture_output=True
    )
    port = free_port()
    log = (data / "server.log").open("wb")
    server = subprocess.Popen([*footfall, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    acknowledged = in_flight = 0
    loads = {}
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/health", server)
        for script, path, connections, per_request in LOADS:
            result = wrk(f"http://127.0.0.1:{port}{path}", ROOT / "bench" / script, args.seconds, connections)
            ok = int(result["requests"] - result["errors_status"])
            acknowledged += ok * per_request
            in_flight += connections * per_request
            loads[script] = {"requests": ok, "non_2xx": int(result["errors_status"]), "rps": result["rps"]}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
        log.close()
    exported = subprocess.run(
        [*footfall, "events", "export", "--site", "example.com"], env=env, capture_output=True, check=True
    ).stdout.splitlines()
    stamps = [json.loads(line)["timestamp"] for line in exported]
    kinds = Counter(f"{e['protocol']}:{e['name']}" for e in map(json.loads, exported))
    errors = [
        line
        for line in (data / "server.log").read_text(errors="replace").splitlines()
        if any(word in line.lower() for word in ("error", "traceback", "failed", "exception"))
    ]
    checks = {
        "all_acknowledged_stored": acknowledged <= len(stamps) <= acknowledged + in_flight,
        "no_non_2xx": all(v["non_2xx"] == 0 for v in loads.values()),
        "no_errors_logged": not errors,
        "export_in_time_order": stamps == sorted(stamps),
    }
    print(
        json.dumps(
            {
                "data_dir": str(data),
                "loads": loads,
                "acknowledged_events": acknowledged,
                "stored_events": len(stamps),
                "in_flight_bound": in_flight,
                "stored_by_kind": dict(kinds),
                "errors_logged": errors[:10],
                "checks": checks,
            },
            indent=1,
        )
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
