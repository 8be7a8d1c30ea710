"""The strict pod profile over real HTTP: each way it reads Oracle pessimistically (fidelity-risks §0.8, §7)."""

import pytest

from tests.fakes.cx_server import FakeCxServer
from tests.fakes.pod_http import b64, call, details, items, publish_stage
from tests.fakes.samples import contract_view_of, stage_document, strict_header, strict_stage

STAGES = "/orchestrations/ORCH-1/child/Stages"
STAGE = f"{STAGES}/ORCH-S1-STG"
STEPS = f"{STAGE}/child/Steps"
STEP_1 = f"{STEPS}/ORCH-S1-STP-1"
ERROR_TYPE = "application/vnd.oracle.adf.error+json"


@pytest.fixture
def pod():
    server = FakeCxServer(profile="strict").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def orch(pod):
    return pod.add_orchestration("ORCH-1")


@pytest.fixture
def published(pod, orch):
    document = stage_document(orch.remote_id)
    publish_stage(pod, "ORCH-1", document)
    return document


def ids(pod, path, key, id_name):
    return {row[key]: row[id_name] for row in call(pod, "GET", path).json()["items"]}


def describe(pod):
    return call(pod, "GET", "/orchestrations/describe").json()["Resources"]["orchestrations"]


def by_name(node):
    return {a["name"]: a for a in node["attributes"]}


# -- describe ---------------------------------------------------------------------------------------------------


def test_describe_spells_lengths_as_strings_and_adds_adf_fields(pod):
    stages = describe(pod)["children"]["Stages"]
    name = by_name(stages)["StageName"]
    assert name == {
        "name": "StageName",
        "type": "string",
        "updatable": True,
        "mandatory": True,
        "queryable": True,
        "allowChanges": "always",
        "title": "Stage Name",
        "maxLength": "100",
    }
    attributes = by_name(stages)
    assert "LifecycleAttrValue" not in attributes and attributes["LifecycleAttributeValue"]["maxLength"] == "100"
    assert attributes["OrchestrationStageNumber"]["allowChanges"] == "inCreate"
    assert attributes["OrchestrationStageId"]["allowChanges"] == "never"
    assert attributes["ContainErrorsFlag"]["defaultValue"] is False
    assert not any("precision" in a for a in stages["attributes"])


def test_describe_puts_tasks_and_associations_under_steps_and_links_by_id(pod):
    stages = describe(pod)["children"]["Stages"]
    assert set(stages["children"]) == {"StageObjectives", "Steps"}
    steps = stages["children"]["Steps"]
    assert set(steps["children"]) == {"StepTasks", "StepObjectivesAssociations"}
    step = by_name(steps)
    assert step["SuccessStepId"]["type"] == "integer" and "SuccessStepNumber" not in step
    for lob in ("FieldUpdateJson", "SuccessCriteria", "PreStepCondition"):
        assert step[lob]["type"] == "blob" and "maxLength" not in step[lob] and step[lob]["queryable"] is False
    assert step["StepTemplateId"]["type"] == "integer" and step["StepTemplateId"]["mandatory"] is False
    assert step["EvaluateOnMarkcompleteFlag"]["type"] == "boolean"
    task = by_name(steps["children"]["StepTasks"])
    assert (
        task["OrchestrationStepId"]["mandatory"] is True and task["OrchestrationStepId"]["allowChanges"] == "inCreate"
    )
    association = by_name(steps["children"]["StepObjectivesAssociations"])
    assert association["StageObjectiveId"]["type"] == "integer"
    changes = {name: a["allowChanges"] for name, a in association.items()}
    assert changes == {
        "StepObjectiveAssocId": "never",
        "StepObjectiveAssocNumber": "inCreate",
        "OrchestrationStepId": "inCreate",
        "StageObjectiveId": "inCreate",
        "CreatedBy": "never",
        "CreationDate": "never",
        "LastUpdatedBy": "never",
        "LastUpdateDate": "never",
    }


def test_describe_of_the_header_has_the_two_mandatory_attributes_with_defaults(pod):
    header = by_name(describe(pod))
    assert (
        header["OrchestrationType"]["mandatory"] is True and header["OrchestrationType"]["defaultValue"] == "STANDARD"
    )
    assert header["StatusCode"]["mandatory"] is True and header["StatusCode"]["defaultValue"] == "DRAFT"
    assert header["StatusCode"]["maxLength"] == "30"


