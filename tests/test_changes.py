"""The structural change summary (issue 10, item 5) names exactly the changes of scripted edit sequences.

Each test takes the export document, makes the edits through the same
services the designer calls, takes the document again and compares the
summary's sentences with the changes made — nothing more (reordering three
steps is one move, not three), nothing less.
"""

import pytest

from orchestrator import selectors
from orchestrator.forms import LABELS
from orchestrator.models import Stage, StageObjective, Step
from orchestrator.services import changes, drafts
from orchestrator.services.documents import FIELD_ATTRIBUTES, orchestration_document
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def document(orch):
    return orchestration_document(selectors.orchestration_tree(orch.number))


def stage_at(orch, position) -> Stage:
    return Stage.objects.get(orchestration=orch, display_sequence=position)


def step_at(stage, position) -> Step:
    return Step.objects.get(stage=stage, display_sequence=position)


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


def test_nothing_changed_is_an_empty_summary(orch):
    summary = changes.change_summary(document(orch), document(orch))
    assert not summary and summary.count == 0
    assert summary.one_line() == "No change to the content."


def test_a_rename(orch, designer):
    before = document(orch)
    step = step_at(stage_at(orch, 2), 1)
    drafts.step_update(step=step, user=designer, expected_version=step.version, values={"name": "Call the buyer"})
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == ["Step renamed: “Call 2” → “Call the buyer”."]
    assert [(g.title, g.stage_number) for g in summary.groups] == [("Stage “Stage 2”", stage_at(orch, 2).number)]
    assert [(c.kind, c.what, c.number) for c in summary.changes] == [("renamed", "step", step.number)]


def test_move_3_to_1_is_one_move_not_three(orch, designer):
    before = document(orch)
    stage = stage_at(orch, 1)
    drafts.step_move(step=step_at(stage, 3), user=designer, position=1)
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == ["Step “Advance 1” moved from position 3 to 1."]
    assert summary.one_line() == "Step “Advance 1” moved from position 3 to 1."


def test_a_reorder_of_stages_and_objectives(orch, designer):
    before = document(orch)
    numbers = [s.number for s in Stage.objects.filter(orchestration=orch).order_by("display_sequence")]
    drafts.stage_reorder(orchestration=orch, user=designer, ordered_numbers=[numbers[1], numbers[2], numbers[0]])
    stage = stage_at(orch, 1)  # was second
    objectives = list(StageObjective.objects.filter(stage=stage).order_by("display_sequence"))
    drafts.objective_reorder(stage=stage, user=designer, ordered_numbers=[objectives[1].number, objectives[0].number])
    summary = changes.change_summary(before, document(orch))
    # Listed under each stage in its new order; of two swapped objectives, one moved.
    assert summary.texts == [
        "Objective “Objective 2.2” moved from position 2 to 1.",
        "Stage “Stage 1” moved from position 1 to 3.",
    ]


def test_delete_with_children_is_one_line_that_counts_them(orch, designer):
    before = document(orch)
    drafts.stage_delete(stage=stage_at(orch, 2), user=designer)
    step = step_at(stage_at(orch, 1), 1)
    drafts.step_delete(step=step, user=designer)
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == [
        # The steps (and the stage) after it close the gap: that is no move.
        "Step “Call 1” removed, with 2 step tasks and 1 “serves” link.",
        "Stage “Stage 2” removed, with 2 objectives, 3 steps, 2 step tasks and 2 “serves” links.",
    ]


def test_relink_a_step_and_what_it_serves(orch, designer):
    before = document(orch)
    stage = stage_at(orch, 1)
    call, meeting, advance = (step_at(stage, i) for i in (1, 2, 3))
    drafts.step_update(step=call, user=designer, expected_version=call.version, values={"success_step": meeting})
    call.refresh_from_db()
    drafts.step_update(step=call, user=designer, expected_version=call.version, values={"success_step": advance})
    second = StageObjective.objects.get(stage=stage, display_sequence=2)
    drafts.step_set_objectives(step=call, user=designer, objective_ids=[second.pk])
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == [
        "Step “Call 1”: On success, go to (none) → “Advance 1”.",
        "Step “Call 1” no longer serves objective “Objective 1.1”.",
        "Step “Call 1” now serves objective “Objective 1.2”.",
    ]


