"""In-process cost of one Plausible request through the whole ASGI app (no sockets, no client).

    python bench/profile_asgi.py

Prints microseconds per request and a cProfile of the hot path. Complements run_ingest.py,
whose HTTP numbers include the load generator sharing the machine's two cores.
"""

import asyncio
import cProfile
import json
import pstats
import random
import tempfile
import time

from run_storage import REFS, UAS, public_ip

from footfall.app import create_app
from footfall.settings import Settings

app = create_app(Settings(data_dir=tempfile.mkdtemp()))
app.meta.add_site("example.com", now_ms=0)
app.startup()
rng = random.Random(1)
reqs = []
for i in range(20000):
    body = json.dumps(
        {
            "n": "pageview",
            "u": f"https://example.com/docs/page-{int(500 ** rng.random())}",
            "d": "example.com",
            "r": REFS[i % len(REFS)] or None,
        }
    ).encode()
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"text/plain"),
        (b"user-agent", UAS[i % len(UAS)].encode()),
        (b"x-forwarded-for", public_ip(i % 3000).encode()),
        (b"content-length", str(len(body)).encode()),
        (b"accept", b"*/*"),
    ]
    reqs.append((body, headers))


async def one(body, headers, path="/api/event"):
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": headers,
        "query_string": b"",
        "client": ("127.0.0.1", 1234),
    }
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    out = []

    async def send(m):
        out.append(m)

    await app(scope, receive, send)
    return out[0]["status"]


async def main(n):
    for body, h in reqs[:n]:
        await one(body, h)


asyncio.run(main(3000))
t = time.perf_counter()
asyncio.run(main(20000))
el = time.perf_counter() - t
print("us per request", el / 20000 * 1e6)
cProfile.run("asyncio.run(main(20000))", "/tmp/pa.out")
app.shutdown()
pstats.Stats("/tmp/pa.out").sort_stats("tottime").print_stats(22)
