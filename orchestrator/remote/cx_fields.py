"""Every attribute Orchestrator sends to CX Sales, under its contract name, with the names a pod may use instead.

Only a few of the contract's attribute names are confirmed REST names
(fidelity-risks §0); the others were inferred from Oracle's database columns.
This catalogue lists, per resource, each attribute we send: its contract
name, the known alternatives (tried in order against the pod's describe), and
what kind of value it carries:

- ``key``: the item's public number (path key; confirmed for every resource);
- ``link``: a reference to a sibling or the parent step — sent as that item's
  number (``SuccessStepNumber``) or as its numeric id (``SuccessStepId``),
  whichever the pod knows; ``target`` names the resource it points at;
- ``code``: a value from a fixed list (the contract schema's enum), which a
  pod may spell differently (``CX_CODES``);
- ``lob``: JSON text that a pod may type as binary (then sent base64);
- ``plain``: anything else.

Plain data only: the contract schemas are read for the code lists and the
lengths, so this file and the schemas cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

Kind = Literal["key", "link", "code", "lob", "plain"]

ORCHESTRATIONS = "orchestrations"
STAGES = "Stages"
OBJECTIVES = "StageObjectives"
STEPS = "Steps"
TASKS = "StepTasks"
ASSOCIATIONS = "StepObjectivesAssociations"
RESOURCES = (ORCHESTRATIONS, STAGES, OBJECTIVES, STEPS, TASKS, ASSOCIATIONS)
STAGE_CHILDREN = (OBJECTIVES, STEPS, TASKS, ASSOCIATIONS)
# Children that Oracle documents both under Stages and under Steps.
STEP_LEVEL_CAPABLE = (TASKS, ASSOCIATIONS)

# The numeric id the pod assigns to an item of each resource (read-only, in replies).
ID_ATTRIBUTES = {
    ORCHESTRATIONS: "OrchestrationId",
    STAGES: "OrchestrationStageId",
    OBJECTIVES: "StageObjectiveId",
    STEPS: "OrchestrationStepId",
    TASKS: "StepTasksId",
    ASSOCIATIONS: "StepObjectiveAssocId",
}
KEY_ATTRIBUTES = {
    ORCHESTRATIONS: "OrchestrationNumber",
    STAGES: "OrchestrationStageNumber",
    OBJECTIVES: "StageObjectiveNumber",
    STEPS: "OrchestrationStepNumber",
    TASKS: "StepTasksNumber",
    ASSOCIATIONS: "StepObjectiveAssocNumber",
}
RESOURCE_LABELS = {
    ORCHESTRATIONS: "orchestration",
    STAGES: "stage",
    OBJECTIVES: "stage objective",
    STEPS: "step",
    TASKS: "step task",
    ASSOCIATIONS: "step-objective association",
}
# Attributes the pod keeps itself; never ours to send, never a "mandatory attribute we do not cover".
WHO_COLUMNS = frozenset({"CreatedBy", "CreationDate", "LastUpdatedBy", "LastUpdateDate", "LastUpdateLogin"})
SERVER_MANAGED = frozenset({*ID_ATTRIBUTES.values(), *WHO_COLUMNS, "ObjectVersionNumber"})


@dataclass(frozen=True)
class Field:
    """One attribute of a resource as the contract sends it."""

    resource: str
    name: str  # the contract name
    alternatives: tuple[str, ...] = ()
    kind: Kind = "plain"
    target: str = ""  # for links: the resource pointed at
    required: bool = False  # the contract always sends it
    max_length: int | None = None  # the contract's limit, for strings
    codes: tuple[str, ...] = ()  # for codes: the contract's values

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.name, *self.alternatives)

    @property
    def qualified(self) -> str:
        """``Stages.StageName``: how CX_FIELD_NAMES and CX_CODES name it."""
        return f"{self.resource}.{self.name}"


# Contract name -> (alternatives, kind, target). Order inside each resource is the contract's.
_SPECS: dict[str, dict[str, tuple[tuple[str, ...], Kind, str]]] = {
    ORCHESTRATIONS: {
        "OrchestrationNumber": ((), "key", ""),
        "OrchestrationName": ((), "plain", ""),
        "OrchestrationDescription": ((), "plain", ""),
        "ObjectCode": ((), "code", ""),
        "LifecycleAttributeName": ((), "plain", ""),
        "AssociationRank": ((), "plain", ""),
    },
    STAGES: {
        "OrchestrationId": ((), "plain", ""),
        "OrchestrationStageNumber": ((), "key", ""),
        "DisplaySequence": ((), "plain", ""),
        "StageName": (("OrchestrationStageName",), "plain", ""),
        "StageDescription": (("OrchestrationStageDescription",), "plain", ""),
        "LifecycleAttrValue": (("LifecycleAttributeValue",), "plain", ""),
        "ContainErrorsFlag": ((), "plain", ""),
    },
    OBJECTIVES: {
        "StageObjectiveNumber": ((), "key", ""),
        "ObjectiveName": (("StageObjectiveName",), "plain", ""),
        "ObjectiveDescription": (("StageObjectiveDescription",), "plain", ""),
        "DisplaySequence": ((), "plain", ""),
        "ObjectiveStatus": (("StageObjectiveStatus",), "code", ""),
    },
    STEPS: {
        "OrchestrationStepNumber": ((), "key", ""),
        "OrchestrationStepName": (("StepName",), "plain", ""),
        "StepType": ((), "code", ""),
        "ExecutionMethod": ((), "code", ""),
        "DisplaySequence": ((), "plain", ""),
        "StepSuggestionText": (("SuggestionText",), "plain", ""),
        "ActivityTemplateId": ((), "plain", ""),
        "SmartActionId": ((), "plain", ""),
        "EmailTemplateId": ((), "plain", ""),
        "DaysToWait": ((), "plain", ""),
        "HoursToWait": ((), "plain", ""),
        "NextStageValue": ((), "plain", ""),
        "FieldUpdateJson": ((), "lob", ""),
        "GracePeriod": ((), "plain", ""),
        "AllowSkipFlag": ((), "plain", ""),
        "WaitForRepliesFlag": ((), "plain", ""),
        "ExitOrchestrationFlag": ((), "plain", ""),
        "SuccessStepNumber": (("SuccessStepId",), "link", STEPS),
        "FailureStepNumber": (("FailureStepId",), "link", STEPS),
        "SuccessCriteria": ((), "lob", ""),
    },
    TASKS: {
        "StepTasksNumber": ((), "key", ""),
        "OrchestrationStepNumber": (("OrchestrationStepId",), "link", STEPS),
        "DisplaySequence": ((), "plain", ""),
        "ActivityTemplateId": ((), "plain", ""),
        "ActivityId": ((), "plain", ""),
        "SmartActionId": ((), "plain", ""),
        "AssignedTo": ((), "code", ""),
    },
    ASSOCIATIONS: {
        "StepObjectiveAssocNumber": ((), "key", ""),
        "OrchestrationStepNumber": (("OrchestrationStepId",), "link", STEPS),
        "StageObjectiveNumber": (("StageObjectiveId", "OrchestrationStageObjId"), "link", OBJECTIVES),
    },
}
_SCHEMA_DEFS = {
    OBJECTIVES: "StageObjective",
    STEPS: "Step",
    TASKS: "StepTask",
    ASSOCIATIONS: "StepObjectivesAssociation",
}


@cache
def _schemas() -> dict[str, dict]:
    stage = json.loads((SCHEMA_DIR / "orchestration-stage.contract.json").read_text(encoding="utf-8"))
    document = json.loads((SCHEMA_DIR / "orchestration-document.json").read_text(encoding="utf-8"))
    out = {ORCHESTRATIONS: document["$defs"]["OrchestrationHeader"], STAGES: stage}
    out.update({resource: stage["$defs"][name] for resource, name in _SCHEMA_DEFS.items()})
    return out


@cache
def catalogue() -> dict[str, dict[str, Field]]:
    """{resource: {contract name: Field}} for every attribute the contract sends."""
    out: dict[str, dict[str, Field]] = {}
    for resource, specs in _SPECS.items():
        schema = _schemas()[resource]
        required = set(schema.get("required", ()))
        fields = {}
        for name, (alternatives, kind, target) in specs.items():
            prop = schema["properties"][name]
            fields[name] = Field(
                resource=resource,
                name=name,
                alternatives=alternatives,
                kind=kind,
                target=target,
                required=name in required,
                max_length=prop.get("maxLength"),
                codes=tuple(prop.get("enum", ())),
            )
        out[resource] = fields
    return out


def find_field(qualified: str) -> Field | None:
    """The Field named ``Resource.ContractName`` (as CX_FIELD_NAMES and CX_CODES write it), or None."""
    resource, _, name = qualified.partition(".")
    return catalogue().get(resource, {}).get(name)


def known_fields() -> list[str]:
    """Every ``Resource.ContractName``, for messages that list what may be written."""
    return [f.qualified for fields in catalogue().values() for f in fields.values()]
