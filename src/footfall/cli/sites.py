"""footfall sites add / list."""

from __future__ import annotations

import json

import click

from footfall.cli.common import meta_store, setting_options
from footfall.cli.root import cli


@cli.group()
def sites() -> None:
    """Register and list sites."""


@sites.command("add")
@click.argument("domain")
@click.option("--id", "site_id", help="Use this UUID (e.g. the website id your Umami tracker already sends).")
@click.option("--hostname", "hostnames", multiple=True, help="Another hostname of this site (repeatable).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone deciding days in reports.")
@setting_options(("data_dir",))
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
    meta = meta_store(data_dir)
    try:
        site = meta.add_site(
            domain, site_id=site_id, hostnames=hostnames, timezone=timezone, now_ms=int(time.time() * 1000)
        )
    except (SiteExists, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(site.id)


@sites.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@setting_options(("data_dir",))
def sites_list(as_json: bool, data_dir: str | None) -> None:
    """List the registered sites."""
    for site in meta_store(data_dir).list_sites():
        if as_json:
            click.echo(
                json.dumps(
                    {"id": site.id, "domain": site.domain, "hostnames": list(site.hostnames), "timezone": site.timezone}
                )
            )
        else:
            extra = f"  hostnames: {', '.join(site.hostnames)}" if site.hostnames else ""
            click.echo(f"{site.id}  {site.domain}  {site.timezone}{extra}")
