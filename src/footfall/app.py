"""ASGI assembly and the route table: the one place that lists every URL."""

from __future__ import annotations

import gc
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from footfall.api import admin, ops
from footfall.api.auth import ApiKeys, Authorizer
from footfall.api.stats import StatsApi
from footfall.dashboard.views import Dashboard
from footfall.enrich.geo import open_geo
from footfall.enrich.referrers import SpamList
from footfall.enrich.timezones import TimezoneCountries
from footfall.http import Handler, Receive, Request, Response, Scope, Send, json_response
from footfall.ingest.beacons import MemoryBeaconIndex
from footfall.ingest.buffer import WriteBuffer
from footfall.ingest.context import Context, IpFilter, Metrics, SiteDirectory
from footfall.ingest.identity import SaltKeeper
from footfall.ingest.retention import Retention
from footfall.ingest.service import Ingestor
from footfall.ingest.sessions import MemorySessionStore
from footfall.model import Site
from footfall.protocols.medama import MedamaEndpoint
from footfall.protocols.plausible import PlausibleEndpoint
from footfall.protocols.umami import UmamiEndpoint
from footfall.settings import Settings
from footfall.storage.backends import open_store
from footfall.storage.base import EventStore
from footfall.storage.meta import MetaStore

log = logging.getLogger("footfall")

Clock = Callable[[], int]


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Footfall:
    """The application: state, lifespan, and routing. Build it with `create_app`."""

    def __init__(self, settings: Settings, store: EventStore, meta: MetaStore, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.meta = meta
        self.clock = clock
        self.metrics = Metrics()
        self.geo = open_geo(settings.data_path, settings.geo_db)
        spam_files = [Path(settings.spam_list)] if settings.spam_list else []
        self.ctx = Context(
            clock=clock,
            sites=SiteDirectory(meta, clock),
            salts=SaltKeeper(meta, clock),
            sessions=MemorySessionStore(settings.session_timeout_min * 60_000),
            geo=self.geo,
            spam=SpamList.default(extra_files=spam_files),
            ignore_ips=IpFilter(settings.ignore_ips),
            metrics=self.metrics,
        )
        self.buffer = WriteBuffer(
            store,
            self.metrics,
            flush_rows=settings.flush_rows,
            flush_interval_ms=settings.flush_interval_ms,
            max_rows=settings.buffer_max_rows,
            retention=Retention(settings.retention_days, clock),
        )
        self.ingestor = Ingestor(self.ctx, self.buffer)
        self.admin_token = secrets.token_urlsafe(32)
        self.started = False
        self.routes: dict[tuple[str, str], Handler] = {}
        self._build_routes()

    def _build_routes(self) -> None:
        plausible = PlausibleEndpoint(self.ingestor, self.clock, self.settings.client_ip_header)
        self.add_route(("POST", "OPTIONS"), "/api/event", plausible.event)
        umami_secret = self.meta.secret("umami_cache")
        umami = UmamiEndpoint(self.ingestor, self.clock, umami_secret, self.settings.client_ip_header)
        self.add_route(("POST", "OPTIONS"), "/api/send", umami.send)
        self.add_route(("POST", "OPTIONS"), "/api/batch", umami.batch)
        medama = MedamaEndpoint(
            self.ingestor,
            self.clock,
            MemoryBeaconIndex(ttl_ms=self.settings.session_timeout_min * 60_000),
            TimezoneCountries.system(),
            self.settings.client_ip_header,
        )
        for prefix in ("/api", ""):  # the tracker's API root defaults to /api/ but is configurable
            self.add_route(("POST", "OPTIONS"), f"{prefix}/event/hit", medama.hit)
            self.add_route(("GET", "OPTIONS"), f"{prefix}/event/ping", medama.ping)
        self.add_route(("GET", "HEAD"), "/api/health", ops.health(self))
        self.add_route(("GET", "HEAD"), "/api/system/health/ready", ops.health(self))
        self.add_route(("GET",), "/api/error", ops.empty_ok)
        self.add_route(("GET",), "/metrics", ops.metrics(self))
        # Created before the dashboard so it can add its own credential checkers to the authorizer.
        self.authorizer = Authorizer(ApiKeys(self.meta), self._site_by_ref)
        stats = StatsApi(self.store, self.authorizer, self.clock)
        self.add_route(("POST",), "/api/v2/query", stats.query_v2)
        self.add_route(("GET",), "/api/v1/stats/aggregate", stats.aggregate)
        self.add_route(("GET",), "/api/v1/stats/timeseries", stats.timeseries)
        self.add_route(("GET",), "/api/v1/stats/breakdown", stats.breakdown)
        self.add_route(("GET",), "/api/v1/stats/realtime/visitors", stats.realtime_visitors)
        self.add_route(("GET",), "/api/docs/query/schema.json", stats.schema)
        self.dashboard = Dashboard(self)
        for methods, path, handler in self.dashboard.routes():
            self.add_route(methods, path, handler)
        self.add_route(("POST",), "/-/admin/export", admin.export(self))
        self.add_route(("POST",), "/-/admin/flush", admin.flush(self))

    def _site_by_ref(self, ref: str) -> Site | None:
        """The Stats API's site_id is the domain (or, for Footfall, the site's UUID)."""
        return self.ctx.sites.by_domain_name(ref) or self.ctx.sites.by_site_id(ref)

    def add_route(self, methods: tuple[str, ...], path: str, handler: Handler) -> None:
        for method in methods:
            self.routes[(method, path)] = handler

    # -- lifespan --------------------------------------------------------------------------

    def startup(self) -> None:
        if self.started:
            return
        self.store.migrate()
        self.ctx.salts.salts()  # create today's salt now, not on the first hit
        self.buffer.start()
        self.started = True

    def shutdown(self) -> None:
        if not self.started:
            return
        self.buffer.stop()
        self.started = False

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            response = self._no_route(request)
        else:
            try:
                response = await handler(request)
            except Exception:
                # A bug must never leak a stack trace to a tracker; log it, answer plainly.
                log.exception("unhandled error on %s %s", request.method, request.path)
                response = json_response({"error": "Internal error"}, 500)
        await response(send)

    def _no_route(self, request: Request) -> Response:
        if any(path == request.path for (_m, path) in self.routes):
            return Response(405, b"Method Not Allowed", "text/plain; charset=utf-8")
        return Response(404, b"Not Found", "text/plain; charset=utf-8")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                # What exists now (modules, parser tables, the geo reader, caches) lives as long as
                # the server: frozen, it is no longer rescanned by every full garbage collection
                # (~30 ms holding the GIL for ~100k objects, a latency spike at any load).
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(
    settings: Settings,
    *,
    clock: Clock = wall_clock_ms,
    store: EventStore | None = None,
    meta: MetaStore | None = None,
) -> Footfall:
    settings.data_path.mkdir(parents=True, exist_ok=True)
    return Footfall(
        settings,
        store if store is not None else open_store(settings),
        meta if meta is not None else MetaStore(settings.data_path / "meta.sqlite3"),
        clock,
    )
