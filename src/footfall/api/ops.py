"""Operational endpoints: health and Prometheus metrics."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from footfall.http import Handler, Request, Response, json_response

if TYPE_CHECKING:
    from footfall.app import Footfall


async def empty_ok(request: Request) -> Response:
    return Response(200)


def health(app: Footfall) -> Handler:
    async def handler(request: Request) -> Response:
        checks = {}
        try:
            # Off the event loop: the store may be busy (another process's lanes all in use).
            await asyncio.to_thread(app.store.query, "SELECT 1")
            checks["storage"] = "ok"
        except Exception:
            checks["storage"] = "error"
        try:
            app.meta.data_version()
            checks["metadata"] = "ok"
        except Exception:
            checks["metadata"] = "error"
        # A store that refuses writes (a full disk) still answers reads: the writer tells.
        checks["writer"] = "stopped" if not app.started else "failing" if app.buffer.failing else "ok"
        healthy = all(v == "ok" for v in checks.values())
        return json_response(checks, 200 if healthy else 503)

    return handler


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics(app: Footfall) -> Handler:
    async def handler(request: Request) -> Response:
        m = app.metrics
        lines = [
            "# HELP footfall_events_accepted_total Events accepted for storage, by site.",
            "# TYPE footfall_events_accepted_total counter",
        ]
        lines += [
            f'footfall_events_accepted_total{{site="{_label(s)}"}} {n}' for s, n in sorted(m.accepted_by_site.items())
        ]
        lines += [
            "# HELP footfall_events_dropped_total Events not stored, by site and reason.",
            "# TYPE footfall_events_dropped_total counter",
        ]
        lines += [
            f'footfall_events_dropped_total{{site="{_label(s)}",reason="{r}"}} {n}'
            for (s, r), n in sorted(m.dropped_by_reason.items())
        ]
        lines += [
            "# HELP footfall_events_flushed_total Events handed to storage.",
            "# TYPE footfall_events_flushed_total counter",
            f"footfall_events_flushed_total {m.flushed_rows}",
            "# HELP footfall_flush_errors_total Failed flushes (rows kept and retried).",
            "# TYPE footfall_flush_errors_total counter",
            f"footfall_flush_errors_total {m.flush_errors}",
            "# HELP footfall_rows_unstorable_total Rows (events, visit states) the store left out: a value no"
            " column can hold. Anything above 0 is a bug to report.",
            "# TYPE footfall_rows_unstorable_total counter",
            f"footfall_rows_unstorable_total {m.unstorable_rows}",
            "# HELP footfall_rows_purged_total Events and visits deleted past the retention period.",
            "# TYPE footfall_rows_purged_total counter",
            f"footfall_rows_purged_total {m.purged_rows}",
            "# HELP footfall_buffered_events Events waiting to be written.",
            "# TYPE footfall_buffered_events gauge",
            f"footfall_buffered_events {len(app.buffer)}",
            "# HELP footfall_live_sessions Visits that may still receive events.",
            "# TYPE footfall_live_sessions gauge",
            f"footfall_live_sessions {len(app.ctx.sessions)}",
        ]
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8")

    return handler
