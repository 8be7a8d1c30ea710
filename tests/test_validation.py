"""orchestrator.validation: each rule fails when broken and stays quiet when kept.

Most cases change the loaded tree in memory (the validator never queries, so
it judges exactly what it is given); cases about relations save rows so the
prefetch sees them.
"""

import itertools

import pytest

from orchestrator import selectors
from orchestrator.models import Stage, StageObjective, Step, StepObjectiveAssociation, StepTask, StepType
from orchestrator.validation import (
    COMPLETENESS_CODES,
    Problem,
    problems_by_stage,
    validate_orchestration,
    validate_reusing,
)
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def tree(orch):
    return selectors.orchestration_tree(orch.number)


def codes(orch_or_tree) -> list[str]:
    loaded = orch_or_tree if hasattr(orch_or_tree, "_prefetched_objects_cache") else tree(orch_or_tree)
    return [p.code for p in validate_orchestration(loaded)]


def stage_at(t, index: int) -> Stage:
    return t.stages.all()[index]


def step_of(t, stage_index: int, step_index: int) -> Step:
    return stage_at(t, stage_index).steps.all()[step_index]


def only(t) -> Problem:
    problems = validate_orchestration(t)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


# -- the factory tree and the query budget ----------------------------------


def test_factory_tree_has_no_problems(orch):
    assert validate_orchestration(tree(orch)) == []


@pytest.mark.parametrize("size", [2, 30])
def test_validator_issues_no_queries_beyond_the_tree_load(size, django_assert_num_queries):
    orch = build_orchestration(stages=size)
    # Break something in every stage so every rule path runs.
    Step.objects.filter(stage__orchestration=orch, step_type=StepType.APPOINTMENT).update(
        step_type=StepType.WAIT, success_criteria="{"
    )
    with django_assert_num_queries(7):
        problems = validate_orchestration(selectors.orchestration_tree(orch.number))
    assert len(problems) >= size


# -- stage completeness ------------------------------------------------------


def test_stage_without_objective(orch):
    stage = orch.stages.get(display_sequence=2)
    stage.objectives.all().delete()
    t = tree(orch)
    problem = only(t)
    assert (problem.code, problem.kind, problem.number, problem.stage_number) == (
        "stage.no_objective",
        "stage",
        stage.number,
        stage.number,
    )
    assert problem.message == "Stage “Stage 2” has no objective."
    assert problem.is_completeness


def test_stage_without_steps_also_leaves_its_objectives_unserved(orch):
    stage = orch.stages.get(display_sequence=3)
    stage.steps.all().delete()
    assert codes(orch) == ["stage.no_step", "objective.not_served", "objective.not_served"]


def test_objective_not_served(orch):
    objective = StageObjective.objects.get(stage__orchestration=orch, stage__display_sequence=1, display_sequence=2)
    objective.associations.all().delete()
    problem = only(tree(orch))
    assert problem.code == "objective.not_served"
    assert problem.anchor == f"objective-{objective.number}"
    assert "“Objective 1.2”" in problem.message and "NEW" in problem.message


def test_objective_served_only_from_another_stage_is_not_served(orch):
    objective = StageObjective.objects.get(stage__orchestration=orch, stage__display_sequence=2, display_sequence=1)
    objective.associations.all().delete()
    foreign = Step.objects.get(stage__orchestration=orch, stage__display_sequence=1, display_sequence=1)
    StepObjectiveAssociation.objects.create(step=foreign, objective=objective)
    assert codes(orch) == ["association.other_stage", "objective.not_served"]


def test_empty_orchestration(db):
    orch = build_orchestration(stages=0)
    assert codes(orch) == ["orchestration.no_stages"]


# -- next stage rules ----------------------------------------------------------


def test_stage_without_next_stage_step(orch):
    Step.objects.filter(stage__orchestration=orch, stage__display_sequence=1, step_type=StepType.NEXT_STAGE).update(
        step_type=StepType.WAIT, next_stage_value="", days_to_wait=2
    )
    problem = only(tree(orch))
    assert problem.code == "stage.missing_next_stage"
    assert "Stage “Stage 1”" in problem.message


def test_last_stage_needs_no_next_stage_step(orch):
    assert "stage.missing_next_stage" not in codes(orch)


def test_next_stage_may_skip_a_stage(orch):
    t = tree(orch)
    step_of(t, 0, 2).next_stage_value = "03 - Stage 3"
    assert validate_orchestration(t) == []


