"""Plausible's Events API, wire-exact (reference/plausible.md §1): POST /api/event.

Parse once into Hits (one per domain of `d`), or into Plausible's 400 error map. Policy drops
are answered 202 "ok" with `x-plausible-dropped: <n>`, as Plausible does; Footfall adds
`x-footfall-dropped: <reasons>` so a site owner can see *why* (Plausible's users ask for it).
Where upstream has a bug (i:false ignored, bad percent-escapes giving a 500) we implement the
intended behaviour.
"""

from __future__ import annotations

import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from footfall.enrich.urls import decode_path
from footfall.http import BodyTooLarge, Request, Response, json_response, text_response
from footfall.ingest.service import Ingestor, Overloaded
from footfall.model import ENGAGEMENT, SCROLL_MISSING, Hit, Protocol, SiteKey
from footfall.protocols.common import SplitUrl, client_ip, decode_json, strip_www

MAX_BODY = 1_000_000
MAX_URL_BYTES = 2000
MAX_REFERRER = 2000
MAX_NAME = 120
MAX_PROPS = 30
MAX_PROP_KEY_BYTES = 300
MAX_PROP_VALUE_BYTES = 2000
MAX_ENGAGEMENT_MS = 2_592_000_000  # 30 days: larger values are an old tracker bug
SYSTEM_GOALS_WITH_PATH = frozenset({"404", "WP Form Completions", "Form: Submission"})

# A whole ASCII integer, as Elixir's Integer.parse with nothing left over: `\Z`, since `$` also
# matches before a trailing newline, and [0-9], since `\d` takes any Unicode digit.
_INT = re.compile(r"[+-]?[0-9]+\Z")

CORS = (
    ("access-control-allow-origin", "*"),
    ("access-control-allow-credentials", "true"),
    ("access-control-expose-headers", "x-plausible-dropped"),
)
_PREFLIGHT_HEADERS = (
    "Authorization,Content-Type,Accept,Origin,User-Agent,DNT,Cache-Control,X-Mx-ReqToken,"
    "Keep-Alive,X-Requested-With,If-Modified-Since,X-CSRF-Token"
)


class _Url:
    """What Plausible derives from `u`, cached per URL string (pages repeat far more than not)."""

    __slots__ = ("is_data", "host", "hostname", "pathname", "query", "fragment")

    def __init__(self, split: SplitUrl) -> None:
        self.is_data = split.scheme == "data"
        self.host = split.host  # None: the URL has no host part; "": an empty one (file:///)
        self.hostname = strip_www(split.host) if split.host else "(none)"
        self.pathname = decode_path(split.path or "/").rstrip() or "/"
        self.query = split.query
        self.fragment = split.fragment


@lru_cache(maxsize=8192)
def _split(url: str) -> _Url | None:
    split = SplitUrl(url)
    return _Url(split) if split.ok else None


class Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors


def _pick(body: dict[str, Any], *keys: str) -> Any:
    """Elixir's `a || b`: false and null fall through to the next alias; 0 and "" do not."""
    for key in keys:
        value = body.get(key)
        if value is not None and value is not False:
            return value
    return None


def _prop_string(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _props(raw: Any, name: str, pathname: str) -> tuple[dict[str, str], bool]:
    """Plausible's props rules (§1.5); returns (props, within byte limits)."""
    if not raw and name not in SYSTEM_GOALS_WITH_PATH:
        return {}, True  # most events send no props: skip the sorting and byte checks
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        raw = {}
    props: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, (list, dict)):
            continue
        k, v = _prop_string(key), _prop_string(value)
        if not k.lstrip() or not v.lstrip():
            continue
        props[k] = v
    items = sorted(props.items())
    if name in SYSTEM_GOALS_WITH_PATH and "path" not in props:
        items = [("path", pathname), *items[: MAX_PROPS - 1]]
    else:
        items = items[:MAX_PROPS]
    ok = all(len(k.encode()) <= MAX_PROP_KEY_BYTES and len(v.encode()) <= MAX_PROP_VALUE_BYTES for k, v in items)
    return dict(sorted(items)), ok


def _scroll_depth(raw: Any) -> int:
    if isinstance(raw, str) and _INT.match(raw):
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            return SCROLL_MISSING
        return min(raw, 100)
    return SCROLL_MISSING


def _engagement_ms(raw: Any) -> int:
    if isinstance(raw, str) and _INT.match(raw):
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < MAX_ENGAGEMENT_MS:
        return raw
    return 0


