"""orchestrator.services.documents: the documents of contract §2/§4/§6 and `orchestration_import`."""

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from orchestrator import selectors
from orchestrator.models import (
    IssuedNumber,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
    issue_number,
)
from orchestrator.services.documents import (
    DocumentInvalid,
    dumps_document,
    orchestration_document,
    orchestration_header,
    orchestration_import,
    parse_document,
    schema_problems,
    stage_document,
)
from orchestrator.services.documents.checks import SCHEMA_PATH
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def export(number: str) -> dict:
    return orchestration_document(selectors.orchestration_tree(number))


def first_stage(orch) -> Stage:
    return selectors.orchestration_tree(orch.number).stages.all()[0]


def schema_order(definition: str) -> list[str]:
    return list(SCHEMA["$defs"][definition]["properties"])


def in_schema_order(keys, definition: str) -> bool:
    order = schema_order(definition)
    return list(keys) == sorted(keys, key=order.index)


# -- export ------------------------------------------------------------------------


def test_schema_file_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_stage_document_keys_follow_the_contract_order():
    orch = build_orchestration(stages=2)
    Step.objects.filter(stage__orchestration=orch, step_type=StepType.TASK).update(
        suggestion_text="Ask about budget", smart_action_id=7, allow_skip=True, success_criteria="{}"
    )
    doc = stage_document(first_stage(orch))
    assert list(doc) == [
        "OrchestrationStageNumber",
        "DisplaySequence",
        "StageName",
        "LifecycleAttrValue",
        "ContainErrorsFlag",
        "StageObjectives",
        "Steps",
        "StepTasks",
        "StepObjectivesAssociations",
    ]
    assert in_schema_order(doc, "StageDocument")
    assert "OrchestrationId" not in doc
    for objective in doc["StageObjectives"]:
        assert in_schema_order(objective, "StageObjective")
    for step in doc["Steps"]:
        assert in_schema_order(step, "Step")
    for task in doc["StepTasks"]:
        assert in_schema_order(task, "StepTask")
    for association in doc["StepObjectivesAssociations"]:
        assert in_schema_order(association, "StepObjectivesAssociation")


def test_stage_document_values():
    orch = build_orchestration(stages=2)
    stage = first_stage(orch)
    doc = stage_document(stage)
    task_step, meeting, advance = stage.steps.all()
    assert doc["ContainErrorsFlag"] is False
    assert doc["StageName"] == "Stage 1" and doc["LifecycleAttrValue"] == "01 - Stage 1"
    assert "StageDescription" not in doc, "empty values are omitted"
    assert [o["ObjectiveStatus"] for o in doc["StageObjectives"]] == ["MAPPED", "MAPPED"]
    assert doc["Steps"][0] == {
        "OrchestrationStepNumber": task_step.number,
        "OrchestrationStepName": "Call 1",
        "StepType": "TASK",
        "ExecutionMethod": "MANUAL",
        "DisplaySequence": 1,
        "ActivityTemplateId": 300100000000101,
        "GracePeriod": 48,
        "AllowSkipFlag": False,
    }
    assert doc["Steps"][2] == {
        "OrchestrationStepNumber": advance.number,
        "OrchestrationStepName": "Advance 1",
        "StepType": "NEXT_STAGE",
        "ExecutionMethod": "AUTOMATIC",
        "DisplaySequence": 3,
        "NextStageValue": "02 - Stage 2",
        "AllowSkipFlag": False,
    }
    tasks = list(task_step.tasks.all())
    assert doc["StepTasks"] == [
        {
            "StepTasksNumber": tasks[0].number,
            "OrchestrationStepNumber": task_step.number,
            "DisplaySequence": 1,
            "ActivityTemplateId": 300100000000101,
            "ActivityId": 300100000000201,
            "AssignedTo": "OWNER",
        },
        {
            "StepTasksNumber": tasks[1].number,
            "OrchestrationStepNumber": task_step.number,
            "DisplaySequence": 2,
            "ActivityTemplateId": 300100000000101,
            "ActivityId": 300100000000202,
            "AssignedTo": "OWNER",
        },
    ]
    assert [(a["OrchestrationStepNumber"], a["StageObjectiveNumber"]) for a in doc["StepObjectivesAssociations"]] == [
        (task_step.number, stage.objectives.all()[0].number),
        (meeting.number, stage.objectives.all()[1].number),
    ]


