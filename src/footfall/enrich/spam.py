"""The referrer-spam list: hosts whose traffic is dropped.

A copy of Matomo's referrer-spam `spammers.txt` is read at run time, never copied here, when a
package that ships one is installed (see `PACKAGED_SPAM_LISTS`); operators add their own file
through the `spam_list` setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from footfall.enrich.sources import package_file, referrer_host, strip_www

__all__ = ["PACKAGED_SPAM_LISTS", "SpamList", "is_spam_referrer"]

# Split out of referrers.py; the old logger name keeps operators' logging configuration matching.
log = logging.getLogger("footfall.enrich.referrers")

# (importable package, file inside it) that may ship Matomo's spammers.txt; the first present is used.
# PyPI's django-blockreferralspam 0.0.1 (2015) is the only registry package found that carries the list.
PACKAGED_SPAM_LISTS: tuple[tuple[str, str], ...] = (("blockreferralspam", "spammers.txt"),)


def _normalise_host(host: str) -> str:
    return strip_www(host.strip().lower().rstrip("."))


def _hosts_from_lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if "://" in text:
            # Forgive a list written as URLs.
            parsed = referrer_host(text)
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
        parsed = referrer_host(referrer_url)
        return parsed is not None and strip_www(parsed[1]) in self.hosts


@lru_cache(maxsize=1)
def _packaged_spam_list() -> SpamList:
    for package, name in PACKAGED_SPAM_LISTS:
        path = package_file(package, name)
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
