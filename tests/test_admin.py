"""The local admin endpoints `footfall events export` uses while the server owns the store."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from footfall.app import Footfall
from footfall.model import EVENT_COLUMNS, Event
from footfall.storage.process import StoreError

from conftest import CHROME_UA, T0

SITE_ID = "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"  # example.com in the app fixture


def _auth(app: Footfall) -> dict[str, str]:
    return {"authorization": f"Bearer {app.admin_token}"}


def _store_events(app: Footfall, n: int) -> None:
    rows = [
        Event(site_id=SITE_ID, timestamp=T0 + i, name="pageview", protocol="plausible", pathname=f"/p/{i:05d}").row()
        for i in range(n)
    ]
    app.store.write(rows, [])


async def test_export_needs_the_servers_token(client: httpx.AsyncClient) -> None:
    r = await client.post("/-/admin/export?site=example.com")
    assert r.status_code == 401
    r = await client.post("/-/admin/export?site=example.com", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_export_refuses_unknown_sites_formats_and_dates(app: Footfall, client: httpx.AsyncClient) -> None:
    assert (await client.post("/-/admin/export?site=nope.org", headers=_auth(app))).status_code == 404
    r = await client.post("/-/admin/export?site=example.com&format=xml", headers=_auth(app))
    assert r.status_code == 400 and "format" in r.json()["error"]
    r = await client.post("/-/admin/export?site=example.com&since=yesterday", headers=_auth(app))
    assert r.status_code == 400 and "bad date" in r.json()["error"]


async def test_a_large_jsonl_export_streams_in_chunks(app: Footfall) -> None:
    """Read at the ASGI level: the test client would join the chunks before we see them."""
    _store_events(app, 4000)  # ~3 MB of JSON lines: more than one 1 MB chunk
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/-/admin/export",
        "query_string": b"site=example.com",
        "headers": [(b"authorization", f"Bearer {app.admin_token}".encode())],
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)
    start, *bodies = messages
    assert start["status"] == 200
    assert dict(start["headers"])[b"content-type"] == b"application/x-ndjson"
    assert b"content-length" not in dict(start["headers"])  # sent chunked, as it is produced
    assert len([m for m in bodies if m["body"]]) >= 2 and bodies[-1] == {
        "type": "http.response.body",
        "body": b"",
        "more_body": False,
    }
    lines = b"".join(m["body"] for m in bodies).decode().splitlines()
    assert [json.loads(line)["pathname"] for line in lines] == [f"/p/{i:05d}" for i in range(4000)]
    assert tuple(json.loads(lines[0])) == EVENT_COLUMNS


async def test_csv_and_parquet_exports_are_whole(app: Footfall, client: httpx.AsyncClient) -> None:
    _store_events(app, 1200)
    r = await client.post("/-/admin/export?site=example.com&format=parquet", headers=_auth(app))
    table = pq.read_table(io.BytesIO(r.content))
    assert table.num_rows == 1200 and tuple(table.column_names) == EVENT_COLUMNS
    r = await client.post("/-/admin/export?site=example.com&format=csv", headers=_auth(app))
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1200 and rows[-1]["pathname"] == "/p/01199" and rows[0]["props"] == "{}"


async def test_an_empty_export_still_has_its_header(app: Footfall, client: httpx.AsyncClient) -> None:
    r = await client.post("/-/admin/export?site=other.org&format=csv", headers=_auth(app))
    assert r.status_code == 200 and r.text.splitlines() == [",".join(f'"{c}"' for c in EVENT_COLUMNS)]
    r = await client.post("/-/admin/export?site=other.org&format=parquet", headers=_auth(app))
    assert pq.read_table(io.BytesIO(r.content)).num_rows == 0


async def test_the_export_includes_events_still_in_the_buffer(app: Footfall, client: httpx.AsyncClient) -> None:
    body = {"n": "pageview", "u": "https://example.com/just-now", "d": "example.com"}
    r = await client.post("/api/event", content=json.dumps(body), headers={"user-agent": CHROME_UA})
    assert r.status_code == 202
    r = await client.post("/-/admin/export?site=example.com", headers=_auth(app))
    assert [json.loads(line)["pathname"] for line in r.text.splitlines()] == ["/just-now"]


async def test_a_failure_midway_ends_the_body_early_instead_of_faking_success(
    app: Footfall, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_events(app, 10)
    real = app.store.query_batches

    def failing(sql: str, params: Any = (), batch_rows: int = 50_000) -> pa.RecordBatchReader:
        reader = real(sql, params, 5)

        def batches() -> Iterator[pa.RecordBatch]:
            yield next(iter(reader))
            raise StoreError("the disk went away")

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    # The failure is injected; the store, the endpoint and the stream are the real ones.
    monkeypatch.setattr(app.store, "query_batches", failing)
    with pytest.raises(StoreError, match="disk went away"):
        await client.post("/-/admin/export?site=example.com", headers=_auth(app))
