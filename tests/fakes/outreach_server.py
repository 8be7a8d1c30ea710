"""A real HTTP server on 127.0.0.1 that plays Outreach's opportunity stages, with fault injection.

It wraps the same OutreachEmulator the built-in sandbox uses (over a memory
store): JSON:API bodies, integer ids, ``links.next`` paging, 415 for a wrong
content type, 422 with ``source.pointer``, and — with `rate_limit` requests
per `rate_window` seconds (on `clock`) — the X-RateLimit-* headers and a 429
once the budget is spent. It requires the Bearer token.

    server = FakeOutreachServer(max_page_size=3).start()   # or the `outreach_server` fixture
    server.add_stage("Prospect", order=1, color="#aabbcc")
    server.rate_limited("GET", r"/opportunityStages", reset_in=2)   # one 429 with X-RateLimit-Reset
    server.refuse_stage("Negotiate", "name is reserved")            # a 422 for that stage's POST/PATCH
    server.fail("POST", r"/opportunityStages$", status=503)         # and every fault of http_fake.py
    server.stage_names(), server.writes, server.requests[-1].json

Paths of faults and of the request log are below /api/v2 ("/opportunityStages/7").
"""

from __future__ import annotations

import json
import time
from typing import Any

from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import Connection
from orchestrator.sandbox.outreach_emulator import API_ROOT, MEDIA_TYPE, OutreachEmulator, RateLimiter
from orchestrator.sandbox.outreach_store import MemoryOutreachStore

from .http_fake import FakeHTTPServer, Reply

TOKEN = "fake-outreach-token-SENTINEL-8d2e5b"
STAGES = r"/opportunityStages"


class FakeOutreachServer(FakeHTTPServer):
    """Outreach on a loopback port (its API at `api_url`)."""

    root = API_ROOT

    def __init__(
        self,
        *,
        token: str = TOKEN,
        max_page_size: int = 1000,
        rate_limit: int | None = None,
        rate_window: float = 3600.0,
        two_counts: bool = True,
        clock=time.time,
    ) -> None:
        super().__init__()
        self.token = token
        self.store = MemoryOutreachStore()
        limiter = RateLimiter(rate_limit, rate_window, two_counts=two_counts, clock=clock) if rate_limit else None
        self.emulator = OutreachEmulator(
            self.store, base_url=self.url, max_page_size=max_page_size, rate_limiter=limiter
        )
        self.api_url = self.url + API_ROOT

    # -- the server's side ------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        return self.emulator.handle(method, path, query, headers, body)

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return bool(self.token) and auth == f"Bearer {self.token}"

    def unauthorized(self) -> Reply:
        body = {"errors": [{"id": "unauthorizedRequest", "title": "Unauthorized", "detail": "Invalid access token."}]}
        return 401, {"Content-Type": MEDIA_TYPE}, json.dumps(body).encode()

    def default_error_body(self, status: int) -> dict[str, Any]:
        codes = {429: "rateLimitExceeded", 503: "scheduledServerMaintenance", 422: "validationError"}
        return {
            "errors": [{"id": codes.get(status, "error"), "title": f"HTTP {status}", "detail": f"Failed ({status})."}]
        }

    def reset(self) -> None:
        super().reset()
        self.store.reset()

    # -- knobs ------------------------------------------------------------------------------------

    def rate_limited(self, method: str = "*", path_regex: str = STAGES, *, reset_in: int = 2, times: int = 1) -> int:
        """Answer 429 rateLimitExceeded with X-RateLimit-Reset `reset_in` seconds ahead; returns that epoch."""
        reset = int(time.time()) + reset_in
        self.fail(
            method,
            path_regex,
            status=429,
            times=times,
            headers={
                "Content-Type": MEDIA_TYPE,
                "X-RateLimit-Limit": "10000",
                "X-RateLimit-Remaining": "0, 19000",
                "X-RateLimit-Reset": str(reset),
            },
            body={"errors": [{"id": "rateLimitExceeded", "title": "Rate Limit Exceeded", "detail": "Slow down."}]},
        )
        return reset

    def refuse_stage(self, name: str, detail: str, *, pointer: str = "/data/attributes/name", times: int = 1) -> None:
        """Answer a 422 validationError to the next write (POST or PATCH) whose body names stage `name`."""
        body = {
            "errors": [
                {"id": "validationError", "title": "Validation Error", "detail": detail, "source": {"pointer": pointer}}
            ]
        }
        for method in ("POST", "PATCH"):
            self.fail(
                method,
                STAGES,
                status=422,
                body=body,
                headers={"Content-Type": MEDIA_TYPE},
                body_regex=json.dumps(name),
                times=times,
            )

    # -- the store, directly ----------------------------------------------------------------------

    def add_stage(
        self, name: str | None, *, order: int | None = None, color: str | None = None, is_closed: bool | None = None
    ) -> int:
        """Put a stage straight into the store (no request logged); returns its id."""
        stage_id = self.store.next_id()
        stamp = "2026-01-05T12:00:00.000Z"
        self.store.save_stage(
            {
                "id": stage_id,
                "name": name,
                "order": order,
                "color": color,
                "isClosed": is_closed,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
        )
        return stage_id

    def stages(self) -> list[dict[str, Any]]:
        """What the fake holds, in id order."""
        return self.store.list_stages()

    def stage_names(self) -> list[str | None]:
        """The stages' names, in Outreach's order (then by id)."""
        ordered = sorted(self.stages(), key=lambda s: (s["order"] is None, s["order"] or 0, s["id"]))
        return [s["name"] for s in ordered]

    # -- clients of it ----------------------------------------------------------------------------

    def connection(self, **overrides: Any) -> Connection:
        """An Outreach Connection to this server with its token (override any field)."""
        values: dict[str, Any] = {"name": "fake", "base_url": self.api_url, "token": self.token, "system": "outreach"}
        return Connection(**{**values, **overrides})

    def client(self, **options: Any) -> RemoteClient:
        """A client for this server with test-friendly defaults (short timeouts, tiny backoff)."""
        defaults: dict[str, Any] = {
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "max_attempts": 3,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 30.0,
        }
        return RemoteClient(self.connection(), **{**defaults, **options})
