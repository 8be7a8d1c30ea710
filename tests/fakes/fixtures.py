"""Pytest fixtures for the remote fakes (registered in tests/conftest.py via pytest_plugins).

def test_publish(cx_server):
    cx_server.add_orchestration("ORCH-1")
    client = cx_server.client()      # short timeouts, tiny backoff, the server's credentials
    ...
    assert cx_server.store.stage_numbers("ORCH-1") == [...]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .cx_server import FakeCxServer


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
