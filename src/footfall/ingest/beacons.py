"""Which live visit a Medama beacon id belongs to.

Medama's unload (`{e:"unload", b, m}`) names only the beacon id of its page view: no hostname, so
no site to compute a visitor id for. This index maps the beacon id to the visit's key
(site id, visitor id); the visit itself (LiveSession.beacons) says which page the beacon is, so
the visit stays the single source of truth and an index entry is only ever a pointer into it.

Like the live-visit store, this is state every ingest node must share: an interface with an
in-process implementation (a shared store such as Redis would implement the same two calls).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["BeaconIndex", "MemoryBeaconIndex"]

VisitKey = tuple[str, int]  # (site id, visitor id), the live-visit store's key


class BeaconIndex(Protocol):
    def find(self, beacon_id: str) -> VisitKey | None: ...

    def remember(self, beacon_id: str, key: VisitKey, now_ms: int, still_live: Callable[[str, VisitKey], bool]) -> None:
        """Point `beacon_id` at a visit. `still_live(beacon_id, key)` lets the index keep, past its
        idle time, an entry whose visit still has that beacon open."""
        ...

    def forget(self, beacon_id: str) -> None: ...

    def __len__(self) -> int: ...


class MemoryBeaconIndex:
    """Entries ordered by when they were last confirmed live, so expiry pops from the front.

    An entry older than `ttl_ms` is checked against its visit before it goes: a page that stays
    open while the visit goes on keeps its entry. `max_entries` bounds memory whatever happens.
    """

    def __init__(self, ttl_ms: int = 30 * 60_000, max_entries: int = 500_000) -> None:
        self.ttl_ms = ttl_ms
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[VisitKey, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, beacon_id: str) -> VisitKey | None:
        entry = self._entries.get(beacon_id)
        return entry[0] if entry is not None else None

    def forget(self, beacon_id: str) -> None:
        self._entries.pop(beacon_id, None)

    def remember(self, beacon_id: str, key: VisitKey, now_ms: int, still_live: Callable[[str, VisitKey], bool]) -> None:
        entries = self._entries
        entries[beacon_id] = (key, now_ms)
        entries.move_to_end(beacon_id)
        cutoff = now_ms - self.ttl_ms
        # Each entry is looked at once per ttl at most, so the sweep is amortised O(1) per call.
        while entries:
            oldest, (oldest_key, seen) = next(iter(entries.items()))
            if seen >= cutoff:
                break
            if still_live(oldest, oldest_key):
                entries[oldest] = (oldest_key, now_ms)
                entries.move_to_end(oldest)
            else:
                del entries[oldest]
        while len(entries) > self.max_entries:
            entries.popitem(last=False)
