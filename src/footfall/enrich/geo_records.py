"""What a geo database's records say, as a ``GeoInfo``: the .mmdb record layouts Footfall reads and
how a file's layout is told from its records."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import maxminddb
from maxminddb.types import Record

from footfall.enrich.regions import region_index

__all__ = [
    "LAYOUTS",
    "NO_GEO",
    "PROBES_V4",
    "PROBES_V6",
    "GeoError",
    "GeoInfo",
    "country_code",
    "detect_layout",
    "layout_of",
]

# Reserved or pseudo codes that databases use for "somewhere": Plausible stores ZZ, XX and T1 as
# unknown; A1/A2/O1 are MaxMind's old proxy/satellite/other codes; EU and AP were continent-level
# guesses in old databases and are not countries.
_NOT_COUNTRIES: Final = frozenset({"ZZ", "XX", "T1", "A1", "A2", "O1", "EU", "AP"})


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


def country_code(code: object) -> str:
    """``code`` as an upper-case ISO 3166-1 alpha-2 country, or "" if it names none."""
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


def _from_maxmind(record: Record | None) -> GeoInfo:
    """GeoLite2/GeoIP2 City or Country, and DB-IP's own mmdb files (same layout)."""
    if not isinstance(record, dict):
        return NO_GEO
    country_node = record.get("country")
    country = country_code(country_node.get("iso_code")) if isinstance(country_node, dict) else ""
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
            region = region_index().code(country, region_name)
    return GeoInfo(country, region, _city(_en_name(record.get("city"))), region_name)


def _from_ip_location_db(record: Record | None) -> GeoInfo:
    """The ip-location-db packages: flat keys country_code, state1, state2, city (all names)."""
    if not isinstance(record, dict):
        return NO_GEO
    country = country_code(record.get("country_code"))
    if not country:
        return NO_GEO
    region_name = _text(record.get("state1"))
    region = region_index().code(country, region_name) if region_name else ""
    return GeoInfo(country, region, _city(record.get("city")), region_name)


LAYOUTS: Final[dict[str, Callable[[Record | None], GeoInfo]]] = {
    "maxmind": _from_maxmind,
    "ip-location-db": _from_ip_location_db,
}

# Addresses that every database of the kinds above covers; probing them tells the layout without
# walking the tree.
PROBES_V4: Final = ("8.8.8.8", "1.1.1.1", "81.2.69.142", "193.0.6.139", "210.140.92.183")
PROBES_V6: Final = ("2001:4860:4860::8888", "2a00:1450:4001:80b::200e", "2606:4700:4700::1111")


def layout_of(record: Record | None) -> str:
    """The layout ``record`` is written in, "" if it is in none Footfall reads."""
    if isinstance(record, dict):
        if "country_code" in record:
            return "ip-location-db"
        if any(key in record for key in ("country", "registered_country", "subdivisions", "continent")):
            return "maxmind"
    return ""


def detect_layout(reader: maxminddb.Reader, ip_version: int) -> str:
    """The layout of an opened file's records; "" when none of those looked at has a country."""
    probes = PROBES_V4 + (PROBES_V6 if ip_version == 6 else ())
    for probe in probes:
        if layout := layout_of(reader.get(probe)):
            return layout
    # Test files and small private databases may miss every probe: look at the first records instead.
    for count, (_, record) in enumerate(reader):
        if layout := layout_of(record):
            return layout
        if count >= 100:
            break
    return ""
