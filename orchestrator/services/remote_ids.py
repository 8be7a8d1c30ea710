"""Ids and change indicators the remote answers, stored on the draft objects (payload-contract §3).

A stage item comes back with `OrchestrationStageId` and the ids of its
children (`StageObjectiveId`, `OrchestrationStepId`, `StepTasksId`,
`StepObjectiveAssocId`), each matched to the local object by its number.
They are written with `bulk_update` on `remote_id` and
`remote_change_indicator` only: `version` is not bumped, so a designer's open
form does not become stale because a publish or a pull happened.
"""

from typing import Any

from ..models import Stage, StageObjective, Step, StepObjectiveAssociation, StepTask

# Child collections of a stage item and the (number, id) attributes of their items.
CHILD_KEYS = {
    "StageObjectives": ("StageObjectiveNumber", "StageObjectiveId", StageObjective),
    "Steps": ("OrchestrationStepNumber", "OrchestrationStepId", Step),
    "StepTasks": ("StepTasksNumber", "StepTasksId", StepTask),
    "StepObjectivesAssociations": ("StepObjectiveAssocNumber", "StepObjectiveAssocId", StepObjectiveAssociation),
}


def child_items(value: Any) -> list[dict[str, Any]]:
    """A child collection as a list: a plain array, or (REST framework ≥ 3) an object with `items`."""
    if isinstance(value, dict):
        value = value.get("items")
    return [item for item in value or [] if isinstance(item, dict)]


def change_indicator(item: dict[str, Any], etag: str = "") -> str:
    """The item's change indicator: links[rel=self].properties.changeIndicator, else the ETag."""
    for link in item.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "self":
            indicator = (link.get("properties") or {}).get("changeIndicator")
            if indicator:
                return str(indicator)[:255]
    return (etag or "").strip('"')[:255]


# What the remote_id columns (BigIntegerField) hold on every database.
_ID_RANGE = range(-(2**63), 2**63)


def as_int(value: Any) -> int | None:
    """An id the remote answered, or None when it is missing, not a number, or more than a column holds."""
    try:
        number = int(value) if value is not None and value != "" else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is None or number in _ID_RANGE else None


def remote_ids(item: dict[str, Any]) -> dict[type, dict[str, tuple[int | None, str]]]:
    """Remote ids and change indicators of a stage item's children: {model: {number: (id, indicator)}}."""
    found: dict[type, dict[str, tuple[int | None, str]]] = {}
    for child, (number_key, id_key, model) in CHILD_KEYS.items():
        for child_item in child_items(item.get(child)):
            number = child_item.get(number_key)
            if number:
                found.setdefault(model, {})[str(number)] = (
                    as_int(child_item.get(id_key)),
                    change_indicator(child_item),
                )
    return found


def store_remote_ids(stage: Stage, item: dict[str, Any], etag: str = "") -> None:
    """Write the ids the remote answered onto the draft objects: bulk_update, no version bump."""
    stage.remote_id = as_int(item.get("OrchestrationStageId")) or stage.remote_id
    stage.remote_change_indicator = change_indicator(item, etag)
    Stage.objects.bulk_update([stage], ["remote_id", "remote_change_indicator"])
    by_model = remote_ids(item)
    local: dict[type, list] = {
        StageObjective: list(stage.objectives.all()),
        Step: list(stage.steps.all()),
        StepTask: [task for step in stage.steps.all() for task in step.tasks.all()],
        StepObjectiveAssociation: [a for step in stage.steps.all() for a in step.associations.all()],
    }
    for model, objects in local.items():
        answered = by_model.get(model, {})
        changed = []
        for obj in objects:
            if obj.number in answered:
                remote_id, indicator = answered[obj.number]
                obj.remote_id = remote_id if remote_id is not None else obj.remote_id
                obj.remote_change_indicator = indicator
                changed.append(obj)
        if changed:
            model.objects.bulk_update(changed, ["remote_id", "remote_change_indicator"])
