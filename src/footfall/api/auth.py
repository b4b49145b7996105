"""Read access to a site's stats: API keys, and a seam for other credentials.

`Authorizer` holds an ordered list of credential checkers `(request, site) -> bool`; any one that
says yes grants read access. The API-key checker is first; the dashboard adds its session-cookie
and shared-link checkers with `authorizer.add(...)`. Failures answer with Plausible's bodies
(reference/plausible.md §4.1).

Keys are 64-character URL-safe random strings, shown once. Only an HMAC-SHA256 of the key under a
server secret is stored (plus an 8-character prefix to recognise it in `footfall keys list`), so a
copy of the metadata database does not reveal usable keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable

from footfall.http import Request, Response, json_response
from footfall.model import Site
from footfall.storage.meta import MetaStore

MISSING_KEY = "Missing API key. Please use a valid Plausible API key as a Bearer Token."
INVALID_KEY = " ".join(
    (
        "Invalid API key or site ID.",
        "Please make sure you're using a valid API key with access to the site you've requested.",
    )
)
MISSING_SITE = "Missing site ID. Please provide the required site_id parameter with your request."
MAX_KEY_LEN = 200

_DDL = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY,
        prefix TEXT NOT NULL,
        key_hash BLOB NOT NULL UNIQUE,
        site_ids TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        revoked_at_ms INTEGER
    )""",
)

Checker = Callable[[Request, Site], bool]


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    prefix: str
    site_ids: tuple[str, ...]
    created_at_ms: int
    revoked_at_ms: int | None


class ApiKeys:
    """API keys in the metadata store (works from the CLI while the server runs)."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta
        meta.ensure_schema(*_DDL)
        self._secret = meta.secret("api_key_hmac")

    def _hash(self, key: str) -> bytes:
        return hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def create(self, site_ids: list[str], now_ms: int) -> tuple[ApiKey, str]:
        """A new key for these sites: (its record, the key itself, to show once)."""
        if not site_ids:
            raise ValueError("a key must be made for at least one site")
        key = secrets.token_urlsafe(48)  # 64 characters, as Plausible's
        record = ApiKey(str(uuid.uuid4()), key[:8], tuple(dict.fromkeys(site_ids)), now_ms, None)
        with self._meta.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, prefix, key_hash, site_ids, created_at_ms) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.prefix, self._hash(key), json.dumps(list(record.site_ids)), now_ms),
            )
        return record, key

    def verify(self, key: str) -> ApiKey | None:
        """The live key record for a presented key, or None."""
        if not key or len(key) > MAX_KEY_LEN:
            return None
        rows = self._meta.read(
            "SELECT id, prefix, site_ids, created_at_ms, revoked_at_ms FROM api_keys "
            "WHERE key_hash = ? AND revoked_at_ms IS NULL",
            (self._hash(key),),
        )
        return _record(rows[0]) if rows else None

    def list(self) -> list[ApiKey]:
        rows = self._meta.read(
            "SELECT id, prefix, site_ids, created_at_ms, revoked_at_ms FROM api_keys ORDER BY created_at_ms, id"
        )
        return [_record(r) for r in rows]

    def revoke(self, ref: str, now_ms: int) -> int:
        """Revoke by id or key prefix; the number of keys revoked."""
        with self._meta.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at_ms = ? WHERE (id = ? OR prefix = ?) AND revoked_at_ms IS NULL",
                (now_ms, ref, ref),
            )
            return int(cur.rowcount)


def _record(row: tuple[object, ...]) -> ApiKey:
    sites = json.loads(str(row[2]))
    revoked = row[4]
    return ApiKey(str(row[0]), str(row[1]), tuple(sites), int(str(row[3])), int(str(revoked)) if revoked else None)


def bearer_token(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    return token or None


class Authorizer:
    """Who may read a site's stats: the first checker that says yes wins."""

    def __init__(self, keys: ApiKeys, find_site: Callable[[str], Site | None]) -> None:
        self.keys = keys
        self._find_site = find_site
        self.checkers: list[Checker] = [self._api_key_grants]

    def add(self, checker: Checker) -> None:
        self.checkers.append(checker)

    def _api_key_grants(self, request: Request, site: Site) -> bool:
        token = bearer_token(request)
        record = self.keys.verify(token) if token else None
        return record is not None and site.id in record.site_ids

    def authorize(self, request: Request, site_ref: object) -> Site | Response:
        """The site the request may read, or the 400/401 response to send."""
        token = bearer_token(request)
        if token is not None and self.keys.verify(token) is None:
            return json_response({"error": INVALID_KEY}, 401)
        if not isinstance(site_ref, str) or not site_ref.strip():
            return json_response({"error": MISSING_SITE if token else MISSING_KEY}, 400 if token else 401)
        site = self._find_site(site_ref.strip())
        if site is not None and any(check(request, site) for check in self.checkers):
            return site
        return json_response({"error": INVALID_KEY if token else MISSING_KEY}, 401)
