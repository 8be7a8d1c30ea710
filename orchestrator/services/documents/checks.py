"""Checks of an import document that run before anything is written.

`orchestration_import` checks a whole document before it changes anything, in
the order that gives the most useful report: the JSON Schema (every error),
then what a schema cannot say (duplicate numbers, references that leave their
stage, numbers owned by another orchestration, statuses that contradict the
associations), then the tree is built inside a transaction and judged by
`validate_orchestration`. Problems are reported as (JSON path, message).
"""

import dataclasses
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError

from ...models import ObjectiveStatus, Stage, StageObjective, Step, StepObjectiveAssociation, StepTask, StepType
from ...models.numbers import number_problem
from ...models.text import text_problem
from ...schema_check import SchemaCheck
from ...validation import Problem
from .export import FIELD_ATTRIBUTES

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "orchestration-document.json"

# The child arrays of a stage document: (attribute, kind, number attribute).
_CHILD_ARRAYS = (
    ("StageObjectives", "objective", "StageObjectiveNumber"),
    ("Steps", "step", "OrchestrationStepNumber"),
    ("StepTasks", "step_task", "StepTasksNumber"),
    ("StepObjectivesAssociations", "association", "StepObjectiveAssocNumber"),
)

PathProblem = tuple[str, str]


class DocumentInvalid(Exception):
    """The document cannot be imported; nothing was changed. `problems` lists (JSON path, message)."""

    def __init__(self, problems: list[PathProblem]):
        self.problems = problems
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the document; nothing was imported")


def article(word: str) -> str:
    """The word with the article that fits it when spoken: "an EMAIL_AUTOMATION", "a TASK"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def json_path(*parts: str | int) -> str:
    """A JSON path in the style of jsonschema's `json_path`: $.Stages[2].Steps[0].StepType."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def parse_document(data: str | bytes) -> Any:
    """The JSON of an import file; DocumentInvalid with line and column when it is not JSON.

    A UTF-8 byte order mark is accepted; a key that appears twice in one object
    is refused, because JSON parsers silently keep only one of the two.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentInvalid(
                [("$", f"The file is not UTF-8 text (undecodable byte at offset {exc.start}).")]
            ) from exc
    data = data.removeprefix("\ufeff")
    duplicates: list[str] = []
    constants: list[str] = []

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    def refuse_constant(name: str) -> None:
        constants.append(name)  # NaN and Infinity are Python's extension, not JSON

    try:
        document = json.loads(data, object_pairs_hook=unique_keys, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise DocumentInvalid(
            [("$", f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")]
        ) from exc
    except RecursionError as exc:
        raise DocumentInvalid([("$", "The file nests objects too deeply to be an orchestration document.")]) from exc
    problems = [
        ("$", f"The key “{key}” appears twice in one object; keep only one.") for key in dict.fromkeys(duplicates)
    ]
    problems += [("$", f"{name} is not a JSON value; write a number.") for name in dict.fromkeys(constants)]
    if problems:
        raise DocumentInvalid(problems)
    return document


def text_problems(document: Any) -> list[PathProblem]:
    """Every key and string of the document that holds a NUL or a lone surrogate, by JSON path.

    Checked before anything else: no database stores such text, and a message
    echoing it could not even be printed, so these messages name only the path.
    """
    problems: list[PathProblem] = []
    pending: list[tuple[str, Any]] = [("$", document)]  # a list, not recursion: any depth parse_document allowed
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if problem := text_problem(value):
                problems.append((path, f"This {problem}."))
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := text_problem(key):
                    problems.append((path, f"A key of this object {problem}."))
                else:
                    pending.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return sorted(problems, key=lambda problem: _path_key(problem[0]))


def _path_key(path: str) -> tuple:
    """Sort key of a JSON path that puts [10] after [2]."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\[\]]+", path) if part)


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every plain `{"$ref": "#/$defs/X"}` replaced by X itself (the schema has no cycles).

    jsonschema resolves a `$ref` on every use; a 200-stage document uses them
    thousands of times. The errors are the same (their instance paths and
    messages; only their schema paths lose the `$ref` steps).
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if len(node) == 1 and isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inlined(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(value, defs) for value in node]
    return node