# -- the header ---------------------------------------------------------------------------------------------------


def test_a_header_without_its_mandatory_attributes_is_refused_the_pod_applies_no_default(pod):
    body = strict_header("ORCH-NEW")
    del body["OrchestrationType"], body["StatusCode"]
    reply = call(pod, "POST", "/orchestrations", body)
    assert reply.status_code == 400
    assert details(reply) == [
        "Attribute OrchestrationType is required for resource orchestrations.",
        "Attribute StatusCode is required for resource orchestrations.",
    ]
    created = call(pod, "POST", "/orchestrations", strict_header("ORCH-NEW"))
    assert created.status_code == 201 and created.json()["StatusCode"] == "DRAFT"


def test_a_header_upsert_updates_only_what_it_lists(pod):
    call(pod, "POST", "/orchestrations", strict_header("ORCH-NEW"))
    reply = call(
        pod, "POST", "/orchestrations", {"OrchestrationNumber": "ORCH-NEW", "StatusCode": "ACTIVE"}, upsert=True
    )
    assert reply.status_code == 200, reply.text
    header = call(pod, "GET", "/orchestrations/ORCH-NEW").json()
    assert header["StatusCode"] == "ACTIVE" and header["OrchestrationName"] == "Enterprise deal playbook"


def test_add_orchestration_carries_what_the_header_requires(pod):
    header = call(pod, "GET", f"/orchestrations/{pod.add_orchestration('ORCH-2').number}").json()
    assert (header["OrchestrationType"], header["StatusCode"]) == ("STANDARD", "DRAFT")


# -- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "title"),
    [
        ("POST", STAGES, {"Foo": 1}, 400, "Bad Request"),
        ("GET", "/orchestrations/ORCH-NONE", None, 404, "Not Found"),
        ("PUT", "/orchestrations/ORCH-1", {}, 405, "Method Not Allowed"),
        ("POST", STAGES, "plain", 415, "Unsupported Media Type"),
    ],
)
def test_errors_have_the_framework_v4_shape(pod, orch, method, path, body, status, title):
    content_type = "text/plain" if body == "plain" else "application/vnd.oracle.adf.resourceitem+json"
    reply = call(pod, method, path, {} if body == "plain" else body, content_type=content_type)
    assert reply.status_code == status
    assert reply.headers["Content-Type"] == ERROR_TYPE
    error = reply.json()
    assert error["title"] == title and error["status"] == str(status)
    assert isinstance(error["o:errorDetails"], list) and len(error["o:errorDetails"]) >= 1
    assert set(error) == {"title", "status", "o:errorDetails"}
    assert all(set(d) == {"detail", "o:errorCode"} for d in error["o:errorDetails"])


def test_one_problem_is_still_an_array(pod, orch):
    reply = call(pod, "POST", STAGES, strict_stage(orch.remote_id, StageName="x" * 101), upsert=True)
    assert reply.json()["o:errorDetails"] == [
        {
            "detail": "The value of attribute StageName is too long for resource Stages: 101 characters, at most 100.",
            "o:errorCode": "27024",
        }
    ]


def _empty_500(reply):
    assert reply.status_code == 500
    assert reply.content == b"" and reply.headers["Content-Length"] == "0"
    assert "Content-Type" not in reply.headers


def test_a_link_to_an_id_that_is_no_step_of_the_stage_is_a_500_with_no_body(pod, published, orch):
    before = pod.contract_view("ORCH-1")
    _empty_500(call(pod, "PATCH", STEP_1, {"SuccessStepId": 999}))
    # A step of another stage is not a step of this one either.
    publish_stage(pod, "ORCH-1", stage_document(orch.remote_id, prefix="S2", sequence=2))
    other = ids(pod, f"{STAGES}/ORCH-S2-STG/child/Steps", "OrchestrationStepNumber", "OrchestrationStepId")
    _empty_500(call(pod, "PATCH", STEP_1, {"FailureStepId": other["ORCH-S2-STP-3"]}))
    assert pod.contract_view("ORCH-1")[0] == before[0]


