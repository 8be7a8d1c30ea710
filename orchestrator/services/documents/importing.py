"""Import of an orchestration document (payload-contract §6): all or nothing."""

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from django.db import IntegrityError
from django.db.models import F

from ... import selectors
from ...models import (
    Orchestration,
    OrchestrationStatus,
    RevisionAction,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    register_numbers,
)
from ...validation import COMPLETENESS_CODES, validate_orchestration
from ..editors import draft_editor_record
from ..rows import update_rows
from .checks import (
    DocumentInvalid,
    NumberIndex,
    PathProblem,
    StructureCheck,
    foreign_number_problems,
    json_path,
    plural,
    schema_problems,
    text_problems,
)
from .export import FIELD_ATTRIBUTES, STEP_SETTING_ATTRIBUTES


@dataclasses.dataclass
class ImportResult:
    """What an import did: the orchestration (as a loaded tree), whether it is new, counts, warnings."""

    orchestration: Orchestration
    created: bool
    counts: dict[str, int]
    warnings: list[PathProblem] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """E.g. "ORCH-DEMO-B2B (5 stages, 12 objectives, 18 steps, 6 step tasks, 14 “serves” links)"."""
        labels = (
            ("stages", "stage"),
            ("objectives", "objective"),
            ("steps", "step"),
            ("step_tasks", "step task"),
            ("associations", "“serves” link"),
        )
        parts = [plural(self.counts[key], label) for key, label in labels]
        return f"{self.orchestration.number} ({', '.join(parts)})"


