"""The emulated CX Sales, driven over HTTP through the fake server (plain requests, no client logic)."""

import base64
import json

import pytest
import requests

from orchestrator.remote.url_safety import REST_ROOT
from tests.fakes.cx_server import PASSWORD, USERNAME
from tests.fakes.samples import contract_view_of, orchestration_header, stage_document

ITEM = "application/vnd.oracle.adf.resourceitem+json"
AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()


def call(server, method, path, body=None, *, upsert=False, version="4", content_type=ITEM, **query):
    headers = {"Authorization": AUTH, "REST-Framework-Version": version, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    if upsert:
        headers["Upsert-Mode"] = "true"
    return requests.request(
        method, f"{server.url}{REST_ROOT}{path}", json=body, headers=headers, params=query, timeout=5
    )


@pytest.fixture
def orch(cx_server):
    return cx_server.add_orchestration("ORCH-1")


STAGES = "/orchestrations/ORCH-1/child/Stages"


def post_stage(server, orch, upsert=True, **overrides):
    return call(server, "POST", STAGES, stage_document(orch.remote_id, **overrides), upsert=upsert)


def test_create_stage_assigns_ids_who_columns_links_and_etag(cx_server, orch):
    reply = post_stage(cx_server, orch)
    assert reply.status_code == 201, reply.text
    item = reply.json()
    assert item["OrchestrationStageId"] > 0 and item["OrchestrationId"] == orch.remote_id
    assert item["CreatedBy"] == USERNAME and item["CreationDate"] and item["LastUpdateDate"]
    steps = item["Steps"]["items"]  # framework version 4: nested children are collections
    assert [s["OrchestrationStepNumber"] for s in steps] == ["ORCH-S1-STP-1", "ORCH-S1-STP-2", "ORCH-S1-STP-3"]
    assert all(s["OrchestrationStepId"] > 0 for s in steps)
    ids = [item["OrchestrationStageId"]] + [
        row[key]
        for name, key in [
            ("StageObjectives", "StageObjectiveId"),
            ("Steps", "OrchestrationStepId"),
            ("StepTasks", "StepTasksId"),
            ("StepObjectivesAssociations", "StepObjectiveAssocId"),
        ]
        for row in item[name]["items"]
    ]
    assert len(set(ids)) == len(ids) == 9
    self_link = next(link for link in item["links"] if link["rel"] == "self")
    assert self_link["href"] == f"{cx_server.url}{REST_ROOT}{STAGES}/ORCH-S1-STG"
    assert reply.headers["ETag"] == f'"{self_link["properties"]["changeIndicator"]}"'
    assert reply.headers["Location"] == self_link["href"]
    stored = cx_server.store.stage_documents("ORCH-1")
    assert [d["OrchestrationStageNumber"] for d in stored] == ["ORCH-S1-STG"]


def test_upsert_keeps_ids_of_same_numbers_and_replaces_the_child_list(cx_server, orch):
    first = post_stage(cx_server, orch).json()
    document = stage_document(orch.remote_id, StageName="Qualify, renamed")
    document["StepTasks"] = document["StepTasks"][:1]  # TSK-2 removed
    document["StepTasks"].append(dict(document["StepTasks"][0], StepTasksNumber="ORCH-S1-TSK-3", DisplaySequence=3))
    reply = call(cx_server, "POST", STAGES, document, upsert=True)
    assert reply.status_code == 200, reply.text
    second = reply.json()
    assert second["OrchestrationStageId"] == first["OrchestrationStageId"]
    assert second["StageName"] == "Qualify, renamed" and second["CreationDate"] == first["CreationDate"]
    old_tasks = {t["StepTasksNumber"]: t["StepTasksId"] for t in first["StepTasks"]["items"]}
    new_tasks = {t["StepTasksNumber"]: t["StepTasksId"] for t in second["StepTasks"]["items"]}
    assert new_tasks["ORCH-S1-TSK-1"] == old_tasks["ORCH-S1-TSK-1"]
    assert "ORCH-S1-TSK-2" not in new_tasks and new_tasks["ORCH-S1-TSK-3"] not in old_tasks.values()
    assert [s["OrchestrationStepId"] for s in second["Steps"]["items"]] == [
        s["OrchestrationStepId"] for s in first["Steps"]["items"]
    ]
    assert len(cx_server.store.stage_numbers("ORCH-1")) == 1


def test_identical_upsert_keeps_the_change_indicator(cx_server, orch):
    first = post_stage(cx_server, orch)
    again = post_stage(cx_server, orch)
    changed = post_stage(cx_server, orch, StageName="Other")
    assert again.status_code == 200 and again.headers["ETag"] == first.headers["ETag"]
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_duplicate_number_without_upsert_is_refused(cx_server, orch):
    assert post_stage(cx_server, orch, upsert=False).status_code == 201
    reply = post_stage(cx_server, orch, upsert=False)
    assert reply.status_code == 400
    assert reply.json()["detail"] == "Stage ORCH-S1-STG already exists in orchestration ORCH-1; send Upsert-Mode: true."


def _mutate(document, path, value):
    target = document
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value", "detail", "code"),
    [
        (["Foo"], 1, "Attribute Foo is not recognized for resource Stages.", "27023"),
        (
            ["Steps", 1, "Colour"],
            "red",
            "Attribute Colour is not recognized for resource Steps (item ORCH-S1-STP-2).",
            "27023",
        ),
        (
            ["StageName"],
            "x" * 101,
            "The value of attribute StageName is too long for resource Stages: 101 characters, at most 100.",
            "27024",
        ),
        (
            ["StageObjectives", 0, "ObjectiveName"],
            "y" * 150,
            "The value of attribute ObjectiveName is too long for resource StageObjectives (item ORCH-S1-OBJ-1): "
            "150 characters, at most 100.",
            "27024",
        ),
        (["LifecycleAttrValue"], KeyError, "Attribute LifecycleAttrValue is required for resource Stages.", "27025"),
        (["StageName"], "", "Attribute StageName is required for resource Stages.", "27025"),
        (
            ["StepTasks", 0, "ActivityId"],
            KeyError,
            "Attribute ActivityId is required for resource StepTasks (item ORCH-S1-TSK-1).",
            "27025",
        ),
        (
            ["DisplaySequence"],
            "1",
            "Attribute DisplaySequence of resource Stages must be of type integer, not string.",
            "27026",
        ),
        (
            ["Steps", 0, "StepType"],
            "CALL",
            'Value "CALL" of attribute StepType is not valid for resource Steps (item ORCH-S1-STP-1); use TASK, '
            "APPOINTMENT, NEXT_STAGE, WAIT, FIELD_UPDATE, EMAIL_AUTOMATION, STOP.",
            "27026",
        ),
        (
            ["Steps", 0, "ExecutionMethod"],
            "AUTOMATIC",
            'Attribute ExecutionMethod of resource Steps (item ORCH-S1-STP-1) must be "MANUAL" when StepType is TASK.',
            "27026",
        ),
        (
            ["Steps", 1, "DaysToWait"],
            KeyError,
            "One of DaysToWait or HoursToWait is required for resource Steps (item ORCH-S1-STP-2) (StepType WAIT).",
            "27025",
        ),
        (
            ["Steps", 0, "SuccessCriteria"],
            KeyError,
            "Attribute SuccessCriteria is required for resource Steps (item ORCH-S1-STP-1) when FailureStepNumber "
            "is set.",
            "27025",
        ),
        (
            ["Steps", 0, "SuccessCriteria"],
            "{not json",
            "Attribute SuccessCriteria of step ORCH-S1-STP-1 must be JSON text.",
            "27026",
        ),
        (
            ["Steps", 0, "SuccessStepNumber"],
            "ORCH-NOPE",
            "SuccessStepNumber ORCH-NOPE of step ORCH-S1-STP-1 is not a step of stage ORCH-S1-STG.",
            "27027",
        ),
        (
            ["StepTasks", 0, "OrchestrationStepNumber"],
            "ORCH-S1-STP-2",
            "Step task ORCH-S1-TSK-1: step ORCH-S1-STP-2 is a WAIT step; tasks belong to TASK steps.",
            "27027",
        ),
        (
            ["StepObjectivesAssociations", 0, "StageObjectiveNumber"],
            "ORCH-S1-OBJ-9",
            "Association ORCH-S1-ASC-1: objective ORCH-S1-OBJ-9 is not in stage ORCH-S1-STG.",
            "27027",
        ),
        (
            ["StageObjectives", 0, "ObjectiveStatus"],
            "NEW",
            "ObjectiveStatus of objective ORCH-S1-OBJ-1 must be MAPPED: an association names it.",
            "27026",
        ),
        (
            ["StageObjectives", 1, "StageObjectiveNumber"],
            "ORCH-S1-OBJ-1",
            "StageObjectiveNumber ORCH-S1-OBJ-1 appears 2 times in StageObjectives.",
            "27028",
        ),
        (["OrchestrationId"], 42, "OrchestrationId 42 is not the id of orchestration ORCH-1.", "27027"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_invalid_bodies_are_refused_with_a_named_problem(cx_server, orch, path, value, detail, code):
    document = stage_document(orch.remote_id)
    _mutate(document, path, value)
    reply = call(cx_server, "POST", STAGES, document, upsert=True)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["title"] == "Bad Request"
    assert body["detail"] == detail
    assert body["o:errorCode"] == code
    assert cx_server.store.stage_numbers("ORCH-1") == []


def test_several_problems_are_all_listed(cx_server, orch):
    document = stage_document(orch.remote_id, Foo=1, Bar=2)
    body = call(cx_server, "POST", STAGES, document).json()
    assert [d["detail"] for d in body["o:errorDetails"]] == [
        "Attribute Foo is not recognized for resource Stages.",
        "Attribute Bar is not recognized for resource Stages.",
    ]


def test_child_number_of_another_stage_is_refused(cx_server, orch):
    assert post_stage(cx_server, orch).status_code == 201
    document = stage_document(orch.remote_id, prefix="S2")
    document["Steps"][2]["OrchestrationStepNumber"] = "ORCH-S1-STP-3"
    document["Steps"][0]["FailureStepNumber"] = "ORCH-S1-STP-3"
    reply = call(cx_server, "POST", STAGES, document, upsert=True)
    assert reply.json()["detail"] == (
        "OrchestrationStepNumber ORCH-S1-STP-3 already belongs to stage ORCH-S1-STG of this orchestration."
    )


def test_a_child_number_given_up_by_an_update_is_free_and_its_new_number_taken(cx_server, orch):
    # The emulator keeps the other stages' child numbers between writes: an update must not leave it stale.
    assert post_stage(cx_server, orch).status_code == 201
    second = stage_document(orch.remote_id, prefix="S2", sequence=2)
    second["Steps"][2]["OrchestrationStepNumber"] = "ORCH-S1-STP-3"
    second["Steps"][0]["FailureStepNumber"] = "ORCH-S1-STP-3"
    assert call(cx_server, "POST", STAGES, second, upsert=True).status_code == 400  # S1 holds it (now remembered)
    renumbered = json.loads(json.dumps(stage_document(orch.remote_id)).replace('"ORCH-S1-STP-3"', '"ORCH-S1-STP-30"'))
    assert call(cx_server, "POST", STAGES, renumbered, upsert=True).status_code == 200
    assert call(cx_server, "POST", STAGES, second, upsert=True).status_code == 201
    third = json.loads(
        json.dumps(stage_document(orch.remote_id, prefix="S3", sequence=3)).replace("S3-STP-3", "S1-STP-30")
    )
    reply = call(cx_server, "POST", STAGES, third, upsert=True)
    assert reply.json()["detail"] == (
        "OrchestrationStepNumber ORCH-S1-STP-30 already belongs to stage ORCH-S1-STG of this orchestration."
    )


@pytest.mark.parametrize(("content_type", "status"), [("application/json", 201), ("text/plain", 415)])
def test_stage_post_media_type(cx_server, orch, content_type, status):
    reply = call(cx_server, "POST", STAGES, stage_document(orch.remote_id), content_type=content_type)
    assert reply.status_code == status


def test_not_json_body_is_refused(cx_server, orch):
    headers = {"Authorization": AUTH, "Content-Type": ITEM}
    reply = requests.post(f"{cx_server.url}{REST_ROOT}{STAGES}", data=b"[1, 2", headers=headers, timeout=5)
    assert reply.status_code == 400 and reply.json()["detail"] == "The request body must be a JSON object."


def test_missing_orchestration_is_404(cx_server):
    assert call(cx_server, "GET", "/orchestrations/ORCH-NONE").status_code == 404
    reply = call(cx_server, "POST", "/orchestrations/ORCH-NONE/child/Stages", stage_document(1))
    assert reply.status_code == 404 and reply.json()["detail"] == "Orchestration ORCH-NONE does not exist."


def test_create_orchestration_header(cx_server):
    reply = call(
        cx_server, "POST", "/orchestrations", orchestration_header("ORCH-NEW"), content_type="application/json"
    )
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["OrchestrationId"] > 0 and created["OrchestrationName"] == "Enterprise deal playbook"
    fetched = call(cx_server, "GET", "/orchestrations/ORCH-NEW").json()
    assert fetched["OrchestrationId"] == created["OrchestrationId"]
    duplicate = call(cx_server, "POST", "/orchestrations", orchestration_header("ORCH-NEW"))
    assert duplicate.status_code == 400 and duplicate.json()["detail"] == "Orchestration ORCH-NEW already exists."
    renamed = orchestration_header("ORCH-NEW", OrchestrationName="Renamed")
    updated = call(cx_server, "POST", "/orchestrations", renamed, upsert=True)
    assert updated.status_code == 200 and updated.json()["OrchestrationId"] == created["OrchestrationId"]


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"OrchestrationName": None}, "Attribute OrchestrationName is required for resource orchestrations."),
        (
            {"ObjectCode": "Account"},
            'Value "Account" of attribute ObjectCode is not valid for resource orchestrations; use Opportunity, Lead.',
        ),
        ({"Owner": "me"}, "Attribute Owner is not recognized for resource orchestrations."),
    ],
)
def test_orchestration_header_is_validated(cx_server, overrides, detail):
    header = {k: v for k, v in {**orchestration_header("ORCH-BAD"), **overrides}.items() if v is not None}
    reply = call(cx_server, "POST", "/orchestrations", header)
    assert reply.status_code == 400 and reply.json()["detail"] == detail
    assert cx_server.store.get_orchestration("ORCH-BAD") is None


