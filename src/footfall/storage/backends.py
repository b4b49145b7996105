"""Opening the configured event store, in this process or in a child process of its own."""

from __future__ import annotations

import functools

from footfall.settings import Settings
from footfall.storage.base import EventStore
from footfall.storage.process import ProcessStore


def _check_backend(settings: Settings) -> None:
    if settings.storage != "duckdb":
        # ClickHouse is the planned scale-out backend (DESIGN.md); until it exists, say so plainly.
        raise ValueError(f"unknown storage backend {settings.storage!r}: only 'duckdb' is available")


def open_store(settings: Settings, *, read_only: bool = False) -> EventStore:
    _check_backend(settings)
    from footfall.storage.duckdb import DuckDBStore

    return DuckDBStore(
        settings.data_path / "events.duckdb", read_only=read_only, memory_limit=settings.duckdb_memory_limit
    )


def open_store_process(settings: Settings) -> ProcessStore:
    """The store `serve` uses: the same backend, run by a child process (see storage/process.py).
    The backend is checked here too, so a bad setting fails before a child is started."""
    _check_backend(settings)
    return ProcessStore(functools.partial(open_store, settings))
