"""A real HTTP server on 127.0.0.1 for any emulated remote, with fault injection.

`FakeHTTPServer` is the loopback part every fake shares (CX Sales in
cx_server.py, Outreach in outreach_server.py): a ThreadingHTTPServer that
records every request, can add latency, and plays faults before (or
instead of) handing the request to the subclass's `answer`:

    server.fail("POST", r"/child/Stages$", status=503, retry_after=2, times=2)
    server.fail("POST", r"/opportunityStages$", status=422, body={...}, body_regex=r'"Negotiate"')
    server.delay("GET", r"/orchestrations/", seconds=1.0)
    server.drop("POST", r"/child/Stages$", when="after")   # stored, reply lost
    server.latency = 0.05

Path patterns are matched with re.search against the path below the
server's `root` (for CX Sales "/orchestrations/ORCH-1/child/Stages"); a
`body_regex` must also match the request body. Faults fire in the order they
were added, each `times` times; the first matching one handles a request.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

DropWhen = Literal["before", "after"]
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str  # below the server's root, still percent-encoded
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The parsed JSON body, or None."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def header(self, name: str) -> str:
        """A header by case-insensitive name ("" when absent)."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    kind: Literal["status", "delay", "drop"]
    times: int
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    when: DropWhen = "before"
    body_pattern: re.Pattern[str] | None = None

    def matches(self, method: str, path: str, body: bytes) -> bool:
        if self.method not in ("*", method) or not self.pattern.search(path):
            return False
        return self.body_pattern is None or bool(self.body_pattern.search(body.decode("utf-8", errors="replace")))


class FakeHTTPServer:
    """The loopback server; subclasses answer requests (`answer`) and decide who is let in (`authorized`)."""

    root = ""  # recorded paths and fault patterns are relative to this prefix

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread: threading.Thread | None = None

    # -- what a subclass provides -----------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        """The reply to a request that passed the faults and the credentials check (`path` in full)."""
        raise NotImplementedError

    def authorized(self, headers: dict[str, str]) -> bool:
        return True

    def unauthorized(self) -> Reply:
        payload = json.dumps({"title": "Unauthorized", "status": 401, "detail": "Authentication failed."})
        return 401, {"Content-Type": "application/json"}, payload.encode()

    def default_error_body(self, status: int) -> dict[str, Any]:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        return {"title": phrase, "status": status}

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Empty the request log and the fault queue; no latency."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
        self.latency = 0.0

    def clear_faults(self) -> None:
        """Forget the faults not fired yet (the outage is over); the store and the log stay."""
        with self._lock:
            self._faults.clear()

    # -- faults -----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path_regex: str,
        *,
        status: int = 503,
        retry_after: float | str | datetime | None = None,
        body: str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        body_regex: str | None = None,
    ) -> None:
        """Answer `status` instead of handling the request (nothing is stored)."""
        extra = dict(headers or {})
        if retry_after is not None:
            if isinstance(retry_after, datetime):
                extra["Retry-After"] = format_datetime(retry_after, usegmt=True)
            else:
                extra["Retry-After"] = str(int(retry_after)) if isinstance(retry_after, int | float) else retry_after
        if body is None:
            body = self.default_error_body(status)
        payload = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
        extra.setdefault("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
        pattern = re.compile(body_regex) if body_regex else None
        self._add(
            Fault(
                method,
                re.compile(path_regex),
                "status",
                times,
                status=status,
                headers=extra,
                body=payload,
                body_pattern=pattern,
            )
        )

    def delay(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        """Wait `seconds` before handling (longer than the client's read timeout to make it time out)."""
        self._add(Fault(method, re.compile(path_regex), "delay", times, seconds=seconds))

    def drop(self, method: str, path_regex: str, *, when: DropWhen = "before", times: int = 1) -> None:
        """Close the connection without a reply: before handling, or after the change was stored."""
        self._add(Fault(method, re.compile(path_regex), "drop", times, when=when))

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str, body: bytes) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, body):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- inspection -------------------------------------------------------------------------------

    @property
    def writes(self) -> list[RecordedRequest]:
        """Every request that was not a GET (what could have changed the store)."""
        with self._lock:
            return [r for r in self.requests if r.method != "GET"]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real service: exercises the pooled connections
    timeout = 5  # idle keep-alive connections do not outlive a test by much
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms delayed-ACK stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output; the request log is on the server object

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_PATCH = do_PUT = do_GET

    def _handle(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        root = fake.root
        below_root = url.path[len(root) :] if root and url.path.startswith(root) else url.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        fake._record(RecordedRequest(self.command, below_root, query, headers, body))
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake._take_fault(self.command, below_root, body)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault is not None and fault.kind == "status":
            return self._reply(fault.status, fault.headers, fault.body)
        elif fault is not None and fault.kind == "drop" and fault.when == "before":
            return self._drop()
        if not fake.authorized(headers):
            return self._reply(*fake.unauthorized())
        try:
            status, reply_headers, reply_body = fake.answer(self.command, url.path, query, headers, body)
        except Exception as exc:  # an emulator bug: answer it, or the client would see a dropped connection
            detail = f"emulator crashed: {type(exc).__name__}: {exc}"
            return self._reply(500, {"Content-Type": "text/plain"}, detail.encode())
        if fault is not None and fault.kind == "drop":  # when="after": the change is stored, the reply lost
            return self._drop()
        self._reply(status, reply_headers, reply_body)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (read timeout) before we answered

    def _drop(self) -> None:
        self.close_connection = True  # no status line at all: the client sees the connection closed
