"""How a stage is brought to the draft when the pod answers in ways no source promises (strict fake)."""

import pytest

from orchestrator.models import PublishReason, PublishRunStatus, Step, StepType
from tests.factories import build_orchestration
from tests.fakes.cx_server import FakeCxServer

from .conftest import draft_view, publish, use_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(monkeypatch):
    server = FakeCxServer(profile="strict").start()
    use_server(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


def linked(orch):
    call = Step.objects.get(stage__orchestration=orch, step_type=StepType.TASK)
    call.success_step = Step.objects.get(stage__orchestration=orch, step_type=StepType.APPOINTMENT)
    call.save()
    return call


def test_a_create_that_was_answered_but_not_stored_is_written_again(strict):
    orch = build_orchestration(stages=1)
    linked(orch)
    strict.fail("POST", r"/child/Stages$", status=201, body={})  # "created", not a word more, and nothing stored
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert strict.contract_view(orch.number) == draft_view(orch.number)
    stage = run.stages.get()
    assert "not on the pod after the upsert" in stage.remote_message


def test_ids_the_reply_leaves_out_are_read_before_linking(strict):
    orch = build_orchestration(stages=1)
    linked(orch)
    publish(orch)
    count = len(strict.requests)
    # a new step that another links to: its id is needed for the PATCH
    # (before the Stop step, so that it can run)
    stage = orch.stages.get()
    stage.steps.filter(step_type=StepType.STOP).update(display_sequence=4)
    new = Step.objects.create(
        stage=stage, display_sequence=3, name="Follow-up", step_type=StepType.WAIT, days_to_wait=1
    )
    meeting = Step.objects.get(stage=stage, step_type=StepType.APPOINTMENT)
    meeting.success_step = new
    meeting.save()
    original = strict.emulator.handle

    def stage_reply_without_children(method, path, query, headers, body):
        status, reply_headers, content = original(method, path, query, headers, body)
        if method == "POST" and path.endswith("/child/Stages"):
            import json

            item = json.loads(content)
            item.pop("Steps", None)
            content = json.dumps(item).encode()
        return status, reply_headers, content

    strict.emulator.handle = stage_reply_without_children
    run = publish(orch)
    strict.emulator.handle = original
    assert run.status == PublishRunStatus.DONE, run.message
    assert strict.contract_view(orch.number) == draft_view(orch.number)
    notes = list(run.journal.values_list("note", flat=True))
    assert any("read the ids the pod gave" in note for note in notes)
    assert len(strict.requests) > count


def test_a_pod_that_keeps_what_we_clear_ends_in_a_clear_difference(strict):
    orch = build_orchestration(stages=1)
    call = linked(orch)
    publish(orch)
    call.success_step = None
    call.save()
    strict.fail("PATCH", r"/child/Steps/", status=200, body={}, times=10)  # says yes, changes nothing
    run = publish(orch)
    assert (run.status, run.reason) == (PublishRunStatus.PARTIAL, PublishReason.REMOTE)
    [stage] = run.stages.all()
    assert stage.status == "failed"
    assert "still differs from the draft" in stage.remote_message
    assert f"Steps {call.number} differs in SuccessStepNumber" in stage.remote_message
    assert "Resume tries again" in run.message
