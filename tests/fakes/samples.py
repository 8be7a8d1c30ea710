"""Valid sample documents for the remote tests (built by hand from the contract, not by our builder)."""

from __future__ import annotations

import copy
from typing import Any


def orchestration_header(number: str = "ORCH-SAMPLE-0001", **overrides: Any) -> dict[str, Any]:
    """A POST /orchestrations body (contract §4)."""
    return {
        "OrchestrationNumber": number,
        "OrchestrationName": "Enterprise deal playbook",
        "OrchestrationDescription": "Guides reps through enterprise deals.",
        "ObjectCode": "Opportunity",
        "LifecycleAttributeName": "SalesStage",
        "AssociationRank": 1,
        **overrides,
    }


def stage_document(orchestration_id: int, prefix: str = "S1", sequence: int = 1, **overrides: Any) -> dict[str, Any]:
    """A stage POST body (contract §2) with every child kind; numbers start with `prefix`."""
    p = f"ORCH-{prefix}"
    document = {
        "OrchestrationId": orchestration_id,
        "OrchestrationStageNumber": f"{p}-STG",
        "DisplaySequence": sequence,
        "StageName": f"Qualify {prefix}",
        "StageDescription": "Find out whether the deal is real.",
        "LifecycleAttrValue": f"0{sequence} - Qualify",
        "ContainErrorsFlag": False,
        "StageObjectives": [
            {
                "StageObjectiveNumber": f"{p}-OBJ-1",
                "ObjectiveName": "Budget confirmed",
                "DisplaySequence": 1,
                "ObjectiveStatus": "MAPPED",
            },
            {
                "StageObjectiveNumber": f"{p}-OBJ-2",
                "ObjectiveName": "Champion found",
                "ObjectiveDescription": "Someone inside argues for us.",
                "DisplaySequence": 2,
                "ObjectiveStatus": "NEW",
            },
        ],
        "Steps": [
            {
                "OrchestrationStepNumber": f"{p}-STP-1",
                "OrchestrationStepName": "Discovery call",
                "StepType": "TASK",
                "ExecutionMethod": "MANUAL",
                "DisplaySequence": 1,
                "ActivityTemplateId": 300100000100001,
                "GracePeriod": 48,
                "SuccessStepNumber": f"{p}-STP-2",
                "FailureStepNumber": f"{p}-STP-3",
                "SuccessCriteria": '{"activityStatus": "COMPLETE"}',
            },
            {
                "OrchestrationStepNumber": f"{p}-STP-2",
                "OrchestrationStepName": "Wait two days",
                "StepType": "WAIT",
                "ExecutionMethod": "AUTOMATIC",
                "DisplaySequence": 2,
                "DaysToWait": 2,
            },
            {
                "OrchestrationStepNumber": f"{p}-STP-3",
                "OrchestrationStepName": "Stop",
                "StepType": "STOP",
                "ExecutionMethod": "AUTOMATIC",
                "DisplaySequence": 3,
                "ExitOrchestrationFlag": True,
            },
        ],
        "StepTasks": [
            {
                "StepTasksNumber": f"{p}-TSK-1",
                "OrchestrationStepNumber": f"{p}-STP-1",
                "DisplaySequence": 1,
                "ActivityTemplateId": 300100000100001,
                "ActivityId": 300100000200001,
                "AssignedTo": "OWNER",
            },
            {
                "StepTasksNumber": f"{p}-TSK-2",
                "OrchestrationStepNumber": f"{p}-STP-1",
                "DisplaySequence": 2,
                "ActivityTemplateId": 300100000100001,
                "ActivityId": 300100000200002,
            },
        ],
        "StepObjectivesAssociations": [
            {
                "StepObjectiveAssocNumber": f"{p}-ASC-1",
                "OrchestrationStepNumber": f"{p}-STP-1",
                "StageObjectiveNumber": f"{p}-OBJ-1",
            }
        ],
    }
    document.update(overrides)
    return copy.deepcopy(document)
