"""What the emulated remote accepts: the contract's rules, worded like the remote would.

Everything is derived from the contract's JSON Schemas
(orchestration-stage.contract.json and the OrchestrationHeader of
orchestration-document.json), never from our payload builder: a sandbox that
shared the builder's code would agree with any mistake it makes.

Checks run in the order a reader would fix them, and the first group that
finds anything answers: the remote's metadata (unknown attribute, too long,
mandatory missing; on the pod's own names, see emulator_describe.py), then
the schema (types, enums, minimums, step-type rules) on the item in contract
form, then what no schema can say (references inside the stage, unique
numbers, ObjectiveStatus, JSON text attributes).

Error codes are the emulator's own (CX Sales does not document its codes).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..schema_check import SchemaCheck

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

CODE_BAD_JSON = "27001"
CODE_UNKNOWN_ATTRIBUTE = "27023"
CODE_TOO_LONG = "27024"
CODE_REQUIRED = "27025"
CODE_INVALID_VALUE = "27026"
CODE_BAD_REFERENCE = "27027"
CODE_DUPLICATE = "27028"
CODE_NOT_SUPPORTED = "27029"
CODE_BAD_QUERY = "27030"

STAGE_KEY = "OrchestrationStageNumber"
KEYS = {
    "orchestrations": "OrchestrationNumber",
    "Stages": STAGE_KEY,
    "StageObjectives": "StageObjectiveNumber",
    "Steps": "OrchestrationStepNumber",
    "StepTasks": "StepTasksNumber",
    "StepObjectivesAssociations": "StepObjectiveAssocNumber",
}
IDS = {
    "orchestrations": "OrchestrationId",
    "Stages": "OrchestrationStageId",
    "StageObjectives": "StageObjectiveId",
    "Steps": "OrchestrationStepId",
    "StepTasks": "StepTasksId",
    "StepObjectivesAssociations": "StepObjectiveAssocId",
}
# Contract attributes that name a sibling of the same stage: (resource, attribute) -> the resource named.
LINKS = {
    ("Steps", "SuccessStepNumber"): "Steps",
    ("Steps", "FailureStepNumber"): "Steps",
    ("StepTasks", "OrchestrationStepNumber"): "Steps",
    ("StepObjectivesAssociations", "OrchestrationStepNumber"): "Steps",
    ("StepObjectivesAssociations", "StageObjectiveNumber"): "StageObjectives",
}
LABELS = {
    "Stages": "stage",
    "StageObjectives": "objective",
    "Steps": "step",
    "StepTasks": "step task",
    "StepObjectivesAssociations": "association",
}
WHO_COLUMNS = ("CreatedBy", "CreationDate", "LastUpdatedBy", "LastUpdateDate")
CHILDREN = ("StageObjectives", "Steps", "StepTasks", "StepObjectivesAssociations")

Naming = Callable[[str, str], str]  # (resource, contract attribute) -> the name shown in messages


def _same(resource: str, name: str) -> str:
    return name


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a request, worded like the remote would.

    `integrity` marks what a database would refuse (a foreign key, a row still
    referenced) rather than a validation rule: ADF answers those with a 500.
    """

    detail: str
    code: str
    integrity: bool = False


@dataclass(frozen=True)
class Unresolved:
    """A link by numeric id that names no item of the stage (kept until the reference checks)."""

    attribute: str
    value: Any

    def __str__(self) -> str:
        return f"#{self.value}"


@cache
def stage_schema() -> dict[str, Any]:
    """The stage POST body contract."""
    return json.loads((SCHEMA_DIR / "orchestration-stage.contract.json").read_text(encoding="utf-8"))


@cache
def header_schema() -> dict[str, Any]:
    """The orchestration header POST body (self-contained: it has no $ref)."""
    document = json.loads((SCHEMA_DIR / "orchestration-document.json").read_text(encoding="utf-8"))
    return document["$defs"]["OrchestrationHeader"]


