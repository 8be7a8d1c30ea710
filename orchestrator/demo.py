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


# -- The demo pod's reference catalogue (issue 11) ---------------------------------------------
# What the built-in sandbox answers for activityTemplates and the sales method's SalesStage, and
# the file an administrator would upload for smart actions, e-mail templates and activities. It
# names every id the demo orchestration uses, among others a real pod would also have.
DEMO_BUSINESS_UNIT_ID = "300100000000001"
DEMO_SALES_METHOD_ID = "300100000050001"

DEMO_ACTIVITY_TEMPLATES: tuple[tuple[int, str, str], ...] = (
    (CALL_TEMPLATE, "Qualification call", "Call: budget, authority, need and timeline"),
    (MEETING_TEMPLATE, "Customer meeting", "Appointment with agenda and minutes"),
    (TASK_TEMPLATE, "Follow-up task", "Task with a due date for the opportunity owner"),
    *(
        (300100000010000 + number, name, detail)
        for number, (name, detail) in enumerate(
            (
                ("Discovery workshop", "Half-day appointment with the customer's team"),
                ("Executive briefing", "Appointment with the sponsor and our executive"),
                ("Solution demo", "Appointment: scripted demo of the proposed solution"),
                ("Reference call", "Call between the prospect and a reference customer"),
                ("Pricing approval", "Task for the deal desk"),
                ("Proposal review", "Internal appointment before the proposal is sent"),
                ("Contract redlines", "Task for legal to review the customer's changes"),
                ("Security questionnaire", "Task for the security team"),
                ("Onboarding kickoff", "Appointment handing over to customer success"),
                ("Renewal check-in", "Call with the customer 90 days before renewal"),
                ("Win/loss interview", "Call after the opportunity closes"),
                ("Partner introduction", "Appointment with the implementation partner"),
                ("Site visit", "Appointment at the customer's premises"),
                ("Trial setup", "Task: provision a trial environment"),
                ("Mutual action plan", "Task: agree the close plan with the champion"),
                ("Budget confirmation", "Call with the budget holder"),
                ("Technical deep dive", "Appointment with the customer's architects"),
                ("Champion coaching", "Call preparing the champion for the decision meeting"),
                ("Procurement kickoff", "Appointment with the customer's purchasing"),
                ("Competitive review", "Internal task: plan against the competitor"),
                ("Quarterly business review", "Appointment with an existing customer"),
                ("Send collateral", "Task: send the brochure and case studies"),
                ("Stakeholder map", "Task: record who decides, who influences"),
                ("Close plan review", "Internal appointment with the sales manager"),
                ("Handover to delivery", "Task: hand the signed deal to delivery"),
            ),
            start=4,
        )
    ),
)
DEMO_SALES_STAGES: tuple[tuple[int, str, str], ...] = (
    (300100000060001, "01 - Qualify", "Open"),
    (300100000060002, "02 - Discover", "Open"),
    (300100000060003, "03 - Propose", "Open"),
    (300100000060004, "04 - Negotiate", "Open"),
    (300100000060005, "05 - Close", "Open"),
    (300100000060006, "06 - Won", "Closed"),
    (300100000060007, "07 - Lost", "Closed"),
)


def demo_catalogue_file() -> list[dict[str, Any]]:
    """The demo's smart actions, e-mail templates and activities, as an uploaded JSON catalogue file."""
    rows = [
        ("smart_action", 300100000030001, "Log call outcome", "Records the call's result on the opportunity"),
        ("smart_action", 300100000030002, "Request pricing approval", "Sends the quote to the deal desk"),
        ("smart_action", 300100000030003, "Create follow-up", "Adds a follow-up task for the owner"),
        ("email_template", 300100000040001, "Discovery recap", "Summary of the workshop with next steps"),
        ("email_template", 300100000040002, "Proposal follow-up", "Asks for feedback on the proposal"),
        ("email_template", 300100000040003, "Welcome aboard", "Welcome e-mail after signature"),
        ("email_template", 300100000040004, "Meeting request", "Proposes times for a first meeting"),
        ("activity", 300100000020001, "Champion call", "Qualification call with the champion"),
        ("activity", 300100000020002, "Budget follow-up", "Confirm budget approval in writing"),
        ("activity", 300100000020003, "Draft the proposal", "Write the proposal from the template"),
        ("activity", 300100000020004, "Pricing sign-off", "Get the discount approved"),
        ("activity", 300100000020005, "Legal review", "Review the customer's contract changes"),
        ("activity", 300100000020006, "Kickoff preparation", "Prepare the onboarding kickoff"),
    ]
    return [{"kind": kind, "id": ref, "name": name, "description": detail} for kind, ref, name, detail in rows]


# What the demo pod's describes of opportunities and leads list (issue 11): (name, title, type,
# length, updatable). The demo's Field update steps set WinProb and ForecastCategory; the ids and
# who-columns are there, not updatable, as on a real pod, so a refresh must leave them out.
DEMO_OPPORTUNITY_ATTRIBUTES: tuple[tuple[str, str, str, int | None, bool], ...] = (
    ("OptyId", "Opportunity ID", "integer", None, False),
    ("OptyNumber", "Opportunity Number", "string", 30, False),
    ("Name", "Name", "string", 275, True),
    ("WinProb", "Win probability", "number", None, True),
    ("ForecastCategory", "Forecast category", "string", 30, True),
    ("StatusCode", "Status", "string", 30, True),
    ("Revenue", "Revenue", "number", None, True),
    ("CloseDate", "Close date", "date", None, True),
    ("BudgetedFlag", "Budgeted", "boolean", 1, True),
    ("BudgetAvailableDate", "Budget available date", "date", None, True),
    ("DealHorizonCode", "Deal horizon", "string", 30, True),
    ("DescriptionText", "Description", "string", 1000, True),
    ("PrimaryCompetitorId", "Primary competitor", "integer", None, True),
    ("ReasonWonLostCode", "Win/loss reason", "string", 30, True),
    ("RiskLevelCode", "Risk level", "string", 30, True),
    ("CreatedBy", "Created by", "string", 64, False),
    ("CreationDate", "Creation date", "datetime", None, False),
    ("LastUpdatedBy", "Last updated by", "string", 64, False),
    ("LastUpdateDate", "Last update date", "datetime", None, False),
)
DEMO_LEAD_ATTRIBUTES: tuple[tuple[str, str, str, int | None, bool], ...] = (
    ("LeadId", "Lead ID", "integer", None, False),
    ("LeadNumber", "Lead number", "string", 30, False),
    ("Name", "Name", "string", 250, True),
    ("StatusCode", "Status", "string", 30, True),
    ("Rank", "Rank", "string", 30, True),
    ("LeadScore", "Score", "number", None, True),
    ("DealAmount", "Deal size", "number", None, True),
    ("DecisionMakerIdentifiedFlag", "Decision maker identified", "boolean", 1, True),
    ("EstimatedCloseDate", "Estimated close date", "date", None, True),
    ("ChannelType", "Channel type", "string", 30, True),
    ("QualificationScore", "Qualification score", "number", None, True),
    ("CreatedBy", "Created by", "string", 64, False),
    ("CreationDate", "Creation date", "datetime", None, False),
    ("LastUpdateDate", "Last update date", "datetime", None, False),
)
