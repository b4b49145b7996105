"""footfall serve: run ingestion, the stats API and the dashboard."""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import click

from footfall.cli.common import connect_host, load, package_version, running_server, server_file, setting_options
from footfall.cli.root import cli
from footfall.settings import SETTINGS


@cli.command()
@setting_options(tuple(s.name for s in SETTINGS))
def serve(**flags: Any) -> None:
    """Run the server: ingestion, stats API and dashboard."""
    import uvicorn

    from footfall.app import create_app
    from footfall.snippets import snippets
    from footfall.storage.backends import open_store_process

    cfg = load(**flags)
    if cfg.storage == "duckdb" and running_server(cfg.data_path):
        raise click.ClickException(f"a Footfall server already runs on {cfg.data_dir} (see server.json)")
    try:
        # The store runs in a child process, so its writes never pause request handling.
        app = create_app(cfg, store=open_store_process(cfg))
    except (ValueError, OSError, RuntimeError) as exc:
        # Bad settings, an unusable geo file, a database another process holds: say what, not a traceback.
        raise click.ClickException(str(exc)) from exc
    info_path = server_file(cfg.data_path)
    info = {"pid": os.getpid(), "url": f"http://{connect_host(cfg.host)}:{cfg.port}", "token": app.admin_token}
    fd = os.open(info_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)

    click.echo(f"Footfall {package_version()} on {cfg.base_url}  (data: {cfg.data_path.resolve()})")
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
    # The writer thread pickles each batch for the store process a chunk at a time, holding the
    # interpreter lock; with the default 5 ms switch interval a request arriving then waits up to
    # 5 ms per hand-over. 0.5 ms hands it back to the event loop sooner (not measured alone).
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
            # Requests still open 10 s after SIGTERM (a stalled client, a long export) are cut
            # off; then the lifespan shutdown flushes. Without it a single stalled client keeps
            # the server up until a supervisor's SIGKILL loses every buffered event.
            timeout_graceful_shutdown=10,
        )
    finally:
        app.store.close()  # after the lifespan's final flush: the child checkpoints and exits
        if info_path.exists():
            try:
                if json.loads(info_path.read_text()).get("pid") == os.getpid():
                    info_path.unlink()
            except (OSError, ValueError):
                pass


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