def _clean(obj, path: str, problems: list[PathProblem], kind: str, exclude: list[str]) -> None:
    """full_clean before saving; uniqueness was checked for the whole file above, the constraints stay the guard."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ModelValidationError as exc:
        for name, messages in exc.message_dict.items():
            attribute = FIELD_ATTRIBUTES[kind].get(name)
            problems.extend((f"{path}.{attribute}" if attribute else path, message) for message in messages)


def _by_sequence(items: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """(original index, item) in DisplaySequence order; stored as 1..n."""
    return sorted(enumerate(items), key=lambda pair: pair[1]["DisplaySequence"])


def _step_fields(step: Step, doc: dict[str, Any]) -> None:
    step.name = doc["OrchestrationStepName"]
    step.step_type = doc["StepType"]
    for field_name, attribute in STEP_SETTING_ATTRIBUTES:
        if field_name in ("success_step", "failure_step"):
            continue  # linked once every step of the file exists
        default = Step._meta.get_field(field_name).get_default()
        value = doc.get(attribute, default)
        setattr(step, field_name, int(value) if isinstance(value, float) else value)


def _history():
    """services.history, imported when first needed: it reads documents, so it cannot be imported by them first."""
    from .. import history

    return history


@dataclasses.dataclass
class _Built:
    """Every row of the imported tree as written, to validate without reading it back."""

    stages: list = dataclasses.field(default_factory=list)
    objectives: list = dataclasses.field(default_factory=list)
    steps: list = dataclasses.field(default_factory=list)
    tasks: list = dataclasses.field(default_factory=list)
    associations: list = dataclasses.field(default_factory=list)


def _build(
    document: dict[str, Any], index: NumberIndex, user, built: _Built
) -> tuple[Orchestration, bool, list[PathProblem]]:
    """Create or update the orchestration and make its tree exactly the document's.

    Objects keep their row (and remote id) when their number stays; rows whose
    number left the file are deleted last, after every kept child has moved to
    its new parent, so a cascade cannot take a kept object with it.
    """
    problems: list[PathProblem] = []
    number = document["OrchestrationNumber"]
    orch = Orchestration.objects.select_for_update().filter(number=number).first()
    created = orch is None
    if created:
        orch = Orchestration(number=number)
    elif orch.status == OrchestrationStatus.ARCHIVED:
        problems.append(
            ("$.OrchestrationNumber", f"{number} is archived here and read-only: restore it before replacing it.")
        )
        return orch, created, problems
    else:
        _history().before_change(orch.pk)  # the content as it was, before the header and the tree change
        orch.version += 1
        orch.tree_revision += 1  # locked above: one write after the state it read
    orch.name = document["OrchestrationName"]
    orch.description = document.get("OrchestrationDescription", "")
    orch.object_code = document["ObjectCode"]
    orch.lifecycle_attribute_name = document["LifecycleAttributeName"]
    orch.association_rank = document.get("AssociationRank")
    orch.updated_by = user if getattr(user, "pk", None) else None
    _clean(orch, "$", problems, "orchestration", ["updated_by", "number"])
    if problems:
        return orch, created, problems
    orch.save()
    draft_editor_record(orchestration_id=orch.pk, user=orch.updated_by)  # an import (or pull) writes the content
    if created:
        _history().before_change(orch.pk, new=True)

    old_stages = {s.number: s for s in Stage.objects.filter(orchestration=orch)}
    old_objectives = {o.number: o for o in StageObjective.objects.filter(stage__orchestration=orch)}
    old_steps = {s.number: s for s in Step.objects.filter(stage__orchestration=orch)}
    old_tasks = {t.number: t for t in StepTask.objects.filter(step__stage__orchestration=orch)}
    old_associations = {
        a.number: a
        for a in StepObjectiveAssociation.objects.filter(step__stage__orchestration=orch).select_related(
            "step", "objective"
        )
    }
    if not created:
        # Park every kept row on a negative sequence (unique: -pk) so the final 1..n never collide.
        for model, ids in (
            (Stage, [s.pk for s in old_stages.values()]),
            (StageObjective, [o.pk for o in old_objectives.values()]),
            (Step, [s.pk for s in old_steps.values()]),
            (StepTask, [t.pk for t in old_tasks.values()]),
        ):
            model.objects.filter(pk__in=ids).update(display_sequence=-F("pk"))

    wanted_pairs = {
        a["StepObjectiveAssocNumber"]: (a["OrchestrationStepNumber"], a["StageObjectiveNumber"])
        for stage in document["Stages"]
        for a in stage.get("StepObjectivesAssociations", [])
    }
    # Associations have no children: drop the ones that go or change their pair now, before
    # (step, objective) pairs move around and the unique constraint could trip.
    stale = [a.pk for n, a in old_associations.items() if wanted_pairs.get(n) != (a.step.number, a.objective.number)]
    StepObjectiveAssociation.objects.filter(pk__in=stale).delete()

    def upsert(model, old: dict, items: list[tuple[str, dict, Any]], kind: str, exclude: list[str], fields: list[str]):
        """items: (path, document item, filler) → saved objects by number."""
        to_create, to_update, saved = [], [], {}
        for path, item, fill in items:
            item_number = item[FIELD_ATTRIBUTES[kind]["number"]]
            obj = old.get(item_number)
            if obj is None:
                obj = model(number=item_number)
                to_create.append(obj)
            else:
                obj.version += 1
                to_update.append(obj)
            fill(obj)
            _clean(obj, path, problems, kind, exclude)
            saved[item_number] = obj
        if problems:
            return saved
        update_rows(model, to_update, [*fields, "version"])
        model.objects.bulk_create(to_create)
        return saved

    stage_items = []
    for position, (i, stage) in enumerate(_by_sequence(document["Stages"]), start=1):

        def fill_stage(obj, stage=stage, position=position):
            obj.orchestration = orch
            obj.display_sequence = position
            obj.name = stage["StageName"]
            obj.description = stage.get("StageDescription", "")
            obj.lifecycle_attr_value = stage["LifecycleAttrValue"]
            outreach = stage.get("Outreach", {})  # optional; documents from before issue 8 have none
            obj.outreach_color = outreach.get("color", "").lower()
            obj.outreach_is_closed = outreach.get("isClosed")

        stage_items.append((json_path("Stages", i), stage, fill_stage))
    stages = upsert(
        Stage,
        old_stages,
        stage_items,
        "stage",
        ["orchestration"],
        [
            "orchestration",
            "display_sequence",
            "name",
            "description",
            "lifecycle_attr_value",
            "outreach_color",
            "outreach_is_closed",
        ],
    )
    if problems:
        return orch, created, problems

    objective_items, step_items = [], []
    for i, stage in enumerate(document["Stages"]):
        parent = stages[stage["OrchestrationStageNumber"]]
        for position, (j, objective) in enumerate(_by_sequence(stage.get("StageObjectives", [])), start=1):

            def fill_objective(obj, objective=objective, position=position, parent=parent):
                obj.stage = parent
                obj.display_sequence = position
                obj.name = objective["ObjectiveName"]
                obj.description = objective.get("ObjectiveDescription", "")

            objective_items.append((json_path("Stages", i, "StageObjectives", j), objective, fill_objective))
        for position, (j, step) in enumerate(_by_sequence(stage.get("Steps", [])), start=1):

            def fill_step(obj, step=step, position=position, parent=parent):
                obj.stage = parent
                obj.display_sequence = position
                _step_fields(obj, step)

            step_items.append((json_path("Stages", i, "Steps", j), step, fill_step))
    objectives = upsert(
        StageObjective,
        old_objectives,
        objective_items,
        "objective",
        ["stage"],
        ["stage", "display_sequence", "name", "description"],
    )
    step_fields = ["stage", "display_sequence", "name", "step_type"] + [
        f for f, _ in STEP_SETTING_ATTRIBUTES if f not in ("success_step", "failure_step")
    ]
    steps = upsert(Step, old_steps, step_items, "step", ["stage", "success_step", "failure_step"], step_fields)
    if problems:
        return orch, created, problems
    for stage in document["Stages"]:
        for step in stage.get("Steps", []):
            obj = steps[step["OrchestrationStepNumber"]]
            obj.success_step = steps[step["SuccessStepNumber"]] if "SuccessStepNumber" in step else None
            obj.failure_step = steps[step["FailureStepNumber"]] if "FailureStepNumber" in step else None
    update_rows(Step, list(steps.values()), ["success_step", "failure_step"])

    task_items = []
    for i, stage in enumerate(document["Stages"]):
        tasks_by_step: dict[str, list[tuple[int, dict]]] = {}
        for j, task in enumerate(stage.get("StepTasks", [])):
            tasks_by_step.setdefault(task["OrchestrationStepNumber"], []).append((j, task))
        for step_number, tasks in tasks_by_step.items():
            ordered = sorted(tasks, key=lambda pair: pair[1]["DisplaySequence"])
            for position, (j, task) in enumerate(ordered, start=1):

                def fill_task(obj, task=task, position=position, parent=steps[step_number]):
                    obj.step = parent
                    obj.display_sequence = position
                    obj.activity_template_id = int(task["ActivityTemplateId"])
                    obj.activity_id = int(task["ActivityId"])
                    obj.smart_action_id = int(task["SmartActionId"]) if "SmartActionId" in task else None
                    obj.assigned_to = task.get("AssignedTo", "")

                task_items.append((json_path("Stages", i, "StepTasks", j), task, fill_task))
    tasks = upsert(
        StepTask,
        old_tasks,
        task_items,
        "step_task",
        ["step"],
        ["step", "display_sequence", "activity_template_id", "activity_id", "smart_action_id", "assigned_to"],
    )
    if problems:
        return orch, created, problems

    kept_associations = {n for n, a in old_associations.items() if a.pk not in stale}
    new_associations = StepObjectiveAssociation.objects.bulk_create(
        [
            StepObjectiveAssociation(number=n, step=steps[step_number], objective=objectives[objective_number])
            for n, (step_number, objective_number) in wanted_pairs.items()
            if n not in kept_associations
        ]
    )
    built.stages = list(stages.values())
    built.objectives = list(objectives.values())
    built.steps = list(steps.values())
    built.tasks = list(tasks.values())
    built.associations = [old_associations[n] for n in kept_associations] + new_associations

    # Rows whose numbers left the file: children first; every kept child has its new parent by now.
    StepTask.objects.filter(pk__in=[t.pk for n, t in old_tasks.items() if n not in index.paths]).delete()
    Step.objects.filter(pk__in=[s.pk for n, s in old_steps.items() if n not in index.paths]).delete()
    StageObjective.objects.filter(pk__in=[o.pk for n, o in old_objectives.items() if n not in index.paths]).delete()
    Stage.objects.filter(pk__in=[s.pk for n, s in old_stages.items() if n not in index.paths]).delete()

    for kind, numbers in index.kinds.items():
        register_numbers(kind, numbers)
    return orch, created, problems


def orchestration_import(
    *, document: Any, user=None, allow_incomplete: bool = False, draft: bool = False
) -> ImportResult:
    """Create or replace the draft the document describes, or change nothing at all.

    The whole document is checked first: the JSON Schema (all errors), then
    numbers and references, then the built tree is validated inside the
    transaction. Any problem raises `DocumentInvalid` with every
    (JSON path, message) and rolls everything back. With `allow_incomplete`,
    problems that only say the design is unfinished (`COMPLETENESS_CODES`:
    an objective not served, a stage without steps, …) become warnings.

    An existing orchestration with the same number is replaced in place: its
    row (and every child whose number is still in the file) keeps its identity,
    so records that point at it stay valid; an archived one is never replaced.
    Imported numbers are registered so they are never issued again.

    `draft`: the document is one of our own revisions (`services.history`),
    possibly of an unfinished draft, so the schema's and the validation's rules
    about a complete orchestration do not apply; numbers and references are
    still checked. The import is one revision of the draft (or joins the
    caller's: a pull, a restore).
    """
    problems = text_problems(document) or ([] if draft else schema_problems(document))
    if problems:
        raise DocumentInvalid(problems)
    problems, index = StructureCheck(document).run()
    problems += foreign_number_problems(document["OrchestrationNumber"], index)
    if problems:
        raise DocumentInvalid(problems)

    warnings: list[PathProblem] = []
    try:
        with _history().revision_scope(user=user, action=RevisionAction.IMPORT):
            built = _Built()
            orch, created, problems = _build(document, index, user, built)
            if problems:
                raise DocumentInvalid(problems)
            # The rows as just written are the tree: validate them without reading them back.
            tree = selectors.tree_of(
                orch,
                stages=built.stages,
                objectives=built.objectives,
                steps=built.steps,
                tasks=built.tasks,
                associations=built.associations,
            )
            found = validate_orchestration(tree)
            for problem in [] if draft else found:
                entry = (index.problem_path(problem), problem.message)
                if allow_incomplete and problem.code in COMPLETENESS_CODES:
                    warnings.append(entry)
                else:
                    problems.append(entry)
            if problems:
                raise DocumentInvalid(problems)
            _history().written_tree(tree, len(found))
    except IntegrityError as exc:
        # Another import or edit took a number or position between our checks and the writes.
        raise DocumentInvalid(
            [("$", f"The database refused the import ({exc}); nothing was changed, try again.")]
        ) from exc

    stages = document["Stages"]
    counts = {
        "stages": len(stages),
        "objectives": sum(len(s.get("StageObjectives", [])) for s in stages),
        "steps": sum(len(s.get("Steps", [])) for s in stages),
        "step_tasks": sum(len(s.get("StepTasks", [])) for s in stages),
        "associations": sum(len(s.get("StepObjectivesAssociations", [])) for s in stages),
    }
    return ImportResult(orchestration=tree, created=created, counts=counts, warnings=warnings)
