"""Hand-made describe documents for the compatibility tests: the contract's shape, bent the ways a pod may bend it.

Built from a fixed table here, not from `remote.cx_fields` or the emulator,
so a mistake in either shows up as a failing test instead of agreeing with
itself.
"""

from __future__ import annotations

import copy
from typing import Any

# resource -> [(name, type, length)], what a pod that matches the contract exactly would list.
CONTRACT = {
    "orchestrations": [
        ("OrchestrationId", "integer", None),
        ("OrchestrationNumber", "string", 64),
        ("OrchestrationName", "string", 100),
        ("OrchestrationDescription", "string", 2000),
        ("ObjectCode", "string", 100),
        ("LifecycleAttributeName", "string", 100),
        ("AssociationRank", "integer", None),
    ],
    "Stages": [
        ("OrchestrationId", "integer", None),
        ("OrchestrationStageId", "integer", None),
        ("OrchestrationStageNumber", "string", 64),
        ("DisplaySequence", "integer", None),
        ("StageName", "string", 100),
        ("StageDescription", "string", 2000),
        ("LifecycleAttrValue", "string", 100),
        ("ContainErrorsFlag", "boolean", None),
    ],
    "StageObjectives": [
        ("StageObjectiveId", "integer", None),
        ("StageObjectiveNumber", "string", 64),
        ("ObjectiveName", "string", 100),
        ("ObjectiveDescription", "string", 2000),
        ("DisplaySequence", "integer", None),
        ("ObjectiveStatus", "string", 30),
    ],
    "Steps": [
        ("OrchestrationStepId", "integer", None),
        ("OrchestrationStepNumber", "string", 64),
        ("OrchestrationStepName", "string", 100),
        ("StepType", "string", 30),
        ("ExecutionMethod", "string", 30),
        ("DisplaySequence", "integer", None),
        ("StepSuggestionText", "string", 1000),
        ("ActivityTemplateId", "integer", None),
        ("SmartActionId", "integer", None),
        ("EmailTemplateId", "integer", None),
        ("DaysToWait", "integer", None),
        ("HoursToWait", "integer", None),
        ("NextStageValue", "string", 100),
        ("FieldUpdateJson", "string", None),
        ("GracePeriod", "integer", None),
        ("AllowSkipFlag", "boolean", None),
        ("WaitForRepliesFlag", "boolean", None),
        ("ExitOrchestrationFlag", "boolean", None),
        ("SuccessStepNumber", "string", 64),
        ("FailureStepNumber", "string", 64),
        ("SuccessCriteria", "string", None),
    ],
    "StepTasks": [
        ("StepTasksId", "integer", None),
        ("StepTasksNumber", "string", 64),
        ("OrchestrationStepNumber", "string", 64),
        ("DisplaySequence", "integer", None),
        ("ActivityTemplateId", "integer", None),
        ("ActivityId", "integer", None),
        ("SmartActionId", "integer", None),
        ("AssignedTo", "string", 30),
    ],
    "StepObjectivesAssociations": [
        ("StepObjectiveAssocId", "integer", None),
        ("StepObjectiveAssocNumber", "string", 64),
        ("OrchestrationStepNumber", "string", 64),
        ("StageObjectiveNumber", "string", 64),
    ],
}
MANDATORY = {
    "OrchestrationNumber",
    "OrchestrationName",
    "OrchestrationStageNumber",
    "StageName",
    "LifecycleAttrValue",
    "StepType",
}


def _attribute(name: str, kind: str, length: int | None, *, lengths: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": kind, "updatable": True, "mandatory": name in MANDATORY}
    if length is not None:
        if lengths == "precision":
            spec["precision"] = length
        elif lengths == "maxLength":
            spec["maxLength"] = str(length)
        else:  # both, as a real opportunities describe shows
            spec["precision"], spec["maxLength"] = length, str(length)
    return spec


def describe(
    *,
    lengths: str = "precision",
    renames: dict[str, dict[str, str]] | None = None,
    drop: dict[str, set[str]] | None = None,
    types: dict[str, dict[str, dict[str, Any]]] | None = None,
    extra: dict[str, list[dict[str, Any]]] | None = None,
    under_steps: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A describe of the contract's shape; `renames`/`drop`/`types`/`extra` per resource bend it."""
    renames, drop, types, extra = renames or {}, drop or {}, types or {}, extra or {}
    nodes = {}
    for resource, attributes in CONTRACT.items():
        listed = []
        for name, kind, length in attributes:
            if name in drop.get(resource, set()):
                continue
            pod_name = renames.get(resource, {}).get(name, name)
            spec = _attribute(pod_name, kind, length, lengths=lengths)
            spec.update(types.get(resource, {}).get(pod_name, {}))  # keyed by the pod's name
            listed.append(spec)
        listed += copy.deepcopy(extra.get(resource, []))
        nodes[resource] = {"attributes": listed}
    steps = {**nodes["Steps"], "children": {r: nodes[r] for r in under_steps}}
    stage_children = {"StageObjectives": nodes["StageObjectives"], "Steps": steps}
    stage_children.update({r: nodes[r] for r in ("StepTasks", "StepObjectivesAssociations") if r not in under_steps})
    stages = {**nodes["Stages"], "children": stage_children}
    return {"Resources": {"orchestrations": {**nodes["orchestrations"], "children": {"Stages": stages}}}}


def strict_like() -> dict[str, Any]:
    """The pessimistic pod: renamed lifecycle value, links by id, children under Steps, maxLength strings, blobs."""
    return describe(
        lengths="maxLength",
        renames={
            "Stages": {"LifecycleAttrValue": "LifecycleAttributeValue"},
            "Steps": {"SuccessStepNumber": "SuccessStepId", "FailureStepNumber": "FailureStepId"},
            "StepTasks": {"OrchestrationStepNumber": "OrchestrationStepId"},
            "StepObjectivesAssociations": {
                "OrchestrationStepNumber": "OrchestrationStepId",
                "StageObjectiveNumber": "StageObjectiveId",
            },
        },
        types={
            "Steps": {
                "SuccessStepId": {"type": "integer"},
                "FailureStepId": {"type": "integer"},
                "FieldUpdateJson": {"type": "blob"},
                "SuccessCriteria": {"type": "string", "format": "byte"},
            },
            "StepTasks": {"OrchestrationStepId": {"type": "integer"}},
            "StepObjectivesAssociations": {
                "OrchestrationStepId": {"type": "integer"},
                "StageObjectiveId": {"type": "integer", "mandatory": True},
            },
        },
        extra={
            "orchestrations": [
                {"name": "OrchestrationType", "type": "string", "mandatory": True, "defaultValue": "STANDARD"},
                {"name": "StatusCode", "type": "string", "mandatory": True},
            ]
        },
        under_steps=("StepTasks", "StepObjectivesAssociations"),
    )
