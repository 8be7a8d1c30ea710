"""Valid sample documents for the remote tests (built by hand from the contract, not by our builder)."""

from __future__ import annotations

import base64
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


def strict_stage(orchestration_id: int, prefix: str = "S1", sequence: int = 1, **overrides: Any) -> dict[str, Any]:
    """`stage_document` as the strict pod takes a stage POST (written out by hand, not from its tables).

    LifecycleAttributeValue instead of LifecycleAttrValue, LOBs in base64, no
    step links (they are ids, known only once the steps exist) and neither
    StepTasks nor associations (they are created under their step).
    """
    document = stage_document(orchestration_id, prefix, sequence)
    document["LifecycleAttributeValue"] = document.pop("LifecycleAttrValue")
    for name in ("StepTasks", "StepObjectivesAssociations"):
        del document[name]
    for step in document["Steps"]:
        step.pop("SuccessStepNumber", None)
        step.pop("FailureStepNumber", None)
        if "SuccessCriteria" in step:
            step["SuccessCriteria"] = base64.b64encode(step["SuccessCriteria"].encode()).decode()
    document.update(overrides)
    return copy.deepcopy(document)


def strict_header(number: str = "ORCH-SAMPLE-0001", **overrides: Any) -> dict[str, Any]:
    """A POST /orchestrations body for the strict pod: the contract's plus its two mandatory attributes."""
    return orchestration_header(number, OrchestrationType="STANDARD", StatusCode="DRAFT", **overrides)


def contract_view_of(*documents: dict[str, Any]) -> list[dict[str, Any]]:
    """What `FakeCxServer.contract_view` should show after publishing these stage documents."""
    out = []
    for document in documents:
        stage = {k: v for k, v in copy.deepcopy(document).items() if k != "OrchestrationId"}
        for name, key in (
            ("StageObjectives", "StageObjectiveNumber"),
            ("Steps", "OrchestrationStepNumber"),
            ("StepTasks", "StepTasksNumber"),
            ("StepObjectivesAssociations", "StepObjectiveAssocNumber"),
        ):
            stage[name] = sorted(stage.get(name, []), key=lambda row, key=key: row[key])
        out.append(stage)
    return out