def test_describe_lists_every_contract_attribute(cx_server):
    reply = call(cx_server, "GET", "/orchestrations/describe")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/vnd.oracle.adf.description+json"
    root = reply.json()["Resources"]["orchestrations"]
    by_name = {a["name"]: a for a in root["attributes"]}
    assert by_name["OrchestrationNumber"] == {
        "name": "OrchestrationNumber",
        "type": "string",
        "updatable": True,
        "mandatory": True,
        "precision": 64,
    }
    assert by_name["OrchestrationId"]["updatable"] is False
    stages = root["children"]["Stages"]
    stage_attrs = {a["name"]: a for a in stages["attributes"]}
    assert stage_attrs["StageName"]["precision"] == 100 and stage_attrs["StageName"]["mandatory"] is True
    assert (
        stage_attrs["StageDescription"]["mandatory"] is False and stage_attrs["StageDescription"]["precision"] == 2000
    )
    assert stage_attrs["OrchestrationId"]["updatable"] is False and stage_attrs["OrchestrationId"]["mandatory"]
    assert set(stages["children"]) == {"StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations"}
    step_attrs = {a["name"] for a in stages["children"]["Steps"]["attributes"]}
    assert {"OrchestrationStepId", "SuccessStepNumber", "FieldUpdateJson", "GracePeriod"} <= step_attrs


