"""Import and export as the browser and the CLI offer them (issue 10, item 7).

- `import_check(document)`: the whole-file validation report before anything
  is written — every problem by JSON path, the completeness warnings, what the
  file holds, and, when a draft with its number exists, the change summary
  from that draft to the file. It runs the real import inside a transaction
  that is always rolled back, so the report is exactly what the import would say.
- `document_as_copy(document, number)`: the same content under a new
  orchestration number with fresh numbers for every stage, objective, step,
  step task and association (references follow), so a copy never takes an
  object of the original.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ...models import IssuedNumber, Orchestration, OrchestrationStatus
from ...models.numbers import number_problem
from ...selectors import orchestration_tree
from .checks import DocumentInvalid, PathProblem
from .export import content_hash, orchestration_document
from .importing import ImportResult, orchestration_import

MAX_IMPORT_BYTES = 2_000_000  # below the request-body limit: the confirmation sends the document back


class _Rollback(Exception):
    """Ends a trial import: everything it wrote is rolled back."""

    def __init__(self, result: ImportResult):
        self.result = result


@dataclass
class ImportCheck:
    """What importing a document would do; `problems` empty means it can be imported."""

    number: str = ""
    problems: list[PathProblem] = field(default_factory=list)
    warnings: list[PathProblem] = field(default_factory=list)
    summary: str = ""  # what the file holds, e.g. "ORCH-X (2 stages, …)"
    existing: Orchestration | None = None  # the draft with that number here, if any
    existing_hash: str = ""  # its content when the check ran (a replacement must find it unchanged)
    changes: Any = None  # ChangeSummary from the existing draft to the file

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def archived(self) -> bool:
        return self.existing is not None and self.existing.status == OrchestrationStatus.ARCHIVED


def import_check(document: Any, *, user=None) -> ImportCheck:
    """The validation report of `document` and what it would replace; writes nothing."""
    from ..changes import change_summary  # changes reads documents: imported when needed

    check = ImportCheck()
    if isinstance(document, dict) and isinstance(document.get("OrchestrationNumber"), str):
        check.number = document["OrchestrationNumber"]
        check.existing = Orchestration.objects.filter(number=check.number).first()
    if check.existing is not None:
        tree = orchestration_tree(check.number)
        check.existing_hash = content_hash(tree)
        if isinstance(document, dict):
            check.changes = change_summary(orchestration_document(tree), document)
    try:
        with transaction.atomic():
            result = orchestration_import(document=document, user=user, allow_incomplete=True)
            raise _Rollback(result)
    except _Rollback as trial:
        check.warnings = trial.result.warnings
        check.summary = trial.result.summary()
    except DocumentInvalid as exc:
        check.problems = exc.problems
    return check


def _fresh_numbers(kind: str, count: int) -> list[str]:
    """`count` numbers never issued before, registered now (one insert): the clone's way."""
    from ..orchestrations import _issue_numbers  # it imports the drafts services, which read documents

    return _issue_numbers(kind, count)


_CHILDREN = (
    ("StageObjectives", "objective", "StageObjectiveNumber"),
    ("Steps", "step", "OrchestrationStepNumber"),
    ("StepTasks", "step_task", "StepTasksNumber"),
    ("StepObjectivesAssociations", "association", "StepObjectiveAssocNumber"),
)
_REFERENCES = {
    "Steps": ("SuccessStepNumber", "FailureStepNumber"),
    "StepTasks": ("OrchestrationStepNumber",),
    "StepObjectivesAssociations": ("OrchestrationStepNumber", "StageObjectiveNumber"),
}


def document_as_copy(document: dict[str, Any], number: str) -> dict[str, Any]:
    """The document under orchestration number `number`, every child number fresh, references kept.

    Call it inside the import's transaction: the fresh numbers are registered
    as issued, and roll back with a refused import. Raises DocumentInvalid when
    `number` is not a usable new number.
    """
    number = (number or "").strip()
    if problem := number_problem(number):
        raise DocumentInvalid([("$.OrchestrationNumber", problem)])
    if IssuedNumber.objects.filter(number=number).exists() or Orchestration.objects.filter(number=number).exists():
        raise DocumentInvalid(
            [("$.OrchestrationNumber", f"The number {number} is already used; numbers are never reused.")]
        )
    stages = [s for s in document.get("Stages") or [] if isinstance(s, dict)]
    wanted: dict[str, list[str]] = {"stage": [str(s.get("OrchestrationStageNumber")) for s in stages]}
    for array, kind, key in _CHILDREN:
        wanted[kind] = [str(i.get(key)) for s in stages for i in s.get(array) or [] if isinstance(i, dict)]
    mapping: dict[str, str] = {}
    for kind, old_numbers in wanted.items():
        unique = list(dict.fromkeys(old_numbers))
        mapping.update(zip(unique, _fresh_numbers(kind, len(unique)), strict=True) if unique else {})
    copy = {**document, "OrchestrationNumber": number}
    copy["Stages"] = []
    for stage in stages:
        new_stage = {**stage, "OrchestrationStageNumber": mapping[str(stage.get("OrchestrationStageNumber"))]}
        for array, _kind, key in _CHILDREN:
            items = []
            for item in stage.get(array) or []:
                if not isinstance(item, dict):
                    items.append(item)
                    continue
                new_item = {**item, key: mapping.get(str(item.get(key)), item.get(key))}
                for reference in _REFERENCES.get(array, ()):
                    if reference in new_item:
                        new_item[reference] = mapping.get(str(new_item[reference]), new_item[reference])
                items.append(new_item)
            if array in stage:
                new_stage[array] = items
        copy["Stages"].append(new_stage)
    return copy


def orchestration_import_copy(*, document: dict[str, Any], number: str, user=None, allow_incomplete: bool = False):
    """Import `document` as a new draft `number` with fresh child numbers (all or nothing)."""
    if not isinstance(document, dict):
        return orchestration_import(document=document, user=user)  # the schema says what is wrong
    with transaction.atomic():
        return orchestration_import(
            document=document_as_copy(document, number), user=user, allow_incomplete=allow_incomplete
        )
