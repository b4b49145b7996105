"""Referrer classification (reference/plausible.md §1.16, §5.1) and the referrer-spam list.

Two data files come from installed packages and are read at run time, never copied here:
- the Snowplow referer-parser database (`referer-parser` on PyPI, `referer_parser/data/referers.json`),
  which names a referrer host ("Google", "Facebook") and gives it a medium (search, social, email);
- a copy of Matomo's referrer-spam `spammers.txt`, when a package that ships one is installed
  (see `PACKAGED_SPAM_LISTS`); operators add their own file through the `spam_list` setting.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Plausible stores at most this much of a referrer (Appendix A.9): cut, never refused.
MAX_REFERRER_LEN = 2000
MAX_SOURCE_LEN = 2000
# No DNS name is longer; a longer "host" is garbage and is not a referral.
_MAX_HOST_LEN = 253

_REFERRAL_SCHEMES = frozenset({"http", "https", "android-app"})
_ANDROID_PREFIX = "android-app://"

# (importable package, file inside it) that may ship Matomo's spammers.txt; the first present is used.
# PyPI's django-blockreferralspam 0.0.1 (2015) is the only registry package found that carries the list.
PACKAGED_SPAM_LISTS: tuple[tuple[str, str], ...] = (("blockreferralspam", "spammers.txt"),)


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _package_file(package: str, name: str) -> Path | None:
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
    path = _package_file("referer_parser", "data/referers.json")
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
        name = _custom_host(_strip_www(lowered))
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


# --------------------------------------------------------------------------------------------
# Referrals


@dataclass(frozen=True, slots=True)
class ReferrerInfo:
    """What the store keeps about where a visit came from. All "" when not a valid referral and
    not tagged."""

    referrer: str = ""
    referrer_domain: str = ""
    source: str = ""


NO_REFERRER = ReferrerInfo()


@dataclass(frozen=True, slots=True)
class Referral:
    """A parsed external referrer: lower-case host (www kept, for database matching) and raw path."""

    android_app: bool
    host: str
    path: str

    @property
    def domain(self) -> str:
        return _strip_www(self.host)

    @property
    def prefix(self) -> str:
        return _ANDROID_PREFIX if self.android_app else ""


def _referrer_host(referrer: str) -> tuple[str, str, str] | None:
    """(scheme, host, path) of an absolute referrer URL, lower-case scheme and host; None if unparsable."""
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


def _page_host(page_hostname: str) -> str:
    host = page_hostname.strip().lower()
    # Umami stores the hostname as sent, port included; a referrer's host never has one.
    if host.startswith("["):
        end = host.find("]")
        if end > 0:
            host = host[1:end]
    else:
        name, colon, port = host.rpartition(":")
        if colon and port.isdigit() and ":" not in name:
            host = name
    return _strip_www(host.rstrip("."))


def parse_referral(referrer: str, page_hostname: str) -> Referral | None:
    """The referral, if `referrer` is one (§1.16): http(s) or android-app scheme, a host, not
    `localhost`, and not the page's own host (compared without `www.`, case-insensitively)."""
    parsed = _referrer_host(referrer)
    if parsed is None:
        return None
    scheme, host, path = parsed
    if scheme not in _REFERRAL_SCHEMES or host == "localhost":
        return None
    if _strip_www(host) == _page_host(page_hostname):
        return None
    return Referral(android_app=scheme == "android-app", host=host, path=path)


@lru_cache(maxsize=4096)
def _classify(referrer: str, page_hostname: str, tagged_source: str) -> ReferrerInfo:
    referral = parse_referral(referrer, page_hostname)
    if referral is None:
        return ReferrerInfo(source=normalise_source(tagged_source)) if tagged_source else NO_REFERRER
    domain = referral.domain
    stored = referral.prefix + domain + referral.path.rstrip("/")
    if tagged_source:
        # A tagged link names its source even when the browser also sent a referrer (§5.1 step 1).
        source = normalise_source(tagged_source)
    else:
        entry = lookup_referer(referral.host, referral.path)
        source = normalise_source(entry.name if entry is not None else referral.prefix + domain)
    return ReferrerInfo(referrer=stored, referrer_domain=domain, source=source)


