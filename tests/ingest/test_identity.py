"""Cookieless identity: keyed hashes under rotating daily salts."""

from __future__ import annotations

from pathlib import Path

from footfall.ingest.identity import MS_PER_DAY, SaltKeeper, keyed_hash64, visitor_id
from footfall.storage.meta import MetaStore

T = 1_773_144_000_000


def test_hash_is_64_bit_and_keyed() -> None:
    a = keyed_hash64(b"k" * 16, "site", "1.2.3.4", "ua")
    assert 0 <= a < 2**64
    assert a == keyed_hash64(b"k" * 16, "site", "1.2.3.4", "ua")
    assert a != keyed_hash64(b"j" * 16, "site", "1.2.3.4", "ua")
    assert keyed_hash64(b"k" * 16, "ab", "c") != keyed_hash64(b"k" * 16, "a", "bc")


def test_salts_rotate_daily_persist_and_are_deleted_after_two_days(tmp_path: Path) -> None:
    now = [T]
    meta = MetaStore(tmp_path / "m.sqlite3")
    keeper = SaltKeeper(meta, lambda: now[0])
    today, prev = keeper.salts()
    assert prev is None and len(today) == 16
    # A restart (a new keeper on the same store) keeps the same salt: visitors are not split.
    assert SaltKeeper(MetaStore(tmp_path / "m.sqlite3"), lambda: now[0]).salts() == (today, None)
    now[0] += MS_PER_DAY
    tomorrow, prev = keeper.salts()
    assert prev == today and tomorrow != today
    now[0] += 2 * MS_PER_DAY
    keeper.salts()
    assert len(meta.salt_days()) == 1


def test_visitor_ids_under_both_salts() -> None:
    cur, prev = visitor_id(b"a" * 16, "site", "ip", "ua"), visitor_id(b"b" * 16, "site", "ip", "ua")
    assert prev is not None and cur != prev
    assert visitor_id(b"a" * 16, "site", "ip", "ua") == cur