def test_an_association_naming_no_objective_of_the_stage_is_a_500(pod, published):
    path = f"{STEPS}/ORCH-S1-STP-2/child/StepObjectivesAssociations"
    _empty_500(call(pod, "POST", path, {"StepObjectiveAssocNumber": "ORCH-S1-ASC-9", "StageObjectiveId": 12345}))


def test_a_link_of_the_wrong_type_is_a_400(pod, published):
    reply = call(pod, "PATCH", STEP_1, {"SuccessStepId": "ORCH-S1-STP-2"})
    assert reply.status_code == 400
    assert details(reply) == [
        "Attribute SuccessStepId of resource Steps (item ORCH-S1-STP-1) must be of type integer, not string."
    ]


@pytest.mark.parametrize(
    "path",
    ["Steps/ORCH-S1-STP-2", "Steps/ORCH-S1-STP-3", "StageObjectives/ORCH-S1-OBJ-1"],
    ids=["success", "failure", "objective"],
)
def test_deleting_what_is_still_linked_is_a_500(pod, published, path):
    _empty_500(call(pod, "DELETE", f"{STAGE}/child/{path}"))
    assert pod.contract_view("ORCH-1") == contract_view_of(published)


def test_deleting_a_step_deletes_its_own_tasks_and_associations(pod, published):
    assert call(pod, "DELETE", STEP_1).status_code == 204
    stage = pod.contract_view("ORCH-1")[0]
    assert [s["OrchestrationStepNumber"] for s in stage["Steps"]] == ["ORCH-S1-STP-2", "ORCH-S1-STP-3"]
    assert stage["StepTasks"] == [] and stage["StepObjectivesAssociations"] == []


# -- links by id -------------------------------------------------------------------------------------------------------


def test_steps_link_by_id_and_the_contract_view_shows_numbers(pod, published):
    steps = ids(pod, STEPS, "OrchestrationStepNumber", "OrchestrationStepId")
    step = call(pod, "GET", STEP_1).json()
    assert (step["SuccessStepId"], step["FailureStepId"]) == (steps["ORCH-S1-STP-2"], steps["ORCH-S1-STP-3"])
    assert "SuccessStepNumber" not in step
    reply = call(pod, "PATCH", STEP_1, {"SuccessStepId": steps["ORCH-S1-STP-3"]})
    assert reply.status_code == 200 and reply.json()["SuccessStepId"] == steps["ORCH-S1-STP-3"]
    assert pod.contract_view("ORCH-1")[0]["Steps"][0]["SuccessStepNumber"] == "ORCH-S1-STP-3"


def test_a_number_link_is_not_recognized(pod, published):
    reply = call(pod, "PATCH", STEP_1, {"SuccessStepNumber": "ORCH-S1-STP-2"})
    assert details(reply) == ["Attribute SuccessStepNumber is not recognized for resource Steps (item ORCH-S1-STP-1)."]


def test_a_task_takes_its_step_from_the_path(pod, published):
    step_id = call(pod, "GET", STEP_1).json()["OrchestrationStepId"]
    tasks = f"{STEP_1}/child/StepTasks"
    task = {"StepTasksNumber": "ORCH-S1-TSK-3", "DisplaySequence": 3, "ActivityTemplateId": 7, "ActivityId": 8}
    created = call(pod, "POST", tasks, task)
    assert created.status_code == 201 and created.json()["OrchestrationStepId"] == step_id
    same = call(pod, "POST", tasks, {**task, "StepTasksNumber": "ORCH-S1-TSK-4", "OrchestrationStepId": step_id})
    assert same.status_code == 201
    other = call(pod, "GET", f"{STEPS}/ORCH-S1-STP-2").json()["OrchestrationStepId"]
    moved = call(pod, "POST", tasks, {**task, "StepTasksNumber": "ORCH-S1-TSK-5", "OrchestrationStepId": other})
    assert moved.status_code == 400
    assert details(moved) == [
        f"OrchestrationStepId {other} of step task ORCH-S1-TSK-5 is not the one of its step ORCH-S1-STP-1 ({step_id})."
    ]


# -- what a stage POST may carry, and what an upsert does ------------------------------------------------------------


