"""Cookieless visitor identity: a keyed 64-bit hash of (site, IP, user agent) under a daily salt.

The salt changes at UTC midnight and is deleted two days later, so a stored visitor id cannot be
linked back to an IP/UA pair once its salt is gone, nor linked across days. Yesterday's salt is
kept only so a visit that crosses midnight continues (the session lookup tries both ids).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable

from footfall.storage.meta import MetaStore

MS_PER_DAY = 86_400_000


def _day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def keyed_hash64(salt: bytes, *parts: str) -> int:
    # blake2b's keyed mode is a proper MAC, in the standard library, and ~1 µs per call. The NUL
    # separator keeps ("ab", "c") and ("a", "bc") apart.
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(message, key=salt, digest_size=8).digest(), "little")


class SaltKeeper:
    """Today's and yesterday's salts, read from the metadata store once per UTC day."""

    def __init__(self, meta: MetaStore, clock: Callable[[], int]) -> None:
        self._meta = meta
        self._clock = clock
        self._lock = threading.Lock()
        self._day_start = -1
        self._current = b""
        self._previous: bytes | None = None

    def salts(self, now_ms: int | None = None) -> tuple[bytes, bytes | None]:
        now = self._clock() if now_ms is None else now_ms
        day_start = now - now % MS_PER_DAY
        if day_start != self._day_start:
            with self._lock:
                if day_start != self._day_start:
                    self._current, self._previous = self._meta.salts_for(_day(now), _day(now - MS_PER_DAY))
                    self._day_start = day_start
        return self._current, self._previous


def visitor_id(salt: bytes, site_id: str, ip: str, user_agent: str) -> int:
    """The visitor under one day's salt (yesterday's too, to continue a visit across midnight)."""
    return keyed_hash64(salt, site_id, ip, user_agent)


def session_id_for(salt: bytes, visitor_id: int, start_ms: int) -> int:
    """Deterministic, so every node derives the same id and Umami/Medama ids derive from it."""
    return keyed_hash64(salt, "session", str(visitor_id), str(start_ms))
