"""The demo orchestration: a B2B opportunity playbook, as an import document (payload-contract §6).

`seed_demo` imports it through `orchestration_import`, so the demo passes the
same checks as any file. It is written as a compact plan below and expanded by
`demo_document()` into the exact document an export of it produces (same key
order, DisplaySequence 1..n, statuses derived from the associations), so
import → export gives the document back byte for byte.

Every step type appears at least once, the Discover workshop shows success and
failure links with success criteria, and every objective is served.
"""

import copy
from typing import Any

DEMO_NUMBER = "ORCH-DEMO-B2B"

# Oracle ids of the demo pod's activity templates, activities, smart actions and
# email templates (NUMBER(18) values as CX Sales hands them out).
CALL_TEMPLATE = 300100000010001
MEETING_TEMPLATE = 300100000010002
TASK_TEMPLATE = 300100000010003

_HEADER = {
    "FormatVersion": 1,
    "OrchestrationNumber": DEMO_NUMBER,
    "OrchestrationName": "B2B opportunity playbook",
    "OrchestrationDescription": (
        "Guides account executives from first qualification to a signed contract for new-business "
        "opportunities above 25,000 EUR: what to find out in each sales stage, which meetings to hold, "
        "and when the opportunity moves on."
    ),
    "ObjectCode": "Opportunity",
    "LifecycleAttributeName": "SalesStage",
    "AssociationRank": 10,
}

