"""Umami's collect API, wire-exact (reference/umami.md §1, §2, §4): POST /api/send, /api/batch.

Each body is parsed once (umami_schema) into a Hit, or into Umami's 400 body; the Ingestor does
the rest; the answer is Umami's: 200 `{cache, sessionId, visitId}`, `{"beep":"boop"}` for a bot,
400 "Website not found.", 403 for an ignored IP, in Umami's order of checks (a bot from an ignored
IP beeps; a bot for an unknown website gets the 400). Footfall's choices where Umami is silent or
fails:

- Where Umami answers 500 (long UTM values, long `data` strings, long `id`, a hostname that is
  not a URL base) Footfall bounds and answers cleanly: values are cut (umami_data, the pipeline's
  bounds), a bad hostname is a 400 on `payload.hostname`.
- `timestamp` (Unix seconds) is honoured within [now - 24 h, now + 60 s], else a zod-style 400.
- `identify` is stored as a non-pageview row named `$identify` (distinct id + flattened data in
  props, `interactive=false` so it never un-bounces a visit); the visit's `distinct_id` in the
  sessions table is set from it. `performance` likewise as `$performance` with the Web Vitals.
- The cache token is verified (umami_token); when it still describes this visit it is sent back
  unchanged (no re-signing), otherwise a new one keeps its `iat` while the visit is the same.
- A spam referrer is answered like a bot (200 beep; Umami has no spam filter); every drop also
  carries `x-footfall-dropped: <reason>`.
- UTM values and the click id take the *first* value of a repeated key (Umami's rule), through
  the shared pipeline with its source step fed a first-values query (UMAMI_PIPELINE).
- `browser`/`os`/`device` overrides are validated but not applied (the UA parser decides).
- `link`/`pixel` ids are looked up as site ids like `website` (Footfall has no links or pixels).
- A valid token does not stand in for the site lookup (Umami's quirk): events for a deleted or
  unknown site get "Website not found." even with a token, since there is nowhere to store them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from footfall.enrich import bots
from footfall.http import BodyTooLarge, Request, Response
from footfall.ingest.context import Context
from footfall.ingest.pipeline import Outcome, Steps, Work, insert_after
from footfall.ingest.service import Ingestor, Overloaded
from footfall.ingest.steps import PIPELINE, put_source, refuse_invalid
from footfall.model import PAGEVIEW, DropReason, Hit, Protocol, SiteKey
from footfall.protocols.common import decode_json
from footfall.protocols.umami_data import flatten
from footfall.protocols.umami_ip import umami_client_ip
from footfall.protocols.umami_schema import MISSING, Invalid, Payload, Tree, bad_request, js_type, validate
from footfall.protocols.umami_token import TokenClaims, TokenSigner, session_uuid, visit_uuid
from footfall.protocols.umami_url import base_url, decode_uri, decode_uri_component, parse

MAX_SEND_BODY = 128 * 1024  # the tracker sends with keepalive, which browsers cap near 64 KiB
MAX_BATCH_BODY = 4 * 1024 * 1024
MAX_BATCH_ITEMS = 1000
TIMESTAMP_WINDOW = (86_400, 60)  # seconds before / after now a client timestamp may lie
MAX_URL_PART = 500  # Umami cuts url_path, url_query, referrer parts and the title at 500
MAX_ID = 200
MAX_IP = 100
MAX_USER_AGENT = 1000
IDENTIFY = "$identify"
PERFORMANCE = "$performance"

CORS = (
    ("access-control-allow-origin", "*"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "GET, DELETE, POST, PUT"),
    ("access-control-max-age", "86400"),
    ("cache-control", "no-cache"),
)
_JSON = "application/json"

WEBSITE_NOT_FOUND = {"error": {"message": "Website not found.", "code": "bad-request", "status": 400}}
FORBIDDEN = {"error": {"message": "Forbidden", "code": "forbidden", "status": 403}}
BEEP = {"beep": "boop"}
OVERLOADED = {"error": {"message": "Service Unavailable", "code": "service-unavailable", "status": 503}}

_encode = msgspec.json.encode


def _respond(status: int, body: Any, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, _encode(body), _JSON, (*CORS, *extra))


def _too_large(limit: int) -> Response:
    message = f"Request body is larger than {limit} bytes"
    return _respond(413, {"error": {"message": message, "code": "payload-too-large", "status": 413}})


def _hostname_error() -> dict[str, Any]:
    tree = Tree()
    tree.at("payload").at("hostname").errors.append("Invalid hostname.")
    return bad_request(tree)


# A hostname no URL can be built on is Umami's 500 and Footfall's 400 on `payload.hostname`. Umami
# builds URLs only after its website lookup, bot check and IP block, so the hit carries the error
# (Hit.invalid) and the pipeline refuses it after those steps: an unknown website is still
# "Website not found.", a bot still beeps.
_BAD_HOSTNAME = "hostname"


def _host(text: str) -> str:
    host = text.strip().lower()
    return host[4:] if host.startswith("www.") else host


def build_hit(kind: str, p: Payload, *, ip: str, user_agent: str, now_ms: int) -> Hit:
    """Umami's URL rules (§1.10) onto the common columns; a bad hostname marks the hit invalid."""
    base = base_url(p.hostname or None)
    bad_host = base is None
    if base is None:
        base = base_url(None)
        assert base is not None
    pathname, query, host = "", "", base.host
    url = parse(p.url, base) if p.url is not None else None
    # `url` is valid against https://localhost, so only a port-less oddity fails here.
    bad_host = bad_host or (p.url is not None and url is None)
    if url is not None:
        fragment = f"#{url.fragment}" if url.fragment else ""
        pathname, query, host = decode_uri(url.path + fragment)[:MAX_URL_PART], url.query[:MAX_URL_PART], url.host
    referrer = ""
    if p.referrer:
        ref = parse(p.referrer, base)
        referrer = ref.without_fragment() if ref is not None else ""
    if kind == "identify":
        name, props, interactive = IDENTIFY, flatten(p.data) if p.data else {}, False
    elif kind == "performance":
        name, props, interactive = PERFORMANCE, flatten(dict(p.vitals)), False
    else:
        name, props, interactive = p.name or PAGEVIEW, flatten(p.data) if p.data else {}, True
    return Hit(
        protocol=Protocol.UMAMI,
        site_key=SiteKey.ID,
        site_ref=p.source_id,
        timestamp_ms=p.timestamp * 1000 if p.timestamp else now_ms,
        name=name,
        ip=(p.ip or ip)[:MAX_IP],
        user_agent=(p.userAgent or user_agent)[:MAX_USER_AGENT],
        hostname=_host(p.hostname or host),
        pathname=pathname,
        query=query,
        title=decode_uri_component(p.title)[:MAX_URL_PART],
        referrer=referrer,
        props=props,
        screen=p.screen,
        language=p.language,
        interactive=interactive,
        tag=p.tag,
        distinct_id=p.id[:MAX_ID],
        # Umami never builds a URL for identify: there the hostname is not a reason to refuse.
        invalid=_BAD_HOSTNAME if bad_host and kind != "identify" else "",
    )


