"""Publishing against a real HTTP fake of CX Sales: what is sent, what is stored, what is skipped."""

import base64
import json

import pytest

from orchestrator.models import (
    JournalEntry,
    Orchestration,
    PublishedStage,
    PublishRunStatus,
    SandboxStage,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
)
from orchestrator.selectors import orchestration_tree
from orchestrator.services.documents import stage_document
from orchestrator.services.publishing import publish_exit_code
from tests.fakes.cx_server import FakeCxServer

from .conftest import export, publish, stage_posts, use_server

pytestmark = pytest.mark.django_db


def test_first_publish_creates_the_header_then_one_post_per_stage_in_order(cx_server, ci, orchestration):
    run = publish(orchestration)

    assert run.status == PublishRunStatus.DONE, run.message
    assert publish_exit_code(run) == 0
    assert [(r.method, r.path) for r in cx_server.requests] == [
        ("GET", f"/orchestrations/{orchestration.number}"),
        ("GET", "/orchestrations/describe"),
        ("POST", "/orchestrations"),
        *[("POST", f"/orchestrations/{orchestration.number}/child/Stages")] * 3,
    ]
    tree = orchestration_tree(orchestration.number)
    remote_id = cx_server.store.get_orchestration(orchestration.number).remote_id
    expected = [{"OrchestrationId": remote_id, **stage_document(s)} for s in tree.stages.all()]
    assert [r.json for r in stage_posts(cx_server)] == expected
    assert cx_server.store.stage_numbers(orchestration.number) == [s.number for s in tree.stages.all()]
    assert [(s.action, s.status) for s in run.stages.all()] == [("create", "done")] * 3
    assert "3 created" in run.message


def test_stage_posts_carry_the_contract_headers_and_basic_auth(cx_server, ci, orchestration):
    publish(orchestration)
    expected_auth = "Basic " + base64.b64encode(f"{cx_server.username}:{cx_server.password}".encode()).decode()
    for request in stage_posts(cx_server):
        assert request.header("Content-Type") == "application/vnd.oracle.adf.resourceitem+json"
        assert request.header("Upsert-Mode") == "true"
        assert request.header("REST-Framework-Version") == "4"
        assert request.header("Accept") == "application/json"
        assert request.header("Authorization") == expected_auth
        assert request.header("Metadata-Context") == ""


def test_bearer_token_framework_version_and_metadata_context(monkeypatch, orchestration):
    server = FakeCxServer(token="tok-for-tests-123456").start()
    try:
        use_server(monkeypatch, server, REST_FRAMEWORK_VERSION="6", METADATA_CONTEXT="TrackOrchestrations")
        run = publish(orchestration)
        assert run.status == PublishRunStatus.DONE, run.message
        for request in server.requests:
            assert request.header("Authorization") == "Bearer tok-for-tests-123456"
            assert request.header("REST-Framework-Version") == "6"
            assert request.header("Metadata-Context") == 'sandbox="TrackOrchestrations"'
        # framework 6 nests children as collections: the ids still reach the draft
        assert all(step.remote_id for step in Step.objects.filter(stage__orchestration=orchestration))
    finally:
        server.stop()


def test_remote_ids_are_stored_without_making_open_forms_stale(cx_server, ci, orchestration):
    versions = {
        model: dict(model.objects.values_list("pk", "version"))
        for model in (Stage, StageObjective, Step, StepTask, StepObjectiveAssociation)
    }
    before = export(orchestration)
    publish(orchestration)

    remote = {s["OrchestrationStageNumber"]: s for s in cx_server.store.stage_documents(orchestration.number)}
    for stage in Stage.objects.filter(orchestration=orchestration):
        item = remote[stage.number]
        assert stage.remote_id == item["OrchestrationStageId"]
        assert stage.remote_change_indicator
        steps = {s["OrchestrationStepNumber"]: s["OrchestrationStepId"] for s in item["Steps"]}
        assert {s.number: s.remote_id for s in stage.steps.all()} == steps
        tasks = {t["StepTasksNumber"]: t["StepTasksId"] for t in item["StepTasks"]}
        assert {t.number: t.remote_id for t in StepTask.objects.filter(step__stage=stage)} == tasks
    assert StageObjective.objects.filter(remote_id=None).count() == 0
    assert StepObjectiveAssociation.objects.filter(remote_id=None).count() == 0
    orchestration.refresh_from_db()
    assert orchestration.remote_id == cx_server.store.get_orchestration(orchestration.number).remote_id
    for model, by_pk in versions.items():
        assert dict(model.objects.values_list("pk", "version")) == by_pk, model
    assert export(orchestration) == before
    published = PublishedStage.objects.filter(orchestration=orchestration, connection_name="ci")
    assert {p.stage_number: p.remote_id for p in published} == {n: s["OrchestrationStageId"] for n, s in remote.items()}


