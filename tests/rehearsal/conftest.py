"""Shared set-up of the rehearsal tests: the demo orchestration, `ci` connections to the fake CX Sales and B2C
Service servers, fast retries with recorded waits."""

import pytest

from orchestrator.demo import demo_document
from orchestrator.services.documents import orchestration_import
from tests.fakes.fixtures import use_b2c, use_cx

QUALIFY = "ORCH-STG-DEMO-QUALIFY"
OPPORTUNITY = 300100111222333


@pytest.fixture
def sleeps():
    """Waits the client asked for (recorded instead of slept, so tests stay fast)."""
    return []


@pytest.fixture(autouse=True)
def fast_client(settings, sleeps):
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
def demo(db):
    return orchestration_import(document=demo_document()).orchestration


@pytest.fixture
def ci(cx_server, b2c_server, monkeypatch):
    """CX Sales connection `ci` and B2C Service connection `ci`, pointing at the fakes with their credentials."""
    use_cx(monkeypatch, cx_server)
    use_b2c(monkeypatch, b2c_server)
    return "ci"
