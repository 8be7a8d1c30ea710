"""A real HTTP server on 127.0.0.1 that plays CX Sales, with fault injection.

It wraps the same CxEmulator the built-in sandbox uses (over a MemoryStore),
so tests exercise real sockets, real timeouts and real dropped connections.
`profile` picks the pod it plays ("documented", "strict" or a PodProfile;
see orchestrator/remote/emulator_profiles.py).

    server = FakeCxServer().start()          # or the `cx_server` fixture
    server = FakeCxServer(profile="strict").start()
    server.fail("POST", r"/child/Stages$", status=503, retry_after=2, times=2)
    server.delay("GET", r"/orchestrations/", seconds=1.0)
    server.drop("POST", r"/child/Stages$", when="after")   # stored, reply lost
    server.latency = 0.05
    server.requests[-1].json, server.writes, server.store.stage_documents("ORCH-1")
    server.rename_attribute("Stages", "StageName", "OrchestrationStageName")
    server.set_codes("Steps", "StepType", {"TASK": "ORA_TASK"})
    server.header_attribute("StatusCode", default=None)    # mandatory, no defaultValue
    server.contract_view("ORCH-1")                         # what the pod holds, in contract form

Path patterns are matched with re.search against the path below the REST root
(e.g. "/orchestrations/ORCH-1/child/Stages"). Faults fire in the order they
were added, each `times` times; the first matching one handles a request.
"""

from __future__ import annotations

import base64
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

from orchestrator.remote import emulator_describe
from orchestrator.remote.client import CxClient
from orchestrator.remote.connections import Connection
from orchestrator.remote.emulator import CxEmulator
from orchestrator.remote.emulator_profiles import PodProfile, profile_named
from orchestrator.remote.store import MemoryStore, StoredOrchestration
from orchestrator.remote.url_safety import REST_ROOT

DropWhen = Literal["before", "after"]
USERNAME = "fake.integration.user"
PASSWORD = "fake-pw-SENTINEL-3f9a1c"


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str  # below the REST root, still percent-encoded
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
class _Fault:
    method: str
    pattern: re.Pattern[str]
    kind: Literal["status", "delay", "drop"]
    times: int
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    when: DropWhen = "before"

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and bool(self.pattern.search(path))


