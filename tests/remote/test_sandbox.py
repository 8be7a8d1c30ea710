"""The built-in sandbox: the same client code path, the emulator in-process, rows in the Sandbox* tables."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.models import SandboxOrchestration, SandboxSequence, SandboxStage
from orchestrator.remote.client import CxClient
from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection, get_connection
from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.emulator import CxEmulator
from orchestrator.remote.emulator_profiles import PROFILES
from orchestrator.remote.errors import RemoteError
from orchestrator.remote.sandbox_adapter import SandboxAdapter
from orchestrator.remote.sandbox_store import DbStore, sandbox_reset
from tests.fakes.pod_http import SandboxPod, call, details, publish_stage
from tests.fakes.samples import contract_view_of, orchestration_header, stage_document, strict_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sockets(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the sandbox opened a socket")

    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)


def test_every_method_against_the_sandbox(sandbox_api, no_sockets):
    assert sandbox_api.get_orchestration("ORCH-1") is None
    created = sandbox_api.create_orchestration(orchestration_header("ORCH-1"))
    orchestration_id = created["OrchestrationId"]
    assert sandbox_api.get_orchestration("ORCH-1")["OrchestrationId"] == orchestration_id
    assert "Stages" in sandbox_api.describe()["Resources"]["orchestrations"]["children"]
    first = sandbox_api.upsert_stage("ORCH-1", stage_document(orchestration_id))
    assert first.status == 201 and first.etag
    second = sandbox_api.upsert_stage("ORCH-1", stage_document(orchestration_id, prefix="S2", sequence=2))
    assert second.status == 201
    again = sandbox_api.upsert_stage("ORCH-1", stage_document(orchestration_id, StageName="Renamed"))
    assert again.status == 200 and again.data["OrchestrationStageId"] == first.data["OrchestrationStageId"]
    tree = sandbox_api.get_orchestration_tree("ORCH-1")
    assert [s["StageName"] for s in tree["Stages"]] == ["Renamed", "Qualify S2"]
    assert isinstance(tree["Stages"][0]["Steps"], list)
    assert [s["OrchestrationStageNumber"] for s in sandbox_api.list_stages("ORCH-1")] == ["ORCH-S1-STG", "ORCH-S2-STG"]
    assert sandbox_api.get_stage("ORCH-1", "ORCH-S2-STG")["DisplaySequence"] == 2
    assert sandbox_api.delete_stage("ORCH-1", "ORCH-S2-STG") is True
    assert sandbox_api.delete_stage("ORCH-1", "ORCH-S2-STG") is False


def test_data_persists_in_the_sandbox_tables(sandbox_api):
    created = sandbox_api.create_orchestration(orchestration_header("ORCH-1"))
    response = sandbox_api.upsert_stage("ORCH-1", stage_document(created["OrchestrationId"]))
    row = SandboxOrchestration.objects.get(number="ORCH-1")
    assert row.remote_id == created["OrchestrationId"]
    assert row.attributes["OrchestrationName"] == "Enterprise deal playbook"
    stage = SandboxStage.objects.get(orchestration=row, number="ORCH-S1-STG")
    assert stage.remote_id == response.data["OrchestrationStageId"]
    assert stage.change_indicator == response.etag.strip('"')
    assert [t["StepTasksNumber"] for t in stage.document["StepTasks"]] == ["ORCH-S1-TSK-1", "ORCH-S1-TSK-2"]
    assert SandboxSequence.objects.get(name="row_id").value >= stage.remote_id
    # A second client (another request, another worker) sees the same data.
    with CxClient(get_connection(environ={})) as other:
        assert CxSalesApi(other).get_orchestration("ORCH-1")["OrchestrationId"] == row.remote_id


def test_sandbox_validates_like_the_remote(sandbox_api):
    created = sandbox_api.create_orchestration(orchestration_header("ORCH-1"))
    with pytest.raises(RemoteError) as caught:
        sandbox_api.upsert_stage("ORCH-1", stage_document(created["OrchestrationId"], StageName="x" * 101))
    assert caught.value.status == 400 and caught.value.permanent
    assert caught.value.message == (
        "The value of attribute StageName is too long for resource Stages: 101 characters, at most 100. (error 27024)"
    )
    assert not SandboxStage.objects.exists()


def test_sandbox_goes_through_the_client_journal_without_credentials():
    exchanges = []
    with CxClient(Connection("default", SANDBOX_BASE_URL), on_exchange=exchanges.append) as client:
        CxSalesApi(client).get_orchestration("ORCH-1")
    assert [(e.method, e.status) for e in exchanges] == [("GET", 404)]
    assert exchanges[0].url == "sandbox://builtin/crmRestApi/resources/11.13.18.05/orchestrations/ORCH-1"
    assert exchanges[0].request_headers["REST-Framework-Version"] == "4"
    assert "Authorization" not in exchanges[0].request_headers


def test_sandbox_internal_failure_is_a_500_not_retried(sandbox_api, monkeypatch, sleeps):
    def broken(self, number):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(DbStore, "get_orchestration", broken)
    with pytest.raises(RemoteError) as caught:
        sandbox_api.get_orchestration("ORCH-1")
    assert caught.value.status == 500 and not caught.value.permanent and sleeps == []
    assert "disk on fire" not in caught.value.message


def test_sandbox_reset_clears_everything(sandbox_api):
    created = sandbox_api.create_orchestration(orchestration_header("ORCH-1"))
    sandbox_api.upsert_stage("ORCH-1", stage_document(created["OrchestrationId"]))
    assert sandbox_reset() == {"orchestrations": 1, "stages": 1, "outreach_stages": 0, "records": 0}
    assert not SandboxOrchestration.objects.exists() and not SandboxSequence.objects.exists()
    assert sandbox_api.get_orchestration("ORCH-1") is None


def test_the_sandbox_sees_a_child_number_move_between_stages(sandbox_api):
    # Its emulator lives across requests and keeps the other stages' child numbers by the row's version.
    created = sandbox_api.create_orchestration(orchestration_header("ORCH-1"))
    orchestration_id = created["OrchestrationId"]
    sandbox_api.upsert_stage("ORCH-1", stage_document(orchestration_id))
    second = json.loads(
        json.dumps(stage_document(orchestration_id, prefix="S2", sequence=2)).replace("S2-STP-3", "S1-STP-3")
    )
    with pytest.raises(RemoteError, match="ORCH-S1-STP-3 already belongs to stage ORCH-S1-STG"):
        sandbox_api.upsert_stage("ORCH-1", second)
    renumbered = json.loads(json.dumps(stage_document(orchestration_id)).replace("S1-STP-3", "S1-STP-30"))
    sandbox_api.upsert_stage("ORCH-1", renumbered)
    assert sandbox_api.upsert_stage("ORCH-1", second).status == 201


def test_ids_come_from_the_locked_sequence():
    store = DbStore()
    assert store.reserve_ids(3) == [300100000000001, 300100000000002, 300100000000003]
    assert store.reserve_ids(1) == [300100000000004]


# -- the sandbox's pod profile (SANDBOX_PROFILE) ----------------------------------------------------------------


@pytest.fixture
def pod():
    sandbox = SandboxPod()
    try:
        yield sandbox
    finally:
        sandbox.close()


def _publish(pod, number="ORCH-1"):
    header = strict_header(number) if pod.profile.name == "strict" else orchestration_header(number)
    created = call(pod, "POST", "/orchestrations", header)
    assert created.status_code == 201, created.text
    document = stage_document(created.json()["OrchestrationId"])
    publish_stage(pod, number, document)
    return document


def test_the_sandbox_plays_the_configured_profile(pod, settings, no_sockets):
    settings.SANDBOX_PROFILE = "strict"
    stages = call(pod, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]["children"]["Stages"]
    assert set(stages["children"]) == {"StageObjectives", "Steps"}
    settings.SANDBOX_PROFILE = "documented"
    stages = call(pod, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]["children"]["Stages"]
    assert set(stages["children"]) == {"StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations"}


def test_a_strict_publish_is_stored_in_the_strict_shape_and_says_so(pod, settings):
    settings.SANDBOX_PROFILE = "strict"
    document = _publish(pod)
    row = SandboxOrchestration.objects.get(number="ORCH-1")
    assert row.profile == "strict" and row.attributes["@profile"] == "strict"
    assert "@profile" not in row.header and row.header["StatusCode"] == "DRAFT"
    assert "@profile" not in call(pod, "GET", "/orchestrations/ORCH-1").json()
    stage = SandboxStage.objects.get(orchestration=row).document
    assert stage["LifecycleAttributeValue"] == "01 - Qualify" and "StepTasks" not in stage
    assert [t["StepTasksNumber"] for t in stage["Steps"][0]["StepTasks"]] == ["ORCH-S1-TSK-1", "ORCH-S1-TSK-2"]
    assert stage["Steps"][0]["SuccessStepId"] == stage["Steps"][1]["OrchestrationStepId"]
    assert CxEmulator(DbStore(), profile="strict").contract_view("ORCH-1") == contract_view_of(document)


@pytest.mark.parametrize(("stored", "active"), [("strict", "documented"), ("documented", "strict")])
def test_after_a_profile_change_stored_orchestrations_answer_409_until_a_reset(pod, settings, stored, active):
    settings.SANDBOX_PROFILE = stored
    _publish(pod)
    settings.SANDBOX_PROFILE = active
    message = (
        f"The built-in sandbox holds ORCH-1 in the {stored} shape; reset the sandbox after changing SANDBOX_PROFILE."
    )
    header = strict_header("ORCH-1") if active == "strict" else orchestration_header("ORCH-1")
    for reply in (
        call(pod, "GET", "/orchestrations/ORCH-1"),
        call(pod, "GET", "/orchestrations/ORCH-1/child/Stages/ORCH-S1-STG"),
        call(pod, "POST", "/orchestrations", header, upsert=True),
        call(pod, "DELETE", "/orchestrations/ORCH-1/child/Stages/ORCH-S1-STG"),
    ):
        assert reply.status_code == 409
        assert details(reply) == [message]
        expected_type = "application/vnd.oracle.adf.error+json" if active == "strict" else "application/json"
        assert reply.headers["Content-Type"] == expected_type
    assert SandboxStage.objects.count() == 1
    sandbox_reset()
    _publish(pod)
    assert SandboxOrchestration.objects.get(number="ORCH-1").profile == active


def test_rows_from_before_profiles_read_as_documented(sandbox_api):
    SandboxOrchestration.objects.create(number="ORCH-OLD", remote_id=7, attributes={"OrchestrationNumber": "ORCH-OLD"})
    assert DbStore().get_orchestration("ORCH-OLD").profile == "documented"
    assert sandbox_api.get_orchestration("ORCH-OLD")["OrchestrationId"] == 7


def test_an_explicit_profile_wins_over_the_setting(settings):
    settings.SANDBOX_PROFILE = "documented"
    assert SandboxAdapter(profile="strict").emulator.profile.name == "strict"
    assert SandboxAdapter().emulator.profile.name == "documented"


def test_an_unknown_sandbox_profile_refuses_to_start():
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(SANDBOX_PROFILE="pessimistic", DJANGO_DEBUG="true")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    allowed = " or ".join(PROFILES)
    assert f"SANDBOX_PROFILE must be {allowed}, not 'pessimistic'." in result.stderr
