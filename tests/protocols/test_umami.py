"""Umami's collect API, behaviour by behaviour (reference/umami.md §1, §2, §4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from footfall.app import create_app
from footfall.model import Site
from footfall.protocols.umami_data import flatten, unflatten
from footfall.protocols.umami_ip import umami_client_ip
from footfall.protocols.umami_token import TokenClaims, TokenSigner
from footfall.settings import Settings
from footfall.snippets import snippets

from conftest import CHROME_UA, GOOGLEBOT_UA, IPHONE_UA, T0, FakeClock, stored
from conftest import umami_page as page

SITE = "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"
UNKNOWN = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
HEADERS = {"user-agent": CHROME_UA, "content-type": "application/json"}
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "*",
    "access-control-allow-methods": "GET, DELETE, POST, PUT",
    "access-control-max-age": "86400",
    "cache-control": "no-cache",
}


async def send(client: httpx.AsyncClient, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/api/send", content=raw, headers={**HEADERS, **(headers or {})})


def bad(detail: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"message": "Bad request", "code": "bad-request", "status": 400, **detail}}


def payload_error(field: str, *messages: str) -> dict[str, Any]:
    return bad(
        {"errors": [], "properties": {"payload": {"errors": [], "properties": {field: {"errors": list(messages)}}}}}
    )


# -- validation: every rule with its exact body -------------------------------------------------

TYPE_MESSAGE = 'Invalid option: expected one of "event"|"identify"|"performance"'
EXACTLY_ONE = "Exactly one of website, link, or pixel must be provided"


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"not json", b"\xff", pytest.param(b"[" * 50_000 + b"]" * 50_000, id="too-deep")]
)
async def test_no_or_invalid_json_is_expected_object_received_undefined(client, app, raw):
    r = await send(client, raw)
    assert r.status_code == 400
    assert r.json() == bad({"errors": ["Invalid input: expected object, received undefined"]})
    assert stored(app) == []


@pytest.mark.parametrize(("raw", "kind"), [(b"[1]", "array"), (b"null", "null"), (b"5", "number")])
async def test_a_json_body_that_is_not_an_object(client, app, raw, kind):
    r = await send(client, raw)
    assert r.json() == bad({"errors": [f"Invalid input: expected object, received {kind}"]})


async def test_empty_object_names_type_and_payload(client, app):
    r = await send(client, {})
    assert r.status_code == 400
    assert r.json() == bad(
        {
            "errors": [],
            "properties": {
                "type": {"errors": [TYPE_MESSAGE]},
                "payload": {"errors": ["Invalid input: expected object, received undefined"]},
            },
        }
    )


async def test_missing_payload_and_unknown_type(client, app):
    r = await send(client, {"type": "event"})
    assert r.json() == bad(
        {"errors": [], "properties": {"payload": {"errors": ["Invalid input: expected object, received undefined"]}}}
    )
    r = await send(client, {**page(), "type": "pageview"})
    assert r.json() == bad({"errors": [], "properties": {"type": {"errors": [TYPE_MESSAGE]}}})
    r = await send(client, {"type": "event", "payload": None})
    assert r.json() == bad(
        {"errors": [], "properties": {"payload": {"errors": ["Invalid input: expected object, received null"]}}}
    )


@pytest.mark.parametrize(
    ("payload", "field", "messages"),
    [
        ({}, "website", [EXACTLY_ONE]),
        ({"website": SITE, "link": UNKNOWN}, "website", [EXACTLY_ONE]),
        ({"website": "abc"}, "website", ["Invalid UUID"]),
        ({"website": ""}, "website", ["Invalid UUID", EXACTLY_ONE]),
        ({"website": SITE, "hostname": "h" * 101}, "hostname", ["Too big: expected string to have <=100 characters"]),
        ({"website": SITE, "language": "l" * 36}, "language", ["Too big: expected string to have <=35 characters"]),
        ({"website": SITE, "screen": "1" * 12}, "screen", ["Too big: expected string to have <=11 characters"]),
        ({"website": SITE, "name": "n" * 51}, "name", ["Too big: expected string to have <=50 characters"]),
        ({"website": SITE, "name": "😀" * 26}, "name", ["Too big: expected string to have <=50 characters"]),
        ({"website": SITE, "tag": "t" * 51}, "tag", ["Too big: expected string to have <=50 characters"]),
        ({"website": SITE, "url": "http://["}, "url", ["Invalid URL."]),
        ({"website": SITE, "url": "//"}, "url", ["Invalid URL."]),
        ({"website": SITE, "referrer": "http://["}, "referrer", ["Invalid URL."]),
        ({"website": SITE, "url": 123}, "url", ["Invalid input: expected string, received number"]),
        ({"website": SITE, "data": [1, 2]}, "data", ["Invalid input: expected record, received array"]),
        ({"website": SITE, "data": "x"}, "data", ["Invalid input: expected record, received string"]),
        ({"website": SITE, "timestamp": 1.5}, "timestamp", ["Invalid input: expected int, received number"]),
        ({"website": SITE, "timestamp": "abc"}, "timestamp", ["Invalid input: expected number, received NaN"]),
        ({"website": SITE, "lcp": -1}, "lcp", ["Too small: expected number to be >=0"]),
        ({"website": SITE, "lcp": 60001}, "lcp", ["Too big: expected number to be <=60000"]),
        ({"website": SITE, "cls": 101}, "cls", ["Too big: expected number to be <=100"]),
        ({"website": SITE, "lcp": "100"}, "lcp", ["Invalid input: expected number, received string"]),
        ({"website": SITE, "id": 5}, "id", ["Invalid input: expected string, received number"]),
        ({"website": SITE, "title": True}, "title", ["Invalid input: expected string, received boolean"]),
        # A wrong type aborts zod's object refinement: no "exactly one" beside it.
        ({"url": 123}, "url", ["Invalid input: expected string, received number"]),
        ({"website": 0}, "website", ["Invalid input: expected string, received number"]),
        # zod's UUID: the max UUID only in lower case; JavaScript's `$` does not match before "\n".
        ({"website": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"}, "website", ["Invalid UUID"]),
        ({"website": SITE + "\n"}, "website", ["Invalid UUID"]),
        # Number() reads ASCII digits only, and says "received number" for Infinity.
        ({"website": SITE, "timestamp": "\u0661"}, "timestamp", ["Invalid input: expected number, received NaN"]),
        ({"website": SITE, "timestamp": "infinity"}, "timestamp", ["Invalid input: expected number, received NaN"]),
        ({"website": SITE, "timestamp": "Infinity"}, "timestamp", ["Invalid input: expected number, received number"]),
    ],
)
async def test_each_invalid_field_gets_umamis_exact_body(client, app, payload, field, messages):
    r = await send(client, {"type": "event", "payload": payload})
    assert r.status_code == 400
    assert r.json() == payload_error(field, *messages)
    assert r.headers["content-type"].startswith("application/json")
    assert stored(app) == []


async def test_issues_come_in_the_schemas_order(client, app):
    # Umami's send schema: website, link, pixel, data, hostname, language, referrer, screen, title,
    # url, name, tag, ip, userAgent, timestamp, id, browser, os, device, then the web vitals.
    r = await send(
        client, {"type": "event", "payload": {"id": 5, "url": "//", "timestamp": "x", "hostname": "h" * 101, "data": 1}}
    )
    assert list(r.json()["error"]["properties"]["payload"]["properties"]) == [
        "data",
        "hostname",
        "url",
        "timestamp",
        "id",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"website": SITE.upper()},
        {"unknown": 1, "url": ""},
        {"timestamp": None},
        {"timestamp": ""},
        {"ip": "not-an-ip"},
        {"url": "android-app://com.google.android.gm/"},
        {"url": "javascript:alert(1)"},
        {"url": "mailto:a@b.c"},
        {"url": "/a b"},
    ],
)
async def test_inputs_umami_accepts(client, app, extra):
    r = await send(client, {**page(**extra), "extra": True})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"cache", "sessionId", "visitId"}


async def test_an_unknown_website_is_website_not_found(client, app):
    r = await send(client, page(website=UNKNOWN))
    assert r.status_code == 400
    assert r.json() == {"error": {"message": "Website not found.", "code": "bad-request", "status": 400}}


async def test_a_hostname_that_is_not_a_url_base_is_a_clean_400_not_a_500(client, app):
    r = await send(client, page(hostname="exa mple.com"))
    assert r.status_code == 400
    assert r.json() == payload_error("hostname", "Invalid hostname.")


async def test_what_umami_checks_before_building_urls_answers_first(client, app):
    # Umami looks the website up and checks for a bot before it builds a URL on the hostname.
    r = await send(client, page(website=UNKNOWN, hostname="exa mple.com"))
    assert r.json() == {"error": {"message": "Website not found.", "code": "bad-request", "status": 400}}
    r = await send(client, page(hostname="exa mple.com"), headers={"user-agent": GOOGLEBOT_UA})
    assert (r.status_code, r.json()) == (200, {"beep": "boop"})
    # identify builds no URL at all: the hostname is not a reason to refuse it.
    r = await send(client, {"type": "identify", "payload": {"website": SITE, "hostname": "exa mple.com", "id": "u1"}})
    assert r.status_code == 200 and set(r.json()) == {"cache", "sessionId", "visitId"}
    r = await batch(
        client,
        [page(hostname="exa mple.com", userAgent=GOOGLEBOT_UA), page(hostname="exa mple.com"), page()],
    )
    answer = r.json()
    assert (answer["processed"], answer["errors"]) == (2, 1)
    assert answer["details"] == [{"index": 1, "response": payload_error("hostname", "Invalid hostname.")}]
    assert [e["name"] for e in stored(app)] == ["$identify", "pageview"]


async def test_the_send_body_is_bounded(client, app):
    r = await send(client, page(data={"k": "v" * 200_000}))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload-too-large"


# -- timestamps ----------------------------------------------------------------------------------


async def test_a_timestamp_within_a_day_is_honoured(client, app):
    r = await send(client, page(timestamp=str(T0 // 1000 - 3600)))
    assert r.status_code == 200
    assert stored(app)[0]["timestamp"].timestamp() * 1000 == T0 - 3_600_000


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (-86_401, f"Too small: expected number to be >={T0 // 1000 - 86_400}"),
        (61, f"Too big: expected number to be <={T0 // 1000 + 60}"),
    ],
)
async def test_far_past_and_far_future_timestamps_are_refused_zod_style(client, app, offset, message):
    r = await send(client, page(timestamp=T0 // 1000 + offset))
    assert r.json() == payload_error("timestamp", message)
    assert stored(app) == []


# -- what is stored -------------------------------------------------------------------------------


async def test_a_pageview_is_stored_with_umamis_url_rules(client, app):
    r = await send(
        client,
        page(
            url="https://www.example.com/blog/post/?utm_source=news&utm_medium=email&gclid=abc123#top",
            referrer="https://www.google.com/search?q=umami",
            title="My%20Post",
            tag="spring",
        ),
    )
    assert r.status_code == 200
    [row] = stored(app)
    assert row["name"] == "pageview"
    assert row["protocol"] == "umami"
    assert row["site_id"] == SITE
    assert row["hostname"] == "example.com"
    assert row["pathname"] == "/blog/post/#top"  # Umami keeps the hash
    assert row["query"] == "utm_source=news&utm_medium=email&gclid=abc123"
    assert row["utm_source"] == "news"
    assert row["utm_medium"] == "email"
    assert row["click_id_param"] == "gclid"
    assert row["referrer_domain"] == "google.com"
    assert row["title"] == "My Post"
    assert row["screen"] == "1920x1080"
    assert row["language"] == "en-US"
    assert row["tag"] == "spring"
    assert row["browser"] and row["os"] and row["device"] == "desktop"


@pytest.mark.parametrize(
    ("extra", "pathname", "query", "hostname"),
    [
        ({"url": "/pricing?plan=pro", "hostname": "example.com"}, "/pricing", "plan=pro", "example.com"),
        ({"url": "docs/intro"}, "/docs/intro", "", "example.com"),
        ({"url": "/caf%C3%A9"}, "/café", "", "example.com"),
        ({"url": "https://shop.example.com/caf%C3%A9/%E0%A4%A"}, "/caf%C3%A9/%E0%A4%A", "", "example.com"),
        ({"url": "/%2Fencoded%3F?"}, "/%2Fencoded%3F", "", "example.com"),
        ({"url": "/a/../b/./c"}, "/b/c", "", "example.com"),
        ({"url": "\\foo\\bar"}, "/foo/bar", "", "example.com"),
        ({"url": "/p?x=ü y"}, "/p", "x=%C3%BC%20y", "example.com"),
        ({"url": "/p#ü"}, "/p#ü", "", "example.com"),
        ({"url": "HTTPS://WWW.EXAMPLE.COM/Path", "hostname": None}, "/Path", "", "example.com"),
        ({"url": "https://bücher.de/x", "hostname": None}, "/x", "", "xn--bcher-kva.de"),
        ({"url": None}, "", "", "example.com"),
        ({"url": ""}, "/", "", "example.com"),
        ({"url": "/x", "hostname": "example.com:8080"}, "/x", "", "example.com:8080"),
    ],
)
async def test_url_decomposition_vectors(client, app, extra, pathname, query, hostname):
    body = page(**extra)
    body["payload"] = {k: v for k, v in body["payload"].items() if v is not None}
    assert (await send(client, body)).status_code == 200
    [row] = stored(app)
    assert (row["pathname"], row["query"], row["hostname"]) == (pathname, query, hostname)


async def test_referrers_resolve_like_umamis_but_classify_like_every_dialect(client, app):
    # A relative referrer resolves against the page's host (Umami); a referral from the site itself
    # then counts as direct, as for every Footfall dialect (DESIGN: referrer columns).
    await send(client, page(referrer="/internal?x=1", hostname="example.com"))
    await send(client, page(referrer="android-app://com.google.android.gm/"), {"user-agent": IPHONE_UA})
    await send(client, page(referrer="https://www.news.example.org/a?b=1#frag"), {"user-agent": GOOGLEBOT_UA[:20]})
    rows = stored(app)
    assert (rows[0]["referrer"], rows[0]["referrer_domain"]) == ("", "")
    assert rows[1]["referrer_domain"] == "com.google.android.gm"
    assert rows[2]["referrer_domain"] == "news.example.org" and "#" not in rows[2]["referrer"]


async def test_a_custom_event_keeps_typed_nested_data_recoverably(client, app):
    data = {
        "plan": "pro",
        "price": 9.99,
        "qty": 3,
        "ok": True,
        "nothing": None,
        "tags": ["a", 1],
        "nested": {"x": {"y": "deep"}},
        "dot.key": 1,
        "flag": "true",
    }
    r = await send(client, page(name="signup", data=data))
    assert r.status_code == 200
    [row] = stored(app)
    assert row["name"] == "signup"
    props = dict(row["props"])
    assert props["plan"] == "pro" and props["nested.x.y"] == "deep" and props["price"] == "9.99"
    assert unflatten(props) == data


def test_the_props_encoding_round_trips_and_bounds():
    data = {"$x": "reserved prefix", "a\\b": {"c.d": [1, {"e": None}]}, "empty": {}, "n": -1.5e300}
    assert unflatten(flatten(data)) == data
    long = flatten({"s": "v" * 600, "k" * 600: 1, "arr": list(range(300))})
    assert len(long["s"]) == 500 and max(len(k) for k in long) == 500
    assert unflatten(long)["arr"] == json.dumps(list(range(300)), separators=(",", ":"))[:500]
    assert len(flatten({f"k{i}": i for i in range(500)})) == 101  # 100 leaves + the types key


async def test_long_utm_values_and_ids_are_cut_not_a_500(client, app):
    r = await send(client, page(url="/?utm_campaign=" + "c" * 5000, id="u" * 500))
    assert r.status_code == 200
    [row] = stored(app)
    assert 0 < len(row["utm_campaign"]) <= 2000 and len(row["distinct_id"]) == 200


async def test_utm_values_and_click_ids_take_the_first_value(client, app):
    await send(client, page(url="/p?utm_source=a&utm_source=b&UTM_SOURCE=c&utm_term=&fbclid=1&fbclid=2"))
    [row] = stored(app)
    assert (row["utm_source"], row["utm_term"], row["click_id_param"]) == ("a", "", "fbclid")
    assert row["query"] == "utm_source=a&utm_source=b&UTM_SOURCE=c&utm_term=&fbclid=1&fbclid=2"


async def test_performance_is_stored_as_a_non_pageview_row_with_typed_vitals(client, app):
    body = page(lcp=1234.5, cls=0.05, ttfb=80, duration=999)
    body["type"] = "performance"
    r = await send(client, body)
    assert r.status_code == 200
    [row] = stored(app)
    assert row["name"] == "$performance"
    assert unflatten(dict(row["props"])) == {"lcp": 1234.5, "cls": 0.05, "ttfb": 80.0}


async def test_payload_ip_and_user_agent_override_the_request(client, app):
    await send(client, page(ip="198.51.100.9", userAgent=IPHONE_UA))
    await send(client, page(), headers={"x-forwarded-for": "198.51.100.9", "user-agent": IPHONE_UA})
    rows = stored(app)
    assert rows[0]["device"] == "mobile"
    assert rows[0]["visitor_id"] == rows[1]["visitor_id"]


# -- ids and the cache token ----------------------------------------------------------------------


async def test_ids_are_stable_within_a_visit_and_change_with_the_visitor(client, app, clock: FakeClock):
    first = (await send(client, page())).json()
    clock.advance(minutes=5)
    second = (await send(client, page(url="/next"), {"x-umami-cache": first["cache"]})).json()
    third = (await send(client, page(url="/again"))).json()  # no token: the same ids, derived again
    assert first["sessionId"] == second["sessionId"] == third["sessionId"]
    assert first["visitId"] == second["visitId"] == third["visitId"]
    other = (await send(client, page(), {"user-agent": IPHONE_UA})).json()
    assert other["sessionId"] != first["sessionId"] and other["visitId"] != first["visitId"]
    clock.advance(minutes=31)
    later = (await send(client, page())).json()
    assert later["sessionId"] == first["sessionId"] and later["visitId"] != first["visitId"]
    rows = stored(app)
    assert len({r["session_id"] for r in rows[:3]}) == 1


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_the_token_is_an_hs256_jwt_signed_with_the_kept_secret(client, app):
    answer = (await send(client, page())).json()
    header, payload, signature = answer["cache"].split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    secret = app.meta.secret("umami_cache")
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature
    assert _claims(answer["cache"]) == {
        "websiteId": SITE,
        "sessionId": answer["sessionId"],
        "visitId": answer["visitId"],
        "iat": T0 // 1000,
    }


async def test_a_valid_token_for_the_same_visit_is_reused_and_keeps_its_iat(client, app, clock):
    token = (await send(client, page())).json()["cache"]
    clock.advance(minutes=10)
    again = (await send(client, page(name="click"), {"x-umami-cache": token})).json()
    assert again["cache"] == token
    clock.advance(minutes=10)
    fresh = (await send(client, page(name="click"))).json()["cache"]
    assert _claims(fresh)["iat"] == (T0 + 20 * 60_000) // 1000  # no token: a new chain


@pytest.mark.parametrize("kind", ["tampered", "foreign", "garbage", "json", "none-alg"])
async def test_a_bad_token_is_ignored_never_an_error(client, app, kind):
    good = (await send(client, page())).json()
    header, payload, signature = good["cache"].split(".")
    forged = _claims(good["cache"]) | {"visitId": "00000000-0000-0000-0000-000000000000", "iat": 1}
    forged_part = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    token = {
        "tampered": f"{header}.{forged_part}.{signature}",
        "foreign": TokenSigner(b"another server's secret").sign(
            TokenClaims(SITE, good["sessionId"], good["visitId"], 1)
        ),
        "garbage": "x" * 5000,
        "json": json.dumps(good),  # what a 2.x tracker sends back (it stores the whole response)
        "none-alg": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + forged_part + ".",
    }[kind]
    r = await send(client, page(), {"x-umami-cache": token})
    assert r.status_code == 200
    assert r.json()["visitId"] == good["visitId"]
    assert r.json()["cache"] != token and _claims(r.json()["cache"])["iat"] == T0 // 1000
    assert len(stored(app)) == 2


def test_hs256_matches_umamis_reference_token():
    # reference/umami.md §1.8: the token Umami signs with APP_SECRET=test-secret.
    key = hashlib.sha512(b"test-secret").hexdigest().encode()
    claims = TokenClaims(
        "b59e9c65-ae32-47f1-8400-119fcf4861c4",
        "d6539080-6465-5157-9391-b93057f72dfc",
        "6031044d-26d6-501c-9e4b-f238d15dc4ff",
        1742035333,
    )
    token = TokenSigner(key).sign(claims)
    assert token.endswith(".cTRqaWvBf2pIMwUALKfYQ7Ez5kSBFsfcIhCjD1zK5vw")
    assert TokenSigner(key).verify(token) == claims
    assert TokenSigner(b"other").verify(token) is None


async def test_the_secret_survives_a_restart(tmp_path: Path, clock: FakeClock):
    settings = Settings(data_dir=str(tmp_path / "d"))
    first = create_app(settings, clock=clock)
    secret = first.meta.secret("umami_cache")
    first.store.close()
    first.meta.close()
    second = create_app(settings, clock=clock)
    assert second.meta.secret("umami_cache") == secret
    second.store.close()
    second.meta.close()


# -- identify -----------------------------------------------------------------------------------


async def test_identify_sets_the_distinct_id_and_data_without_a_pageview(client, app):
    first = (await send(client, page())).json()
    r = await send(
        client,
        {"type": "identify", "payload": {**page()["payload"], "id": "user-42", "data": {"plan": "pro", "n": 2}}},
        {"x-umami-cache": ""},
    )
    assert r.status_code == 200
    assert r.json()["visitId"] == first["visitId"]
    rows = stored(app)
    assert [row["name"] for row in rows] == ["pageview", "$identify"]
    assert rows[1]["distinct_id"] == "user-42" and unflatten(dict(rows[1]["props"])) == {"plan": "pro", "n": 2}
    [visit] = stored(app, "sessions")
    assert visit["distinct_id"] == "user-42"
    assert visit["pageviews"] == 1 and visit["is_bounce"] is True  # identify is not engagement


# -- drops ---------------------------------------------------------------------------------------


async def test_a_bot_gets_beep_boop_and_nothing_is_stored(client, app):
    r = await send(client, page(), {"user-agent": GOOGLEBOT_UA})
    assert (r.status_code, r.json()) == (200, {"beep": "boop"})
    r = await send(client, page(userAgent="python-requests/2.31.0"))
    assert (r.status_code, r.json()) == (200, {"beep": "boop"})
    assert r.headers["x-footfall-dropped"] == "bot"
    assert stored(app) == []


async def test_a_bot_for_an_unknown_website_gets_website_not_found(client, app):
    r = await send(client, page(website=UNKNOWN), {"user-agent": GOOGLEBOT_UA})
    assert r.status_code == 400


async def test_an_ignored_ip_is_forbidden_but_a_bot_from_it_still_beeps(tmp_path: Path, clock: FakeClock):
    app = create_app(Settings(data_dir=str(tmp_path / "d"), ignore_ips="203.0.113.0/24"), clock=clock)
    app.meta.add_site("example.com", site_id=SITE, now_ms=clock())
    app.startup()
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await send(c, page())
            assert (r.status_code, r.json()) == (
                403,
                {"error": {"message": "Forbidden", "code": "forbidden", "status": 403}},
            )
            r = await send(c, page(), {"user-agent": GOOGLEBOT_UA})
            assert (r.status_code, r.json()) == (200, {"beep": "boop"})
        assert stored(app) == []
    finally:
        app.shutdown()
        app.store.close()
        app.meta.close()


# -- CORS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/send", "/api/batch"])
async def test_the_preflight_the_tracker_triggers_is_answered(client, app, path):
    r = await client.options(
        path,
        headers={
            "origin": "https://www.example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-umami-cache",
        },
    )
    assert r.status_code == 204
    assert {k: r.headers[k] for k in CORS} == CORS
    assert r.headers["allow"] == "OPTIONS, POST"


async def test_every_answer_carries_the_cors_headers(client, app):
    for response in (await send(client, page()), await send(client, {}), await send(client, page(website=UNKNOWN))):
        assert {k: response.headers[k] for k in CORS} == CORS


# -- batch ---------------------------------------------------------------------------------------


async def batch(client: httpx.AsyncClient, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/api/batch", content=raw, headers={**HEADERS, **(headers or {})})


async def test_an_empty_batch(client, app):
    r = await batch(client, [])
    assert r.json() == {"size": 0, "processed": 0, "errors": 0, "details": [], "cache": None}


async def test_a_mixed_batch_processes_every_good_item(client, app):
    items = [page(), page(website=UNKNOWN), {"type": "x"}, page(name="signup", url="/signup")]
    r = await batch(client, items)
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("size", "processed", "errors")} == {"size": 4, "processed": 2, "errors": 2}
    assert body["details"][0] == {
        "index": 1,
        "response": {"error": {"message": "Website not found.", "code": "bad-request", "status": 400}},
    }
    assert body["details"][1]["index"] == 2
    assert body["details"][1]["response"]["error"]["properties"]["type"] == {"errors": [TYPE_MESSAGE]}
    assert body["details"][1]["response"]["error"]["properties"]["payload"]["errors"] == [
        "Invalid input: expected object, received undefined"
    ]
    assert _claims(body["cache"])["websiteId"] == SITE
    assert [(r["name"], r["pathname"]) for r in stored(app)] == [("pageview", "/blog#top"), ("signup", "/signup")]


async def test_a_batch_uses_the_batch_requests_headers(client, app):
    r = await batch(client, [page(), page()], {"user-agent": "python-requests/2.31"})
    assert r.json() == {"size": 2, "processed": 2, "errors": 0, "details": []}  # all beeped: no cache key
    assert stored(app) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{}", {"errors": ["Invalid input: expected array, received object"]}),
        (b"nope", {"errors": ["Invalid input: expected array, received undefined"]}),
        (
            b'[{"type":"event"}, 5]',
            {"errors": [], "items": [None, {"errors": ["Invalid input: expected record, received number"]}]},
        ),
    ],
)
async def test_a_malformed_batch_is_refused_whole(client, app, raw, expected):
    r = await batch(client, raw)
    assert r.status_code == 400
    assert r.json() == bad(expected)
    assert stored(app) == []


async def test_a_batch_is_bounded_in_items_and_bytes(client, app):
    r = await batch(client, [{}] * 1001)
    assert r.status_code == 400
    assert r.json() == bad({"errors": ["Too big: expected array to have <=1000 items"]})
    r = await batch(client, [page(data={"k": "v" * 500})] * 1000 + [page(data={"k": "v" * 4_000_000})])
    assert r.status_code == 413
    assert stored(app) == []


# -- client IP (reference/umami.md §1.5) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "ip"),
    [
        ({"x-forwarded-for": "203.0.113.7, 10.0.0.1"}, "203.0.113.7"),
        ({"x-forwarded-for": " 203.0.113.7 ,10.0.0.1"}, "203.0.113.7"),
        ({"x-forwarded-for": "::ffff:203.0.113.7"}, "203.0.113.7"),
        ({"x-forwarded-for": "203.0.113.7:51234"}, "203.0.113.7"),
        ({"x-forwarded-for": "2001:DB8:0:0::1"}, "2001:db8::1"),
        ({"x-forwarded-for": "[2001:db8::1]:443"}, "2001:db8::1"),  # Umami keeps the brackets
        ({"x-forwarded-for": "unknown"}, "unknown"),
        ({"x-real-ip": "198.51.100.2", "x-forwarded-for": "203.0.113.7"}, "198.51.100.2"),
        ({"cf-connecting-ip": "192.0.2.9", "x-real-ip": "198.51.100.2"}, "192.0.2.9"),
        ({"true-client-ip": "192.0.2.1", "cf-connecting-ip": "192.0.2.9"}, "192.0.2.1"),
        ({"forwarded": "for=192.0.2.60;proto=http;by=203.0.113.43"}, "192.0.2.60"),
        ({"forwarded": 'for="[2001:db8:cafe::17]:4711"'}, "10.9.8.7"),  # unparsable: the peer
        ({}, "10.9.8.7"),
    ],
)
def test_client_ip_follows_umamis_header_order(headers, ip):
    assert umami_client_ip(headers, "::ffff:10.9.8.7") == ip


def test_a_configured_client_ip_header_wins():
    headers = {"x-my-ip": "192.0.2.77", "cf-connecting-ip": "192.0.2.9"}
    assert umami_client_ip(headers, "10.0.0.1", "X-My-IP") == "192.0.2.77"
    assert umami_client_ip({"cf-connecting-ip": "192.0.2.9"}, "10.0.0.1", "x-my-ip") == "192.0.2.9"


async def test_a_batch_whose_first_success_beeps_takes_the_cache_of_a_later_one(client, app):
    items = [page(userAgent="curl/8.4.0"), page()]
    body = (await batch(client, items)).json()
    assert (body["processed"], body["errors"]) == (2, 0)
    assert _claims(body["cache"])["websiteId"] == SITE
    assert len(stored(app)) == 1


def test_the_umami_snippet_names_the_website_id_and_this_server():
    site = Site(id=SITE, domain="example.com")
    snippet = snippets("https://stats.example.com", site)["Umami"]
    assert f'data-website-id="{SITE}"' in snippet and 'data-host-url="https://stats.example.com"' in snippet
