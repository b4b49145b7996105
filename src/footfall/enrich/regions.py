"""Region names -> ISO 3166-2 codes, for the geo databases that only name a region.

DB-IP Lite and the ip-location-db files carry the region's English *name* ("California",
"Bavaria", "North Holland"), never its code. pycountry has every ISO 3166-2 code with the
ISO (mostly local-language) name, which matches ~77% of DB-IP's networks after folding accents and
generic words. ``REGION_ALIASES`` covers the common English exonyms that differ from the ISO name,
which brings it to ~97% (counted over DB-IP's networks, June 2026 data).
Whatever still does not match keeps region "" and only region_name: a wrong code is worse than none.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Final

__all__ = ["REGION_ALIASES", "RegionIndex", "region_index"]

# Split out of geo.py; the old logger name keeps operators' logging configuration matching.
log = logging.getLogger("footfall.enrich.geo")

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

REGION_ALIASES: Final[dict[str, dict[str, str]]] = {
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


class RegionIndex:
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
        aliases = REGION_ALIASES.get(country, {})
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
def region_index() -> RegionIndex:
    """The index for this process, built on the first call (geo.py makes that call at start-up)."""
    try:
        import pycountry
    except ImportError:  # region codes are a bonus: without pycountry we still have country and city
        log.warning("pycountry is not installed: regions from name-only geo databases stay empty")
        return RegionIndex(())
    return RegionIndex((sd.country_code, sd.code, sd.name, sd.parent_code or "") for sd in pycountry.subdivisions)