@cache
def _schema_validator() -> SchemaCheck:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return SchemaCheck(_inlined(schema, schema.get("$defs", {})))


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


_SCHEMA_TYPES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
}


def _describe_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _container(document: Any, parts: list) -> Any:
    """The value at a path of the document (parts as in `absolute_path`), or None."""
    value = document
    for part in parts:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _step_type_of(value: Any) -> str:
    return value["StepType"] if isinstance(value, dict) and isinstance(value.get("StepType"), str) else ""


def _schema_problems(error: SchemaError, document: Any) -> list[PathProblem]:
    """Plain-language (path, message) for one schema error; the technical message as a fallback."""
    path, rule, value, instance = error.json_path, error.validator, error.validator_value, error.instance
    # Rules that depend on the step type live under allOf → if/then/else of the Step definition.
    from_step_type = "allOf" in error.schema_path
    if rule == "required":
        missing = error.message.split("'")[1] if error.message.count("'") >= 2 else "a required attribute"
        step_type = _step_type_of(instance) if from_step_type else ""
        reason = f"; {step_type} steps need it" if step_type else ""
        return [(f"{path}.{missing}", f"is missing{reason}.")]
    if rule == "dependentRequired":
        return [
            (f"{path}.{needed}", f"is missing; a step with {key} needs {needed}.")
            for key, needs in value.items()
            if key in instance
            for needed in needs
            if needed not in instance
        ]
    if rule == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        return [
            (f"{path}.{name}", "is not an attribute of this format; remove it or check its spelling.")
            for name in sorted(set(instance) - allowed)
        ]
    if rule == "anyOf" and all(set(option) == {"required"} for option in value):
        names = " or ".join(name for option in value for name in option["required"])
        step_type = _step_type_of(instance)
        subject = f"{article(step_type)} step" if step_type else "this object"
        subject = subject[0].upper() + subject[1:]
        return [(path, f"{subject} needs {names}.")]
    if rule == "const":
        step_type = _step_type_of(_container(document, list(error.absolute_path)[:-1])) if from_step_type else ""
        if from_step_type and step_type not in StepType.values:
            return []  # the unknown StepType has its own problem; the derived method adds nothing
        reason = f" for {article(step_type)} step" if step_type else ""
        expected, found = json.dumps(value, ensure_ascii=False), json.dumps(instance, ensure_ascii=False)
        return [(path, f"must be {expected}{reason}, not {found}.")]
    if rule == "enum":
        shown = json.dumps(instance, ensure_ascii=False)
        return [(path, f"{shown} is not allowed here; use one of {', '.join(map(str, value))}.")]
    if rule == "type":
        return [(path, f"must be {_SCHEMA_TYPES.get(value, value)}, not {_describe_type(instance)}.")]
    if rule == "maxLength":
        return [(path, f"is {len(instance)} characters long; at most {value} are allowed.")]
    if rule == "minLength":
        return [(path, "must not be empty.")]
    if rule == "minimum":
        return [(path, f"must be at least {value}, not {instance}.")]
    return [(path, error.message)]


def _schema_sort_key(error: SchemaError) -> tuple:
    # Paths mix ints and strings; compare them as (is_key, value) pairs so Stages[10] sorts after Stages[2].
    return (tuple((isinstance(p, str), p) for p in error.absolute_path), error.message)


def schema_problems(document: Any) -> list[PathProblem]:
    """Every JSON Schema error of the document (Draft 2020-12), as (path, message), in path order."""
    problems: list[PathProblem] = []
    for error in sorted(_schema_validator().iter_errors(document), key=_schema_sort_key):
        problems.extend(_schema_problems(error, document))
    return list(dict.fromkeys(problems))


@dataclasses.dataclass
class NumberIndex:
    """Where each number of the document sits, to point problems at the file."""

    paths: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)  # number → (kind, JSON path)
    stage_of: dict[str, int] = dataclasses.field(default_factory=dict)  # child number → stage index
    kinds: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # kind → numbers

    def problem_path(self, problem: Problem) -> str:
        """The JSON path of the object (and field) a validation problem names."""
        kind_path = self.paths.get(problem.number)
        base = kind_path[1] if kind_path else "$"
        attribute = FIELD_ATTRIBUTES.get(problem.kind, {}).get(problem.field)
        return f"{base}.{attribute}" if attribute else base


