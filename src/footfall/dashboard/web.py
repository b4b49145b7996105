"""What every dashboard response shares: security headers, cookies, CSRF tokens, form parsing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from footfall.http import BodyTooLarge, Request, Response

SESSION_COOKIE = "footfall_session"
# Before login there is no session to bind a CSRF token to; this random cookie stands in for it.
PRE_COOKIE = "footfall_pre"
MAX_FORM = 16 * 1024

# Tracker data is shown on these pages, so scripts may only come from our own files: an injected
# <script> or on*= attribute would not run even if some escaping were missed.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
)


def is_https(request: Request, base_url: str) -> bool:
    return request.scope.get("scheme") == "https" or base_url.startswith("https://")


def cookie(name: str, value: str, *, secure: bool, max_age: int | None = None) -> tuple[str, str]:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return ("set-cookie", "; ".join(parts))


def html_page(body: str, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, body.encode(), "text/html; charset=utf-8", (*SECURITY_HEADERS, *headers))


def redirect(location: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(303, b"", None, (("location", location), *SECURITY_HEADERS, *headers))


class Csrf:
    """Tokens bound to the caller's cookie (session or pre-login) by an HMAC under a server secret."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def token(self, binding: str) -> str:
        return hmac.new(self.secret, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()

    def valid(self, binding: str, given: str) -> bool:
        return bool(binding) and hmac.compare_digest(self.token(binding).encode(), given.encode())


def new_pre_token() -> str:
    return secrets.token_urlsafe(18)


async def read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, or None when it is too large, not a form, or not UTF-8."""
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    try:
        body = await request.read_body(MAX_FORM)
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50))
    except (BodyTooLarge, UnicodeDecodeError, ValueError):
        return None