def parse_body(body: dict[str, Any], *, ip: str, user_agent: str, now_ms: int) -> list[Hit]:
    """The request body (already a dict) to one Hit per domain, or raise Invalid."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    url_raw = _pick(body, "u", "url")
    url: _Url | None = None
    if url_raw is None:
        add("url", "is required")
    elif not isinstance(url_raw, str) or len(url_raw.encode()) > MAX_URL_BYTES:
        add("url", "must be a valid url")
    else:
        url = _split(url_raw)
        if url is None:
            pass
        elif url.is_data:
            add("url", "scheme is not allowed")
            url = None

    hostname = url.hostname if url is not None else "(none)"

    name_raw = _pick(body, "n", "name")
    name = ""
    name_cast_error = False
    if isinstance(name_raw, str):
        name = name_raw
    elif isinstance(name_raw, int) and not isinstance(name_raw, bool):
        name = str(name_raw)
    elif name_raw is not None:
        add("event_name", "is invalid")
        name_cast_error = True

    hash_raw = _pick(body, "h", "hashMode")
    hash_mode = 0
    if isinstance(hash_raw, int) and not isinstance(hash_raw, bool):
        hash_mode = hash_raw
    elif isinstance(hash_raw, str) and _INT.match(hash_raw):
        hash_mode = int(hash_raw)
    elif hash_raw is not None:
        add("hash_mode", "is invalid")

    referrer_raw = _pick(body, "r", "referrer")
    referrer = referrer_raw[:MAX_REFERRER] if isinstance(referrer_raw, str) else ""

    pathname, query = "/", ""
    if url is not None:
        pathname, query = url.pathname, url.query
        if hash_mode == 1 and url.fragment is not None:
            pathname = pathname + "#" + decode_path(url.fragment)

    props, props_ok = _props(_pick(body, "m", "meta", "p", "props"), name, pathname)
    if not props_ok:
        add("props", "keys should have at most 300 bytes and values 2000 bytes")

    scroll, engaged = SCROLL_MISSING, 0
    if name == ENGAGEMENT:
        scroll, engaged = _scroll_depth(body.get("sd")), _engagement_ms(body.get("e"))
        if scroll == SCROLL_MISSING and engaged == 0:
            add(
                "event_name",
                "engagement event requires a valid integer value for at least one of 'sd' or 'e' fields",
            )

    i, interactive_raw = body.get("i"), body.get("interactive")
    interactive = i if isinstance(i, bool) else interactive_raw if isinstance(interactive_raw, bool) else True

    domains: list[str] = []
    domain_raw = body.get("d") if isinstance(body.get("d"), str) else body.get("domain")
    if isinstance(domain_raw, str):
        if not domain_raw.strip():
            add("domain", "can't be blank")
        else:
            domains = [strip_www(part.strip()) for part in domain_raw.strip().split(",")]
    elif url is not None and url.host is not None:
        domains = [strip_www(url.host)]
    else:
        add("domain", "can't be blank")

    if not name_cast_error and not name.strip():
        add("event_name", "can't be blank")
    elif len(name) > MAX_NAME:
        add("event_name", f"should be at most {MAX_NAME} character(s)")

    if errors:
        # Ecto prepends each error, so the last one added is listed first.
        raise Invalid(dict(reversed(list(errors.items()))))

    return [
        Hit(
            protocol=Protocol.PLAUSIBLE,
            site_key=SiteKey.DOMAIN,
            site_ref=domain,
            timestamp_ms=now_ms,
            name=name,
            ip=ip,
            user_agent=user_agent,
            hostname=hostname,
            pathname=pathname,
            query=query,
            referrer=referrer,
            props=props,
            engagement_ms=engaged,
            scroll_depth=scroll,
            interactive=interactive,
        )
        for domain in domains
    ]


def _form_body(body: bytes, content_type_header: str) -> dict[str, Any]:
    if content_type_header.lower().startswith("multipart/"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type_header.encode("latin-1") + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            field = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(field, str) and isinstance(payload, bytes):
                fields[field] = payload.decode("utf-8", "replace")
        return fields
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _request_error() -> Response:
    return json_response({"errors": {"request": ["Unable to parse request body as json"]}}, 400, CORS)


def _bad_request(request: Request) -> Response:
    """What Phoenix renders when Plug.Parsers rejects malformed application/json."""
    accept = request.headers.get("accept", "*/*")
    if "json" in accept or "*/*" in accept:
        return json_response({"status": 400, "message": "Bad Request"}, 400, CORS)
    return Response(400, b"<!DOCTYPE html><html><body><h1>Bad Request</h1></body></html>", "text/html", CORS)


class PlausibleEndpoint:
    def __init__(self, ingestor: Ingestor, clock: Any, trusted_ip_header: str = "") -> None:
        self.ingestor = ingestor
        self.clock = clock
        self.trusted_ip_header = trusted_ip_header

    async def event(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.preflight(request)
        content_type = request.content_type
        try:
            raw = await request.read_body(MAX_BODY)
        except BodyTooLarge:
            return _request_error()
        body: Any
        if content_type == "application/json":
            try:
                body = decode_json(raw)
            except ValueError:
                return _bad_request(request)
            if not isinstance(body, dict):
                body = {"_json": body}
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            body = _form_body(raw, request.headers.get("content-type", ""))
        else:
            try:
                body = decode_json(raw)
            except ValueError:
                return _request_error()
            if not isinstance(body, dict):
                return _request_error()
        headers = request.headers
        try:
            hits = parse_body(
                body,
                ip=client_ip(headers, request.client_host, self.trusted_ip_header),
                user_agent=headers.get("user-agent", ""),
                now_ms=self.clock(),
            )
        except Invalid as exc:
            return json_response({"errors": exc.errors}, 400, CORS)
        try:
            self.ingestor.check_capacity(len(hits))
        except Overloaded:
            return text_response("Service Unavailable", 503, (*CORS, ("retry-after", "1")))
        outcomes = self.ingestor.ingest(hits)
        response = text_response("ok", 202, CORS)
        drops = [o.drop.value for o in outcomes if o.drop is not None]
        if drops:
            response.header("x-plausible-dropped", str(len(drops)))
            response.header("x-footfall-dropped", ",".join(drops))
        return response

    def preflight(self, request: Request) -> Response:
        return Response(
            204,
            headers=(
                *CORS,
                ("access-control-max-age", "1728000"),
                ("access-control-allow-headers", _PREFLIGHT_HEADERS),
                ("access-control-allow-methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS"),
            ),
        )
