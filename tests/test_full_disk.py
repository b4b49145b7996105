"""When the store cannot write (a full disk, a file-size limit), nothing acknowledged is lost.

Real DuckDB in the real store process, as `footfall serve` runs it; the store process gets a
file-size limit (RLIMIT_FSIZE, set from outside with prlimit), so its writes fail the way they do
on a full disk: DuckDB refuses the commit, the buffer keeps the rows and retries, requests past the
buffer's bound get 503 with retry-after, and once the limit is lifted every acknowledged event is
stored.
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from footfall.app import Footfall, create_app
from footfall.settings import Settings
from footfall.storage.backends import open_store_process
from footfall.storage.process import ProcessStore

from conftest import CHROME_UA, T0

pytestmark = pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="prlimit is Linux-only")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Footfall]:
    settings = Settings(data_dir=str(tmp_path / "data"), flush_interval_ms=50, buffer_max_rows=5)
    application = create_app(settings, clock=lambda: T0, store=open_store_process(settings))
    application.meta.add_site("example.com", now_ms=T0)
    application.startup()
    try:
        yield application
    finally:
        application.shutdown()
        application.store.close()


def _count(application: Footfall) -> int:
    rows = application.store.query("SELECT count(*) FROM events")[1]
    return int(rows[0][0])


async def _send(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {"n": "pageview", "u": f"https://example.com/page-{n}", "d": "example.com"}
    headers = {"content-type": "text/plain", "user-agent": CHROME_UA, "x-forwarded-for": f"203.0.113.{n}"}
    return await client.post("/api/event", content=json.dumps(body), headers=headers)


async def test_a_full_disk_keeps_acknowledged_events_until_space_returns(
    served: Footfall, caplog: pytest.LogCaptureFixture
) -> None:
    store = served.store
    assert isinstance(store, ProcessStore)
    pid = store.process.pid
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await _send(client, 1)).status_code == 202
        assert served.buffer.flush(timeout=10)
        assert _count(served) == 1

        # From here the store process cannot grow any file: every commit fails.
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        try:
            with caplog.at_level(logging.INFO, logger="footfall.buffer"):
                for n in range(2, 7):
                    assert (await _send(client, n)).status_code == 202
                assert not served.buffer.flush(timeout=1)  # not stored, and it says so
                full = await _send(client, 7)
            assert full.status_code == 503  # five events wait: the buffer's bound
            assert full.headers["retry-after"] == "1"
            assert served.ctx.metrics.flush_errors >= 1
            assert "File too large" in caplog.text
            assert _count(served) == 1  # reads still work; nothing half-written
            health = await client.get("/api/health")
            assert health.status_code == 503 and health.json()["writer"] == "failing"
            metrics = (await client.get("/metrics")).text
            assert "footfall_flush_errors_total 0" not in metrics
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

        assert served.buffer.flush(timeout=10)
        assert store.process.pid == pid  # the same child: a refused write is not a crash
        assert _count(served) == 6  # every acknowledged event, none of the refused one
        paths = served.store.query("SELECT pathname FROM events ORDER BY pathname")[1]
        assert [p for (p,) in paths] == ["/page-1", "/page-2", "/page-3", "/page-4", "/page-5", "/page-6"]
        assert (await _send(client, 8)).status_code == 202
        health = await client.get("/api/health")
        assert health.status_code == 200 and health.json()["writer"] == "ok"
        assert "stored 5 events after" in caplog.text


_META_SCRIPT = """
import os, resource, signal, sqlite3, sys
from pathlib import Path
from footfall.storage.meta import MetaStore

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, as on a full disk, not a kill
data = Path(sys.argv[1])
meta = MetaStore(data / "meta.sqlite3")
meta.add_site("before.example", now_ms=0)
size = max(p.stat().st_size for p in data.iterdir())
resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
for attempt in range(2):
    try:
        meta.add_site(f"full{attempt}.example", now_ms=0)
    except sqlite3.OperationalError as exc:
        print("refused:", exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
meta.add_site("after.example", now_ms=0)
print("sites:", ",".join(sorted(s.domain for s in meta.list_sites())))
"""


def test_the_settings_database_refuses_cleanly_on_a_full_disk_and_goes_on(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _META_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # Each refusal says why (not "cannot rollback"), and the connection is usable afterwards.
    assert lines[:2] == ["refused: disk I/O error", "refused: disk I/O error"]
    assert lines[2] == "sites: after.example,before.example"
