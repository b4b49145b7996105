"""The Stats API on a real `footfall serve`: a key made by the CLI while the server runs, events
from the Events API, and Plausible's v2 and v1 answers over HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from support import FootfallServer

pytestmark = pytest.mark.e2e

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def call(server: FootfallServer, path: str, body: dict[str, Any] | None, key: str) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.url + path, data=data, headers={"authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_stats_api_on_a_running_server(tmp_path: Path) -> None:
    server = FootfallServer(tmp_path / "data")
    server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir))
    server.start()
    try:
        for i, path in enumerate(["/", "/a", "/", "/b"]):
            body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}).encode()
            headers = {"content-type": "text/plain", "user-agent": UA, "x-forwarded-for": f"8.8.4.{i}"}
            req = urllib.request.Request(server.url + "/api/event", data=body, headers=headers)
            with urllib.request.urlopen(req, timeout=5) as r:
                assert r.status == 202
        key = server.cli("keys", "create", "--site", "example.com", "--data-dir", str(server.data_dir)).stdout.strip()
        query = {"site_id": "example.com", "metrics": ["visitors", "pageviews"], "date_range": "day"}
        deadline = time.monotonic() + 10
        while True:  # the write buffer flushes every 200 ms here
            status, data = call(server, "/api/v2/query", query, key)
            if status != 200 or data["results"][0]["metrics"] == [4, 4] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and data["results"] == [{"metrics": [4, 4], "dimensions": []}]
        status, data = call(
            server, "/api/v2/query", {**query, "metrics": ["pageviews"], "dimensions": ["event:page"]}, key
        )
        assert data["results"] == [
            {"metrics": [2], "dimensions": ["/"]},
            {"metrics": [1], "dimensions": ["/a"]},
            {"metrics": [1], "dimensions": ["/b"]},
        ]
        status, data = call(server, "/api/v1/stats/aggregate?site_id=example.com&period=day", None, key)
        assert (status, data) == (200, {"results": {"visitors": {"value": 4}}})
        status, data = call(server, "/api/v2/query", query, "wrong")
        assert status == 401
    finally:
        server.stop()