def test_objective_without_association_is_new():
    orch = build_orchestration(stages=1)
    StepObjectiveAssociation.objects.filter(step__stage__orchestration=orch, step__display_sequence=2).delete()
    doc = stage_document(first_stage(orch))
    assert [o["ObjectiveStatus"] for o in doc["StageObjectives"]] == ["MAPPED", "NEW"]


def test_only_the_settings_of_the_step_type_are_sent():
    orch = build_orchestration(stages=1)
    stage = orch.stages.get()
    # Leftovers from earlier types stay in the row but never reach the document.
    Step.objects.create(
        stage=stage,
        display_sequence=4,
        name="Pause",
        step_type=StepType.WAIT,
        days_to_wait=0,
        activity_template_id=5,
        email_template_id=6,
        wait_for_replies=True,
        exit_orchestration=True,
        next_stage_value="x",
        field_update_json="{}",
        grace_period=3,
    )
    Step.objects.create(
        stage=stage,
        display_sequence=5,
        name="Mail",
        step_type=StepType.EMAIL_AUTOMATION,
        email_template_id=6,
        days_to_wait=2,
    )
    Step.objects.create(
        stage=stage,
        display_sequence=6,
        name="Update",
        step_type=StepType.FIELD_UPDATE,
        field_update_json='{"WinProb": 10}',
        suggestion_text="Sets the probability",
        allow_skip=True,
    )
    steps = {s["OrchestrationStepName"]: s for s in stage_document(first_stage(orch))["Steps"]}
    assert steps["Pause"] == {
        "OrchestrationStepNumber": steps["Pause"]["OrchestrationStepNumber"],
        "OrchestrationStepName": "Pause",
        "StepType": "WAIT",
        "ExecutionMethod": "AUTOMATIC",
        "DisplaySequence": 4,
        "DaysToWait": 0,
        "AllowSkipFlag": False,
    }
    assert steps["Mail"]["EmailTemplateId"] == 6
    assert steps["Mail"]["WaitForRepliesFlag"] is False, "flags of the type are always sent as booleans"
    assert "DaysToWait" not in steps["Mail"]
    assert steps["Update"]["FieldUpdateJson"] == '{"WinProb": 10}'
    assert steps["Update"]["StepSuggestionText"] == "Sets the probability"
    assert steps["Update"]["AllowSkipFlag"] is True
    assert steps["Done"]["ExitOrchestrationFlag"] is True
    assert "ExitOrchestrationFlag" not in steps["Mail"] and "WaitForRepliesFlag" not in steps["Done"]


def test_links_are_sent_as_step_numbers():
    orch = build_orchestration(stages=1)
    call, meeting, done = Step.objects.filter(stage__orchestration=orch).order_by("display_sequence")
    call.success_step, call.failure_step, call.success_criteria = meeting, done, '{"Status": "DONE"}'
    call.save()
    step = stage_document(first_stage(orch))["Steps"][0]
    assert (step["SuccessStepNumber"], step["FailureStepNumber"]) == (meeting.number, done.number)
    assert step["SuccessCriteria"] == '{"Status": "DONE"}'
    assert list(step)[-3:] == ["SuccessStepNumber", "FailureStepNumber", "SuccessCriteria"]