def classify_referrer(referrer: str, page_hostname: str, tagged_source: str) -> ReferrerInfo:
    """Stored referrer, its domain and the source name (§1.16, §5.1). Never raises.

    `page_hostname` is the page's host (with or without `www.`); `tagged_source` is the first present
    of utm_source/source/ref, "" when absent (an empty tag therefore falls back to the referrer).
    """
    if len(referrer) > MAX_REFERRER_LEN:
        referrer = referrer[:MAX_REFERRER_LEN]
    if len(tagged_source) > MAX_SOURCE_LEN:
        tagged_source = tagged_source[:MAX_SOURCE_LEN]
    if not referrer and not tagged_source:
        return NO_REFERRER
    return _classify(referrer, page_hostname, tagged_source)


# --------------------------------------------------------------------------------------------
# Referrer spam


def _normalise_host(host: str) -> str:
    return _strip_www(host.strip().lower().rstrip("."))


def _hosts_from_lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if "://" in text:
            # Forgive a list written as URLs.
            parsed = _referrer_host(text)
            if parsed is None:
                continue
            text = parsed[1]
        host = _normalise_host(text)
        if not host:
            continue
        yield host
        # Browsers send internationalised hosts as punycode; lists often write them in Unicode.
        if not host.isascii():
            try:
                ascii_host = host.encode("idna").decode("ascii")
            except UnicodeError:
                continue
            yield ascii_host


@dataclass(frozen=True, slots=True)
class SpamList:
    """Referrer hosts whose traffic is dropped. Membership is exact on the host without `www.`
    (as Plausible does), case-insensitive."""

    hosts: frozenset[str] = frozenset()

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> SpamList:
        """One host per line; blank lines and '#' comments are ignored."""
        return cls(frozenset(_hosts_from_lines(lines)))

    @classmethod
    def from_files(cls, *paths: str | Path) -> SpamList:
        """Union of the given files. A missing or unreadable file raises OSError: it is configuration,
        and a typo there should stop startup rather than silently let spam through."""
        hosts: set[str] = set()
        for path in paths:
            with Path(path).open(encoding="utf-8", errors="replace") as handle:
                hosts.update(_hosts_from_lines(handle))
        return cls(frozenset(hosts))

    @classmethod
    def packaged(cls) -> SpamList:
        """The list shipped by an installed package (`PACKAGED_SPAM_LISTS`), empty when none is."""
        return _packaged_spam_list()

    @classmethod
    def default(cls, extra_files: Sequence[str | Path] = ()) -> SpamList:
        """The packaged list plus the operator's own files (the `spam_list` setting)."""
        packaged = _packaged_spam_list()
        if not extra_files:
            return packaged
        return packaged | cls.from_files(*extra_files)

    def __or__(self, other: SpamList) -> SpamList:
        return SpamList(self.hosts | other.hosts)

    def __len__(self) -> int:
        return len(self.hosts)

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str) or not host:
            return False
        if host in self.hosts:
            return True
        return _normalise_host(host) in self.hosts

    def is_spam_referrer(self, referrer_url: str) -> bool:
        """Whether the referrer URL's host is on this list. Never raises."""
        if not referrer_url or not self.hosts:
            return False
        parsed = _referrer_host(referrer_url)
        return parsed is not None and _strip_www(parsed[1]) in self.hosts


@lru_cache(maxsize=1)
def _packaged_spam_list() -> SpamList:
    for package, name in PACKAGED_SPAM_LISTS:
        path = _package_file(package, name)
        if path is not None:
            try:
                return SpamList.from_files(path)
            except OSError as exc:
                log.warning("cannot read the referrer-spam list %s: %s", path, exc)
    log.info("no packaged referrer-spam list is installed; only the spam_list setting applies")
    return SpamList()


def is_spam_referrer(referrer_url: str, spam: SpamList | None = None) -> bool:
    """Whether the referrer's host (www-stripped) is on `spam`, by default the packaged list."""
    return (spam if spam is not None else _packaged_spam_list()).is_spam_referrer(referrer_url)
