"""The baseline: a raw ASGI endpoint that reads the body and answers 202 "ok", nothing else.

Served by the same server stack and flags as Footfall, so the ratio measures Footfall's own cost.
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})
