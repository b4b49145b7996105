"""Every ingestion endpoint under generated input: whatever a tracker (or anyone) sends, the answer
is the dialect's own status and error shape, never a 500, and every event it accepts is stored
whole: the write buffer's flush succeeds and nothing is left waiting or failing.

Bodies start from a valid event of each dialect and are mutated field by field (any JSON value,
URL-like strings with odd characters, missing fields, extra keys), or are arbitrary JSON or bytes.
Headers vary too: content type, user agent, forwarded-for. FOOTFALL_FUZZ_EXAMPLES raises the
number of examples for a longer local run.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footfall.api.auth import ApiKeys
from footfall.app import Footfall
from footfall.query.model import EVENT_PROPS, VISIT_PROPS

from conftest import CHROME_UA, GOOGLEBOT_UA, IPHONE_UA, SITE_ID, umami_page

EXAMPLES = int(os.environ.get("FOOTFALL_FUZZ_EXAMPLES", "120"))
# The suite's own runs use a fixed seed, so CI is repeatable; a longer local run explores anew.
DERANDOMIZE = "FOOTFALL_FUZZ_EXAMPLES" not in os.environ

# Strings a hostile or broken tracker sends: control characters, NUL, right-to-left marks, emoji,
# stray percent signs, very long runs, and every shape of almost-URL.
_ODD = st.sampled_from(
    ["\x00", "\r\n", "%", "%zz", "%ff", "%00", "\u202e", "😀", "\ufeff", "#", "?", "&", "=", "\\", " "]
)
_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_ODD, st.text(max_size=5)), max_size=12).map("".join),
    st.integers(min_value=0, max_value=3000).map(lambda n: "x" * n),
)
_URLISH = st.builds(
    lambda scheme, host, path, query, frag: f"{scheme}{host}{path}{query}{frag}",
    st.sampled_from(["https://", "http://", "//", "", "ftp://", "javascript:", "https://user:pw@", "HTTPS://"]),
    st.sampled_from(["example.com", "www.example.com", "blog.other.org", "[::1]", "exa mple.com", "", "xn--e1a.ru"]),
    st.one_of(st.just("/"), _TEXT.map(lambda t: "/" + t)),
    st.one_of(st.just(""), _TEXT.map(lambda t: "?" + t), st.just("?utm_source=a&utm_source=b&gclid=1&ref=x")),
    st.one_of(st.just(""), _TEXT.map(lambda t: "#" + t)),
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    _URLISH,
)
JSON_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def mutated(base: dict[str, Any], extra_keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The base body with some fields replaced by any value, some removed, some keys added."""
    keys = sorted(set(base) | set(extra_keys))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body = dict(base)
        for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
            action = draw(st.sampled_from(["replace", "text", "url", "remove"]))
            if action == "remove":
                body.pop(key, None)
            elif action == "url":
                body[key] = draw(_URLISH)
            elif action == "text":
                body[key] = draw(_TEXT)
            else:
                body[key] = draw(JSON_VALUE)
        return body

    return build()


