"""What a deletion takes with it: the words for the confirmation, and a snapshot to undo it.

Reads only. `deletion_summary` lists the cascade in the interface's words;
`deletion_snapshot` serialises every row the deletion removes, plus the links
from other steps it clears, so `drafts.draft_restore` can put all of it back
under the same numbers (the same objects, so publishing stays idempotent).
Both cost a fixed number of queries.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core import serializers
from django.db.models import Model, Q

from ..models import Stage, StageObjective, Step, StepObjectiveAssociation, StepTask

SNAPSHOT_FORMAT = 1
KIND_OF = {Stage: "stage", StageObjective: "objective", Step: "step", StepTask: "step_task"}
PARENT_OF = {Stage: "orchestration", StageObjective: "stage", Step: "stage", StepTask: "step"}


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting an object removes with it, in words the confirmation shows."""

    kind: str
    name: str
    consequences: list[str] = field(default_factory=list)
    # What `drafts.draft_restore` needs to undo the deletion (filled by the delete services).
    snapshot: dict[str, Any] = field(default_factory=dict)


def _names(objs: Iterable[Model], attr: str = "name") -> str:
    return ", ".join(f"“{getattr(o, attr)}”" for o in objs)


# A step serves an objective: the interface calls the association by that one word everywhere.
SERVES_LINK = "“serves” link"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def deletion_summary(obj: Model) -> DeletionSummary:
    """What goes with `obj` when it is deleted (for the confirmation and the message after)."""
    lines: list[str] = []
    if isinstance(obj, Stage):
        objectives = list(obj.objectives.order_by("display_sequence"))
        steps = list(obj.steps.order_by("display_sequence"))
        tasks = StepTask.objects.filter(step__stage=obj).count()
        associations = StepObjectiveAssociation.objects.filter(step__stage=obj).count()
        if objectives:
            lines.append(f"{_plural(len(objectives), 'objective')}: {_names(objectives)}")
        if steps:
            lines.append(f"{_plural(len(steps), 'step')}: {_names(steps)}")
        if tasks:
            lines.append(_plural(tasks, "step task"))
        if associations:
            lines.append(_plural(associations, SERVES_LINK))
        return DeletionSummary("stage", obj.name, lines)
    if isinstance(obj, StageObjective):
        steps = [a.step for a in obj.associations.select_related("step").order_by("step__display_sequence")]
        if steps:
            lines.append(f"{_plural(len(steps), SERVES_LINK)}: no longer served by {_names(steps)}")
        return DeletionSummary("objective", obj.name, lines)
    if isinstance(obj, Step):
        tasks = obj.tasks.count()
        objectives = [a.objective for a in obj.associations.select_related("objective")]
        linking = list(
            Step.objects.filter(Q(success_step=obj) | Q(failure_step=obj), stage_id=obj.stage_id)
            .exclude(pk=obj.pk)
            .order_by("display_sequence")
        )
        if tasks:
            lines.append(_plural(tasks, "step task"))
        if objectives:
            lines.append(f"{_plural(len(objectives), SERVES_LINK)}: stops serving {_names(objectives)}")
        if linking:
            lines.append(f"links from {_names(linking)} are cleared")
        return DeletionSummary("step", obj.name, lines)
    if isinstance(obj, StepTask):
        return DeletionSummary("step task", f"Task {obj.display_sequence}", lines)
    raise TypeError(f"cannot summarise the deletion of {type(obj).__name__}")


def _orchestration_id(obj: Model) -> int:
    if isinstance(obj, Stage):
        return obj.orchestration_id
    if isinstance(obj, StageObjective | Step):
        return obj.stage.orchestration_id
    return obj.step.stage.orchestration_id


def _subtree(obj: Model) -> list[Model]:
    """Every row deleting `obj` removes, parents before children."""
    if isinstance(obj, Stage):
        return [
            obj,
            *StageObjective.objects.filter(stage=obj).order_by("pk"),
            *Step.objects.filter(stage=obj).order_by("pk"),
            *StepTask.objects.filter(step__stage=obj).order_by("pk"),
            *StepObjectiveAssociation.objects.filter(Q(step__stage=obj) | Q(objective__stage=obj)).order_by("pk"),
        ]
    if isinstance(obj, StageObjective):
        return [obj, *StepObjectiveAssociation.objects.filter(objective=obj).order_by("pk")]
    if isinstance(obj, Step):
        return [
            obj,
            *StepTask.objects.filter(step=obj).order_by("pk"),
            *StepObjectiveAssociation.objects.filter(step=obj).order_by("pk"),
        ]
    return [obj]


def _incoming_links(obj: Model) -> list[dict[str, Any]]:
    """Links from steps that survive the deletion to steps it removes (they are cleared, and come back on undo)."""
    if isinstance(obj, Stage):
        removed = Q(stage=obj)
    elif isinstance(obj, Step):
        removed = Q(pk=obj.pk)
    else:
        return []
    links = []
    for name in ("success_step", "failure_step"):
        targets = Step.objects.filter(removed)
        pointing = Step.objects.filter(**{f"{name}__in": targets}).exclude(removed)
        links += [{"step": pk, "field": name, "target": target} for pk, target in pointing.values_list("pk", name)]
    return links


def deletion_snapshot(obj: Model) -> dict[str, Any]:
    """A JSON-ready record of `obj` and everything its deletion removes or unlinks."""
    parent = PARENT_OF[type(obj)]
    return {
        "format": SNAPSHOT_FORMAT,
        "kind": KIND_OF[type(obj)],
        "number": obj.number,
        "orchestration_id": _orchestration_id(obj),
        "parent": parent,
        "parent_id": getattr(obj, f"{parent}_id"),
        "position": obj.display_sequence,
        "rows": serializers.serialize("json", _subtree(obj)),
        "links": _incoming_links(obj),
    }
