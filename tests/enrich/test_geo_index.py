"""The compact IPv4 geo index: it answers exactly as the .mmdb file it was built from, it is rebuilt
when that file changes, and the server builds it in a child process and switches to it unattended."""

from __future__ import annotations

import ipaddress
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import maxminddb
import pytest

from enrich.test_geo import _maxmind, dbip_dir, write_mmdb  # noqa: F401 (dbip_dir is a fixture)
from footfall.enrich.geo import DBIP_V4_FILE, GeoLocator, open_geo
from footfall.enrich.geo_index import IndexBuild, V4Index, build_index, index_is_current
from footfall.enrich.geo_records import LAYOUTS, NO_GEO, GeoInfo

# Adjacent networks with one answer (merged), a gap, networks across /16 boundaries, the very first
# and last addresses, names outside ASCII, and a name carrying the index's own separator.
NETWORKS: dict[str, object] = {
    "0.0.0.0/30": {"country_code": "AU", "state1": "Queensland", "city": "Brisbane"},
    "1.0.0.0/8": {"country_code": "CN", "state1": "Beijing", "city": "Beijing"},
    "2.0.0.0/24": {"country_code": "FR", "state1": "Île-de-France", "city": "Paris"},
    "2.0.1.0/24": {"country_code": "FR", "state1": "Île-de-France", "city": "Paris"},
    "2.0.3.0/24": {"country_code": "DE", "state1": "Bavaria", "city": "München (Altstadt)"},
    "2.0.4.0/22": {"country_code": "CH", "state1": "Zurich", "city": "Zürich"},
    "2.1.255.128/25": {"country_code": "JP", "state1": "Tokyo", "city": "東京"},
    "2.2.0.0/15": {"country_code": "US", "state1": "California", "city": "Mountain\x1fView"},
    "81.2.69.0/24": {"country_code": "ZZ", "city": "Nowhere"},
    "255.255.255.0/24": {"country_code": "NZ", "state1": "", "city": "Wellington"},
}


def _probes() -> list[str]:
    """Every network's first and last address and their neighbours, and a random sample."""
    values: set[int] = set()
    for cidr in NETWORKS:
        net = ipaddress.ip_network(cidr)
        for edge in (int(net.network_address), int(net.broadcast_address)):
            values.update(v for v in (edge - 1, edge, edge + 1) if 0 <= v <= 0xFFFFFFFF)
    rng = random.Random(5)
    values.update(rng.randrange(0, 3 << 24) for _ in range(3000))
    values.update(rng.randrange(0, 1 << 32) for _ in range(3000))
    return [str(ipaddress.IPv4Address(v)) for v in sorted(values)]


def _unseparated(info: GeoInfo) -> GeoInfo:
    # The one change the index makes: the unit separator it keeps names apart with is dropped.
    if "\x1f" not in info.city:
        return info
    return GeoInfo(info.country, info.region, info.city.replace("\x1f", ""), info.region_name)


def _same_answers(mmdb: Path, index: Path, layout: str, probes: list[str]) -> None:
    info_of = LAYOUTS[layout]
    opened = V4Index(index)
    try:
        with maxminddb.open_database(str(mmdb)) as reader:
            differ = [(ip, _unseparated(info_of(reader.get(ip))), opened.lookup(ip)) for ip in probes]
        differ = [d for d in differ if d[1] != d[2]]
        assert differ == []
    finally:
        opened.close()


@pytest.mark.parametrize("ip_version", [4, 6])
def test_the_index_answers_as_the_file_does(tmp_path: Path, ip_version: int) -> None:
    networks = dict(NETWORKS)
    if ip_version == 6:  # an IPv6 file carries IPv4 in ::/96; its IPv6 networks are not indexed
        networks["2a00:1450::/32"] = {"country_code": "DE", "state1": "Hesse", "city": "Frankfurt"}
    mmdb = write_mmdb(tmp_path / "city.mmdb", networks, ip_version=ip_version, database_type="city")
    index = build_index(mmdb, "ip-location-db", tmp_path / "city.v4index")
    _same_answers(mmdb, index, "ip-location-db", _probes())
    opened = V4Index(index)
    assert opened.lookup("2.0.4.1") == GeoInfo("CH", "CH-ZH", "Zürich", "Zurich")
    assert opened.lookup("2.0.3.1").city == "München"  # the district dropped, as the file's reader does
    assert opened.lookup("2.2.0.1").city == "MountainView"  # the separator cannot split a name
    assert opened.lookup("2.0.2.1") is NO_GEO  # the gap
    assert opened.lookup("81.2.69.142") is NO_GEO  # ZZ
    assert opened.lookup("255.255.255.255").city == "Wellington"
    assert opened.lookup("2.0.0.1") is opened.lookup("2.0.1.200")  # one location, one value
    opened.close()


