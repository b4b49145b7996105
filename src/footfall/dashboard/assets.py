"""The dashboard's static files (package data), read once and served gzip-compressed with ETags."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from importlib import resources

from footfall.dashboard.web import SECURITY_HEADERS
from footfall.http import Handler, Request, Response

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
_HEADERS = tuple((k, v) for k, v in SECURITY_HEADERS if k != "cache-control")


@dataclasses.dataclass(frozen=True, slots=True)
class Asset:
    content_type: str
    body: bytes
    gzipped: bytes
    etag: str


def load_assets() -> dict[str, Asset]:
    """URL path (/static/NAME) -> asset, for every file shipped in footfall/dashboard/static."""
    assets: dict[str, Asset] = {}
    for entry in resources.files("footfall.dashboard").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if not entry.is_file() or suffix not in _TYPES:
            continue
        body = entry.read_bytes()
        assets[f"/static/{entry.name}"] = Asset(
            _TYPES[suffix],
            body,
            gzip.compress(body, compresslevel=9, mtime=0),
            '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        )
    return assets


def serve(asset: Asset) -> Handler:
    async def handler(request: Request) -> Response:
        # Revalidated on every load (no-cache) but answered 304 when unchanged: a new release is
        # picked up at once without versioned file names in the ES module imports.
        headers = [*_HEADERS, ("etag", asset.etag), ("cache-control", "no-cache"), ("vary", "accept-encoding")]
        if request.headers.get("if-none-match") == asset.etag:
            return Response(304, b"", None, headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers.append(("content-encoding", "gzip"))
            body = asset.gzipped
        else:
            body = asset.body
        return Response(200, b"" if request.method == "HEAD" else body, asset.content_type, headers)

    return handler
