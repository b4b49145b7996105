"""What the commands share: settings-table options, loading settings, the running server's file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from footfall import settings as settings_mod
from footfall.settings import Settings

if TYPE_CHECKING:
    from footfall.storage.meta import MetaStore

F = TypeVar("F", bound=Callable[..., Any])


def setting_options(names: tuple[str, ...]) -> Callable[[F], F]:
    """Click options generated from the settings table, so flags, env vars and help agree."""

    def decorate(fn: F) -> F:
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


def load(**flags: Any) -> Settings:
    try:
        return settings_mod.load(flags)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def server_file(data_dir: Path) -> Path:
    return data_dir / "server.json"


def running_server(data_dir: Path) -> dict[str, Any] | None:
    """The server.json of a live `footfall serve` on this data dir, if any."""
    path = server_file(data_dir)
    try:
        info: dict[str, Any] = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return info


def connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("footfall")
    except PackageNotFoundError:
        return "dev"


def meta_store(data_dir: str | None) -> MetaStore:
    from footfall.storage.meta import MetaStore

    cfg = load(data_dir=data_dir)
    return MetaStore(cfg.data_path / "meta.sqlite3")
