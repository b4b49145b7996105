"""Shared fixtures: a controllable clock, a real app on a DuckDB file in a temp dir, a client."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from footfall.app import Footfall, create_app
from footfall.settings import Settings

# 2026-03-10T12:00:00Z: a fixed instant so salts, days and sessions are deterministic.
T0 = 1_773_144_000_000

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)


SITE_ID = "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"  # example.com's id in the app fixture


def umami_page(**extra: Any) -> dict[str, Any]:
    """A valid Umami /api/send body (a pageview of example.com), with `extra` payload fields."""
    payload = {
        "website": SITE_ID,
        "hostname": "www.example.com",
        "screen": "1920x1080",
        "language": "en-US",
        "title": "Blog",
        "url": "https://www.example.com/blog?utm_source=x#top",
        "referrer": "https://www.google.com/",
        **extra,
    }
    return {"type": "event", "payload": payload}


class FakeClock:
    def __init__(self, now_ms: int = T0) -> None:
        self.now = now_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, *, minutes: float = 0, seconds: float = 0, ms: int = 0) -> None:
        self.now += int(minutes * 60_000 + seconds * 1000) + ms


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=str(tmp_path / "data"), flush_interval_ms=50)


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> Iterator[Footfall]:
    application = create_app(settings, clock=clock)
    application.meta.add_site("example.com", site_id=SITE_ID, now_ms=clock())
    application.meta.add_site("other.org", hostnames=("blog.other.org",), now_ms=clock())
    application.startup()
    yield application
    application.shutdown()
    application.store.close()
    application.meta.close()


@pytest.fixture
async def client(app: Footfall) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def stored(app: Footfall, table: str = "events", where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Every row of a table (after flushing the buffer), as dicts."""
    assert app.buffer.flush()
    columns, rows = app.store.query(f"SELECT * FROM {table} {where} ORDER BY timestamp", params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def process_gone(pid: int, within_s: float = 10.0) -> bool:
    """Whether process `pid` has exited (and been reaped) within `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