def test_the_maxmind_layout_is_indexed_too(tmp_path: Path) -> None:
    mmdb = write_mmdb(
        tmp_path / "GeoLite2-City.mmdb",
        {
            "81.2.69.0/24": _maxmind("GB", "ENG", "England", "London"),
            "89.160.20.112/28": _maxmind("SE", "", "Östergötland", "Linköping"),
            "216.160.83.56/29": _maxmind("us"),
        },
        database_type="GeoLite2-City",
    )
    index = build_index(mmdb, "maxmind", tmp_path / "x.v4index")
    _same_answers(mmdb, index, "maxmind", ["81.2.69.142", "89.160.20.113", "216.160.83.57", "8.8.8.8"])


def test_an_index_is_current_only_for_the_file_it_was_built_from(tmp_path: Path) -> None:
    mmdb = write_mmdb(tmp_path / "a.mmdb", NETWORKS, ip_version=4, database_type="city")
    index = build_index(mmdb, "ip-location-db", tmp_path / "a.v4index")
    size, epoch = mmdb.stat().st_size, 1_767_225_600
    assert index_is_current(index, size, epoch, "ip-location-db")
    assert not index_is_current(index, size + 1, epoch, "ip-location-db")
    assert not index_is_current(index, size, epoch + 1, "ip-location-db")
    assert not index_is_current(index, size, epoch, "maxmind")
    assert not index_is_current(tmp_path / "missing.v4index", size, epoch, "ip-location-db")
    damaged = tmp_path / "damaged.v4index"
    damaged.write_bytes(index.read_bytes()[:5000])
    assert index_is_current(damaged, size, epoch, "ip-location-db")  # the header is intact...
    with pytest.raises(ValueError, match="truncated"):
        V4Index(damaged)  # ...but opening it finds out
    (tmp_path / "junk.v4index").write_bytes(b"not an index at all, but long enough to have a header....")
    assert not index_is_current(tmp_path / "junk.v4index", size, epoch, "ip-location-db")
    with pytest.raises(ValueError, match="not a Footfall geo index"):
        V4Index(tmp_path / "junk.v4index")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _wait_for_index(locator: GeoLocator, clock: _Clock, probe: str = "1.2.3.4") -> None:
    deadline = time.monotonic() + 60
    while locator.v4_index is None and time.monotonic() < deadline:
        time.sleep(0.05)
        clock.now += GeoLocator.POLL_S
        locator._cached.cache_clear()  # the check runs on lookups that miss the cache
        locator.lookup(probe)
    assert locator.v4_index is not None


def _user_locator(tmp_path: Path, clock: _Clock) -> tuple[GeoLocator, Path]:
    mmdb = write_mmdb(tmp_path / "my-city-ipv4.mmdb", NETWORKS, ip_version=4, database_type="city")
    locator = open_geo(tmp_path / "data", str(mmdb))
    locator._monotonic = clock
    return locator, mmdb


def test_the_server_builds_a_missing_index_and_switches_to_it(tmp_path: Path) -> None:
    clock = _Clock()
    locator, mmdb = _user_locator(tmp_path, clock)
    with locator:
        assert locator.v4_index is None
        before = {ip: locator.lookup(ip) for ip in ("1.2.3.4", "2.0.4.1", "2.0.2.1", "81.2.69.142")}
        assert before["2.0.4.1"].city == "Zürich"  # the .mmdb answers while the index is built
        table = locator._tables[0]
        _wait_for_index(locator, clock)
        index = tmp_path / "data" / "geo-index" / "my-city-ipv4.mmdb.v4index"
        assert locator.v4_index.path == index
        assert locator.source.endswith("; IPv4 through its compact index")
        assert not list(index.parent.glob(".*"))  # no lock or temporary file left behind
        locator._cached.cache_clear()
        assert {ip: locator.lookup(ip) for ip in before} == before
        # the IPv4 file is closed: its pages leave the server's memory
        assert table not in locator._tables
        with pytest.raises(ValueError):
            table.reader.get("1.2.3.4")
    # The next start finds the index current and uses it at once.
    with open_geo(tmp_path / "data", str(mmdb)) as again:
        assert again.v4_index is not None and again._build is None