def test_describe_override_changes_what_the_remote_accepts(cx_server, orch):
    cx_server.remove_attribute("Stages", "StageDescription")
    cx_server.limit_attribute("Stages.Steps", "OrchestrationStepName", 10)
    stages = call(cx_server, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]["children"]
    assert "StageDescription" not in {a["name"] for a in stages["Stages"]["attributes"]}
    step_name = next(
        a for a in stages["Stages"]["children"]["Steps"]["attributes"] if a["name"] == "OrchestrationStepName"
    )
    assert step_name["precision"] == 10
    details = [d["detail"] for d in post_stage(cx_server, orch).json()["o:errorDetails"]]
    assert "Attribute StageDescription is not recognized for resource Stages." in details
    assert (
        "The value of attribute OrchestrationStepName is too long for resource Steps (item ORCH-S1-STP-1): "
        "14 characters, at most 10." in details
    )


def test_expand_all_returns_the_tree_and_only_data_drops_links(cx_server, orch):
    post_stage(cx_server, orch, prefix="S2", sequence=2)
    post_stage(cx_server, orch, prefix="S1", sequence=1)
    tree = call(cx_server, "GET", "/orchestrations/ORCH-1", expand="all", onlyData="true").json()
    assert tree["OrchestrationNumber"] == "ORCH-1" and "links" not in tree
    stages = tree["Stages"]["items"]
    assert [s["OrchestrationStageNumber"] for s in stages] == ["ORCH-S1-STG", "ORCH-S2-STG"]
    assert [t["StepTasksNumber"] for t in stages[0]["StepTasks"]["items"]] == ["ORCH-S1-TSK-1", "ORCH-S1-TSK-2"]
    assert "links" not in stages[0] and "links" not in stages[0]["Steps"]["items"][0]
    with_links = call(cx_server, "GET", "/orchestrations/ORCH-1", expand="all").json()
    assert with_links["links"][0]["rel"] == "self" and "links" in with_links["Stages"]["items"][0]
    plain = call(cx_server, "GET", "/orchestrations/ORCH-1").json()
    assert "Stages" not in plain


