"""CxSalesApi against the fake server: every method, percent-encoding, idempotent retries."""

import pytest

from orchestrator.remote.cx import CxSalesApi
from orchestrator.remote.errors import RemoteError
from tests.fakes.cx_server import FakeCxServer
from tests.fakes.samples import orchestration_header, stage_document, strict_stage


def test_get_missing_orchestration_is_none(cx_api):
    assert cx_api.get_orchestration("ORCH-NONE") is None
    assert cx_api.get_orchestration_tree("ORCH-NONE") is None
    assert cx_api.list_stages("ORCH-NONE") is None


def test_create_then_get_orchestration(cx_api, cx_server):
    created = cx_api.create_orchestration(orchestration_header("ORCH-1"))
    assert created["OrchestrationId"] > 0
    fetched = cx_api.get_orchestration("ORCH-1")
    assert fetched["OrchestrationId"] == created["OrchestrationId"]
    post = cx_server.writes[-1]
    assert post.method == "POST" and post.path == "/orchestrations"
    assert post.header("Content-Type") == "application/vnd.oracle.adf.resourceitem+json"


def test_create_orchestration_refused(cx_api):
    with pytest.raises(RemoteError) as caught:
        cx_api.create_orchestration(orchestration_header("ORCH-1", ObjectCode="Account"))
    assert caught.value.status == 400 and caught.value.permanent
    assert "ObjectCode" in caught.value.message


def test_describe(cx_api, cx_server):
    document = cx_api.describe()
    assert "Stages" in document["Resources"]["orchestrations"]["children"]
    assert cx_server.requests[-1].header("Accept") == "application/vnd.oracle.adf.description+json"


def test_describe_that_is_not_a_describe_is_refused(cx_api, cx_server):
    cx_server.fail("GET", "describe$", status=200, body={"items": []})
    with pytest.raises(RemoteError, match="not an ADF describe document"):
        cx_api.describe()


def test_upsert_stage_creates_then_updates(cx_api, cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    created = cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    assert created.status == 201 and created.etag
    assert isinstance(created.data["Steps"], list)  # collections flattened whatever the framework version
    assert created.data["Steps"][0]["OrchestrationStepId"] > 0
    updated = cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id, StageName="Renamed"))
    assert updated.status == 200
    assert updated.data["OrchestrationStageId"] == created.data["OrchestrationStageId"]
    post = cx_server.writes[-1]
    assert post.header("Upsert-Mode") == "true"
    assert post.header("Content-Type") == "application/vnd.oracle.adf.resourceitem+json"
    assert post.path == "/orchestrations/ORCH-1/child/Stages"


def test_upsert_stage_refusal_is_permanent_with_the_remote_text(cx_api, cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    with pytest.raises(RemoteError) as caught:
        cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id, Foo="bar"))
    assert caught.value.permanent and caught.value.message == (
        "Attribute Foo is not recognized for resource Stages. (error 27023)"
    )


def test_reply_lost_after_store_is_retried_without_duplicates(cx_api, cx_server, sleeps):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_server.drop("POST", r"/child/Stages$", when="after")
    response = cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    assert response.status == 200  # the retry found the stage the lost reply had created
    assert len(cx_server.writes) == 2 and len(sleeps) == 1
    assert cx_server.store.stage_numbers("ORCH-1") == ["ORCH-S1-STG"]


def test_transient_failures_then_success(cx_api, cx_server, sleeps):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_server.fail("POST", r"/child/Stages$", status=503, retry_after=1)
    cx_server.drop("POST", r"/child/Stages$", when="before")
    assert cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id)).status == 201
    assert len(sleeps) == 2 and sleeps[0] == 0.2  # Retry-After 1 s capped by the test client's retry_after_cap


def test_delete_stage(cx_api, cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    assert cx_api.delete_stage("ORCH-1", "ORCH-S1-STG") is True
    assert cx_api.delete_stage("ORCH-1", "ORCH-S1-STG") is False
    assert cx_server.store.stage_numbers("ORCH-1") == []


def test_get_stage_and_list_stages(cx_api, cx_server, monkeypatch):
    orch = cx_server.add_orchestration("ORCH-1")
    for i in (3, 1, 2):
        cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id, prefix=f"S{i}", sequence=i))
    monkeypatch.setattr(type(cx_api), "page_size", 2)
    stages = cx_api.list_stages("ORCH-1")
    assert [s["OrchestrationStageNumber"] for s in stages] == ["ORCH-S1-STG", "ORCH-S2-STG", "ORCH-S3-STG"]
    pages = [r.query["offset"] for r in cx_server.requests if r.method == "GET" and r.path.endswith("/child/Stages")]
    assert pages == ["0", "2"]
    stage = cx_api.get_stage("ORCH-1", "ORCH-S2-STG")
    assert isinstance(stage["StepTasks"], list)
    assert stage["links"][0]["properties"]["changeIndicator"]  # links are kept: they carry the change indicators
    assert cx_api.get_stage("ORCH-1", "ORCH-NONE") is None


