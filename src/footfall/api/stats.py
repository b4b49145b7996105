"""Plausible's Stats API: POST /api/v2/query and the v1 GET endpoints as thin wrappers over it.

Handlers authorise, parse once into a Query (or answer Plausible's 400), and run the query in a
worker thread so ingestion on the event loop keeps flowing while a report scans the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from footfall.api.auth import Authorizer
from footfall.api.v1 import V1Error, breakdown_key, v1_to_v2
from footfall.http import BodyTooLarge, Request, Response, json_response
from footfall.model import Site
from footfall.query import parse, run, shape
from footfall.query.compile import compile_realtime
from footfall.query.dialect import for_store
from footfall.query.model import Query, QueryError
from footfall.query.schema import query_schema
from footfall.storage.base import EventStore

MAX_BODY = 256 * 1024


def _error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


class StatsApi:
    def __init__(self, store: EventStore, authorizer: Authorizer, clock: Callable[[], int]) -> None:
        self.store = store
        self.authorizer = authorizer
        self.clock = clock
        self.range_sizes = run.RangeSizes(clock)

    def _parse(self, params: Any, site: Site) -> Query:
        return parse.parse(
            params, site, self.clock(), stats_start=lambda: run.first_event_date(self.store, site.id, site.timezone)
        )

    def _query(self, params: Any, site: Site) -> run.Result:
        return run.run(self.store, self._parse(params, site), sizes=self.range_sizes)

    async def query_v2(self, request: Request) -> Response:
        try:
            body = await request.read_body(MAX_BODY)
        except BodyTooLarge:
            return _error("Request body too large.", 413)
        try:
            params = json.loads(body) if body else {}
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder's stack
            return _error("Invalid JSON body.")
        site_ref = params.get("site_id") if isinstance(params, dict) else None
        site = self.authorizer.authorize(request, site_ref)
        if isinstance(site, Response):
            return site
        try:
            result = await asyncio.to_thread(self._query, params, site)
        except QueryError as exc:
            return _error(exc.message)
        return json_response(shape.to_json(result))

    async def _v1(self, request: Request, kind: str) -> Response:
        args = request.query_params()
        site = self.authorizer.authorize(request, args.get("site_id"))
        if isinstance(site, Response):
            return site
        try:
            params = v1_to_v2(kind, args, site, self.clock())
            result = await asyncio.to_thread(self._query, params, site)
        except (QueryError, V1Error) as exc:
            return _error(exc.message)
        return json_response(_v1_body(kind, args, result))

    async def aggregate(self, request: Request) -> Response:
        return await self._v1(request, "aggregate")

    async def timeseries(self, request: Request) -> Response:
        return await self._v1(request, "timeseries")

    async def breakdown(self, request: Request) -> Response:
        return await self._v1(request, "breakdown")

    async def realtime_visitors(self, request: Request) -> Response:
        site = self.authorizer.authorize(request, request.query_params().get("site_id"))
        if isinstance(site, Response):
            return site
        since = dt.datetime.fromtimestamp(self.clock() / 1000, dt.UTC) - dt.timedelta(minutes=5)
        sql, params = compile_realtime(site.id, since, for_store(self.store.dialect))
        _cols, rows = await asyncio.to_thread(self.store.query, sql, params)
        return json_response(int(rows[0][0] or 0) if rows else 0)

    async def schema(self, request: Request) -> Response:
        return json_response(query_schema())


def _v1_body(kind: str, args: dict[str, str], result: run.Result) -> dict[str, Any]:
    query = result.query
    if kind == "aggregate":
        row = result.rows[0] if result.rows else None
        out: dict[str, Any] = {}
        for m in query.metrics:
            item: dict[str, Any] = {"value": row.metrics[m] if row else 0}
            if row is not None and row.comparison is not None and row.change is not None:
                item["comparison_value"] = row.comparison.metrics.get(m)
                item["change"] = row.change[m]
            out[m] = item
        return {"results": out}
    if kind == "timeseries":
        rows = run.fill_time_buckets(result)
        series = []
        for row in rows:
            point: dict[str, Any] = {"date": row.dimensions[0]}
            point.update({m: row.metrics[m] for m in query.metrics})
            series.append(point)
        return {"results": series}
    key = breakdown_key(query.dimensions[0])
    return {"results": [{key: row.dimensions[0], **{m: row.metrics[m] for m in query.metrics}} for row in result.rows]}
