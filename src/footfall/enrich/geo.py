"""Country, region and city of a visitor's IP, offline.

Where the data comes from, best first (``open_geo``):

a. an ``.mmdb`` file the operator names (MaxMind GeoLite2/GeoIP2 City or Country, DB-IP's own
   files, or the ip-location-db packages); the layout is told from the records themselves;
b. the DB-IP City Lite files that ``install_geo_db`` (``footfall geo install``) put under
   ``<data_dir>/geo/`` or the shared cache directory;
c. the ``iptocc`` package: country only, from the registries' delegation files, shipped inside
   the wheel, so a bare ``pip install`` still fills the country column.

The raw IP is used for the lookup and dropped: nothing here writes it anywhere. The per-locator
LRU keeps recent addresses in process memory only, as the request handling already does.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

import iptocc
import maxminddb

from footfall.enrich.addresses import public_address
from footfall.enrich.geo_index import IndexBuild, V4Index, index_is_current, index_path
from footfall.enrich.geo_install import DBIP_LICENSE_FILE as DBIP_LICENSE_FILE
from footfall.enrich.geo_install import DBIP_PACKAGE, default_geo_dir, install_geo_db
from footfall.enrich.geo_install import DBIP_V4_FILE as DBIP_V4_FILE
from footfall.enrich.geo_install import DBIP_V6_FILE as DBIP_V6_FILE
from footfall.enrich.geo_records import LAYOUTS, NO_GEO, GeoError, GeoInfo, country_code, detect_layout
from footfall.enrich.regions import REGION_ALIASES, region_index

__all__ = [
    "DBIP_ATTRIBUTION",
    "DBIP_PACKAGE",
    "GeoError",
    "GeoInfo",
    "GeoLocator",
    "NO_GEO",
    "default_geo_dir",
    "install_geo_db",
    "open_geo",
]

log = logging.getLogger(__name__)

# CC BY 4.0 asks for credit and, on pages showing the results, a link to db-ip.com.
DBIP_ATTRIBUTION: Final = "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
MAXMIND_ATTRIBUTION: Final = (
    "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com"
)
IPTOCC_ATTRIBUTION: Final = "Country from the Regional Internet Registries' delegation files (via iptocc)"

# No textual IPv4/IPv6 address (with a zone id) is longer; anything longer is refused before it can
# reach the cache, so junk headers cannot grow memory.
_MAX_IP_TEXT = 64


# A lookup function gets the address already validated and normalised to text (IPv4 as dotted quad).
_Lookup = Callable[[str], GeoInfo]


@dataclass(slots=True)
class _Table:
    """One opened .mmdb file."""

    path: Path
    reader: maxminddb.Reader
    ip_version: int
    database_type: str
    layout: str
    size: int
    build_epoch: int

    @classmethod
    def open(cls, path: Path) -> _Table:
        try:
            reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise GeoError(f"cannot open geo database {path}: {exc}") from exc
        meta = reader.metadata()
        table = cls(
            path=path,
            reader=reader,
            ip_version=int(meta.ip_version),
            database_type=str(meta.database_type),
            layout="",
            size=path.stat().st_size,
            build_epoch=int(meta.build_epoch),
        )
        table.layout = detect_layout(reader, table.ip_version)
        if not table.layout:
            reader.close()
            raise GeoError(
                f"{path} is an .mmdb file but not a layout Footfall knows (MaxMind/DB-IP City or Country, "
                "or ip-location-db): no country in its records"
            )
        return table

    @property
    def build_date(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.build_epoch, dt.UTC).date()

    def lookup(self, addr: str) -> GeoInfo:
        return LAYOUTS[self.layout](self.reader.get(addr))


@dataclass(slots=True)
class _IndexPlan:
    """Where the compact IPv4 index of ``table`` lives (see geo_index.py)."""

    table: _Table
    target: Path

    def is_current(self) -> bool:
        return index_is_current(self.target, self.table.size, self.table.build_epoch, self.table.layout)


def _iptocc_lookup(addr: str) -> GeoInfo:
    return GeoInfo(country=country_code(iptocc.country_code(addr)))


class GeoLocator:
    """Looks IPs up in the chosen database. Thread-safe; ``lookup`` never raises."""

    # How often a lookup that misses the cache checks on an index being built (seconds).
    POLL_S = 1.0

    def __init__(
        self,
        *,
        v4: _Lookup,
        v6: _Lookup,
        source: str,
        attribution: str,
        tables: Iterable[_Table] = (),
        cache_size: int = 16384,
        index: _IndexPlan | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source  # for logs and the status page: which data answers
        self.attribution = attribution  # credit the data licence asks for; "" when none is needed
        self._v4 = v4
        self._v6 = v6
        self._tables = tuple(tables)
        self._cached: Callable[[str], GeoInfo] = functools.lru_cache(maxsize=cache_size)(self._lookup)
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._plan = index
        self._build: IndexBuild | None = None
        self._next_poll = 0.0
        self.v4_index: V4Index | None = None
        if index is not None:
            if index.is_current():
                self._adopt()
            else:
                self._build = IndexBuild.start(index.table.path, index.table.layout, index.target, now=time.time())
                if self._build is None and not IndexBuild.lock_of(index.target).exists():
                    self._plan = None  # it cannot be built here (logged); no other process is building it

    def lookup(self, ip: str) -> GeoInfo:
        """Geo of ``ip``; NO_GEO for garbage, private, loopback and other non-public addresses."""
        if not isinstance(ip, str) or len(ip) > _MAX_IP_TEXT:
            return NO_GEO
        return self._cached(ip)

    def _lookup(self, ip: str) -> GeoInfo:
        if self._plan is not None and self._monotonic() >= self._next_poll:
            self._poll()
        addr = public_address(ip.strip())
        if not addr:
            return NO_GEO
        try:
            return self._v6(addr) if ":" in addr else self._v4(addr)
        except (ValueError, maxminddb.InvalidDatabaseError):
            # A damaged file must cost the visitor's geo, never the event.
            log.warning("geo lookup failed in %s", self.source, exc_info=True)
            return NO_GEO

    def _poll(self) -> None:
        """Switch IPv4 to the index once it is built (here or by another process)."""
        with self._lock:
            self._next_poll = self._monotonic() + self.POLL_S
            if self._build is not None:
                finished = self._build.finished()
                if finished is None:
                    return
                self._build = None
                if not finished:
                    self._plan = None  # stay on the .mmdb file; the builder logged why
                    return
            if self._plan is not None and self._plan.is_current():
                self._adopt()

    def _adopt(self) -> None:
        plan = self._plan
        assert plan is not None
        self._plan = None
        try:
            index = V4Index(plan.target)
        except (OSError, ValueError):
            log.warning("cannot open the geo index %s; staying on the .mmdb file", plan.target, exc_info=True)
            return
        self.v4_index = index
        self._v4 = index.lookup
        if plan.table.ip_version == 4:
            # Nothing else reads this file: unmapping it is what takes its pages out of the server.
            plan.table.reader.close()
            self._tables = tuple(t for t in self._tables if t is not plan.table)
        self.source += "; IPv4 through its compact index"
        log.info("IPv4 geo lookups use the index %s", plan.target)

    def close(self) -> None:
        with self._lock:
            if self._build is not None:
                self._build.stop()
                self._build = None
            self._plan = None
            for table in self._tables:
                table.reader.close()
            self._tables = ()
            if self.v4_index is not None:
                self.v4_index.close()
                self.v4_index = None

    def __enter__(self) -> GeoLocator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GeoLocator({self.source!r})"


def _describe(table: _Table) -> tuple[str, str]:
    """(human name, attribution) for a user-supplied file, from its metadata and file name."""
    kind = table.database_type
    name = table.path.name.lower()
    if kind.startswith(("GeoLite2", "GeoIP2")) or "geolite2" in name:
        return f"MaxMind {kind}" if kind.startswith("Geo") else "MaxMind GeoLite2", MAXMIND_ATTRIBUTION
    if kind.lower().startswith("dbip") or "dbip" in name:
        return f"DB-IP {kind}", DBIP_ATTRIBUTION
    # Unknown origin: the operator who chose the file knows its licence; we cannot.
    return f"{kind or 'mmdb'} ({table.layout} layout)", ""


def _sibling(path: Path) -> Path | None:
    """The other half of an ip-location-db pair: foo-ipv4.mmdb <-> foo-ipv6.mmdb."""
    name = path.name
    for this, other in (("ipv4", "ipv6"), ("ipv6", "ipv4")):
        if this in name:
            candidate = path.with_name(name.replace(this, other))
            return candidate if candidate.is_file() else None
    return None


def _locator(tables: list[_Table], source: str, attribution: str, index_dir: Path | None) -> GeoLocator:
    """Route v4 to a table holding v4 data and v6 to one holding v6; iptocc covers a missing family.

    IPv4 goes through the compact index in ``index_dir`` once it exists (None: no index).
    """
    v4_table = next((t for t in tables if t.ip_version == 4), None) or next(
        (t for t in tables if "ipv6" not in t.path.name), None
    )
    v6_table = next((t for t in tables if t.ip_version == 6), None)
    v4: _Lookup = v4_table.lookup if v4_table else _iptocc_lookup
    v6: _Lookup = v6_table.lookup if v6_table else _iptocc_lookup
    gaps = [family for family, table in (("IPv4", v4_table), ("IPv6", v6_table)) if table is None]
    if gaps:
        source += f"; {' and '.join(gaps)} by iptocc (country only)"
        attribution = "; ".join(a for a in (attribution, IPTOCC_ATTRIBUTION) if a)
    plan = None
    if v4_table is not None and index_dir is not None:
        plan = _IndexPlan(v4_table, index_path(index_dir, v4_table.path))
    return GeoLocator(v4=v4, v6=v6, source=source, attribution=attribution, tables=tables, index=plan)


def _open_user_db(path: Path, index_dir: Path | None) -> GeoLocator:
    if not path.is_file():
        raise GeoError(f"geo database {path} does not exist or is not a file")
    tables = [_Table.open(path)]
    sibling = _sibling(path)
    if sibling is not None:
        try:
            tables.append(_Table.open(sibling))
        except GeoError:
            log.warning("ignoring %s next to %s: not a usable geo database", sibling, path, exc_info=True)
    for table in tables:
        _warm_regions(table)
    kind, attribution = _describe(tables[0])
    where = ", ".join(str(t.path) for t in tables)
    source = f"{kind}, built {tables[0].build_date.isoformat()}, at {where}"
    return _locator(tables, source, attribution, index_dir)


def _open_dbip_dir(directory: Path, index_dir: Path | None) -> GeoLocator:
    tables: list[_Table] = []
    try:
        for name in (DBIP_V4_FILE, DBIP_V6_FILE):
            if (directory / name).is_file():
                tables.append(_Table.open(directory / name))
    except GeoError:
        for table in tables:
            table.reader.close()
        raise
    for table in tables:
        _warm_regions(table)
    built = max(t.build_date for t in tables).isoformat()
    source = f"DB-IP City Lite (CC BY 4.0), built {built}, at {directory}"
    return _locator(tables, source, DBIP_ATTRIBUTION, index_dir)


def _warm_regions(table: _Table) -> None:
    # Name-only layouts map names through the pycountry index; build it at start-up, not on a request.
    if table.layout == "ip-location-db" or "dbip" in table.database_type.lower():
        region_index()


def _iptocc_only() -> GeoLocator:
    return GeoLocator(
        v4=_iptocc_lookup,
        v6=_iptocc_lookup,
        source="iptocc (country only; run `footfall geo install` for regions and cities)",
        attribution=IPTOCC_ATTRIBUTION,
    )


def open_geo(data_dir: Path, geo_db: str = "", *, build_index: bool = True) -> GeoLocator:
    """The best geolocation available: ``geo_db`` if given, else installed DB-IP files, else iptocc.

    A ``geo_db`` that cannot be used raises GeoError (the operator asked for it by name); a damaged
    installed database only logs a warning and falls through to the next choice. IPv4 lookups use
    the file's compact index (geo_index.py); without ``build_index`` a missing one is not built.
    An installed database keeps its index beside it (``footfall geo install`` builds it there); a
    user's own file, or a directory the server cannot write, keeps it under ``<data_dir>/geo-index``.
    """
    own_index_dir = data_dir / "geo-index"
    if geo_db.strip():
        return _open_user_db(Path(geo_db.strip()).expanduser(), own_index_dir if build_index else None)
    for directory in (data_dir / "geo", default_geo_dir()):
        if (directory / DBIP_V4_FILE).is_file() or (directory / DBIP_V6_FILE).is_file():
            index_dir = directory if os.access(directory, os.W_OK) else own_index_dir
            try:
                return _open_dbip_dir(directory, index_dir if build_index else None)
            except GeoError:
                log.warning("geo database in %s is unusable; trying the next source", directory, exc_info=True)
    return _iptocc_only()


# Names the region table and index had here before they moved to regions.py; the tests still use them.
_ALIASES = REGION_ALIASES
_region_index = region_index
