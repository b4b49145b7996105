"""Local admin endpoints the CLI uses while the server owns the event store.

DuckDB lets one process hold the file for writing; while `footfall serve` runs, `footfall events
export` asks the server instead. The token is written to <data-dir>/server.json (mode 0600) at
start, so only a user who can read the data directory can call these.
"""

from __future__ import annotations

import asyncio
import hmac
import io
from typing import TYPE_CHECKING

from footfall.export import FORMATS, export_events, parse_instant
from footfall.http import Handler, Request, Response, json_response

if TYPE_CHECKING:
    from footfall.app import Footfall

_CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


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

        def run() -> bytes:
            app.buffer.flush()
            out = io.BytesIO()
            export_events(app.store, site.id, fmt, out, since_ms=since, until_ms=until)
            return out.getvalue()

        # Off the event loop: waiting for the flush and reading every event would stall ingestion.
        return Response(200, await asyncio.to_thread(run), _CONTENT_TYPES[fmt])

    return handler