# Each stage: key, name, LifecycleAttrValue, description, objectives (name, description),
# steps. Each step: key, name, type, the objectives it serves (1-based), its settings
# (document attribute names), optional "tasks" (TASK steps) and "success"/"failure" step keys.
_PLAN: list[dict[str, Any]] = [
    {
        "key": "QUALIFY",
        "name": "Qualify",
        "value": "01 - Qualify",
        "description": "Decide whether the opportunity is worth pursuing before investing presales time.",
        "objectives": [
            ("Confirm budget and authority", "Who signs, and is money set aside for this year?"),
            ("Identify the decision timeline", "When must the solution be live, and what drives that date?"),
        ],
        "steps": [
            {
                "key": "CALL",
                "name": "Qualification call with the champion",
                "type": "TASK",
                "serves": [1],
                "settings": {
                    "StepSuggestionText": (
                        "Ask who else is involved in the decision and whether budget is approved. "
                        "Log the answers in the opportunity notes."
                    ),
                    "ActivityTemplateId": CALL_TEMPLATE,
                    "GracePeriod": 48,
                },
                "tasks": [
                    {"ActivityTemplateId": CALL_TEMPLATE, "ActivityId": 300100000020001, "AssignedTo": "OWNER"},
                    {
                        "ActivityTemplateId": TASK_TEMPLATE,
                        "ActivityId": 300100000020002,
                        "SmartActionId": 300100000030001,
                        "AssignedTo": "OWNER",
                    },
                ],
            },
            {
                "key": "TIMELINE",
                "name": "Timeline check-in",
                "type": "APPOINTMENT",
                "serves": [2],
                "settings": {
                    "StepSuggestionText": "Agree on the go-live date and the events that could move it.",
                    "ActivityTemplateId": MEETING_TEMPLATE,
                    "GracePeriod": 72,
                    "AllowSkipFlag": True,
                },
            },
            {
                "key": "ADVANCE",
                "name": "Move to Discover",
                "type": "NEXT_STAGE",
                "serves": [],
                "settings": {"NextStageValue": "02 - Discover"},
            },
        ],
    },
    {
        "key": "DISCOVER",
        "name": "Discover",
        "value": "02 - Discover",
        "description": "Understand the customer's situation well enough to shape a proposal that fits.",
        "objectives": [
            ("Map the buying committee", "Names, roles and attitude of everyone who influences the decision."),
            ("Document pain points and success criteria", "In the customer's words, with measurable targets."),
            ("Agree on next steps", "A dated plan towards the proposal, confirmed in writing."),
        ],
        "steps": [
            {
                "key": "WORKSHOP",
                "name": "Discovery workshop",
                "type": "APPOINTMENT",
                "serves": [1, 2],
                "settings": {
                    "StepSuggestionText": "Bring a solution consultant; leave with the pains ranked by the customer.",
                    "ActivityTemplateId": MEETING_TEMPLATE,
                    "GracePeriod": 120,
                    "SuccessCriteria": '{"ActivityStatus": "COMPLETE", "Outcome": "WORKSHOP_HELD"}',
                },
                "success": "ADVANCE",
                "failure": "RECAP",
            },
            {
                "key": "RECAP",
                "name": "Send workshop recap",
                "type": "EMAIL_AUTOMATION",
                "serves": [3],
                "settings": {"EmailTemplateId": 300100000040001, "WaitForRepliesFlag": True},
            },
            {
                "key": "WAIT",
                "name": "Give the customer time to reply",
                "type": "WAIT",
                "serves": [],
                "settings": {"DaysToWait": 3, "HoursToWait": 12},
            },
            {
                "key": "ADVANCE",
                "name": "Move to Propose",
                "type": "NEXT_STAGE",
                "serves": [],
                "settings": {"NextStageValue": "03 - Propose"},
            },
        ],
    },
    {
        "key": "PROPOSE",
        "name": "Propose",
        "value": "03 - Propose",
        "description": "Turn what was learnt into a priced proposal that the technical buyer endorses.",
        "objectives": [
            ("Present a tailored proposal", "Scope, price and timeline, tied to the documented pains."),
            ("Confirm solution fit with the technical buyer", "Architecture and security questions answered."),
        ],
        "steps": [
            {
                "key": "PREPARE",
                "name": "Prepare the proposal",
                "type": "TASK",
                "serves": [1],
                "settings": {
                    "StepSuggestionText": "Use the proposal template; get pricing approval before sending.",
                    "ActivityTemplateId": TASK_TEMPLATE,
                    "SmartActionId": 300100000030002,
                    "GracePeriod": 96,
                },
                "tasks": [
                    {"ActivityTemplateId": TASK_TEMPLATE, "ActivityId": 300100000020003, "AssignedTo": "OWNER"},
                    {
                        "ActivityTemplateId": TASK_TEMPLATE,
                        "ActivityId": 300100000020004,
                        "AssignedTo": "TEAM_MEMBER",
                    },
                ],
            },
            {
                "key": "PROBABILITY",
                "name": "Raise win probability to 40 %",
                "type": "FIELD_UPDATE",
                "serves": [],
                "settings": {"FieldUpdateJson": '{"WinProb": 40, "ForecastCategory": "PIPELINE"}'},
            },
            {
                "key": "PRESENT",
                "name": "Proposal presentation",
                "type": "APPOINTMENT",
                "serves": [1, 2],
                "settings": {"ActivityTemplateId": MEETING_TEMPLATE, "GracePeriod": 72},
            },
            {
                "key": "ADVANCE",
                "name": "Move to Negotiate",
                "type": "NEXT_STAGE",
                "serves": [],
                "settings": {"NextStageValue": "04 - Negotiate"},
            },
        ],
    },
    {
        "key": "NEGOTIATE",
        "name": "Negotiate",
        "value": "04 - Negotiate",
        "description": "Reach commercial and legal agreement without giving away margin unnecessarily.",
        "objectives": [
            ("Agree commercial terms", "Price, payment terms and discounts approved by sales management."),
            ("Clear legal and procurement review", "Redlines resolved and the supplier onboarded."),
        ],
        "steps": [
            {
                "key": "MEETING",
                "name": "Negotiation meeting",
                "type": "APPOINTMENT",
                "serves": [1],
                "settings": {
                    "StepSuggestionText": "Know your walk-away price; trade concessions, never give them.",
                    "ActivityTemplateId": MEETING_TEMPLATE,
                },
            },
            {
                "key": "CONTRACT",
                "name": "Send the contract draft",
                "type": "EMAIL_AUTOMATION",
                "serves": [2],
                "settings": {"EmailTemplateId": 300100000040002, "WaitForRepliesFlag": True},
            },
            {
                "key": "LEGAL",
                "name": "Legal review follow-up",
                "type": "TASK",
                "serves": [2],
                "settings": {"ActivityTemplateId": TASK_TEMPLATE, "GracePeriod": 120, "AllowSkipFlag": True},
                "tasks": [
                    {"ActivityTemplateId": TASK_TEMPLATE, "ActivityId": 300100000020005, "AssignedTo": "TEAM_MEMBER"},
                ],
            },
            {
                "key": "ADVANCE",
                "name": "Move to Close",
                "type": "NEXT_STAGE",
                "serves": [],
                "settings": {"NextStageValue": "05 - Close"},
            },
        ],
    },
    {
        "key": "CLOSE",
        "name": "Close",
        "value": "05 - Close",
        "description": "Get the signature and hand the customer over to onboarding.",
        "objectives": [
            ("Obtain the signed contract", "Countersigned copy stored on the opportunity."),
            ("Hand over to customer success", "Kick-off scheduled with the onboarding team."),
        ],
        "steps": [
            {
                "key": "PROBABILITY",
                "name": "Raise win probability to 90 %",
                "type": "FIELD_UPDATE",
                "serves": [],
                "settings": {"FieldUpdateJson": '{"WinProb": 90, "ForecastCategory": "COMMIT"}'},
            },
            {
                "key": "SIGNATURE",
                "name": "Collect the signature",
                "type": "TASK",
                "serves": [1],
                "settings": {"ActivityTemplateId": TASK_TEMPLATE, "GracePeriod": 48},
                "tasks": [
                    {"ActivityTemplateId": TASK_TEMPLATE, "ActivityId": 300100000020006, "AssignedTo": "OWNER"},
                ],
            },
            {
                "key": "WELCOME",
                "name": "Send the welcome email",
                "type": "EMAIL_AUTOMATION",
                "serves": [2],
                "settings": {"EmailTemplateId": 300100000040003},
            },
            {
                "key": "STOP",
                "name": "End of playbook",
                "type": "STOP",
                "serves": [],
                "settings": {"ExitOrchestrationFlag": True},
            },
        ],
    },
]

