"""`footfall keys ...` and `footfall demo` (CliRunner, real data dirs)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from footfall.api.auth import ApiKeys
from footfall.cli import cli
from footfall.enrich.geo import open_geo
from footfall.storage.duckdb import DuckDBStore
from footfall.storage.meta import MetaStore


def test_keys_create_list_and_revoke(tmp_path: Path):
    data = str(tmp_path / "data")
    runner = CliRunner()
    assert runner.invoke(cli, ["sites", "add", "example.com", "--data-dir", data]).exit_code == 0
    assert runner.invoke(cli, ["sites", "add", "other.org", "--data-dir", data]).exit_code == 0
    result = runner.invoke(cli, ["keys", "create", "--site", "example.com", "--site", "other.org", "--data-dir", data])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert len(key) == 64

    meta = MetaStore(Path(data) / "meta.sqlite3")
    record = ApiKeys(meta).verify(key)
    assert record is not None and len(record.site_ids) == 2

    listed = runner.invoke(cli, ["keys", "list", "--data-dir", data])
    assert listed.exit_code == 0
    assert key[:8] in listed.output and key not in listed.output
    assert "active" in listed.output and "example.com,other.org" in listed.output

    revoked = runner.invoke(cli, ["keys", "revoke", key[:8], "--data-dir", data])
    assert revoked.exit_code == 0
    assert ApiKeys(meta).verify(key) is None
    assert "revoked" in runner.invoke(cli, ["keys", "list", "--data-dir", data]).output
    again = runner.invoke(cli, ["keys", "revoke", key[:8], "--data-dir", data])
    assert again.exit_code != 0


def test_keys_create_refuses_an_unknown_site(tmp_path: Path):
    result = CliRunner().invoke(cli, ["keys", "create", "--site", "nowhere.test", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "no site" in result.output


def test_demo_fills_a_site_through_the_pipeline(tmp_path: Path):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["demo", "--events", "3000", "--days", "3", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "events to demo.footfall.test" in result.output
    site = MetaStore(data / "meta.sqlite3").find_site("demo.footfall.test")
    assert site is not None
    store = DuckDBStore(data / "events.duckdb", read_only=True)
    try:
        _c, rows = store.query("SELECT count(*), count(DISTINCT session_id) FROM events WHERE site_id = ?", [site.id])
        n_events, n_sessions = rows[0]
        assert 2700 <= n_events <= 3100  # about N: the last visit is sent whole
        _c, rows = store.query("SELECT count(*) FROM sessions WHERE site_id = ?", [site.id])
        assert rows[0][0] == n_sessions
        _c, rows = store.query(
            "SELECT country, count(*) FROM sessions WHERE site_id = ? GROUP BY country ORDER BY 2 DESC", [site.id]
        )
        assert rows[0][0] in ("CN", "IN", "US") and all(r[0] for r in rows)
    finally:
        store.close()
    # The addresses were picked because the geo database places them: a sample re-checks that.
    import random

    from footfall.demo import COUNTRY_USERS, ip_pools

    pools = ip_pools(open_geo(data, "").lookup, random.Random(3), per_country=2)
    geo = open_geo(data, "")
    for country, ips in list(pools.items())[:10]:
        assert country in COUNTRY_USERS
        assert all(geo.lookup(ip).country == country for ip in ips)
