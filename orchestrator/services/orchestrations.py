"""Writes to whole orchestrations: create, edit the header, clone, archive, restore.

The tree inside an orchestration is changed through `services.drafts`; this
module shares its conventions (keyword-only, atomic, full_clean before save,
version bumped, `StaleEdit` for an edit over a newer version).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .. import selectors
from ..models import IssuedNumber, Orchestration, OrchestrationStatus, RevisionAction, Step
from ..models.numbers import NumbersExhausted, draw_number, issue_numbers, number_problem
from . import history
from .drafts import EDITABLE_FIELDS, DraftConflict, OrchestrationArchived, StaleEdit, _user
from .editors import draft_editor_record

COPY_PREFIX = "Copy of "


def orchestration_suggest_number() -> str:
    """A number never issued before, in the one generated format (e.g. ORCH-3F9A1C2B); the user may change it.

    It is only suggested, not registered: the form may come back with another.
    """
    for _ in range(10):
        candidate = draw_number("orchestration")
        if not IssuedNumber.objects.filter(number=candidate).exists():
            return candidate
    raise RuntimeError("could not suggest an unused orchestration number")


def orchestration_number_free(number: str) -> str:
    """`number` stripped, when a new orchestration may take it; else ValidationError on `number` saying why.

    It must be a valid public number (models.numbers) and never have been
    issued (numbers are never reused, not even after a deletion).
    """
    number = number.strip()
    if problem := number_problem(number):
        raise ValidationError({"number": problem})
    if IssuedNumber.objects.filter(number=number).exists() or Orchestration.objects.filter(number=number).exists():
        raise ValidationError({"number": f"The number {number} is already used; numbers are never reused."})
    return number


def orchestration_create(*, user, number: str, values: Mapping[str, Any]) -> Orchestration:
    """Create an empty draft orchestration under a number the user chose (or accepted).

    The number is registered as issued, so it can never be given to another
    object, even after this one is deleted. Raises ValidationError (on
    `number`) when it was used before, including by a concurrent request.
    """
    number = orchestration_number_free(number)
    taken = ValidationError({"number": f"The number {number} is already used; numbers are never reused."})
    orch = Orchestration(number=number, updated_by=_user(user))
    _apply(orch, values)
    orch.full_clean(validate_unique=False)  # the number was checked just above, with a clearer message
    try:
        with history.revision_scope(user=user, action=RevisionAction.CREATE):
            IssuedNumber.objects.create(number=number, kind="orchestration")
            orch.save()
            draft_editor_record(orchestration_id=orch.pk, user=_user(user))
            history.before_change(orch.pk, new=True)
    except IntegrityError as exc:
        raise taken from exc
    return orch


def orchestration_update(
    *, orchestration: Orchestration, user, expected_version: int, values: Mapping[str, Any]
) -> Orchestration:
    """Edit the header (name, description, object, lifecycle attribute, rank). Raises StaleEdit."""
    with history.revision_scope(orchestration_id=orchestration.pk, user=user):
        current = _locked(orchestration)
        if current.status == OrchestrationStatus.ARCHIVED:
            raise OrchestrationArchived("This orchestration is archived and read-only.")
        if current.version != expected_version:
            raise StaleEdit(current)
        history.before_change(current.pk)
        _apply(current, values)
        current.version += 1
        current.tree_revision += 1  # the row is locked: this is the one write after the state read
        current.updated_by = _user(user)
        current.full_clean()
        current.save()
        draft_editor_record(orchestration_id=current.pk, user=_user(user))
        return current


def orchestration_archive(*, orchestration: Orchestration, user) -> Orchestration:
    """Archive: the orchestration becomes read-only and leaves the default list."""
    return _set_status(orchestration, user, OrchestrationStatus.ARCHIVED)


def orchestration_restore(*, orchestration: Orchestration, user) -> Orchestration:
    """Bring an archived orchestration back as an editable draft."""
    return _set_status(orchestration, user, OrchestrationStatus.DRAFT)


def orchestration_clone(*, orchestration: Orchestration, user, name: str | None = None) -> Orchestration:
    """A new draft with a copy of the whole tree, named "Copy of …".

    Every copied object gets a new number (a number identifies one object
    for good, remotely too); links between steps and associations point at
    the copies. Rows are bulk-created per level from the already validated
    originals, so cloning costs the same number of queries at any size.
    """
    source = selectors.orchestration_tree(orchestration.number)
    stages = list(source.stages.all())
    objectives = [o for s in stages for o in s.objectives.all()]
    steps = [st for s in stages for st in s.steps.all()]
    tasks = [t for st in steps for t in st.tasks.all()]
    associations = [a for st in steps for a in st.associations.all()]
    with history.revision_scope(
        user=user, action=RevisionAction.CLONE, note=f"Cloned from {source.name} ({source.number})."
    ):
        copy = Orchestration(
            number=_issue_numbers("orchestration", 1)[0],
            name=name or (COPY_PREFIX + source.name)[: Orchestration._meta.get_field("name").max_length],
            description=source.description,
            object_code=source.object_code,
            lifecycle_attribute_name=source.lifecycle_attribute_name,
            association_rank=source.association_rank,
            updated_by=_user(user),
        )
        copy.full_clean()
        copy.save()
        draft_editor_record(orchestration_id=copy.pk, user=_user(user))
        history.before_change(copy.pk, new=True)
        new_stages = _copies(stages, "stage", orchestration=copy)
        stage_map = {old.pk: new for old, new in zip(stages, new_stages, strict=True)}
        new_objectives = _copies(objectives, "objective", stage=lambda o: stage_map[o.stage_id])
        objective_map = {old.pk: new for old, new in zip(objectives, new_objectives, strict=True)}
        new_steps = _copies(steps, "step", stage=lambda s: stage_map[s.stage_id], success_step=None, failure_step=None)
        step_map = {old.pk: new for old, new in zip(steps, new_steps, strict=True)}
        linked = []
        for old, new in zip(steps, new_steps, strict=True):
            if old.success_step_id or old.failure_step_id:
                new.success_step = step_map.get(old.success_step_id)
                new.failure_step = step_map.get(old.failure_step_id)
                linked.append(new)
        Step.objects.bulk_update(linked, ["success_step", "failure_step"])
        _copies(tasks, "step_task", step=lambda t: step_map[t.step_id])
        _copies(
            associations,
            "association",
            step=lambda a: step_map[a.step_id],
            objective=lambda a: objective_map[a.objective_id],
        )
        return copy


# ---------------------------------------------------------------- helpers

_COPY_EXCLUDED = {"id", "number", "version", "remote_id", "remote_change_indicator"}


def _copies(originals: list, kind: str, **overrides) -> list:
    """Bulk-create copies of `originals` with fresh numbers; overrides are values or functions of the original."""
    if not originals:
        return []
    model = type(originals[0])
    numbers = _issue_numbers(kind, len(originals))
    copied_fields = [
        f.attname for f in model._meta.concrete_fields if f.name not in _COPY_EXCLUDED and f.name not in overrides
    ]
    copies = []
    for original, number in zip(originals, numbers, strict=True):
        copy = model(number=number, **{name: getattr(original, name) for name in copied_fields})
        for name, value in overrides.items():
            setattr(copy, name, value(original) if callable(value) else value)
        copies.append(copy)
    return model.objects.bulk_create(copies)


def _issue_numbers(kind: str, count: int) -> list[str]:
    """Issue `count` fresh public numbers in one insert (models.numbers.issue_numbers), as a DraftConflict if not."""
    try:
        return issue_numbers(kind, count)
    except NumbersExhausted as exc:
        raise DraftConflict("Could not issue new numbers; please try again.") from exc


def _apply(orch: Orchestration, values: Mapping[str, Any]) -> None:
    unknown = set(values) - set(EDITABLE_FIELDS[Orchestration])
    if unknown:
        raise TypeError(f"Orchestration has no editable field(s) {sorted(unknown)}")
    for name, value in values.items():
        setattr(orch, name, value)


def _locked(orch: Orchestration) -> Orchestration:
    try:
        return Orchestration.objects.select_for_update().get(pk=orch.pk)
    except Orchestration.DoesNotExist as exc:
        raise DraftConflict("This orchestration was deleted by someone else.") from exc


def _set_status(orchestration: Orchestration, user, status: str) -> Orchestration:
    with transaction.atomic():
        current = _locked(orchestration)
        if current.status != status:
            current.status = status
            current.version += 1
            current.updated_by = _user(user)
            current.full_clean()
            current.save()
        return current
