"""Behaviour both pod profiles share, over real HTTP (plain requests), each test run once per profile."""

import pytest

from orchestrator.remote.store import StoredOrchestration
from tests.fakes.cx_server import FakeCxServer
from tests.fakes.pod_http import call, details, items, publish_stage
from tests.fakes.samples import contract_view_of, stage_document

STAGES = "/orchestrations/ORCH-1/child/Stages"
STAGE = f"{STAGES}/ORCH-S1-STG"
STEPS = f"{STAGE}/child/Steps"
OBJECTIVES = f"{STAGE}/child/StageObjectives"


@pytest.fixture(params=["documented", "strict"])
def pod(request):
    server = FakeCxServer(profile=request.param).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def orch(pod):
    return pod.add_orchestration("ORCH-1")


@pytest.fixture
def published(pod, orch):
    """Stage S1 of samples.stage_document, written as the pod requires."""
    document = stage_document(orch.remote_id)
    publish_stage(pod, "ORCH-1", document)
    return document


def strict(pod) -> bool:
    return pod.profile.name == "strict"


def link(pod, name: str) -> str:
    """SuccessStepNumber on the documented pod, SuccessStepId on the strict one."""
    return name.replace("Number", "Id") if strict(pod) else name


def step_id(pod, number: str) -> int:
    return call(pod, "GET", f"{STEPS}/{number}").json()["OrchestrationStepId"]


def tasks_path(pod, step: str = "ORCH-S1-STP-1") -> str:
    return f"{STEPS}/{step}/child/StepTasks" if strict(pod) else f"{STAGE}/child/StepTasks"


def associations_path(pod, step: str = "ORCH-S1-STP-1") -> str:
    if strict(pod):
        return f"{STEPS}/{step}/child/StepObjectivesAssociations"
    return f"{STAGE}/child/StepObjectivesAssociations"


def test_contract_view_is_the_published_document_in_either_profile(pod, orch):
    first = stage_document(orch.remote_id)
    second = stage_document(orch.remote_id, prefix="S2", sequence=2)
    publish_stage(pod, "ORCH-1", second)
    publish_stage(pod, "ORCH-1", first)
    assert pod.contract_view("ORCH-1") == contract_view_of(first, second)
    stored = pod.store.stage_documents("ORCH-1")[0]
    # The pods hold different shapes; only the oracle makes them comparable.
    assert ("LifecycleAttributeValue" in stored) is strict(pod)
    assert ("StepTasks" in stored) is not strict(pod)


def test_the_same_content_has_the_same_contract_view_on_both_pods():
    views = []
    for profile in ("documented", "strict"):
        server = FakeCxServer(profile=profile).start()
        try:
            orch = server.add_orchestration("ORCH-1")
            publish_stage(server, "ORCH-1", stage_document(orch.remote_id))
            publish_stage(server, "ORCH-1", stage_document(orch.remote_id, prefix="S2", sequence=2))
            views.append(server.contract_view("ORCH-1"))
            raw = server.store.stage_documents("ORCH-1")
        finally:
            server.stop()
        views.append(raw)
    documented, documented_raw, strict_view, strict_raw = views
    assert documented == strict_view and len(documented) == 2
    assert documented_raw != strict_raw


def test_contract_view_follows_a_change(pod, published):
    reply = call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-2", {"OrchestrationStepName": "Wait a while", "DaysToWait": 5})
    assert reply.status_code == 200, reply.text
    step = next(s for s in pod.contract_view("ORCH-1")[0]["Steps"] if s["OrchestrationStepNumber"] == "ORCH-S1-STP-2")
    assert step == {
        "OrchestrationStepNumber": "ORCH-S1-STP-2",
        "OrchestrationStepName": "Wait a while",
        "StepType": "WAIT",
        "ExecutionMethod": "AUTOMATIC",
        "DisplaySequence": 2,
        "DaysToWait": 5,
    }


