"""Undoing a deletion (journey 3): the snapshot taken by the delete services and `draft_restore`."""

import pytest
from django.test import Client
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import Stage, StageObjective, Step, StepObjectiveAssociation, StepTask
from orchestrator.services import drafts
from orchestrator.services.documents import orchestration_document
from orchestrator.services.drafts import DraftConflict
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def document(orch):
    return orchestration_document(selectors.orchestration_tree(orch.number))


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


def test_a_deleted_stage_comes_back_whole_at_its_place_under_its_numbers(orch, designer):
    before = document(orch)
    middle = orch.stages.get(display_sequence=2)
    summary = drafts.stage_delete(stage=middle, user=designer)
    assert orch.stages.count() == 2
    restored = drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    assert restored.number == middle.number and restored.display_sequence == 2
    assert document(orch) == before  # same numbers, same order, same children, same links


def test_a_deleted_step_gets_back_its_tasks_associations_and_the_links_to_it(orch, designer):
    stage = orch.stages.get(display_sequence=1)
    call, meeting, advance = stage.steps.order_by("display_sequence")
    drafts.step_update(step=meeting, user=designer, expected_version=1, values={"failure_step": call})
    drafts.step_update(step=call, user=designer, expected_version=1, values={"success_step": advance})
    before = document(orch)
    summary = drafts.step_delete(step=Step.objects.get(pk=call.pk), user=designer)
    assert Step.objects.get(pk=meeting.pk).failure_step is None
    drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    assert document(orch) == before
    assert Step.objects.get(pk=meeting.pk).failure_step_id == call.pk


def test_a_link_set_since_the_deletion_is_not_overwritten(orch, designer):
    stage = orch.stages.get(display_sequence=1)
    call, meeting, advance = stage.steps.order_by("display_sequence")
    drafts.step_update(step=meeting, user=designer, expected_version=1, values={"success_step": call})
    summary = drafts.step_delete(step=Step.objects.get(pk=call.pk), user=designer)
    Step.objects.filter(pk=meeting.pk).update(success_step=advance)
    drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    assert Step.objects.get(pk=meeting.pk).success_step_id == advance.pk


def test_associations_with_steps_deleted_since_stay_out(orch, designer):
    stage = orch.stages.get(display_sequence=1)
    objective = stage.objectives.get(display_sequence=1)
    summary = drafts.objective_delete(objective=objective, user=designer)
    served_by = Step.objects.get(stage=stage, name="Call 1")
    drafts.step_delete(step=served_by, user=designer)
    restored = drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    assert restored.display_sequence == 1
    assert not StepObjectiveAssociation.objects.filter(objective=restored).exists()


def test_undo_twice_or_after_the_parent_went_is_a_conflict(orch, designer):
    step = Step.objects.get(stage__orchestration=orch, name="Call 1")
    task = step.tasks.first()
    summary = drafts.step_task_delete(step_task=task, user=designer)
    drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    with pytest.raises(DraftConflict, match="undone already"):
        drafts.draft_restore(snapshot=summary.snapshot, user=designer)
    summary = drafts.step_task_delete(step_task=StepTask.objects.get(pk=task.pk), user=designer)
    drafts.step_delete(step=step, user=designer)
    with pytest.raises(DraftConflict, match="the step it belonged to was deleted too"):
        drafts.draft_restore(snapshot=summary.snapshot, user=designer)


def test_a_snapshot_of_another_format_is_refused(designer):
    with pytest.raises(DraftConflict, match="nothing to undo"):
        drafts.draft_restore(snapshot={"format": 99}, user=designer)


# ---------------------------------------------------------------- the endpoint


def _delete_stage(client, orch, n=2):
    stage = orch.stages.get(display_sequence=n)
    response = client.post(reverse("stage_delete", args=[orch.number, stage.number]), **HTMX)
    assert response.status_code == 200
    return stage, response


def test_delete_offers_undo_and_undo_puts_the_stage_back(designer_client, orch):
    stage, response = _delete_stage(designer_client, orch)
    assert reverse("designer_undo", args=[orch.number]) in response.content.decode()
    response = designer_client.post(reverse("designer_undo", args=[orch.number]), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    third = orch.stages.get(display_sequence=3)
    assert f'<div hx-swap-oob="beforebegin:#stage-{third.number}"><li id="stage-{stage.number}"' in body.replace(
        "\n", ""
    )
    assert "Restored stage “Stage 2”." in body
    assert f"#stage-{stage.number}-edit" in response["HX-Trigger-After-Settle"]
    assert StageObjective.objects.filter(stage__number=stage.number).count() == 2
    # Only once.
    again = designer_client.post(reverse("designer_undo", args=[orch.number]), **HTMX)
    assert again.status_code == 409 and "There is nothing to undo here." in again.content.decode()


def test_undo_of_the_last_item_appends_it_to_its_list(designer_client, orch):
    stage, _ = _delete_stage(designer_client, orch, n=3)
    body = designer_client.post(reverse("designer_undo", args=[orch.number]), **HTMX).content.decode()
    assert '<div hx-swap-oob="beforeend:#stages">' in body
    assert Stage.objects.get(number=stage.number).display_sequence == 3


def test_undo_belongs_to_the_orchestration_it_was_deleted_from(designer_client, orch):
    other = build_orchestration(stages=1)
    _delete_stage(designer_client, orch)
    response = designer_client.post(reverse("designer_undo", args=[other.number]), **HTMX)
    assert response.status_code == 409


def test_undo_refuses_anonymous_viewers_and_missing_csrf(viewer_client, designer, orch):
    url = reverse("designer_undo", args=[orch.number])
    assert Client().post(url, **HTMX).status_code == 302
    assert viewer_client.post(url, **HTMX).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(designer)
    assert strict.post(url, **HTMX).status_code == 403
