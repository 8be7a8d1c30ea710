"""Models, one module per area; import them from here."""

from .numbers import IssuedNumber, issue_number, register_numbers
from .orchestration import (
    COMMON_STEP_SETTINGS,
    MANUAL_STEP_TYPES,
    STEP_TYPE_SETTINGS,
    TYPE_SPECIFIC_SETTINGS,
    AssignedTo,
    ExecutionMethod,
    ObjectCode,
    ObjectiveStatus,
    Orchestration,
    OrchestrationStatus,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from .sandbox import SandboxOrchestration, SandboxSequence, SandboxStage

__all__ = [
    "COMMON_STEP_SETTINGS",
    "MANUAL_STEP_TYPES",
    "STEP_TYPE_SETTINGS",
    "TYPE_SPECIFIC_SETTINGS",
    "AssignedTo",
    "ExecutionMethod",
    "IssuedNumber",
    "ObjectCode",
    "ObjectiveStatus",
    "Orchestration",
    "OrchestrationStatus",
    "SandboxOrchestration",
    "SandboxSequence",
    "SandboxStage",
    "Stage",
    "StageObjective",
    "Step",
    "StepObjectiveAssociation",
    "StepTask",
    "StepType",
    "issue_number",
    "register_numbers",
]