@pytest.mark.parametrize("where", ["stage", "step"])
def test_a_stage_post_may_not_carry_step_tasks_or_associations(pod, orch, where):
    body = strict_stage(orch.remote_id)
    tasks = stage_document(orch.remote_id)["StepTasks"]
    if where == "stage":
        body["StepTasks"] = tasks
    else:
        body["Steps"][0]["StepTasks"] = [{k: v for k, v in t.items() if k != "OrchestrationStepNumber"} for t in tasks]
    reply = call(pod, "POST", STAGES, body, upsert=True)
    assert reply.status_code == 400
    assert details(reply) == [
        "StepTasks cannot be sent inside a stage on this pod: POST each one to "
        "…/child/Steps/{OrchestrationStepNumber}/child/StepTasks."
    ]
    assert pod.contract_view("ORCH-1") == []


def test_an_upsert_updates_listed_attributes_and_keeps_everything_unlisted(pod, published, orch):
    before = ids(pod, STEPS, "OrchestrationStepNumber", "OrchestrationStepId")
    body = {
        "OrchestrationId": orch.remote_id,
        "OrchestrationStageNumber": "ORCH-S1-STG",
        "StageName": "Qualify, partly",
        "Steps": [
            {"OrchestrationStepNumber": "ORCH-S1-STP-1", "OrchestrationStepName": "Call first"},
            {
                "OrchestrationStepNumber": "ORCH-S1-STP-4",
                "OrchestrationStepName": "Stop too",
                "StepType": "STOP",
                "ExecutionMethod": "AUTOMATIC",
                "DisplaySequence": 4,
            },
        ],
    }
    reply = call(pod, "POST", STAGES, body, upsert=True)
    assert reply.status_code == 200, reply.text
    stage = pod.contract_view("ORCH-1")[0]
    expected = contract_view_of(published)[0]
    expected["StageName"] = "Qualify, partly"
    expected["Steps"][0]["OrchestrationStepName"] = "Call first"
    expected["Steps"].append(body["Steps"][1])
    assert stage == expected  # unlisted attributes, steps, objectives, tasks and associations all kept
    after = ids(pod, STEPS, "OrchestrationStepNumber", "OrchestrationStepId")
    assert {k: after[k] for k in before} == before and after["ORCH-S1-STP-4"] not in before.values()


def test_mandatory_is_judged_on_the_merged_item(pod, published, orch):
    body = {"OrchestrationId": orch.remote_id, "OrchestrationStageNumber": "ORCH-S1-STG", "StageName": None}
    reply = call(pod, "POST", STAGES, body, upsert=True)
    assert details(reply) == ["Attribute StageName is required for resource Stages."]
    new_step = {"OrchestrationStepNumber": "ORCH-S1-STP-5", "OrchestrationStepName": "Half a step"}
    reply = call(pod, "POST", STEPS, new_step, upsert=True)
    assert details(reply) == [
        "Attribute StepType is required for resource Steps (item ORCH-S1-STP-5).",
        "Attribute ExecutionMethod is required for resource Steps (item ORCH-S1-STP-5).",
        "Attribute DisplaySequence is required for resource Steps (item ORCH-S1-STP-5).",
    ]


def test_an_existing_association_cannot_be_posted_again_with_or_without_upsert(pod, published):
    path = f"{STEP_1}/child/StepObjectivesAssociations"
    objective = call(pod, "GET", f"{STAGE}/child/StageObjectives/ORCH-S1-OBJ-1").json()["StageObjectiveId"]
    body = {"StepObjectiveAssocNumber": "ORCH-S1-ASC-1", "StageObjectiveId": objective}
    for upsert in (False, True):
        reply = call(pod, "POST", path, body, upsert=upsert)
        assert reply.status_code == 400
        assert details(reply) == ["Association ORCH-S1-ASC-1 already exists; updating an association is not supported."]


