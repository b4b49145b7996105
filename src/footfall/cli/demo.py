"""footfall demo: realistic traffic through the real ingestion pipeline."""

from __future__ import annotations

import click

from footfall.cli.common import load, running_server, setting_options
from footfall.cli.root import cli


@cli.command()
@click.option("--events", "n_events", type=click.IntRange(1, 100_000_000), default=100_000, show_default=True)
@click.option("--site", "domain", default="demo.footfall.test", show_default=True, help="Created if missing.")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True, help="Spread over the last D days")
@click.option("--seed", type=int, default=1, show_default=True)
@setting_options(("data_dir",))
def demo(n_events: int, domain: str, days: int, seed: int, data_dir: str | None) -> None:
    """Fill a site with realistic traffic through the real ingestion pipeline."""
    import time

    from footfall.app import create_app
    from footfall.demo import DemoClock, run_demo

    cfg = load(data_dir=data_dir)
    if running_server(cfg.data_path):
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
