"""Model-level guarantees: constraints, cascades, public numbers, field lengths."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from orchestrator.models import (
    IssuedNumber,
    ObjectiveStatus,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
    issue_number,
    register_numbers,
)
from orchestrator.models.numbers import PREFIXES
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def first(model, **filters):
    return model.objects.filter(**filters).order_by("pk").first()


# -- unique order per parent ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "parent_field", "parent_model"),
    [
        (Stage, "orchestration", Orchestration),
        (StageObjective, "stage", Stage),
        (Step, "stage", Stage),
        (StepTask, "step", Step),
    ],
)
def test_display_sequence_is_unique_per_parent(orch, model, parent_field, parent_model):
    existing = first(model)
    clone_fields = {
        f.name: getattr(existing, f.name)
        for f in model._meta.concrete_fields
        if f.name not in ("id", "number", "version", "remote_id", "remote_change_indicator")
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**clone_fields)
    # The same sequence under another (fresh) parent is fine.
    fresh_parent = {
        Orchestration: lambda: Orchestration.objects.create(name="Other"),
        Stage: lambda: Stage.objects.create(
            orchestration=orch, display_sequence=50, name="S", lifecycle_attr_value="S"
        ),
        Step: lambda: Step.objects.create(stage=existing.step.stage, display_sequence=50, name="T"),
    }[parent_model]()
    model.objects.create(**{**clone_fields, parent_field: fresh_parent})


def test_association_is_unique_per_step_and_objective(orch):
    association = first(StepObjectiveAssociation)
    with pytest.raises(IntegrityError), transaction.atomic():
        StepObjectiveAssociation.objects.create(step=association.step, objective=association.objective)


# -- cascades ---------------------------------------------------------------------------------


def test_deleting_a_stage_removes_everything_below_it(orch):
    stage = orch.stages.get(display_sequence=1)
    other = orch.stages.get(display_sequence=2)

    def counts(stage_id):
        return (
            StageObjective.objects.filter(stage_id=stage_id).count(),
            Step.objects.filter(stage_id=stage_id).count(),
            StepTask.objects.filter(step__stage_id=stage_id).count(),
            StepObjectiveAssociation.objects.filter(step__stage_id=stage_id).count(),
        )

    stage_id = stage.pk
    assert counts(stage_id) == (2, 3, 2, 2)
    before_other = counts(other.pk)
    stage_numbers = {stage.number} | set(stage.steps.values_list("number", flat=True))
    stage.delete()
    assert counts(stage_id) == (0, 0, 0, 0)
    assert not Step.objects.filter(number__in=stage_numbers).exists()
    assert counts(other.pk) == before_other
    assert IssuedNumber.objects.filter(number__in=stage_numbers).count() == len(stage_numbers), "registry keeps them"


def test_deleting_a_linked_step_clears_the_link(orch):
    call, meeting, _ = Step.objects.filter(stage__orchestration=orch, stage__display_sequence=1).order_by(
        "display_sequence"
    )
    call.success_step = call.failure_step = meeting
    call.save()
    meeting.delete()
    call.refresh_from_db()
    assert call.success_step is None and call.failure_step is None


def test_deleting_an_objective_removes_its_associations(orch):
    objective = first(StageObjective, stage__orchestration=orch)
    objective_id = objective.pk
    assert StepObjectiveAssociation.objects.filter(objective_id=objective_id).exists()
    objective.delete()
    assert not StepObjectiveAssociation.objects.filter(objective_id=objective_id).exists()


# -- public numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        (Stage, "stage"),
        (StageObjective, "objective"),
        (Step, "step"),
        (StepTask, "step_task"),
        (StepObjectiveAssociation, "association"),
    ],
)
def test_numbers_are_issued_on_create_with_the_kind_prefix(orch, model, kind):
    numbers = list(model.objects.values_list("number", flat=True))
    assert numbers
    pattern = re.compile(re.escape(PREFIXES[kind]) + r"[0-9A-F]{8}$")  # the one generated format
    assert all(pattern.match(n) for n in numbers), numbers
    assert all(len(n) <= 64 for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert IssuedNumber.objects.filter(number__in=numbers, kind=kind).count() == len(numbers)


def test_orchestration_without_number_gets_one():
    orch = Orchestration.objects.create(name="Fresh")
    assert re.fullmatch(r"ORCH-[0-9A-F]{8}", orch.number)


def test_numbers_never_change_on_save(orch):
    stage = orch.stages.get(display_sequence=1)
    number = stage.number
    stage.name = "Renamed"
    stage.save()
    stage.refresh_from_db()
    assert stage.number == number
    step = first(Step, stage=stage)
    step_number = step.number
    step.step_type = StepType.WAIT
    step.save()
    assert Step.objects.get(pk=step.pk).number == step_number


def test_numbers_are_unique_in_the_database(orch):
    taken = first(Step).number
    stage = orch.stages.get(display_sequence=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(stage=stage, display_sequence=99, name="Copy", number=taken)


def test_numbers_are_never_reused_after_deletion(orch, monkeypatch):
    stage = orch.stages.get(display_sequence=2)
    old = stage.number
    stage.delete()
    draws = iter([old.removeprefix("ORCH-STG-").lower(), "0000beef"])  # token_hex draws lower case
    monkeypatch.setattr("orchestrator.models.numbers.secrets.token_hex", lambda n: next(draws))
    fresh = Stage.objects.create(orchestration=orch, display_sequence=2, name="New", lifecycle_attr_value="x")
    assert fresh.number == "ORCH-STG-0000BEEF"


def test_issue_number_gives_up_loudly_rather_than_reuse(monkeypatch):
    taken = issue_number("step")
    monkeypatch.setattr("orchestrator.models.numbers.secrets.token_hex", lambda n: taken.removeprefix("ORCH-STP-"))
    with pytest.raises(RuntimeError):
        issue_number("step")


def test_register_numbers_is_idempotent():
    register_numbers("stage", ["ORCH-STG-IMPORTED", "ORCH-STG-IMPORTED", "ORCH-STG-OTHER"])
    register_numbers("stage", ["ORCH-STG-IMPORTED"])
    registered = IssuedNumber.objects.filter(number__in=["ORCH-STG-IMPORTED", "ORCH-STG-OTHER"])
    assert sorted(registered.values_list("number", "kind")) == [
        ("ORCH-STG-IMPORTED", "stage"),
        ("ORCH-STG-OTHER", "stage"),
    ]


# -- lengths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (Orchestration, "name", 100),
        (Orchestration, "description", 2000),
        (Orchestration, "lifecycle_attribute_name", 100),
        (Orchestration, "number", 64),
        (Stage, "name", 100),
        (Stage, "description", 2000),
        (Stage, "lifecycle_attr_value", 100),
        (Stage, "number", 64),
        (StageObjective, "name", 100),
        (StageObjective, "description", 2000),
        (Step, "name", 100),
        (Step, "suggestion_text", 1000),
        (Step, "next_stage_value", 100),
        (Step, "number", 64),
        (StepTask, "number", 64),
        (StepObjectiveAssociation, "number", 64),
    ],
)
def test_full_clean_enforces_the_contract_lengths(orch, model, field, limit):
    obj = first(model)
    char = "a" if field == "number" else "ü"  # numbers keep to safe ASCII characters (tests/test_numbers.py)
    setattr(obj, field, char * limit)
    obj.full_clean(validate_unique=False)
    setattr(obj, field, char * (limit + 1))
    with pytest.raises(ValidationError) as caught:
        obj.full_clean(validate_unique=False)
    assert field in caught.value.message_dict


def test_full_clean_refuses_blank_required_names(orch):
    stage = first(Stage)
    stage.name = ""
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "name" in caught.value.message_dict


def test_full_clean_refuses_unknown_choices_and_non_positive_ids(orch):
    step = first(Step)
    step.step_type = "FAX"
    step.activity_template_id = 0
    with pytest.raises(ValidationError) as caught:
        step.full_clean()
    assert {"step_type", "activity_template_id"} <= set(caught.value.message_dict)


# -- derived values ------------------------------------------------------------------------------


def test_objective_status_and_execution_method_are_derived(orch):
    objective = first(StageObjective)
    assert objective.status == ObjectiveStatus.MAPPED
    objective.associations.all().delete()
    assert StageObjective.objects.get(pk=objective.pk).status == ObjectiveStatus.NEW
    manual = {Step(step_type=t).execution_method for t in (StepType.TASK, StepType.APPOINTMENT)}
    automatic = {
        Step(step_type=t).execution_method for t in StepType.values if t not in (StepType.TASK, StepType.APPOINTMENT)
    }
    assert manual == {"MANUAL"} and automatic == {"AUTOMATIC"}
