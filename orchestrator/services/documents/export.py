"""The stage document of payload-contract §2 and the file format of §6.

`stage_document` is the single place that turns a stage into the JSON the
contract describes: the publish payload builder adds `OrchestrationId` to it,
the exporter wraps the stages in `orchestration_document`. Everything reads a
tree loaded through `selectors.orchestration_tree` (or `stage_tree`) and only
iterates prefetched `.all()` lists, so building a document issues no queries.

Key order follows the contract's tables (and the JSON Schema's properties), and
`dumps_document` is deterministic, so export → import → export is
byte-identical.
"""

import hashlib
import json
from typing import Any

import orjson

from ...models import STEP_TYPE_SETTINGS, ObjectiveStatus, Orchestration, Stage, Step

FORMAT_VERSION = 1

# Step settings in contract order: (model field, document attribute).
STEP_SETTING_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("suggestion_text", "StepSuggestionText"),
    ("activity_template_id", "ActivityTemplateId"),
    ("smart_action_id", "SmartActionId"),
    ("email_template_id", "EmailTemplateId"),
    ("days_to_wait", "DaysToWait"),
    ("hours_to_wait", "HoursToWait"),
    ("next_stage_value", "NextStageValue"),
    ("field_update_json", "FieldUpdateJson"),
    ("grace_period", "GracePeriod"),
    ("allow_skip", "AllowSkipFlag"),
    ("wait_for_replies", "WaitForRepliesFlag"),
    ("exit_orchestration", "ExitOrchestrationFlag"),
    ("success_step", "SuccessStepNumber"),
    ("failure_step", "FailureStepNumber"),
    ("success_criteria", "SuccessCriteria"),
)
# Flags that are always sent as a boolean on the step types that use them.
_FLAGS = frozenset({"allow_skip", "wait_for_replies", "exit_orchestration"})
# Settings any step type may carry (the contract's common ones).
_COMMON = frozenset({"suggestion_text", "allow_skip", "success_step", "failure_step", "success_criteria"})


def _present(value: Any) -> bool:
    """Nulls and empty strings are omitted from documents (contract §2)."""
    return value is not None and value != ""


def orchestration_header(orch: Orchestration) -> dict[str, Any]:
    """The orchestration attributes of contract §4 (the body of POST …/orchestrations), nulls omitted."""
    header: dict[str, Any] = {
        "OrchestrationNumber": orch.number,
        "OrchestrationName": orch.name,
        "OrchestrationDescription": orch.description,
        "ObjectCode": orch.object_code,
        "LifecycleAttributeName": orch.lifecycle_attribute_name,
        "AssociationRank": orch.association_rank,
    }
    return {key: value for key, value in header.items() if _present(value)}


def _stage_position(stage: Stage) -> int:
    """The stage's 1-based place among its siblings when they are prefetched, else its stored sequence.

    A stage loaded through `orchestration_tree` knows its prefetched siblings
    (the prefetch caches the parent on each stage), so the position costs no
    query; `stage_tree` loads a stage alone, and there the stored sequence,
    kept 1..n by the ordering services, is the answer.
    """
    parent_field = Stage._meta.get_field("orchestration")
    orch = parent_field.get_cached_value(stage) if parent_field.is_cached(stage) else None
    siblings = getattr(orch, "_prefetched_objects_cache", {}).get("stages")
    if siblings is not None:
        for position, sibling in enumerate(siblings, start=1):
            if sibling.pk == stage.pk:
                return position
    return stage.display_sequence


def step_attributes_used(step_type: str) -> frozenset[str]:
    """The setting attributes a step of `step_type` carries in a document (its type's plus the common ones)."""
    used = set(STEP_TYPE_SETTINGS.get(step_type, ())) | _COMMON
    return frozenset(attribute for field, attribute in STEP_SETTING_ATTRIBUTES if field in used)


def step_document(step: Step, *, display_sequence: int) -> dict[str, Any]:
    """One step of a stage document: only the settings its type uses plus the common ones."""
    doc: dict[str, Any] = {
        "OrchestrationStepNumber": step.number,
        "OrchestrationStepName": step.name,
        "StepType": step.step_type,
        "ExecutionMethod": step.execution_method,
        "DisplaySequence": display_sequence,
    }
    used = set(STEP_TYPE_SETTINGS.get(step.step_type, ())) | _COMMON
    for field, attribute in STEP_SETTING_ATTRIBUTES:
        if field not in used:
            continue
        if field in ("success_step", "failure_step"):
            linked = getattr(step, field) if getattr(step, f"{field}_id") else None
            value = linked.number if linked is not None else None
        elif field in _FLAGS:
            value = bool(getattr(step, field))
        else:
            value = getattr(step, field)
        if _present(value):
            doc[attribute] = value
    return doc


