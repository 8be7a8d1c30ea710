"""The fake server's own knobs behave as documented (other test writers rely on them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from orchestrator.remote.client import CxClient
from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.errors import RemoteError
from tests.fakes.cx_server import PASSWORD, USERNAME, FakeCxServer
from tests.fakes.pod_http import call, details
from tests.fakes.samples import orchestration_header, stage_document, strict_header, strict_stage

STAGES = "/orchestrations/ORCH-1/child/Stages"


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
        api.get_orchestration("ORCH-1")
        api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    first, second = cx_server.requests
    assert (first.method, first.path, first.query) == ("GET", "/orchestrations/ORCH-1", {})
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


# -- profiles and the knobs that reshape a pod ------------------------------------------------------------------


@pytest.fixture(params=["documented", "strict"])
def pod(request):
    server = FakeCxServer(profile=request.param).start()
    try:
        yield server
    finally:
        server.stop()


def _stage_body(pod, orchestration_id, **overrides):
    """A stage POST body as the pod takes it (documented: the contract's; strict: see samples.strict_stage)."""
    if pod.profile.name == "strict":
        return strict_stage(orchestration_id, **overrides)
    return stage_document(orchestration_id, **overrides)


def _attributes(pod, resource="Stages"):
    node = call(pod, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]
    if resource != "orchestrations":
        node = node["children"]["Stages"]
        if resource != "Stages":
            node = node["children"][resource]
    return {a["name"]: a for a in node["attributes"]}


def test_rename_attribute_changes_the_describe_and_what_is_accepted(pod):
    orch = pod.add_orchestration("ORCH-1")
    pod.rename_attribute("Stages", "StageName", "OrchestrationStageName")
    assert "OrchestrationStageName" in _attributes(pod) and "StageName" not in _attributes(pod)
    old = call(pod, "POST", STAGES, _stage_body(pod, orch.remote_id), upsert=True)
    assert old.status_code == 400
    assert details(old) == [
        "Attribute StageName is not recognized for resource Stages.",
        "Attribute OrchestrationStageName is required for resource Stages.",
    ]
    body = _stage_body(pod, orch.remote_id)
    body["OrchestrationStageName"] = body.pop("StageName")
    created = call(pod, "POST", STAGES, body, upsert=True)
    assert created.status_code == 201, created.text
    assert created.json()["OrchestrationStageName"] == "Qualify S1"
    assert pod.contract_view("ORCH-1")[0]["StageName"] == "Qualify S1"


def test_set_codes_makes_the_pod_speak_its_own_codes(pod):
    orch = pod.add_orchestration("ORCH-1")
    pod.set_codes("Steps", "StepType", {"WAIT": "ORA_WAIT", "TASK": "TASK"})
    refused = call(pod, "POST", STAGES, _stage_body(pod, orch.remote_id), upsert=True)
    assert refused.status_code == 400
    assert details(refused) == [
        'Value "WAIT" of attribute StepType is not valid for resource Steps (item ORCH-S1-STP-2); use TASK, '
        "APPOINTMENT, NEXT_STAGE, ORA_WAIT, FIELD_UPDATE, EMAIL_AUTOMATION, STOP."
    ]
    body = _stage_body(pod, orch.remote_id)
    body["Steps"][1]["StepType"] = "ORA_WAIT"  # TASK maps to itself and is still accepted
    assert call(pod, "POST", STAGES, body, upsert=True).status_code == 201
    step = call(pod, "GET", f"{STAGES}/ORCH-S1-STG/child/Steps/ORCH-S1-STP-2").json()
    assert step["StepType"] == "ORA_WAIT"
    assert [s["StepType"] for s in pod.contract_view("ORCH-1")[0]["Steps"]] == ["TASK", "WAIT", "STOP"]


def test_header_attribute_declares_a_mandatory_header_attribute(pod):
    pod.header_attribute("OrchestrationType", default="STANDARD")
    pod.header_attribute("Channel", default="WEB")
    described = _attributes(pod, "orchestrations")["Channel"]
    assert described["mandatory"] is True and described["defaultValue"] == "WEB"
    length = described.get("precision", described.get("maxLength"))
    assert str(length) == "30"
    body = strict_header("ORCH-NEW") if pod.profile.name == "strict" else orchestration_header("ORCH-NEW")
    missing = call(pod, "POST", "/orchestrations", {**body, "OrchestrationType": "STANDARD"})
    assert missing.status_code == 400
    assert details(missing) == ["Attribute Channel is required for resource orchestrations."]
    assert call(pod, "POST", "/orchestrations", {**body, "OrchestrationType": "X", "Channel": "WEB"}).status_code == 201
    seeded = call(pod, "GET", f"/orchestrations/{pod.add_orchestration('ORCH-2').number}").json()
    assert (seeded["Channel"], seeded["OrchestrationType"]) == ("WEB", "STANDARD")


def test_header_attribute_without_a_default_has_no_default_value(pod):
    pod.header_attribute("StatusCode", default=None)
    assert "defaultValue" not in _attributes(pod, "orchestrations")["StatusCode"]
    assert "StatusCode" not in call(pod, "GET", f"/orchestrations/{pod.add_orchestration('ORCH-2').number}").json()
    pod.header_attribute("StatusCode", mandatory=False)
    assert _attributes(pod, "orchestrations")["StatusCode"]["mandatory"] is False


def test_limit_attribute_spells_the_length_as_the_describe_does(pod):
    orch = pod.add_orchestration("ORCH-1")
    pod.limit_attribute("Stages", "StageName", 5)
    limit = _attributes(pod)["StageName"]
    if pod.profile.name == "strict":
        assert limit["maxLength"] == "5" and "precision" not in limit
    else:
        assert limit["precision"] == 5 and "maxLength" not in limit
    reply = call(pod, "POST", STAGES, _stage_body(pod, orch.remote_id), upsert=True)
    assert details(reply) == [
        "The value of attribute StageName is too long for resource Stages: 10 characters, at most 5."
    ]


def test_remove_attribute_finds_a_child_wherever_the_pod_puts_it(pod):
    pod.remove_attribute("StepTasks", "AssignedTo")
    stages = call(pod, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]["children"]["Stages"]
    where = stages["children"]["Steps"] if pod.profile.name == "strict" else stages
    assert "AssignedTo" not in {a["name"] for a in where["children"]["StepTasks"]["attributes"]}


def test_reset_restores_the_profile_the_server_started_with(pod):
    pod.rename_attribute("Stages", "StageName", "Name")
    pod.set_codes("Steps", "StepType", {"TASK": "ORA_TASK"})
    pod.header_attribute("Extra")
    pod.reset()
    assert "StageName" in _attributes(pod) and "Extra" not in _attributes(pod, "orchestrations")
    assert pod.profile.codes == {}


def test_each_server_owns_its_profile():
    one, two = FakeCxServer(profile="strict"), FakeCxServer(profile="strict")
    one.rename_attribute("Stages", "StageName", "Name")
    assert two.profile.pod_name("Stages", "StageName") == "StageName"
    assert one.profile.pod_name("Stages", "StageName") == "Name"


def test_contract_view_of_an_unknown_orchestration_is_empty(pod):
    assert pod.contract_view("ORCH-NONE") == []


def test_serve_plays_the_profile_it_is_given(tmp_path):
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.serve", "--print-url", "--profile", "strict"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orchestrator.settings_test"},
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        reply = requests.get(
            f"{url}/crmRestApi/resources/11.13.18.05/orchestrations/describe",
            auth=(USERNAME, PASSWORD),
            timeout=5,
        )
        stages = reply.json()["Resources"]["orchestrations"]["children"]["Stages"]
        assert set(stages["children"]) == {"StageObjectives", "Steps"}
    finally:
        process.terminate()
        process.wait(timeout=10)
