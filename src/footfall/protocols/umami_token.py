"""Umami's `x-umami-cache` token and its session/visit UUIDs (reference/umami.md §1.8).

The token is a standard HS256 JWT, `{"websiteId", "sessionId", "visitId", "iat"}`, signed with a
server secret that is generated once and kept in the metadata store (so every node and every
restart agrees on it). HS256 is a few lines of hmac/hashlib, so no JWT dependency: only HS256 is
accepted, `none` and every other algorithm are refused, and a token that fails any check is
simply treated as absent (the tracker then gets a fresh one), never an error.

Umami's ids are UUIDv5 over its own hashes; Footfall's ids are its 64-bit cookieless hashes, so
`sessionId` (Umami's "visitor") is derived from Footfall's visitor id and `visitId` from its
session id, under fixed namespaces: the same visitor in the same visit gets the same pair on
every request, on every node.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import uuid
from typing import Any

import msgspec

MAX_TOKEN_CHARS = 2048  # ours are ~300; anything far longer is not ours and not worth decoding

# Fixed, arbitrary namespaces (uuid5 of a Footfall URL); changing them would change every id.
SESSION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://footfall.invalid/umami/session")
VISIT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://footfall.invalid/umami/visit")

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class TokenClaims(msgspec.Struct, omit_defaults=True):
    websiteId: str = ""
    sessionId: str = ""
    visitId: str = ""
    iat: int = 0


def _uuid5(namespace: uuid.UUID, name: str) -> str:
    """uuid.uuid5(namespace, name) as text, without building UUID objects (this is per request)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# A visit sends several requests: its ids repeat, so keep the recent ones.
@functools.lru_cache(maxsize=16384)
def session_uuid(site_id: str, visitor_id: int) -> str:
    return _uuid5(SESSION_NAMESPACE, f"{site_id}/{visitor_id}")


@functools.lru_cache(maxsize=16384)
def visit_uuid(site_id: str, session_id: int) -> str:
    return _uuid5(VISIT_NAMESPACE, f"{site_id}/{session_id}")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        # Keyed once; each MAC copies it. `hmac.digest(secret, ...)` redoes the key schedule and
        # looks the digest up by name on every call, and it releases the GIL, so during a flush
        # every request handed the interpreter to the writer thread and waited to get it back.
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def _mac(self, signing_input: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(signing_input)
        return mac.digest()

    def sign(self, claims: TokenClaims) -> str:
        signing_input = _HEADER + b"." + _b64(_encoder.encode(claims))
        return (signing_input + b"." + _b64(self._mac(signing_input))).decode("ascii")

    def verify(self, token: str) -> TokenClaims | None:
        """The claims of a token this server signed, or None for anything else."""
        if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            return None
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, payload, signature = parts
        try:
            expected = self._mac(f"{header}.{payload}".encode("ascii"))
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            # Checked after the MAC on purpose: only our own (HS256) headers get this far, but a
            # future key rotation or algorithm change must not let a `none` header through.
            head: Any = _decoder.decode(_unb64(header))
            if not isinstance(head, dict) or head.get("alg") != "HS256":
                return None
            return msgspec.json.decode(_unb64(payload), type=TokenClaims)
        except (ValueError, binascii.Error, msgspec.DecodeError, msgspec.ValidationError):
            return None
