"""`manage.py sandbox_server`: every emulated remote over loopback HTTP, over the sandbox's own tables."""

import io
import signal
import threading

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from orchestrator.models import SandboxOrchestration, SandboxOutreachStage
from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import get_connection
from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.outreach import OutreachApi
from orchestrator.remote.sandbox_store import sandbox_reset
from orchestrator.remote.url_safety import REST_ROOT
from orchestrator.sandbox.server import SandboxServer
from orchestrator.services.outreach_sync import outreach_sync
from tests.factories import build_orchestration

# The server answers on its own threads, each with its own database connection: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

JSON_API = {"Content-Type": "application/vnd.api+json"}


@pytest.fixture
def server():
    running = SandboxServer(port=0).start()
    try:
        yield running
    finally:
        running.stop()


def test_outreach_and_cx_are_served_at_one_base_url(server):
    created = requests.post(
        f"{server.url}/api/v2/opportunityStages",
        json={"data": {"type": "opportunityStage", "attributes": {"name": "Prospect", "order": 1}}},
        headers=JSON_API,
        timeout=5,
    )
    assert created.status_code == 201 and created.headers["Content-Type"] == "application/vnd.api+json"
    assert created.json()["data"]["links"]["self"] == f"{server.url}/api/v2/opportunityStages/1"
    assert SandboxOutreachStage.objects.get(remote_id=1).attributes["name"] == "Prospect"  # the sandbox's table

    cx = requests.get(f"{server.url}{REST_ROOT}/orchestrations/describe", timeout=5)
    assert cx.status_code == 200 and "Resources" in cx.json()
    assert requests.get(f"{server.url}/api/v2/opportunityStages", timeout=5).status_code == 415  # as Outreach does
    missing = requests.get(f"{server.url}/elsewhere", timeout=5)
    assert missing.status_code == 404 and "/api/v2" in missing.json()["detail"]


def test_orchestrator_itself_can_be_pointed_at_it(server, monkeypatch):
    monkeypatch.setenv("CX_CONNECTIONS", "loop")
    monkeypatch.setenv("CX_LOOP_BASE_URL", server.url)
    monkeypatch.setenv("OUTREACH_CONNECTIONS", "loop")
    monkeypatch.setenv("OUTREACH_LOOP_BASE_URL", f"{server.url}/api/v2")
    monkeypatch.setenv("OUTREACH_LOOP_TOKEN", "any-token-the-sandbox-ignores")
    orch = build_orchestration(stages=2)
    run = outreach_sync(orchestration=orch, connection_name="loop")
    assert run.status == "done", run.message
    with RemoteClient(get_connection("loop", system="outreach")) as client:
        assert [s.name for s in OutreachApi(client).list_stages()] == ["Stage 1", "Stage 2"]
    with RemoteClient(get_connection("loop")) as client:
        assert CxSalesApi(client).get_orchestration(orch.number) is None
    # and the in-process sandbox sees the same stages
    with RemoteClient(get_connection("default", environ={}, system="outreach")) as client:
        assert len(OutreachApi(client).list_stages()) == 2
    assert sandbox_reset()["outreach_stages"] == 2 and not SandboxOrchestration.objects.exists()


def test_a_rate_limit_can_be_played(monkeypatch):
    server = SandboxServer(port=0, rate_limit=1).start()
    try:
        first = requests.get(f"{server.url}/api/v2/opportunityStages", headers=JSON_API, timeout=5)
        second = requests.get(f"{server.url}/api/v2/opportunityStages", headers=JSON_API, timeout=5)
    finally:
        server.stop()
    assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "0"
    assert second.status_code == 429 and second.json()["errors"][0]["id"] == "rateLimitExceeded"


def test_it_binds_loopback_only():
    with pytest.raises(ValueError, match="loopback only"):
        SandboxServer(host="0.0.0.0")


def test_the_command_prints_where_to_point_connections_and_stops_on_sigterm(monkeypatch):
    out = io.StringIO()
    started = threading.Event()
    real_start = SandboxServer.start

    def start(self):
        result = real_start(self)
        started.set()
        return result

    monkeypatch.setattr(SandboxServer, "start", start)
    handlers = {}
    monkeypatch.setattr(signal, "signal", lambda sig, handler: handlers.setdefault(sig, handler))
    thread = threading.Thread(target=call_command, args=("sandbox_server", "--port", "0"), kwargs={"stdout": out})
    thread.start()
    assert started.wait(5)
    handlers[signal.SIGTERM](signal.SIGTERM, None)
    thread.join(5)
    text = out.getvalue()
    assert "Sandbox at http://127.0.0.1:" in text
    assert "CX_BASE_URL=http://127.0.0.1:" in text
    assert "OUTREACH_BASE_URL=http://127.0.0.1:" in text and text.rstrip().endswith("Sandbox server stopped.")


def test_a_bad_port_is_a_usage_error():
    with pytest.raises(CommandError, match="--port"):
        call_command("sandbox_server", "--port", "70000")