def test_framework_version_before_3_nests_plain_arrays(cx_server, orch):
    post_stage(cx_server, orch)
    tree = call(cx_server, "GET", "/orchestrations/ORCH-1", version="2", expand="all", onlyData="true").json()
    assert isinstance(tree["Stages"], list) and isinstance(tree["Stages"][0]["Steps"], list)


def test_stage_collection_and_item(cx_server, orch):
    post_stage(cx_server, orch)
    listing = call(cx_server, "GET", STAGES).json()
    assert listing["count"] == 1 and listing["hasMore"] is False
    assert listing["items"][0]["OrchestrationStageNumber"] == "ORCH-S1-STG"
    assert "Steps" not in listing["items"][0]
    item = call(cx_server, "GET", f"{STAGES}/ORCH-S1-STG")
    assert item.status_code == 200 and item.headers["ETag"]


def test_delete_stage(cx_server, orch):
    post_stage(cx_server, orch)
    reply = call(cx_server, "DELETE", f"{STAGES}/ORCH-S1-STG")
    assert reply.status_code == 204 and reply.content == b""
    assert cx_server.store.stage_numbers("ORCH-1") == []
    assert call(cx_server, "DELETE", f"{STAGES}/ORCH-S1-STG").status_code == 404
    assert call(cx_server, "GET", f"{STAGES}/ORCH-S1-STG").status_code == 404


