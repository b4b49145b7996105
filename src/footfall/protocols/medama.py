"""Medama's tracker protocol, wire-exact (reference/medama.md A.1, A.2): POST /event/hit and
GET /event/ping, each also under /api/.

The body becomes one Hit (medama_wire), runs through Medama's pipeline (ingest/medama), and is
answered as Medama answers: 204 with no body for success and for every policy drop, 404
`website not found` for an unregistered hostname, 400 with Medama's error body for bad input.
Footfall adds `x-footfall-dropped: <reason>` so a drop is visible. Where upstream has a bug
(text/plain refused at HEAD) the intended behaviour is implemented.

The ping is Medama's cache trick for uniqueness without identifiers: the browser's HTTP cache,
driven by Last-Modified / If-Modified-Since, remembers whether this browser was seen today.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable

from footfall.enrich.timezones import TimezoneCountries
from footfall.http import BodyTooLarge, Request, Response, json_response
from footfall.ingest.beacons import BeaconIndex
from footfall.ingest.medama import MedamaSteps
from footfall.ingest.service import Ingestor, Overloaded
from footfall.model import PAGEVIEW, DropReason
from footfall.protocols.common import client_ip
from footfall.protocols.medama_wire import CUSTOM_EVENT, Invalid, is_ip_literal, parse_hit

__all__ = ["MedamaEndpoint", "http_date", "parse_http_date"]

MAX_BODY = 64 * 1024
MS_PER_DAY = 86_400_000

# rs/cors' defaults, which Medama applies to /api/event*: any origin, simple methods.
CORS = (("access-control-allow-origin", "*"), ("vary", "Origin"))
_ALLOWED_METHODS = frozenset({"GET", "POST", "HEAD"})

# Medama reads the client IP from these headers, first valid address wins (A.1.2).
_IP_HEADERS = ("x-forwarded-for", "cf-connecting-ip", "x-real-ip", "x-client-ip", "fastly-client-ip")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Go's time.Parse matches day and month names in any case; the rest is literal and ASCII digits.
_HTTP_DATE = re.compile(
    r"(?i:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (?i:(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)) "
    r"([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT\Z"
)


def error(status: int, message: str) -> Response:
    return json_response({"error": {"code": status, "message": message}}, status, CORS)


def http_date(ms: int) -> str:
    """Go's http.TimeFormat ("Mon, 02 Jan 2006 15:04:05 GMT") for UTC milliseconds."""
    year, month, day, hour, minute, second, weekday, _, _ = time.gmtime(ms // 1000)
    return f"{_DAYS[weekday]}, {day:02d} {_MONTHS[month - 1]} {year:04d} {hour:02d}:{minute:02d}:{second:02d} GMT"


def parse_http_date(value: str) -> int | None:
    """UTC milliseconds of an http.TimeFormat date; None when it is not exactly that format."""
    m = _HTTP_DATE.match(value)
    if m is None:
        return None
    day, month, year, hour, minute, second = m.groups()
    month_no = _MONTHS.index(month.title()) + 1
    try:
        days_in_month = calendar.monthrange(int(year), month_no)[1]
    except ValueError:
        return None
    if not 1 <= int(day) <= days_in_month or int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return None
    seconds = calendar.timegm((int(year), month_no, int(day), int(hour), int(minute), int(second)))
    return seconds * 1000


def _valid_ip(value: str) -> str:
    value = value.strip()
    return value if value and is_ip_literal(value) else ""


def medama_client_ip(headers: dict[str, str], peer: str, trusted_header: str = "") -> str:
    """The client IP, or "" when none is valid (Medama answers 400). With `trusted_header`
    configured, that header alone counts, as for every dialect."""
    if trusted_header:
        return _valid_ip(client_ip(headers, peer, trusted_header))
    for name in _IP_HEADERS:
        value = headers.get(name)
        if value:
            found = _valid_ip(value.split(",", 1)[0] if name == "x-forwarded-for" else value)
            if found:
                return found
    host = peer
    if host.count(":") == 1:  # "ip:port"
        host = host.split(":", 1)[0]
    return _valid_ip(host.strip("[]"))


class MedamaEndpoint:
    def __init__(
        self,
        ingestor: Ingestor,
        clock: Callable[[], int],
        beacons: BeaconIndex,
        timezones: TimezoneCountries,
        trusted_ip_header: str = "",
    ) -> None:
        self.ingestor = ingestor
        self.clock = clock
        self.steps = MedamaSteps(beacons)
        self.timezones = timezones
        self.trusted_ip_header = trusted_ip_header

    async def hit(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        content_type = request.content_type
        if content_type not in ("application/json", "text/plain", ""):
            return error(415, f"unsupported content type {content_type[:100]!r}: use application/json or text/plain")
        try:
            raw = await request.read_body(MAX_BODY)
        except BodyTooLarge:
            return error(400, f"request body is larger than {MAX_BODY} bytes")
        headers = request.headers
        ip = medama_client_ip(headers, request.client_host, self.trusted_ip_header)
        if not ip:
            return error(400, "unable to determine the client IP address")
        if ip in self.ingestor.ctx.ignore_ips:
            # Medama drops a blocked address first, before the body, the site or anything else.
            self.ingestor.ctx.metrics.dropped("", DropReason.IGNORED_IP)
            return Response(204, b"", None, (*CORS, ("x-footfall-dropped", DropReason.IGNORED_IP.value)))
        try:
            hit = parse_hit(
                raw,
                ip=ip,
                user_agent=headers.get("user-agent", ""),
                accept_language=headers.get("accept-language", ""),
                now_ms=self.clock(),
                tz=self.timezones,
            )
        except Invalid as exc:
            return error(400, str(exc))
        try:
            self.ingestor.check_capacity()
        except Overloaded:
            return Response(503, b"", None, (*CORS, ("retry-after", "1")))
        steps = self.steps
        pipeline = steps.load if hit.name == PAGEVIEW else steps.custom if hit.name == CUSTOM_EVENT else steps.unload
        drop = self.ingestor.ingest((hit,), pipeline)[0].drop
        if drop is DropReason.NOT_FOUND:
            return error(404, "website not found")
        if drop is DropReason.INVALID:
            return error(400, hit.invalid)
        response = Response(204, b"", None, CORS)
        if drop is not None:
            response.header("x-footfall-dropped", drop.value)
        return response

    async def ping(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        now = self.clock()
        today = now - now % MS_PER_DAY  # Medama's day is the UTC day
        since_raw = request.headers.get("if-modified-since", "").strip()
        if since_raw:  # Go's Header.Get gives "" for an empty header: the same as none
            since = parse_http_date(since_raw)
            if since is None:
                return error(400, "invalid If-Modified-Since header")
            if since >= today:
                # Seen today: "1", and the browser may answer from its cache until this day ends.
                max_age = max(0, (since + MS_PER_DAY - now) // 1000)
                return _ping_body(b"1", since_raw, f"max-age={max_age}")
        return _ping_body(b"0", http_date(today), "no-cache")


def _ping_body(body: bytes, last_modified: str, cache_control: str) -> Response:
    return Response(
        200,
        body,
        "text/plain; charset=utf-8",
        (*CORS, ("last-modified", last_modified), ("cache-control", cache_control)),
    )


def preflight(request: Request) -> Response:
    """rs/cors' answer to a CORS preflight: 204, the method and headers asked for."""
    headers = [*CORS, ("vary", "Access-Control-Request-Method"), ("vary", "Access-Control-Request-Headers")]
    method = request.headers.get("access-control-request-method", "").upper()
    if method in _ALLOWED_METHODS:
        headers.append(("access-control-allow-methods", method))
    asked = request.headers.get("access-control-request-headers", "")
    if asked:
        headers.append(("access-control-allow-headers", asked[:500]))
    return Response(204, b"", None, headers)
