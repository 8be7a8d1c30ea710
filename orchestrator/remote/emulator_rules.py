"""What the emulated remote accepts: describe metadata and body validation.

Everything is derived from the contract's JSON Schemas
(orchestration-stage.contract.json and the OrchestrationHeader of
orchestration-document.json), never from our payload builder: a sandbox that
shared the builder's code would agree with any mistake it makes.

Checks run in the order a reader would fix them, and the first group that
finds anything answers: the remote's metadata (unknown attribute, too long,
mandatory missing), then the schema (types, enums, minimums, step-type
rules), then what no schema can say (references inside the stage, unique
numbers, ObjectiveStatus, JSON text attributes).

Error codes are the emulator's own (CX Sales does not document its codes).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

CODE_BAD_JSON = "27001"
CODE_UNKNOWN_ATTRIBUTE = "27023"
CODE_TOO_LONG = "27024"
CODE_REQUIRED = "27025"
CODE_INVALID_VALUE = "27026"
CODE_BAD_REFERENCE = "27027"
CODE_DUPLICATE = "27028"

STAGE_KEY = "OrchestrationStageNumber"
KEYS = {
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
WHO_COLUMNS = ("CreatedBy", "CreationDate", "LastUpdatedBy", "LastUpdateDate")
_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "number": "number"}
_CREATE_ONLY = frozenset({"OrchestrationId"})


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a body, worded like the remote would."""

    detail: str
    code: str


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
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    return Draft202012Validator(stage_schema()), Draft202012Validator(header_schema())


def stage_children() -> dict[str, dict[str, Any]]:
    """Child resource name -> its schema (StageObjectives, Steps, StepTasks, StepObjectivesAssociations)."""
    schema = stage_schema()
    return {
        name: schema["$defs"][prop["items"]["$ref"].rsplit("/", 1)[1]]
        for name, prop in schema["properties"].items()
        if prop.get("type") == "array"
    }


def _attributes(schema: Mapping[str, Any], resource: str) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    attributes = [{"name": IDS[resource], "type": "integer", "updatable": False, "mandatory": False}]
    for name, prop in schema["properties"].items():
        if prop.get("type") == "array":
            continue
        attribute = {
            "name": name,
            "type": _TYPES.get(prop.get("type", "string"), "string"),
            "updatable": name not in _CREATE_ONLY,
            "mandatory": name in required,
        }
        if "maxLength" in prop:
            attribute["precision"] = prop["maxLength"]
        attributes.append(attribute)
    for name in WHO_COLUMNS:
        kind = {"type": "datetime"} if name.endswith("Date") else {"type": "string", "precision": 64}
        attributes.append({"name": name, **kind, "updatable": False, "mandatory": False})
    return attributes


@cache
def _base_describe() -> dict[str, Any]:
    stages = {
        "attributes": _attributes(stage_schema(), "Stages"),
        "children": {name: {"attributes": _attributes(s, name)} for name, s in stage_children().items()},
    }
    root = {"attributes": _attributes(header_schema(), "orchestrations"), "children": {"Stages": stages}}
    return {"Resources": {"orchestrations": root}}


def describe() -> dict[str, Any]:
    """The describe document (payload-contract §5 shape), a fresh copy each call."""
    return copy.deepcopy(_base_describe())


def find_resource(document: Mapping[str, Any], resource: str) -> dict[str, Any]:
    """The describe entry of "orchestrations", "Stages" or "Stages.<Child>"."""
    node = document["Resources"]["orchestrations"]
    if resource != "orchestrations":
        for part in resource.split("."):
            node = node["children"][part]
    return node  # type: ignore[return-value]


def drop_attribute(document: Mapping[str, Any], resource: str, name: str) -> dict[str, Any]:
    """A copy of `document` whose `resource` lacks attribute `name` (simulates an older remote)."""
    result = copy.deepcopy(dict(document))
    node = find_resource(result, resource)
    node["attributes"] = [a for a in node["attributes"] if a["name"] != name]
    return result


def set_precision(document: Mapping[str, Any], resource: str, name: str, precision: int) -> dict[str, Any]:
    """A copy of `document` where attribute `name` of `resource` holds at most `precision` characters."""
    result = copy.deepcopy(dict(document))
    for attribute in find_resource(result, resource)["attributes"]:
        if attribute["name"] == name:
            attribute["precision"] = precision
    return result


