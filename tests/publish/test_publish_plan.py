"""The plan: create / update / unchanged / delete per stage, from what the connection last accepted."""

import pytest
from django.utils import timezone

from orchestrator.models import PublishedStage, Stage, Step
from orchestrator.selectors import orchestration_tree
from orchestrator.services.payload import build_stage_payloads
from orchestrator.services.publish_plan import plan_stages, publish_plan

pytestmark = pytest.mark.django_db


def _record(orch, connection="default", *, remote_orchestration_id=None):
    """Record every stage as published with its current hash."""
    for payload in build_stage_payloads(orchestration_tree(orch.number)):
        PublishedStage.objects.create(
            orchestration=orch,
            connection_name=connection,
            stage_number=payload.stage_number,
            stage_name=payload.stage_name,
            document_hash=payload.document_hash,
            remote_orchestration_id=remote_orchestration_id,
            published_at=timezone.now(),
        )


def test_never_published_plans_a_create_per_stage(orchestration):
    plan = publish_plan(orchestration, "default")
    assert not plan.refused
    assert [line.action for line in plan.stages] == ["create", "create", "create"]
    assert plan.summary() == "3 to create, 0 to update, 0 to delete, 0 unchanged"
    method, path = plan.stages[0].request(orchestration.number)
    assert (method, path) == ("POST", f"/orchestrations/{orchestration.number}/child/Stages")


def test_published_and_unchanged_sends_nothing(orchestration):
    _record(orchestration)
    plan = publish_plan(orchestration, "default")
    assert [line.action for line in plan.stages] == ["unchanged"] * 3
    assert plan.writes == []
    assert plan.stages[0].request(orchestration.number) == ("", "")


def test_hashes_are_per_connection(orchestration):
    _record(orchestration, "dev")
    assert [line.action for line in publish_plan(orchestration, "prod").stages] == ["create"] * 3
    assert [line.action for line in publish_plan(orchestration, "dev").stages] == ["unchanged"] * 3


def test_one_changed_step_updates_its_stage_only(orchestration):
    _record(orchestration)
    step = Step.objects.filter(stage__orchestration=orchestration, stage__display_sequence=2).first()
    step.suggestion_text = "Ask about budget"
    step.save()
    plan = publish_plan(orchestration, "default")
    assert [line.action for line in plan.stages] == ["unchanged", "update", "unchanged"]


def test_a_removed_stage_is_deleted_after_the_upserts(orchestration):
    _record(orchestration)
    last = Stage.objects.get(orchestration=orchestration, display_sequence=3)
    number, name = last.number, last.name
    last.delete()
    # stage 2 now ends the orchestration: give it a STOP instead of its NEXT_STAGE step.
    Step.objects.filter(stage__orchestration=orchestration, stage__display_sequence=2, step_type="NEXT_STAGE").update(
        step_type="STOP", next_stage_value="", name="Done"
    )
    plan = publish_plan(orchestration, "default")
    assert [(line.action, line.stage_number) for line in plan.stages][-1] == ("delete", number)
    assert [line.action for line in plan.stages] == ["unchanged", "update", "delete"]
    delete = plan.stages[-1]
    assert delete.stage_name == name
    assert delete.request(orchestration.number) == (
        "DELETE",
        f"/orchestrations/{orchestration.number}/child/Stages/{number}",
    )


def test_records_of_another_remote_orchestration_do_not_count(orchestration):
    _record(orchestration, remote_orchestration_id=111)
    payloads = build_stage_payloads(orchestration_tree(orchestration.number))
    published = list(PublishedStage.objects.filter(orchestration=orchestration))
    assert {line.action for line in plan_stages(payloads, published, remote_orchestration_id=111)} == {"unchanged"}
    assert {line.action for line in plan_stages(payloads, published, remote_orchestration_id=222)} == {"create"}


def test_a_draft_with_problems_is_refused_with_the_problems(orchestration):
    Stage.objects.filter(orchestration=orchestration, display_sequence=1).update(name="  ")
    plan = publish_plan(orchestration, "default")
    assert plan.refused
    assert plan.stages == []
    assert [p.code for p in plan.problems] == ["stage.name_required"]


def test_path_segments_are_percent_encoded(orchestration):
    line = publish_plan(orchestration, "default").stages[0]
    odd = type(line)(stage_number="A/B ?", stage_name="x", action="delete")
    assert odd.request("ORCH 1")[1] == "/orchestrations/ORCH%201/child/Stages/A%2FB%20%3F"