class FakeCxServer:
    """CX Sales on a loopback port. Requires credentials unless `require_auth=False`."""

    def __init__(
        self,
        *,
        username: str = USERNAME,
        password: str = PASSWORD,
        token: str = "",
        require_auth: bool = True,
        profile: str | PodProfile = "documented",
    ) -> None:
        self.username, self.password, self.token = username, password, token
        self.require_auth = require_auth
        self._initial_profile = profile_named(profile)
        self.store = MemoryStore()
        self.emulator = CxEmulator(self.store, profile=self._initial_profile)
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.emulator.base_url = self.url
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeCxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Empty store, log and fault queue; no latency; the profile it started with, untouched by knobs."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
        self.store.reset()
        self.latency = 0.0
        self.describe_override = None
        self.emulator.profile = self._initial_profile

    def clear_faults(self) -> None:
        """Forget the faults not fired yet (the outage is over); the store and the log stay."""
        with self._lock:
            self._faults.clear()

    # -- knobs ----------------------------------------------------------------------------

    @property
    def describe_override(self) -> Any:
        """A function rewriting the describe; the emulator then also accepts only what it describes."""
        return self.emulator.describe_override

    @describe_override.setter
    def describe_override(self, value: Any) -> None:
        self.emulator.describe_override = value

    @property
    def profile(self) -> PodProfile:
        """The pod profile being played (a copy owned by this server; the knobs below change it)."""
        return self.emulator.profile

    @profile.setter
    def profile(self, value: str | PodProfile) -> None:
        self.emulator.profile = value

    def remove_attribute(self, resource: str, name: str) -> None:
        """Simulate a remote without attribute `name` (pod name) on `resource` ("Stages", "Steps", "Stages.Steps"…)."""
        previous = self.describe_override or (lambda d: d)
        self.describe_override = lambda d: emulator_describe.drop_attribute(previous(d), resource, name)

    def limit_attribute(self, resource: str, name: str, precision: int) -> None:
        """Simulate a remote whose attribute `name` holds fewer characters (as precision or maxLength)."""
        previous = self.describe_override or (lambda d: d)
        self.describe_override = lambda d: emulator_describe.set_length(previous(d), resource, name, precision)

    def rename_attribute(self, resource: str, contract_name: str, pod_name: str) -> None:
        """The pod calls `resource`.`contract_name` `pod_name`: the describe and the accepted name change together."""
        self.profile = self.profile.renamed(resource, contract_name, pod_name)

    def set_codes(self, resource: str, attribute: str, codes: dict[str, str]) -> None:
        """The pod spells `attribute`'s codes {contract code: pod code}; it accepts and shows the pod codes."""
        self.profile = self.profile.with_codes(resource, attribute, codes)

    def header_attribute(self, name: str, *, mandatory: bool = True, default: str | None = None) -> None:
        """Declare (or redefine) an extra header attribute; `default` is its describe defaultValue (None: none).

        The pod never applies the default itself: a mandatory one must be sent.
        """
        self.profile = self.profile.with_header_attribute(name, mandatory=mandatory, default=default)

    def contract_view(self, orchestration_number: str) -> list[dict[str, Any]]:
        """The test oracle: the stages the pod holds, in display order, in contract form.

        Contract names and codes, LOBs decoded, links as numbers, StepTasks and
        StepObjectivesAssociations as stage-level arrays, no ids, who-columns
        or links, each child array sorted by its number — comparable with the
        draft's stage documents whichever profile is played.
        """
        return self.emulator.contract_view(orchestration_number)

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
    ) -> None:
        """Answer `status` instead of handling the request (nothing is stored)."""
        extra = dict(headers or {})
        if retry_after is not None:
            if isinstance(retry_after, datetime):
                extra["Retry-After"] = format_datetime(retry_after, usegmt=True)
            else:
                extra["Retry-After"] = str(int(retry_after)) if isinstance(retry_after, int | float) else retry_after
        if body is None:
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
            body = {"title": phrase, "status": status}
        payload = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
        extra.setdefault("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
        self._add(_Fault(method, re.compile(path_regex), "status", times, status=status, headers=extra, body=payload))

    def delay(self, method: str, path_regex: str, seconds: float, *, times: int = 1) -> None:
        """Wait `seconds` before handling (longer than the client's read timeout to make it time out)."""
        self._add(_Fault(method, re.compile(path_regex), "delay", times, seconds=seconds))

    def drop(
        self, method: str, path_regex: str, *, when: Literal["before", "after"] = "before", times: int = 1
    ) -> None:
        """Close the connection without a reply: before handling, or after the change was stored."""
        self._add(_Fault(method, re.compile(path_regex), "drop", times, when=when))

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- inspection and helpers -----------------------------------------------------------

    @property
    def writes(self) -> list[RecordedRequest]:
        """Every request that was not a GET (what could have changed the store)."""
        with self._lock:
            return [r for r in self.requests if r.method != "GET"]

    def connection(self, **overrides: Any) -> Connection:
        """A Connection to this server with its credentials (override any field)."""
        values: dict[str, Any] = {"name": "fake", "base_url": self.url}
        if self.token:
            values["token"] = self.token
        else:
            values.update(username=self.username, password=self.password)
        return Connection(**{**values, **overrides})

    def client(self, **options: Any) -> CxClient:
        """A CxClient for this server with test-friendly defaults (short timeouts, tiny backoff)."""
        defaults: dict[str, Any] = {
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "max_attempts": 3,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 0.2,
        }
        return CxClient(self.connection(), **{**defaults, **options})

    def add_orchestration(self, number: str = "ORCH-FAKE-0001", **attributes: Any) -> StoredOrchestration:
        """Put an orchestration header straight into the store (no request logged); return it.

        It carries what the profile's header requires (e.g. OrchestrationType
        and StatusCode at their describe defaults on the strict pod); `attributes`
        are stored as given, under the pod's names.
        """
        return self.emulator.add_orchestration(number, **attributes)

    # -- request handling (called from the handler threads) -------------------------------

    def _authorized(self, headers: dict[str, str]) -> bool:
        if not self.require_auth:
            return True
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if self.token and auth == f"Bearer {self.token}":
            return True
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return bool(self.username) and auth == f"Basic {expected}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeCxServer


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
        below_root = url.path[len(REST_ROOT) :] if url.path.startswith(REST_ROOT) else url.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        with fake._lock:
            fake.requests.append(RecordedRequest(self.command, below_root, query, headers, body))
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake._take_fault(self.command, below_root)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        elif fault is not None and fault.kind == "status":
            return self._reply(fault.status, fault.headers, fault.body)
        elif fault is not None and fault.kind == "drop" and fault.when == "before":
            return self._drop()
        if not fake._authorized(headers):
            payload = json.dumps({"title": "Unauthorized", "status": 401, "detail": "Authentication failed."})
            auth_headers = {"WWW-Authenticate": 'Basic realm="fake-cx"', "Content-Type": "application/json"}
            return self._reply(401, auth_headers, payload.encode())
        try:
            status, reply_headers, reply_body = fake.emulator.handle(self.command, url.path, query, headers, body)
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