def test_next_stage_needs_value(orch):
    t = tree(orch)
    step_of(t, 0, 2).next_stage_value = "  "
    problem = only(t)
    assert (problem.code, problem.field) == ("step.next_stage_needs_value", "next_stage_value")


def test_next_stage_unknown_value(orch):
    t = tree(orch)
    step_of(t, 0, 2).next_stage_value = "99 - Nowhere"
    problem = only(t)
    assert problem.code == "step.next_stage_unknown"
    assert "“99 - Nowhere”" in problem.message


@pytest.mark.parametrize(
    ("stage_index", "value", "where"), [(1, "01 - Stage 1", "earlier"), (1, "02 - Stage 2", "same")]
)
def test_next_stage_must_be_later(orch, stage_index, value, where):
    t = tree(orch)
    step_of(t, stage_index, 2).next_stage_value = value
    problem = only(t)
    assert problem.code == "step.next_stage_not_later"
    assert where in problem.message


def test_next_stage_on_the_last_stage_cannot_be_later(orch):
    t = tree(orch)
    last = step_of(t, 2, 2)
    last.step_type, last.next_stage_value, last.exit_orchestration = StepType.NEXT_STAGE, "01 - Stage 1", False
    assert [p.code for p in validate_orchestration(t)] == ["step.next_stage_not_later"]


def test_duplicate_lifecycle_value_reported_on_the_later_stage(orch):
    t = tree(orch)
    stage_at(t, 2).lifecycle_attr_value = "02 - Stage 2"
    problems = validate_orchestration(t)
    # Stage 2's next stage step named stage 3's old value.
    assert [p.code for p in problems] == ["step.next_stage_unknown", "stage.duplicate_lifecycle_value"]
    assert problems[1].number == stage_at(t, 2).number
    assert "“Stage 2”" in problems[1].message


# -- type-specific settings --------------------------------------------------


def _retype(t, step_type, **values) -> Step:
    """Turn the APPOINTMENT of stage 1 into another type with the given settings."""
    step = step_of(t, 0, 1)
    step.step_type = step_type
    step.activity_template_id = None
    for name, value in values.items():
        setattr(step, name, value)
    return step


def test_wait_needs_days_or_hours(orch):
    t = tree(orch)
    step = _retype(t, StepType.WAIT)
    problem = only(t)
    assert (problem.code, problem.anchor) == ("step.wait_needs_duration", f"step-{step.number}-days_to_wait")
    assert "“Meeting 1”" in problem.message


@pytest.mark.parametrize("values", [{"days_to_wait": 0}, {"hours_to_wait": 4}, {"days_to_wait": 1, "hours_to_wait": 2}])
def test_wait_with_duration_passes(orch, values):
    t = tree(orch)
    _retype(t, StepType.WAIT, **values)
    assert validate_orchestration(t) == []


def test_email_needs_template(orch):
    t = tree(orch)
    _retype(t, StepType.EMAIL_AUTOMATION, wait_for_replies=True)
    assert (only(t).code, only(t).field) == ("step.email_needs_template", "email_template_id")
    step_of(t, 0, 1).email_template_id = 300100000000555
    assert validate_orchestration(t) == []


def test_field_update_needs_json(orch):
    t = tree(orch)
    _retype(t, StepType.FIELD_UPDATE)
    assert only(t).code == "step.field_update_needs_json"


def test_field_update_json_must_parse(orch):
    t = tree(orch)
    _retype(t, StepType.FIELD_UPDATE, field_update_json='{"WinProb": 50,}')
    problem = only(t)
    assert problem.code == "step.field_update_json_invalid"
    assert "line 1, column" in problem.message


def test_field_update_json_must_be_an_object(orch):
    t = tree(orch)
    _retype(t, StepType.FIELD_UPDATE, field_update_json="[1, 2]")
    assert only(t).code == "step.field_update_json_not_object"
    step_of(t, 0, 1).field_update_json = '{"WinProb": 50}'
    assert validate_orchestration(t) == []


def test_success_criteria_must_be_json(orch):
    t = tree(orch)
    step = step_of(t, 0, 0)
    step.success_criteria = "status = done"
    problem = only(t)
    assert (problem.code, problem.field) == ("step.success_criteria_invalid", "success_criteria")
    step.success_criteria = '{"StatusCode": "COMPLETE"}'
    assert validate_orchestration(t) == []


def _link(step: Step, field: str, target: Step) -> None:
    setattr(step, field, target)  # sets the id and the cached object, as a loaded row has


