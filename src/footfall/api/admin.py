"""Local admin endpoints the CLI uses while the server owns the event store.

DuckDB lets one process hold the file for writing; while `footfall serve` runs, `footfall events
export` asks the server instead. The token is written to <data-dir>/server.json (mode 0600) at
start, so only a user who can read the data directory can call these.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from footfall.export import FORMATS, export_events, parse_instant
from footfall.http import Handler, Request, Response, StreamingResponse, json_response

if TYPE_CHECKING:
    from footfall.app import Footfall

log = logging.getLogger("footfall.admin")

_CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class _Sink(io.RawIOBase):
    """A write-only file the exporter writes to; it hands ~1 MB chunks to `deliver`."""

    def __init__(self, deliver: Callable[[bytes], None]) -> None:
        super().__init__()
        self._deliver = deliver
        self._pending: list[bytes] = []
        self._size = 0
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._pending.append(chunk)
        self._size += len(chunk)
        self._position += len(chunk)
        if self._size >= _CHUNK_BYTES:
            self.flush()
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        if self._pending:
            chunk, self._pending, self._size = b"".join(self._pending), [], 0
            self._deliver(chunk)


_CHUNK_BYTES = 1 << 20
_END = object()


async def _produced_in_thread(produce: Callable[[_Sink], object]) -> AsyncIterator[bytes]:
    """Run `produce(sink)` in a worker thread and yield what it writes, as it writes it.

    Memory stays at a few chunks whatever the size: the worker waits while the client is slow.
    If the client goes away, the worker's next write fails and it stops.
    """
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[object] = asyncio.Queue(maxsize=4)
    gone = threading.Event()

    def deliver(item: object) -> None:
        if gone.is_set():
            raise ConnectionAbortedError("the client went away")
        asyncio.run_coroutine_threadsafe(chunks.put(item), loop).result()

    def work() -> None:
        try:
            sink = _Sink(deliver)
            produce(sink)
            sink.flush()
            deliver(_END)
        except BaseException as exc:
            if not gone.is_set():
                deliver(exc)

    worker = loop.run_in_executor(None, work)
    try:
        while True:
            item = await chunks.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                # Headers are sent: the connection closes without the final chunk, so the
                # client sees a truncated body, not a complete-looking one.
                log.error("export failed midway", exc_info=item)
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        gone.set()
        while not chunks.empty():  # unblock a worker waiting to put
            chunks.get_nowait()
        await worker


def _authorized(app: Footfall, request: Request) -> bool:
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), app.admin_token.encode())


def flush(app: Footfall) -> Handler:
    async def handler(request: Request) -> Response:
        if not _authorized(app, request):
            return json_response({"error": "unauthorized"}, 401)
        ok = await asyncio.to_thread(app.buffer.flush)
        return json_response({"flushed": ok}, 200 if ok else 503)

    return handler


def export(app: Footfall) -> Handler:
    async def handler(request: Request) -> Response:
        if not _authorized(app, request):
            return json_response({"error": "unauthorized"}, 401)
        params = request.query_params()
        site = app.meta.find_site(params.get("site", ""))
        if site is None:
            return json_response({"error": f"no site {params.get('site', '')!r}"}, 404)
        fmt = params.get("format", "jsonl")
        if fmt not in FORMATS:
            return json_response({"error": f"format must be one of {', '.join(FORMATS)}"}, 400)
        try:
            since = parse_instant(params["since"]) if params.get("since") else None
            until = parse_instant(params["until"]) if params.get("until") else None
        except ValueError as exc:
            return json_response({"error": f"bad date: {exc}"}, 400)

        def produce(sink: _Sink) -> None:
            app.buffer.flush()  # what was acknowledged before the export is in it
            export_events(app.store, site.id, fmt, sink, since_ms=since, until_ms=until)

        return StreamingResponse(200, _produced_in_thread(produce), _CONTENT_TYPES[fmt])

    return handler