def test_display_sequences_are_renumbered_from_position():
    orch = build_orchestration(stages=3)
    Stage.objects.filter(orchestration=orch, display_sequence=2).delete()  # leaves 1, 3
    stage = orch.stages.get(display_sequence=1)
    for seq, step in zip((10, 20, 35), stage.steps.order_by("display_sequence"), strict=True):
        Step.objects.filter(pk=step.pk).update(display_sequence=seq)
    StepTask.objects.filter(step__stage=stage, display_sequence=2).update(display_sequence=9)
    tree = selectors.orchestration_tree(orch.number)
    doc = orchestration_document(tree)
    assert [s["DisplaySequence"] for s in doc["Stages"]] == [1, 2]
    assert [s["DisplaySequence"] for s in doc["Stages"][0]["Steps"]] == [1, 2, 3]
    assert [t["DisplaySequence"] for t in doc["Stages"][0]["StepTasks"]] == [1, 2]
    # A stage from the tree knows its place without being told; so does the publish builder's call.
    assert [stage_document(s)["DisplaySequence"] for s in tree.stages.all()] == [1, 2]


def test_stage_tree_stage_document_uses_the_stored_sequence(django_assert_num_queries):
    orch = build_orchestration(stages=2)
    stage = selectors.stage_tree(orch.stages.get(display_sequence=2).pk)
    with django_assert_num_queries(0):
        assert stage_document(stage)["DisplaySequence"] == 2


@pytest.mark.parametrize("stages", [2, 20])
def test_documents_cost_no_queries_beyond_the_tree(stages, django_assert_num_queries):
    orch = build_orchestration(stages=stages)
    with django_assert_num_queries(7):
        tree = selectors.orchestration_tree(orch.number)
        doc = orchestration_document(tree)
        [stage_document(stage) for stage in tree.stages.all()]
    assert len(doc["Stages"]) == stages


def test_header_omits_empty_values():
    orch = build_orchestration(stages=1)
    assert orchestration_header(orch) == {
        "OrchestrationNumber": orch.number,
        "OrchestrationName": "Test playbook",
        "OrchestrationDescription": "Built by tests",
        "ObjectCode": "Opportunity",
        "LifecycleAttributeName": "SalesStage",
        "AssociationRank": 1,
    }
    orch.description, orch.association_rank = "", None
    assert list(orchestration_header(orch)) == [
        "OrchestrationNumber",
        "OrchestrationName",
        "ObjectCode",
        "LifecycleAttributeName",
    ]


def test_orchestration_document_shape_and_schema():
    orch = build_orchestration(stages=3)
    doc = export(orch.number)
    assert next(iter(doc)) == "FormatVersion" and doc["FormatVersion"] == 1
    assert list(doc)[-1] == "Stages" and len(doc["Stages"]) == 3
    assert schema_problems(doc) == []


def test_dumps_document_is_stable_text():
    text = dumps_document({"FormatVersion": 1, "OrchestrationName": "Prüfung ✓ 商談 🚀"})
    assert text == '{\n  "FormatVersion": 1,\n  "OrchestrationName": "Prüfung ✓ 商談 🚀"\n}\n'


# -- parse_document ----------------------------------------------------------------


def test_parse_reports_line_and_column():
    with pytest.raises(DocumentInvalid) as caught:
        parse_document('{\n  "a": 1,\n  "b": \n}')
    [(path, message)] = caught.value.problems
    assert path == "$"
    assert "line 4, column 1" in message


def test_parse_accepts_bytes_with_bom_and_refuses_other_encodings():
    assert parse_document('\ufeff{"a": "ü"}'.encode()) == {"a": "ü"}
    with pytest.raises(DocumentInvalid) as caught:
        parse_document('{"a": "ü"}'.encode("latin-1"))
    assert "not UTF-8" in caught.value.problems[0][1]


def test_parse_refuses_what_python_accepts_but_json_does_not():
    with pytest.raises(DocumentInvalid) as caught:
        parse_document('{"DaysToWait": NaN}')
    assert caught.value.problems == [("$", "NaN is not a JSON value; write a number.")]
    with pytest.raises(DocumentInvalid) as caught:
        parse_document("[" * 100_000 + "]" * 100_000)
    assert "nests objects too deeply" in caught.value.problems[0][1]


def test_parse_refuses_duplicate_keys():
    with pytest.raises(DocumentInvalid) as caught:
        parse_document('{"StageName": "a", "StageName": "b"}')
    assert "“StageName” appears twice" in caught.value.problems[0][1]