def test_fields_of_a_step_and_its_tasks_with_old_and_new_values(orch, designer):
    before = document(orch)
    stage = stage_at(orch, 1)
    call = step_at(stage, 1)
    drafts.step_update(
        step=call, user=designer, expected_version=call.version, values={"grace_period": 24, "allow_skip": True}
    )
    task = call.tasks.order_by("display_sequence").first()
    drafts.step_task_update(step_task=task, user=designer, expected_version=task.version, values={"assigned_to": ""})
    drafts.step_task_move(step_task=task, user=designer, position=2)
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == [
        "Step “Call 1”: Grace period (hours) 48 → 24.",
        "Step “Call 1”: Allow skip no → yes.",
        # Two tasks swapped: one of them is named as moved.
        "Step task of “Call 1” moved from position 2 to 1.",
        "Step task 2 of “Call 1”: Assigned to Owner → (none).",
    ]
    assert summary.one_line() == "Step “Call 1”: Grace period (hours) 48 → 24 (and 3 more changes)."


def test_additions_the_header_and_a_type_change(orch, designer):
    before = document(orch)
    new_stage = drafts.stage_create(
        orchestration=orch, user=designer, values={"name": "Close", "lifecycle_attr_value": "04 - Close"}
    )
    drafts.objective_create(stage=new_stage, user=designer, values={"name": "Signed"})
    stage = stage_at(orch, 3)
    drafts.objective_create(stage=stage, user=designer, values={"name": "Budget known"})
    done = step_at(stage, 3)
    drafts.step_update(
        step=done, user=designer, expected_version=done.version, values={"step_type": "WAIT", "days_to_wait": 2}
    )
    from orchestrator.services.orchestrations import orchestration_update

    orchestration_update(orchestration=orch, user=designer, expected_version=orch.version, values={"name": "Playbook"})
    summary = changes.change_summary(before, document(orch))
    assert summary.texts == [
        "Orchestration renamed: “Test playbook” → “Playbook”.",
        "Objective “Budget known” added at position 3.",
        "Step “Done”: Type Stop → Wait.",
        "Step “Done”: Days to wait (none) → 2.",
        "Step “Done”: Exit orchestration yes → no.",
        "Stage “Close” added at position 4, with 1 objective.",
    ]


def test_against_nothing_everything_is_added_and_the_reverse():
    orch = build_orchestration(stages=1)
    doc = document(orch)
    assert changes.change_summary(None, doc).texts == [
        "Stage “Stage 1” added at position 1, with 2 objectives, 3 steps, 2 step tasks and 2 “serves” links."
    ]
    assert changes.change_summary(doc, None).texts == [
        "Stage “Stage 1” removed, with 2 objectives, 3 steps, 2 step tasks and 2 “serves” links."
    ]


def test_a_step_moved_to_another_stage_by_an_import():
    orch = build_orchestration(stages=2)
    before = document(orch)
    after = document(orch)
    moved = after["Stages"][0]["Steps"].pop(1)  # Meeting 1, and what it serves
    after["Stages"][0]["StepObjectivesAssociations"] = [
        a
        for a in after["Stages"][0]["StepObjectivesAssociations"]
        if a["OrchestrationStepNumber"] != moved["OrchestrationStepNumber"]
    ]
    moved["DisplaySequence"] = 9
    after["Stages"][1]["Steps"].append(moved)
    summary = changes.change_summary(before, after)
    assert summary.texts == [
        "Step “Meeting 1” moved from stage “Stage 1” (position 2) to position 4.",
        "Step “Meeting 1” no longer serves objective “Objective 1.2”.",
    ]


@pytest.mark.parametrize(
    ("order_before", "order_after", "stayed"),
    [
        ("abc", "cab", "ab"),
        ("abcde", "abcde", "abcde"),
        ("abcde", "edcba", "a"),
        ("abcde", "bcdea", "bcde"),
        ("", "", ""),
    ],
)
def test_unmoved_is_the_longest_run_in_order(order_before, order_after, stayed):
    assert changes.unmoved(list(order_before), list(order_after)) == set(stayed)


def test_the_labels_are_the_designers_words():
    for labels, kind in (
        (changes.HEADER_LABELS, "orchestration"),
        (changes.STAGE_LABELS, "stage"),
        (changes.OBJECTIVE_LABELS, "objective"),
        ({k: v for k, v in changes.STEP_LABELS.items()}, "step"),
        (changes.TASK_LABELS, "step_task"),
    ):
        by_attribute = {attribute: name for name, attribute in FIELD_ATTRIBUTES[kind].items()}
        for attribute, label in labels.items():
            assert LABELS[by_attribute[attribute]].startswith(label.split(",")[0]), (attribute, label)
