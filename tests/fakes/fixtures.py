"""Pytest fixtures for the remote fakes (registered in tests/conftest.py via pytest_plugins).

- ``cx_server``: a FakeCxServer on 127.0.0.1, fresh per test (see tests/fakes/cx_server.py);
- ``cx_api``: CxSalesApi on it, with fast timeouts; backoff sleeps are recorded in ``sleeps``;
- ``sandbox_api``: CxSalesApi on the built-in sandbox (database; implies ``db``);
- ``outreach_server``: a FakeOutreachServer on 127.0.0.1 (see tests/fakes/outreach_server.py);
- ``outreach_api``: OutreachApi on it, back-off recorded in ``sleeps``;
- ``b2c_server``: a FakeB2cServer on 127.0.0.1 (see tests/fakes/b2c_server.py);
- `use_outreach`, `use_b2c`, `use_cx` (monkeypatch, server, name): point a connection at a fake through the environment.

Example::

    def test_retry(cx_server, cx_api, sleeps):
        orch = cx_server.add_orchestration("ORCH-1")
        cx_server.fail("POST", r"/child/Stages$", status=503, retry_after=2)
        cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
        assert sleeps == [0.2]                       # Retry-After capped by the test client's retry_after_cap
        assert cx_server.store.stage_numbers("ORCH-1") == ["ORCH-S1-STG"]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.remote.client import CxClient
from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection
from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.outreach import OutreachApi

from .b2c_server import FakeB2cServer
from .cx_server import FakeCxServer
from .outreach_server import FakeOutreachServer


@pytest.fixture
def cx_server() -> Iterator[FakeCxServer]:
    """A fresh fake CX Sales on 127.0.0.1:<free port>, stopped after the test."""
    server = FakeCxServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """A list to pass as `sleep=sleeps.append` to a client: backoff is recorded, not waited."""
    return []


@pytest.fixture
def cx_api(cx_server: FakeCxServer, sleeps: list[float]) -> Iterator[CxSalesApi]:
    """CxSalesApi on the fake server; retries are recorded in `sleeps` instead of waited."""
    client = cx_server.client(sleep=sleeps.append)
    try:
        yield CxSalesApi(client)
    finally:
        client.close()


@pytest.fixture
def sandbox_api(db, sleeps: list[float]) -> Iterator[CxSalesApi]:
    """CxSalesApi on the built-in sandbox: in-process emulator over the Sandbox* tables (needs `db`)."""
    client = CxClient(Connection(name="default", base_url=SANDBOX_BASE_URL), sleep=sleeps.append)
    try:
        yield CxSalesApi(client)
    finally:
        client.close()


@pytest.fixture
def outreach_server() -> Iterator[FakeOutreachServer]:
    """A fresh fake Outreach on 127.0.0.1:<free port>, stopped after the test."""
    server = FakeOutreachServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def outreach_api(outreach_server: FakeOutreachServer, sleeps: list[float]) -> Iterator[OutreachApi]:
    """OutreachApi on the fake Outreach; waits are recorded in `sleeps` instead of waited."""
    client = outreach_server.client(sleep=sleeps.append)
    try:
        yield OutreachApi(client)
    finally:
        client.close()


@pytest.fixture
def b2c_server() -> Iterator[FakeB2cServer]:
    """A fresh fake B2C Service on 127.0.0.1:<free port>, stopped after the test."""
    server = FakeB2cServer().start()
    try:
        yield server
    finally:
        server.stop()


def use_b2c(monkeypatch, server: FakeB2cServer, name: str = "ci", *, password: str | None = None) -> str:
    """Point B2C Service connection `name` at `server` through the environment, as an operator would."""
    prefix = "B2C_" if name == "default" else f"B2C_{name.upper()}_"
    if name != "default":
        monkeypatch.setenv("B2C_CONNECTIONS", name)
    monkeypatch.setenv(prefix + "BASE_URL", server.api_url)
    monkeypatch.setenv(prefix + "USERNAME", server.username)
    monkeypatch.setenv(prefix + "PASSWORD", server.password if password is None else password)
    return name


def use_cx(monkeypatch, server: FakeCxServer, name: str = "ci") -> str:
    """Point CX Sales connection `name` at `server` through the environment."""
    monkeypatch.setenv("CX_CONNECTIONS", name)
    monkeypatch.setenv(f"CX_{name.upper()}_BASE_URL", server.url)
    monkeypatch.setenv(f"CX_{name.upper()}_USERNAME", server.username)
    monkeypatch.setenv(f"CX_{name.upper()}_PASSWORD", server.password)
    return name


def use_outreach(monkeypatch, server: FakeOutreachServer, name: str = "ci", *, token: str | None = None) -> str:
    """Point Outreach connection `name` at `server` through the environment, as an operator would."""
    prefix = "OUTREACH_" if name == "default" else f"OUTREACH_{name.upper()}_"
    if name != "default":
        monkeypatch.setenv("OUTREACH_CONNECTIONS", name)
    monkeypatch.setenv(prefix + "BASE_URL", server.api_url)
    monkeypatch.setenv(prefix + "TOKEN", server.token if token is None else token)
    return name
