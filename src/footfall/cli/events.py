"""footfall events export: a site's stored events, whether or not the server runs."""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import click

from footfall.cli.common import load, meta_store, running_server, setting_options
from footfall.cli.root import cli


@cli.group()
def events() -> None:
    """Read stored events."""


@events.command("export")
@click.option("--site", required=True, help="The site's domain (or id).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--since", help="Only events at or after this ISO date/time (UTC unless an offset is given).")
@click.option("--until", help="Only events before this ISO date/time.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@setting_options(("data_dir", "storage"))
def events_export(site: str, fmt: str, since: str | None, until: str | None, output: str | None, **flags: Any) -> None:
    """Write a site's stored events (all columns) as JSON lines, CSV or Parquet."""
    from footfall.export import export_events, parse_instant

    cfg = load(**flags)
    try:
        since_ms = parse_instant(since) if since else None
        until_ms = parse_instant(until) if until else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    out = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115
    try:
        running = running_server(cfg.data_path) if cfg.storage == "duckdb" else None
        if running:
            _export_via_server(running, site, fmt, since, until, out)
            return
        found = meta_store(cfg.data_dir).find_site(site)
        if found is None:
            raise click.ClickException(f"no site {site!r} (footfall sites list)")
        from footfall.storage.backends import open_store

        if cfg.storage == "duckdb" and not (cfg.data_path / "events.duckdb").exists():
            return
        store = open_store(cfg, read_only=True)
        try:
            export_events(store, found.id, fmt, out, since_ms=since_ms, until_ms=until_ms)
        finally:
            store.close()
    finally:
        out.flush()
        if output:
            out.close()


def _export_via_server(
    info: dict[str, Any], site: str, fmt: str, since: str | None, until: str | None, out: Any
) -> None:
    query = {"site": site, "format": fmt, **({"since": since} if since else {}), **({"until": until} if until else {})}
    req = urllib.request.Request(
        f"{info['url']}/-/admin/export?{urllib.parse.urlencode(query)}",
        method="POST",
        headers={"Authorization": f"Bearer {info['token']}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            while chunk := resp.read(1 << 16):
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise click.ClickException(f"the running server refused the export ({exc.code}): {detail}") from exc
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach the running server at {info['url']}: {exc.reason}") from exc