def body_bytes(base: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    # Weighted towards the mutated valid body, so that accepted events (and the rows they make)
    # are a good share of the examples, not only the rejections.
    return st.one_of(
        base.map(lambda b: json.dumps(b, ensure_ascii=False).encode()),
        base.map(lambda b: json.dumps(b, ensure_ascii=False).encode()),
        base.map(lambda b: json.dumps(b).encode()),  # \u escapes, as browsers' JSON.stringify never sends
        JSON_VALUE.map(lambda b: json.dumps(b).encode()),
        st.binary(max_size=200),
        base.map(lambda b: json.dumps(b).encode()[: len(json.dumps(b)) // 2]),  # truncated
    )


_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80)
HEADERS = st.fixed_dictionaries(
    {
        "content-type": st.sampled_from(
            [
                "text/plain",
                "text/plain;charset=UTF-8",
                "application/json",
                "application/json; charset=utf-8",
            ]
        )
        | st.sampled_from(
            ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""]
        ),
        "user-agent": st.one_of(st.sampled_from([CHROME_UA, IPHONE_UA, GOOGLEBOT_UA, ""]), _HEADER_TEXT),
        "x-forwarded-for": st.one_of(
            st.sampled_from(["203.0.113.9", "2001:db8::1", "8.8.8.8, 10.0.0.1", "[2001:db8::2]:443", "1.2.3.4:80"]),
            _HEADER_TEXT,
        ),
        "accept-language": st.one_of(st.just("en-GB,en;q=0.9"), _HEADER_TEXT),
    }
)


def call(
    app: Footfall, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    """One request through the ASGI app, as a server hands it over (headers as latin-1 bytes)."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if v]
        + [(b"content-length", str(len(body)).encode()), (b"origin", b"https://example.com")],
        "client": ("198.51.100.4", 50000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    messages: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = messages[0]
    out_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], b"".join(m.get("body", b"") for m in messages[1:]), out_headers


def assert_everything_stored(app: Footfall) -> None:
    assert app.buffer.flush(), "the write buffer did not flush"
    assert app.buffer.failing == 0, "a store write failed"
    assert len(app.buffer) == 0, "rows are left waiting in the buffer"


def check(app: Footfall, path: str, body: bytes, headers: dict[str, str], allowed: set[int]) -> tuple[int, bytes]:
    status, payload, out_headers = call(app, "POST", path, body, headers)
    assert status in allowed, (status, payload[:300], body[:300])
    assert out_headers.get("access-control-allow-origin"), "every answer carries CORS, errors too"
    assert_everything_stored(app)
    return status, payload


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PLAUSIBLE_BASE = {
    "n": "pageview",
    "u": "https://example.com/docs?utm_source=x",
    "d": "example.com",
    "r": "https://www.google.com/",
    "w": 1280,
    "h": 0,
    "p": {"plan": "pro"},
    "revenue": {"amount": "9.99", "currency": "EUR"},
    "i": True,
}
PLAUSIBLE_KEYS = ["name", "url", "domain", "referrer", "props", "m", "meta", "e", "sd", "v", "hash", "interactive"]


@FUZZ
@given(body=body_bytes(mutated(PLAUSIBLE_BASE, PLAUSIBLE_KEYS)), headers=HEADERS)
def test_plausible_event_answers_in_its_own_shape(app: Footfall, body: bytes, headers: dict[str, str]) -> None:
    status, payload = check(app, "/api/event", body, headers, {202, 400, 413})
    if status == 400 and payload.startswith(b"{"):
        answer = json.loads(payload)
        assert set(answer) in ({"errors"}, {"status", "message"}), answer


UMAMI_PAYLOAD = {
    **umami_page()["payload"],
    "name": "signup",
    "data": {"plan": "pro", "n": 3, "nested": {"a": [1, True, None]}},
    "tag": "b",
    "id": "user-1",
}
UMAMI_KEYS = ["timestamp", "link", "pixel", "ip", "userAgent", "browser", "os", "device", "city", "region"]
UMAMI_BODY = st.one_of(
    mutated(UMAMI_PAYLOAD, UMAMI_KEYS).map(lambda p: {"type": "event", "payload": p}),
    mutated(UMAMI_PAYLOAD, UMAMI_KEYS).map(lambda p: {"type": "identify", "payload": p}),
    mutated({"type": "event", "payload": UMAMI_PAYLOAD}, ["extra"]),
)
UMAMI_STATUSES = {200, 400, 403, 404, 413}


@FUZZ
@given(body=body_bytes(UMAMI_BODY), headers=HEADERS)
def test_umami_send_answers_in_its_own_shape(app: Footfall, body: bytes, headers: dict[str, str]) -> None:
    status, payload = check(app, "/api/send", body, headers, UMAMI_STATUSES)
    if status == 200:
        answer = json.loads(payload)
        assert set(answer) in ({"cache", "sessionId", "visitId"}, {"beep"}), answer


@FUZZ
@given(items=st.lists(UMAMI_BODY | JSON_VALUE, max_size=6), headers=HEADERS)
def test_umami_batch_answers_in_its_own_shape(app: Footfall, items: list[Any], headers: dict[str, str]) -> None:
    status, payload = check(app, "/api/batch", json.dumps(items).encode(), headers, UMAMI_STATUSES)
    if status == 200:
        answer = json.loads(payload)
        assert answer["size"] == len(items)
        assert answer["processed"] + answer["errors"] == len(items)


MEDAMA_BASES = [
    {
        "e": "load",
        "b": "lq1x2y3z4abcdef",
        "u": "https://example.com/blog/?utm_source=news",
        "r": "",
        "p": True,
        "q": True,
        "t": "Europe/Berlin",
        "d": {"plan": "pro"},
    },
    {"e": "unload", "b": "lq1x2y3z4abcdef", "m": 1500},
    {"e": "custom", "g": "example.com", "d": {"plan": "pro", "n": 3, "ok": True}, "b": "lq1x2y3z4abcdef"},
]
MEDAMA_BODY = st.one_of(*(mutated(base, ["e", "b", "u", "r", "p", "q", "t", "d", "m", "g"]) for base in MEDAMA_BASES))


@FUZZ
@given(body=body_bytes(MEDAMA_BODY), headers=HEADERS, path=st.sampled_from(["/api/event/hit", "/event/hit"]))
def test_medama_hit_answers_in_its_own_shape(app: Footfall, body: bytes, headers: dict[str, str], path: str) -> None:
    status, payload = check(app, path, body, headers, {204, 400, 404, 415})
    if status != 204:
        answer = json.loads(payload)
        assert set(answer) == {"error"} and answer["error"]["code"] == status, answer


@pytest.mark.parametrize("path", ["/api/event/ping", "/event/ping"])
@FUZZ
@given(headers=HEADERS, since=st.one_of(st.just(""), _HEADER_TEXT, st.just("Tue, 10 Mar 2026 12:00:00 GMT")))
def test_medama_ping_answers_any_if_modified_since(
    app: Footfall, path: str, headers: dict[str, str], since: str
) -> None:
    status, payload, out_headers = call(app, "GET", path, b"", {**headers, "if-modified-since": since})
    # Medama's answers: "0" or "1" (never 304), or its 400 for a date that is not RFC 1123.
    if status == 200:
        assert payload in (b"0", b"1") and out_headers["last-modified"]
    else:
        assert status == 400 and json.loads(payload)["error"]["code"] == 400


# Whatever was stored is then read back: every breakdown of the Stats API, and filters on the
# stored values themselves (odd characters, wildcards, regex metacharacters), answer 200.
BREAKDOWNS = [f"event:{p}" for p in EVENT_PROPS if p != "goal"] + [f"visit:{p}" for p in VISIT_PROPS]
# Dimensions whose values are the tracker's own text (geo ones are validated codes and ids).
FREE_TEXT = {
    "event:page",
    "event:hostname",
    "event:name",
    "visit:source",
    "visit:referrer",
    "visit:utm_source",
    "visit:utm_campaign",
    "visit:utm_term",
    "visit:entry_page",
    "visit:exit_page",
    "visit:screen",
}
MIXED = st.one_of(
    body_bytes(mutated(PLAUSIBLE_BASE, PLAUSIBLE_KEYS)).map(lambda b: ("/api/event", b)),
    body_bytes(UMAMI_BODY).map(lambda b: ("/api/send", b)),
    body_bytes(MEDAMA_BODY).map(lambda b: ("/api/event/hit", b)),
)


@settings(
    max_examples=max(8, EXAMPLES // 12),
    derandomize=DERANDOMIZE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests=st.lists(st.tuples(MIXED, HEADERS), min_size=1, max_size=25))
def test_whatever_was_stored_reads_back_through_the_stats_api(
    app: Footfall, requests: list[tuple[tuple[str, bytes], dict[str, str]]]
) -> None:
    for (path, body), headers in requests:
        status, _payload, _headers = call(app, "POST", path, body, headers)
        assert status < 500
    assert_everything_stored(app)
    app.ctx.sites.reload()
    _record, key = ApiKeys(app.meta).create([SITE_ID], app.clock())
    auth = {"authorization": f"Bearer {key}", "content-type": "application/json"}

    def query(body: dict[str, Any]) -> dict[str, Any]:
        full = {"site_id": "example.com", "date_range": "all", **body}
        status, payload, _ = call(app, "POST", "/api/v2/query", json.dumps(full).encode(), auth)
        assert status == 200, (status, payload[:300], full)
        return json.loads(payload)  # type: ignore[no-any-return]

    for dimension in BREAKDOWNS:
        # Session metrics go with visit dimensions only (Plausible's rule).
        metrics = ["visitors", "visits", "pageviews", "events"]
        if dimension.startswith("visit:"):
            metrics += ["bounce_rate", "visit_duration"]
        rows = query({"metrics": metrics, "dimensions": [dimension]})["results"]
        if rows and dimension in FREE_TEXT:
            (value,) = rows[-1]["dimensions"]
            for op in ("is", "contains_not", "matches_wildcard"):
                query({"metrics": ["visitors"], "filters": [[op, dimension, [value]]]})
    keys = query({"metrics": ["events"], "dimensions": ["event:props"]})["results"]
    for row in keys[:3]:
        (prop,) = row["dimensions"]
        if 0 < len(prop) <= 300:
            query({"metrics": ["visitors", "events"], "dimensions": [f"event:props:{prop}"]})