def test_an_unchanged_republish_sends_no_writes(cx_server, ci, orchestration):
    publish(orchestration)
    writes = len(cx_server.writes)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE
    assert len(cx_server.writes) == writes
    assert [(s.action, s.status) for s in run.stages.all()] == [("unchanged", "skipped")] * 3
    assert run.message == "Nothing to send: all 3 stage(s) are unchanged."
    # the header exists now: one GET, and the describe came from the cache
    assert [r.path for r in cx_server.requests[-1:]] == [f"/orchestrations/{orchestration.number}"]


def test_one_changed_step_sends_exactly_one_post(cx_server, ci, orchestration):
    publish(orchestration)
    step = Step.objects.get(stage__orchestration=orchestration, stage__display_sequence=2, display_sequence=1)
    step.name = "Discovery call"
    step.save()
    writes = len(cx_server.writes)
    run = publish(orchestration)
    new_writes = cx_server.writes[writes:]
    assert [(r.method, r.json["OrchestrationStageNumber"]) for r in new_writes] == [("POST", step.stage.number)]
    assert [s.action for s in run.stages.all()] == ["unchanged", "update", "unchanged"]
    remote_steps = cx_server.store.stage_documents(orchestration.number)[1]["Steps"]
    assert remote_steps[0]["OrchestrationStepName"] == "Discovery call"


def test_a_deleted_stage_sends_one_delete(cx_server, ci, orchestration):
    publish(orchestration)
    last = Stage.objects.get(orchestration=orchestration, display_sequence=3)
    Step.objects.filter(stage__orchestration=orchestration, stage__display_sequence=2, step_type="NEXT_STAGE").update(
        step_type="STOP", next_stage_value="", name="Done"
    )
    last.delete()
    writes = len(cx_server.writes)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    deletes = [r for r in cx_server.writes[writes:] if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/orchestrations/{orchestration.number}/child/Stages/{last.number}"]
    assert [(s.action, s.status) for s in run.stages.all()] == [
        ("unchanged", "skipped"),
        ("update", "done"),
        ("delete", "done"),
    ]
    assert last.number not in cx_server.store.stage_numbers(orchestration.number)
    assert not PublishedStage.objects.filter(stage_number=last.number).exists()
    # deleted once: the next publish has nothing to do
    assert {s.action for s in publish(orchestration).stages.all()} == {"unchanged"}


def test_a_remote_reset_republishes_everything(cx_server, ci, orchestration):
    publish(orchestration)
    cx_server.store.reset()
    run = publish(orchestration)
    assert run.header_action == "create"
    assert [s.action for s in run.stages.all()] == ["create"] * 3
    assert len(cx_server.store.stage_numbers(orchestration.number)) == 3


def test_every_exchange_is_journaled(cx_server, ci, orchestration):
    run = publish(orchestration)
    entries = list(JournalEntry.objects.filter(run=run))
    assert len(entries) == len(cx_server.requests) == 6
    post = entries[3]
    assert (post.method, post.status_code, post.attempt) == ("POST", 201, 1)
    assert post.stage_number == Stage.objects.get(orchestration=orchestration, display_sequence=1).number
    assert json.loads(post.request_body)["OrchestrationStageNumber"] == post.stage_number
    assert post.request_headers["Authorization"] == "«redacted»"
    assert post.request_headers["Upsert-Mode"] == "true"
    assert json.loads(post.response_body)["OrchestrationStageId"]
    assert entries[0].status_code == 404 and entries[0].stage_number == ""


def test_the_built_in_sandbox_is_the_default_connection(orchestration):
    run = publish(orchestration, connection="default")
    assert run.status == PublishRunStatus.DONE, run.message
    assert run.connection_info["base_url"] == "sandbox://builtin"
    numbers = set(
        SandboxStage.objects.filter(orchestration__number=orchestration.number).values_list("number", flat=True)
    )
    assert numbers == set(Stage.objects.filter(orchestration=orchestration).values_list("number", flat=True))
    assert {s.action for s in publish(orchestration, connection="default").stages.all()} == {"unchanged"}


def test_the_same_draft_is_planned_separately_per_connection(cx_server, ci, orchestration):
    publish(orchestration)
    run = publish(orchestration, connection="default")
    assert [s.action for s in run.stages.all()] == ["create"] * 3
    assert Orchestration.objects.get(pk=orchestration.pk).remote_id is not None
