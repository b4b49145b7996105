"""The dashboard's pages and their auth: sign-in, sites, delete, shared links, static files."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx
import pytest

from footfall.app import create_app
from footfall.settings import Settings

PASSWORD = "correct horse battery staple"
EMAIL = "owner@example.com"
STATIC = Path(__file__).parents[2] / "src" / "footfall" / "dashboard" / "static"


def set_cookies(r: httpx.Response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}


# -- signing in --------------------------------------------------------------------------------


async def test_the_root_sends_strangers_to_login_and_owners_to_their_sites(client, app, owner):
    assert (await client.get("/")).headers["location"] == "/sites"
    client.cookies.clear()
    r = await client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"


async def test_login_page_has_a_strict_csp_and_a_csrf_bound_cookie(client):
    r = await client.get("/login")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script" not in r.text and " style=" not in r.text
    pre = set_cookies(r)["footfall_pre"]
    assert "HttpOnly" in pre and "SameSite=Lax" in pre and "Secure" not in pre
    assert re.search(r"name=csrf value='[0-9a-f]{64}'", r.text)


async def test_a_correct_password_starts_an_httponly_session(client, app, csrf_from):
    app.dashboard.accounts.set_password(EMAIL, PASSWORD)
    token = csrf_from((await client.get("/login")).text)
    r = await client.post("/login", data={"email": EMAIL.upper(), "password": PASSWORD, "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/sites"
    session = set_cookies(r)["footfall_session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    assert (await client.get("/sites")).status_code == 200
    # Only a digest of the session token is stored.
    stored = app.meta.read("SELECT token_hash FROM login_sessions")
    assert len(stored) == 1 and client.cookies["footfall_session"] not in str(stored[0][0])


async def test_wrong_passwords_and_unknown_users_get_the_same_answer(client, app, csrf_from):
    app.dashboard.accounts.set_password(EMAIL, PASSWORD)
    token = csrf_from((await client.get("/login")).text)
    wrong = await client.post("/login", data={"email": EMAIL, "password": "nope nope nope", "csrf": token})
    unknown = await client.post("/login", data={"email": "who@x.org", "password": PASSWORD, "csrf": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert "footfall_session" not in set_cookies(wrong)


async def test_login_without_the_forms_csrf_token_is_refused(client, app):
    app.dashboard.accounts.set_password(EMAIL, PASSWORD)
    await client.get("/login")
    r = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf": "0" * 64})
    assert r.status_code == 403 and "footfall_session" not in set_cookies(r)


@pytest.mark.parametrize(
    "body, content_type",
    [(b"\xff\xfe", "application/x-www-form-urlencoded"), (b"{}", "application/json"), (b"a=" + b"x" * 20000, None)],
)
async def test_unreadable_login_forms_get_a_400_page(client, body, content_type):
    headers = {"content-type": content_type or "application/x-www-form-urlencoded"}
    r = await client.post("/login", content=body, headers=headers)
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]


async def test_login_is_rate_limited_per_address_even_for_the_right_password(client, app, csrf_from):
    app.dashboard.accounts.set_password(EMAIL, PASSWORD)
    token = csrf_from((await client.get("/login")).text)
    for i in range(10):
        r = await client.post("/login", data={"email": f"guess{i}@x.org", "password": "wrong-password", "csrf": token})
        assert r.status_code == 401
    r = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf": token})
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    app.clock.advance(minutes=16)  # type: ignore[attr-defined]
    r = await client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf": token})
    assert r.status_code == 303


async def test_session_cookies_are_secure_behind_an_https_public_url(tmp_path, clock, csrf_from):
    app = create_app(Settings(data_dir=str(tmp_path / "d"), public_url="https://stats.example.com"), clock=clock)
    app.startup()
    try:
        app.dashboard.accounts.set_password(EMAIL, PASSWORD)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            page = await c.get("/login")
            pre = set_cookies(page)["footfall_pre"]
            assert "Secure" in pre
            # The client keeps Secure cookies off plain http, so hand it back as the browser would over https.
            c.cookies.set("footfall_pre", pre.split(";", 1)[0].split("=", 1)[1])
            r = await c.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf": csrf_from(page.text)})
            assert "Secure" in set_cookies(r)["footfall_session"]
    finally:
        app.shutdown()
        app.store.close()
        app.meta.close()


async def test_sign_out_ends_the_session_everywhere(client, app, owner):
    cookie = client.cookies["footfall_session"]
    r = await client.post("/logout", data={"csrf": owner})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.set("footfall_session", cookie)  # a copy of the old cookie is worthless
    assert (await client.get("/sites")).headers["location"] == "/login"


async def test_the_first_admin_is_created_once_and_can_sign_in(app):
    password = app.dashboard.accounts.create_first_admin()
    assert password and len(password) >= 16
    assert app.dashboard.accounts.create_first_admin() is None
    assert app.dashboard.accounts.authenticate("admin", password) is not None
    stored = app.meta.read("SELECT password_hash FROM users")[0][0]
    assert str(stored).startswith("$argon2id$") and password not in str(stored)


async def test_a_new_password_ends_the_old_sessions(client, app, owner):
    app.dashboard.accounts.set_password(EMAIL, "another password 2")
    assert (await client.get("/sites")).headers["location"] == "/login"


# -- pages need a session ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/sites"),
        ("POST", "/sites"),
        ("GET", "/sites/delete?site=example.com"),
        ("POST", "/sites/delete"),
        ("POST", "/sites/shares"),
        ("POST", "/sites/shares/revoke"),
        ("GET", "/dashboard?site=example.com"),
        ("POST", "/logout"),
    ],
)
async def test_every_owner_page_sends_strangers_to_login(client, app, method, path):
    r = await client.request(method, path, data={"csrf": "x", "site": "example.com"} if method == "POST" else None)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert len(app.meta.list_sites()) == 2


@pytest.mark.parametrize(
    "path, data",
    [
        ("/sites", {"domain": "new.example", "timezone": "UTC"}),
        ("/sites/delete", {"site": "example.com", "confirm": "example.com"}),
        ("/sites/shares", {"site": "example.com"}),
        ("/logout", {}),
    ],
)
async def test_owner_forms_without_the_csrf_token_change_nothing(client, app, owner, path, data):
    r = await client.post(path, data={**data, "csrf": "f" * 64})
    assert r.status_code == 403
    assert [s.domain for s in app.meta.list_sites()] == ["example.com", "other.org"]
    assert app.dashboard.shares.for_site(app.meta.list_sites()[0].id) == []
    assert (await client.get("/sites")).status_code == 200


# -- sites ---------------------------------------------------------------------------------------


async def test_sites_page_lists_each_site_with_its_snippets(client, app, owner):
    r = await client.get("/sites")
    assert r.status_code == 200
    assert "example.com" in r.text and "other.org" in r.text
    assert "data-domain=&quot;example.com&quot;" in r.text  # the Plausible snippet, escaped into a <pre>
    assert r.headers["cache-control"] == "no-store"


async def test_adding_a_site_with_its_timezone(client, app, owner):
    r = await client.post("/sites", data={"domain": "WWW.New-Site.example", "timezone": "Europe/Berlin", "csrf": owner})
    assert r.status_code == 303
    site = app.meta.find_site("new-site.example")
    assert site is not None and site.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    "domain, timezone, status, message",
    [
        ("https://x.org/path", "UTC", 400, "Enter a domain"),
        ("<script>alert(1)</script>", "UTC", 400, "Enter a domain"),
        ("", "UTC", 400, "Enter a domain"),
        ("a" * 300 + ".org", "UTC", 400, "Enter a domain"),
        ("fine.org", "Mars/Olympus", 400, "Choose a timezone"),
        ("example.com", "UTC", 409, "registered already"),
    ],
)
async def test_bad_sites_are_refused_with_a_message(client, app, owner, domain, timezone, status, message):
    r = await client.post("/sites", data={"domain": domain, "timezone": timezone, "csrf": owner})
    assert r.status_code == status and message in r.text
    assert "<script>alert" not in r.text
    assert len(app.meta.list_sites()) == 2


async def test_deleting_a_site_needs_its_domain_typed_in(client, app, owner):
    site = app.meta.find_site("other.org")
    page = await client.get(f"/sites/delete?site={site.id}")
    assert page.status_code == 200 and "Delete other.org?" in page.text
    r = await client.post("/sites/delete", data={"site": site.id, "confirm": "example.com", "csrf": owner})
    assert r.status_code == 303 and app.meta.find_site("other.org") is not None
    app.dashboard.shares.create(site.id)
    r = await client.post("/sites/delete", data={"site": site.id, "confirm": "other.org", "csrf": owner})
    assert r.status_code == 303 and r.headers["location"] == "/sites?deleted=other.org"
    assert app.meta.find_site("other.org") is None
    assert app.dashboard.shares.for_site(site.id) == []
    assert "Deleted other.org." in (await client.get(r.headers["location"])).text


async def test_deleting_an_unknown_site_is_a_404_page(client, owner):
    assert (await client.get("/sites/delete?site=nope.org")).status_code == 404
    r = await client.post("/sites/delete", data={"site": "nope.org", "confirm": "nope.org", "csrf": owner})
    assert r.status_code == 404


# -- dashboards ----------------------------------------------------------------------------------


async def test_the_site_dashboard_is_a_shell_for_the_script(client, owner):
    r = await client.get("/dashboard?site=example.com")
    assert r.status_code == 200
    assert "data-site='example.com'" in r.text and "data-share=''" in r.text
    assert "<script type=module src=/static/dashboard.js></script>" in r.text
    assert re.search(r"data-csrf='[0-9a-f]{64}'", r.text)
    assert (await client.get("/dashboard?site=nope.org")).status_code == 404


async def test_a_shared_link_opens_a_read_only_dashboard_until_revoked(client, app, owner):
    site = app.meta.find_site("example.com")
    r = await client.post("/sites/shares", data={"site": site.id, "label": "<b>Board</b>", "csrf": owner})
    assert r.status_code == 303
    (link,) = app.dashboard.shares.for_site(site.id)
    sites_page = (await client.get("/sites")).text
    assert f"/share?t={link.token}" in sites_page and "&lt;b&gt;Board&lt;/b&gt;" in sites_page

    session = client.cookies["footfall_session"]
    client.cookies.clear()
    shared = await client.get(f"/share?t={link.token}")
    assert shared.status_code == 200
    assert f"data-share='{link.token}'" in shared.text and "data-csrf=''" in shared.text
    assert "Sign out" not in shared.text

    r = await client.post("/sites/shares/revoke", data={"site": site.id, "token": link.token, "csrf": owner})
    assert r.headers["location"] == "/login"
    assert (await client.get(f"/share?t={link.token}")).status_code == 200
    client.cookies.set("footfall_session", session)
    r = await client.post("/sites/shares/revoke", data={"site": site.id, "token": link.token, "csrf": owner})
    assert r.status_code == 303
    assert (await client.get(f"/share?t={link.token}")).status_code == 404
    assert (await client.get("/share?t=")).status_code == 404


# -- static files ----------------------------------------------------------------------------------


async def test_static_files_are_served_gzipped_with_etags(client):
    r = await client.get("/static/dashboard.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == (STATIC / "dashboard.js").read_bytes()  # httpx undoes the gzip
    again = await client.get("/static/dashboard.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = await client.get("/static/footfall.css", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/nope.js")).status_code == 404


def test_no_script_writes_html_from_strings():
    # Tracker data reaches the page only as text; a later edit that reaches for innerHTML (or
    # document.write / insertAdjacentHTML) would open the door the CSP is the last guard of.
    for script in STATIC.glob("*.js"):
        source = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{script.name} uses {sink}"


def test_gzip_of_every_static_file_stays_small():
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.iterdir() if p.is_file())
    assert total < 150_000


async def test_every_dashboard_page_carries_the_csp_and_no_inline_script(client, app, owner):
    site = app.meta.find_site("example.com")
    link = app.dashboard.shares.create(site.id)
    for path in ("/sites", "/dashboard?site=example.com", f"/sites/delete?site={site.id}", f"/share?t={link.token}"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert re.findall(r"<script(?![^>]*\bsrc=)", r.text) == [], path
        assert " style=" not in r.text and " onclick" not in r.text.lower(), path


async def test_the_deleted_notice_only_echoes_a_domain(client, owner):
    assert "Deleted shop.example." in (await client.get("/sites?deleted=shop.example")).text
    r = await client.get("/sites?deleted=Your+account+is+locked,+call+555")
    assert "Deleted" not in r.text and "locked" not in r.text
