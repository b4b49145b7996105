"""The storage contract (storage/base.py), run against every backend."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from footfall.model import EVENT_COLUMNS, SESSION_COLUMNS, Event
from footfall.storage.base import EventStore

T = 1_773_144_000_000
SITE = "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"


def _open(backend: str, path: Path) -> EventStore:
    if backend == "duckdb":
        from footfall.storage.duckdb import DuckDBStore

        return DuckDBStore(path / "events.duckdb")
    if backend == "duckdb-process":  # what `footfall serve` runs: the same store in a child process
        from footfall.storage.duckdb import DuckDBStore
        from footfall.storage.process import ProcessStore

        return ProcessStore(functools.partial(DuckDBStore, path / "events.duckdb"))
    from footfall.storage.clickhouse import ClickHouseStore  # type: ignore[import-not-found]

    return ClickHouseStore(f"chdb://{path / 'ch'}")  # type: ignore[no-any-return]


def _backends() -> list[str]:
    try:
        import footfall.storage.clickhouse  # noqa: F401
    except ImportError:
        return ["duckdb", "duckdb-process"]
    return ["duckdb", "duckdb-process", "clickhouse"]


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[EventStore]:
    s = _open(backend, tmp_path)
    s.migrate()
    yield s
    s.close()


def event(**kw: Any) -> tuple[Any, ...]:
    base: dict[str, Any] = {"site_id": SITE, "timestamp": T, "name": "pageview", "protocol": "plausible"}
    return Event(**{**base, **kw}).row()


def session(session_id: int, pageviews: int = 1, start: int = T, **kw: Any) -> tuple[Any, ...]:
    values: dict[str, Any] = {c: "" for c in SESSION_COLUMNS}
    values.update(
        site_id=SITE,
        session_id=session_id,
        visitor_id=7,
        start=start,
        timestamp=start,
        pageviews=pageviews,
        events=pageviews,
        duration=0,
        is_bounce=pageviews < 2,
        engagement_ms=0,
    )
    values.update(kw)
    return tuple(values[c] for c in SESSION_COLUMNS)


def rows(store: EventStore, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    columns, data = store.query(sql, params)
    return [dict(zip(columns, r, strict=True)) for r in data]


def test_migrate_twice_is_harmless(store: EventStore) -> None:
    store.migrate()
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 0}]


def test_events_round_trip_every_column(store: EventStore) -> None:
    store.write(
        [
            event(
                visitor_id=2**64 - 1,
                session_id=1,
                pathname="/caf\u00e9",
                props={"plan": "pro", "\u00fc": "\u00df"},
                scroll_depth=None,
                engagement_ms=1500,
                interactive=False,
                is_unique_user=True,
                is_unique_page=None,
                country="GB",
                region="GB-ENG",
                city="London",
            )
        ],
        [],
    )
    (r,) = rows(store, "SELECT * FROM events")
    assert tuple(r) == EVENT_COLUMNS
    assert r["visitor_id"] == 2**64 - 1
    assert r["pathname"] == "/caf\u00e9"
    assert dict(r["props"]) == {"plan": "pro", "\u00fc": "\u00df"}
    assert r["scroll_depth"] is None and r["engagement_ms"] == 1500 and r["interactive"] is False
    assert r["is_unique_user"] is True and r["is_unique_page"] is None
    assert (r["country"], r["region"], r["city"]) == ("GB", "GB-ENG", "London")


def test_timestamps_keep_milliseconds(store: EventStore) -> None:
    store.write([event(timestamp=T + 123)], [])
    (r,) = rows(store, "SELECT timestamp FROM events")
    assert r["timestamp"].microsecond == 123_000


def test_sessions_are_upserted_by_id(store: EventStore) -> None:
    store.write([event()], [session(1), session(2)])
    store.write([event()], [session(1, pageviews=3, exit_page="/c")])
    got = rows(store, "SELECT session_id, pageviews, exit_page FROM sessions ORDER BY session_id")
    assert got == [
        {"session_id": 1, "pageviews": 3, "exit_page": "/c"},
        {"session_id": 2, "pageviews": 1, "exit_page": ""},
    ]


def test_empty_batches_are_fine(store: EventStore) -> None:
    store.write([], [])
    assert rows(store, "SELECT count(*) AS n FROM sessions") == [{"n": 0}]


def test_rows_no_column_can_hold_are_left_out_and_counted(store: EventStore) -> None:
    # A wrong type or an out-of-range integer would otherwise fail the whole batch on every retry,
    # and the write buffer behind it would stop storing anything at all.
    left_out = store.write(
        [
            event(pathname="/a"),
            event(visitor_id="not a number"),
            event(pathname="/b"),
            event(session_id=-1),
            event(timestamp=2**62),  # Arrow takes it; DuckDB's timestamps end in year 294247
        ],
        [session(1), session(2, duration="three"), session(3, visitor_id=2**64)],
    )
    assert left_out == 5
    assert rows(store, "SELECT pathname FROM events ORDER BY pathname") == [{"pathname": "/a"}, {"pathname": "/b"}]
    assert rows(store, "SELECT session_id FROM sessions") == [{"session_id": 1}]
    assert store.write([event()], [session(4)]) == 0


def test_nullable_columns_keep_null_apart_from_zero_and_false(store: EventStore) -> None:
    store.write(
        [
            event(name="a", scroll_depth=None, is_unique_user=None, is_unique_page=None),
            event(name="b", scroll_depth=0, is_unique_user=False, is_unique_page=False),
            event(name="c", scroll_depth=100, is_unique_user=True, is_unique_page=None, props={"k": ""}),
            event(name="d", pathname="", title="nul\x00inside", props={"": "\u2603\U0001d11e"}),
        ],
        [],
    )
    columns = "name, scroll_depth, is_unique_user, is_unique_page, pathname, title, props"
    got = rows(store, f"SELECT {columns} FROM events ORDER BY name")
    assert [(r["scroll_depth"], r["is_unique_user"], r["is_unique_page"]) for r in got] == [
        (None, None, None),
        (0, False, False),
        (100, True, None),
        (None, None, None),
    ]
    assert (got[3]["pathname"], got[3]["title"]) == ("", "nul\x00inside")
    assert [dict(r["props"]) for r in got] == [{}, {}, {"k": ""}, {"": "\u2603\U0001d11e"}]


@pytest.mark.parametrize("every", [5, 10, 3000])
def test_a_column_few_rows_fill_is_stored_in_a_large_batch(store: EventStore, every: int) -> None:
    # DuckDB infers an object column's type from a sample of its rows: a batch whose sampled rows
    # all have empty props (or no scroll depth) must still store the rows that have them.
    n = 10_089
    store.write(
        [
            event(pathname=f"/{i}", props={"plan": "pro"}, scroll_depth=40, is_unique_user=True)
            if i % every == every - 1
            else event(pathname=f"/{i}")
            for i in range(n)
        ],
        [],
    )
    got = rows(
        store,
        "SELECT count(*) AS n, count(scroll_depth) AS scrolled, count(is_unique_user) AS unique_users, "
        "sum(CASE WHEN props['plan'] = 'pro' THEN 1 ELSE 0 END) AS with_props FROM events",
    )
    assert got == [{"n": n, "scrolled": n // every, "unique_users": n // every, "with_props": n // every}]


def test_values_no_string_column_can_hold_are_left_out(store: EventStore) -> None:
    left_out = store.write(
        [
            event(pathname="/a"),
            event(pathname="/lone-surrogate-\ud800"),  # JSON allows it; it is not UTF-8
            event(props={"k": 1}),
            event(props={"\udc00": "v"}),
            event(scroll_depth=300),
            event(is_unique_user="yes"),
            event(title=5),
            event(pathname="/b"),
        ],
        [session(1), session(2, entry_page="/\ud83d")],
    )
    assert left_out == 7
    assert rows(store, "SELECT pathname FROM events ORDER BY pathname") == [{"pathname": "/a"}, {"pathname": "/b"}]
    assert rows(store, "SELECT session_id FROM sessions") == [{"session_id": 1}]


def test_a_row_of_the_wrong_length_is_left_out(store: EventStore) -> None:
    assert store.write([event()[:-1], event()], [session(1)[:3]]) == 2
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 1}]


def test_values_are_parameters_not_sql(store: EventStore) -> None:
    store.write([event()], [])
    hostile = "x' OR 1=1 --"
    assert rows(store, "SELECT count(*) AS n FROM events WHERE site_id = ?", (hostile,)) == [{"n": 0}]
    assert rows(store, "SELECT count(*) AS n FROM events WHERE site_id = ?", (SITE,)) == [{"n": 1}]


def test_query_batches_streams_the_result(store: EventStore) -> None:
    store.write([event(timestamp=T + i, name=f"e{i:02d}") for i in range(25)], [])
    reader = store.query_batches("SELECT name FROM events WHERE site_id = ? ORDER BY name", [SITE], 10)
    batches = list(reader)
    assert [b.num_rows for b in batches] == [10, 10, 5]
    assert [n for b in batches for n in b.column(0).to_pylist()] == [f"e{i:02d}" for i in range(25)]


def test_query_batches_of_nothing_still_has_the_schema(store: EventStore) -> None:
    reader = store.query_batches("SELECT name, visitor_id FROM events WHERE site_id = ?", ["nobody"])
    assert reader.schema.names == ["name", "visitor_id"]
    assert sum(b.num_rows for b in reader) == 0


def test_a_reader_closed_early_leaves_the_store_usable(store: EventStore) -> None:
    store.write([event(timestamp=T + i) for i in range(100)], [])
    for _ in range(8):  # more than any pool of read connections
        reader = store.query_batches("SELECT * FROM events", (), 10)
        next(iter(reader))
        reader.close()
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 100}]


def test_a_failing_batch_query_raises(store: EventStore) -> None:
    with pytest.raises(Exception, match="no_such_table"):
        list(store.query_batches("SELECT * FROM no_such_table"))
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 0}]


def test_reads_run_while_writing(store: EventStore) -> None:
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(50):
                store.query("SELECT count(*) FROM events")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(20):
        store.write([event(timestamp=T + i) for _ in range(100)], [session(i)])
    thread.join()
    assert not errors
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 2000}]


def test_data_survives_reopening(backend: str, tmp_path: Path) -> None:
    s = _open(backend, tmp_path)
    s.migrate()
    s.write([event()], [session(1)])
    s.close()
    s = _open(backend, tmp_path)
    s.migrate()
    assert rows(s, "SELECT count(*) AS n FROM events") == [{"n": 1}]
    s.close()


def test_purge_deletes_events_and_visits_before_the_cutoff(store: EventStore) -> None:
    day = 86_400_000
    store.write(
        [
            event(timestamp=T - 3 * day, pathname="/old"),
            event(timestamp=T - 1, pathname="/edge"),
            event(pathname="/new"),
        ],
        [
            session(1, start=T - 3 * day),  # ended three days ago
            session(2, start=T - 3 * day, timestamp=T + 5),  # began then, still going: kept
            session(3),
        ],
    )
    assert store.purge(T) == 3
    assert rows(store, "SELECT pathname FROM events") == [{"pathname": "/new"}]
    assert rows(store, "SELECT session_id FROM sessions ORDER BY session_id") == [{"session_id": 2}, {"session_id": 3}]
    assert store.purge(T) == 0
