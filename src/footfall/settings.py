"""The one table of settings.

Each setting has a name, a default, a type, and a help line. The same table drives the
command-line flags of `footfall serve`, the `FOOTFALL_<NAME>` environment variables,
`footfall settings` and the README (tests/test_docs.py checks the README against it).
Precedence: command-line flag, then environment variable, then default.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    type: type
    help: str

    @property
    def env_var(self) -> str:
        return "FOOTFALL_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", str, "Address to listen on."),
    Setting("port", 8000, int, "Port to listen on."),
    Setting("data_dir", "./footfall-data", str, "Directory holding the database, salts and secrets."),
    Setting("public_url", "", str, "URL trackers use to reach this server (default: http://HOST:PORT)."),
    Setting("storage", "duckdb", str, "Event store: duckdb (embedded; the only backend so far)."),
    Setting(
        "duckdb_memory_limit",
        "64MB",
        str,
        "Memory DuckDB may use for caching and queries (larger queries spill to disk; more caches more of the file).",
    ),
    Setting("flush_interval_ms", 1000, int, "Write buffered events at least this often (milliseconds)."),
    Setting("flush_rows", 10000, int, "Write as soon as this many events are buffered."),
    Setting("buffer_max_rows", 200000, int, "Refuse new events (503) while this many wait to be written."),
    Setting("session_timeout_min", 30, int, "Minutes without events after which a visit ends."),
    Setting(
        "retention_days",
        0,
        int,
        "Delete events and visits older than this many days, checked hourly (0: keep everything).",
    ),
    Setting(
        "client_ip_header",
        "",
        str,
        "Trust only this header for the client IP (e.g. X-Forwarded-For); empty: Plausible's order.",
    ),
    Setting("ignore_ips", "", str, "Comma-separated IPs or CIDR ranges whose events are dropped."),
    Setting("geo_db", "", str, "Path to your own MaxMind/DB-IP .mmdb city or country file."),
    Setting("spam_list", "", str, "Path to an extra referrer-spam list (one host per line)."),
    Setting("log_level", "info", str, "Log level: debug, info, warning, error."),
)

BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: str = "./footfall-data"
    public_url: str = ""
    storage: str = "duckdb"
    duckdb_memory_limit: str = "64MB"
    flush_interval_ms: int = 1000
    flush_rows: int = 10000
    buffer_max_rows: int = 200000
    session_timeout_min: int = 30
    retention_days: int = 0
    client_ip_header: str = ""
    ignore_ips: str = ""
    geo_db: str = ""
    spam_list: str = ""
    log_level: str = "info"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _cast(setting: Setting, raw: Any) -> Any:
    if setting.type is int:
        return int(raw)
    return str(raw)


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Flags (overrides) win over FOOTFALL_* variables, which win over defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if overrides is not None and overrides.get(setting.name) is not None:
            values[setting.name] = _cast(setting, overrides[setting.name])
        elif setting.env_var in env:
            try:
                values[setting.name] = _cast(setting, env[setting.env_var])
            except ValueError as exc:
                raise ValueError(
                    f"{setting.env_var}: expected {setting.type.__name__}, got {env[setting.env_var]!r}"
                ) from exc
    return Settings(**values)


def _check_defaults_match() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    for setting in SETTINGS:
        if fields.get(setting.name) != setting.default:
            raise AssertionError(f"settings table and Settings disagree on {setting.name}")


_check_defaults_match()