def test_child_collection_is_paged_like_the_stage_collection(pod, published):
    page = call(pod, "GET", STEPS, limit="2").json()
    assert [s["OrchestrationStepNumber"] for s in page["items"]] == ["ORCH-S1-STP-1", "ORCH-S1-STP-2"]
    assert (page["count"], page["hasMore"], page["limit"], page["offset"]) == (2, True, 2, 0)
    rest = call(pod, "GET", STEPS, limit="2", offset="2").json()
    assert [s["OrchestrationStepNumber"] for s in rest["items"]] == ["ORCH-S1-STP-3"] and rest["hasMore"] is False
    default = call(pod, "GET", OBJECTIVES).json()
    assert default["limit"] == 25 and default["count"] == 2
    assert default["links"][0]["href"].endswith(f"{OBJECTIVES}")


def test_child_item_get_has_ids_links_and_etag(pod, published):
    reply = call(pod, "GET", f"{OBJECTIVES}/ORCH-S1-OBJ-2")
    assert reply.status_code == 200
    item = reply.json()
    assert item["StageObjectiveId"] > 0 and item["ObjectiveName"] == "Champion found"
    self_link = next(link for link in item["links"] if link["rel"] == "self")
    assert self_link["href"] == f"{pod.url}/crmRestApi/resources/11.13.18.05{OBJECTIVES}/ORCH-S1-OBJ-2"
    assert reply.headers["ETag"] == f'"{self_link["properties"]["changeIndicator"]}"'
    assert call(pod, "GET", f"{OBJECTIVES}/ORCH-S1-OBJ-9").status_code == 404


def test_patch_changes_only_the_listed_attributes_and_keeps_the_id(pod, published):
    fetched = call(pod, "GET", f"{STEPS}/ORCH-S1-STP-1")
    before = fetched.json()
    reply = call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-1", {"OrchestrationStepName": "First call"})
    assert reply.status_code == 200, reply.text
    after = call(pod, "GET", f"{STEPS}/ORCH-S1-STP-1").json()
    assert after["OrchestrationStepName"] == "First call"
    assert after["OrchestrationStepId"] == before["OrchestrationStepId"]
    assert (
        after["GracePeriod"] == 48 and after[link(pod, "SuccessStepNumber")] == before[link(pod, "SuccessStepNumber")]
    )
    assert after["CreationDate"] == before["CreationDate"] and after["LastUpdateDate"] >= before["LastUpdateDate"]
    assert reply.headers["ETag"] != fetched.headers["ETag"]
    assert reply.headers["ETag"] == call(pod, "GET", f"{STEPS}/ORCH-S1-STP-1").headers["ETag"]


def test_patch_with_null_clears_an_optional_attribute(pod, published):
    reply = call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-1", {link(pod, "SuccessStepNumber"): None, "GracePeriod": None})
    assert reply.status_code == 200, reply.text
    step = call(pod, "GET", f"{STEPS}/ORCH-S1-STP-1").json()
    assert link(pod, "SuccessStepNumber") not in step and "GracePeriod" not in step
    assert link(pod, "FailureStepNumber") in step


def test_patch_cannot_clear_a_mandatory_attribute_or_change_the_key(pod, published):
    cleared = call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-1", {"OrchestrationStepName": None})
    assert cleared.status_code == 400
    assert details(cleared) == ["Attribute OrchestrationStepName is required for resource Steps (item ORCH-S1-STP-1)."]
    moved = call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-1", {"OrchestrationStepNumber": "ORCH-OTHER"})
    assert details(moved) == ["Attribute OrchestrationStepNumber cannot change: the path names ORCH-S1-STP-1."]
    nested = call(pod, "PATCH", STAGE, {"StageName": "x", "Steps": []})
    assert nested.status_code == 400
    assert details(nested) == [
        "A PATCH of stage ORCH-S1-STG changes its own attributes only; send Steps to its own collection."
    ]
    assert call(pod, "GET", f"{STEPS}/ORCH-S1-STP-1").json()["OrchestrationStepName"] == "Discovery call"


def test_stage_patch_changes_the_stage_attributes(pod, published):
    reply = call(pod, "PATCH", STAGE, {"StageName": "Qualify well", "StageDescription": None})
    assert reply.status_code == 200, reply.text
    stage = pod.contract_view("ORCH-1")[0]
    assert stage["StageName"] == "Qualify well" and "StageDescription" not in stage
    assert len(stage["Steps"]) == 3 and len(stage["StepTasks"]) == 2