# -- schema messages -------------------------------------------------------------------


@pytest.fixture
def document():
    return export(build_orchestration(stages=3, number="ORCH-DOC-SOURCE").number)


def test_schema_problems_are_all_collected_with_paths(document):
    document["FormatVersion"] = 2
    document["Stages"][0]["StageName"] = "n" * 101
    document["Stages"][1]["Colour"] = "red"
    step = document["Stages"][1]["Steps"][0]
    step["StepType"], step["ExecutionMethod"] = "WAIT", "AUTOMATIC"
    document["Stages"][1]["Steps"][1]["StepType"] = "FAX"
    document["Stages"][2]["Steps"][0]["DisplaySequence"] = "1"
    document["Stages"][2]["Steps"][1].update(FailureStepNumber=step["OrchestrationStepNumber"])
    document["Stages"][2]["Steps"][2].update(StepType="EMAIL_AUTOMATION")
    del document["Stages"][2]["StageObjectives"][0]["ObjectiveName"]
    assert schema_problems(document) == [
        ("$.FormatVersion", "must be 1, not 2."),
        ("$.Stages[0].StageName", "is 101 characters long; at most 100 are allowed."),
        ("$.Stages[1].Colour", "is not an attribute of this format; remove it or check its spelling."),
        ("$.Stages[1].Steps[0]", "A WAIT step needs DaysToWait or HoursToWait."),
        (
            "$.Stages[1].Steps[1].StepType",
            '"FAX" is not allowed here; use one of TASK, APPOINTMENT, NEXT_STAGE, WAIT, FIELD_UPDATE, '
            "EMAIL_AUTOMATION, STOP.",
        ),
        ("$.Stages[2].StageObjectives[0].ObjectiveName", "is missing."),
        ("$.Stages[2].Steps[0].DisplaySequence", "must be an integer, not a string."),
        ("$.Stages[2].Steps[1].SuccessCriteria", "is missing; a step with FailureStepNumber needs SuccessCriteria."),
        ("$.Stages[2].Steps[2].EmailTemplateId", "is missing; EMAIL_AUTOMATION steps need it."),
    ]


def test_schema_execution_method_message_names_the_type(document):
    document["Stages"][0]["Steps"][2]["ExecutionMethod"] = "MANUAL"
    assert schema_problems(document) == [
        ("$.Stages[0].Steps[2].ExecutionMethod", 'must be "AUTOMATIC" for a NEXT_STAGE step, not "MANUAL".')
    ]


def test_schema_problems_of_a_wrong_top_level():
    assert schema_problems([]) == [("$", "must be an object, not an array.")]


# -- orchestration_import --------------------------------------------------------------


def snapshot() -> dict:
    """Everything an import may touch, to prove a refused import changed nothing."""
    models = (Orchestration, Stage, StageObjective, Step, StepTask, StepObjectiveAssociation, IssuedNumber)
    state = {model.__name__: model.objects.count() for model in models}
    state["documents"] = [dumps_document(export(n)) for n in Orchestration.objects.values_list("number", flat=True)]
    state["versions"] = sorted(Orchestration.objects.values_list("number", "version"))
    return state


def renumbered(document, suffix: str):
    """The same content under new numbers (every "…Number" value gets the suffix), as another orchestration."""
    if isinstance(document, list):
        return [renumbered(item, suffix) for item in document]
    if isinstance(document, dict):
        return {
            key: f"{value}{suffix}" if key.endswith("Number") else renumbered(value, suffix)
            for key, value in document.items()
        }
    return document


def replace_number(document: dict, old: str, new: str) -> dict:
    return json.loads(dumps_document(document).replace(f'"{old}"', f'"{new}"'))


