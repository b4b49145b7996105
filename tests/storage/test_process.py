"""The store run in a child process (storage/process.py): what the contract suite cannot show."""

from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from footfall.storage.duckdb import DuckDBStore
from footfall.storage.process import CHUNK_ROWS, ProcessStore, StoreError
from storage.test_store_contract import SITE, T, event, session

from conftest import process_gone


def _store(path: Path) -> ProcessStore:
    store = ProcessStore(functools.partial(DuckDBStore, path / "events.duckdb"))
    store.migrate()
    return store


def test_an_unopenable_store_is_reported_with_the_childs_reason(tmp_path: Path) -> None:
    holder = DuckDBStore(tmp_path / "events.duckdb")  # this process holds the file's write lock
    try:
        with pytest.raises(StoreError, match="(?i)lock"):
            ProcessStore(functools.partial(DuckDBStore, tmp_path / "events.duckdb"))
    finally:
        holder.close()


def test_a_failed_query_is_an_error_and_the_store_goes_on(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        with pytest.raises(StoreError, match="no_such_table"):
            store.query("SELECT * FROM no_such_table")
        assert store.query("SELECT count(*) FROM events") == (["count_star()"], [(0,)])
    finally:
        store.close()


def test_a_write_of_many_chunks_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        many = [event(timestamp=T + i) for i in range(2 * CHUNK_ROWS + 7)]
        store.write(many, [session(1)])
        # The child may not grow any file (as on a full disk): the commit of the chunks fails.
        resource.prlimit(store.process.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        try:
            with pytest.raises(StoreError):
                store.write([*many, event()], [session(2)])
        finally:
            resource.prlimit(store.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        assert store.query("SELECT count(*), count(DISTINCT site_id) FROM events")[1] == [(len(many), 1)]
        assert store.query("SELECT session_id FROM sessions")[1] == [(1,)]
        # The failed batch left nothing pending in the child: the next write stands alone.
        store.write([event(site_id="other")], [])
        assert store.query("SELECT count(*) FROM events WHERE site_id = ?", ["other"])[1] == [(1,)]
    finally:
        store.close()


def test_ctrl_c_and_sigterm_do_not_stop_the_child(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group; the parent must still flush through the child."""
    store = _store(tmp_path)
    try:
        pid = store.process.pid
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.3)
        store.write([event()], [])
        assert store.query("SELECT count(*) FROM events WHERE site_id = ?", [SITE])[1] == [(1,)]
    finally:
        store.close()


def test_close_checkpoints_and_the_child_exits(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write([event()], [session(1)])
    store.close()
    store.close()  # idempotent
    assert store.process.returncode == 0
    reopened = DuckDBStore(tmp_path / "events.duckdb", read_only=True)
    try:
        assert reopened.query("SELECT count(*) FROM events")[1] == [(1,)]
    finally:
        reopened.close()


def test_the_child_leaves_when_its_parent_dies_without_closing(tmp_path: Path) -> None:
    script = (
        "import functools, os, sys\n"
        "from footfall.storage.duckdb import DuckDBStore\n"
        "from footfall.storage.process import ProcessStore\n"
        f"s = ProcessStore(functools.partial(DuckDBStore, {str(tmp_path / 'events.duckdb')!r}))\n"
        "s.migrate()\n"
        "print(s.process.pid, flush=True)\n"
        "os._exit(0)\n"  # no atexit, no close: as if killed
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert process_gone(int(out.stdout.strip()))


def test_a_dead_child_is_replaced_and_nothing_committed_is_lost(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        store.write([event()], [session(1)])
        first = store.process
        first.kill()  # as the kernel's OOM killer would
        first.wait(timeout=10)
        store.write([event()], [session(2)])  # finds it gone, starts a new child, stores
        assert store.process is not first and store.process.poll() is None
        assert store.query("SELECT count(*) FROM events")[1] == [(2,)]
        assert store.query("SELECT session_id FROM sessions ORDER BY 1")[1] == [(1,), (2,)]
    finally:
        store.close()