def test_child_post_creates_and_upsert_updates_by_number(pod, published):
    objective = {
        "StageObjectiveNumber": "ORCH-S1-OBJ-3",
        "ObjectiveName": "Decision maker met",
        "DisplaySequence": 3,
        "ObjectiveStatus": "NEW",
    }
    created = call(pod, "POST", OBJECTIVES, objective)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"{OBJECTIVES}/ORCH-S1-OBJ-3")
    again = call(pod, "POST", OBJECTIVES, objective)
    assert again.status_code == 400
    assert details(again) == ["Objective ORCH-S1-OBJ-3 already exists in stage ORCH-S1-STG; send Upsert-Mode: true."]
    renamed = call(pod, "POST", OBJECTIVES, {**objective, "ObjectiveName": "Decider met"}, upsert=True)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["StageObjectiveId"] == created.json()["StageObjectiveId"]
    assert call(pod, "GET", f"{OBJECTIVES}/ORCH-S1-OBJ-3").json()["ObjectiveName"] == "Decider met"


def test_a_child_number_is_unique_in_the_orchestration(pod, published, orch):
    publish_stage(pod, "ORCH-1", stage_document(orch.remote_id, prefix="S2", sequence=2))
    objective = {"StageObjectiveNumber": "ORCH-S2-OBJ-1", "ObjectiveName": "x", "DisplaySequence": 5}
    reply = call(pod, "POST", OBJECTIVES, {**objective, "ObjectiveStatus": "NEW"})
    assert details(reply) == [
        "StageObjectiveNumber ORCH-S2-OBJ-1 already belongs to stage ORCH-S2-STG of this orchestration."
    ]


def test_a_child_at_a_place_the_profile_does_not_have_is_404(pod, published):
    elsewhere = f"{STEPS}/ORCH-S1-STP-1/child/StepTasks" if not strict(pod) else f"{STAGE}/child/StepTasks"
    reply = call(pod, "GET", elsewhere)
    assert reply.status_code == 404
    where = "Steps" if not strict(pod) else "Stages"
    assert details(reply) == [f"No resource StepTasks under {where} on this pod."]
    assert call(pod, "GET", tasks_path(pod)).json()["count"] == 2


def test_step_tasks_must_belong_to_task_steps(pod, published):
    task = {"StepTasksNumber": "ORCH-S1-TSK-9", "DisplaySequence": 3, "ActivityTemplateId": 7, "ActivityId": 8}
    if not strict(pod):
        task["OrchestrationStepNumber"] = "ORCH-S1-STP-2"
    reply = call(pod, "POST", tasks_path(pod, "ORCH-S1-STP-2"), task)
    assert reply.status_code == 400
    assert details(reply) == ["Step task ORCH-S1-TSK-9: step ORCH-S1-STP-2 is a WAIT step; tasks belong to TASK steps."]


def test_an_objective_may_be_mapped_before_its_association_exists(pod, published):
    objective = {
        "StageObjectiveNumber": "ORCH-S1-OBJ-3",
        "ObjectiveName": "Mapped early",
        "DisplaySequence": 3,
        "ObjectiveStatus": "MAPPED",
    }
    assert call(pod, "POST", OBJECTIVES, objective).status_code == 201
    # Unmapped again, then named by an association: refused, whichever way the association arrives.
    assert call(pod, "PATCH", f"{OBJECTIVES}/ORCH-S1-OBJ-3", {"ObjectiveStatus": "NEW"}).status_code == 200
    association = {"StepObjectiveAssocNumber": "ORCH-S1-ASC-9"}
    if strict(pod):
        association["StageObjectiveId"] = call(pod, "GET", f"{OBJECTIVES}/ORCH-S1-OBJ-3").json()["StageObjectiveId"]
    else:
        association.update(OrchestrationStepNumber="ORCH-S1-STP-2", StageObjectiveNumber="ORCH-S1-OBJ-3")
    reply = call(pod, "POST", associations_path(pod, "ORCH-S1-STP-2"), association)
    assert reply.status_code == 400
    assert details(reply) == ["ObjectiveStatus of objective ORCH-S1-OBJ-3 must be MAPPED: an association names it."]
    # Deleting the only association of a MAPPED objective is fine: the rule is one-directional.
    assert call(pod, "DELETE", f"{associations_path(pod)}/ORCH-S1-ASC-1").status_code == 204
    assert call(pod, "GET", f"{OBJECTIVES}/ORCH-S1-OBJ-1").json()["ObjectiveStatus"] == "MAPPED"


