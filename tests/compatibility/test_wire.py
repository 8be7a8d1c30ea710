"""Contract documents to a pod's bodies and back, in both readings of the pod."""

import base64
import json

import pytest

from orchestrator.remote.connections import Connection
from orchestrator.services.compatibility.resolve import resolve_dialect
from orchestrator.services.compatibility.wire import (
    MissingId,
    comparable_stage,
    header_body,
    item_body,
    patch_body,
    read_header,
    read_stage,
    stage_body,
)
from tests.fakes.samples import orchestration_header, stage_document

from .describes import describe, strict_like

CONN = Connection(name="prod", base_url="https://pod.example.com")


def documented():
    return resolve_dialect(describe(), CONN)


def strict(**overrides):
    return resolve_dialect(strict_like(), Connection(name="prod", base_url="https://pod.example.com", **overrides))


def contract_stage():
    document = stage_document(1)
    del document["OrchestrationId"]
    return document


def test_nested_body_is_the_contract_document_itself():
    document = contract_stage()
    body = stage_body(documented(), document, orchestration_id=7, tasks=True, associations=True, links=True)
    assert body == {"OrchestrationId": 7, **document}


def test_stepwise_body_has_no_links_tasks_or_associations_and_uses_the_pods_names():
    body = stage_body(strict(), contract_stage(), orchestration_id=7, tasks=False, associations=False, links=False)
    assert "LifecycleAttributeValue" in body and "LifecycleAttrValue" not in body
    assert "StepTasks" not in body and "StepObjectivesAssociations" not in body
    assert all("SuccessStepId" not in s and "SuccessStepNumber" not in s for s in body["Steps"])
    criteria = next(s["SuccessCriteria"] for s in body["Steps"] if "SuccessCriteria" in s)
    assert json.loads(base64.b64decode(criteria)) == {"activityStatus": "COMPLETE"}


def test_links_by_id_need_the_ids_and_say_which_is_missing():
    dialect = strict()
    step = next(s for s in contract_stage()["Steps"] if "SuccessStepNumber" in s)
    with pytest.raises(MissingId) as caught:
        patch_body(dialect, "Steps", {"SuccessStepNumber": step["SuccessStepNumber"]}, ids={})
    assert (caught.value.resource, caught.value.number) == ("Steps", step["SuccessStepNumber"])
    ids = {"Steps": {step["SuccessStepNumber"]: 300100}}
    assert patch_body(dialect, "Steps", {"SuccessStepNumber": step["SuccessStepNumber"]}, ids=ids) == {
        "SuccessStepId": 300100
    }
    assert patch_body(dialect, "Steps", {"FailureStepNumber": None}) == {"FailureStepId": None}


def test_a_step_level_task_leaves_its_step_to_the_path_when_the_pod_does_not_list_it():
    pod = describe(under_steps=("StepTasks",), drop={"StepTasks": {"OrchestrationStepNumber"}})
    task = contract_stage()["StepTasks"][0]
    body = item_body(resolve_dialect(pod, CONN), "StepTasks", task)
    assert "OrchestrationStepNumber" not in body and body["StepTasksNumber"] == task["StepTasksNumber"]


def test_codes_are_mapped_out_and_back():
    dialect = strict(codes={"StepTasks.AssignedTo": {"TEAM_MEMBER": "TEAM MEMBER"}})
    task = {"StepTasksNumber": "T1", "DisplaySequence": 1, "ActivityTemplateId": 1, "ActivityId": 2}
    body = item_body(dialect, "StepTasks", {**task, "AssignedTo": "TEAM_MEMBER"}, ids={})
    assert body["AssignedTo"] == "TEAM MEMBER"


def test_header_body_adds_the_covered_mandatory_extras():
    dialect = strict(header_defaults={"StatusCode": "DRAFT"})
    body = header_body(dialect, orchestration_header("ORCH-1"))
    assert body["OrchestrationType"] == "STANDARD" and body["StatusCode"] == "DRAFT"
    assert read_header(dialect, body) == orchestration_header("ORCH-1")


OBJECTIVES = "StageObjectives"