@cache
def _validators() -> tuple[SchemaCheck, SchemaCheck]:
    return SchemaCheck(stage_schema()), SchemaCheck(header_schema())


def stage_children() -> dict[str, dict[str, Any]]:
    """Child resource name -> its schema (StageObjectives, Steps, StepTasks, StepObjectivesAssociations)."""
    schema = stage_schema()
    return {
        name: schema["$defs"][prop["items"]["$ref"].rsplit("/", 1)[1]]
        for name, prop in schema["properties"].items()
        if prop.get("type") == "array"
    }


def resource_schema(resource: str) -> dict[str, Any]:
    """The contract schema of one resource ("orchestrations", "Stages" or a stage child)."""
    if resource == "orchestrations":
        return header_schema()
    if resource == "Stages":
        return stage_schema()
    return stage_children()[resource]


@cache
def _properties(resource: str) -> tuple[str, ...]:
    schema = resource_schema(resource)
    return tuple(name for name, prop in schema["properties"].items() if prop.get("type") != "array")


def contract_attributes(resource: str) -> tuple[str, ...]:
    """The contract's attributes of `resource` in the schema's order (child arrays excluded)."""
    return _properties(resource)


def lob_attributes(resource: str) -> frozenset[str]:
    """Attributes holding JSON text (contentMediaType application/json): LOBs on a real pod."""
    if resource in ("orchestrations", "Stages"):
        return frozenset()
    props = resource_schema(resource)["properties"]
    return frozenset(n for n, p in props.items() if p.get("contentMediaType") == "application/json")


def enum_values(resource: str, attribute: str) -> list[Any]:
    """The contract's allowed values of an attribute ([] when any value of its type goes)."""
    return list(resource_schema(resource)["properties"].get(attribute, {}).get("enum", []))


# -- the describe document as data -----------------------------------------------------------


def find_resource(document: Mapping[str, Any], resource: str) -> dict[str, Any]:
    """The describe entry of a resource: "orchestrations", a dotted path ("Stages.Steps") or a bare name.

    A bare child name ("StepTasks") is found wherever the pod puts it (under
    Stages or under Steps). Raises KeyError when the describe has no such resource.
    """
    root = document["Resources"]["orchestrations"]
    if resource == "orchestrations":
        return root  # type: ignore[no-any-return]
    parts = resource.split(".")
    if len(parts) > 1:
        node = root
        for part in parts:
            node = node["children"][part]
        return node  # type: ignore[no-any-return]
    pending = [root]
    while pending:
        node = pending.pop(0)
        children = node.get("children", {})
        if resource in children:
            return children[resource]  # type: ignore[no-any-return]
        pending.extend(children.values())
    raise KeyError(resource)


# -- how messages name items ------------------------------------------------------------------


def where(resource: str, item: Any, index: int | None = None, key: str | None = None) -> str:
    """How a message names an item: "resource Stages", "resource Steps (item ORCH-1-STP-1)"."""
    if index is None and resource in ("orchestrations", "Stages"):
        return f"resource {resource}"
    number = item.get(key or KEYS.get(resource, ""), "") if isinstance(item, dict) else ""
    if not number and index is None:
        return f"resource {resource}"
    return f"resource {resource} (item {number or '#' + str((index or 0) + 1)})"


# -- the contract schema (contract names) ------------------------------------------------------


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object", type(None): "null"}.get(type(value), "value")