def first_values_query(query: str) -> str:
    """The query with only the first occurrence of each key (Umami takes first UTM/click-id values)."""
    if "&" not in query:
        return query
    seen: set[str] = set()
    kept = []
    for piece in query.split("&"):
        key = piece.split("=", 1)[0]
        if key not in seen:
            seen.add(key)
            kept.append(piece)
    return "&".join(kept)


def put_source_first_values(w: Work, ctx: Context) -> DropReason | None:
    """The shared put_source step, fed a query of first values; the stored query stays as sent."""
    ev = w.event
    assert ev is not None
    raw = ev.query
    ev.query = first_values_query(raw)
    try:
        return put_source(w, ctx)
    finally:
        ev.query = raw


UMAMI_PIPELINE: Steps = insert_after(
    tuple((name, put_source_first_values if step is put_source else step) for name, step in PIPELINE),
    "drop_bot",
    ("refuse_invalid", refuse_invalid),  # after the site, IP and bot checks, as Umami's order
)
assert any(step is put_source_first_values for _, step in UMAMI_PIPELINE)


class UmamiEndpoint:
    def __init__(
        self,
        ingestor: Ingestor,
        clock: Callable[[], int],
        secret: bytes,
        trusted_ip_header: str = "",
    ) -> None:
        self.ingestor = ingestor
        self.clock = clock
        self.signer = TokenSigner(secret)
        self.trusted_ip_header = trusted_ip_header

    # -- one body -> Hit ---------------------------------------------------------------------

    def _hit(self, body: Any, ip: str, user_agent: str, now_ms: int) -> tuple[Hit, Payload]:
        kind, payload = validate(body, now_s=now_ms // 1000, window=TIMESTAMP_WINDOW)
        return build_hit(kind, payload, ip=ip, user_agent=user_agent, now_ms=now_ms), payload

    def _claims(self, header: str, payload: Payload) -> TokenClaims | None:
        # Umami only reads the token for website hits; the tracker sends "" before identify.
        return self.signer.verify(header) if header and payload.website else None

    def _cache(
        self, outcome: Outcome, payload: Payload, header: str, claims: TokenClaims | None, now_ms: int
    ) -> dict[str, str]:
        event, site = outcome.event, outcome.site
        assert event is not None and site is not None
        session_id = session_uuid(site.id, event.visitor_id)
        visit_id = visit_uuid(site.id, event.session_id)
        if claims is not None and claims.visitId == visit_id and claims.sessionId == session_id:
            if claims.websiteId == payload.website:
                return {"cache": header, "sessionId": session_id, "visitId": visit_id}
            iat = claims.iat
        else:
            iat = now_ms // 1000
        token = self.signer.sign(TokenClaims(payload.website, session_id, visit_id, iat))
        return {"cache": token, "sessionId": session_id, "visitId": visit_id}

    @staticmethod
    def _refusal(outcome: Outcome, user_agent: str) -> tuple[int, dict[str, Any]]:
        """Umami's answer for a dropped hit."""
        if outcome.drop == DropReason.NOT_FOUND:
            return 400, WEBSITE_NOT_FOUND
        if outcome.drop == DropReason.INVALID:
            return 400, _hostname_error()
        if outcome.drop == DropReason.IGNORED_IP and not (user_agent and bots.is_bot(user_agent)):
            return 403, FORBIDDEN  # Umami checks bots before the IP list: a bot still beeps
        return 200, BEEP

    # -- routes ------------------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        try:
            raw = await request.read_body(MAX_SEND_BODY)
        except BodyTooLarge:
            return _too_large(MAX_SEND_BODY)
        try:
            body = decode_json(raw)
        except (ValueError, RecursionError):
            body = MISSING  # Umami parses failures to `undefined`, which then fails validation
        now_ms = self.clock()
        headers = request.headers
        try:
            hit, payload = self._hit(body, self._ip(request), headers.get("user-agent", ""), now_ms)
        except Invalid as exc:
            return _respond(400, exc.body)
        try:
            self.ingestor.check_capacity()
        except Overloaded:
            return _respond(503, OVERLOADED, (("retry-after", "1"),))
        outcome = self.ingestor.ingest((hit,), UMAMI_PIPELINE)[0]
        if outcome.drop is not None:
            status, answer = self._refusal(outcome, hit.user_agent)
            return _respond(status, answer, (("x-footfall-dropped", outcome.drop.value),))
        header = headers.get("x-umami-cache", "")
        return _respond(200, self._cache(outcome, payload, header, self._claims(header, payload), now_ms))

    async def batch(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        try:
            raw = await request.read_body(MAX_BATCH_BODY)
        except BodyTooLarge:
            return _too_large(MAX_BATCH_BODY)
        try:
            items: Any = decode_json(raw)
        except (ValueError, RecursionError):
            items = MISSING
        if not isinstance(items, list):
            kind = "undefined" if items is MISSING else js_type(items)
            return _respond(400, bad_request({"errors": [f"Invalid input: expected array, received {kind}"]}))
        if len(items) > MAX_BATCH_ITEMS:
            return _respond(
                400, bad_request({"errors": [f"Too big: expected array to have <={MAX_BATCH_ITEMS} items"]})
            )
        wrong = [i for i, item in enumerate(items) if not isinstance(item, dict)]
        if wrong:
            slots: list[dict[str, list[str]] | None] = [None] * (wrong[-1] + 1)
            for i in wrong:
                slots[i] = {"errors": [f"Invalid input: expected record, received {js_type(items[i])}"]}
            return _respond(400, bad_request({"errors": [], "items": slots}))
        return self._run_batch(items, request)

    def _run_batch(self, items: list[Any], request: Request) -> Response:
        now_ms = self.clock()
        ip, user_agent = self._ip(request), request.headers.get("user-agent", "")
        header = request.headers.get("x-umami-cache", "")
        details: list[dict[str, Any]] = []
        parsed: list[tuple[int, Hit, Payload]] = []
        for index, item in enumerate(items):
            try:
                hit, payload = self._hit(item, ip, user_agent, now_ms)
            except Invalid as exc:
                details.append({"index": index, "response": exc.body})
                continue
            parsed.append((index, hit, payload))
        try:
            self.ingestor.check_capacity(len(parsed))
        except Overloaded:
            return _respond(503, OVERLOADED, (("retry-after", "1"),))
        outcomes = self.ingestor.ingest((hit for _, hit, _ in parsed), UMAMI_PIPELINE)
        cache: Any = None
        successes = 0
        dropped: list[str] = []
        for (index, hit, payload), outcome in zip(parsed, outcomes, strict=True):
            if outcome.drop is None:
                successes += 1
                if cache is None:
                    cache = self._cache(outcome, payload, header, self._claims(header, payload), now_ms)["cache"]
                continue
            dropped.append(outcome.drop.value)
            status, answer = self._refusal(outcome, hit.user_agent)
            if status == 200:
                successes += 1  # a beep is a 2xx: Umami counts it as processed
            else:
                details.append({"index": index, "response": answer})
        details.sort(key=lambda d: int(d["index"]))
        result: dict[str, Any] = {"size": len(items), "processed": len(items) - len(details), "errors": len(details)}
        result["details"] = details
        # Umami's accumulator quirk: successes that all beeped leave `cache` undefined (omitted).
        if cache is not None or successes == 0:
            result["cache"] = cache
        extra = (("x-footfall-dropped", ",".join(dropped)),) if dropped else ()
        return _respond(200, result, extra)

    def _ip(self, request: Request) -> str:
        return umami_client_ip(request.headers, request.client_host, self.trusted_ip_header)


def preflight(request: Request) -> Response:
    """Next.js answers OPTIONS itself: 204, `Allow`, plus next.config's CORS headers."""
    return Response(204, b"", None, (*CORS, ("allow", "OPTIONS, POST")))
