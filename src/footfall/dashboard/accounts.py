"""Dashboard users, their login sessions, and the login rate limit.

Passwords are hashed with Argon2id (memory-hard). A session cookie holds a random token; the
metadata store keeps only its SHA-256, so a copy of meta.sqlite3 does not let anyone sign in.
Every node reads sessions from the shared metadata store; only the login rate limit is per node,
which is enough to make password guessing slow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from footfall.storage.meta import MetaStore

Clock = Callable[[], int]

SESSION_TTL_MS = 14 * 24 * 3600 * 1000
MAX_EMAIL = 254
MAX_PASSWORD = 1024
MIN_PASSWORD = 8
FIRST_ADMIN = "admin"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS login_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
    )""",
)


class BadCredentials(ValueError):
    """An email or password that cannot be stored (empty, too short, too long)."""


@dataclasses.dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


class Accounts:
    def __init__(self, meta: MetaStore, clock: Clock, hasher: PasswordHasher | None = None) -> None:
        self.meta = meta
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        meta.ensure_schema(*_SCHEMA)
        self._decoy = ""

    # -- users -----------------------------------------------------------------------------

    def has_users(self) -> bool:
        return bool(self.meta.read("SELECT 1 FROM users LIMIT 1"))

    def set_password(self, email: str, password: str) -> User:
        """Create the user, or give an existing one a new password (which ends their sessions)."""
        email = normalize_email(email)
        if not email or len(email) > MAX_EMAIL or any(c.isspace() for c in email):
            raise BadCredentials("the email must be 1-254 characters without spaces")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise BadCredentials(f"the password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
        hashed = self.hasher.hash(password)
        with self.meta.transaction() as conn:
            conn.execute(
                "INSERT INTO users (email, password_hash, created_at_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash",
                (email, hashed, self.clock()),
            )
            row = conn.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
            conn.execute("DELETE FROM login_sessions WHERE user_id = ?", (row[0],))
        return User(int(row[0]), email)

    def create_first_admin(self) -> str | None:
        """On first run, the `admin` user with a random password, returned once; None if users exist."""
        if self.has_users():
            return None
        password = secrets.token_urlsafe(12)
        self.set_password(FIRST_ADMIN, password)
        return password

    def authenticate(self, email: str, password: str) -> User | None:
        email = normalize_email(email)
        if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
            return None
        rows = self.meta.read("SELECT id, password_hash FROM users WHERE email = ?", (email,))
        if not rows and not self._decoy:
            # Verifying against a fixed hash when the email is unknown keeps the timing of a failed
            # login the same whether or not the account exists.
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        stored = str(rows[0][1]) if rows else self._decoy
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        user = User(int(str(rows[0][0])), email)
        if self.hasher.check_needs_rehash(stored):
            self.set_password(email, password)
        return user

    # -- sessions --------------------------------------------------------------------------

    def start_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.meta.transaction() as conn:
            conn.execute("DELETE FROM login_sessions WHERE expires_at_ms < ?", (now,))
            conn.execute(
                "INSERT INTO login_sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)",
                (_digest(token), user.id, now, now + SESSION_TTL_MS),
            )
        return token

    def session_user(self, token: str) -> User | None:
        if not token or len(token) > 128:
            return None
        rows = self.meta.read(
            "SELECT u.id, u.email FROM login_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token_hash = ? AND s.expires_at_ms > ?",
            (_digest(token), self.clock()),
        )
        return User(int(str(rows[0][0])), str(rows[0][1])) if rows else None

    def end_session(self, token: str) -> None:
        with self.meta.transaction() as conn:
            conn.execute("DELETE FROM login_sessions WHERE token_hash = ?", (_digest(token),))


class LoginLimiter:
    """At most `attempts` failed logins per key (client IP, and email) in a sliding window.

    Bounded: past `max_keys` the oldest keys are forgotten, so a flood of addresses cannot grow it.
    """

    def __init__(self, clock: Clock, attempts: int = 10, window_ms: int = 15 * 60_000, max_keys: int = 10_000) -> None:
        self.clock = clock
        self.attempts = attempts
        self.window_ms = window_ms
        self.max_keys = max_keys
        self._failures: OrderedDict[str, list[int]] = OrderedDict()

    def _recent(self, key: str) -> list[int]:
        cutoff = self.clock() - self.window_ms
        times = [t for t in self._failures.get(key, []) if t > cutoff]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._failures.setdefault(key, []).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
