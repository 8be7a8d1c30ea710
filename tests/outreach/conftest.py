"""Shared set-up of the Outreach tests: a `ci` Outreach connection to the fake server, fast retries."""

import pytest

from tests.fakes.fixtures import use_outreach


@pytest.fixture
def sleeps():
    """Waits the client asked for (recorded instead of slept, so tests stay fast)."""
    return []


@pytest.fixture(autouse=True)
def fast_client(settings, sleeps):
    """Short timeouts and recorded waits for every client the services create."""
    settings.CX_CLIENT_OPTIONS = {
        "connect_timeout": 1.0,
        "read_timeout": 0.5,
        "max_attempts": 3,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "retry_after_cap": 30.0,
        "sleep": sleeps.append,
    }


@pytest.fixture
def ci(outreach_server, monkeypatch):
    """The Outreach connection name `ci`, pointing at the `outreach_server` fake with its token."""
    return use_outreach(monkeypatch, outreach_server)