def _stage_of_path(problem: PathProblem) -> int:
    path = problem[0]
    if not path.startswith("$.Stages["):
        return -1
    return int(path[len("$.Stages[") : path.index("]")])


def _stage_label(stage: dict[str, Any], index: int) -> str:
    return f"stage “{stage.get('StageName') or index + 1}”"


class StructureCheck:
    """What the schema cannot say: unique numbers, references inside one stage, unique orders, statuses."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.stages: list[dict[str, Any]] = document["Stages"]
        self.problems: list[PathProblem] = []
        self.index = NumberIndex()
        self.first_seen: dict[str, str] = {}

    def run(self) -> tuple[list[PathProblem], NumberIndex]:
        self.register(self.document["OrchestrationNumber"], "orchestration", "$", "OrchestrationNumber", None)
        self.sequences([(json_path("Stages", i), s["DisplaySequence"]) for i, s in enumerate(self.stages)], "the stage")
        for i, stage in enumerate(self.stages):
            number = stage["OrchestrationStageNumber"]
            self.register(number, "stage", json_path("Stages", i), "OrchestrationStageNumber")
            for array, kind, number_attribute in _CHILD_ARRAYS:
                for j, item in enumerate(stage.get(array, [])):
                    self.register(item[number_attribute], kind, json_path("Stages", i, array, j), number_attribute, i)
        for i, stage in enumerate(self.stages):
            self.check_stage(i, stage)
        # Report stage by stage, in file order (sorted() is stable within a stage).
        return sorted(self.problems, key=_stage_of_path), self.index

    def register(self, number: str, kind: str, path: str, attribute: str, stage_index: int | None = None) -> None:
        # A number becomes a URL segment here and a REST path segment remotely: the models' rule, checked first.
        if problem := number_problem(number):
            self.problems.append((f"{path}.{attribute}", problem))
        if number in self.first_seen:
            self.problems.append(
                (f"{path}.{attribute}", f"the number “{number}” is already used at {self.first_seen[number]}.")
            )
            return
        self.first_seen[number] = path
        self.index.paths[number] = (kind, path)
        self.index.kinds.setdefault(kind, []).append(number)
        if stage_index is not None:
            self.index.stage_of[number] = stage_index

    def sequences(self, items: list[tuple[str, int]], what: str) -> None:
        """DisplaySequence must be unique among siblings: it is the order, and the database insists."""
        seen: dict[int, str] = {}
        for path, sequence in items:
            if sequence in seen:
                self.problems.append(
                    (f"{path}.DisplaySequence", f"{what} at {seen[sequence]} already has DisplaySequence {sequence}.")
                )
            else:
                seen[sequence] = path

    def reference(self, i: int, path: str, number: str, wanted: dict[str, Any], what: str) -> bool:
        """True when `number` names a `what` of stage i; else one problem saying where it points instead."""
        if number in wanted:
            return True
        here = _stage_label(self.stages[i], i)
        elsewhere = self.index.paths.get(number)
        if elsewhere and elsewhere[0] == what:
            other = self.index.stage_of[number]
            self.problems.append(
                (
                    path,
                    f"names “{number}”, {article(what)} of {_stage_label(self.stages[other], other)}; "
                    f"references must stay inside {here}.",
                )
            )
        else:
            self.problems.append((path, f"names “{number}”, but {here} has no {what} with that number."))
        return False

    def check_stage(self, i: int, stage: dict[str, Any]) -> None:
        # The first of two items with one number is the real one; the second is reported as a duplicate.
        steps: dict[str, dict[str, Any]] = {}
        for step in stage.get("Steps", []):
            steps.setdefault(step["OrchestrationStepNumber"], step)
        objectives: dict[str, dict[str, Any]] = {}
        for objective in stage.get("StageObjectives", []):
            objectives.setdefault(objective["StageObjectiveNumber"], objective)
        self.sequences(
            [
                (json_path("Stages", i, "StageObjectives", j), o["DisplaySequence"])
                for j, o in enumerate(stage.get("StageObjectives", []))
            ],
            "the objective",
        )
        self.sequences(
            [(json_path("Stages", i, "Steps", j), s["DisplaySequence"]) for j, s in enumerate(stage.get("Steps", []))],
            "the step",
        )
        for j, step in enumerate(stage.get("Steps", [])):
            for attribute in ("SuccessStepNumber", "FailureStepNumber"):
                if attribute in step:
                    self.reference(i, json_path("Stages", i, "Steps", j, attribute), step[attribute], steps, "step")

        tasks_by_step: dict[str, list[tuple[str, int]]] = {}
        for j, task in enumerate(stage.get("StepTasks", [])):
            path = json_path("Stages", i, "StepTasks", j)
            step_number = task["OrchestrationStepNumber"]
            if not self.reference(i, f"{path}.OrchestrationStepNumber", step_number, steps, "step"):
                continue
            step_type = steps[step_number]["StepType"]
            if step_type != StepType.TASK:
                self.problems.append(
                    (
                        f"{path}.OrchestrationStepNumber",
                        f"names “{step_number}”, {article(step_type)} step; only TASK steps have step tasks.",
                    )
                )
            tasks_by_step.setdefault(step_number, []).append((path, task["DisplaySequence"]))
        for items in tasks_by_step.values():
            self.sequences(items, "the step task of the same step")

        mapped: set[str] = set()
        pairs: dict[tuple[str, str], str] = {}
        for j, association in enumerate(stage.get("StepObjectivesAssociations", [])):
            path = json_path("Stages", i, "StepObjectivesAssociations", j)
            step_number, objective_number = association["OrchestrationStepNumber"], association["StageObjectiveNumber"]
            step_ok = self.reference(i, f"{path}.OrchestrationStepNumber", step_number, steps, "step")
            objective_ok = self.reference(i, f"{path}.StageObjectiveNumber", objective_number, objectives, "objective")
            if not (step_ok and objective_ok):
                continue
            if (step_number, objective_number) in pairs:
                first = pairs[(step_number, objective_number)]
                self.problems.append((path, f"links the same step and objective as {first}; keep one of them."))
            pairs.setdefault((step_number, objective_number), path)
            mapped.add(objective_number)

        for j, objective in enumerate(stage.get("StageObjectives", [])):
            expected = ObjectiveStatus.MAPPED if objective["StageObjectiveNumber"] in mapped else ObjectiveStatus.NEW
            if objective["ObjectiveStatus"] != expected:
                reason = "a step serves it" if expected == ObjectiveStatus.MAPPED else "no step of its stage serves it"
                self.problems.append(
                    (
                        json_path("Stages", i, "StageObjectives", j, "ObjectiveStatus"),
                        f"is {objective['ObjectiveStatus']}, but {reason}, so it must be {expected}.",
                    )
                )


_MODELS_BY_KIND = {
    "stage": (Stage, "orchestration__number"),
    "objective": (StageObjective, "stage__orchestration__number"),
    "step": (Step, "stage__orchestration__number"),
    "step_task": (StepTask, "step__stage__orchestration__number"),
    "association": (StepObjectiveAssociation, "step__stage__orchestration__number"),
}


def foreign_number_problems(number: str, index: NumberIndex) -> list[PathProblem]:
    """Numbers of the file that objects of another orchestration already carry (one query per kind)."""
    problems = []
    for kind, (model, owner) in _MODELS_BY_KIND.items():
        numbers = index.kinds.get(kind, [])
        if not numbers:
            continue
        taken = (
            model.objects.filter(number__in=numbers)
            .exclude(**{owner: number})
            .values_list("number", owner)
            .order_by("number")
        )
        for taken_number, other in taken:
            path = index.paths[taken_number][1]
            attribute = FIELD_ATTRIBUTES[kind]["number"]
            problems.append(
                (f"{path}.{attribute}", f"the number “{taken_number}” already belongs to orchestration {other}.")
            )
    order = {path: position for position, (_, path) in enumerate(index.paths.values())}
    return sorted(problems, key=lambda problem: order.get(problem[0].rsplit(".", 1)[0], 0))