def test_orchestration_tree(cx_api, cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id, prefix="S2", sequence=2))
    cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id, prefix="S1", sequence=1))
    tree = cx_api.get_orchestration_tree("ORCH-1")
    assert tree["OrchestrationNumber"] == "ORCH-1" and "links" not in tree
    assert [s["OrchestrationStageNumber"] for s in tree["Stages"]] == ["ORCH-S1-STG", "ORCH-S2-STG"]
    assert [o["StageObjectiveNumber"] for o in tree["Stages"][0]["StageObjectives"]] == [
        "ORCH-S1-OBJ-1",
        "ORCH-S1-OBJ-2",
    ]
    # the header, then the stages with every child expanded (ADF's comma list), one page
    assert [(r.path, r.query.get("expand")) for r in cx_server.requests[-2:]] == [
        ("/orchestrations/ORCH-1", None),
        ("/orchestrations/ORCH-1/child/Stages", "StageObjectives,Steps,StepTasks,StepObjectivesAssociations"),
    ]


def test_step_level_children_are_asked_for_in_dotted_form():
    server = FakeCxServer(profile="strict").start()
    try:
        orch = server.add_orchestration("ORCH-1")
        with server.client() as client:
            api = CxSalesApi(client)
            api.upsert_stage("ORCH-1", strict_stage(orch.remote_id))
            children = ("StepTasks", "StepObjectivesAssociations")
            stage = api.get_stage(
                "ORCH-1", strict_stage(orch.remote_id)["OrchestrationStageNumber"], step_children=children
            )
        stage_get = next(r for r in server.requests if r.method == "GET")
        assert stage_get.query["expand"] == "StageObjectives,Steps,Steps.StepTasks,Steps.StepObjectivesAssociations"
        assert all(isinstance(step["StepTasks"], list) for step in stage["Steps"])
        assert [r.method for r in server.requests] == ["POST", "GET"]  # nothing left to fetch step by step
    finally:
        server.stop()


def test_step_children_a_pod_did_not_nest_are_read_from_each_step(monkeypatch):
    server = FakeCxServer(profile="strict").start()
    try:
        orch = server.add_orchestration("ORCH-1")
        number = strict_stage(orch.remote_id)["OrchestrationStageNumber"]
        with server.client() as client:
            api = CxSalesApi(client)
            api.upsert_stage("ORCH-1", strict_stage(orch.remote_id))
            children = ("StepTasks", "StepObjectivesAssociations")
            whole = api.get_stage("ORCH-1", number, step_children=children)
            for step in whole["Steps"]:  # a pod that ignores the dotted expand: steps without their children
                step.pop("StepTasks")
            server.fail("GET", number + "$", status=200, body=whole)
            stage = api.get_stage("ORCH-1", number, step_children=children)
        per_step = [r.path for r in server.requests if r.path.endswith("/child/StepTasks")]
        assert len(per_step) == len(stage["Steps"]) > 0
        assert all(isinstance(step["StepTasks"], list) for step in stage["Steps"])
    finally:
        server.stop()


def test_orchestration_tree_with_paged_stages_fetches_the_rest(cx_api, cx_server):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    paged = {"OrchestrationNumber": "ORCH-1", "Stages": {"items": [], "hasMore": True, "count": 0}}
    cx_server.fail("GET", r"/orchestrations/ORCH-1$", status=200, body=paged)
    tree = cx_api.get_orchestration_tree("ORCH-1")
    assert [s["OrchestrationStageNumber"] for s in tree["Stages"]] == ["ORCH-S1-STG"]


def test_a_truncated_nested_collection_is_read_whole_from_its_own_collection(cx_api, cx_server, monkeypatch):
    orch = cx_server.add_orchestration("ORCH-1")
    cx_api.upsert_stage("ORCH-1", stage_document(orch.remote_id))
    truncated = {
        "OrchestrationStageNumber": "ORCH-S1-STG",
        "StageObjectives": [],
        "Steps": {"items": [{"OrchestrationStepNumber": "ORCH-S1-STP-1"}], "hasMore": True},
        "StepTasks": [],
        "StepObjectivesAssociations": [],
    }
    cx_server.fail("GET", r"/Stages/ORCH-S1-STG$", status=200, body=truncated)
    monkeypatch.setattr(type(cx_api), "page_size", 2)
    stage = cx_api.get_stage("ORCH-1", "ORCH-S1-STG")
    assert [s["OrchestrationStepNumber"] for s in stage["Steps"]] == ["ORCH-S1-STP-1", "ORCH-S1-STP-2", "ORCH-S1-STP-3"]
    pages = [r.query["offset"] for r in cx_server.requests if r.path.endswith("/ORCH-S1-STG/child/Steps")]
    assert pages == ["0", "2"]


def test_numbers_are_percent_encoded_as_one_segment(cx_api, cx_server):
    number = "ORCH/ä #1?x=y"
    created = cx_api.create_orchestration(orchestration_header(number))
    assert cx_api.get_orchestration(number)["OrchestrationId"] == created["OrchestrationId"]
    assert cx_server.requests[-1].path == "/orchestrations/ORCH%2F%C3%A4%20%231%3Fx%3Dy"
    stage = stage_document(created["OrchestrationId"], OrchestrationStageNumber="STG/1")
    cx_api.upsert_stage(number, stage)
    assert cx_api.delete_stage(number, "STG/1") is True
    assert cx_server.writes[-1].path.endswith("/child/Stages/STG%2F1")


def test_auth_failure_is_reported(cx_server):
    from orchestrator.remote.client import CxClient
    from orchestrator.remote.cx import CxSalesApi

    with CxClient(cx_server.connection(password="nope")) as client, pytest.raises(RemoteError) as caught:
        CxSalesApi(client).get_orchestration("ORCH-1")
    assert caught.value.auth_failed and caught.value.status == 401