def _schema_problem(error: Any, body: Mapping[str, Any], root: str, naming: Naming) -> list[Problem]:
    path = list(error.absolute_path)
    resource, item, index = root, body, None
    if len(path) >= 2 and isinstance(path[1], int):
        resource, index = str(path[0]), path[1]
        item = body[resource][index]
        path = path[2:]

    def name(attribute: str) -> str:
        return naming(resource, attribute)

    attr = name(str(path[0])) if path else ""
    place = where(resource, item, index)
    value, rule = error.instance, error.validator_value
    invalid = CODE_INVALID_VALUE
    match error.validator:
        case "required":
            return [
                Problem(f"Attribute {name(n)} is required for {place}.", CODE_REQUIRED) for n in rule if n not in value
            ]
        case "additionalProperties":
            extra = sorted(set(value) - set(error.schema.get("properties", {})))
            return [Problem(f"Attribute {n} is not recognized for {place}.", CODE_UNKNOWN_ATTRIBUTE) for n in extra]
        case "maxLength":
            detail = f"The value of attribute {attr} is too long for {place}: {len(value)} characters, at most {rule}."
            return [Problem(detail, CODE_TOO_LONG)]
        case "minLength":
            detail = f"Attribute {attr} is required for {place} (an empty value is stored as null)."
            return [Problem(detail, CODE_REQUIRED)]
        case "type":
            detail = f"Attribute {attr or resource} of {place} must be of type {rule}, not {_json_type(value)}."
            return [Problem(detail, invalid)]
        case "enum":
            allowed = ", ".join(map(str, rule))
            detail = f"Value {json.dumps(value)} of attribute {attr} is not valid for {place}; use {allowed}."
            return [Problem(detail, invalid)]
        case "const":
            step_type = item.get("StepType") if isinstance(item, dict) else None
            context = f" when StepType is {step_type}" if step_type else ""
            return [Problem(f"Attribute {attr} of {place} must be {json.dumps(rule)}{context}.", invalid)]
        case "minimum":
            return [Problem(f"Value {value} of attribute {attr} is below the minimum {rule} for {place}.", invalid)]
        case "dependentRequired":
            return [
                Problem(f"Attribute {name(need)} is required for {place} when {name(n)} is set.", CODE_REQUIRED)
                for n, needs in rule.items()
                if n in value
                for need in needs
                if need not in value
            ]
        case "anyOf" if all("required" in option for option in rule):
            options = " or ".join(" and ".join(name(n) for n in option["required"]) for option in rule)
            step_type = value.get("StepType") if isinstance(value, dict) else None
            context = f" (StepType {step_type})" if step_type else ""
            return [Problem(f"One of {options} is required for {place}{context}.", CODE_REQUIRED)]
    return [Problem(f"{error.message[:300]} ({place}).", invalid)]


def _error_order(error: Any) -> tuple[list[str], int, list[str], str]:
    """Per item, direct errors before the step-type rules (an invalid StepType explains the rest)."""
    path = [str(p) for p in error.absolute_path]
    conditional = 1 if "allOf" in error.schema_path else 0
    return path[:2], conditional, path[2:], str(error.validator)


def schema_problems(body: Mapping[str, Any], *, header: bool = False, naming: Naming = _same) -> list[Problem]:
    """What the JSON Schema refuses, in a stable order, worded per attribute (named by `naming`)."""
    stage_validator, header_validator = _validators()
    validator = header_validator if header else stage_validator
    root = "orchestrations" if header else "Stages"
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(body), key=_error_order):
        for problem in _schema_problem(error, body, root, naming):
            if problem not in problems:
                problems.append(problem)
    return problems


# -- what no schema can say -----------------------------------------------------------------------


