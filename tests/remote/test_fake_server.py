"""The fake server's own knobs behave as documented (other test writers rely on them)."""

import pytest

from orchestrator.remote.client import CxClient
from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.errors import RemoteError
from tests.fakes.cx_server import FakeCxServer
from tests.fakes.samples import stage_document


def test_faults_fire_in_order_and_only_as_often_as_asked(cx_server, sleeps):
    cx_server.fail("*", "describe$", status=502, times=2)
    cx_server.fail("GET", "describe$", status=504)
    cx_server.fail("POST", "describe$", status=400)  # other method: never matches a GET
    exchanges = []
    with cx_server.client(sleep=sleeps.append, on_exchange=exchanges.append, max_attempts=5) as client:
        assert client.request("GET", "/orchestrations/describe").status == 200
    assert [e.status for e in exchanges] == [502, 502, 504, 200]
    assert len(sleeps) == 3 and len(cx_server.requests) == 4


def test_drop_before_stores_nothing(cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_server.drop("POST", r"/child/Stages$")
    with cx_server.client(max_attempts=1) as client, pytest.raises(RemoteError) as caught:
        CxSalesApi(client).upsert_stage("ORCH-1", stage_document(orch.remote_id))
    assert caught.value.kind == "connection"
    assert cx_server.store.stage_numbers("ORCH-1") == []


def test_request_log_and_writes(cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    with cx_server.client() as client:
        api = CxSalesApi(client)
        api.get_orchestration_tree("ORCH-1")
        api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    first, second = cx_server.requests
    assert (first.method, first.path, first.query) == (
        "GET",
        "/orchestrations/ORCH-1",
        {"expand": "all", "onlyData": "true"},
    )
    assert second.json["OrchestrationStageNumber"] == "ORCH-S1-STG"
    assert cx_server.writes == [second]


def test_reset_forgets_everything(cx_server):
    cx_server.add_orchestration("ORCH-1")
    cx_server.fail("GET", ".", status=503, times=9)
    cx_server.remove_attribute("Stages", "StageName")
    cx_server.latency = 0.5
    cx_server.reset()
    with cx_server.client(max_attempts=1) as client:
        describe = CxSalesApi(client).describe()
        assert CxSalesApi(client).get_orchestration("ORCH-1") is None
    stage_names = {a["name"] for a in describe["Resources"]["orchestrations"]["children"]["Stages"]["attributes"]}
    assert "StageName" in stage_names and cx_server.latency == 0.0


def test_token_server_accepts_bearer_only():
    server = FakeCxServer(token="tok-SENTINEL").start()
    try:
        with server.client() as client:
            assert client.request("GET", "/orchestrations/describe").status == 200
        assert server.requests[-1].header("Authorization") == "Bearer tok-SENTINEL"
        basic = server.connection(token="", username="u", password="p")
        with CxClient(basic) as client, pytest.raises(RemoteError) as caught:
            client.request("GET", "/orchestrations/describe")
        assert caught.value.status == 401
    finally:
        server.stop()


def test_open_server_needs_no_credentials():
    server = FakeCxServer(require_auth=False).start()
    try:
        with CxClient(server.connection(username="", password="")) as client:
            assert client.request("GET", "/orchestrations/describe").status == 200
    finally:
        server.stop()


def test_emulator_crash_is_a_500_not_a_dropped_connection(cx_server, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cx_server.emulator, "handle", boom)
    with cx_server.client() as client, pytest.raises(RemoteError) as caught:
        client.request("GET", "/orchestrations/describe")
    assert caught.value.status == 500 and caught.value.message == "emulator crashed: RuntimeError: boom"
    assert len(cx_server.requests) == 1  # 500 is not retried