def test_import_creates_a_new_orchestration(document, designer):
    new = renumbered(document, "-COPY")
    result = orchestration_import(document=new, user=designer)
    assert result.created
    assert result.counts == {"stages": 3, "objectives": 6, "steps": 9, "step_tasks": 6, "associations": 6}
    assert result.summary() == (
        f"{new['OrchestrationNumber']} (3 stages, 6 objectives, 9 steps, 6 step tasks, 6 “serves” links)"
    )
    assert result.warnings == []
    assert dumps_document(export(new["OrchestrationNumber"])) == dumps_document(new)
    assert Orchestration.objects.get(number=new["OrchestrationNumber"]).updated_by == designer


def test_imported_numbers_are_never_issued_again(document, monkeypatch):
    new = renumbered(document, "-X")
    new["Stages"][0]["OrchestrationStageNumber"] = "ORCH-STG-ABCDEF01"  # a number the generator could draw
    orchestration_import(document=new)
    stage_number = new["Stages"][0]["OrchestrationStageNumber"]
    assert IssuedNumber.objects.filter(number=stage_number, kind="stage").exists()
    assert IssuedNumber.objects.filter(number=new["OrchestrationNumber"], kind="orchestration").exists()
    # Even if the random draw hits the imported number, issue_number draws again.
    draws = iter(["abcdef01", "0123abcd"])  # token_hex draws lower case
    monkeypatch.setattr("orchestrator.models.numbers.secrets.token_hex", lambda n: next(draws))
    Stage.objects.filter(number=stage_number).delete()
    assert issue_number("stage") == "ORCH-STG-0123ABCD"


def test_replace_keeps_identity_of_the_orchestration_and_of_kept_children(document, designer):
    number = document["OrchestrationNumber"]
    orch = Orchestration.objects.get(number=number)
    stage1 = document["Stages"][0]
    kept_step = Step.objects.get(number=stage1["Steps"][0]["OrchestrationStepNumber"])
    Step.objects.filter(pk=kept_step.pk).update(remote_id=4242)
    # Rename, reorder steps, drop the appointment (and its association), add a WAIT step before the call
    # (the Next stage step stays last, so every step can still run).
    document["OrchestrationName"] = "Renamed"
    stage1["Steps"][0]["DisplaySequence"] = 2
    dropped = stage1["Steps"].pop(1)
    stage1["StepObjectivesAssociations"] = [
        a
        for a in stage1["StepObjectivesAssociations"]
        if a["OrchestrationStepNumber"] != dropped["OrchestrationStepNumber"]
    ]
    stage1["Steps"].append(
        {
            "OrchestrationStepNumber": "ORCH-STP-NEW-WAIT",
            "OrchestrationStepName": "Give them a day",
            "StepType": "WAIT",
            "ExecutionMethod": "AUTOMATIC",
            "DisplaySequence": 1,
            "HoursToWait": 24,
            "AllowSkipFlag": False,
        }
    )
    stage1["StepObjectivesAssociations"].append(
        {
            "StepObjectiveAssocNumber": "ORCH-SOA-NEW-WAIT",
            "OrchestrationStepNumber": "ORCH-STP-NEW-WAIT",
            "StageObjectiveNumber": stage1["StageObjectives"][1]["StageObjectiveNumber"],
        }
    )
    result = orchestration_import(document=document, user=designer)
    assert not result.created
    orch_after = Orchestration.objects.get(number=number)
    assert orch_after.pk == orch.pk and orch_after.name == "Renamed" and orch_after.version == orch.version + 1
    kept_after = Step.objects.get(number=kept_step.number)
    assert (kept_after.pk, kept_after.remote_id, kept_after.display_sequence) == (kept_step.pk, 4242, 2)
    assert not Step.objects.filter(number=dropped["OrchestrationStepNumber"]).exists()
    names = [s["OrchestrationStepName"] for s in export(number)["Stages"][0]["Steps"]]
    assert names == ["Give them a day", "Call 1", "Advance 1"]