def test_unusual_numbers_in_paths_are_decoded(cx_server):
    cx_server.add_orchestration("ORCH/odd #1")
    reply = call(cx_server, "GET", "/orchestrations/ORCH%2Fodd%20%231")
    assert reply.status_code == 200 and reply.json()["OrchestrationNumber"] == "ORCH/odd #1"


def test_unknown_resource_and_method(cx_server, orch):
    assert call(cx_server, "GET", "/accounts").status_code == 404
    assert call(cx_server, "PUT", "/orchestrations/ORCH-1", {}).status_code == 405


def test_credentials_are_required(cx_server):
    reply = requests.get(f"{cx_server.url}{REST_ROOT}/orchestrations/describe", timeout=5)
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Basic")


# -- documented profile: what an upsert does to children, deletes, associations ------------------------------------


def test_upsert_without_a_child_array_leaves_that_collection_as_stored(cx_server, orch):
    post_stage(cx_server, orch)
    document = stage_document(orch.remote_id, StageName="Renamed")
    del document["StepTasks"]  # absent: kept as stored
    document["StepObjectivesAssociations"] = []  # listed empty: emptied
    document["StageObjectives"][0]["ObjectiveStatus"] = "MAPPED"  # still MAPPED: accepted without an association
    reply = call(cx_server, "POST", STAGES, document, upsert=True)
    assert reply.status_code == 200, reply.text
    stored = cx_server.contract_view("ORCH-1")[0]
    assert stored["StageName"] == "Renamed"
    assert [t["StepTasksNumber"] for t in stored["StepTasks"]] == ["ORCH-S1-TSK-1", "ORCH-S1-TSK-2"]
    assert stored["StepObjectivesAssociations"] == []