def stage_document(stage: Stage, *, display_sequence: int | None = None) -> dict[str, Any]:
    """The stage body of contract §2 without `OrchestrationId`.

    `display_sequence` is the stage's place in its orchestration; by default it
    is worked out from the prefetched siblings (see `_stage_position`). Child
    DisplaySequence values are renumbered 1..n from their order, so gaps in
    the stored values never reach the remote. The four child arrays are always
    present, even when empty: the remote keeps exactly the children the
    upsert sends (contract §4.3).
    """
    objectives = list(stage.objectives.all())
    steps = list(stage.steps.all())
    doc: dict[str, Any] = {
        "OrchestrationStageNumber": stage.number,
        "DisplaySequence": display_sequence if display_sequence is not None else _stage_position(stage),
    }
    doc["StageName"] = stage.name
    if _present(stage.description):
        doc["StageDescription"] = stage.description
    doc["LifecycleAttrValue"] = stage.lifecycle_attr_value
    doc["ContainErrorsFlag"] = False
    doc["StageObjectives"] = [
        {
            "StageObjectiveNumber": objective.number,
            "ObjectiveName": objective.name,
            **({"ObjectiveDescription": objective.description} if _present(objective.description) else {}),
            "DisplaySequence": position,
            "ObjectiveStatus": ObjectiveStatus.MAPPED if objective.associations.all() else ObjectiveStatus.NEW,
        }
        for position, objective in enumerate(objectives, start=1)
    ]
    doc["Steps"] = [step_document(step, display_sequence=position) for position, step in enumerate(steps, start=1)]
    step_tasks = []
    associations = []
    for step in steps:
        for position, task in enumerate(step.tasks.all(), start=1):
            task_doc = {
                "StepTasksNumber": task.number,
                "OrchestrationStepNumber": step.number,
                "DisplaySequence": position,
                "ActivityTemplateId": task.activity_template_id,
                "ActivityId": task.activity_id,
                "SmartActionId": task.smart_action_id,
                "AssignedTo": task.assigned_to,
            }
            step_tasks.append({key: value for key, value in task_doc.items() if _present(value)})
        for association in step.associations.all():
            associations.append(
                {
                    "StepObjectiveAssocNumber": association.number,
                    "OrchestrationStepNumber": step.number,
                    "StageObjectiveNumber": association.objective.number,
                }
            )
    doc["StepTasks"] = step_tasks
    doc["StepObjectivesAssociations"] = associations
    return doc


def stage_outreach(stage: Stage) -> dict[str, Any]:
    """The stage's Outreach settings as the document keeps them ({} when none is set); never sent to CX Sales."""
    settings: dict[str, Any] = {}
    if stage.outreach_color:
        settings["color"] = stage.outreach_color
    if stage.outreach_is_closed is not None:
        settings["isClosed"] = stage.outreach_is_closed
    return settings


def orchestration_document(orch: Orchestration) -> dict[str, Any]:
    """The import/export document of contract §6: FormatVersion, the header, the stage documents.

    A stage with Outreach settings carries them last, as ``"Outreach": {"color", "isClosed"}``
    (an addition to §6 that older documents simply lack); the publish payload never does.
    """
    stages = [document_stage(stage, position) for position, stage in enumerate(orch.stages.all(), 1)]
    return {"FormatVersion": FORMAT_VERSION, **orchestration_header(orch), "Stages": stages}


def document_stage(stage: Stage, position: int) -> dict[str, Any]:
    """One entry of the document's "Stages": the stage document, then its Outreach settings when set."""
    doc = stage_document(stage, display_sequence=position)
    outreach = stage_outreach(stage)
    if outreach:
        doc["Outreach"] = outreach
    return doc


def dumps_document(doc: dict[str, Any]) -> str:
    """Stable text of a document: two-space indent, unicode kept, trailing newline.

    orjson writes exactly what ``json.dumps(doc, indent=2, ensure_ascii=False)``
    writes, many times faster (a revision is one of these per edit); what it
    refuses (an integer beyond 64 bits, a lone surrogate) goes the slow way.
    """
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def content_hash(orch: Orchestration) -> str:
    """sha256 (hex) of a loaded tree's export document: the identity of "this content".

    Approvals, comments, revisions and publish runs record it; equal drafts, equal hashes.
    """
    return hashlib.sha256(dumps_document(orchestration_document(orch)).encode()).hexdigest()


# Model field → document attribute, per kind of object, to point problems at the file.
FIELD_ATTRIBUTES: dict[str, dict[str, str]] = {
    "orchestration": {
        "number": "OrchestrationNumber",
        "name": "OrchestrationName",
        "description": "OrchestrationDescription",
        "object_code": "ObjectCode",
        "lifecycle_attribute_name": "LifecycleAttributeName",
        "association_rank": "AssociationRank",
    },
    "stage": {
        "number": "OrchestrationStageNumber",
        "display_sequence": "DisplaySequence",
        "name": "StageName",
        "description": "StageDescription",
        "lifecycle_attr_value": "LifecycleAttrValue",
        "outreach_color": "Outreach.color",
        "outreach_is_closed": "Outreach.isClosed",
    },
    "objective": {
        "number": "StageObjectiveNumber",
        "display_sequence": "DisplaySequence",
        "name": "ObjectiveName",
        "description": "ObjectiveDescription",
    },
    "step": {
        "number": "OrchestrationStepNumber",
        "display_sequence": "DisplaySequence",
        "name": "OrchestrationStepName",
        "step_type": "StepType",
        **dict(STEP_SETTING_ATTRIBUTES),
    },
    "step_task": {
        "number": "StepTasksNumber",
        "display_sequence": "DisplaySequence",
        "activity_template_id": "ActivityTemplateId",
        "activity_id": "ActivityId",
        "smart_action_id": "SmartActionId",
        "assigned_to": "AssignedTo",
    },
    "association": {"number": "StepObjectiveAssocNumber"},
}
