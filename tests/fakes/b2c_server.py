"""A real HTTP server on 127.0.0.1 that plays B2C Service's Connect REST tasks, with fault injection.

It wraps the same B2cEmulator the built-in sandbox uses (over a memory
store) and requires HTTP Basic credentials.

    server = FakeB2cServer().start()                      # or the `b2c_server` fixture
    server.next_request_after_ms = 250                    # every reply asks for a 250 ms pause
    server.drop("POST", r"/tasks$", when="after")         # stored, reply lost (every fault of http_fake.py)
    server.tasks(), server.writes, server.requests[-1].json

Paths of faults and of the request log are below /services/rest/connect/v1.4 ("/tasks/3").
"""

from __future__ import annotations

import base64
import json
from typing import Any

from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import Connection
from orchestrator.sandbox.b2c_emulator import API_ROOT, RESOURCE, B2cEmulator
from orchestrator.sandbox.record_store import MemoryRecordStore

from .http_fake import FakeHTTPServer, Reply

USERNAME = "fake.b2c.agent"
PASSWORD = "fake-b2c-pw-SENTINEL-71c4e0"


class FakeB2cServer(FakeHTTPServer):
    """B2C Service on a loopback port (its API at `api_url`)."""

    root = API_ROOT

    def __init__(self, *, username: str = USERNAME, password: str = PASSWORD) -> None:
        super().__init__()
        self.username, self.password = username, password
        self.store = MemoryRecordStore()
        self.emulator = B2cEmulator(self.store, base_url=self.url)
        self.api_url = self.url + API_ROOT

    @property
    def next_request_after_ms(self) -> int | None:
        return self.emulator.next_request_after_ms

    @next_request_after_ms.setter
    def next_request_after_ms(self, value: int | None) -> None:
        self.emulator.next_request_after_ms = value

    def answer(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        return self.emulator.handle(method, path, query, headers, body)

    def authorized(self, headers: dict[str, str]) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return auth == f"Basic {expected}"

    def unauthorized(self) -> Reply:
        body = {
            "type": f"{self.url}/services/rest/connect/exceptions/OSC-CREST-00014",
            "title": "Unauthorized",
            "status": 401,
            "detail": "Access denied.",
            "o:errorCode": "OSC-CREST-00014",
        }
        return 401, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def default_error_body(self, status: int) -> dict[str, Any]:
        return {
            "title": f"HTTP {status}",
            "status": status,
            "detail": f"Failed ({status}).",
            "o:errorCode": "OSC-CREST-00008",
        }

    def reset(self) -> None:
        super().reset()
        self.store.reset()

    def tasks(self) -> list[dict[str, Any]]:
        """What the fake holds, in id order (each with its id)."""
        return [{"id": task_id, **task} for task_id, task in self.store.list(RESOURCE)]

    def connection(self, **overrides: Any) -> Connection:
        values: dict[str, Any] = {
            "name": "fake",
            "base_url": self.api_url,
            "username": self.username,
            "password": self.password,
            "system": "b2c_service",
        }
        return Connection(**{**values, **overrides})

    def client(self, **options: Any) -> RemoteClient:
        defaults: dict[str, Any] = {
            "connect_timeout": 1.0,
            "read_timeout": 2.0,
            "max_attempts": 3,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            "retry_after_cap": 30.0,
        }
        return RemoteClient(self.connection(), **{**defaults, **options})
