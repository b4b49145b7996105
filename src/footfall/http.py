"""Minimal ASGI request/response plumbing for Footfall's routes.

The ingestion routes are measured against a no-op ASGI endpoint on the same server, so this layer
stays thin: no framework, one dict lookup to route, the body read once with a size bound.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):
    """The client sent more than the route's limit."""


class Request:
    __slots__ = ("scope", "_receive", "method", "path", "headers", "query_string", "body", "_cookies")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        # Header names are lower-case in ASGI; the first value of a repeated header wins, as in
        # Plausible's IP derivation, which only looks at the first value (read in reverse, the
        # first one is written last; ASGI allows any iterable, hence the list).
        self.headers: dict[str, str] = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(list(scope["headers"]))
        }
        self.query_string: bytes = scope.get("query_string", b"")
        self.body = b""
        self._cookies: dict[str, str] | None = None

    @property
    def client_host(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def query_params(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            jar: dict[str, str] = {}
            for part in self.headers.get("cookie", "").split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    jar[name] = value
            self._cookies = jar
        return self._cookies

    async def read_body(self, limit: int) -> bytes:
        """Read the whole body, raising BodyTooLarge past `limit` bytes (without buffering the rest)."""
        declared = self.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return self.body


class Response:
    __slots__ = ("status", "body", "headers")

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.headers: list[tuple[str, str]] = list(headers)
        if content_type is not None:
            self.headers.append(("content-type", content_type))

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self

    async def __call__(self, send: Send) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        raw.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


class StreamingResponse(Response):
    """A body sent as it is produced, in chunks (no content-length: the server sends it chunked)."""

    __slots__ = ("chunks",)

    def __init__(
        self, status: int, chunks: AsyncIterator[bytes], content_type: str, headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        super().__init__(status, b"", content_type, headers)
        self.chunks = chunks

    async def __call__(self, send: Send) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        await send({"type": "http.response.start", "status": self.status, "headers": raw})
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def json_response(data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, body, "application/json; charset=utf-8", headers)


def text_response(text: str, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8", headers)


Handler = Callable[[Request], Awaitable[Response]]
