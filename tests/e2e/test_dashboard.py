"""The dashboard in headless Chromium against a real `footfall serve`: sign in with the password the
first start printed, add a site, send events through the Plausible and Umami protocols, read the
numbers the page shows against the stats API, filter by clicking a source, take screenshots, and
check that an XSS corpus sent as tracker data never runs."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import FootfallServer, chromium_page

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
)
LOADED = "#dashboard[data-loaded]:not([data-loaded=''])"


def post(server: FootfallServer, path: str, body: dict[str, Any], ua: str, ip: str) -> int:
    req = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "text/plain", "user-agent": ua, "x-forwarded-for": ip},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def stats(server: FootfallServer, key: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        server.url + "/api/v2/query",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        result: dict[str, Any] = json.loads(r.read())
    return result


def admin_password(server: FootfallServer) -> str:
    """The password `footfall serve` printed once on first start."""
    assert server.proc is not None and server.proc.stdout is not None
    for line in server.proc.stdout:
        found = re.search(r"Dashboard login \(shown once\): user admin, password (\S+)", line)
        if found:
            return found.group(1)
    raise AssertionError("no admin password in the start-up output")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FootfallServer]:
    srv = FootfallServer(tmp_path / "data").start()
    try:
        yield srv
    finally:
        srv.stop()


def sign_in(page: Any, server: FootfallServer, password: str) -> None:
    page.goto(server.url + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=email]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/sites")


def add_site(page: Any, domain: str) -> None:
    page.fill("input[name=domain]", domain)
    page.select_option("select[name=timezone]", "UTC")
    page.click("text=Add site")
    page.wait_for_selector(f"a.site-name:text-is('{domain}')")


def wait_for_events(server: FootfallServer, key: str, site: str, expected: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        got = stats(server, key, {"site_id": site, "metrics": ["events"], "date_range": "day"})
        if got["results"][0]["metrics"][0] >= expected:
            return
        time.sleep(0.2)
    raise AssertionError("events did not reach the store")


def shown(page: Any, metric: str) -> str:
    return str(page.text_content(f".stat[data-metric={metric}] .stat-value")).strip()


def test_sign_in_add_a_site_see_its_numbers_and_filter_by_a_source(server: FootfallServer) -> None:
    password = admin_password(server)
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page() as page:
        sign_in(page, server, password)
        add_site(page, "shop.example")
        key = server.cli("keys", "create", "--site", "shop.example", "--data-dir", str(server.data_dir)).stdout.strip()

        referrers = ["https://www.google.com/", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", ""]
        sent = 0
        for visitor in range(12):
            ip = f"203.0.113.{visitor + 1}"
            ua = UAS[visitor % len(UAS)]
            ref = referrers[visitor % len(referrers)]
            for step, path in enumerate(["/", "/pricing", "/signup"][: 1 + visitor % 3]):
                body = {
                    "n": "pageview",
                    "u": f"https://shop.example{path}",
                    "d": "shop.example",
                    "r": ref if not step else "",
                }
                assert post(server, "/api/event", body, ua, ip) == 202
                sent += 1
            if visitor % 4 == 0:
                body = {"n": "Signup", "u": "https://shop.example/signup", "d": "shop.example", "p": {"plan": "pro"}}
                assert post(server, "/api/event", body, ua, ip) == 202
                sent += 1
            if visitor % 6 == 0:
                props = {"file": "guide.pdf", "plan": "free"}
                body = {"n": "Download", "u": "https://shop.example/", "d": "shop.example", "p": props}
                assert post(server, "/api/event", body, ua, ip) == 202
                sent += 1
        wait_for_events(server, key, "shop.example", sent)

        page.click("a.site-name:text-is('shop.example')")
        page.select_option("#period", "day")
        page.wait_for_selector(LOADED)
        page.wait_for_function("() => document.getElementById('dashboard').dataset.loaded !== ''")
        metrics = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"]
        api = stats(server, key, {"site_id": "shop.example", "metrics": metrics, "date_range": "day"})
        values = dict(zip(metrics, api["results"][0]["metrics"], strict=True))
        assert values["visitors"] == 12
        assert shown(page, "visitors") == "12"
        assert shown(page, "visits") == str(values["visits"])
        assert shown(page, "pageviews") == str(values["pageviews"])
        assert shown(page, "views_per_visit") == f"{values['views_per_visit']:.2f}"
        assert shown(page, "bounce_rate") == f"{round(values['bounce_rate'])}%"
        assert page.locator(".panel .error").count() == 0

        # Every panel drew rows from the API: pages and custom events.
        assert page.locator("#panel-pages .row .label", has_text="/pricing").count() == 1
        assert page.locator("#panel-events .row .label", has_text="Signup").count() == 1
        page.set_viewport_size({"width": 1366, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)

        # Custom properties: the keys seen are offered as chips, most visitors first; by keyboard too.
        page.click("#panel-events .tab:text-is('Properties')")
        page.wait_for_selector("#panel-events .prop-key[aria-pressed=true]:text-is('plan')")
        assert page.locator("#panel-events .prop-key").all_text_contents() == ["plan", "file"]
        assert page.locator("#panel-events .row .label").all_text_contents() == ["pro", "free"]
        page.focus("#panel-events .prop-key:text-is('file')")
        page.keyboard.press("Enter")
        page.wait_for_selector("#panel-events .prop-key[aria-pressed=true]:text-is('file')")
        page.wait_for_selector("#panel-events .row .label:text-is('guide.pdf')")
        assert page.evaluate("document.activeElement.textContent") == "file"
        assert "prop=file" in page.url
        page.locator("#panel-events").screenshot(path=str(ARTIFACTS / "dashboard-props.png"))

        # Realtime: a per-minute chart of the last 30 minutes, for visitors or pageviews.
        page.select_option("#period", "realtime")
        page.wait_for_selector(LOADED)
        page.wait_for_selector("#chart[aria-busy=false] .chart-svg")
        last_30 = "per minute, last 30 minutes (refreshed every 15 seconds)"
        assert page.text_content("#chart-title") == f"Unique visitors {last_30}"
        assert page.locator("#chart .dot").count() >= 30
        page.click(".stat[data-metric=pageviews]")
        page.wait_for_selector(f"#chart-title:text-is('Pageviews {last_30}')")
        page.wait_for_selector("#chart[aria-busy=false] .chart-svg")
        assert page.locator(".error").count() == 0
        page.screenshot(path=str(ARTIFACTS / "dashboard-realtime.png"), full_page=True)
        page.select_option("#period", "day")
        page.click(".stat[data-metric=visitors]")
        page.wait_for_selector(LOADED)

        # Click a source: the whole dashboard filters by it, shown as a removable chip.
        page.click("#panel-sources .tab:text-is('Sources')")
        page.click("#panel-sources .row:has-text('Google')")
        page.wait_for_selector(".chip-text:text-is('Source is Google')")
        page.wait_for_function("() => document.getElementById('dashboard').dataset.loaded !== ''")
        filtered = stats(
            server,
            key,
            {
                "site_id": "shop.example",
                "metrics": ["visitors", "pageviews"],
                "date_range": "day",
                "filters": [["is", "visit:source", ["Google"]]],
            },
        )
        g_visitors, g_pageviews = filtered["results"][0]["metrics"]
        assert g_visitors == 6
        assert shown(page, "visitors") == str(g_visitors) and shown(page, "pageviews") == str(g_pageviews)
        assert page.locator(".error").count() == 0
        assert "filters=" in page.url  # the filter is in the URL, so the view can be shared or reloaded

        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)

        page.click(".chip-remove")
        page.wait_for_function("() => !document.querySelector('.chip')")
        page.wait_for_function("() => document.getElementById('dashboard').dataset.loaded !== ''")
        assert shown(page, "visitors") == "12"

        # Keyboard: the period picker and the rows are reachable and usable without a mouse.
        page.focus("#panel-pages .row")
        page.keyboard.press("Enter")
        page.wait_for_selector(".chip-text:text-is('Page is /')")


XSS = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "javascript:window.__xss='href'",
    '"><iframe srcdoc="<script>parent.__xss=\'iframe\'</script>">',
    "'-alert(1)-'",
]


def test_an_xss_corpus_sent_as_tracker_data_is_shown_as_text_and_never_runs(server: FootfallServer) -> None:
    password = admin_password(server)
    site_id = server.cli("sites", "add", "xss.example", "--data-dir", str(server.data_dir)).stdout.strip()
    key = server.cli("keys", "create", "--site", "xss.example", "--data-dir", str(server.data_dir)).stdout.strip()
    ua = UAS[0]
    sent = 0
    for i, payload in enumerate(XSS):
        ip = f"198.51.100.{i + 1}"
        base = "https://xss.example/"
        # Plausible: the payload as a path, a referrer, an event name, a prop key and a prop value.
        pageview = {"n": "pageview", "u": base + payload, "d": "xss.example", "r": payload}
        custom = {"n": payload, "u": base, "d": "xss.example", "p": {"k": payload, payload: "v"}}
        assert post(server, "/api/event", pageview, ua, ip) == 202
        assert post(server, "/api/event", custom, ua, ip) == 202
        # Umami: the payload as a page title and a UTM source.
        umami = {
            "type": "event",
            "payload": {
                "website": site_id,
                "hostname": "xss.example",
                "url": f"/t{i}?utm_source={urllib.request.quote(payload)}",
                "title": payload,
                "referrer": f"https://{i}.evil.example/{payload}",
                "language": "en-US",
                "screen": "1280x720",
            },
        }
        assert post(server, "/api/send", umami, ua, ip) == 200
        sent += 3
    wait_for_events(server, key, "xss.example", sent)

    with chromium_page() as page:
        fired: list[str] = []
        page.on("dialog", lambda d: (fired.append(d.message), d.dismiss()))
        page.on("console", lambda m: fired.append(m.text) if "xss" in m.text.lower() else None)
        sign_in(page, server, password)
        page.goto(server.url + "/dashboard?site=xss.example&period=day&props=k")
        page.wait_for_function("() => document.getElementById('dashboard').dataset.loaded !== ''")
        # Visit every tab so every kind of row is drawn.
        for panel in ("pages", "sources", "locations", "devices", "events"):
            for i in range(page.locator(f"#panel-{panel} .tab").count()):
                page.locator(f"#panel-{panel} .tab").nth(i).click()
                page.wait_for_function(
                    f"() => document.getElementById('panel-{panel}').getAttribute('aria-busy') === 'false'"
                )
                page.wait_for_timeout(100)
        page.locator("#panel-pages .tab", has_text="Top pages").click()
        page.wait_for_function("() => document.getElementById('panel-pages').getAttribute('aria-busy') === 'false'")
        # The payloads are there, as text.
        labels = page.locator("#panel-pages .row .label").all_text_contents()
        assert any("<script>window.__xss" in label for label in labels), labels
        page.locator("#panel-pages .row", has_text="<img src=x").first.click()
        page.wait_for_function("() => document.getElementById('dashboard').dataset.loaded !== ''")
        page.wait_for_timeout(300)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-xss.png"), full_page=True)

        # A page filter rules out views per visit; the dashboard asks only for what the API can answer.
        assert page.locator(".error").count() == 0
        assert shown(page, "views_per_visit") == "–"
        assert page.evaluate("window.__xss") is None
        assert fired == []
        injected = page.evaluate(
            """() => ({
                inlineScripts: [...document.scripts].filter(s => !s.src).length,
                handlers: [...document.querySelectorAll('*')].filter(
                    el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
                frames: document.querySelectorAll('iframe, img[src="x"]').length,
                jsLinks: [...document.querySelectorAll('a[href]')].filter(a => /^javascript:/i.test(a.href)).length,
            })"""
        )
        assert injected == {"inlineScripts": 0, "handlers": 0, "frames": 0, "jsLinks": 0}


def test_every_period_and_chart_metric_renders_without_an_api_error(server: FootfallServer) -> None:
    password = admin_password(server)
    server.cli("sites", "add", "periods.example", "--data-dir", str(server.data_dir))
    body = {"n": "pageview", "u": "https://periods.example/", "d": "periods.example"}
    assert post(server, "/api/event", body, UAS[0], "192.0.2.1") == 202
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, server, password)
        page.goto(server.url + "/dashboard?site=periods.example")
        page.wait_for_selector(LOADED)
        for period in ("day", "yesterday", "7d", "month", "lastmonth", "12mo", "all", "custom", "realtime", "30d"):
            page.select_option("#period", period)
            page.wait_for_selector(LOADED)
            assert page.locator(".error").all_text_contents() == [], period
        for metric in ("visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"):
            page.click(f".stat[data-metric={metric}]")
            page.wait_for_selector(f".stat.selected[data-metric={metric}]")
            page.wait_for_selector("#chart[aria-busy=false] .chart-svg")
            assert page.locator(".error").all_text_contents() == [], metric
        assert errors == []