def _without(item, *names):
    return {k: v for k, v in item.items() if k not in names}


def _strict_item(document):
    """A stage as the strict pod would answer it: pod names, ids, base64, children inside their steps."""
    step_ids = {s["OrchestrationStepNumber"]: 900 + i for i, s in enumerate(document["Steps"])}
    objective_ids = {o["StageObjectiveNumber"]: 800 + i for i, o in enumerate(document["StageObjectives"])}
    steps = []
    for step in document["Steps"]:
        raw = {k: v for k, v in step.items() if k not in ("SuccessStepNumber", "FailureStepNumber")}
        raw["OrchestrationStepId"] = step_ids[step["OrchestrationStepNumber"]]
        for link in ("SuccessStep", "FailureStep"):
            if f"{link}Number" in step:
                raw[f"{link}Id"] = step_ids[step[f"{link}Number"]]
        if "SuccessCriteria" in raw:
            raw["SuccessCriteria"] = base64.b64encode(raw["SuccessCriteria"].encode()).decode()
        raw["WaitForRepliesFlag"] = False  # a pod returns unused flags as false
        raw.setdefault("DaysToWait", None)  # and unused numbers as null
        number = step["OrchestrationStepNumber"]
        raw["StepTasks"] = {
            "items": [
                {
                    **{k: v for k, v in t.items() if k != "OrchestrationStepNumber"},
                    "OrchestrationStepId": step_ids[number],
                }
                for t in document["StepTasks"]
                if t["OrchestrationStepNumber"] == number
            ]
        }
        raw["StepObjectivesAssociations"] = [
            {
                "StepObjectiveAssocId": 600,
                "StepObjectiveAssocNumber": a["StepObjectiveAssocNumber"],
                "OrchestrationStepId": step_ids[number],
                "StageObjectiveId": objective_ids[a["StageObjectiveNumber"]],
            }
            for a in document["StepObjectivesAssociations"]
            if a["OrchestrationStepNumber"] == number
        ]
        steps.append(raw)
    own = {
        k: v
        for k, v in document.items()
        if k not in ("StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")
    }
    own["LifecycleAttributeValue"] = own.pop("LifecycleAttrValue")
    objectives = [
        {**o, "StageObjectiveId": objective_ids[o["StageObjectiveNumber"]]} for o in document["StageObjectives"]
    ]
    return {**own, "OrchestrationStageId": 700, "StageObjectives": objectives, "Steps": steps, "links": []}


def test_reading_a_strict_stage_gives_back_the_contract_document_and_the_ids():
    document = contract_stage()
    remote = read_stage(strict(), _strict_item(document))
    assert comparable_stage(remote.document) == comparable_stage(document)
    assert remote.ids["Stages"] == {document["OrchestrationStageNumber"]: 700}
    assert set(remote.ids["Steps"]) == {s["OrchestrationStepNumber"] for s in document["Steps"]}
    assert set(remote.ids["StepObjectivesAssociations"]) == {
        a["StepObjectiveAssocNumber"] for a in document["StepObjectivesAssociations"]
    }
    # contract key order: what pull imports and hashes
    assert list(remote.document)[:3] == ["OrchestrationStageNumber", "DisplaySequence", "StageName"]
    assert all("WaitForRepliesFlag" not in s for s in remote.document["Steps"] if s["StepType"] == "TASK")


def test_an_id_from_outside_the_stage_never_equals_a_number():
    document = contract_stage()
    item = _strict_item(document)
    linked = next(s for s in item["Steps"] if "SuccessStepId" in s)
    linked["SuccessStepId"] = 123
    remote = read_stage(strict(), item)
    assert comparable_stage(remote.document) != comparable_stage(document)
    assert any(s.get("SuccessStepNumber") == "#123" for s in remote.document["Steps"])


def test_false_flags_and_the_pods_own_error_flag_are_not_differences():
    document = contract_stage()
    other = json.loads(json.dumps(document))
    other["ContainErrorsFlag"] = True
    other["Steps"][0]["AllowSkipFlag"] = False
    document["Steps"][0].pop("AllowSkipFlag", None)
    assert comparable_stage(other) == comparable_stage(document)