def _where(resource: str, item: Any, index: int | None) -> str:
    if index is None:
        return f"resource {resource}"
    key = item.get(KEYS.get(resource, ""), "") if isinstance(item, dict) else ""
    return f"resource {resource} (item {key or '#' + str(index + 1)})"


def metadata_problems(body: Mapping[str, Any], node: Mapping[str, Any], resource: str) -> list[Problem]:
    """Unknown attributes, values longer than the precision and missing mandatory values, per the describe."""
    return list(_metadata_problems(body, node, resource, None))


def _metadata_problems(item: Any, node: Mapping[str, Any], resource: str, index: int | None) -> Iterable[Problem]:
    if not isinstance(item, dict):
        return
    where = _where(resource, item, index)
    attributes = {a["name"]: a for a in node.get("attributes", [])}
    children = node.get("children", {})
    for name, value in item.items():
        if name in children:
            if isinstance(value, list):
                for i, child in enumerate(value):
                    yield from _metadata_problems(child, children[name], name, i)
        elif name not in attributes:
            yield Problem(f"Attribute {name} is not recognized for {where}.", CODE_UNKNOWN_ATTRIBUTE)
        elif isinstance(value, str) and "precision" in attributes[name] and len(value) > attributes[name]["precision"]:
            limit = attributes[name]["precision"]
            yield Problem(
                f"The value of attribute {name} is too long for {where}: {len(value)} characters, at most {limit}.",
                CODE_TOO_LONG,
            )
    for name, attribute in attributes.items():
        if attribute.get("mandatory") and item.get(name) in (None, ""):
            yield Problem(f"Attribute {name} is required for {where}.", CODE_REQUIRED)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", list: "array", dict: "object", type(None): "null"}.get(type(value), "value")


def _schema_problem(error: Any, body: Mapping[str, Any], root: str) -> list[Problem]:
    path = list(error.absolute_path)
    resource, item, index = root, body, None
    if len(path) >= 2 and isinstance(path[1], int):
        resource, index = str(path[0]), path[1]
        item = body[resource][index]
        path = path[2:]
    attr = str(path[0]) if path else ""
    where = _where(resource, item, index)
    value, rule = error.instance, error.validator_value
    invalid = CODE_INVALID_VALUE
    match error.validator:
        case "required":
            return [Problem(f"Attribute {n} is required for {where}.", CODE_REQUIRED) for n in rule if n not in value]
        case "additionalProperties":
            extra = sorted(set(value) - set(error.schema.get("properties", {})))
            return [Problem(f"Attribute {n} is not recognized for {where}.", CODE_UNKNOWN_ATTRIBUTE) for n in extra]
        case "maxLength":
            detail = f"The value of attribute {attr} is too long for {where}: {len(value)} characters, at most {rule}."
            return [Problem(detail, CODE_TOO_LONG)]
        case "minLength":
            detail = f"Attribute {attr} is required for {where} (an empty value is stored as null)."
            return [Problem(detail, CODE_REQUIRED)]
        case "type":
            detail = f"Attribute {attr or resource} of {where} must be of type {rule}, not {_json_type(value)}."
            return [Problem(detail, invalid)]
        case "enum":
            allowed = ", ".join(map(str, rule))
            detail = f"Value {json.dumps(value)} of attribute {attr} is not valid for {where}; use {allowed}."
            return [Problem(detail, invalid)]
        case "const":
            step_type = item.get("StepType") if isinstance(item, dict) else None
            context = f" when StepType is {step_type}" if step_type else ""
            return [Problem(f"Attribute {attr} of {where} must be {json.dumps(rule)}{context}.", invalid)]
        case "minimum":
            return [Problem(f"Value {value} of attribute {attr} is below the minimum {rule} for {where}.", invalid)]
        case "dependentRequired":
            return [
                Problem(f"Attribute {need} is required for {where} when {name} is set.", CODE_REQUIRED)
                for name, needs in rule.items()
                if name in value
                for need in needs
                if need not in value
            ]
        case "anyOf" if all("required" in option for option in rule):
            options = " or ".join(" and ".join(option["required"]) for option in rule)
            step_type = value.get("StepType") if isinstance(value, dict) else None
            context = f" (StepType {step_type})" if step_type else ""
            return [Problem(f"One of {options} is required for {where}{context}.", CODE_REQUIRED)]
    return [Problem(f"{error.message[:300]} ({where}).", invalid)]


