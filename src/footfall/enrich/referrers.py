"""Referrer classification (reference/plausible.md §1.16, §5.1).

Source names and the referer-parser database live in `sources`, the spam list in `spam`; their
public names are re-exported here, where callers have always imported them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from footfall.enrich.sources import (
    CUSTOM_HOSTS,
    CUSTOM_SHORTHANDS,
    MAX_REFERRER_LEN,
    MAX_SOURCE_LEN,
    RefererDatabase,
    RefererEntry,
    lookup_referer,
    normalise_source,
    referer_database,
    referrer_host,
    strip_www,
)
from footfall.enrich.spam import PACKAGED_SPAM_LISTS, SpamList, is_spam_referrer

__all__ = [
    "CUSTOM_HOSTS",
    "CUSTOM_SHORTHANDS",
    "MAX_REFERRER_LEN",
    "MAX_SOURCE_LEN",
    "NO_REFERRER",
    "PACKAGED_SPAM_LISTS",
    "RefererDatabase",
    "RefererEntry",
    "Referral",
    "ReferrerInfo",
    "SpamList",
    "classify_referrer",
    "is_spam_referrer",
    "lookup_referer",
    "normalise_source",
    "parse_referral",
    "referer_database",
]

_REFERRAL_SCHEMES = frozenset({"http", "https", "android-app"})
_ANDROID_PREFIX = "android-app://"


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
        return strip_www(self.host)

    @property
    def prefix(self) -> str:
        return _ANDROID_PREFIX if self.android_app else ""


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
    return strip_www(host.rstrip("."))


def parse_referral(referrer: str, page_hostname: str) -> Referral | None:
    """The referral, if `referrer` is one (§1.16): http(s) or android-app scheme, a host, not
    `localhost`, and not the page's own host (compared without `www.`, case-insensitively)."""
    parsed = referrer_host(referrer)
    if parsed is None:
        return None
    scheme, host, path = parsed
    if scheme not in _REFERRAL_SCHEMES or host == "localhost":
        return None
    if strip_www(host) == _page_host(page_hostname):
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
