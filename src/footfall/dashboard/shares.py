"""Shared links: a read-only public dashboard URL per site, revocable.

The token is the whole secret of the link, so it is long and random. It is kept in clear (like a
Plausible shared-link slug) because the owner must be able to copy the link again later.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from footfall.storage.meta import MetaStore

Clock = Callable[[], int]
MAX_LABEL = 80
MAX_LINKS_PER_SITE = 50

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS shared_links (
        token TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        created_at_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS shared_links_site ON shared_links (site_id)",
)


class TooManyLinks(Exception):
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class SharedLink:
    token: str
    site_id: str
    label: str
    created_at_ms: int


class SharedLinks:
    def __init__(self, meta: MetaStore, clock: Clock) -> None:
        self.meta = meta
        self.clock = clock
        meta.ensure_schema(*_SCHEMA)

    def create(self, site_id: str, label: str = "") -> SharedLink:
        link = SharedLink(secrets.token_urlsafe(24), site_id, label.strip()[:MAX_LABEL], self.clock())
        with self.meta.transaction() as conn:
            (count,) = conn.execute("SELECT count(*) FROM shared_links WHERE site_id = ?", (site_id,)).fetchone()
            if count >= MAX_LINKS_PER_SITE:
                raise TooManyLinks(f"a site can have at most {MAX_LINKS_PER_SITE} shared links")
            conn.execute(
                "INSERT INTO shared_links (token, site_id, label, created_at_ms) VALUES (?, ?, ?, ?)",
                (link.token, link.site_id, link.label, link.created_at_ms),
            )
        return link

    def for_site(self, site_id: str) -> list[SharedLink]:
        rows = self.meta.read(
            "SELECT token, site_id, label, created_at_ms FROM shared_links WHERE site_id = ? ORDER BY created_at_ms",
            (site_id,),
        )
        return [SharedLink(str(r[0]), str(r[1]), str(r[2]), int(str(r[3]))) for r in rows]

    def site_of(self, token: str) -> str | None:
        if not token or len(token) > 64:
            return None
        rows = self.meta.read("SELECT site_id FROM shared_links WHERE token = ?", (token,))
        return str(rows[0][0]) if rows else None

    def revoke(self, token: str, site_id: str) -> bool:
        with self.meta.transaction() as conn:
            return (
                conn.execute("DELETE FROM shared_links WHERE token = ? AND site_id = ?", (token, site_id)).rowcount > 0
            )

    def revoke_site(self, site_id: str) -> None:
        with self.meta.transaction() as conn:
            conn.execute("DELETE FROM shared_links WHERE site_id = ?", (site_id,))