def _error_order(error: Any) -> tuple[list[str], int, list[str], str]:
    """Per item, direct errors before the step-type rules (an invalid StepType explains the rest)."""
    path = [str(p) for p in error.absolute_path]
    conditional = 1 if "allOf" in error.schema_path else 0
    return path[:2], conditional, path[2:], str(error.validator)


def schema_problems(body: Mapping[str, Any], *, header: bool = False) -> list[Problem]:
    """What the JSON Schema refuses, in a stable order, worded per attribute."""
    stage_validator, header_validator = _validators()
    validator = header_validator if header else stage_validator
    root = "orchestrations" if header else "Stages"
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(body), key=_error_order):
        for problem in _schema_problem(error, body, root):
            if problem not in problems:
                problems.append(problem)
    return problems


def reference_problems(body: Mapping[str, Any], taken: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """What no schema can say: references inside the stage, unique numbers, ObjectiveStatus, JSON text.

    `taken` maps child resource -> {number: stage number} for the orchestration's
    *other* stages: a child number is an alternate key and cannot live in two stages.
    """
    problems: list[Problem] = []
    stage_number = body.get(STAGE_KEY)
    items = {name: list(body.get(name) or []) for name in stage_children()}
    for resource, rows in items.items():
        key = KEYS[resource]
        counts = Counter(row.get(key) for row in rows)
        for number, count in counts.items():
            if count > 1:
                problems.append(Problem(f"{key} {number} appears {count} times in {resource}.", CODE_DUPLICATE))
            elif number in taken.get(resource, {}):
                other = taken[resource][number]
                problems.append(
                    Problem(f"{key} {number} already belongs to stage {other} of this orchestration.", CODE_DUPLICATE)
                )
    steps = {row["OrchestrationStepNumber"]: row for row in items["Steps"]}
    objectives = {row["StageObjectiveNumber"] for row in items["StageObjectives"]}

    def bad(detail: str) -> None:
        problems.append(Problem(detail, CODE_BAD_REFERENCE))

    json_attributes = [
        name
        for name, prop in stage_children()["Steps"]["properties"].items()
        if prop.get("contentMediaType") == "application/json"
    ]
    for step in items["Steps"]:
        label = step["OrchestrationStepNumber"]
        for attr in ("SuccessStepNumber", "FailureStepNumber"):
            if attr in step and step[attr] not in steps:
                bad(f"{attr} {step[attr]} of step {label} is not a step of stage {stage_number}.")
        for attr in json_attributes:
            if isinstance(step.get(attr), str):
                try:
                    json.loads(step[attr])
                except ValueError:
                    problems.append(Problem(f"Attribute {attr} of step {label} must be JSON text.", CODE_INVALID_VALUE))
    for task in items["StepTasks"]:
        label, step_number = task["StepTasksNumber"], task["OrchestrationStepNumber"]
        step = steps.get(step_number)
        if step is None:
            bad(f"Step task {label}: step {step_number} is not in stage {stage_number}.")
        elif step.get("StepType") != "TASK":
            bad(f"Step task {label}: step {step_number} is a {step.get('StepType')} step; tasks belong to TASK steps.")
    mapped = set()
    for assoc in items["StepObjectivesAssociations"]:
        number = assoc["StepObjectiveAssocNumber"]
        if assoc["OrchestrationStepNumber"] not in steps:
            bad(f"Association {number}: step {assoc['OrchestrationStepNumber']} is not in stage {stage_number}.")
        if assoc["StageObjectiveNumber"] not in objectives:
            bad(f"Association {number}: objective {assoc['StageObjectiveNumber']} is not in stage {stage_number}.")
        mapped.add(assoc["StageObjectiveNumber"])
    for objective in items["StageObjectives"]:
        number, status = objective["StageObjectiveNumber"], objective["ObjectiveStatus"]
        expected = "MAPPED" if number in mapped else "NEW"
        if status != expected:
            why = "an association names it" if expected == "MAPPED" else "no association names it"
            problems.append(
                Problem(f"ObjectiveStatus of objective {number} must be {expected}: {why}.", CODE_INVALID_VALUE)
            )
    return problems