def test_replace_moves_children_between_parents_and_drops_a_stage(document):
    number = document["OrchestrationNumber"]
    stages = document["Stages"]
    # Stage 2 goes; its TASK step (with both step tasks) moves to stage 1, under new associations.
    moved = stages[1]["Steps"][0]
    moved_tasks = [
        t for t in stages[1]["StepTasks"] if t["OrchestrationStepNumber"] == moved["OrchestrationStepNumber"]
    ]
    task_pks = set(
        StepTask.objects.filter(number__in=[t["StepTasksNumber"] for t in moved_tasks]).values_list("pk", flat=True)
    )
    moved = {**moved, "DisplaySequence": 3}
    stages[0]["Steps"][2]["DisplaySequence"] = 4  # the Next stage step stays last, so the moved step can run
    stages[0]["Steps"].insert(2, moved)
    stages[0]["StepTasks"].extend(moved_tasks)
    # The association of stage 1's TASK step is swapped to the other objective and vice versa.
    first, second = stages[0]["StepObjectivesAssociations"]
    first["StageObjectiveNumber"], second["StageObjectiveNumber"] = (
        second["StageObjectiveNumber"],
        first["StageObjectiveNumber"],
    )
    stages[0]["Steps"][3]["NextStageValue"] = stages[2]["LifecycleAttrValue"]
    del stages[1]
    stages[1]["DisplaySequence"] = 2
    result = orchestration_import(document=document)
    assert result.counts["stages"] == 2
    assert (
        set(StepTask.objects.filter(step__number=moved["OrchestrationStepNumber"]).values_list("pk", flat=True))
        == task_pks
    )
    assert dumps_document(export(number)) == dumps_document(document)


def test_a_refused_import_changes_nothing(document):
    before = snapshot()
    document["OrchestrationName"] = "Changed"
    document["Stages"][0]["Steps"][0]["DaysToWait"] = 2  # not used by TASK steps: found only after building
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [
        (
            "$.Stages[0].Steps[0].DaysToWait",
            "Step “Call 1” is a task step but has days to wait, which task steps do not use; clear it.",
        )
    ]
    assert snapshot() == before


def test_numbers_of_another_orchestration_are_refused(document):
    other = build_orchestration(stages=1, number="ORCH-OTHER")
    taken = other.stages.get().steps.order_by("display_sequence").first().number
    new = renumbered(document, "-2")
    new = replace_number(new, new["Stages"][0]["Steps"][0]["OrchestrationStepNumber"], taken)
    before = snapshot()
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=new)
    assert caught.value.problems == [
        (
            "$.Stages[0].Steps[0].OrchestrationStepNumber",
            f"the number “{taken}” already belongs to orchestration ORCH-OTHER.",
        )
    ]
    assert snapshot() == before


def test_structure_problems(document):
    stage1, stage2 = document["Stages"][0], document["Stages"][1]
    stage1["StepTasks"][1]["StepTasksNumber"] = stage1["StepTasks"][0]["StepTasksNumber"]
    stage1["Steps"][2]["DisplaySequence"] = 1
    stage2["Steps"][0]["SuccessStepNumber"] = stage1["Steps"][2]["OrchestrationStepNumber"]
    stage2["StepTasks"][0]["OrchestrationStepNumber"] = stage2["Steps"][1]["OrchestrationStepNumber"]
    stage2["StepObjectivesAssociations"][1]["StageObjectiveNumber"] = "ORCH-OBJ-NOWHERE"
    stage2["StageObjectives"][0]["ObjectiveStatus"] = "NEW"
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    problems = caught.value.problems
    paths = [path for path, _ in problems]
    assert paths == [
        "$.Stages[0].StepTasks[1].StepTasksNumber",
        "$.Stages[0].Steps[2].DisplaySequence",
        "$.Stages[1].Steps[0].SuccessStepNumber",
        "$.Stages[1].StepTasks[0].OrchestrationStepNumber",
        "$.Stages[1].StepObjectivesAssociations[1].StageObjectiveNumber",
        "$.Stages[1].StageObjectives[0].ObjectiveStatus",
        "$.Stages[1].StageObjectives[1].ObjectiveStatus",
    ]
    messages = dict(problems)
    assert "already used at $.Stages[0].StepTasks[0]" in messages["$.Stages[0].StepTasks[1].StepTasksNumber"]
    assert "a step of stage “Stage 1”" in messages["$.Stages[1].Steps[0].SuccessStepNumber"]
    assert "only TASK steps have step tasks" in messages["$.Stages[1].StepTasks[0].OrchestrationStepNumber"]
    assert "has no objective with that number" in messages[paths[4]]
    assert "must be MAPPED" in messages["$.Stages[1].StageObjectives[0].ObjectiveStatus"]
    assert "must be NEW" in messages["$.Stages[1].StageObjectives[1].ObjectiveStatus"]


