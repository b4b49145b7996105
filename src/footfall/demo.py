"""`footfall demo`: realistic traffic for a site, sent through the real ingestion pipeline.

Hits go through `Ingestor.ingest` (bot checks, geo, user agent, referrer source and channel,
visitor ids, visits) with the clock advanced to each hit's time, never inserted directly, so the
demo data has exactly the shape real traffic has. Randomness comes from a seeded generator.

The mixes are plausible orders of magnitude, not measurements: page popularity follows Zipf's law,
referrers and UTM tags are the common ones, user agents are current real browser strings by rough
market share, countries are weighted by their number of internet users (ITU estimates, millions,
rounded), half the visits bounce and the rest view 2-8 pages.
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from footfall.model import Hit, Protocol, SiteKey

MS_PER_DAY = 86_400_000

# Internet users by country, millions (rounded ITU/World Bank orders of magnitude).
COUNTRY_USERS: dict[str, int] = {
    "CN": 1050, "IN": 880, "US": 310, "ID": 215, "BR": 180, "RU": 130, "NG": 120, "JP": 100,
    "MX": 100, "PK": 90, "PH": 85, "DE": 78, "VN": 78, "EG": 80, "TR": 72, "IR": 72, "GB": 66,
    "BD": 60, "FR": 60, "TH": 60, "IT": 51, "KR": 50, "ES": 45, "AR": 40, "CA": 36, "PL": 33,
    "ZA": 45, "CO": 38, "UA": 30, "AU": 24, "NL": 17, "SE": 10,
}  # fmt: skip

# Real user-agent strings with rough shares of web traffic.
USER_AGENTS: tuple[tuple[str, int], ...] = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Mobile Safari/537.36", 22),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", 17),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", 8),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", 6),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 5),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 4),
    ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", 3),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", 2),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", 1),
)  # fmt: skip

# (referrer URL, landing query string, weight)
REFERRERS: tuple[tuple[str, str, int], ...] = (
    ("", "", 38),
    ("https://www.google.com/", "", 27),
    ("https://www.bing.com/", "", 4),
    ("https://duckduckgo.com/", "", 2),
    ("https://m.facebook.com/", "", 4),
    ("https://t.co/", "", 3),
    ("https://www.reddit.com/r/webdev/", "", 3),
    ("https://www.linkedin.com/", "", 2),
    ("https://news.ycombinator.com/", "", 2),
    ("https://github.com/", "", 2),
    ("https://chatgpt.com/", "", 2),
    ("", "utm_source=newsletter&utm_medium=email&utm_campaign=weekly", 5),
    ("https://www.google.com/", "utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=demo", 4),
    ("https://www.producthunt.com/", "ref=producthunt", 1),
    ("https://dev.to/", "", 1),
)

SECTIONS = ("blog", "docs", "guides", "changelog")
TOP_PATHS = ("/", "/pricing", "/features", "/docs", "/blog", "/about", "/signup", "/contact", "/login")
PAGES_WEIGHTS = (0, 50, 15, 11, 8, 6, 4, 3, 3)  # index = pages in the visit: half bounce


class _Picker:
    """Weighted choice with precomputed cumulative weights (random.choices recomputes them)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float], rng: random.Random) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.rng = rng

    def __call__(self) -> Any:
        return self.items[bisect.bisect_right(self.cum, self.rng.random() * self.total)]


def zipf_paths(n: int = 300) -> list[str]:
    paths = list(TOP_PATHS)
    i = 0
    while len(paths) < n:
        paths.append(f"/{SECTIONS[i % len(SECTIONS)]}/{'post' if i % 4 == 0 else 'page'}-{i // len(SECTIONS) + 1}")
        i += 1
    return paths


def ip_pools(
    lookup: Callable[[str], Any], rng: random.Random, per_country: int = 24, budget: int = 300_000
) -> dict[str, list[str]]:
    """Public IPv4 addresses that the geo database in use places in each country (found by sampling)."""
    pools: dict[str, list[str]] = {c: [] for c in COUNTRY_USERS}
    for _ in range(budget):
        addr = ipaddress.IPv4Address(rng.getrandbits(32))
        if not addr.is_global or addr.is_multicast:
            continue
        country = getattr(lookup(str(addr)), "country", "")
        pool = pools.get(country)
        if pool is not None and len(pool) < per_country:
            pool.append(str(addr))
            if all(len(p) >= per_country for p in pools.values()):
                break
    return {c: p for c, p in pools.items() if p}


def _diurnal(rng: random.Random) -> float:
    """A time of day (fraction) with more traffic in the afternoon than at night."""
    while True:
        x = rng.random()
        if rng.random() < 0.35 + 0.65 * (1 - abs(x - 0.6) / 0.6):
            return x


