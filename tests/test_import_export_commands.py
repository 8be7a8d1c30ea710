"""manage.py export_orchestration / import_orchestration."""

# The look-alike characters (en dash, full-width question mark) are the point: unicode must survive.
# ruff: noqa: RUF001

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orchestrator.models import (
    AssignedTo,
    IssuedNumber,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

UMLAUT = "Qualifizierung – Bedarf prüfen ✓"
JAPANESE = "商談の資格確認とニーズの把握"
EMOJI = "Kick-off 🚀🤝 call"


def fill(text: str, length: int) -> str:
    """`text` repeated and cut to exactly `length` characters (code points, as the contract counts)."""
    return (text * (length // len(text) + 1))[:length]


def number(prefix: str, tag: str) -> str:
    return fill(f"{prefix}{tag}-", 64)


def build_rich_orchestration() -> Orchestration:
    """Every step type, links with criteria, unicode everywhere, every length at its maximum."""
    orch = Orchestration.objects.create(
        number=number("ORCH-", "RICH"),
        name=fill(UMLAUT, 100),
        description=fill(f"{JAPANESE} {EMOJI}\n", 2000),
        object_code="Opportunity",
        lifecycle_attribute_name=fill("SalesStage", 100),
        association_rank=3,
    )
    first = Stage.objects.create(
        orchestration=orch,
        number=number("ORCH-STG-", "A"),
        display_sequence=1,
        name=UMLAUT,
        description=fill("Beschreibung — “Zitat” ", 2000),
        lifecycle_attr_value=fill("01 - Qualifizierung ✓", 100),
    )
    second = Stage.objects.create(
        orchestration=orch,
        number=number("ORCH-STG-", "B"),
        display_sequence=2,
        name=fill(JAPANESE, 100),
        lifecycle_attr_value=fill("02 - 提案 📄", 100),
    )
    goal = StageObjective.objects.create(
        stage=first,
        number=number("ORCH-OBJ-", "A1"),
        display_sequence=1,
        name=fill(EMOJI, 100),
        description=fill("Ziel ✓ ", 2000),
    )
    other_goal = StageObjective.objects.create(stage=first, display_sequence=2, name="Budget bestätigt")
    final_goal = StageObjective.objects.create(stage=second, display_sequence=1, name="契約締結")
    call = Step.objects.create(
        stage=first,
        number=number("ORCH-STP-", "A1"),
        display_sequence=1,
        name=fill(UMLAUT, 100),
        step_type=StepType.TASK,
        suggestion_text=fill("Frag nach dem Budget – 予算は？ 💶 ", 1000),
        activity_template_id=300100000000101,
        smart_action_id=300100000000999,
        grace_period=0,
        allow_skip=True,
    )
    meeting = Step.objects.create(
        stage=first, display_sequence=2, name="Termin 📅", step_type=StepType.APPOINTMENT, activity_template_id=12
    )
    pause = Step.objects.create(
        stage=first, display_sequence=3, name="Warten", step_type=StepType.WAIT, hours_to_wait=0
    )
    update = Step.objects.create(
        stage=first,
        display_sequence=4,
        name="Wahrscheinlichkeit",
        step_type=StepType.FIELD_UPDATE,
        field_update_json='{"WinProb": 20, "Comments": "geprüft ✓ 🚀"}',
    )
    mail = Step.objects.create(
        stage=first,
        display_sequence=5,
        name="Mail",
        step_type=StepType.EMAIL_AUTOMATION,
        email_template_id=300100000000777,
        wait_for_replies=True,
    )
    advance = Step.objects.create(
        stage=first,
        display_sequence=6,
        name="Weiter",
        step_type=StepType.NEXT_STAGE,
        next_stage_value=second.lifecycle_attr_value,
    )
    call.success_step, call.failure_step = meeting, pause
    call.success_criteria = '{"StatusCode": "COMPLETE", "Note": "erledigt ✓"}'
    call.save()
    meeting.success_step = advance
    meeting.save()
    stop = Step.objects.create(
        stage=second, display_sequence=1, name="終了", step_type=StepType.STOP, exit_orchestration=True
    )
    StepTask.objects.create(
        step=call,
        number=number("ORCH-TSK-", "A1"),
        display_sequence=1,
        activity_template_id=300100000000101,
        activity_id=300100000000201,
        smart_action_id=300100000000301,
        assigned_to=AssignedTo.TEAM_MEMBER,
    )
    StepTask.objects.create(step=call, display_sequence=2, activity_template_id=1, activity_id=2)
    StepObjectiveAssociation.objects.create(step=call, objective=goal, number=number("ORCH-SOA-", "A1"))
    StepObjectiveAssociation.objects.create(step=update, objective=other_goal)
    StepObjectiveAssociation.objects.create(step=mail, objective=goal)
    StepObjectiveAssociation.objects.create(step=stop, objective=final_goal)
    return orch


def export_text(orch_number: str) -> str:
    out = io.StringIO()
    call_command("export_orchestration", orch_number, stdout=out)
    return out.getvalue()


def run_import(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orchestration", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused_import(path, *args) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_orchestration", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 2
    assert "nothing was imported" in str(caught.value)
    return err.getvalue()


def state() -> dict:
    models = (Orchestration, Stage, StageObjective, Step, StepTask, StepObjectiveAssociation, IssuedNumber)
    counts = {model.__name__: model.objects.count() for model in models}
    return {
        "counts": counts,
        "exports": {n: export_text(n) for n in Orchestration.objects.values_list("number", flat=True)},
    }


# -- export ---------------------------------------------------------------------------


def test_export_to_stdout_is_the_document():
    orch = build_orchestration(stages=2)
    text = export_text(orch.number)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    doc = json.loads(text)
    assert doc["FormatVersion"] == 1 and doc["OrchestrationNumber"] == orch.number and len(doc["Stages"]) == 2


def test_export_to_a_file(tmp_path):
    orch = build_rich_orchestration()
    target = tmp_path / "out.json"
    err = io.StringIO()
    call_command("export_orchestration", orch.number, "-o", str(target), stderr=err, stdout=io.StringIO())
    assert target.read_bytes() == export_text(orch.number).encode("utf-8")
    assert UMLAUT.encode() in target.read_bytes(), "unicode is written as itself, not escaped"
    assert f"Exported {orch.number}" in err.getvalue()


def test_export_of_an_unknown_number_fails_clearly():
    with pytest.raises(CommandError) as caught:
        call_command("export_orchestration", "ORCH-NOPE", stdout=io.StringIO())
    assert caught.value.returncode == 1
    assert str(caught.value) == "No orchestration has the number ORCH-NOPE."


# -- round trips ---------------------------------------------------------------------------


def test_round_trip_is_byte_identical_with_unicode_and_maximum_lengths(tmp_path):
    orch = build_rich_orchestration()
    first = export_text(orch.number)
    assert '"ORCH-RICH-ORCH-RICH' in first and len(orch.number) == 64
    path = tmp_path / "rich.json"
    path.write_bytes(first.encode("utf-8"))

    out, err = run_import(path, "--replace")  # replaces the draft with itself
    assert out.startswith(f"Replacing the draft {orch.number}: 0 change(s).\nImported {orch.number} (2 stages")
    assert "(2 stages, 3 objectives, 7 steps, 2 step tasks, 4 “serves” links)" in out
    assert "replaced the existing draft" in out and err == ""
    assert export_text(orch.number) == first

    Orchestration.objects.all().delete()  # and into an empty database
    out, _ = run_import(path)
    assert "replaced" not in out
    assert export_text(orch.number) == first


def test_round_trip_of_a_larger_draft(tmp_path):
    orch = build_orchestration(stages=12)
    first = export_text(orch.number)
    path = tmp_path / "big.json"
    path.write_text(first, encoding="utf-8")
    run_import(path, "--replace")
    assert export_text(orch.number) == first


def test_import_replaces_an_existing_draft(tmp_path):
    orch = build_orchestration(stages=3)
    doc = json.loads(export_text(orch.number))
    doc["OrchestrationName"] = "Neu – überarbeitet"
    doc["Stages"][2]["StageName"] = "Abschluss"
    path = tmp_path / "edit.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    err = refused_import(path)  # never silently: the summary, then exit 2 and nothing changed
    assert "  would change: Orchestration renamed: “Test playbook” → “Neu – überarbeitet”." in err
    assert "pass --replace to replace it (2 change(s), listed above), or --as-copy NUMBER" in err
    orch.refresh_from_db()
    assert orch.name == "Test playbook"
    out, _ = run_import(path, "--replace")
    assert "  Stage renamed: “Stage 3” → “Abschluss”." in out
    assert f"Imported {orch.number} (3 stages" in out
    orch.refresh_from_db()
    assert orch.name == "Neu – überarbeitet"
    assert Stage.objects.get(orchestration=orch, display_sequence=3).name == "Abschluss"
    assert Orchestration.objects.count() == 1


# -- refused files change nothing ------------------------------------------------------------------


@pytest.fixture
def existing():
    """A draft that a refused import must leave exactly as it was, and its document to break."""
    orch = build_orchestration(stages=3, number="ORCH-KEEP")
    build_orchestration(stages=1, number="ORCH-BYSTANDER")
    return json.loads(export_text(orch.number))


def _write(tmp_path, content) -> str:
    path = tmp_path / "broken.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _break(doc, how):
    stages = doc["Stages"]
    if how == "wrong types":
        stages[0]["DisplaySequence"] = "first"
        stages[1]["Steps"][0]["AllowSkipFlag"] = "yes"
    elif how == "too long":
        doc["OrchestrationName"] = "x" * 101
    elif how == "dangling reference":
        stages[1]["StepTasks"][0]["OrchestrationStepNumber"] = "ORCH-STP-GONE"
    elif how == "duplicate numbers":
        stages[2]["StageObjectives"][1]["StageObjectiveNumber"] = stages[2]["StageObjectives"][0][
            "StageObjectiveNumber"
        ]
    elif how == "unknown step type":
        stages[0]["Steps"][1]["StepType"] = "TELEPORT"
    elif how == "cross-stage association":
        stages[0]["StepObjectivesAssociations"][0]["StageObjectiveNumber"] = stages[1]["StageObjectives"][0][
            "StageObjectiveNumber"
        ]
    elif how == "rule found after building":
        stages[0]["Steps"][2]["NextStageValue"] = stages[0]["LifecycleAttrValue"]
    return doc


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (
            "wrong types",
            [
                "$.Stages[0].DisplaySequence: must be an integer, not a string.",
                "$.Stages[1].Steps[0].AllowSkipFlag: must be a boolean, not a string.",
            ],
        ),
        ("too long", ["$.OrchestrationName: is 101 characters long; at most 100 are allowed."]),
        (
            "dangling reference",
            [
                "$.Stages[1].StepTasks[0].OrchestrationStepNumber: names “ORCH-STP-GONE”, but "
                "stage “Stage 2” has no step with that number."
            ],
        ),
        ("duplicate numbers", ["$.Stages[2].StageObjectives[1].StageObjectiveNumber: the number"]),
        ("unknown step type", ['$.Stages[0].Steps[1].StepType: "TELEPORT" is not allowed here']),
        (
            "cross-stage association",
            [
                "$.Stages[0].StepObjectivesAssociations[0].StageObjectiveNumber: names",
                "an objective of stage “Stage 2”; references must stay inside stage “Stage 1”.",
            ],
        ),
        (
            "rule found after building",
            ["$.Stages[0].Steps[2].NextStageValue: Step “Advance 1” moves to “01 - Stage 1”, which is this same stage"],
        ),
    ],
)
def test_invalid_file_changes_nothing_and_names_the_problem(tmp_path, existing, how, expected):
    before = state()
    stderr = refused_import(_write(tmp_path, _break(existing, how)))
    for fragment in expected:
        assert fragment in stderr
    assert state() == before


def test_bad_json_reports_line_and_column(tmp_path, existing):
    before = state()
    text = json.dumps(existing, indent=2).replace('"StageName": "Stage 2",', '"StageName": "Stage 2"', 1)
    stderr = refused_import(_write(tmp_path, text))
    assert stderr.startswith("$: The file is not valid JSON: Expecting ',' delimiter at line ")
    assert "column" in stderr
    assert state() == before


def test_missing_file_is_a_plain_error(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_orchestration", str(tmp_path / "nope.json"), stdout=io.StringIO())
    assert caught.value.returncode == 1
    assert "Cannot read" in str(caught.value)


def test_every_problem_is_printed_one_per_line(tmp_path, existing):
    existing["OrchestrationName"] = ""
    existing["Stages"][0]["Steps"][0]["StepType"] = "TELEPORT"
    existing["Stages"][2]["Foo"] = 1
    lines = refused_import(_write(tmp_path, existing)).splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [
        "$.OrchestrationName",
        "$.Stages[0].Steps[0].StepType",
        "$.Stages[2].Foo",
    ]


def test_allow_incomplete_imports_with_warnings(tmp_path, existing):
    stage = existing["Stages"][1]
    stage["StepObjectivesAssociations"] = stage["StepObjectivesAssociations"][1:]
    stage["StageObjectives"][0]["ObjectiveStatus"] = "NEW"
    path = _write(tmp_path, existing)
    stderr = refused_import(path)
    assert "$.Stages[1].StageObjectives[0]: Objective “Objective 2.1” in stage “Stage 2” is not served" in stderr
    out, err = run_import(path, "--allow-incomplete", "--replace")
    assert "Imported ORCH-KEEP (3 stages, 6 objectives, 9 steps, 6 step tasks, 5 “serves” links)" in out
    assert err.startswith("warning: $.Stages[1].StageObjectives[0]: Objective “Objective 2.1”")


def test_as_copy_imports_under_a_new_number_with_fresh_child_numbers(tmp_path):
    orch = build_orchestration(stages=2)
    path = tmp_path / "copy.json"
    path.write_text(export_text(orch.number), encoding="utf-8")
    out, _ = run_import(path, "--as-copy", "ORCH-COPY-1")
    assert out.startswith("Imported ORCH-COPY-1 (2 stages")
    original = json.loads(export_text(orch.number))
    copy = json.loads(export_text("ORCH-COPY-1"))
    numbers = lambda doc: {  # noqa: E731
        value for stage in doc["Stages"] for key, value in _walk(stage) if key.endswith("Number")
    }
    assert numbers(original).isdisjoint(numbers(copy))
    assert [s["StageName"] for s in copy["Stages"]] == [s["StageName"] for s in original["Stages"]]
    assert export_text(orch.number) == json.dumps(original, indent=2, ensure_ascii=False) + "\n"  # untouched
    err = refused_import(path, "--as-copy", "ORCH-COPY-1")  # numbers are never reused
    assert "The number ORCH-COPY-1 is already used" in err
    with pytest.raises(CommandError, match="cannot be combined"):
        run_import(path, "--as-copy", "X", "--replace")


def _walk(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
