"""Writes to the draft tree: the only way the designer changes an orchestration.

Every service is keyword-only and atomic, runs `full_clean()` before saving,
bumps the `version` of what it changed and records who changed the
orchestration and when. Each one starts by stamping the orchestration row
(`_stamp`): that single UPDATE refuses archived orchestrations, records
updated_by/updated_at and, as a side effect, takes the row lock that
serialises concurrent edits of one tree, so the reads that follow are
consistent.

Edits of an existing object take `expected_version` (the version the user's
form was rendered with) and raise `StaleEdit` carrying the current object when
someone saved in between: the user then chooses whose value wins.

Reordering, at every level, goes through `ordering.apply_order` (two-phase
renumbering; see there). `*_move` moves one object to a position, `*_reorder`
takes the parent's full new order (what a drag posts); both end in the same
helper, and deletions close the gap so sequences stay 1..n.
"""

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from .. import selectors
from ..models import (
    COMMON_STEP_SETTINGS,
    TYPE_SPECIFIC_SETTINGS,
    Orchestration,
    OrchestrationStatus,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from . import history, ordering
from .editors import draft_editor_record
from .snapshots import SNAPSHOT_FORMAT, DeletionSummary, deletion_snapshot, deletion_summary

# What a user may change on each kind of object (everything else is managed here).
EDITABLE_FIELDS: dict[type[Model], tuple[str, ...]] = {
    Orchestration: ("name", "description", "object_code", "lifecycle_attribute_name", "association_rank"),
    Stage: ("name", "description", "lifecycle_attr_value", "outreach_color", "outreach_is_closed"),
    StageObjective: ("name", "description"),
    Step: ("name", "step_type", *COMMON_STEP_SETTINGS, *TYPE_SPECIFIC_SETTINGS),
    StepTask: ("activity_template_id", "activity_id", "smart_action_id", "assigned_to"),
}


class DraftConflict(Exception):
    """The tree changed under the user's feet (answered with 409)."""


class StaleEdit(DraftConflict):
    """Someone saved this object after the user's form was rendered; `current` is what they saved."""

    def __init__(self, current: Model):
        super().__init__(f"{type(current).__name__} {current.number} changed since it was shown")
        self.current = current


class OrchestrationArchived(PermissionDenied):
    """Archived orchestrations are read-only (answered with 403)."""


# ---------------------------------------------------------------- helpers


def _stamp(orchestration_id: int, user) -> None:
    """Record who changed the tree and lock its root; refuse archived orchestrations.

    Call it inside `history.revision_scope` (see `_changing`): the change becomes a revision.
    Also counts the write (`tree_revision`), so the designer knows which
    validated state an edit started from (see `services.problems`).
    """
    changed = (
        Orchestration.objects.filter(pk=orchestration_id)
        .exclude(status=OrchestrationStatus.ARCHIVED)
        .update(updated_at=timezone.now(), updated_by=_user(user), tree_revision=F("tree_revision") + 1)
    )
    if not changed:
        raise OrchestrationArchived("This orchestration is archived and read-only.")
    draft_editor_record(orchestration_id=orchestration_id, user=_user(user))
    history.before_change(orchestration_id)


@contextlib.contextmanager
def _changing(orchestration_id: int, user, note: str = "", *, stage_id: int | None = None) -> Iterator[None]:
    """One user action on the tree: a transaction, the stamp (row lock, who), and one revision at the end.

    `stage_id`: the action changes only that stage's content, not its place,
    so its revision is built from the previous one plus that stage.
    """
    with history.revision_scope(orchestration_id=orchestration_id, user=user, note=note, stage_id=stage_id):
        _stamp(orchestration_id, user)
        yield


def _stage_of(obj: Model) -> int | None:
    """The stage whose content a change of (or under) `obj` touches; None for the orchestration itself."""
    if isinstance(obj, Stage):
        return obj.pk
    if isinstance(obj, StageObjective | Step):
        return obj.stage_id
    if isinstance(obj, StepTask | StepObjectiveAssociation):
        return obj.step.stage_id
    return None


def _inside_a_stage(obj: Model) -> int | None:
    """Like `_stage_of`, but None for a stage itself: creating, moving or deleting one moves the others."""
    return None if isinstance(obj, Stage | Orchestration) else _stage_of(obj)


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _orchestration_id(obj: Model) -> int:
    if isinstance(obj, Orchestration):
        return obj.pk
    if isinstance(obj, Stage):
        return obj.orchestration_id
    if isinstance(obj, StageObjective | Step):
        return obj.stage.orchestration_id
    return obj.step.stage.orchestration_id


def _parent_filter(obj_or_model: Model | type[Model], parent: Model | None = None) -> dict[str, Any]:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    name = {Stage: "orchestration", StageObjective: "stage", Step: "stage", StepTask: "step"}[model]
    if parent is None:
        return {f"{name}_id": getattr(obj_or_model, f"{name}_id")}
    return {name: parent}


def _apply(obj: Model, values: Mapping[str, Any]) -> None:
    allowed = EDITABLE_FIELDS[type(obj)]
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no editable field(s) {sorted(unknown)}")
    for name, value in values.items():
        setattr(obj, name, value)


def _save(obj: Model, *, new: bool = False) -> Model:
    """full_clean then save; a lost uniqueness race becomes a DraftConflict, never a 500."""
    obj.full_clean(exclude=["number"] if new else None)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise DraftConflict("Someone changed the same list at the same moment; reload and try again.") from exc
    return obj


def _locked(obj: Model) -> Model:
    try:
        return type(obj).objects.select_for_update().get(pk=obj.pk)
    except type(obj).DoesNotExist as exc:
        raise DraftConflict(f"This {_kind_label(obj)} was deleted by someone else.") from exc


def _kind_label(obj_or_model) -> str:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return {
        Orchestration: "orchestration",
        Stage: "stage",
        StageObjective: "objective",
        Step: "step",
        StepTask: "step task",
    }[model]


def _siblings(model: type[Model], filters: Mapping[str, Any]) -> list[Model]:
    return list(model.objects.select_for_update().filter(**filters).order_by("display_sequence"))


def _create(model: type[Model], parent: Model, user, values: Mapping[str, Any], **extra) -> Model:
    with _changing(_orchestration_id(parent), user, stage_id=_stage_of(parent)):
        filters = _parent_filter(model, parent)
        obj = model(**filters, display_sequence=ordering.next_sequence(_siblings(model, filters)), **extra)
        _apply(obj, values)
        if isinstance(obj, Step):
            _check_step(obj)
        return _save(obj, new=True)


def _update(obj: Model, user, expected_version: int, values: Mapping[str, Any]) -> Model:
    with _changing(_orchestration_id(obj), user, stage_id=_stage_of(obj)):
        current = _locked(obj)
        if current.version != expected_version:
            raise StaleEdit(current)
        _apply(current, values)
        if isinstance(current, Step):
            _check_step(current)
        current.version += 1
        return _save(current)


def _reorder(model: type[Model], parent: Model, user, ordered_numbers: Sequence[str]) -> list[Model]:
    with _changing(_orchestration_id(parent), user, stage_id=_stage_of(parent)):
        try:
            return ordering.apply_order(_siblings(model, _parent_filter(model, parent)), list(ordered_numbers))
        except ordering.OrderMismatch as exc:
            raise DraftConflict(
                f"The {_kind_label(model)} list changed since it was shown (someone added or removed one)."
            ) from exc


def _move(obj: Model, user, position: int) -> Model:
    with _changing(_orchestration_id(obj), user, stage_id=_inside_a_stage(obj)):
        siblings = _siblings(type(obj), _parent_filter(obj))
        ordered = ordering.apply_order(siblings, ordering.order_with_move(siblings, obj, position))
        return next(s for s in ordered if s.pk == obj.pk)


def _delete(obj: Model, user) -> DeletionSummary:
    with _changing(_orchestration_id(obj), user, stage_id=_inside_a_stage(obj)):
        current = _locked(obj)
        summary = replace(deletion_summary(current), snapshot=deletion_snapshot(current))
        filters = _parent_filter(current)
        current.delete()
        # Close the gap so sequences stay 1..n.
        siblings = _siblings(type(current), filters)
        ordering.apply_order(siblings, [s.number for s in siblings])
        return summary


def _check_step(step: Step) -> None:
    """Clear the settings the step's type does not use; keep links inside the stage."""
    used = set(step.used_settings)
    for name in TYPE_SPECIFIC_SETTINGS:
        if name not in used:
            model_field = Step._meta.get_field(name)
            setattr(step, model_field.attname, model_field.get_default())
    errors = {}
    for name in ("success_step", "failure_step"):
        target = getattr(step, name)
        if target is None:
            continue
        if target.stage_id != step.stage_id:
            errors[name] = "Pick a step of the same stage."
        elif step.pk and target.pk == step.pk:
            errors[name] = "A step cannot lead to itself."
    if errors:
        raise ValidationError(errors)


def draft_restore(*, snapshot: Mapping[str, Any], user) -> Model:
    """Undo a deletion: the object and everything deleted with it come back under their own numbers.

    It returns to its old position among its siblings; links from other steps
    that the deletion cleared come back unless someone has set a new one
    since. Rows that point at something deleted since (an association with a
    step deleted later) stay out. Raises DraftConflict when the parent is gone
    or the deletion was undone already.
    """
    if snapshot.get("format") != SNAPSHOT_FORMAT:
        raise DraftConflict("There is nothing to undo.")
    with _changing(snapshot["orchestration_id"], user, note="Undid a deletion."):
        objs = [d.object for d in serializers.deserialize("json", snapshot["rows"])]
        root = objs[0]
        parent_model = {"orchestration": Orchestration, "stage": Stage, "step": Step}[snapshot["parent"]]
        if not parent_model.objects.filter(pk=snapshot["parent_id"]).exists():
            raise DraftConflict(f"This cannot be undone: the {snapshot['parent']} it belonged to was deleted too.")
        if type(root).objects.filter(number=root.number).exists():
            raise DraftConflict(f"The deletion of this {_kind_label(root)} was undone already.")
        objs = _restorable(objs)
        links = {o.pk: (o.success_step_id, o.failure_step_id) for o in objs if isinstance(o, Step)}
        filters = _parent_filter(root)
        siblings = _siblings(type(root), filters)
        root.display_sequence = ordering.next_sequence(siblings)
        for obj in objs:
            if isinstance(obj, Step):
                obj.success_step_id = obj.failure_step_id = None  # set once every step is back
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save(force_insert=True)
        for pk, (success, failure) in links.items():
            if success or failure:
                Step.objects.filter(pk=pk).update(success_step_id=success, failure_step_id=failure)
        for link in snapshot["links"]:
            Step.objects.filter(pk=link["step"], **{f"{link['field']}__isnull": True}).update(
                **{f"{link['field']}_id": link["target"]}
            )
        numbers = [s.number for s in siblings]
        numbers.insert(min(snapshot["position"], len(numbers) + 1) - 1, root.number)
        ordering.apply_order([*siblings, root], numbers)
        return type(root).objects.get(pk=root.pk)


def _restorable(objs: list[Model]) -> list[Model]:
    """Leave out associations whose other end is gone and clear links to steps that are gone."""
    restored_steps = {o.pk for o in objs if isinstance(o, Step)}
    restored_objectives = {o.pk for o in objs if isinstance(o, StageObjective)}
    wanted_steps = {
        pk
        for o in objs
        for pk in ((o.success_step_id, o.failure_step_id) if isinstance(o, Step) else (getattr(o, "step_id", None),))
        if pk and pk not in restored_steps
    }
    wanted_objectives = {o.objective_id for o in objs if isinstance(o, StepObjectiveAssociation)} - restored_objectives
    steps = restored_steps | set(Step.objects.filter(pk__in=wanted_steps).values_list("pk", flat=True))
    objectives = restored_objectives | set(
        StageObjective.objects.filter(pk__in=wanted_objectives).values_list("pk", flat=True)
    )
    kept = []
    for obj in objs:
        if isinstance(obj, StepObjectiveAssociation) and (
            obj.step_id not in steps or obj.objective_id not in objectives
        ):
            continue
        if isinstance(obj, Step):
            obj.success_step_id = obj.success_step_id if obj.success_step_id in steps else None
            obj.failure_step_id = obj.failure_step_id if obj.failure_step_id in steps else None
        kept.append(obj)
    return kept


# ---------------------------------------------------------------- stages


def stage_create(*, orchestration: Orchestration, user, values: Mapping[str, Any]) -> Stage:
    """Append a stage to the orchestration."""
    return _create(Stage, orchestration, user, values)


def stage_update(
    *, stage: Stage, user, expected_version: int, values: Mapping[str, Any], retarget_next_stage_steps: bool = False
) -> Stage:
    """Change a stage's name, description, lifecycle value or Outreach settings. Raises StaleEdit.

    With `retarget_next_stage_steps`, a changed sales stage value is also
    given to every Next stage step that moved to the old one
    (`selectors.next_stage_steps_into`), in the same transaction and revision:
    either the stage and all those steps change, or nothing does. The
    returned stage's `retargeted_steps` lists the steps that changed.
    """
    # Unchanged, the value moves no step: an ordinary edit of the stage (its revision built from it alone).
    # The stored value, not `stage`'s: a bound ModelForm has already put the new one on its instance.
    # (Read before the lock: had it changed since, so would the version, and the edit is refused as stale.)
    if retarget_next_stage_steps:
        stored = Stage.objects.filter(pk=stage.pk).values_list("lifecycle_attr_value", flat=True).first()
        retarget_next_stage_steps = values.get("lifecycle_attr_value", stored) != stored
    if not retarget_next_stage_steps:
        updated = _update(stage, user, expected_version, values)
        updated.retargeted_steps = []
        return updated
    # The steps may live in other stages: the revision is built from the whole tree, not this stage alone.
    with _changing(_orchestration_id(stage), user):
        current = _locked(stage)
        if current.version != expected_version:
            raise StaleEdit(current)
        old_value = current.lifecycle_attr_value  # read under the lock: what the steps still carry
        _apply(current, values)
        current.version += 1
        _save(current)
        current.retargeted_steps = []
        if current.lifecycle_attr_value != old_value:
            current.retargeted_steps = steps = selectors.next_stage_steps_into(current, value=old_value)
            for step in steps:
                step.next_stage_value = current.lifecycle_attr_value
                step.version += 1
                step.clean_fields(exclude=[f.name for f in Step._meta.fields if f.name != "next_stage_value"])
            Step.objects.bulk_update(steps, ["next_stage_value", "version"])
        return current


def stage_delete(*, stage: Stage, user) -> DeletionSummary:
    """Delete a stage with its objectives, steps, step tasks and associations."""
    return _delete(stage, user)


def stage_move(*, stage: Stage, user, position: int) -> Stage:
    """Move a stage to a 1-based position among its siblings."""
    return _move(stage, user, position)


def stage_reorder(*, orchestration: Orchestration, user, ordered_numbers: Sequence[str]) -> list[Stage]:
    """Put all stages in the given order (numbers of every stage). Raises DraftConflict on a changed list."""
    return _reorder(Stage, orchestration, user, ordered_numbers)


# ---------------------------------------------------------------- objectives


def objective_create(*, stage: Stage, user, values: Mapping[str, Any]) -> StageObjective:
    """Append an objective to the stage."""
    return _create(StageObjective, stage, user, values)


def objective_update(
    *, objective: StageObjective, user, expected_version: int, values: Mapping[str, Any]
) -> StageObjective:
    """Change an objective's name or description. Raises StaleEdit."""
    return _update(objective, user, expected_version, values)


def objective_delete(*, objective: StageObjective, user) -> DeletionSummary:
    """Delete an objective and the associations that serve it."""
    return _delete(objective, user)


def objective_move(*, objective: StageObjective, user, position: int) -> StageObjective:
    """Move an objective to a 1-based position within its stage."""
    return _move(objective, user, position)


def objective_reorder(*, stage: Stage, user, ordered_numbers: Sequence[str]) -> list[StageObjective]:
    """Put the stage's objectives in the given order."""
    return _reorder(StageObjective, stage, user, ordered_numbers)


# ---------------------------------------------------------------- steps


def step_create(*, stage: Stage, user, values: Mapping[str, Any]) -> Step:
    """Append a step; settings its type does not use are cleared."""
    return _create(Step, stage, user, values)


def step_update(*, step: Step, user, expected_version: int, values: Mapping[str, Any]) -> Step:
    """Change a step. A new type clears the settings it does not use. Raises StaleEdit."""
    return _update(step, user, expected_version, values)


def step_delete(*, step: Step, user) -> DeletionSummary:
    """Delete a step with its tasks and associations; links to it from other steps are cleared."""
    return _delete(step, user)


def step_move(*, step: Step, user, position: int) -> Step:
    """Move a step to a 1-based position within its stage."""
    return _move(step, user, position)


def step_reorder(*, stage: Stage, user, ordered_numbers: Sequence[str]) -> list[Step]:
    """Put the stage's steps in the given order."""
    return _reorder(Step, stage, user, ordered_numbers)


def step_set_objectives(*, step: Step, user, objective_ids: Iterable[int]) -> Step:
    """Make the step serve exactly these objectives (which must belong to its stage)."""
    wanted = set(objective_ids)
    with _changing(_orchestration_id(step), user, stage_id=step.stage_id):
        current = _locked(step)
        valid = set(
            StageObjective.objects.filter(stage_id=current.stage_id, pk__in=wanted).values_list("pk", flat=True)
        )
        if valid != wanted:
            raise ValidationError({"objectives": "A step can only serve objectives of its own stage."})
        existing = {a.objective_id: a for a in current.associations.all()}
        removed = [a.pk for oid, a in existing.items() if oid not in wanted]
        added = [oid for oid in sorted(wanted) if oid not in existing]
        if not removed and not added:
            return current
        StepObjectiveAssociation.objects.filter(pk__in=removed).delete()
        for oid in added:
            _save(StepObjectiveAssociation(step=current, objective_id=oid), new=True)
        current.version += 1
        current.save(update_fields=["version"])
        return current


# ---------------------------------------------------------------- step tasks


def step_task_create(*, step: Step, user, values: Mapping[str, Any]) -> StepTask:
    """Append a step task; only TASK steps have step tasks."""
    if step.step_type != StepType.TASK:
        raise ValidationError("Only Task steps have step tasks.")
    return _create(StepTask, step, user, values)


def step_task_update(*, step_task: StepTask, user, expected_version: int, values: Mapping[str, Any]) -> StepTask:
    """Change a step task. Raises StaleEdit."""
    return _update(step_task, user, expected_version, values)


def step_task_delete(*, step_task: StepTask, user) -> DeletionSummary:
    """Delete a step task."""
    return _delete(step_task, user)


def step_task_move(*, step_task: StepTask, user, position: int) -> StepTask:
    """Move a step task to a 1-based position under its step."""
    return _move(step_task, user, position)


def step_task_reorder(*, step: Step, user, ordered_numbers: Sequence[str]) -> list[StepTask]:
    """Put the step's tasks in the given order."""
    return _reorder(StepTask, step, user, ordered_numbers)
