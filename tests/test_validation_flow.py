"""orchestrator.validation.flow: steps that can never run and stages that never lead on, failing and passing.

The factory's stages run Call → Meeting → Advance (Next stage), the last one
Call → Meeting → Done (Stop). Cases change the loaded tree in memory (the
validator judges exactly what it is given) or save rows and reload.
"""

import pytest

from orchestrator import selectors
from orchestrator.models import Step, StepType
from orchestrator.services.documents import DocumentInvalid, orchestration_document, orchestration_import
from orchestrator.validation import COMPLETENESS_CODES, validate_orchestration
from orchestrator.validation.flow import StageFlow
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


def tree(orch):
    return selectors.orchestration_tree(orch.number)


def steps_of(t, stage_index: int) -> list[Step]:
    return list(t.stages.all()[stage_index].steps.all())


def reorder(t, stage_index: int, order: list[int]) -> list[Step]:
    """The stage's steps put in a new display order (in memory, as the selector would load them)."""
    stage = t.stages.all()[stage_index]
    steps = [stage.steps.all()[i] for i in order]
    for sequence, step in enumerate(steps, start=1):
        step.display_sequence = sequence
    stage._prefetched_objects_cache["steps"] = steps
    return steps


def problems(t):
    return [(p.code, p.number) for p in validate_orchestration(t)]


def test_every_step_of_the_factory_tree_can_run(orch):
    t = tree(orch)
    for stage in t.stages.all():
        flow = StageFlow(list(stage.steps.all()))
        assert flow.reachable == {step.pk for step in stage.steps.all()}
        assert flow.leads_on()


# -- a step that can never run -------------------------------------------------------


def test_step_after_a_next_stage_step_can_never_run(orch):
    t = tree(orch)
    _call, _advance, meeting = reorder(t, 0, [0, 2, 1])  # the newcomer's repro: Next stage moved up
    found = validate_orchestration(t)
    assert [(p.code, p.kind, p.number, p.field) for p in found] == [("step.unreachable", "step", meeting.number, "")]
    assert found[0].stage_number == t.stages.all()[0].number
    assert found[0].anchor == f"step-{meeting.number}"
    assert found[0].message == (
        "Step “Meeting 1” can never run: the step before it, “Advance 1”, moves to another stage, and no "
        "success or failure link leads to it; move it above “Advance 1” or link to it from another step."
    )
    assert not found[0].is_completeness  # a design mistake, not an unfinished design


def test_step_after_a_stop_step_can_never_run(orch):
    t = tree(orch)
    _call, _done, meeting = reorder(t, 2, [0, 2, 1])
    found = validate_orchestration(t)
    assert [(p.code, p.number) for p in found] == [("step.unreachable", meeting.number)]
    assert "the step before it, “Done”, stops" in found[0].message


def test_a_link_to_the_step_after_a_next_stage_step_makes_it_reachable(orch):
    t = tree(orch)
    call, _advance, meeting = reorder(t, 0, [0, 2, 1])
    call.failure_step, call.success_criteria = meeting, '{"Outcome": "NO_SHOW"}'
    assert problems(t) == []


def test_steps_after_an_unreachable_one_say_which_step_they_follow(orch):
    t = tree(orch)
    call, _advance, meeting = reorder(t, 0, [0, 2, 1])
    extra = Step(pk=10**9, stage=call.stage, number="ORCH-STP-EXTRA", display_sequence=4, name="Follow up")
    extra.step_type, extra.activity_template_id = StepType.APPOINTMENT, 300100000000102
    t.stages.all()[0]._prefetched_objects_cache["steps"].append(extra)
    found = validate_orchestration(t)
    assert [(p.code, p.number) for p in found] == [
        ("step.unreachable", meeting.number),
        ("step.unreachable", extra.number),
    ]
    assert "it only follows “Meeting 1”, which can never run either" in found[1].message


def test_a_success_link_skips_the_steps_in_between(orch):
    t = tree(orch)
    call, meeting, advance = steps_of(t, 0)
    call.success_step = advance
    found = validate_orchestration(t)
    assert [(p.code, p.number) for p in found] == [("step.unreachable", meeting.number)]
    assert "the step before it, “Call 1”, goes on to its success step “Advance 1”" in found[0].message


def test_a_failure_link_alone_keeps_the_next_step_in_order(orch):
    t = tree(orch)
    call, _meeting, advance = steps_of(t, 0)
    call.failure_step, call.success_criteria = advance, '{"Outcome": "LOST"}'
    assert problems(t) == []


def test_a_step_linked_only_from_steps_that_never_run_never_runs(orch):
    t = tree(orch)
    call, _advance, meeting = reorder(t, 0, [0, 2, 1])
    extra = Step(pk=10**9, stage=call.stage, number="ORCH-STP-EXTRA", display_sequence=4, name="Follow up")
    extra.step_type, extra.activity_template_id = StepType.APPOINTMENT, 300100000000102
    meeting.success_step = extra
    t.stages.all()[0]._prefetched_objects_cache["steps"].append(extra)
    found = validate_orchestration(t)
    assert [(p.code, p.number) for p in found] == [
        ("step.unreachable", meeting.number),
        ("step.unreachable", extra.number),
    ]
    assert "only steps that can never run themselves link to it (“Meeting 1”)" in found[1].message


