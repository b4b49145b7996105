"""The beacon index: a bounded pointer from Medama beacon ids to live visits."""

from __future__ import annotations

from footfall.ingest.beacons import MemoryBeaconIndex


def never(beacon_id: str, key: tuple[str, int]) -> bool:
    return False


def always(beacon_id: str, key: tuple[str, int]) -> bool:
    return True


def test_find_and_forget():
    index = MemoryBeaconIndex(ttl_ms=1000)
    index.remember("b1", ("site", 7), 0, never)
    assert index.find("b1") == ("site", 7)
    assert index.find("b2") is None
    index.forget("b1")
    assert index.find("b1") is None


def test_an_old_entry_goes_unless_its_visit_still_has_it_open():
    index = MemoryBeaconIndex(ttl_ms=1000)
    index.remember("open", ("site", 1), 0, never)
    index.remember("gone", ("site", 2), 0, never)
    asked: list[str] = []

    def only_open(beacon_id: str, key: tuple[str, int]) -> bool:
        asked.append(beacon_id)
        return beacon_id == "open"

    index.remember("new", ("site", 3), 5000, only_open)
    assert asked == ["open", "gone"]
    assert index.find("open") == ("site", 1)
    assert index.find("gone") is None
    assert len(index) == 2


def test_live_entries_are_checked_once_per_ttl_not_on_every_call():
    index = MemoryBeaconIndex(ttl_ms=1000)
    index.remember("a", ("s", 1), 0, always)
    calls: list[str] = []

    def counting(beacon_id: str, key: tuple[str, int]) -> bool:
        calls.append(beacon_id)
        return True

    for now in (1500, 1600, 1700):
        index.remember(f"x{now}", ("s", 2), now, counting)
    assert calls == ["a"]


def test_the_index_is_bounded():
    index = MemoryBeaconIndex(ttl_ms=10**9, max_entries=3)
    for i in range(10):
        index.remember(f"b{i}", ("s", i), i, always)
    assert len(index) == 3
    assert index.find("b9") == ("s", 9)
    assert index.find("b0") is None
