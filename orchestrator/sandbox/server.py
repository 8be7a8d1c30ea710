"""The built-in sandbox over loopback HTTP: every emulated remote at one base URL (`manage.py sandbox_server`).

    CX Sales   http://127.0.0.1:PORT/crmRestApi/resources/11.13.18.05/…   (CX_BASE_URL=http://127.0.0.1:PORT)
    Outreach   http://127.0.0.1:PORT/api/v2/opportunityStages…           (OUTREACH_BASE_URL=http://127.0.0.1:PORT/api/v2)
    B2C        http://127.0.0.1:PORT/services/rest/connect/v1.4/tasks…   (B2C_BASE_URL=http://127.0.0.1:PORT/services/rest/connect/v1.4)

It answers through `SandboxRemotes` over the same database tables as the
in-process sandbox (``sandbox://builtin``), so what a script writes here
the sandbox page shows, and the "Reset sandbox" button empties. Like the
in-process sandbox it does not check credentials, which is why it only ever
binds a loopback address. Each request runs on its own thread with its own
database connection, closed when the request ends.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import connections

from .outreach_emulator import RateLimiter
from .remotes import EMULATED, SandboxRemotes

logger = logging.getLogger("orchestrator.sandbox.server")
MAX_BODY = 5_000_000  # bytes: far above any stage document, small enough to refuse a runaway upload


class SandboxServer:
    """A ThreadingHTTPServer on `host`:`port` (loopback only; port 0 picks a free one) serving every emulator."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, rate_limit: int | None = None) -> None:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"The sandbox server does not check credentials: it binds loopback only, not {host!r}.")
        self.rate_limiter = RateLimiter(rate_limit) if rate_limit else None
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = self
        bound_host, bound_port = self._httpd.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}"
        self._thread: threading.Thread | None = None

    def endpoints(self) -> list[tuple[str, str, str]]:
        """(system, where its API answers, the base URL a connection to it takes) for every emulated remote."""
        rows = []
        for root, key, label in EMULATED:
            # Outreach's and B2C Service's base URLs name their API root; CX Sales' does not.
            base = f"{self.url}{root}" if key in ("outreach", "b2c_service") else self.url
            rows.append((label, f"{self.url}{root}/…", base))
        return rows

    def remotes(self) -> SandboxRemotes:
        """The emulators for one request (links in replies start with this server's URL)."""
        return SandboxRemotes(base_url=self.url, rate_limiter=self.rate_limiter)

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def start(self) -> SandboxServer:
        """Serve on a background thread (tests); `stop()` ends it."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: SandboxServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_PATCH = do_PUT = do_GET

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            return self._reply(413, {"Content-Type": "application/json"}, b'{"title": "Payload Too Large"}')
        body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            status, headers, content = self.server.sandbox.remotes().handle(
                self.command, url.path, query, dict(self.headers.items()), body
            )
        except Exception:
            # Like a real server: the client gets a 500, the details go to the log.
            logger.exception("sandbox server failed on %s %s", self.command, url.path)
            detail = {"title": "Internal Server Error", "detail": "The sandbox failed; see the server's log."}
            status, headers, content = 500, {"Content-Type": "application/json"}, json.dumps(detail).encode()
        finally:
            connections.close_all()  # this thread's database connection: the next request may run elsewhere
        logger.info("%s %s -> %s", self.command, url.path, status)
        self._reply(status, headers, content)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status, HTTPStatus(status).phrase)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