def test_duplicate_association_pair_is_refused(document):
    stage = document["Stages"][0]
    stage["StepObjectivesAssociations"].append(
        {**stage["StepObjectivesAssociations"][0], "StepObjectiveAssocNumber": "X"}
    )
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [
        (
            "$.Stages[0].StepObjectivesAssociations[2]",
            "links the same step and objective as $.Stages[0].StepObjectivesAssociations[0]; keep one of them.",
        )
    ]


def test_allow_incomplete_downgrades_only_completeness(document):
    stage2 = document["Stages"][1]
    served = stage2["StepObjectivesAssociations"].pop(0)["StageObjectiveNumber"]
    next(o for o in stage2["StageObjectives"] if o["StageObjectiveNumber"] == served)["ObjectiveStatus"] = "NEW"
    document["Stages"].append(
        {
            "OrchestrationStageNumber": "ORCH-STG-LATER",
            "DisplaySequence": 4,
            "StageName": "Later",
            "LifecycleAttrValue": "04 - Later",
            "ContainErrorsFlag": False,
            "StageObjectives": [],
            "Steps": [],
            "StepTasks": [],
            "StepObjectivesAssociations": [],
        }
    )
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert [p for p, _ in caught.value.problems] == [
        "$.Stages[1].StageObjectives[0]",
        "$.Stages[2]",
        "$.Stages[3]",
        "$.Stages[3]",
    ]
    result = orchestration_import(document=document, allow_incomplete=True)
    assert [p for p, _ in result.warnings] == [p for p, _ in caught.value.problems]
    assert "is not served by any step yet" in result.warnings[0][1]
    assert "has no “next stage” step" in result.warnings[1][1]

    document["Stages"][0]["Steps"][0]["SuccessCriteria"] = "not json"
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document, allow_incomplete=True)
    assert [p for p, _ in caught.value.problems] == ["$.Stages[0].Steps[0].SuccessCriteria"]


def test_blank_name_is_mapped_to_its_attribute(document):
    document["Stages"][1]["StageObjectives"][1]["ObjectiveName"] = "   "
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems[0][0] == "$.Stages[1].StageObjectives[1].ObjectiveName"


def test_model_validation_errors_are_reported_with_paths(document):
    document["Stages"][0]["Steps"][0]["ActivityTemplateId"] = 10**30  # beyond NUMBER(18) / bigint
    before = snapshot()
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems[0][0] == "$.Stages[0].Steps[0].ActivityTemplateId"
    assert snapshot() == before


def test_import_user_is_optional(document):
    assert orchestration_import(document=document, user=None).orchestration.updated_by is None
    assert not User.objects.exists()


def _import_queries(stages: int) -> tuple[int, int]:
    orch = build_orchestration(stages=stages)
    document = export(orch.number)
    with CaptureQueriesContext(connection) as replace:
        orchestration_import(document=document)
    orch.delete()
    with CaptureQueriesContext(connection) as create:
        orchestration_import(document=document)
    return len(replace.captured_queries), len(create.captured_queries)


def test_import_query_count_does_not_grow_with_size():
    assert _import_queries(2) == _import_queries(25)


_JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**18), max_value=10**18) | _JSON_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_JSON_TEXT, children, max_size=4),
    max_leaves=30,
)


@given(_JSON_VALUES)
def test_the_fast_document_text_is_exactly_the_standard_one(value):
    document = {"FormatVersion": 1, "value": value}
    assert dumps_document(document) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