def test_replies_echo_only_what_the_request_listed(pod, published, orch):
    body = {
        "OrchestrationId": orch.remote_id,
        "OrchestrationStageNumber": "ORCH-S1-STG",
        "Steps": [{"OrchestrationStepNumber": "ORCH-S1-STP-1", "GracePeriod": 24}],
    }
    echoed = call(pod, "POST", STAGES, body, upsert=True, onlyData="true").json()
    assert echoed["OrchestrationStageId"] > 0 and "StageObjectives" not in echoed
    steps = items(echoed["Steps"])
    assert [s["OrchestrationStepNumber"] for s in steps] == ["ORCH-S1-STP-1"]
    assert steps[0]["GracePeriod"] == 24 and "StepTasks" not in steps[0]  # never grandchildren
    stored = call(pod, "GET", STAGE, expand="Steps.StepTasks", onlyData="true").json()
    assert len(items(stored["Steps"])) == 3 and len(items(items(stored["Steps"])[0]["StepTasks"])) == 2
    step_reply = call(
        pod, "POST", STEPS, {"OrchestrationStepNumber": "ORCH-S1-STP-1", "AllowSkipFlag": True}, upsert=True
    )
    assert step_reply.status_code == 200 and "StepTasks" not in step_reply.json()


# -- LOBs -----------------------------------------------------------------------------------------------------------


def test_lobs_travel_as_base64_and_come_back_as_stored(pod, published):
    plain = call(pod, "PATCH", STEP_1, {"SuccessCriteria": '{"activityStatus": "DONE"}'})
    assert plain.status_code == 400
    assert details(plain) == [
        "Attribute SuccessCriteria of resource Steps (item ORCH-S1-STP-1) must be base64 of UTF-8 JSON text."
    ]
    not_json = call(pod, "PATCH", STEP_1, {"SuccessCriteria": b64("not json")})
    assert not_json.status_code == 400
    encoded = b64('{"activityStatus": "DONE"}')
    ok = call(pod, "PATCH", STEP_1, {"SuccessCriteria": encoded, "PreStepCondition": b64('{"when": "always"}')})
    assert ok.status_code == 200, ok.text
    step = call(pod, "GET", STEP_1).json()
    assert step["SuccessCriteria"] == encoded and step["PreStepCondition"] == b64('{"when": "always"}')
    view = pod.contract_view("ORCH-1")[0]["Steps"][0]
    assert view["SuccessCriteria"] == '{"activityStatus": "DONE"}' and "PreStepCondition" not in view


def test_extra_step_attributes_are_typed(pod, published):
    reply = call(pod, "PATCH", STEP_1, {"StepTemplateId": "seven", "EvaluateOnMarkcompleteFlag": 1})
    assert details(reply) == [
        "Attribute StepTemplateId of resource Steps (item ORCH-S1-STP-1) must be of type integer, not string.",
        "Attribute EvaluateOnMarkcompleteFlag of resource Steps (item ORCH-S1-STP-1) must be of type boolean, "
        "not integer.",
    ]
    assert call(pod, "PATCH", STEP_1, {"StepTemplateId": 7, "EvaluateOnMarkcompleteFlag": True}).status_code == 200


# -- expand ---------------------------------------------------------------------------------------------------------


def test_expand_all_expands_one_level_only(pod, published):
    stage = call(pod, "GET", STAGE, expand="all", onlyData="true").json()
    assert len(items(stage["Steps"])) == 3 and len(items(stage["StageObjectives"])) == 2
    assert all("StepTasks" not in step for step in items(stage["Steps"]))
    tree = call(pod, "GET", "/orchestrations/ORCH-1", expand="all", onlyData="true").json()
    assert [s["OrchestrationStageNumber"] for s in items(tree["Stages"])] == ["ORCH-S1-STG"]
    assert "Steps" not in items(tree["Stages"])[0]


def test_dotted_expand_reaches_the_tasks_under_their_steps(pod, published):
    path = "Stages.StageObjectives,Stages.Steps.StepTasks,Stages.Steps.StepObjectivesAssociations"
    tree = call(pod, "GET", "/orchestrations/ORCH-1", expand=path, onlyData="true").json()
    first = items(items(tree["Stages"])[0]["Steps"])[0]
    assert [t["StepTasksNumber"] for t in items(first["StepTasks"])] == ["ORCH-S1-TSK-1", "ORCH-S1-TSK-2"]
    assert [a["StepObjectiveAssocNumber"] for a in items(first["StepObjectivesAssociations"])] == ["ORCH-S1-ASC-1"]
    tasks = call(pod, "GET", STEPS, expand="StepTasks", onlyData="true").json()
    assert len(items(tasks["items"][0]["StepTasks"])) == 2
