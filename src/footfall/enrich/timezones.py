"""IANA timezone -> ISO 3166-1 alpha-2 country, built at run time from the tz database on disk.

Medama's tracker sends `Intl.DateTimeFormat().resolvedOptions().timeZone`; when the IP gives no
country, that zone's country is the next best guess. The table comes from the system's tz
database (zone.tab: one country per zone; zone1970.tab for zones only it lists; tzdata.zi's `L`
lines for legacy aliases such as Asia/Calcutta or US/Eastern), or from the `tzdata` package
where the system has none. Zones that belong to no single country (UTC, Etc/*) map to "".
"""

from __future__ import annotations

import importlib.resources
import zoneinfo
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["TimezoneCountries", "tz_directories"]

# A timezone name is short; anything longer is not a zone and is not worth a dict lookup.
MAX_ZONE_LEN = 64


def tz_directories() -> Iterator[Path]:
    """Where a tz database may be: the interpreter's TZPATH, then the `tzdata` package."""
    for entry in zoneinfo.TZPATH:
        yield Path(entry)
    try:
        package = importlib.resources.files("tzdata") / "zoneinfo"
    except ModuleNotFoundError:
        return
    if isinstance(package, Path):
        yield package


def _rows(lines: Iterable[str]) -> Iterator[list[str]]:
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        yield line.rstrip("\n").split("\t")


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


class TimezoneCountries:
    """Zone name -> country code. `country(zone)` never raises; unknown zones give ""."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def country(self, zone: str) -> str:
        if not zone or len(zone) > MAX_ZONE_LEN:
            return ""
        return self._table.get(zone, "")

    @classmethod
    def from_directory(cls, directory: Path) -> TimezoneCountries:
        table: dict[str, str] = {}
        for row in _rows(_read(directory / "zone.tab")):
            if len(row) >= 3 and len(row[0]) == 2:
                table[row[2]] = row[0]
        # zone1970.tab may list a zone zone.tab lacks; only a single-country row says which country.
        for row in _rows(_read(directory / "zone1970.tab")):
            if len(row) >= 3 and len(row[0]) == 2:
                table.setdefault(row[2], row[0])
        links: dict[str, str] = {}
        for line in _read(directory / "tzdata.zi"):
            parts = line.split()
            if len(parts) == 3 and parts[0] == "L":
                links[parts[2]] = parts[1]  # "L <target> <alias>"
        for alias in links:
            target, hops = links[alias], 0
            while target in links and hops < 8:  # links of links exist in old data; bound the walk
                target, hops = links[target], hops + 1
            if target in table and alias not in table:
                table[alias] = table[target]
        return cls(table)

    @classmethod
    def system(cls) -> TimezoneCountries:
        """The first tz database found on this machine; an empty table when there is none."""
        for directory in tz_directories():
            if (directory / "zone.tab").is_file() or (directory / "zone1970.tab").is_file():
                found = cls.from_directory(directory)
                if len(found):
                    return found
        return cls({})
