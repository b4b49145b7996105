"""The real Umami tracker in headless Chromium and the real @umami/node client, sending to
`footfall serve`; every event is checked in `footfall events export`.

The tracker comes from the npm package `umami` (the only release there is 2.10.0; Umami 3.x is not
published to the npm registry). Its `src/tracker/index.js` is fetched with `npm pack` (the npm
client, into the shared npm cache), not `npm install`: installing would pull the whole Umami app's
dependency tree (Next.js, Prisma) to read one file. No build step is needed: Umami's rollup config
only replaces the string "/api/send" with COLLECT_API_ENDPOINT (default "/api/send") and minifies,
so the source, served as is, is the script a default Umami build ships, minus minification.
This 2.x tracker sends a relative `url` and keeps the whole response text as its token, which
Footfall must accept (and ignore, as a foreign token) exactly as Umami 3 does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from support import NPM_CACHE, FootfallServer, npm_package, page_reached_from_a_link, unavailable

pytestmark = pytest.mark.e2e

WEBSITE = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
UMAMI_VERSION = "2.10.0"

PAGE = """<!doctype html><html><head><title>Blog post</title>
<script defer src="/script.js" data-website-id="%(website)s" data-host-url="%(api)s"></script>
</head><body><h1>Post</h1>
<button id=signup data-umami-event="signup" data-umami-event-plan="pro">Sign up</button>
</body></html>"""

NODE_CLIENT = """
const { Umami } = require(process.argv[1]);
const userAgent = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
  + 'Version/17.5 Safari/605.1.15';
const umami = new Umami({ websiteId: process.argv[2], hostUrl: process.argv[3], userAgent });
umami.track('server-signup', { plan: 'team', seats: 5, trial: false, meta: { source: 'api' } })
  .then(async (res) => { console.log(JSON.stringify({ status: res.status, body: await res.json() })); })
  .catch((err) => { console.error(err); process.exit(1); });
"""


def umami_tracker_source(version: str = UMAMI_VERSION) -> bytes:
    folder = NPM_CACHE / f"umami-pack@{version}"
    script = folder / "package" / "src" / "tracker" / "index.js"
    if not script.exists():
        if shutil.which("npm") is None:
            unavailable("npm is not installed")
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "pack", f"umami@{version}", "--pack-destination", str(folder)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            unavailable(f"npm pack umami@{version} failed: {result.stderr[-500:]}")
        with tarfile.open(folder / f"umami-{version}.tgz") as archive:
            archive.extract("package/src/tracker/index.js", folder, filter="data")
    return script.read_bytes()


def by_name(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["name"] == name]


def test_the_real_umami_tracker_and_node_client(tmp_path: Path) -> None:
    tracker = umami_tracker_source()
    node_client = npm_package("@umami/node@0.4.0") / "dist" / "index.js"
    if shutil.which("node") is None:
        unavailable("node is not installed")
    server = FootfallServer(tmp_path / "data")
    server.cli("sites", "add", "example.com", "--id", WEBSITE, "--data-dir", str(server.data_dir))
    server.start()
    try:
        pages = {
            "/blog/post": ("text/html", (PAGE % {"website": WEBSITE, "api": server.url}).encode()),
            "/script.js": ("text/javascript", tracker),
        }
        with page_reached_from_a_link(pages, "/blog/post?utm_source=newsletter") as page:
            answers: list[dict[str, Any]] = []

            def sent(response: Any) -> bool:
                if not response.url.endswith("/api/send") or response.request.method != "POST":
                    return False
                answers.append(response.json())
                return True

            with page.expect_response(sent) as pageview:
                page.click("#go")
            assert pageview.value.status == 200
            with page.expect_response(sent) as navigation:
                page.evaluate("history.pushState({}, '', '/docs/intro?tab=2')")
            assert navigation.value.status == 200
            with page.expect_response(sent) as click:
                page.click("#signup")
            assert click.value.status == 200
            with page.expect_response(sent) as identify:
                page.evaluate("umami.identify({ plan: 'pro', seats: 3 })")
            assert identify.value.status == 200
        result = subprocess.run(
            ["node", "-e", NODE_CLIENT, str(node_client), WEBSITE, server.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        node_answer = json.loads(result.stdout)
        time.sleep(0.6)  # more than one flush interval
        events = server.export("example.com")
    finally:
        output = server.stop()

    assert all(set(a) == {"cache", "sessionId", "visitId"} for a in answers), answers
    # One visitor, one visit: the same ids on every answer, although the 2.x tracker sends back
    # the whole JSON text as its token (ignored, never an error).
    assert len({(a["sessionId"], a["visitId"]) for a in answers}) == 1

    names = [e["name"] for e in events]
    assert names.count("pageview") == 2 and "signup" in names and "$identify" in names, (names, output)
    assert all(e["protocol"] == "umami" and e["site_id"] == WEBSITE for e in events)
    first, spa = by_name(events, "pageview")
    assert (first["hostname"], first["pathname"], first["query"]) == (
        "127.0.0.1",
        "/blog/post",
        "utm_source=newsletter",
    )
    assert first["utm_source"] == "newsletter"
    assert first["referrer_domain"] == "127.0.0.2"
    assert first["title"] == "Blog post"
    assert first["browser"] == "Chrome" and first["device"] == "desktop"
    assert first["screen"] and first["language"]
    assert (spa["pathname"], spa["query"]) == ("/docs/intro", "tab=2")
    assert spa["session_id"] == first["session_id"]

    [signup] = by_name(events, "signup")
    assert signup["props"] == {"plan": "pro"}
    assert signup["pathname"] == "/docs/intro"
    [ident] = by_name(events, "$identify")
    assert ident["props"]["plan"] == "pro" and ident["props"]["seats"] == "3"
    assert ident["session_id"] == first["session_id"]

    assert node_answer["status"] == 200 and set(node_answer["body"]) == {"cache", "sessionId", "visitId"}
    [server_signup] = by_name(events, "server-signup")
    assert server_signup["props"]["plan"] == "team"
    assert server_signup["props"]["meta.source"] == "api"
    assert json.loads(server_signup["props"]["$types"]) == {"seats": "n", "trial": "b"}
    assert server_signup["browser"] == "Safari" and server_signup["hostname"] == "localhost"