def generate(
    ingest: Callable[[list[Hit]], None],
    set_clock: Callable[[int], None],
    domain: str,
    events: int,
    days: int,
    now_ms: int,
    geo_lookup: Callable[[str], Any],
    *,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Send about `events` hits spread over the last `days` days; returns how many were sent."""
    rng = random.Random(seed)
    pools = ip_pools(geo_lookup, rng)
    if not pools:
        raise RuntimeError("the geo database placed no sampled address in any country")
    country = _Picker(list(pools), [COUNTRY_USERS[c] for c in pools], rng)
    agent = _Picker([u for u, _ in USER_AGENTS], [w for _, w in USER_AGENTS], rng)
    source = _Picker([(r, q) for r, q, _ in REFERRERS], [w for _, _, w in REFERRERS], rng)
    paths = zipf_paths()
    page = _Picker(paths, [1 / (k + 1) ** 1.1 for k in range(len(paths))], rng)
    pages_in_visit = _Picker(list(range(len(PAGES_WEIGHTS))), PAGES_WEIGHTS, rng)
    first_day = now_ms - now_ms % MS_PER_DAY - (days - 1) * MS_PER_DAY

    def weekday_factor(day: int) -> float:
        return 0.75 if (first_day // MS_PER_DAY + day + 3) % 7 in (5, 6) else 1.07

    # About 2.44 pageviews, 1.95 engagements and 0.09 custom events per visit: ~4.48 hits a visit.
    # Today has only partly happened, so it gets its elapsed share of a day.
    today_share = (now_ms % MS_PER_DAY) / MS_PER_DAY
    weight = sum(weekday_factor(d) for d in range(days - 1)) + weekday_factor(days - 1) * max(today_share, 0.01)
    visits_per_day = max(1.0, events / 4.48 / weight)
    base = f"https://{domain}"
    sent = 0
    for day in range(days):
        count = max(1, round(visits_per_day * weekday_factor(day) * rng.uniform(0.95, 1.05)))
        span = MS_PER_DAY if day < days - 1 else max(1, now_ms % MS_PER_DAY)
        if day == days - 1:
            count = max(1, round(count * max(today_share, 0.01)))
        starts = sorted(first_day + day * MS_PER_DAY + int(_diurnal(rng) * span) for _ in range(count))
        for start in starts:
            if start > now_ms or sent >= events:
                break
            hits = _visit(rng, start, base, domain, country, pools, agent, source, page, pages_in_visit)
            set_clock(hits[0].timestamp_ms)
            ingest(hits)
            sent += len(hits)
            if progress is not None and sent % 100_000 < len(hits):
                progress(sent)
    return sent


def _visit(
    rng: random.Random,
    start: int,
    base: str,
    domain: str,
    country: _Picker,
    pools: dict[str, list[str]],
    agent: _Picker,
    source: _Picker,
    page: _Picker,
    pages_in_visit: _Picker,
) -> list[Hit]:
    pool = pools[country()]
    # Vary the last octet: the same /24 geolocates alike, and visitors become distinct.
    ip = pool[rng.randrange(len(pool))].rsplit(".", 1)[0] + f".{rng.randrange(1, 255)}"
    ua = agent()
    referrer, query = source()
    at = start
    hits: list[Hit] = []

    def hit(name: str, path: str, **extra: Any) -> Hit:
        return Hit(
            Protocol.PLAUSIBLE, SiteKey.DOMAIN, domain, at, name, ip, ua, hostname=domain, pathname=path, **extra
        )

    n_pages = pages_in_visit()
    for i in range(n_pages):
        path = page()
        first = i == 0
        hits.append(
            hit(
                "pageview",
                path,
                query=query if first else "",
                referrer=referrer if first else "",
                props={"author": f"author-{hash(path) % 5}"} if path.startswith("/blog/") else {},
            )
        )
        dwell = int(rng.expovariate(1 / 45_000)) + 2_000
        if rng.random() < 0.8:
            at += dwell
            hits.append(hit("engagement", path, engagement_ms=dwell, scroll_depth=min(100, int(rng.uniform(10, 130)))))
        at += rng.randrange(2_000, 30_000)
    if rng.random() < 0.03:
        hits.append(hit("Signup", "/signup", props={"plan": rng.choice(("free", "pro", "team"))}))
    if rng.random() < 0.06:
        hits.append(hit("Outbound Link: Click", hits[-1].pathname, props={"url": "https://github.com/"}))
    return hits


def run_demo(app: Any, domain: str, events: int, days: int, *, seed: int = 1, progress: Any = None) -> dict[str, Any]:
    """Fill `domain` on a started-but-threadless app; flush in large batches. Returns a summary."""
    flush_every = 100_000
    pending = [0]

    def ingest(hits: list[Hit]) -> None:
        app.ingestor.ingest(hits)
        pending[0] += len(hits)
        if pending[0] >= flush_every:
            app.buffer.flush()
            pending[0] = 0

    began = time.perf_counter()
    sent = generate(
        ingest, app.clock.set, domain, events, days, app.clock.real(), app.geo.lookup, seed=seed, progress=progress
    )
    app.buffer.flush()
    elapsed = time.perf_counter() - began
    return {"sent": sent, "seconds": elapsed, "rate": sent / elapsed if elapsed else 0.0}


class DemoClock:
    """The app's clock during a demo: set to each visit's time, so ingestion sees that moment."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms
        self._real = now_ms

    def __call__(self) -> int:
        return self.now

    def set(self, ms: int) -> None:
        self.now = ms

    def real(self) -> int:
        return self._real
