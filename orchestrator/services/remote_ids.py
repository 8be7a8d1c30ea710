"""Ids and change indicators the remote answers, stored on the draft objects (payload-contract §3).

A stage item comes back with `OrchestrationStageId` and the ids of its
children (`StageObjectiveId`, `OrchestrationStepId`, `StepTasksId`,
`StepObjectiveAssocId`), each matched to the local object by its number.
Only the rows whose values differ are written (one executemany per kind), on
`remote_id` and `remote_change_indicator` only: `version` is not bumped, so a
designer's open form does not become stale because a publish or a pull happened.
"""

from typing import Any

from ..models import Stage, StageObjective, Step, StepObjectiveAssociation, StepTask
from .rows import update_rows


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


def store_remote_ids(stage: Stage, remote, *, pending: dict[type, list] | None = None) -> None:
    """Write the ids a pod holds for `stage` and its children onto the draft: no version bump.

    `remote` is a `compatibility.wire.RemoteStage` (ids and change indicators
    by number, whatever names the pod uses). Objects the pod does not show
    keep what they had. With `pending`, the changed objects are collected
    there (by model) for `write_remote_ids`, so a publish writes them for many
    stages at once.
    """
    pending_here: dict[type, list] = {} if pending is None else pending
    ids, indicators = remote.ids, remote.change_indicators
    before = (stage.remote_id, stage.remote_change_indicator)
    stage.remote_id = ids.get("Stages", {}).get(stage.number, stage.remote_id)
    stage.remote_change_indicator = indicators.get("Stages", {}).get(stage.number) or stage.remote_change_indicator
    if (stage.remote_id, stage.remote_change_indicator) != before:
        pending_here.setdefault(Stage, []).append(stage)
    local: dict[str, tuple[type, list]] = {
        "StageObjectives": (StageObjective, list(stage.objectives.all())),
        "Steps": (Step, list(stage.steps.all())),
        "StepTasks": (StepTask, [task for step in stage.steps.all() for task in step.tasks.all()]),
        "StepObjectivesAssociations": (
            StepObjectiveAssociation,
            [a for step in stage.steps.all() for a in step.associations.all()],
        ),
    }
    for resource, (model, objects) in local.items():
        found_ids, found_indicators = ids.get(resource, {}), indicators.get(resource, {})
        changed = []
        for obj in objects:
            if obj.number in found_ids or obj.number in found_indicators:
                before = (obj.remote_id, obj.remote_change_indicator)
                obj.remote_id = found_ids.get(obj.number, obj.remote_id)
                obj.remote_change_indicator = (found_indicators.get(obj.number) or obj.remote_change_indicator)[:255]
                if (obj.remote_id, obj.remote_change_indicator) != before:  # a re-publish mostly changes none
                    changed.append(obj)
        if changed:
            pending_here.setdefault(model, []).extend(changed)
    if pending is None:
        write_remote_ids(pending_here)


def write_remote_ids(pending: dict[type, list]) -> None:
    """Write the objects `store_remote_ids` collected (one executemany per kind of object) and forget them."""
    for model, objects in pending.items():
        update_rows(model, objects, ["remote_id", "remote_change_indicator"])
    pending.clear()
