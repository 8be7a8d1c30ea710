"""Services that write the draft tree: services.drafts and services.ordering."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestrator import selectors
from orchestrator.models import (
    AssignedTo,
    Orchestration,
    OrchestrationStatus,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from orchestrator.services import bulk, drafts
from orchestrator.services.drafts import DraftConflict, OrchestrationArchived, StaleEdit
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def _names(qs):
    return [o.name for o in qs.order_by("display_sequence")]


def _sequences(qs):
    return list(qs.order_by("display_sequence").values_list("display_sequence", flat=True))


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


@pytest.fixture
def stage(orch):
    return orch.stages.get(display_sequence=1)


# ---------------------------------------------------------------- create / update


def test_create_appends_issues_a_number_and_records_who(orch, stage, designer):
    step = drafts.step_create(stage=stage, user=designer, values={"name": "Email", "step_type": StepType.WAIT})
    assert step.display_sequence == 4
    assert step.number.startswith("ORCH-STP-")
    orch.refresh_from_db()
    assert orch.updated_by == designer


def test_create_runs_full_clean(stage, designer):
    with pytest.raises(ValidationError) as exc:
        drafts.objective_create(stage=stage, user=designer, values={"name": "x" * 101})
    assert "name" in exc.value.message_dict
    assert stage.objectives.count() == 2


def test_update_bumps_the_version(stage, designer):
    updated = drafts.stage_update(stage=stage, user=designer, expected_version=1, values={"name": "Qualify"})
    assert (updated.name, updated.version) == ("Qualify", 2)
    assert Stage.objects.get(pk=stage.pk).version == 2


def test_update_over_a_newer_version_raises_stale_edit_with_the_current_object(stage, designer):
    drafts.stage_update(stage=stage, user=designer, expected_version=1, values={"name": "Theirs"})
    with pytest.raises(StaleEdit) as exc:
        drafts.stage_update(stage=stage, user=designer, expected_version=1, values={"name": "Mine"})
    assert exc.value.current.name == "Theirs"
    assert Stage.objects.get(pk=stage.pk).name == "Theirs"


def test_update_of_a_deleted_object_is_a_conflict(stage, designer):
    Stage.objects.filter(pk=stage.pk).delete()
    with pytest.raises(DraftConflict, match="deleted by someone else"):
        drafts.stage_update(stage=stage, user=designer, expected_version=1, values={"name": "x"})


def test_unknown_fields_are_refused(stage, designer):
    with pytest.raises(TypeError):
        drafts.stage_update(stage=stage, user=designer, expected_version=1, values={"number": "X"})


def test_archived_orchestrations_refuse_every_change(orch, stage, designer):
    Orchestration.objects.filter(pk=orch.pk).update(status=OrchestrationStatus.ARCHIVED)
    with pytest.raises(OrchestrationArchived):
        drafts.objective_create(stage=stage, user=designer, values={"name": "New"})
    with pytest.raises(OrchestrationArchived):
        drafts.stage_reorder(orchestration=orch, user=designer, ordered_numbers=[])
    assert stage.objectives.count() == 2


# ---------------------------------------------------------------- steps


def test_changing_the_step_type_clears_settings_the_new_type_does_not_use(stage, designer):
    call = stage.steps.get(step_type=StepType.TASK)
    assert call.grace_period == 48
    step = drafts.step_update(
        step=call, user=designer, expected_version=call.version, values={"step_type": StepType.WAIT, "days_to_wait": 2}
    )
    step.refresh_from_db()
    assert (step.step_type, step.days_to_wait, step.grace_period, step.activity_template_id) == ("WAIT", 2, None, None)


def test_create_clears_settings_the_type_does_not_use(stage, designer):
    step = drafts.step_create(
        stage=stage, user=designer, values={"name": "Go", "step_type": StepType.STOP, "grace_period": 5}
    )
    assert step.grace_period is None


def test_links_must_stay_in_the_stage(orch, stage, designer):
    other = orch.stages.get(display_sequence=2).steps.first()
    call = stage.steps.first()
    with pytest.raises(ValidationError) as exc:
        drafts.step_update(step=call, user=designer, expected_version=1, values={"success_step": other})
    assert "success_step" in exc.value.message_dict
    with pytest.raises(ValidationError):
        drafts.step_update(step=call, user=designer, expected_version=1, values={"failure_step": call})


def test_step_tasks_only_on_task_steps(stage, designer):
    meeting = stage.steps.get(step_type=StepType.APPOINTMENT)
    with pytest.raises(ValidationError, match="Only Task steps"):
        drafts.step_task_create(step=meeting, user=designer, values={"activity_template_id": 1, "activity_id": 2})
    call = stage.steps.get(step_type=StepType.TASK)
    task = drafts.step_task_create(step=call, user=designer, values={"activity_template_id": 1, "activity_id": 2})
    assert task.display_sequence == 3


def test_set_objectives_adds_and_removes_associations_and_bumps_the_step(stage, designer):
    call = stage.steps.get(step_type=StepType.TASK)
    first, second = stage.objectives.order_by("display_sequence")
    step = drafts.step_set_objectives(step=call, user=designer, objective_ids=[second.pk])
    assert list(call.associations.values_list("objective_id", flat=True)) == [second.pk]
    assert step.version == 2
    drafts.step_set_objectives(step=call, user=designer, objective_ids=[first.pk, second.pk])
    assert call.associations.count() == 2


def test_set_objectives_refuses_objectives_of_another_stage(orch, stage, designer):
    foreign = orch.stages.get(display_sequence=2).objectives.first()
    with pytest.raises(ValidationError):
        drafts.step_set_objectives(step=stage.steps.first(), user=designer, objective_ids=[foreign.pk])


# ---------------------------------------------------------------- ordering


def test_move_renumbers_siblings_without_gaps(stage, designer):
    advance = stage.steps.get(display_sequence=3)
    drafts.step_move(step=advance, user=designer, position=1)
    assert _names(stage.steps) == ["Advance 1", "Call 1", "Meeting 1"]
    assert _sequences(stage.steps) == [1, 2, 3]
    assert Step.objects.get(pk=advance.pk).version == 2


def test_move_clamps_the_position(stage, designer):
    call = stage.steps.get(display_sequence=1)
    drafts.step_move(step=call, user=designer, position=99)
    assert _names(stage.steps) == ["Meeting 1", "Advance 1", "Call 1"]


@pytest.mark.parametrize(
    ("service", "parent_key", "model", "parent_of"),
    [
        (drafts.stage_reorder, "orchestration", Stage, lambda o: o),
        (drafts.objective_reorder, "stage", StageObjective, lambda o: o.stages.first()),
        (drafts.step_reorder, "stage", Step, lambda o: o.stages.first()),
        (drafts.step_task_reorder, "step", StepTask, lambda o: o.stages.first().steps.first()),
    ],
)
def test_reorder_at_every_level(orch, designer, service, parent_key, model, parent_of):
    parent = parent_of(orch)
    rows = list(model.objects.filter(**{parent_key: parent}).order_by("display_sequence"))
    numbers = [r.number for r in reversed(rows)]
    service(**{parent_key: parent}, user=designer, ordered_numbers=numbers)
    assert (
        list(model.objects.filter(**{parent_key: parent}).order_by("display_sequence").values_list("number", flat=True))
        == numbers
    )


def test_reorder_with_a_changed_list_is_a_conflict(stage, designer):
    numbers = list(stage.steps.order_by("display_sequence").values_list("number", flat=True))
    with pytest.raises(DraftConflict, match="changed since"):
        drafts.step_reorder(stage=stage, user=designer, ordered_numbers=numbers[:-1])
    with pytest.raises(DraftConflict):
        drafts.step_reorder(stage=stage, user=designer, ordered_numbers=[*numbers[:-1], numbers[0]])


def test_reorder_costs_the_same_queries_for_few_and_many_siblings(designer):
    small = build_orchestration(stages=3)
    large = build_orchestration(stages=60)

    def count(o):
        numbers = list(o.stages.order_by("-display_sequence").values_list("number", flat=True))
        with CaptureQueriesContext(connection) as ctx:
            drafts.stage_reorder(orchestration=o, user=designer, ordered_numbers=numbers)
        return len(ctx.captured_queries)

    assert count(small) == count(large)


def test_delete_closes_the_gap_and_summarises_the_cascade(orch, designer):
    first = orch.stages.get(display_sequence=1)
    summary = drafts.stage_delete(stage=first, user=designer)
    assert summary.kind == "stage" and summary.name == "Stage 1"
    assert summary.consequences == [
        "2 objectives: “Objective 1.1”, “Objective 1.2”",
        "3 steps: “Call 1”, “Meeting 1”, “Advance 1”",
        "2 step tasks",
        "2 “serves” links",
    ]
    assert _sequences(orch.stages) == [1, 2]
    assert not StepTask.objects.filter(step__stage_id=first.pk).exists()


def test_deletion_summary_of_a_step_names_links_and_served_objectives(stage, designer):
    call, meeting, _ = stage.steps.order_by("display_sequence")
    drafts.step_update(step=meeting, user=designer, expected_version=1, values={"success_step": call})
    summary = drafts.deletion_summary(call)
    assert summary.consequences == [
        "2 step tasks",
        "1 “serves” link: stops serving “Objective 1.1”",
        "links from “Meeting 1” are cleared",
    ]
    drafts.step_delete(step=call, user=designer)
    assert Step.objects.get(pk=meeting.pk).success_step is None


# ---------------------------------------------------------------- bulk


def test_steps_bulk_update_skips_steps_whose_type_does_not_use_the_setting(stage, designer):
    ids = list(stage.steps.values_list("pk", flat=True))
    result = bulk.steps_bulk_update(step_ids=ids, user=designer, values={"grace_period": 12})
    assert sorted(s.name for s in result.updated) == ["Call 1", "Meeting 1"]
    assert [s.name for s in result.skipped] == ["Advance 1"]
    assert list(stage.steps.order_by("display_sequence").values_list("grace_period", flat=True)) == [12, 12, None]
    result = bulk.steps_bulk_update(step_ids=ids, user=designer, values={"allow_skip": True})
    assert len(result.updated) == 3


def test_bulk_update_validates_values(stage, designer):
    ids = list(StepTask.objects.filter(step__stage=stage).values_list("pk", flat=True))
    with pytest.raises(ValidationError):
        bulk.step_tasks_bulk_update(step_task_ids=ids, user=designer, values={"assigned_to": "NOBODY"})
    bulk.step_tasks_bulk_update(step_task_ids=ids, user=designer, values={"assigned_to": AssignedTo.TEAM_MEMBER})
    assert set(StepTask.objects.filter(pk__in=ids).values_list("assigned_to", "version")) == {("TEAM_MEMBER", 2)}


def test_bulk_update_refuses_mixed_orchestrations(designer):
    a, b = build_orchestration(stages=1), build_orchestration(stages=1)
    ids = [a.stages.first().steps.first().pk, b.stages.first().steps.first().pk]
    with pytest.raises(DraftConflict):
        bulk.steps_bulk_update(step_ids=ids, user=designer, values={"allow_skip": True})


def test_building_a_valid_tree_through_the_services(designer):
    orch = Orchestration.objects.create(number="ORCH-SVC", name="Built")
    stages = [
        drafts.stage_create(orchestration=orch, user=designer, values={"name": n, "lifecycle_attr_value": n})
        for n in ("Qualify", "Close")
    ]
    for stage, last in zip(stages, (False, True), strict=True):
        objective = drafts.objective_create(stage=stage, user=designer, values={"name": "Know budget"})
        call = drafts.step_create(stage=stage, user=designer, values={"name": "Call", "step_type": StepType.TASK})
        drafts.step_task_create(step=call, user=designer, values={"activity_template_id": 1, "activity_id": 2})
        drafts.step_set_objectives(step=call, user=designer, objective_ids=[objective.pk])
        values = (
            {"name": "End", "step_type": StepType.STOP}
            if last
            else {"name": "Next", "step_type": StepType.NEXT_STAGE, "next_stage_value": "Close"}
        )
        drafts.step_create(stage=stage, user=designer, values=values)
    assert validate_orchestration(selectors.orchestration_tree("ORCH-SVC")) == []
    assert StepObjectiveAssociation.objects.filter(step__stage__orchestration=orch).count() == 2