def test_failure_link_needs_success_criteria(orch):
    t = tree(orch)
    step, target = step_of(t, 0, 0), step_of(t, 0, 1)
    _link(step, "failure_step", target)
    problem = only(t)
    assert (problem.code, problem.field) == ("step.failure_needs_criteria", "success_criteria")
    step.success_criteria = '{"StatusCode": "COMPLETE"}'
    assert validate_orchestration(t) == []


def test_success_link_needs_no_criteria(orch):
    t = tree(orch)
    _link(step_of(t, 0, 0), "success_step", step_of(t, 0, 1))
    assert validate_orchestration(t) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("days_to_wait", 3),
        ("hours_to_wait", 0),
        ("email_template_id", 1),
        ("wait_for_replies", True),
        ("exit_orchestration", True),
        ("next_stage_value", "02 - Stage 2"),
        ("field_update_json", "{}"),
    ],
)
def test_setting_unused_by_task_type(orch, field, value):
    t = tree(orch)
    step = step_of(t, 0, 0)
    setattr(step, field, value)
    problem = only(t)
    assert (problem.code, problem.field, problem.number) == ("step.setting_unused", field, step.number)
    assert "task step" in problem.message


def test_manual_settings_unused_by_automatic_step(orch):
    t = tree(orch)
    _retype(t, StepType.WAIT, days_to_wait=1, grace_period=24, smart_action_id=5)
    assert [(p.code, p.field) for p in validate_orchestration(t)] == [
        ("step.setting_unused", "smart_action_id"),
        ("step.setting_unused", "grace_period"),
    ]


def test_common_settings_fit_every_type(orch):
    t = tree(orch)
    step = _retype(t, StepType.WAIT, days_to_wait=1)
    step.allow_skip, step.suggestion_text, step.success_criteria = True, "Give them time", "{}"
    assert validate_orchestration(t) == []


def test_step_tasks_only_on_task_steps(orch):
    t = tree(orch)
    step = step_of(t, 0, 0)
    step.step_type = StepType.APPOINTMENT
    step.smart_action_id = None
    problem = only(t)
    assert (problem.code, problem.number) == ("step.tasks_on_non_task", step.number)
    assert "2 step tasks" in problem.message


def test_step_task_required_values(orch):
    t = tree(orch)
    task = step_of(t, 0, 0).tasks.all()[0]
    task.activity_template_id = None
    task.activity_id = None
    task.assigned_to = "NOBODY"
    assert [(p.code, p.kind, p.field) for p in validate_orchestration(t)] == [
        ("step_task.activity_template_required", "step_task", "activity_template_id"),
        ("step_task.activity_required", "step_task", "activity_id"),
        ("step_task.assigned_to_invalid", "step_task", "assigned_to"),
    ]


def test_unknown_step_type(orch):
    t = tree(orch)
    step_of(t, 0, 1).step_type = "FAX"
    assert (only(t).code, only(t).field) == ("step.type_invalid", "step_type")


def test_unknown_object_code(orch):
    t = tree(orch)
    t.object_code = "Account"
    assert only(t).code == "orchestration.object_code_invalid"


# -- links and associations stay inside one stage ----------------------------


@pytest.mark.parametrize("field", ["success_step", "failure_step"])
def test_link_to_another_stage(orch, field):
    t = tree(orch)
    step = step_of(t, 0, 0)
    step.success_criteria = "{}"
    _link(step, field, step_of(t, 1, 0))
    problem = only(t)
    assert (problem.code, problem.field) == ("step.link_other_stage", field)
    assert "“Stage 2”" in problem.message


def test_link_to_itself(orch):
    t = tree(orch)
    step = step_of(t, 0, 0)
    _link(step, "success_step", step)
    assert (only(t).code, only(t).field) == ("step.links_to_itself", "success_step")


def test_association_across_stages(orch):
    foreign = StageObjective.objects.get(stage__orchestration=orch, stage__display_sequence=2, display_sequence=1)
    step = Step.objects.get(stage__orchestration=orch, stage__display_sequence=1, display_sequence=2)
    association = StepObjectiveAssociation.objects.create(step=step, objective=foreign)
    problem = only(tree(orch))
    assert (problem.code, problem.kind, problem.number) == (
        "association.other_stage",
        "association",
        association.number,
    )
    assert "“Meeting 1”" in problem.message and "“Objective 2.1”" in problem.message


# -- loops ---------------------------------------------------------------------


