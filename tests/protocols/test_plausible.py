"""Plausible's Events API, behaviour by behaviour (reference/plausible.md §1)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from footfall.app import create_app
from footfall.settings import Settings

from conftest import CHROME_UA, GOOGLEBOT_UA, HEADLESS_UA, IPHONE_UA, T0, FakeClock, stored

EXAMPLE_ID = "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"
TEXT = {"content-type": "text/plain", "user-agent": CHROME_UA}


async def post(client: httpx.AsyncClient, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await client.post("/api/event", content=raw, headers={**TEXT, **(headers or {})})


def pageview(**extra: object) -> dict[str, object]:
    return {"n": "pageview", "u": "https://example.com/blog/post?x=1", "d": "example.com", "r": None, **extra}


# -- bad input first -------------------------------------------------------------------------

REQUEST_ERROR = {"errors": {"request": ["Unable to parse request body as json"]}}


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b'"<script>"', b"[1,2]", b"42", b"null", b'{"n": "pageview",}', b"\xff\xfe"],
)
async def test_text_plain_body_that_is_not_a_json_object_is_a_request_error(client, app, body):
    r = await post(client, body)
    assert r.status_code == 400
    assert r.json() == REQUEST_ERROR
    assert stored(app) == []


async def test_deeply_nested_json_is_a_request_error_not_a_crash(client):
    r = await post(client, b"[" * 100_000 + b"]" * 100_000)
    assert r.status_code == 400
    assert r.json() == REQUEST_ERROR
    r = await client.post("/api/event", content=b'{"p":' * 50_000, headers={"content-type": "application/json"})
    assert r.status_code == 400


async def test_body_over_one_megabyte_is_a_request_error(client, app):
    body = json.dumps(pageview(p={"k": "v" * 1_000_001}))
    r = await post(client, body)
    assert r.status_code == 400
    assert r.json() == REQUEST_ERROR


async def test_malformed_application_json_gets_phoenix_bad_request(client):
    r = await client.post("/api/event", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"status": 400, "message": "Bad Request"}


async def test_malformed_application_json_for_an_html_client_gets_an_html_page(client):
    r = await client.post(
        "/api/event", content=b"{bad", headers={"content-type": "application/json", "accept": "text/html"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")


async def test_application_json_array_fails_validation_like_an_empty_object(client):
    r = await client.post("/api/event", content=b"[1]", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {
        "errors": {"event_name": ["can't be blank"], "domain": ["can't be blank"], "url": ["is required"]}
    }


async def test_empty_object_lists_every_missing_field(client):
    r = await post(client, {})
    assert r.status_code == 400
    assert r.json() == {
        "errors": {"event_name": ["can't be blank"], "domain": ["can't be blank"], "url": ["is required"]}
    }
    assert list(r.json()["errors"]) == ["event_name", "domain", "url"]


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"n": ["pageview"]}, "event_name", "is invalid"),
        ({"n": {"a": 1}}, "event_name", "is invalid"),
        ({"n": 1.5}, "event_name", "is invalid"),
        ({"n": True}, "event_name", "is invalid"),
        ({"n": ""}, "event_name", "can't be blank"),
        ({"n": "   "}, "event_name", "can't be blank"),
        ({"n": "x" * 121}, "event_name", "should be at most 120 character(s)"),
        ({"u": 12}, "url", "must be a valid url"),
        ({"u": "https://example.com/" + "a" * 2000}, "url", "must be a valid url"),
        ({"u": "data:text/html,hi"}, "url", "scheme is not allowed"),
        ({"d": ""}, "domain", "can't be blank"),
        ({"d": "   "}, "domain", "can't be blank"),
        ({"h": True}, "hash_mode", "is invalid"),
        ({"h": 1.0}, "hash_mode", "is invalid"),
        ({"h": "yes"}, "hash_mode", "is invalid"),
        ({"h": "1\n"}, "hash_mode", "is invalid"),  # Integer.parse leaves the newline over
        ({"h": "\u0661"}, "hash_mode", "is invalid"),  # an Arabic-Indic 1 is not an integer to Elixir
        ({"p": {"k" * 301: "v"}}, "props", "keys should have at most 300 bytes and values 2000 bytes"),
        ({"p": {"k": "v" * 2001}}, "props", "keys should have at most 300 bytes and values 2000 bytes"),
    ],
)
async def test_invalid_field_gets_plausibles_error(client, app, patch, field, message):
    r = await post(client, pageview(**patch))
    assert r.status_code == 400, r.text
    assert r.json()["errors"][field] == [message]
    assert stored(app) == []


async def test_url_without_host_and_no_domain_is_a_blank_domain(client):
    r = await post(client, {"n": "pageview", "u": "/no/hostname"})
    assert r.status_code == 400
    assert r.json() == {"errors": {"domain": ["can't be blank"]}}


@pytest.mark.parametrize("e", [0, "5\n", "\u0665\u0665"])
async def test_engagement_needs_scroll_depth_or_time(client, e):
    r = await post(client, pageview(n="engagement", e=e))
    assert r.status_code == 400
    assert r.json() == {
        "errors": {
            "event_name": ["engagement event requires a valid integer value for at least one of 'sd' or 'e' fields"]
        }
    }


async def test_bad_percent_escapes_are_kept_raw_not_a_server_error(client, app):
    r = await post(client, pageview(u="https://example.com/%zz/%E0%A4%A?q=%zz#%zz", h=1))
    assert r.status_code == 202
    (event,) = stored(app)
    assert event["pathname"] == "/%zz/%E0%A4%A#%zz"


# -- drops: always 202, counted, and the reason visible --------------------------------------


async def test_unknown_domain_is_dropped_with_the_dropped_header(client, app):
    r = await post(client, pageview(d="unknown.net", u="https://unknown.net/"))
    assert r.status_code == 202
    assert r.text == "ok"
    assert r.headers["x-plausible-dropped"] == "1"
    assert r.headers["x-footfall-dropped"] == "not_found"
    assert stored(app) == []


@pytest.mark.parametrize("ua", [GOOGLEBOT_UA, HEADLESS_UA, "curl/8.5.0", "python-requests/2.32.3"])
async def test_bots_are_dropped(client, app, ua):
    r = await post(client, pageview(), headers={"user-agent": ua})
    assert r.status_code == 202
    assert r.headers["x-footfall-dropped"] == "bot"
    assert stored(app) == []


async def test_spam_referrer_is_dropped(tmp_path: Path, clock: FakeClock):
    spam = tmp_path / "spam.txt"
    spam.write_text("# local additions\nbest-seo-offer.example\n")
    application = create_app(Settings(data_dir=str(tmp_path / "d"), spam_list=str(spam)), clock=clock)
    application.meta.add_site("example.com", now_ms=clock())
    application.startup()
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await post(c, pageview(r="https://www.best-seo-offer.example/landing"))
            assert r.status_code == 202
            assert r.headers["x-footfall-dropped"] == "spam_referrer"
            assert stored(application) == []
    finally:
        application.shutdown()


async def test_ignored_ip_is_dropped(tmp_path: Path, clock: FakeClock):
    application = create_app(Settings(data_dir=str(tmp_path / "d"), ignore_ips="10.0.0.0/8, 192.0.2.1"), clock=clock)
    application.meta.add_site("example.com", now_ms=clock())
    application.startup()
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await post(c, pageview(), headers={"x-forwarded-for": "10.1.2.3"})
            assert r.headers["x-footfall-dropped"] == "ignored_ip"
            r = await post(c, pageview(), headers={"x-forwarded-for": "192.0.2.2"})
            assert "x-plausible-dropped" not in r.headers
    finally:
        application.shutdown()


async def test_engagement_without_a_visit_is_dropped(client, app):
    r = await post(client, pageview(n="engagement", e=1200))
    assert r.status_code == 202
    assert r.headers["x-footfall-dropped"] == "no_session_for_engagement"


async def test_drops_are_counted_on_metrics(client, app):
    await post(client, pageview(d="unknown.net"))
    await post(client, pageview(), headers={"user-agent": GOOGLEBOT_UA})
    await post(client, pageview())
    text = (await client.get("/metrics")).text
    assert 'footfall_events_dropped_total{site="",reason="not_found"} 1' in text
    assert 'footfall_events_dropped_total{site="example.com",reason="bot"} 1' in text
    assert 'footfall_events_accepted_total{site="example.com"} 1' in text


# -- the happy path ----------------------------------------------------------------------------


async def test_pageview_is_accepted_and_stored_with_enrichment(client, app):
    r = await post(
        client,
        pageview(
            u="https://www.example.com/blog/%D8%AC?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
            r="https://www.indiehackers.com/page?query=param#hash",
        ),
        headers={"x-forwarded-for": "81.2.69.142, 10.0.0.1"},
    )
    assert r.status_code == 202
    assert r.text == "ok"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "x-plausible-dropped" not in r.headers
    (e,) = stored(app)
    assert e["site_id"] == EXAMPLE_ID
    assert e["name"] == "pageview"
    assert e["protocol"] == "plausible"
    assert e["hostname"] == "example.com"
    assert e["pathname"] == "/blog/\u062c"
    assert e["referrer"] == "indiehackers.com/page"
    assert e["referrer_domain"] == "indiehackers.com"
    assert e["referrer_source"] == "newsletter"
    assert e["utm_source"] == "newsletter" and e["utm_medium"] == "email" and e["utm_campaign"] == "launch"
    assert e["channel"] == "Email"
    assert (e["browser"], e["os"], e["device"]) == ("Chrome", "Windows", "desktop")
    assert e["country"] == "GB"
    assert e["visitor_id"] != 0 and e["session_id"] != 0
    assert e["interactive"] is True


async def test_no_raw_ip_or_user_agent_is_stored(client, app):
    await post(client, pageview(), headers={"x-forwarded-for": "81.2.69.142"})
    rows = stored(app) + stored(app, "sessions")
    text = json.dumps(rows, default=str)
    assert "81.2.69.142" not in text
    assert "Mozilla" not in text and "Chrome/131" not in text


async def test_application_json_and_form_bodies_are_accepted(client, app):
    r = await client.post("/api/event", json=pageview(), headers={"user-agent": CHROME_UA})
    assert r.status_code == 202
    r = await client.post(
        "/api/event",
        data={"n": "Signup", "u": "https://example.com/join", "d": "example.com", "h": "1", "p": '{"plan":"pro"}'},
        headers={"user-agent": CHROME_UA},
    )
    assert r.status_code == 202
    events = stored(app)
    assert [e["name"] for e in events] == ["pageview", "Signup"]
    assert events[1]["props"] == {"plan": "pro"}


async def test_long_aliases_are_accepted(client, app):
    r = await post(
        client,
        {"name": "pageview", "url": "https://example.com/a", "domain": "example.com", "referrer": "https://t.co/x"},
    )
    assert r.status_code == 202
    assert stored(app)[0]["pathname"] == "/a"


async def test_false_and_null_fall_through_to_the_alias(client, app):
    r = await post(
        client, {"n": None, "name": "pageview", "u": False, "url": "https://example.com/b", "d": "example.com"}
    )
    assert r.status_code == 202
    assert stored(app)[0]["pathname"] == "/b"


async def test_domain_is_derived_from_the_url_when_absent(client, app):
    r = await post(client, {"n": "pageview", "u": "https://www.example.com/c"})
    assert r.status_code == 202
    assert stored(app)[0]["site_id"] == EXAMPLE_ID


async def test_file_url_without_domain_is_dropped_as_not_found(client):
    r = await post(client, {"n": "pageview", "u": "file:///home/me/index.html"})
    assert r.status_code == 202
    assert r.headers["x-plausible-dropped"] == "1"


async def test_comma_separated_domains_fan_out_to_each_site(client, app):
    r = await post(client, pageview(d="example.com, www.other.org ,unknown.net"))
    assert r.status_code == 202
    assert r.headers["x-plausible-dropped"] == "1"
    events = stored(app)
    assert len(events) == 2
    assert len({e["site_id"] for e in events}) == 2
    assert len({e["visitor_id"] for e in events}) == 2  # the site is part of the visitor hash


async def test_integer_event_name_becomes_a_string_and_404_gets_a_path_prop(client, app):
    r = await post(client, pageview(n=404, u="https://example.com/missing"))
    assert r.status_code == 202
    (e,) = stored(app)
    assert e["name"] == "404"
    assert e["props"] == {"path": "/missing"}


async def test_props_rules(client, app):
    props = {"b": 2, "a": True, "nested": {"x": 1}, "list": [1], "null": None, "blank": "  ", "f": 1.5}
    r = await post(client, pageview(n="Signup", p=props))
    assert r.status_code == 202
    # Nested values, nulls and whitespace-only values are dropped; scalars become strings.
    assert stored(app)[0]["props"] == {"a": "true", "b": "2", "f": "1.5"}


async def test_props_are_capped_at_thirty(client, app):
    r = await post(client, pageview(n="Many", p={f"k{i:02}": "v" for i in range(40)}))
    assert r.status_code == 202
    assert len(stored(app)[0]["props"]) == 30


async def test_props_given_as_json_string_and_legacy_meta(client, app):
    await post(client, pageview(n="A", p='{"plan":"pro"}'))
    await post(client, pageview(n="B", m='{"type":"meta"}'))
    await post(client, pageview(n="C", p="not json"))
    assert [e["props"] for e in stored(app)] == [{"plan": "pro"}, {"type": "meta"}, {}]


async def test_hash_mode_keeps_the_fragment(client, app):
    await post(client, pageview(u="https://example.com/#/pictures/one", h=1))
    await post(client, pageview(u="https://example.com/docs#intro", h="1"))
    await post(client, pageview(u="https://example.com/docs#intro"))
    assert [e["pathname"] for e in stored(app)] == ["/#/pictures/one", "/docs#intro", "/docs"]


async def test_trailing_whitespace_is_trimmed_from_the_path(client, app):
    await post(client, pageview(u="https://example.com/path%20"))
    assert stored(app)[0]["pathname"] == "/path"


async def test_referrer_is_truncated_not_rejected(client, app):
    r = await post(client, pageview(r="https://news.ycombinator.com/" + "x" * 3000))
    assert r.status_code == 202


@pytest.mark.parametrize(
    ("sd", "e", "scroll", "ms"),
    [(50, 1200, 50, 1200), (150, None, 100, 0), ("25", None, 25, 0), (-1, 900, None, 900), (None, "789", None, 789)],
)
async def test_engagement_fields_are_parsed_like_plausible(client, app, sd, e, scroll, ms):
    await post(client, pageview())
    body = pageview(n="engagement")
    if sd is not None:
        body["sd"] = sd
    if e is not None:
        body["e"] = e
    r = await post(client, body)
    assert r.status_code == 202 and "x-plausible-dropped" not in r.headers
    engagement = stored(app, where="WHERE name = 'engagement'")[0]
    assert engagement["scroll_depth"] == scroll
    assert engagement["engagement_ms"] == ms


async def test_non_interactive_event_does_not_end_a_bounce(client, app):
    await post(client, pageview())
    await post(client, pageview(n="Video Autoplay", i=False))
    (session,) = stored(app, "sessions")
    assert session["is_bounce"] is True
    await post(client, pageview(n="Click", interactive=True))
    (session,) = stored(app, "sessions")
    assert session["is_bounce"] is False


async def test_interactive_false_long_form_is_honoured(client, app):
    await post(client, pageview(n="Scroll", interactive=False))
    assert stored(app)[0]["interactive"] is False


async def test_tagged_source_and_click_id_give_paid_search(client, app):
    await post(client, pageview(u="https://example.com/?gclid=abc", r="https://www.google.com/"))
    e = stored(app)[0]
    assert e["referrer_source"] == "Google"
    assert e["click_id_param"] == "gclid"
    assert e["utm_medium"] == "(gclid)"
    assert e["channel"] == "Paid Search"


# -- visits ------------------------------------------------------------------------------------


async def test_a_visit_collects_pages_until_thirty_minutes_of_silence(client, app, clock):
    await post(client, pageview(u="https://example.com/", r="https://www.google.com/"))
    clock.advance(minutes=5)
    await post(client, pageview(u="https://example.com/pricing"))
    clock.advance(minutes=29)
    await post(client, pageview(u="https://example.com/signup"))
    (session,) = stored(app, "sessions")
    assert session["pageviews"] == 3
    assert session["entry_page"] == "/" and session["exit_page"] == "/signup"
    assert session["duration"] == 34 * 60
    assert session["is_bounce"] is False
    assert session["referrer_source"] == "Google"
    events = stored(app)
    assert len({e["session_id"] for e in events}) == 1
    assert all(e["referrer_source"] == "Google" for e in events)  # events inherit the visit's source

    clock.advance(minutes=31)
    await post(client, pageview(u="https://example.com/again"))
    sessions = stored(app, "sessions")
    assert len(sessions) == 2
    assert sessions[1]["is_bounce"] is True and sessions[1]["pageviews"] == 1


async def test_visitor_differs_by_ip_and_user_agent(client, app):
    await post(client, pageview(), headers={"x-forwarded-for": "198.51.100.1"})
    await post(client, pageview(), headers={"x-forwarded-for": "198.51.100.2"})
    await post(client, pageview(), headers={"x-forwarded-for": "198.51.100.2", "user-agent": IPHONE_UA})
    await post(client, pageview(), headers={"x-forwarded-for": "198.51.100.2", "user-agent": IPHONE_UA})
    assert len({e["visitor_id"] for e in stored(app)}) == 3


async def test_a_visit_continues_across_midnight_but_the_next_day_is_a_new_visitor(client, app, clock):
    clock.now = T0 + 11 * 3_600_000 + 50 * 60_000  # 23:50 UTC
    await post(client, pageview())
    clock.advance(minutes=20)  # 00:10, new salt
    await post(client, pageview(u="https://example.com/next"))
    events = stored(app)
    assert events[0]["session_id"] == events[1]["session_id"]
    assert events[0]["visitor_id"] == events[1]["visitor_id"]
    clock.advance(minutes=60)
    await post(client, pageview())
    assert stored(app)[2]["visitor_id"] != events[0]["visitor_id"]


async def test_old_salts_are_deleted(client, app, clock):
    for _ in range(4):
        await post(client, pageview())
        clock.advance(minutes=24 * 60)
    await post(client, pageview())
    assert len(app.meta.salt_days()) == 2


# -- HTTP details ------------------------------------------------------------------------------


async def test_cors_on_the_response_and_the_preflight(client):
    r = await post(client, pageview(), headers={"origin": "https://example.com"})
    assert r.headers["access-control-allow-origin"] == "*"
    r = await client.options(
        "/api/event",
        headers={"origin": "https://example.com", "access-control-request-method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "Content-Type" in r.headers["access-control-allow-headers"]


async def test_health(client):
    r = await client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"storage": "ok", "metadata": "ok", "writer": "ok"}


async def test_get_on_the_event_route_is_not_allowed(client):
    assert (await client.get("/api/event")).status_code == 405


async def test_a_site_added_while_running_is_found(client, app):
    r = await post(client, pageview(d="late.example", u="https://late.example/"))
    assert r.headers["x-plausible-dropped"] == "1"
    app.meta.add_site("late.example", now_ms=T0)
    app.ctx.sites._checked_at = -(10**9)  # the directory re-checks at most once a second
    r = await post(client, pageview(d="late.example", u="https://late.example/"))
    assert "x-plausible-dropped" not in r.headers


async def test_a_full_buffer_answers_503_and_stores_nothing_half(tmp_path: Path, clock: FakeClock):
    application = create_app(Settings(data_dir=str(tmp_path / "d"), buffer_max_rows=2, flush_rows=100), clock=clock)
    application.meta.add_site("example.com", now_ms=clock())
    application.meta.add_site("other.org", now_ms=clock())
    application.store.migrate()  # writer not started: the buffer only fills
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await post(c, pageview())).status_code == 202
        r = await post(c, pageview(d="example.com,other.org"))
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
    application.buffer.flush()
    assert stored(application) and len(stored(application)) == 1
