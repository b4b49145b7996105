"""The retention setting: stored events and visits past it are deleted by the running server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from footfall.app import Footfall, create_app
from footfall.ingest.retention import Retention
from footfall.settings import Settings

from conftest import CHROME_UA, FakeClock, stored

DAY = 86_400_000


@pytest.fixture
def kept_two_days(tmp_path: Path, clock: FakeClock) -> Iterator[Footfall]:
    settings = Settings(data_dir=str(tmp_path / "data"), flush_interval_ms=50, retention_days=2)
    application = create_app(settings, clock=clock)
    application.meta.add_site("example.com", now_ms=clock())
    application.startup()
    yield application
    application.shutdown()
    application.store.close()
    application.meta.close()


async def _pageview(client: httpx.AsyncClient, path: str) -> None:
    body = {"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}
    headers = {"content-type": "text/plain", "user-agent": CHROME_UA, "x-forwarded-for": "81.2.69.160"}
    assert (await client.post("/api/event", content=json.dumps(body), headers=headers)).status_code == 202


async def test_events_and_visits_past_the_retention_period_are_deleted(kept_two_days: Footfall, clock: FakeClock):
    app = kept_two_days
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await _pageview(client, "/day-0")
        assert [e["pathname"] for e in stored(app)] == ["/day-0"]
        clock.advance(minutes=36 * 60)
        await _pageview(client, "/day-1.5")
        # The hourly check ran with that flush; nothing was two days old yet.
        assert [e["pathname"] for e in stored(app)] == ["/day-0", "/day-1.5"]
        clock.advance(minutes=24 * 60)  # day 2.5: /day-0 is past two days, /day-1.5 is not
        await _pageview(client, "/day-2.5")
        assert [e["pathname"] for e in stored(app)] == ["/day-1.5", "/day-2.5"]
        assert [s["entry_page"] for s in stored(app, "sessions")] == ["/day-1.5", "/day-2.5"]
        metrics = (await client.get("/metrics")).text
    assert "footfall_rows_purged_total 2" in metrics  # the day-0 event and its visit


def test_a_retention_of_zero_keeps_everything() -> None:
    clock = FakeClock()
    keep = Retention(0, clock)
    clock.advance(minutes=10 * 365 * 24 * 60)
    assert keep.cutoff() is None


def test_the_check_runs_at_once_then_hourly() -> None:
    clock = FakeClock()
    retention = Retention(30, clock)
    assert retention.cutoff() == clock() - 30 * DAY
    clock.advance(minutes=59)
    assert retention.cutoff() is None
    clock.advance(minutes=1)
    assert retention.cutoff() == clock() - 30 * DAY