def test_two_step_loop_reported_once_on_its_first_step(orch):
    t = tree(orch)
    first, second = step_of(t, 1, 0), step_of(t, 1, 1)
    _link(first, "success_step", second)
    _link(second, "success_step", first)
    problem = only(t)
    assert (problem.code, problem.number) == ("step.link_cycle", first.number)
    assert "“Call 2”" in problem.message and "“Meeting 2”" in problem.message


def test_three_step_loop_through_a_failure_link(orch):
    t = tree(orch)
    a, b, c = (step_of(t, 0, i) for i in range(3))
    _link(a, "success_step", b)
    _link(b, "success_step", c)
    _link(c, "failure_step", a)
    c.success_criteria = "{}"
    problem = only(t)
    assert (problem.code, problem.number) == ("step.link_cycle", a.number)


def test_loops_in_two_stages_are_two_problems(orch):
    t = tree(orch)
    for stage_index in (0, 2):
        a, b = step_of(t, stage_index, 0), step_of(t, stage_index, 1)
        _link(a, "success_step", b)
        _link(b, "success_step", a)
    assert [p.code for p in validate_orchestration(t)] == ["step.link_cycle", "step.link_cycle"]


def test_chain_without_loop_passes(orch):
    t = tree(orch)
    a, b, c = (step_of(t, 0, i) for i in range(3))
    _link(a, "success_step", b)
    _link(b, "success_step", c)
    _link(a, "failure_step", c)
    a.success_criteria = "{}"
    assert validate_orchestration(t) == []


def test_loop_reported_on_its_own_first_step_not_on_a_step_leading_into_it(orch):
    t = tree(orch)
    a, b, c = (step_of(t, 0, i) for i in range(3))
    _link(a, "success_step", b)
    _link(b, "success_step", c)
    _link(c, "success_step", b)
    problem = only(t)
    assert (problem.code, problem.number) == ("step.link_cycle", b.number)
    assert "“Call 1”" not in problem.message


def test_long_chain_of_links_is_fine(db):
    orch = build_orchestration(stages=1)
    stage = orch.stages.get()
    chain = [
        Step.objects.create(
            stage=stage, display_sequence=10 + i, name=f"Wait {i}", step_type=StepType.WAIT, hours_to_wait=1
        )
        for i in range(1500)
    ]
    for step, following in itertools.pairwise(chain):
        step.success_step = following
    # The chain runs after the meeting and ends in the Stop step, so every step can run.
    chain[-1].success_step = stage.steps.get(step_type=StepType.STOP)
    Step.objects.bulk_update(chain, ["success_step"])
    stage.steps.filter(step_type=StepType.APPOINTMENT).update(success_step=chain[0])
    t = tree(orch)
    assert validate_orchestration(t) == []
    _link(step_of(t, 0, len(chain) + 2), "success_step", step_of(t, 0, 3))  # the last one back to the first
    assert [p.code for p in validate_orchestration(t)] == ["step.link_cycle"]


# -- required values and lengths -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("orchestration", "name", 100),
        ("orchestration", "description", 2000),
        ("orchestration", "lifecycle_attribute_name", 100),
        ("stage", "name", 100),
        ("stage", "description", 2000),
        ("objective", "name", 100),
        ("objective", "description", 2000),
        ("step", "name", 100),
        ("step", "suggestion_text", 1000),
        ("step", "number", 64),
        ("step_task", "number", 64),
        ("association", "number", 64),
    ],
)
def test_length_limits(orch, path, field, limit):
    t = tree(orch)
    target = {
        "orchestration": t,
        "stage": stage_at(t, 2),
        "objective": stage_at(t, 2).objectives.all()[0],
        "step": step_of(t, 2, 0),
        "step_task": step_of(t, 2, 0).tasks.all()[0],
        "association": step_of(t, 2, 0).associations.all()[0],
    }[path]
    char = "a" if field == "number" else "é"  # numbers keep to safe ASCII characters (tests/test_numbers.py)
    setattr(target, field, char * limit)
    assert validate_orchestration(t) == [], "exactly at the limit is fine"
    setattr(target, field, char * (limit + 1))
    problem = only(t)
    assert problem.code == f"{path}.{field}_too_long"
    assert (problem.kind, problem.field) == (path, field)
    assert f"{limit + 1} characters" in problem.message and str(limit) in problem.message


