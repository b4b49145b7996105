"""Metadata that every node must agree on: sites, daily salts, server secrets.

It lives in SQLite (WAL mode) beside the event store, not in DuckDB: DuckDB lets only one process
open a file for writing, and `footfall sites add` must work while the server runs. SQLite allows
many processes to read and write the same file safely. A multi-node deployment can later point
this interface at a shared database; nothing here is held only in one process's memory.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from footfall.model import Site

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sites (
        id TEXT PRIMARY KEY,
        domain TEXT NOT NULL UNIQUE,
        hostnames TEXT NOT NULL DEFAULT '[]',
        timezone TEXT NOT NULL DEFAULT 'UTC',
        created_at_ms INTEGER NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
)


class SiteExists(Exception):
    pass


def normalize_domain(domain: str) -> str:
    """Hostnames match case-insensitively and a leading www. is folded."""
    d = domain.strip().lower().rstrip(".")
    return d[4:] if d.startswith("www.") else d


class MetaStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._own_commits = 0
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        for ddl in _SCHEMA:
            self._conn.execute(ddl)

    def ensure_schema(self, *ddl: str) -> None:
        """Modules that keep their own metadata (API keys, users, ...) create their tables here."""
        with self._tx() as conn:
            for statement in ddl:
                conn.execute(statement)

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT) on the shared connection."""
        return self._tx()

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return [tuple(r) for r in self._conn.execute(sql, params).fetchall()]

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # A COMMIT refused as busy leaves the transaction open, which would refuse every
                # later BEGIN; one that hit a full disk was already rolled back by SQLite, and a
                # ROLLBACK's own error would then replace the one that says why.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._own_commits += 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def data_version(self) -> tuple[int, int]:
        """Changes whenever anyone commits: a cheap staleness check. SQLite's data_version only
        moves for commits by *other* connections (e.g. the CLI), so our own are counted too."""
        with self._lock:
            row = self._conn.execute("PRAGMA data_version").fetchone()
            return int(row[0]), self._own_commits

    # -- sites -----------------------------------------------------------------------------

    def add_site(
        self,
        domain: str,
        *,
        site_id: str | None = None,
        hostnames: tuple[str, ...] = (),
        timezone: str = "UTC",
        now_ms: int,
    ) -> Site:
        site = Site(
            id=str(uuid.UUID(site_id)) if site_id else str(uuid.uuid4()),
            domain=normalize_domain(domain),
            hostnames=tuple(dict.fromkeys(normalize_domain(h) for h in hostnames if h.strip())),
            timezone=timezone,
            created_at_ms=now_ms,
        )
        if not site.domain:
            raise ValueError("domain must not be empty")
        with self._tx() as conn:
            clash = conn.execute(
                "SELECT domain FROM sites WHERE id = ? OR domain = ?", (site.id, site.domain)
            ).fetchone()
            if clash:
                raise SiteExists(f"a site with this id or domain exists already ({clash[0]})")
            conn.execute(
                "INSERT INTO sites (id, domain, hostnames, timezone, created_at_ms) VALUES (?, ?, ?, ?, ?)",
                (site.id, site.domain, json.dumps(list(site.hostnames)), site.timezone, site.created_at_ms),
            )
        return site

    def delete_site(self, site_id: str) -> bool:
        with self._tx() as conn:
            return conn.execute("DELETE FROM sites WHERE id = ?", (site_id,)).rowcount > 0

    def list_sites(self) -> list[Site]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, domain, hostnames, timezone, created_at_ms FROM sites ORDER BY created_at_ms, domain"
            ).fetchall()
        return [Site(r[0], r[1], tuple(json.loads(r[2])), r[3], r[4]) for r in rows]

    def find_site(self, ref: str) -> Site | None:
        """A site by id or by (normalised) domain."""
        for site in self.list_sites():
            if site.id == ref or site.domain == normalize_domain(ref):
                return site
        return None

    # -- salts -----------------------------------------------------------------------------

    def salts_for(self, today: str, yesterday: str) -> tuple[bytes, bytes | None]:
        """Today's salt (created if missing) and yesterday's, if kept; older salts are deleted.

        INSERT OR IGNORE then read back, so concurrent nodes end up with the same salt.
        """
        with self._tx() as conn:
            conn.execute("INSERT OR IGNORE INTO salts (day, salt) VALUES (?, ?)", (today, secrets.token_bytes(16)))
            conn.execute("DELETE FROM salts WHERE day < ?", (yesterday,))
            rows = dict(conn.execute("SELECT day, salt FROM salts WHERE day IN (?, ?)", (today, yesterday)).fetchall())
        return bytes(rows[today]), (bytes(rows[yesterday]) if yesterday in rows else None)

    def salt_days(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT day FROM salts ORDER BY day").fetchall()]

    # -- secrets ---------------------------------------------------------------------------

    def secret(self, name: str, nbytes: int = 32) -> bytes:
        """A named server secret, generated once and kept."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, secrets.token_bytes(nbytes))
            )
            row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])