def test_a_link_to_itself_does_not_stop_the_run_going_on(orch):
    t = tree(orch)
    call = steps_of(t, 0)[0]
    call.success_step = call
    assert [p.code for p in validate_orchestration(t)] == ["step.links_to_itself"]


# -- a stage with no path to a Next stage or Stop step -------------------------------


def test_stage_whose_next_stage_step_cannot_be_reached(orch):
    t = tree(orch)
    call, meeting, advance = steps_of(t, 0)
    meeting.success_step = call  # back to the start: not a loop of links, but the run never gets past it
    found = validate_orchestration(t)
    stage = t.stages.all()[0]
    assert [(p.code, p.kind, p.number) for p in found] == [
        ("stage.no_exit", "stage", stage.number),
        ("step.unreachable", "step", advance.number),
    ]
    assert found[0].message == (
        "Stage “Stage 1” never reaches its next stage or stop step (“Advance 1”): every path from its first "
        "step, “Call 1”, ends before it, so opportunities stay in this stage for ever."
    )
    assert found[0].anchor == f"stage-{stage.number}"


def test_the_last_stage_needs_a_stop_step(orch):
    Step.objects.filter(stage__orchestration=orch, step_type=StepType.STOP).delete()
    found = validate_orchestration(tree(orch))
    assert [p.code for p in found] == ["stage.missing_stop"]
    assert found[0].message == (
        "Stage “Stage 3” is the last stage but has no Stop step, so the orchestration never ends; add a Stop step."
    )
    assert "stage.missing_stop" in COMPLETENESS_CODES  # not finished yet: import --allow-incomplete takes it


def test_a_stage_before_the_last_without_an_exit_is_one_problem(orch):
    Step.objects.filter(stage__orchestration=orch, stage__display_sequence=1, step_type=StepType.NEXT_STAGE).delete()
    assert [p.code for p in validate_orchestration(tree(orch))] == ["stage.missing_next_stage"]


def test_a_stop_step_is_a_way_out_of_any_stage(orch):
    t = tree(orch)
    advance = steps_of(t, 0)[2]
    advance.step_type, advance.next_stage_value, advance.exit_orchestration = StepType.STOP, "", True
    # Stage 1 can now only stop: it still needs its Next stage step, but it does lead somewhere.
    assert [p.code for p in validate_orchestration(t)] == ["stage.missing_next_stage"]


def test_a_stage_without_steps_is_one_problem(orch):
    Step.objects.filter(stage__orchestration=orch, stage__display_sequence=2).delete()
    assert "stage.no_exit" not in [p.code for p in validate_orchestration(tree(orch))]


def test_a_loop_of_links_is_the_one_problem_of_its_stage(orch):
    t = tree(orch)
    call, meeting, _advance = steps_of(t, 1)
    call.success_step, meeting.success_step = meeting, call
    assert [p.code for p in validate_orchestration(t)] == ["step.link_cycle"]


# -- links to another stage and Next stage values --------------------------------------


def test_a_link_to_a_step_of_another_stage_is_refused_by_the_importer(orch):
    document = orchestration_document(tree(orch))
    first, second = document["Stages"][0], document["Stages"][1]
    first["Steps"][0]["SuccessStepNumber"] = second["Steps"][0]["OrchestrationStepNumber"]
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [
        (
            "$.Stages[0].Steps[0].SuccessStepNumber",
            f"names “{second['Steps'][0]['OrchestrationStepNumber']}”, a step of stage “Stage 2”; "
            "references must stay inside stage “Stage 1”.",
        )
    ]


def test_a_link_to_a_step_of_another_stage_stored_anyway_is_a_problem(orch):
    call = Step.objects.get(stage__orchestration=orch, stage__display_sequence=1, display_sequence=1)
    Step.objects.filter(pk=call.pk).update(
        success_step=Step.objects.get(stage__orchestration=orch, stage__display_sequence=2, display_sequence=1)
    )
    # The foreign link is ignored by the flow (as if unset), so it is the only problem.
    assert [(p.code, p.field) for p in validate_orchestration(tree(orch))] == [
        ("step.link_other_stage", "success_step")
    ]


def test_a_next_stage_value_no_later_stage_has(orch):
    t = tree(orch)
    t.stages.all()[2].lifecycle_attr_value = "03 - Renamed"
    found = validate_orchestration(t)
    assert [(p.code, p.field) for p in found] == [("step.next_stage_unknown", "next_stage_value")]
    assert found[0].number == steps_of(t, 1)[2].number


def test_import_reports_a_step_that_can_never_run_at_its_path(orch):
    document = orchestration_document(tree(orch))
    steps = document["Stages"][0]["Steps"]
    steps[1]["DisplaySequence"], steps[2]["DisplaySequence"] = 3, 2  # Next stage before the meeting
    document["OrchestrationNumber"] = "ORCH-FLOW-IMPORT"
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=_renumbered(document))
    assert caught.value.problems == [
        (
            "$.Stages[0].Steps[1]",
            "Step “Meeting 1” can never run: the step before it, “Advance 1”, moves to another stage, and no "
            "success or failure link leads to it; move it above “Advance 1” or link to it from another step.",
        )
    ]


def _renumbered(document):
    """The same content as a new orchestration (numbers of the source are taken)."""
    if isinstance(document, list):
        return [_renumbered(item) for item in document]
    if isinstance(document, dict):
        return {
            key: f"{value}-N" if key.endswith("Number") and key != "OrchestrationNumber" else _renumbered(value)
            for key, value in document.items()
        }
    return document