def test_lifecycle_value_limit(orch):
    t = tree(orch)
    # The NEXT_STAGE step of stage 2 names stage 3's value, so change both.
    step_of(t, 1, 2).next_stage_value = stage_at(t, 2).lifecycle_attr_value = "v" * 100
    assert validate_orchestration(t) == []
    stage_at(t, 2).lifecycle_attr_value = "v" * 101
    step_of(t, 1, 2).next_stage_value = "v" * 101
    assert [(p.code, p.kind) for p in validate_orchestration(t)] == [
        ("step.next_stage_value_too_long", "step"),
        ("stage.lifecycle_attr_value_too_long", "stage"),
    ]


@pytest.mark.parametrize(
    ("path", "field", "code"),
    [
        ("orchestration", "name", "orchestration.name_required"),
        ("orchestration", "lifecycle_attribute_name", "orchestration.lifecycle_attribute_name_required"),
        ("stage", "name", "stage.name_required"),
        ("objective", "name", "objective.name_required"),
        ("step", "name", "step.name_required"),
    ],
)
def test_required_names_may_not_be_blank(orch, path, field, code):
    t = tree(orch)
    target = {
        "orchestration": t,
        "stage": stage_at(t, 0),
        "objective": stage_at(t, 0).objectives.all()[0],
        "step": step_of(t, 0, 0),
    }[path]
    setattr(target, field, " \t ")
    problem = only(t)
    assert (problem.code, problem.field) == (code, field)
    assert "(unnamed)" in problem.message or "needs" in problem.message


def test_stage_lifecycle_value_required(orch):
    t = tree(orch)
    stage_at(t, 0).lifecycle_attr_value = ""
    assert only(t).code == "stage.lifecycle_attr_value_required"


# -- order, grouping, anchors ----------------------------------------------------


def test_problems_come_in_stage_order_and_group_by_stage(orch):
    t = tree(orch)
    t.name = ""
    step_of(t, 2, 0).days_to_wait = 1
    stage_at(t, 0).name = "x" * 101
    problems = validate_orchestration(t)
    assert [p.stage_number for p in problems] == ["", stage_at(t, 0).number, stage_at(t, 2).number]
    grouped = problems_by_stage(problems)
    assert list(grouped) == ["", stage_at(t, 0).number, stage_at(t, 2).number]
    assert grouped[stage_at(t, 2).number][0].field == "days_to_wait"
    assert validate_orchestration(t) == problems, "deterministic"


def test_anchor_names_object_and_field():
    assert Problem("c", "m", "step", "ORCH-STP-1").anchor == "step-ORCH-STP-1"
    assert Problem("c", "m", "step", "ORCH-STP-1", "days_to_wait").anchor == "step-ORCH-STP-1-days_to_wait"


def test_completeness_codes_are_codes_the_validator_emits(orch):
    emitted = set()
    Stage.objects.create(orchestration=orch, display_sequence=4, name="Empty", lifecycle_attr_value="04 - Empty")
    stage1 = orch.stages.get(display_sequence=1)
    Step.objects.filter(stage=stage1, step_type=StepType.NEXT_STAGE).delete()
    StepTask.objects.filter(step__stage=stage1).delete()
    StepObjectiveAssociation.objects.filter(step__stage=stage1).delete()
    emitted |= set(codes(orch))
    emitted |= set(codes(build_orchestration(stages=0)))
    no_stop = build_orchestration(stages=1)
    Step.objects.filter(stage__orchestration=no_stop, step_type=StepType.STOP).delete()
    emitted |= set(codes(no_stop))
    assert emitted >= COMPLETENESS_CODES


def test_reusing_the_problems_of_some_stages_gives_the_whole_answer_in_its_order(orch):
    """`validate_reusing` (the designer page's per-stage cache) is `validate_orchestration` with stages skipped."""
    Step.objects.filter(stage__orchestration=orch, name__in=["Call 1", "Meeting 3"]).update(name="")
    Stage.objects.filter(orchestration=orch, display_sequence=2).update(name="")
    t = tree(orch)
    whole = validate_orchestration(t)
    assert len({p.stage_number for p in whole}) == 3
    everything, fresh = validate_reusing(t, {})
    assert everything == whole
    assert [p for pk in sorted(fresh, key=[s.pk for s in t.stages.all()].index) for p in fresh[pk]] == whole
    middle = stage_at(t, 1).pk
    reused, again = validate_reusing(tree(orch), {middle: fresh[middle]})
    assert reused == whole and middle not in again and len(again) == 2
    middle_number = stage_at(t, 1).number
    assert validate_reusing(tree(orch), {middle: []})[0] == [p for p in whole if p.stage_number != middle_number]
