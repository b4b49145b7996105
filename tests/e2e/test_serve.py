"""`footfall serve` as a real process: start-up output, export while running, SIGTERM and Ctrl-C flush."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import process_gone
from support import FootfallServer

pytestmark = pytest.mark.e2e

UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)


def send(server: FootfallServer, path: str) -> int:
    body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}).encode()
    req = urllib.request.Request(
        server.url + "/api/event", data=body, headers={"content-type": "text/plain", "user-agent": UA}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_sigterm_stores_every_acknowledged_event(tmp_path: Path) -> None:
    # A one-minute flush interval: only the shutdown flush can have stored these events.
    server = FootfallServer(tmp_path / "data", FOOTFALL_FLUSH_INTERVAL_MS="60000")
    server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir))
    server.start()
    try:
        assert all(send(server, f"/p{i}") == 202 for i in range(50))
    finally:
        output = server.stop()
    assert server.proc is not None and server.proc.returncode == 0, output
    assert not (server.data_dir / "server.json").exists()
    events = server.export("example.com")
    assert sorted(e["pathname"] for e in events) == sorted(f"/p{i}" for i in range(50))


def test_ctrl_c_to_the_process_group_stores_every_acknowledged_event(tmp_path: Path) -> None:
    """A terminal's Ctrl-C signals the server and its store process alike; the store must outlive
    the server's shutdown flush, then leave with it."""
    server = FootfallServer(tmp_path / "data", FOOTFALL_FLUSH_INTERVAL_MS="60000")
    server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir))
    server.start(own_process_group=True)
    assert server.proc is not None
    pid = server.proc.pid
    try:
        (store_pid,) = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        assert all(send(server, f"/c{i}") == 202 for i in range(30))
        os.killpg(os.getpgid(pid), signal.SIGINT)
        out, _ = server.proc.communicate(timeout=30)
    except BaseException:
        server.stop()
        raise
    assert server.proc.returncode == 0, out
    assert process_gone(store_pid)
    events = server.export("example.com")
    assert sorted(e["pathname"] for e in events) == sorted(f"/c{i}" for i in range(30))


def test_a_stalled_request_does_not_keep_sigterm_from_flushing(tmp_path: Path) -> None:
    """A client that never finishes its request must not hold the shutdown (and its flush) hostage
    until a supervisor's SIGKILL loses the buffered events."""
    server = FootfallServer(tmp_path / "data", FOOTFALL_FLUSH_INTERVAL_MS="60000")
    server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir))
    server.start()
    assert server.proc is not None
    stalled = socket.create_connection(("127.0.0.1", server.port))
    try:
        assert all(send(server, f"/s{i}") == 202 for i in range(10))
        stalled.sendall(b'POST /api/event HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"n":')
        time.sleep(0.3)  # the request is in the app, waiting for the rest of its body
        started = time.monotonic()
        os.kill(server.proc.pid, signal.SIGTERM)
        out, _ = server.proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        stalled.close()
        server.stop()
    assert server.proc.returncode == 0, out
    assert took < 20, f"shutdown took {took:.1f} s"
    events = server.export("example.com")
    assert sorted(e["pathname"] for e in events) == sorted(f"/s{i}" for i in range(10))


def test_start_up_prints_the_dashboard_and_snippet_and_export_works_while_running(tmp_path: Path) -> None:
    server = FootfallServer(tmp_path / "data")
    site_id = server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir)).stdout.strip()
    server.start()
    try:
        assert send(server, "/live") == 202
        events = server.export("example.com")  # the server owns the DuckDB file; the CLI asks it
        assert [e["pathname"] for e in events] == ["/live"]
        # A site added while the server runs is picked up without a restart.
        server.cli("sites", "add", "late.example", "--data-dir", str(server.data_dir))
    finally:
        output = server.stop()
    assert f"Dashboard and API: {server.url}/" in output
    assert site_id in output
    assert 'data-api="' in output and 'data-domain="example.com"' in output