def test_associations_cannot_be_patched(pod, published):
    reply = call(pod, "PATCH", f"{associations_path(pod)}/ORCH-S1-ASC-1", {"StepObjectiveAssocNumber": "ORCH-S1-ASC-1"})
    assert reply.status_code == 405
    assert details(reply) == ["Updating an association is not supported: delete it and create another."]
    assert reply.headers["Content-Type"] == (
        "application/vnd.oracle.adf.error+json" if strict(pod) else "application/json"
    )


def test_delete_of_a_child_item(pod, published):
    assert call(pod, "DELETE", f"{tasks_path(pod)}/ORCH-S1-TSK-2").status_code == 204
    assert call(pod, "GET", f"{tasks_path(pod)}/ORCH-S1-TSK-2").status_code == 404
    assert call(pod, "DELETE", f"{tasks_path(pod)}/ORCH-S1-TSK-2").status_code == 404
    assert [t["StepTasksNumber"] for t in pod.contract_view("ORCH-1")[0]["StepTasks"]] == ["ORCH-S1-TSK-1"]
    # A step nothing links to any more can go.
    assert call(pod, "PATCH", f"{STEPS}/ORCH-S1-STP-1", {link(pod, "FailureStepNumber"): None}).status_code == 200
    assert call(pod, "DELETE", f"{STEPS}/ORCH-S1-STP-3").status_code == 204
    assert [s["OrchestrationStepNumber"] for s in pod.contract_view("ORCH-1")[0]["Steps"]] == [
        "ORCH-S1-STP-1",
        "ORCH-S1-STP-2",
    ]


def test_deleting_a_stage_deletes_everything_under_it(pod, published):
    assert call(pod, "DELETE", STAGE).status_code == 204
    assert pod.contract_view("ORCH-1") == []
    assert call(pod, "GET", STEPS).status_code == 404
    assert details(call(pod, "GET", STEPS)) == ["Stage ORCH-S1-STG does not exist in orchestration ORCH-1."]


def test_ids_are_kept_across_an_upsert_of_the_same_numbers(pod, published, orch):
    before = {s["OrchestrationStepNumber"]: s["OrchestrationStepId"] for s in call(pod, "GET", STEPS).json()["items"]}
    publish_stage(pod, "ORCH-1", stage_document(orch.remote_id, StageName="Qualify again"))
    after = {s["OrchestrationStepNumber"]: s["OrchestrationStepId"] for s in call(pod, "GET", STEPS).json()["items"]}
    assert after == before
    assert pod.contract_view("ORCH-1")[0]["StageName"] == "Qualify again"


def test_dotted_expand_expands_the_named_children(pod, published):
    stage = call(pod, "GET", STAGE, expand="StageObjectives,Steps", onlyData="true").json()
    assert len(items(stage["StageObjectives"])) == 2 and len(items(stage["Steps"])) == 3
    assert "StepTasks" not in stage and "StepTasks" not in items(stage["Steps"])[0]
    tree = call(pod, "GET", "/orchestrations/ORCH-1", expand="Stages.Steps", onlyData="true").json()
    only_stage = items(tree["Stages"])[0]
    assert len(items(only_stage["Steps"])) == 3 and "StageObjectives" not in only_stage
    bad = call(pod, "GET", STAGE, expand="Steps.Colour")
    assert bad.status_code == 400
    assert details(bad) == ["The expand value Steps.Colour is not valid: Colour is not a child of Steps."]


def test_an_orchestration_stored_by_another_profile_is_a_conflict(pod):
    other = "documented" if strict(pod) else "strict"
    pod.store.save_orchestration(StoredOrchestration("ORCH-X", 42, {"OrchestrationNumber": "ORCH-X"}, profile=other))
    for method, path in [("GET", "/orchestrations/ORCH-X"), ("GET", "/orchestrations/ORCH-X/child/Stages")]:
        reply = call(pod, method, path)
        assert reply.status_code == 409
        assert details(reply) == [
            f"The built-in sandbox holds ORCH-X in the {other} shape; reset the sandbox after changing SANDBOX_PROFILE."
        ]
    listing = call(pod, "GET", "/orchestrations").json()
    assert [o["OrchestrationNumber"] for o in listing["items"]] == ["ORCH-X"]
