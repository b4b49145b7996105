"""Data retention: events and visits older than the `retention_days` setting are deleted.

The write buffer's thread runs the purge (the store keeps a single writer), at most once an hour of
clock time; the first check comes with the first flush, so a server restarted after a long stop
purges at once. DuckDB reuses the freed blocks for new rows; the file itself does not shrink.
"""

from __future__ import annotations

from collections.abc import Callable

from footfall.ingest.identity import MS_PER_DAY

CHECK_EVERY_MS = 3_600_000


class Retention:
    def __init__(self, days: int, clock: Callable[[], int], every_ms: int = CHECK_EVERY_MS) -> None:
        self.days = days
        self.clock = clock
        self.every_ms = every_ms
        self._next_ms: int | None = None  # None: check at the first opportunity

    def cutoff(self) -> int | None:
        """When a purge is due now, the instant (ms) before which data goes; else None."""
        if self.days <= 0:
            return None
        now = self.clock()
        if self._next_ms is not None and now < self._next_ms:
            return None
        self._next_ms = now + self.every_ms
        return now - self.days * MS_PER_DAY