def test_a_changed_file_gets_a_new_index(tmp_path: Path) -> None:
    clock = _Clock()
    locator, mmdb = _user_locator(tmp_path, clock)
    with locator:
        _wait_for_index(locator, clock)
    changed = dict(NETWORKS, **{"8.8.8.0/24": {"country_code": "US", "state1": "California", "city": "Mountain View"}})
    write_mmdb(mmdb, changed, ip_version=4, database_type="city")
    locator = open_geo(tmp_path / "data", str(mmdb))
    locator._monotonic = clock
    with locator:
        assert locator.v4_index is None  # stale: built from the old file
        _wait_for_index(locator, clock)
        locator._cached.cache_clear()
        assert locator.lookup("8.8.8.8").city == "Mountain View"


def test_one_process_builds_while_the_others_wait_for_its_result(tmp_path: Path) -> None:
    clock = _Clock()
    index_dir = tmp_path / "data" / "geo-index"
    index_dir.mkdir(parents=True)
    lock = index_dir / ".my-city-ipv4.mmdb.v4index.building"
    lock.write_text("")  # another server is building it
    locator, mmdb = _user_locator(tmp_path, clock)
    with locator:
        assert locator._build is None and locator._plan is not None
        clock.now += GeoLocator.POLL_S
        assert locator.lookup("2.0.4.1").city == "Zürich"
        assert locator.v4_index is None
        build_index(mmdb, "ip-location-db", index_dir / "my-city-ipv4.mmdb.v4index")  # the other one finishes
        _wait_for_index(locator, clock)


def test_a_lock_left_by_a_dead_builder_is_taken_over(tmp_path: Path) -> None:
    index_dir = tmp_path / "data" / "geo-index"
    index_dir.mkdir(parents=True)
    lock = index_dir / ".my-city-ipv4.mmdb.v4index.building"
    lock.write_text("")
    old = time.time() - IndexBuild.STALE_LOCK_S - 60
    os.utime(lock, (old, old))
    clock = _Clock()
    locator, _ = _user_locator(tmp_path, clock)
    with locator:
        assert locator._build is not None
        _wait_for_index(locator, clock)


def test_a_failed_build_leaves_the_file_in_charge(tmp_path: Path) -> None:
    clock = _Clock()
    mmdb = write_mmdb(tmp_path / "my-city-ipv4.mmdb", NETWORKS, ip_version=4, database_type="city")
    locator = open_geo(tmp_path / "data", str(mmdb))
    locator._monotonic = clock
    with locator:
        build = locator._build
        assert build is not None
        build.process.kill()  # as if it ran out of memory
        build.process.wait()
        clock.now += GeoLocator.POLL_S
        locator._cached.cache_clear()
        assert locator.lookup("2.0.4.1").city == "Zürich"
        assert locator._plan is None and locator._build is None and locator.v4_index is None
        assert not build.lock.exists()


def test_closing_stops_a_running_builder(tmp_path: Path) -> None:
    lock = tmp_path / ".x.building"
    lock.write_text("")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    build = IndexBuild(sleeper, lock)
    assert build.finished() is None
    build.stop()
    assert sleeper.poll() is not None and not lock.exists()


def test_the_builder_command_writes_the_index_and_nothing_else(tmp_path: Path) -> None:
    mmdb = write_mmdb(tmp_path / "c.mmdb", NETWORKS, ip_version=4, database_type="city")
    target = tmp_path / "out" / "c.v4index"
    done = subprocess.run(
        [sys.executable, "-m", "footfall.enrich.geo_index", str(mmdb), "ip-location-db", str(target)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.parent.iterdir()) == ["c.v4index"]


def test_the_installed_dbip_index_matches_the_file(dbip_dir: Path) -> None:  # noqa: F811
    index = dbip_dir / f"{DBIP_V4_FILE}.v4index"
    if not index.is_file():
        message = f"{index} is missing: `footfall geo install` builds it"
        if os.environ.get("FOOTFALL_REQUIRE_E2E"):
            pytest.fail(message)
        pytest.skip(message)
    rng = random.Random(11)
    probes = [socket.inet_ntoa(rng.getrandbits(32).to_bytes(4, "big")) for _ in range(20_000)]
    _same_answers(dbip_dir / DBIP_V4_FILE, index, "ip-location-db", probes)


def test_an_unwritable_index_directory_leaves_the_file_in_charge(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "geo-index").write_text("a file where the directory should be")
    mmdb = write_mmdb(tmp_path / "my-city-ipv4.mmdb", NETWORKS, ip_version=4, database_type="city")
    with open_geo(data, str(mmdb)) as locator:
        assert locator._build is None and locator._plan is None  # nothing to wait for
        assert locator.lookup("2.0.4.1").city == "Zürich"
