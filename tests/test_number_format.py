"""One format for generated public numbers: the kind's prefix and 8 upper-case hex digits.

Every path that hands out a number goes through `models.numbers.draw_number`:
the number suggested for a new orchestration, the numbers a save issues
(stages, objectives, steps, step tasks, associations created in the
designer), a clone, an import `--as-copy` (the Outreach import is checked
in tests/outreach/test_outreach_import.py). Numbers that exist are never
rewritten.
"""

import io
import json
import re

import pytest
from django.core.management import call_command

from orchestrator import selectors
from orchestrator.models import IssuedNumber, Orchestration, StepObjectiveAssociation
from orchestrator.models import numbers as numbers_module
from orchestrator.models.numbers import PREFIXES, NumbersExhausted, issue_numbers
from orchestrator.services import drafts
from orchestrator.services import orchestrations as services
from orchestrator.services.documents import orchestration_document
from orchestrator.services.drafts import DraftConflict
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def generated(kind: str) -> re.Pattern:
    return re.compile(re.escape(PREFIXES[kind]) + r"[0-9A-F]{8}")


def child_numbers(orch: Orchestration) -> dict[str, list[str]]:
    tree = selectors.orchestration_tree(orch.number)
    stages = list(tree.stages.all())
    steps = [st for s in stages for st in s.steps.all()]
    return {
        "stage": [s.number for s in stages],
        "objective": [o.number for s in stages for o in s.objectives.all()],
        "step": [st.number for st in steps],
        "step_task": [t.number for st in steps for t in st.tasks.all()],
        "association": [a.number for st in steps for a in st.associations.all()],
    }


def assert_generated(numbers: dict[str, list[str]]) -> None:
    for kind, values in numbers.items():
        assert values, kind
        for value in values:
            assert generated(kind).fullmatch(value), (kind, value)


def test_the_suggested_orchestration_number_has_the_format():
    assert generated("orchestration").fullmatch(services.orchestration_suggest_number())


def test_objects_created_in_the_designer_get_the_format(designer):
    orch = services.orchestration_create(user=designer, number="ORCH-MINE", values={"name": "Mine"})
    stage = drafts.stage_create(
        orchestration=orch, user=designer, values={"name": "Qualify", "lifecycle_attr_value": "Qualify"}
    )
    objective = drafts.objective_create(stage=stage, user=designer, values={"name": "Budget known"})
    step = drafts.step_create(
        stage=stage,
        user=designer,
        values={"name": "Call", "step_type": "TASK", "activity_template_id": 300100000000101},
    )
    task = drafts.step_task_create(
        step=step, user=designer, values={"activity_template_id": 300100000000101, "activity_id": 300100000000201}
    )
    association = StepObjectiveAssociation.objects.create(step=step, objective=objective)  # the model's own save
    assert_generated(
        {
            "stage": [stage.number],
            "objective": [objective.number],
            "step": [step.number],
            "step_task": [task.number],
            "association": [association.number],
        }
    )
    assert orch.number == "ORCH-MINE"  # a number the user chose is kept as typed


def test_a_clone_gets_the_format_everywhere_and_the_original_keeps_its_numbers(designer):
    orch = build_orchestration(stages=2)
    before = child_numbers(orch)
    copy = services.orchestration_clone(orchestration=orch, user=designer)
    assert generated("orchestration").fullmatch(copy.number)
    assert_generated(child_numbers(copy))
    assert child_numbers(orch) == before


def test_an_import_as_copy_gets_the_format_and_the_file_numbers_are_not_rewritten(tmp_path):
    orch = build_orchestration(stages=2)
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    call_command("import_orchestration", str(path), "--as-copy", "ORCH-COPY-2", stdout=io.StringIO())
    copy = Orchestration.objects.get(number="ORCH-COPY-2")
    assert_generated(child_numbers(copy))
    assert orchestration_document(selectors.orchestration_tree(orch.number)) == document


def test_a_plain_import_keeps_the_numbers_of_the_file(tmp_path):
    orch = build_orchestration(stages=1)
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    document["OrchestrationNumber"] = "ORCH-FROM-FILE"
    for stage in document["Stages"]:
        stage["OrchestrationStageNumber"] = "LEGACY-stage-0001"
    Orchestration.objects.all().delete()
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    call_command("import_orchestration", str(path), stdout=io.StringIO())
    assert child_numbers(Orchestration.objects.get(number="ORCH-FROM-FILE"))["stage"] == ["LEGACY-stage-0001"]


def test_a_collision_redraws_only_the_colliding_number(monkeypatch):
    IssuedNumber.objects.create(number="ORCH-STG-AAAAAAAA", kind="stage")
    draws = iter(["aaaaaaaa", "bbbbbbbb", "cccccccc"])
    monkeypatch.setattr(numbers_module.secrets, "token_hex", lambda n: next(draws))
    assert issue_numbers("stage", 2) == ["ORCH-STG-BBBBBBBB", "ORCH-STG-CCCCCCCC"]
    draws = iter(["dddddddd", "aaaaaaaa", "eeeeeeee", "ffffffff"])  # the batch is inserted, one collides
    monkeypatch.setattr(numbers_module, "_distinct_draws", _first_batch_unchecked(draws))
    assert issue_numbers("stage", 2) == ["ORCH-STG-DDDDDDDD", "ORCH-STG-EEEEEEEE"]
    assert IssuedNumber.objects.filter(kind="stage").count() == 5


def _first_batch_unchecked(draws):
    """Draws as the real helper does, but lets the registry (not a pre-check) find the collision."""

    def distinct(kind, count, *, taken):
        out = []
        while len(out) < count:
            candidate = PREFIXES[kind] + next(draws).upper()
            if candidate not in taken and candidate not in out:
                out.append(candidate)
        return out

    return distinct


def test_endless_collisions_are_a_clear_error_not_a_loop(monkeypatch):
    IssuedNumber.objects.create(number="ORCH-STP-00000000", kind="step")
    monkeypatch.setattr(numbers_module, "_distinct_draws", lambda kind, count, taken: ["ORCH-STP-00000000"] * count)
    with pytest.raises(NumbersExhausted):
        issue_numbers("step", 1)
    with pytest.raises(DraftConflict, match="Could not issue new numbers"):
        services._issue_numbers("step", 1)
