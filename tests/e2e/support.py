"""End-to-end helpers: a real `footfall serve` process, npm packages, headless Chromium.

Everything binds to 127.0.0.x. Each helper stops what it started, by PID. Where a tool is
missing the test is skipped, unless FOOTFALL_REQUIRE_E2E=1 (CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NPM_CACHE = Path(os.environ.get("FOOTFALL_NPM_CACHE", Path.home() / ".cache" / "footfall" / "npm"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def unavailable(reason: str) -> None:
    if os.environ.get("FOOTFALL_REQUIRE_E2E") == "1":
        pytest.fail(f"end-to-end prerequisite missing: {reason}")
    pytest.skip(reason)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@functools.cache
def npm_package(spec: str) -> Path:
    """Install an npm package (e.g. '@umami/node@0.4.0') into a cache; return its folder."""
    if shutil.which("npm") is None:
        unavailable("npm is not installed")
    name = spec.rsplit("@", 1)[0] if spec.count("@") > (1 if spec.startswith("@") else 0) else spec
    prefix = NPM_CACHE / spec.replace("/", "__")
    folder = prefix / "node_modules" / name
    if not (folder / "package.json").exists():
        prefix.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), spec],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            unavailable(f"npm install {spec} failed: {result.stderr[-500:]}")
    return folder


class FootfallServer:
    """`footfall serve` as a real process on 127.0.0.1."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FOOTFALL_FLUSH_INTERVAL_MS": "200", **env}
        self.proc: subprocess.Popen[str] | None = None
        self.output = ""

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "footfall", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
            check=check,
        )

    def start(self, *, own_process_group: bool = False) -> FootfallServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "footfall", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            start_new_session=own_process_group,  # as in a terminal: Ctrl-C reaches the whole group
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"footfall serve exited: {self.proc.stdout.read() if self.proc.stdout else ''}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url + "/api/health", timeout=1) as r:
                if r.status == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError("footfall serve did not become healthy")

    def stop(self) -> str:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            self.output = out or ""
        return self.output

    def export(self, site: str) -> list[dict[str, Any]]:
        result = self.cli("events", "export", "--site", site, "--data-dir", str(self.data_dir))
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


class _Handler(http.server.SimpleHTTPRequestHandler):
    pages: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:
        page = self.pages.get(self.path.split("?", 1)[0])
        if page is None:
            self.send_error(404)
            return
        content_type, body = page
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def static_site(pages: dict[str, tuple[str, bytes]], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve fixed pages (path -> (content type, body)) on host; yields the base URL."""
    handler = type("Pages", (_Handler,), {"pages": pages})
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium_page() -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium."""
    if not Path(CHROMIUM).exists():
        unavailable("chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright (Python) is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # Headless Chromium announces itself as HeadlessChrome, which Footfall drops as a bot
            # (correctly); the page presents the user agent a normal Chrome on Linux sends.
            ua = (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                f"Chrome/{browser.version} Safari/537.36"
            )
            page = browser.new_page(user_agent=ua)
            yield page
        finally:
            browser.close()


@contextlib.contextmanager
def page_reached_from_a_link(pages: dict[str, tuple[str, bytes]], link: str) -> Iterator[Any]:
    """Serve `pages` on 127.0.0.1 and a page on 127.0.0.2 whose link `#go` points at `link` on
    them; yields a browser tab open on that referring page (click `#go` to arrive with a referrer)."""
    with static_site(pages) as site:
        referring = f'<!doctype html><html><body><a id=go href="{site}{link}">read</a>\n</body></html>'
        with (
            static_site({"/": ("text/html", referring.encode())}, host="127.0.0.2") as referrer,
            chromium_page() as page,
        ):
            page.goto(referrer + "/")
            yield page
