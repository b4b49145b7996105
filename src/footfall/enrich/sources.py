"""Source names: the referer-parser database, Footfall's own name tables, and reading a referrer's host.

The Snowplow referer-parser database (`referer-parser` on PyPI, `referer_parser/data/referers.json`)
is read from the installed package at run time, never copied here: it names a referrer host
("Google", "Facebook") and gives it a medium (search, social, email).
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "CUSTOM_HOSTS",
    "CUSTOM_SHORTHANDS",
    "MAX_REFERRER_LEN",
    "MAX_SOURCE_LEN",
    "RefererDatabase",
    "RefererEntry",
    "lookup_referer",
    "normalise_source",
    "package_file",
    "referer_database",
    "referrer_host",
    "strip_www",
]

# Split out of referrers.py; the old logger name keeps operators' logging configuration matching.
log = logging.getLogger("footfall.enrich.referrers")

# Plausible stores at most this much of a referrer (Appendix A.9): cut, never refused.
MAX_REFERRER_LEN = 2000
MAX_SOURCE_LEN = 2000
# No DNS name is longer; a longer "host" is garbage and is not a referral.
_MAX_HOST_LEN = 253


# --------------------------------------------------------------------------------------------
# Helpers spam.py shares: they sit here, below referrers.py and spam.py, so no import goes in a circle.


def strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def package_file(package: str, name: str) -> Path | None:
    """The file ``name`` inside the installed ``package``; None when either is missing."""
    # find_spec locates the package without executing its __init__, so a package whose code needs
    # other libraries (a Django app, say) can still lend us its data file.
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / name
        if candidate.is_file():
            return candidate
    return None


def referrer_host(referrer: str) -> tuple[str, str, str] | None:
    """(scheme, host, path) of an absolute referrer URL, lower-case scheme and host; None if unparsable."""
    # Referrers repeat, and parsing costs ~1 µs on the ingestion path; long ones skip the cache so
    # a flood of unique huge strings cannot fill memory.
    return _referrer_host(referrer) if len(referrer) <= 2048 else _referrer_host.__wrapped__(referrer)


@lru_cache(maxsize=8192)
def _referrer_host(referrer: str) -> tuple[str, str, str] | None:
    text = referrer.strip()
    if not text:
        return None
    if len(text) > MAX_REFERRER_LEN:
        text = text[:MAX_REFERRER_LEN]
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        # Python rejects some hosts (unbalanced IPv6 brackets, bad characters after NFKC).
        return None
    host = host.rstrip(".")
    if not host or len(host) > _MAX_HOST_LEN:
        return None
    return parts.scheme, host, parts.path


# --------------------------------------------------------------------------------------------
# The referer-parser database


@dataclass(frozen=True, slots=True)
class RefererEntry:
    """One (host, path prefix) row of the referer-parser database."""

    host: str
    path: str
    name: str
    medium: str


# When one host is listed twice, a real medium beats "unknown"; otherwise file order decides.
_MEDIUM_RANK = {"search": 0, "social": 0, "email": 0, "paid": 0, "unknown": 1}


class RefererDatabase:
    """Referrer hosts indexed by exact host, matched by walking the referrer host's suffixes.

    Plausible matches "host ends with entry host" on raw strings, so `reddit.co` would match the
    entry `t.co`; we only match whole labels, which keeps its real matches and drops those accidents.
    """

    __slots__ = ("_by_host", "_names")

    def __init__(self, entries: Iterable[RefererEntry]) -> None:
        grouped: dict[str, list[tuple[int, int, RefererEntry]]] = {}
        names: dict[str, RefererEntry] = {}
        for order, entry in enumerate(entries):
            grouped.setdefault(entry.host, []).append((_MEDIUM_RANK.get(entry.medium, 0), order, entry))
            names.setdefault(entry.name, entry)
        by_host: dict[str, tuple[RefererEntry, ...]] = {}
        for host, rows in grouped.items():
            # Longer path prefixes first, so `google.com/products` wins over `google.com`.
            rows.sort(key=lambda row: (-len(row[2].path), row[0], row[1]))
            by_host[host] = tuple(row[2] for row in rows)
        self._by_host = by_host
        self._names = names

    @classmethod
    def from_snowplow(cls, data: Mapping[str, object]) -> RefererDatabase:
        """Build from the Snowplow JSON layout: {medium: {name: {"domains": [host[/path], ...]}}}."""
        return cls(_snowplow_entries(data))

    @classmethod
    def from_json_file(cls, path: Path) -> RefererDatabase:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
        return cls.from_snowplow(data if isinstance(data, dict) else {})

    def __len__(self) -> int:
        return len(self._by_host)

    def entries(self) -> Iterator[RefererEntry]:
        for rows in self._by_host.values():
            yield from rows

    def names(self) -> Iterator[tuple[str, str]]:
        """(name, medium) for every source name, each once (first medium seen)."""
        for name, entry in self._names.items():
            yield name, entry.medium

    def candidates(self, host: str) -> tuple[RefererEntry, ...]:
        """Entries that can match `host`, most specific host first."""
        found: list[RefererEntry] = []
        suffix = host
        while True:
            rows = self._by_host.get(suffix)
            if rows:
                found.extend(rows)
            dot = suffix.find(".")
            if dot < 0:
                return tuple(found)
            suffix = suffix[dot + 1 :]

    def lookup(self, host: str, path: str) -> RefererEntry | None:
        for entry in self.candidates(host):
            if path.startswith(entry.path):
                return entry
        return None


def _snowplow_entries(data: Mapping[str, object]) -> Iterator[RefererEntry]:
    for medium, sources in data.items():
        if not isinstance(sources, dict):
            continue
        for name, config in sources.items():
            # The shipped file has one malformed row (a source nested inside "Pocket"): read only
            # the "domains" key of each source and skip anything that is not the expected shape.
            domains = config.get("domains") if isinstance(config, dict) else None
            if not isinstance(name, str) or not isinstance(domains, list):
                continue
            for domain in domains:
                if not isinstance(domain, str) or not domain:
                    continue
                host, slash, path = domain.lower().partition("/")
                yield RefererEntry(host=host, path=slash + path, name=name, medium=str(medium))


@lru_cache(maxsize=1)
def referer_database() -> RefererDatabase:
    """The installed referer-parser database, loaded on first use."""
    path = package_file("referer_parser", "data/referers.json")
    if path is None:
        log.warning("referer-parser is not installed: referrers are classified by host only")
        return RefererDatabase(())
    return RefererDatabase.from_json_file(path)


@lru_cache(maxsize=4096)
def _candidates(host: str) -> tuple[RefererEntry, ...]:
    return referer_database().candidates(host)


def lookup_referer(host: str, path: str = "/") -> RefererEntry | None:
    """The database row for a (lower-case) referrer host and path, or None."""
    for entry in _candidates(host):
        if path.startswith(entry.path):
            return entry
    return None


# --------------------------------------------------------------------------------------------
# Source names: our own table on top of the database


# Hosts the database does not name (it predates them), plus a few it does name that people also type
# as utm_source (`utm_source=github.com` then reads "GitHub" too). Matched on the host and on its
# parent domains, so `fr.wikipedia.org` and `m.sogou.com` are covered. Written for Footfall.
CUSTOM_HOSTS: Mapping[str, str] = {
    "android-app://com.reddit.frontpage": "Reddit",
    "android-app://com.google.android.gm": "Gmail",
    "android-app://com.google.android.googlequicksearchbox": "Google",
    "android-app://com.linkedin.android": "LinkedIn",
    "android-app://org.telegram.messenger": "Telegram",
    "android-app://com.slack": "Slack",
    "android-app://com.discord": "Discord",
    "baidu.com": "Baidu",
    "bsky.app": "Bluesky",
    "chatgpt.com": "ChatGPT",
    "chat.openai.com": "ChatGPT",
    "discord.com": "Discord",
    "discordapp.com": "Discord",
    "linktr.ee": "Linktree",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "news.ycombinator.com": "Hacker News",
    "github.com": "GitHub",
    "ntp.msn.com": "Bing",
    "perplexity.ai": "Perplexity",
    "search.brave.com": "Brave",
    "slack.com": "Slack",
    "sogou.com": "Sogou",
    "statics.teams.cdn.office.net": "Microsoft Teams",
    "teams.microsoft.com": "Microsoft Teams",
    "teams.live.com": "Microsoft Teams",
    "t.me": "Telegram",
    "telegram.org": "Telegram",
    "threads.net": "Threads",
    "threads.com": "Threads",
    "tiktok.com": "TikTok",
    "wikipedia.org": "Wikipedia",
    "x.com": "Twitter",
    "ya.ru": "Yandex",
    "yandex.com.tr": "Yandex",
    "yandex.eu": "Yandex",
    "yandex.fr": "Yandex",
    "yandex.kz": "Yandex",
    "yandex.tm": "Yandex",
    "yandex.uz": "Yandex",
}

# What people type into utm_source for the big networks, mapped to the name the referrer would get.
CUSTOM_SHORTHANDS: Mapping[str, str] = {
    "fb": "Facebook",
    "fb-ads": "Facebook",
    "fbads": "Facebook",
    "fbad": "Facebook",
    "fcb": "Facebook",
    "facebook-ads": "Facebook",
    "facebook_ads": "Facebook",
    "facebook_ad": "Facebook",
    "facebook_feed_ad": "Facebook",
    "ig": "Instagram",
    "yt": "Youtube",
    "yt-ads": "Youtube",
    "reddit-ads": "Reddit",
    "adwords": "Google",
    "gads": "Google",
    "googleads": "Google",
    "google ads": "Google",
    "google-ads": "Google",
    "google_ads": "Google",
    "twitter-ads": "Twitter",
    "tiktokads": "TikTok",
    "tik.tok": "TikTok",
    "perplexity": "Perplexity",
    "linktree": "Linktree",
}


@lru_cache(maxsize=1)
def _name_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, _medium in referer_database().names():
        table.setdefault(name.lower(), name)
    for key, name in (*CUSTOM_HOSTS.items(), *CUSTOM_SHORTHANDS.items()):
        table[key.lower()] = name
    for name in (*CUSTOM_HOSTS.values(), *CUSTOM_SHORTHANDS.values()):
        table.setdefault(name.lower(), name)
    return table


def _custom_host(host: str) -> str:
    suffix = host
    while True:
        name = CUSTOM_HOSTS.get(suffix)
        if name is not None:
            return name
        dot = suffix.find(".")
        if dot < 0:
            return ""
        suffix = suffix[dot + 1 :]


@lru_cache(maxsize=4096)
def _normalise(candidate: str) -> str:
    lowered = candidate.lower()
    name = _name_table().get(lowered)
    if name is not None:
        return name
    # Host-like candidates (an unknown referrer host, or utm_source=fr.wikipedia.org) also match
    # our host table by parent domain; free text never does.
    if "." in lowered and "://" not in lowered and " " not in lowered:
        name = _custom_host(strip_www(lowered))
        if name:
            return name
    return candidate


def normalise_source(candidate: str) -> str:
    """Canonical source name: case-insensitive lookup of database names and our tables; otherwise the
    candidate unchanged, case kept (`Newsletter-UK` stays `Newsletter-UK`)."""
    if not candidate:
        return ""
    if len(candidate) > MAX_SOURCE_LEN:
        candidate = candidate[:MAX_SOURCE_LEN]
    return _normalise(candidate)
