"""Publishing to both readings of a pod: the remote holds exactly the draft after every edit sequence.

Every test runs against the real HTTP fake in the `documented` profile (the
contract as written) and in the `strict` one (the pessimistic reading of
Oracle's pod: LifecycleAttributeValue, links by id, step tasks and
associations under their steps, upserts that keep unlisted children, no
association update, maxLength strings, base64 LOBs, v4 errors, empty 500s).
"What the pod holds" is the fake's own `contract_view`, rendered by the
emulator's tables, never by our client code.
"""

import pytest

from orchestrator.models import (
    PublishRunStatus,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from orchestrator.services.publishing import publish_exit_code
from orchestrator.services.pulling import orchestration_pull
from tests.factories import build_orchestration
from tests.fakes.cx_server import FakeCxServer

from .conftest import draft_view, export, publish, use_server

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["documented", "strict"])
def pod(request, monkeypatch):
    server = FakeCxServer(profile=request.param).start()
    use_server(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


def assert_pod_holds_the_draft(server, orch):
    assert server.contract_view(orch.number) == draft_view(orch.number)


def writes_since(server, count):
    return server.writes[count:]


def no_association_patch(server):
    return not [r for r in server.requests if r.method == "PATCH" and "StepObjectivesAssociations" in r.path]


def test_first_publish_then_an_unchanged_one_writes_nothing(pod):
    orch = build_orchestration(stages=3)
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert_pod_holds_the_draft(pod, orch)
    strategy = {"documented": "nested", "strict": "stepwise"}[pod.profile.name]
    assert {row.strategy for row in run.stages.all()} == {strategy}
    assert run.compatibility["strategy"] == strategy

    count = len(pod.writes)
    again = publish(orch)
    assert again.status == PublishRunStatus.DONE and writes_since(pod, count) == []
    assert all(step.remote_id for step in Step.objects.filter(stage__orchestration=orch))
    assert all(a.remote_id for a in StepObjectiveAssociation.objects.filter(step__stage__orchestration=orch))


def test_removing_and_relinking_leaves_exactly_the_draft(pod):
    orch = build_orchestration(stages=3)
    Stage.objects.filter(orchestration=orch, display_sequence=1).update(description="To be cleared")
    assert publish(orch).status == PublishRunStatus.DONE
    first, second, third = Stage.objects.filter(orchestration=orch).order_by("display_sequence")

    Step.objects.get(stage=first, step_type=StepType.APPOINTMENT).delete()  # with its association
    StepObjectiveAssociation.objects.create(  # its objective is now served by the call
        step=Step.objects.get(stage=first, step_type=StepType.TASK),
        objective=StageObjective.objects.get(stage=first, display_sequence=2),
    )
    StepTask.objects.filter(step__stage=first, display_sequence=2).delete()
    Stage.objects.filter(pk=first.pk).update(description="")
    StageObjective.objects.get(stage=second, display_sequence=2).delete()  # with the association naming it
    call = Step.objects.get(stage=second, step_type=StepType.TASK)
    StepObjectiveAssociation.objects.filter(step=call).delete()
    meeting = Step.objects.get(stage=second, step_type=StepType.APPOINTMENT)
    StepObjectiveAssociation.objects.create(step=meeting, objective=StageObjective.objects.get(stage=second))
    call3 = Step.objects.get(stage=third, step_type=StepType.TASK)
    call3.success_step = Step.objects.get(stage=third, step_type=StepType.APPOINTMENT)
    call3.failure_step = Step.objects.get(stage=third, step_type=StepType.STOP)
    call3.success_criteria = '{"activityStatus": "COMPLETE"}'
    call3.save()

    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, (run.message, run.validation_report)
    assert_pod_holds_the_draft(pod, orch)
    assert no_association_patch(pod)

    # and back: links removed, a step removed that another stage's steps never pointed at
    call3.success_step = call3.failure_step = None
    call3.success_criteria = ""
    call3.save()
    StepObjectiveAssociation.objects.create(
        step=call3, objective=StageObjective.objects.get(stage=third, display_sequence=2)
    )
    Step.objects.filter(stage=third, step_type=StepType.APPOINTMENT).delete()
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert_pod_holds_the_draft(pod, orch)
    assert no_association_patch(pod)
    count = len(pod.writes)
    assert publish(orch).status == PublishRunStatus.DONE and writes_since(pod, count) == []


def test_a_removed_stage_is_deleted(pod):
    orch = build_orchestration(stages=3)
    publish(orch)
    last = Stage.objects.get(orchestration=orch, display_sequence=3)
    Step.objects.filter(stage__orchestration=orch, stage__display_sequence=2, step_type=StepType.NEXT_STAGE).update(
        step_type=StepType.STOP, next_stage_value="", name="Done"
    )
    last.delete()
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert_pod_holds_the_draft(pod, orch)


def test_a_lost_reply_and_an_outage_then_resume_never_duplicate(pod, sleeps):
    orch = build_orchestration(stages=3)
    pod.drop("POST", r"/child/Stages$", when="after")  # stage 1 stored, its reply lost
    pod.fail("POST", r"/child/Stages$", status=503, times=10)  # then an outage on every later stage write
    run = publish(orch)
    assert run.status == PublishRunStatus.PARTIAL, run.message
    assert publish_exit_code(run) == 4
    pod.clear_faults()
    resumed = publish(orch, resume_run=run)
    assert resumed.status == PublishRunStatus.DONE, resumed.message
    assert_pod_holds_the_draft(pod, orch)
    assert len(pod.store.stage_numbers(orch.number)) == 3


def test_a_lost_association_reply_is_looked_at_not_repeated(pod):
    orch = build_orchestration(stages=1)
    publish(orch)
    meeting = Step.objects.get(stage__orchestration=orch, step_type=StepType.APPOINTMENT)
    StepObjectiveAssociation.objects.create(step=meeting, objective=StageObjective.objects.get(display_sequence=1))
    pod.drop("POST", r"StepObjectivesAssociations$", when="after")
    count = len(pod.writes)
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert_pod_holds_the_draft(pod, orch)
    creates = [r for r in writes_since(pod, count) if r.path.endswith("StepObjectivesAssociations")]
    assert len(creates) == 1  # after the lost reply the stage was read again, not the association re-sent


def test_pull_then_publish_sends_nothing_and_the_draft_is_the_pods(pod):
    orch = build_orchestration(stages=2)
    publish(orch)
    before = export(orch)
    orch.delete()
    result = orchestration_pull(number=orch.number, connection_name="ci")
    assert export(result.orchestration) == before
    assert result.unchanged_stages == 2
    count = len(pod.writes)
    assert publish(result.orchestration).status == PublishRunStatus.DONE
    assert writes_since(pod, count) == []