def test_a_listed_child_replaces_the_stored_item_whole(cx_server, orch):
    post_stage(cx_server, orch)
    document = stage_document(orch.remote_id)
    del document["Steps"][0]["GracePeriod"]
    assert call(cx_server, "POST", STAGES, document, upsert=True).status_code == 200
    step = call(cx_server, "GET", f"{STAGES}/ORCH-S1-STG/child/Steps/ORCH-S1-STP-1").json()
    assert "GracePeriod" not in step


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "Steps/ORCH-S1-STP-1",
            "Step ORCH-S1-STP-1 cannot be deleted: step task ORCH-S1-TSK-1 refers to it (OrchestrationStepNumber).",
        ),
        (
            "Steps/ORCH-S1-STP-2",
            "Step ORCH-S1-STP-2 cannot be deleted: step ORCH-S1-STP-1 refers to it (SuccessStepNumber).",
        ),
        (
            "StageObjectives/ORCH-S1-OBJ-1",
            "Objective ORCH-S1-OBJ-1 cannot be deleted: association ORCH-S1-ASC-1 refers to it (StageObjectiveNumber).",
        ),
    ],
)
def test_deleting_what_something_still_refers_to_is_refused(cx_server, orch, path, detail):
    post_stage(cx_server, orch)
    reply = call(cx_server, "DELETE", f"{STAGES}/ORCH-S1-STG/child/{path}")
    assert reply.status_code == 400
    assert reply.json()["detail"] == detail and reply.json()["o:errorCode"] == "27027"
    assert cx_server.contract_view("ORCH-1") == contract_view_of(stage_document(orch.remote_id))


def test_an_unreferenced_objective_can_be_deleted(cx_server, orch):
    post_stage(cx_server, orch)
    assert call(cx_server, "DELETE", f"{STAGES}/ORCH-S1-STG/child/StageObjectives/ORCH-S1-OBJ-2").status_code == 204
    assert [o["StageObjectiveNumber"] for o in cx_server.contract_view("ORCH-1")[0]["StageObjectives"]] == [
        "ORCH-S1-OBJ-1"
    ]


def test_associations_may_be_re_sent_on_the_documented_pod(cx_server, orch):
    post_stage(cx_server, orch)
    associations = f"{STAGES}/ORCH-S1-STG/child/StepObjectivesAssociations"
    first = call(cx_server, "GET", f"{associations}/ORCH-S1-ASC-1").json()
    association = stage_document(orch.remote_id)["StepObjectivesAssociations"][0]
    reply = call(cx_server, "POST", associations, association, upsert=True)
    assert reply.status_code == 200, reply.text
    assert reply.json()["StepObjectiveAssocId"] == first["StepObjectiveAssocId"]
    assert post_stage(cx_server, orch).status_code == 200  # and inside the stage document


def test_expand_all_expands_every_level_and_a_bad_name_is_refused(cx_server, orch):
    post_stage(cx_server, orch)
    tree = call(cx_server, "GET", "/orchestrations/ORCH-1", expand="all", onlyData="true").json()
    stage = tree["Stages"]["items"][0]
    assert {"StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations"} <= set(stage)
    only_stages = call(cx_server, "GET", "/orchestrations/ORCH-1", expand="Stages", onlyData="true").json()
    assert "Steps" not in only_stages["Stages"]["items"][0]
    # Step tasks are not children of steps on the documented pod.
    assert call(cx_server, "GET", f"{STAGES}/ORCH-S1-STG", expand="Steps.StepTasks").status_code == 400
