"""The command-line contract (DESIGN.md): sites add/list, events export, settings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from footfall.app import create_app
from footfall.cli import cli
from footfall.model import EVENT_COLUMNS
from footfall.protocols.plausible import parse_body
from footfall.settings import Settings

from conftest import CHROME_UA, T0, FakeClock


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_sites_add_prints_the_id_and_list_shows_it(runner: CliRunner, tmp_path: Path) -> None:
    d = str(tmp_path)
    r = runner.invoke(cli, ["sites", "add", "WWW.Example.COM", "--hostname", "blog.example.com", "--data-dir", d])
    assert r.exit_code == 0, r.output
    site_id = r.output.strip()
    assert len(site_id) == 36
    r = runner.invoke(cli, ["sites", "list", "--data-dir", d, "--json"])
    assert json.loads(r.output) == {
        "id": site_id,
        "domain": "example.com",
        "hostnames": ["blog.example.com"],
        "timezone": "UTC",
    }


def test_sites_add_with_a_given_id(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(
        cli, ["sites", "add", "a.com", "--id", "9D8A0F3C-3F43-4C3B-A9A3-1B1A3C2F8E10", "--data-dir", str(tmp_path)]
    )
    assert r.output.strip() == "9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "nope"], "must be a UUID"),
        (["--timezone", "Mars/Olympus"], "unknown timezone"),
    ],
)
def test_sites_add_rejects_bad_input(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    r = runner.invoke(cli, ["sites", "add", "a.com", *args, "--data-dir", str(tmp_path)])
    assert r.exit_code != 0
    assert message in r.output


def test_sites_add_twice_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(cli, ["sites", "add", "a.com", "--data-dir", str(tmp_path)])
    r = runner.invoke(cli, ["sites", "add", "www.a.com", "--data-dir", str(tmp_path)])
    assert r.exit_code == 1
    assert "exists already" in r.output


def test_environment_variables_set_the_data_dir(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(cli, ["sites", "add", "env.com"], env={"FOOTFALL_DATA_DIR": str(tmp_path)})
    assert r.exit_code == 0
    assert (tmp_path / "meta.sqlite3").exists()


def _fill(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    clock = FakeClock()
    app = create_app(Settings(data_dir=str(data)), clock=clock)
    app.meta.add_site("example.com", now_ms=T0)
    app.startup()
    for i in range(3):
        hits = parse_body(
            {
                "n": "pageview" if i < 2 else "Signup",
                "u": f"https://example.com/p{i}",
                "d": "example.com",
                "p": {"plan": "pro"} if i == 2 else {},
            },
            ip="81.2.69.142",
            user_agent=CHROME_UA,
            now_ms=clock(),
        )
        app.ingestor.ingest(hits)
        clock.advance(minutes=10 * 60)
    app.shutdown()
    app.store.close()
    return data


def test_export_jsonl_has_every_column(runner: CliRunner, tmp_path: Path) -> None:
    data = _fill(tmp_path)
    r = runner.invoke(cli, ["events", "export", "--site", "example.com", "--data-dir", str(data)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [row["pathname"] for row in rows] == ["/p0", "/p1", "/p2"]
    assert tuple(rows[0]) == EVENT_COLUMNS
    assert rows[0]["timestamp"] == "2026-03-10T12:00:00.000Z"
    assert rows[2]["props"] == {"plan": "pro"}


def test_export_since_until(runner: CliRunner, tmp_path: Path) -> None:
    data = _fill(tmp_path)
    r = runner.invoke(
        cli,
        [
            "events",
            "export",
            "--site",
            "example.com",
            "--since",
            "2026-03-10T20:00:00",
            "--until",
            "2026-03-11T07:00Z",
            "--data-dir",
            str(data),
        ],
    )
    assert [json.loads(line)["pathname"] for line in r.output.splitlines()] == ["/p1"]


def test_export_csv_and_parquet(runner: CliRunner, tmp_path: Path) -> None:
    data = _fill(tmp_path)
    r = runner.invoke(cli, ["events", "export", "--site", "example.com", "--format", "csv", "--data-dir", str(data)])
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert len(rows) == 3 and tuple(rows[0]) == EVENT_COLUMNS
    assert json.loads(rows[2]["props"]) == {"plan": "pro"}
    out = tmp_path / "e.parquet"
    r = runner.invoke(
        cli,
        ["events", "export", "--site", "example.com", "--format", "parquet", "-o", str(out), "--data-dir", str(data)],
    )
    assert r.exit_code == 0, r.output
    table = pq.read_table(out)
    assert table.num_rows == 3 and tuple(table.column_names) == EVENT_COLUMNS


def test_export_of_an_unknown_site_fails_clearly(runner: CliRunner, tmp_path: Path) -> None:
    data = _fill(tmp_path)
    r = runner.invoke(cli, ["events", "export", "--site", "nope.com", "--data-dir", str(data)])
    assert r.exit_code == 1 and "no site 'nope.com'" in r.output


def test_help_lists_every_environment_variable(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["--help"])
    for name in ("FOOTFALL_PORT", "FOOTFALL_DATA_DIR", "FOOTFALL_FLUSH_INTERVAL_MS", "FOOTFALL_GEO_DB"):
        assert name in r.output


def test_bad_environment_value_is_a_clear_error(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["settings"], env={"FOOTFALL_PORT": "eighty"})
    assert r.exit_code == 1 and "FOOTFALL_PORT" in r.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {"FOOTFALL_STORAGE": "clickhouse"}, "only 'duckdb' is available"),
        (["--duckdb-memory-limit", "lots"], {}, "Memory must have a number"),
        (["--geo-db", "/nonexistent.mmdb"], {}, "does not exist"),
    ],
)
def test_bad_serve_settings_fail_with_a_message(
    runner: CliRunner, tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    # Flags without a command go to `serve` (a bare `footfall` serves).
    r = runner.invoke(cli, ["--data-dir", str(tmp_path), *args], env=env)
    assert r.exit_code == 1
    assert message in r.output
    assert "Traceback" not in r.output


def test_serve_refuses_a_database_another_process_holds(runner: CliRunner, tmp_path: Path) -> None:
    from footfall.storage.duckdb import DuckDBStore

    holder = DuckDBStore(tmp_path / "events.duckdb")  # e.g. a DuckDB shell left open on the file
    try:
        r = runner.invoke(cli, ["serve", "--data-dir", str(tmp_path)])
    finally:
        holder.close()
    assert r.exit_code == 1
    assert "lock" in r.output.lower()
    assert "Traceback" not in r.output
