"""Medama's tracker protocol, behaviour by behaviour (reference/medama.md A.1, A.2)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from footfall.app import Footfall
from footfall.enrich.referrers import SpamList
from footfall.ingest.context import IpFilter
from footfall.model import Site
from footfall.protocols.medama import http_date, parse_http_date
from footfall.snippets import snippets

from conftest import CHROME_UA, GOOGLEBOT_UA, HEADLESS_UA, T0, FakeClock, stored

TEXT = {"content-type": "text/plain;charset=UTF-8", "user-agent": CHROME_UA, "accept-language": "en-GB,en;q=0.9"}
# An unregistered-looking but real browser UA whose browser the parser does not know: one unknown signal.
UNKNOWN_BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Foo/1.0"
MIDNIGHT = T0 - T0 % 86_400_000


@pytest.fixture
def medama(app: Footfall) -> Footfall:
    """The app with its sites: example.com, and other.org with the extra hostname blog.other.org."""
    return app


async def hit(
    client: httpx.AsyncClient, body: Any, headers: dict[str, str] | None = None, path: str = "/api/event/hit"
) -> httpx.Response:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await client.post(path, content=raw, headers={**TEXT, **(headers or {})})


def load(**extra: Any) -> dict[str, Any]:
    return {
        "e": "load",
        "b": "lq1x2y3z4abcdef",
        "u": "https://example.com/blog/post/?utm_source=news&utm_medium=email",
        "r": "",
        "p": True,
        "q": True,
        "t": "Europe/Berlin",
        **extra,
    }


def assert_medama_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


# -- bad input first -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"[1,2]", b"42", b"null", b'"load"', b"\xff\xfe", b'{"e":"unload","b":"x","m":5} {}'],
)
async def test_a_body_that_is_not_one_json_object_is_a_400(client, medama, raw):
    assert_medama_error(await hit(client, raw), 400)
    assert stored(medama) == []


async def test_malformed_application_json_is_a_400_too(client, medama):
    r = await hit(client, b'{"e":"load",', {"content-type": "application/json"})
    assert_medama_error(r, 400)


@pytest.mark.parametrize("body", [{}, {"b": "x", "u": "https://example.com/"}, {"e": "view", "b": "x"}, {"e": None}])
async def test_a_missing_or_unknown_discriminator_is_a_400(client, medama, body):
    assert_medama_error(await hit(client, body), 400)


@pytest.mark.parametrize("field", ["b", "u", "p", "q"])
async def test_a_load_without_a_required_field_is_a_400(client, medama, field):
    body = load()
    del body[field]
    message = assert_medama_error(await hit(client, body), 400)
    assert field in message
    assert stored(medama) == []


@pytest.mark.parametrize(
    "patch",
    [
        {"b": 12},
        {"b": None},
        {"u": 5},
        {"p": "true"},
        {"q": 1},
        {"r": 7},
        {"t": ["Europe/Berlin"]},
        {"d": []},
        {"d": "k=v"},
        {"d": {"k": 1.5}},
        {"d": {"k": None}},
        {"d": {"k": {"nested": "x"}}},
        {"d": {"k": 2**63}},
        {"b": "x" * 129},
    ],
)
async def test_a_load_with_a_wrong_type_is_a_400(client, medama, patch):
    assert_medama_error(await hit(client, load(**patch)), 400)
    assert stored(medama) == []


@pytest.mark.parametrize(
    "body",
    [
        {"e": "unload", "m": 1000},
        {"e": "unload", "b": "x"},
        {"e": "unload", "b": "x", "m": 0},
        {"e": "unload", "b": "x", "m": -5},
        {"e": "unload", "b": "x", "m": 1.5},
        {"e": "unload", "b": "x", "m": "1000"},
        {"e": "unload", "b": "x", "m": True},
        {"e": "unload", "b": "x", "m": 2**32},
        {"e": "unload", "b": 5, "m": 10},
    ],
)
async def test_an_unload_without_b_or_a_positive_integer_m_is_a_400(client, medama, body):
    assert_medama_error(await hit(client, body), 400)


async def test_a_custom_event_with_empty_d_is_invalid_custom_property(client, medama):
    r = await hit(client, {"e": "custom", "g": "example.com", "d": {}})
    assert assert_medama_error(r, 400) == "invalid custom property"


@pytest.mark.parametrize(
    "body",
    [
        {"e": "custom", "d": {"k": "v"}},
        {"e": "custom", "g": "example.com"},
        {"e": "custom", "g": 1, "d": {"k": "v"}},
        {"e": "custom", "g": "example.com", "d": {"k": 0.5}},
        {"e": "custom", "g": "example.com", "d": {f"k{i}": "v" for i in range(51)}},
        {"e": "custom", "g": "example.com", "d": {"k": "v" * 2001}},
    ],
)
async def test_a_custom_event_without_g_or_valid_d_is_a_400(client, medama, body):
    assert_medama_error(await hit(client, body), 400)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/page",
        "page",
        "https://exa mple.com/",
        "https://example.com:port/",
        "https://example.com/%zz",
        "https://example.com/a\x01b",
        "http://[::1/",
    ],
)
async def test_u_that_is_not_a_request_uri_is_a_400(client, medama, url):
    assert_medama_error(await hit(client, load(u=url)), 400)


@pytest.mark.parametrize(
    "referrer", ["https://exa mple.com/", "http://[::1", "https://ref.example/%zz", "https://ref.example/\x7f"]
)
async def test_an_unparsable_referrer_is_a_400(client, medama, referrer):
    assert_medama_error(await hit(client, load(r=referrer)), 400)


async def test_an_unparsable_referrer_waits_for_the_site_and_bot_checks(client, medama):
    bad = "https://ref.example/%zz"
    r = await hit(client, load(u="https://unknown.example/", r=bad))
    assert_medama_error(r, 404)
    r = await hit(client, load(r=bad), {"user-agent": GOOGLEBOT_UA})
    assert (r.status_code, r.headers["x-footfall-dropped"]) == (204, "bot")
    assert "referrer" in assert_medama_error(await hit(client, load(r=bad)), 400)
    assert stored(medama) == []


async def test_a_body_over_64_kib_is_a_400(client, medama):
    r = await hit(client, load(d={"k": "v" * 1000, "pad": "x" * 70_000}))
    assert_medama_error(r, 400)


async def test_another_content_type_is_415_as_upstream(client, medama):
    r = await hit(client, json.dumps(load()), {"content-type": "application/x-www-form-urlencoded"})
    assert_medama_error(r, 415)


async def test_no_valid_client_ip_is_a_400(medama):
    transport = httpx.ASGITransport(app=medama, client=("not-an-ip", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await hit(c, load(), {"x-forwarded-for": "garbage"})
        assert_medama_error(r, 400)
        r = await hit(c, load(), {"x-forwarded-for": "198.51.100.4"})
        assert r.status_code == 204


# -- unknown sites ----------------------------------------------------------------------------


async def test_a_load_for_an_unregistered_hostname_is_website_not_found(client, medama):
    r = await hit(client, load(u="https://unknown.example/"))
    assert r.status_code == 404
    assert r.json() == {"error": {"code": 404, "message": "website not found"}}
    assert stored(medama) == []


async def test_a_load_with_a_path_only_url_has_no_website(client, medama):
    r = await hit(client, load(u="/blog/post"))
    assert r.json() == {"error": {"code": 404, "message": "website not found"}}


async def test_a_custom_event_for_an_unregistered_group_is_website_not_found(client, medama):
    r = await hit(client, {"e": "custom", "g": "unknown.example", "d": {"k": "v"}})
    assert r.status_code == 404
    assert r.json() == {"error": {"code": 404, "message": "website not found"}}


# -- load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/json", "text/plain"])
@pytest.mark.parametrize("path", ["/api/event/hit", "/event/hit"])
async def test_a_load_is_stored_as_a_pageview(client, medama, content_type, path):
    body = load(d={"plan": "pro", "seats": 3, "trial": False}, r="https://news.ycombinator.com/item?id=1")
    r = await hit(client, body, {"content-type": content_type}, path=path)
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    (view,) = stored(medama)
    assert view["protocol"] == "medama"
    assert view["name"] == "pageview"
    assert view["hostname"] == "example.com"
    assert view["pathname"] == "/blog/post"  # one trailing slash removed
    assert view["query"] == "utm_source=news&utm_medium=email"
    assert (view["utm_source"], view["utm_medium"]) == ("news", "email")
    assert view["referrer_domain"] == "news.ycombinator.com"
    assert view["beacon_id"] == "lq1x2y3z4abcdef"
    assert view["is_unique_user"] is True and view["is_unique_page"] is True
    assert view["timezone"] == "Europe/Berlin"
    assert view["language"] == "en-GB"
    assert view["props"] == {"plan": "pro", "seats": "3", "trial": "false"}
    assert (view["browser"], view["device"]) == ("Chrome", "desktop")
    assert view["engagement_ms"] == 0


async def test_p_and_q_false_are_stored_as_sent(client, medama):
    await hit(client, load(p=False, q=False))
    (view,) = stored(medama)
    assert view["is_unique_user"] is False and view["is_unique_page"] is False


@pytest.mark.parametrize(
    ("url", "pathname", "query"),
    [
        ("https://example.com", "/", ""),
        ("https://example.com/", "/", ""),
        ("https://example.com//", "/", ""),
        ("https://EXAMPLE.com:8443/Docs/", "/Docs", ""),
        ("https://www.example.com/caf%C3%A9", "/café", ""),
        ("https://example.com/app#/settings", "/app#/settings", ""),
        ("https://example.com/app#!/inbox", "/app#!/inbox", ""),
        ("https://example.com/page#section-2", "/page", ""),
        ("https://example.com/?utm_source=x#frag", "/", "utm_source=x"),
    ],
)
async def test_url_to_pathname_and_query(client, medama, url, pathname, query):
    assert (await hit(client, load(u=url))).status_code == 204
    (view,) = stored(medama)
    assert (view["hostname"], view["pathname"], view["query"]) == ("example.com", pathname, query)


async def test_an_extra_hostname_of_a_site_is_found(client, medama):
    assert (await hit(client, load(u="https://blog.other.org/post"))).status_code == 204
    (view,) = stored(medama)
    assert view["hostname"] == "blog.other.org"


async def test_unknown_extra_keys_are_ignored(client, medama):
    assert (await hit(client, {**load(), "x": 1, "zz": [1, 2]})).status_code == 204


async def test_the_discriminator_may_come_last(client, medama):
    raw = '{"b":"k1","u":"https://example.com/","p":true,"q":false,"e":"load"}'
    assert (await hit(client, raw)).status_code == 204


# -- country: IP first, timezone second ---------------------------------------------------------


async def test_the_timezone_gives_the_country_when_the_ip_gives_none(client, medama):
    await hit(client, load(t="Asia/Tokyo"))  # 203.0.113.7 is a documentation address: no country
    (view,) = stored(medama)
    assert view["country"] == "JP"


async def test_a_legacy_timezone_alias_still_names_its_country(client, medama):
    await hit(client, load(t="Asia/Calcutta"))
    (view,) = stored(medama)
    assert view["country"] == "IN"


async def test_the_ip_country_wins_over_the_timezone(client, medama):
    await hit(client, load(t="Asia/Tokyo"), {"x-forwarded-for": "8.8.8.8"})
    (view,) = stored(medama)
    assert view["country"] == "US"
    assert view["timezone"] == "Asia/Tokyo"


async def test_utc_gives_no_country(client, medama):
    await hit(client, load(t="UTC"))
    (view,) = stored(medama)
    assert view["country"] == ""


# -- drops: bots, unknown signals, spam, ignored IPs --------------------------------------------


@pytest.mark.parametrize("ua", [GOOGLEBOT_UA, HEADLESS_UA, "curl/8.5.0"])
async def test_a_bot_is_dropped_with_204(client, medama, ua):
    r = await hit(client, load(), {"user-agent": ua})
    assert r.status_code == 204
    assert r.headers["x-footfall-dropped"] == "bot"
    assert stored(medama) == []


@pytest.mark.parametrize(
    ("ua", "zone", "accept_language", "kept"),
    [
        (CHROME_UA, "UTC", "en-US,en;q=0.5", True),  # one unknown: the zone
        (CHROME_UA, "UTC", "en-US;q=high", False),  # the zone and a malformed header
        (UNKNOWN_BROWSER_UA, "Europe/Berlin", "de", True),  # one unknown: the browser
        (UNKNOWN_BROWSER_UA, "Etc/GMT+2", "de", False),  # the browser and the zone
        (UNKNOWN_BROWSER_UA, "", "de", False),  # the browser and no zone
        (UNKNOWN_BROWSER_UA, "Europe/Berlin", "", True),  # an absent header is not a signal
        ("", "Europe/Berlin", "de", False),  # no user agent: browser, OS and device unknown
    ],
)
async def test_two_unknown_signals_drop_the_load(client, medama, ua, zone, accept_language, kept):
    r = await hit(client, load(t=zone), {"user-agent": ua, "accept-language": accept_language})
    assert r.status_code == 204
    assert len(stored(medama)) == (1 if kept else 0)
    if not kept:
        assert r.headers["x-footfall-dropped"] == "bot"


async def test_a_spam_referrer_is_dropped_with_204(client, medama):
    medama.ctx.spam = SpamList.from_lines(["spam-seo.example"])
    r = await hit(client, load(r="https://www.spam-seo.example/offer"))
    assert r.status_code == 204
    assert r.headers["x-footfall-dropped"] == "spam_referrer"
    assert stored(medama) == []


@pytest.mark.parametrize(
    "referrer",
    ["https://example.com/previous", "https://www.example.com/", "http://192.0.2.10/x", "http://[2001:db8::1]/"],
)
async def test_self_referrals_and_ip_referrers_are_not_referrers(client, medama, referrer):
    assert (await hit(client, load(u="https://example.com/next", r=referrer))).status_code == 204
    (view,) = stored(medama)
    assert (view["referrer"], view["referrer_domain"]) == ("", "")


async def test_an_ignored_ip_is_dropped_with_204(client, medama):
    medama.ctx.ignore_ips = IpFilter("198.51.100.0/24")
    r = await hit(client, load(), {"x-forwarded-for": "198.51.100.9"})
    assert r.status_code == 204
    assert r.headers["x-footfall-dropped"] == "ignored_ip"
    assert stored(medama) == []


@pytest.mark.parametrize(
    "body",
    [
        load(u="https://unknown.example/"),
        load(r="https://ref.example/%zz"),
        {"e": "custom", "g": "example.com", "d": {}},
    ],
)
async def test_an_ignored_ip_is_dropped_before_anything_else_is_checked(client, medama, body):
    medama.ctx.ignore_ips = IpFilter("198.51.100.0/24")
    r = await hit(client, body, {"x-forwarded-for": "198.51.100.9"})
    assert (r.status_code, r.headers["x-footfall-dropped"]) == (204, "ignored_ip")


async def test_d_may_be_left_out_of_a_load_but_not_null(client, medama):
    assert_medama_error(await hit(client, load(d=None)), 400)
    assert (await hit(client, load(d={}))).status_code == 204


@pytest.mark.parametrize(
    ("since", "body"),
    [("", b"0"), ("   ", b"0"), ("tue, 10 MAR 2026 00:00:00 GMT", b"1")],
)
async def test_ping_reads_if_modified_since_as_go_does(client, medama, since, body):
    # An empty header is no header; day and month names match in any case (time.Parse).
    r = await client.get("/api/event/ping", headers={"if-modified-since": since})
    assert (r.status_code, r.content) == (200, body)


async def test_a_full_buffer_answers_503_and_stores_nothing(client, medama):
    medama.buffer.max_rows = 0
    r = await hit(client, load())
    assert r.status_code == 503
    medama.buffer.max_rows = 1000
    assert stored(medama) == []


# -- client IP ----------------------------------------------------------------------------------


async def test_client_ip_headers_in_medamas_order(client, medama):
    await hit(client, load(b="a"), {"x-forwarded-for": "198.51.100.1, 10.0.0.1"})
    await hit(client, load(b="b"), {"x-forwarded-for": "not-an-ip", "x-real-ip": "198.51.100.1"})
    await hit(client, load(b="c"), {"cf-connecting-ip": "198.51.100.2"})
    await hit(client, load(b="d"))  # the socket peer
    a, b, c, d = stored(medama)
    assert a["visitor_id"] == b["visitor_id"]
    assert len({a["visitor_id"], c["visitor_id"], d["visitor_id"]}) == 3


# -- unload -------------------------------------------------------------------------------------


async def test_an_unload_adds_time_on_page_to_its_page_view_and_visit(client, medama, clock: FakeClock):
    await hit(client, load(b="page-1", u="https://example.com/a"))
    clock.advance(seconds=12)
    r = await hit(client, {"e": "unload", "b": "page-1", "m": 12_000})
    assert r.status_code == 204 and "x-footfall-dropped" not in r.headers
    view, engagement = stored(medama)
    assert engagement["name"] == "engagement"
    assert engagement["protocol"] == "medama"
    assert engagement["beacon_id"] == "page-1"
    assert engagement["pathname"] == "/a"
    assert engagement["engagement_ms"] == 12_000
    assert engagement["session_id"] == view["session_id"]
    (visit,) = stored(medama, "sessions")
    assert visit["engagement_ms"] == 12_000
    assert visit["duration"] == 12
    assert visit["pageviews"] == 1


async def test_unloads_across_pages_give_each_page_its_time(client, medama, clock: FakeClock):
    await hit(client, load(b="p1", u="https://example.com/a"))
    clock.advance(seconds=10)
    await hit(client, {"e": "unload", "b": "p1", "m": 10_000})
    await hit(client, load(b="p2", u="https://example.com/b", p=False))
    clock.advance(seconds=20)
    await hit(client, {"e": "unload", "b": "p2", "m": 20_000})
    rows = stored(medama)
    times = {(e["pathname"], e["engagement_ms"]) for e in rows if e["name"] == "engagement"}
    assert times == {("/a", 10_000), ("/b", 20_000)}
    (visit,) = stored(medama, "sessions")
    assert (visit["pageviews"], visit["duration"], visit["engagement_ms"]) == (2, 30, 30_000)
    assert (visit["entry_page"], visit["exit_page"]) == ("/a", "/b")


async def test_an_unload_for_an_unknown_beacon_is_204_and_stores_nothing(client, medama):
    r = await hit(client, {"e": "unload", "b": "never-seen", "m": 5000})
    assert r.status_code == 204
    assert r.headers["x-footfall-dropped"] == "unknown_beacon"
    assert stored(medama) == []


async def test_a_second_unload_for_the_same_page_view_adds_nothing(client, medama, clock: FakeClock):
    await hit(client, load(b="once"))
    clock.advance(seconds=5)
    await hit(client, {"e": "unload", "b": "once", "m": 5000})
    r = await hit(client, {"e": "unload", "b": "once", "m": 9000})
    assert r.headers["x-footfall-dropped"] == "unknown_beacon"
    (visit,) = stored(medama, "sessions")
    assert visit["engagement_ms"] == 5000


async def test_an_unload_needs_no_user_agent_or_same_ip(client, medama, clock: FakeClock):
    await hit(client, load(b="roam"))
    clock.advance(seconds=3)
    r = await hit(client, {"e": "unload", "b": "roam", "m": 3000}, {"user-agent": "", "x-forwarded-for": "192.0.2.99"})
    assert r.status_code == 204 and "x-footfall-dropped" not in r.headers
    assert [e["name"] for e in stored(medama)] == ["pageview", "engagement"]


async def test_time_on_page_is_cut_to_the_age_of_the_visit(client, medama, clock: FakeClock):
    await hit(client, load(b="forged"))
    clock.advance(seconds=10)
    await hit(client, {"e": "unload", "b": "forged", "m": 4_000_000_000})
    engagement = stored(medama)[1]
    assert engagement["engagement_ms"] == 15_000  # 10 s of visit plus 5 s of clock slack


async def test_an_unload_after_the_visit_ended_is_an_unknown_beacon(client, medama, clock: FakeClock):
    await hit(client, load(b="late"))
    clock.advance(minutes=31)
    r = await hit(client, {"e": "unload", "b": "late", "m": 31 * 60_000})
    assert r.headers["x-footfall-dropped"] == "unknown_beacon"
    assert len(stored(medama)) == 1


async def test_a_beacon_of_a_page_left_open_stays_known_while_its_visit_goes_on(client, medama, clock: FakeClock):
    await hit(client, load(b="reading", u="https://example.com/long-read"))
    for i in range(4):  # another tab keeps the visit alive for 40 minutes
        clock.advance(minutes=10)
        await hit(client, load(b=f"tab2-{i}", u="https://example.com/other", p=False))
    r = await hit(client, {"e": "unload", "b": "reading", "m": 40 * 60_000})
    assert "x-footfall-dropped" not in r.headers
    engagement = stored(medama)[-1]
    assert (engagement["pathname"], engagement["engagement_ms"]) == ("/long-read", 40 * 60_000)


async def test_an_unload_of_a_bot_page_view_finds_nothing(client, medama):
    await hit(client, load(b="crawler"), {"user-agent": GOOGLEBOT_UA})
    r = await hit(client, {"e": "unload", "b": "crawler", "m": 100})
    assert r.headers["x-footfall-dropped"] == "unknown_beacon"
    assert stored(medama) == []


# -- custom -------------------------------------------------------------------------------------


async def test_a_custom_event_joins_its_page_view_by_beacon_id(client, medama, clock: FakeClock):
    await hit(client, load(b="pv", u="https://example.com/pricing"))
    clock.advance(seconds=2)
    r = await hit(client, {"e": "custom", "b": "pv", "g": "example.com", "d": {"button": "buy", "qty": 2, "ok": True}})
    assert r.status_code == 204
    view, custom = stored(medama)
    assert custom["name"] == "custom"
    assert custom["protocol"] == "medama"
    assert custom["props"] == {"button": "buy", "qty": "2", "ok": "true"}
    assert custom["pathname"] == "/pricing"
    assert custom["beacon_id"] == "pv"
    assert custom["session_id"] == view["session_id"]


async def test_a_custom_event_without_a_beacon_has_no_page(client, medama):
    assert (await hit(client, {"e": "custom", "g": "www.example.com", "d": {"k": "v"}})).status_code == 204
    (custom,) = stored(medama)
    assert (custom["hostname"], custom["pathname"], custom["beacon_id"]) == ("example.com", "", "")


async def test_a_custom_event_after_the_unload_still_finds_its_page(client, medama, clock: FakeClock):
    await hit(client, load(b="pv2", u="https://example.com/docs"))
    clock.advance(seconds=1)
    await hit(client, {"e": "unload", "b": "pv2", "m": 1000})
    await hit(client, {"e": "custom", "b": "pv2", "g": "example.com", "d": {"k": "v"}})
    assert stored(medama)[-1]["pathname"] == "/docs"


# -- ping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/event/ping", "/event/ping"])
async def test_the_first_ping_of_the_day_is_unique(client, medama, path):
    r = await client.get(path, params={"u": "example.com/blog"})
    assert r.status_code == 200
    assert r.text == "0"
    assert r.headers["last-modified"] == http_date(MIDNIGHT) == "Tue, 10 Mar 2026 00:00:00 GMT"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["access-control-allow-origin"] == "*"


async def test_a_revalidation_from_today_is_not_unique_and_cached_until_midnight(client, medama):
    since = "Tue, 10 Mar 2026 00:00:00 GMT"
    r = await client.get("/api/event/ping", headers={"if-modified-since": since})
    assert r.status_code == 200
    assert r.text == "1"
    assert r.headers["last-modified"] == since
    assert r.headers["cache-control"] == "max-age=43200"  # T0 is noon


async def test_a_revalidation_from_yesterday_is_unique_again(client, medama):
    r = await client.get("/api/event/ping", headers={"if-modified-since": "Mon, 09 Mar 2026 00:00:00 GMT"})
    assert r.text == "0"
    assert r.headers["last-modified"] == "Tue, 10 Mar 2026 00:00:00 GMT"
    assert r.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "since",
    [
        "yesterday",
        "2026-03-10T00:00:00Z",
        "Tue, 10 Mar 2026 00:00:00 UTC",
        "Tue, 32 Mar 2026 00:00:00 GMT",
    ],
)
async def test_an_unparsable_if_modified_since_is_a_400(client, medama, since):
    r = await client.get("/api/event/ping", headers={"if-modified-since": since})
    assert_medama_error(r, 400)


async def test_the_ping_day_is_the_utc_day(client, medama, clock: FakeClock):
    r = await client.get("/api/event/ping")
    clock.advance(minutes=12 * 60 + 1)  # past midnight UTC
    r = await client.get("/api/event/ping", headers={"if-modified-since": r.headers["last-modified"]})
    assert r.text == "0"
    assert r.headers["last-modified"] == "Wed, 11 Mar 2026 00:00:00 GMT"


def test_http_dates_round_trip():
    assert parse_http_date(http_date(T0)) == T0
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777000
    assert parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT") is None
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") is None


# -- CORS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/event/hit", "/api/event/ping", "/event/hit", "/event/ping"])
async def test_a_preflight_is_answered_for_any_origin(client, medama, path):
    r = await client.options(
        path,
        headers={
            "origin": "https://example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "POST"
    assert r.headers["access-control-allow-headers"] == "content-type"


async def test_errors_carry_cors_headers_so_the_browser_can_read_them(client, medama):
    r = await hit(client, b"{", {"origin": "https://example.com"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_the_snippet_points_the_trackers_api_root_at_this_server():
    snippet = snippets("https://stats.example.org", Site(id="x", domain="example.com"))["Medama"]
    # The tracker builds `${location.protocol}//${data-api}/` and posts to `<that>event/hit`.
    assert 'data-api="stats.example.org/api"' in snippet