def reference_problems(
    body: Mapping[str, Any], taken: Mapping[str, Mapping[str, str]], *, naming: Naming = _same
) -> list[Problem]:
    """References inside the stage, unique numbers, ObjectiveStatus, JSON text (a stage in contract form).

    `taken` maps child resource -> {number: stage number} for the orchestration's
    *other* stages: a child number is an alternate key and cannot live in two stages.
    A link held as `Unresolved` (an id naming nothing) is an integrity problem.
    """
    problems: list[Problem] = []
    stage_number = body.get(STAGE_KEY)
    items = {name: [row for row in body.get(name) or [] if isinstance(row, dict)] for name in CHILDREN}
    for resource, rows in items.items():
        key = KEYS[resource]
        counts = Counter(row.get(key) for row in rows)
        for number, count in counts.items():
            if count > 1:
                problems.append(
                    Problem(f"{naming(resource, key)} {number} appears {count} times in {resource}.", CODE_DUPLICATE)
                )
            elif number in taken.get(resource, {}):
                other = taken[resource][number]
                problems.append(
                    Problem(
                        f"{naming(resource, key)} {number} already belongs to stage {other} of this orchestration.",
                        CODE_DUPLICATE,
                    )
                )
    steps = {row.get("OrchestrationStepNumber"): row for row in items["Steps"]}
    objectives = {row.get("StageObjectiveNumber") for row in items["StageObjectives"]}

    def bad(detail: str, value: Any = None) -> None:
        problems.append(Problem(detail, CODE_BAD_REFERENCE, integrity=isinstance(value, Unresolved)))

    def shown(resource: str, attribute: str, value: Any) -> str:
        if isinstance(value, Unresolved):
            return f"{value.attribute} {value.value}"
        return f"{naming(resource, attribute)} {value}"

    json_attributes = sorted(lob_attributes("Steps"))
    for step in items["Steps"]:
        label = step.get("OrchestrationStepNumber")
        for attr in ("SuccessStepNumber", "FailureStepNumber"):
            if attr in step and step[attr] not in steps:
                bad(
                    f"{shown('Steps', attr, step[attr])} of step {label} is not a step of stage {stage_number}.",
                    step[attr],
                )
        for attr in json_attributes:
            if isinstance(step.get(attr), str):
                try:
                    json.loads(step[attr])
                except (ValueError, RecursionError):
                    detail = f"Attribute {naming('Steps', attr)} of step {label} must be JSON text."
                    problems.append(Problem(detail, CODE_INVALID_VALUE))
    for task in items["StepTasks"]:
        label, step_number = task.get("StepTasksNumber"), task.get("OrchestrationStepNumber")
        step = steps.get(step_number)
        if step is None:
            bad(f"Step task {label}: step {step_number} is not in stage {stage_number}.", step_number)
        elif step.get("StepType") != "TASK":
            bad(f"Step task {label}: step {step_number} is a {step.get('StepType')} step; tasks belong to TASK steps.")
    mapped = set()
    for assoc in items["StepObjectivesAssociations"]:
        number = assoc.get("StepObjectiveAssocNumber")
        step_number, objective = assoc.get("OrchestrationStepNumber"), assoc.get("StageObjectiveNumber")
        if step_number not in steps:
            bad(f"Association {number}: step {step_number} is not in stage {stage_number}.", step_number)
        if objective not in objectives:
            bad(f"Association {number}: objective {objective} is not in stage {stage_number}.", objective)
        mapped.add(objective)
    # One direction only: an objective an association names must be MAPPED; one sent as MAPPED before
    # its association exists is fine (the next request may create the association).
    for objective in items["StageObjectives"]:
        number, status = objective.get("StageObjectiveNumber"), objective.get("ObjectiveStatus")
        if number in mapped and status != "MAPPED":
            problems.append(
                Problem(
                    f"{naming('StageObjectives', 'ObjectiveStatus')} of objective {number} must be MAPPED: "
                    "an association names it.",
                    CODE_INVALID_VALUE,
                )
            )
    return problems


def dangling_problems(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Problem]:
    """What still refers to an item a delete removed (stages in contract form, before and after).

    Each is an integrity problem: the pod refuses the delete rather than leave a link to nothing.
    """
    gone = {
        (name, row.get(KEYS[name]))
        for name in ("Steps", "StageObjectives")
        for row in before.get(name) or []
        if row.get(KEYS[name]) not in {r.get(KEYS[name]) for r in after.get(name) or []}
    }
    problems = []
    for (resource, attribute), target in LINKS.items():
        for row in after.get(resource) or []:
            value = row.get(attribute)
            if (target, value) in gone:
                what = f"{LABELS[target].capitalize()} {value}"
                holder = f"{LABELS[resource]} {row.get(KEYS[resource])}"
                problems.append(
                    Problem(f"{what} cannot be deleted: {holder} refers to it ({attribute}).", CODE_BAD_REFERENCE, True)
                )
    return problems