# Document order of the step settings (contract §2 step table).
_SETTING_ORDER = (
    "StepSuggestionText",
    "ActivityTemplateId",
    "SmartActionId",
    "EmailTemplateId",
    "DaysToWait",
    "HoursToWait",
    "NextStageValue",
    "FieldUpdateJson",
    "GracePeriod",
    "AllowSkipFlag",
    "WaitForRepliesFlag",
    "ExitOrchestrationFlag",
    "SuccessStepNumber",
    "FailureStepNumber",
    "SuccessCriteria",
)
_MANUAL = {"TASK", "APPOINTMENT"}
# Flags sent as booleans even when false, as the exporter does.
_FLAG_DEFAULTS = {"EMAIL_AUTOMATION": "WaitForRepliesFlag", "STOP": "ExitOrchestrationFlag"}


def _stage_document(position: int, plan: dict[str, Any]) -> dict[str, Any]:
    prefix = f"DEMO-{plan['key']}"
    step_numbers = {step["key"]: f"ORCH-STP-{prefix}-{step['key']}" for step in plan["steps"]}
    objective_numbers = [f"ORCH-OBJ-{prefix}-{i}" for i in range(1, len(plan["objectives"]) + 1)]
    served = {index for step in plan["steps"] for index in step["serves"]}

    steps, tasks, associations = [], [], []
    for seq, step in enumerate(plan["steps"], start=1):
        settings = {"AllowSkipFlag": False, **step["settings"]}
        if step["type"] in _FLAG_DEFAULTS:
            settings.setdefault(_FLAG_DEFAULTS[step["type"]], False)
        if "success" in step:
            settings["SuccessStepNumber"] = step_numbers[step["success"]]
        if "failure" in step:
            settings["FailureStepNumber"] = step_numbers[step["failure"]]
        steps.append(
            {
                "OrchestrationStepNumber": step_numbers[step["key"]],
                "OrchestrationStepName": step["name"],
                "StepType": step["type"],
                "ExecutionMethod": "MANUAL" if step["type"] in _MANUAL else "AUTOMATIC",
                "DisplaySequence": seq,
                **{name: settings[name] for name in _SETTING_ORDER if name in settings},
            }
        )
        for task_seq, task in enumerate(step.get("tasks", []), start=1):
            tasks.append(
                {
                    "StepTasksNumber": f"ORCH-TSK-{prefix}-{step['key']}-{task_seq}",
                    "OrchestrationStepNumber": step_numbers[step["key"]],
                    "DisplaySequence": task_seq,
                    **{
                        name: task[name]
                        for name in ("ActivityTemplateId", "ActivityId", "SmartActionId", "AssignedTo")
                        if name in task
                    },
                }
            )
        for index in step["serves"]:
            associations.append(
                {
                    "StepObjectiveAssocNumber": f"ORCH-SOA-{prefix}-{step['key']}-{index}",
                    "OrchestrationStepNumber": step_numbers[step["key"]],
                    "StageObjectiveNumber": objective_numbers[index - 1],
                }
            )
    return {
        "OrchestrationStageNumber": f"ORCH-STG-{prefix}",
        "DisplaySequence": position,
        "StageName": plan["name"],
        "StageDescription": plan["description"],
        "LifecycleAttrValue": plan["value"],
        "ContainErrorsFlag": False,
        "StageObjectives": [
            {
                "StageObjectiveNumber": objective_numbers[i - 1],
                "ObjectiveName": name,
                "ObjectiveDescription": description,
                "DisplaySequence": i,
                "ObjectiveStatus": "MAPPED" if i in served else "NEW",
            }
            for i, (name, description) in enumerate(plan["objectives"], start=1)
        ],
        "Steps": steps,
        "StepTasks": tasks,
        "StepObjectivesAssociations": associations,
    }


_DOCUMENT: dict[str, Any] = {
    **_HEADER,
    "Stages": [_stage_document(position, plan) for position, plan in enumerate(_PLAN, start=1)],
}


def demo_document() -> dict[str, Any]:
    """A fresh copy of the demo document (callers may change it freely)."""
    return copy.deepcopy(_DOCUMENT)
