"""Dashboard fixtures: sign in through the real forms; read CSRF tokens from pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from footfall.app import Footfall

PASSWORD = "correct horse battery staple"
EMAIL = "owner@example.com"


def csrf_of(page: str) -> str:
    found = re.search(r"name=csrf value='([^']+)'", page) or re.search(r"data-csrf='([^']*)'", page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, app: Footfall, email: str = EMAIL, password: str = PASSWORD) -> str:
    """Create the user, sign in through the login form; the CSRF token of the new session."""
    app.dashboard.accounts.set_password(email, password)
    page = await client.get("/login")
    r = await client.post("/login", data={"email": email, "password": password, "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/sites", r.text
    return csrf_of((await client.get("/sites")).text)


@pytest.fixture
async def owner(client: httpx.AsyncClient, app: Footfall) -> str:
    """Sign the client in; the session's CSRF token."""
    return await sign_in(client, app)


@pytest.fixture
def csrf_from() -> Callable[[str], str]:
    return csrf_of


@pytest.fixture(autouse=True)
def _directory_sees_fixture_sites(app: Footfall) -> None:
    # The shared app fixture adds its sites on the app's own metadata connection, which the site
    # directory's staleness check (PRAGMA data_version) cannot see.
    app.ctx.sites.reload()
