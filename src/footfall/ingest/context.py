"""What ingestion steps need from the outside world, passed in (never global): the clock, the
site directory, enrichment databases, salts, live visits, counters."""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from footfall.ingest.identity import SaltKeeper
from footfall.ingest.sessions import SessionStore
from footfall.model import DropReason, Site
from footfall.storage.meta import MetaStore, normalize_domain


class Geo(Protocol):
    def lookup(self, ip: str) -> object: ...


class SpamCheck(Protocol):
    def is_spam_referrer(self, referrer_url: str) -> bool: ...


class Metrics:
    """Counters behind GET /metrics: events accepted and dropped, per site and reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted_by_site: Counter[str] = Counter()
        self.dropped_by_reason: Counter[tuple[str, str]] = Counter()
        self.flushed_rows = 0
        self.flush_errors = 0
        self.purged_rows = 0  # events and visits deleted past the retention period
        self.unstorable_rows = 0  # left out by the store: a value no column can hold (a bug)

    def accepted(self, site: str) -> None:
        self.accepted_by_site[site] += 1

    def dropped(self, site: str, reason: DropReason) -> None:
        self.dropped_by_reason[(site, reason.value)] += 1


class SiteDirectory:
    """Sites by domain, id and hostname, cached; reloaded when the metadata store changed.

    `footfall sites add` in another process commits to SQLite; `PRAGMA data_version` tells us,
    and a miss re-checks at most every `recheck_ms` so a flood of unknown domains stays cheap.
    """

    def __init__(self, meta: MetaStore, clock: Callable[[], int], recheck_ms: int = 1000) -> None:
        self._meta = meta
        self._clock = clock
        self._recheck_ms = recheck_ms
        self._checked_at = -recheck_ms
        self._version: tuple[int, int] = (-1, -1)
        self.by_domain: dict[str, Site] = {}
        self.by_id: dict[str, Site] = {}
        self.by_hostname: dict[str, Site] = {}
        self.reload()

    def reload(self) -> None:
        self._version = self._meta.data_version()
        sites = self._meta.list_sites()
        self.by_domain = {s.domain: s for s in sites}
        self.by_id = {s.id: s for s in sites}
        by_host: dict[str, Site] = {}
        for site in sites:
            for host in site.all_hostnames():
                by_host.setdefault(host, site)
        self.by_hostname = by_host

    def _refresh_on_miss(self) -> bool:
        now = self._clock()
        if now - self._checked_at < self._recheck_ms:
            return False
        self._checked_at = now
        if self._meta.data_version() == self._version:
            return False
        self.reload()
        return True

    def _find(self, table: str, key: str) -> Site | None:
        site = getattr(self, table).get(key)
        if site is None and self._refresh_on_miss():
            site = getattr(self, table).get(key)
        return site  # type: ignore[no-any-return]

    def by_domain_name(self, domain: str) -> Site | None:
        return self._find("by_domain", normalize_domain(domain))

    def by_site_id(self, site_id: str) -> Site | None:
        return self._find("by_id", site_id.lower())

    def by_host(self, hostname: str) -> Site | None:
        return self._find("by_hostname", normalize_domain(hostname))


class IpFilter:
    """The ignore_ips setting: exact addresses and CIDR ranges."""

    def __init__(self, spec: str) -> None:
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in spec.split(","):
            item = item.strip()
            if item:
                self.networks.append(ipaddress.ip_network(item, strict=False))

    def __contains__(self, ip: object) -> bool:
        if not self.networks or not isinstance(ip, str):
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.networks)


@dataclasses.dataclass(slots=True)
class Context:
    clock: Callable[[], int]
    sites: SiteDirectory
    salts: SaltKeeper
    sessions: SessionStore
    geo: Geo
    spam: SpamCheck
    ignore_ips: IpFilter
    metrics: Metrics
