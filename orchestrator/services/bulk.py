"""Bulk edits: one shared setting on many steps or step tasks of one orchestration at once.

Same conventions as `services.drafts` (atomic, validated, versions bumped,
the orchestration stamped with who changed it), and a fixed number of queries
whatever the number of selected objects.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from ..models import COMMON_STEP_SETTINGS, Step, StepTask
from .drafts import DraftConflict, _changing, _kind_label, _orchestration_id

# Shared settings the bulk editors may set on many objects at once.
STEP_BULK_FIELDS = ("grace_period", "allow_skip")
STEP_TASK_BULK_FIELDS = ("assigned_to", "activity_template_id", "smart_action_id")


@dataclass(frozen=True)
class BulkResult:
    """Objects a bulk edit changed, and those it left alone because their type does not use the setting."""

    updated: list[Model]
    skipped: list[Model]


def steps_bulk_update(*, step_ids: Iterable[int], user, values: Mapping[str, Any]) -> BulkResult:
    """Set shared settings (grace period, allow skip) on many steps of one orchestration.

    A step whose type does not use a setting is skipped, not changed, so a
    bulk edit never puts a value where the payload would not send it.
    """
    return _bulk_update(Step, step_ids, user, values, STEP_BULK_FIELDS)


def step_tasks_bulk_update(*, step_task_ids: Iterable[int], user, values: Mapping[str, Any]) -> BulkResult:
    """Set shared settings (assigned to, activity template, smart action) on many step tasks."""
    return _bulk_update(StepTask, step_task_ids, user, values, STEP_TASK_BULK_FIELDS)


def _bulk_update(
    model: type[Model], ids: Iterable[int], user, values: Mapping[str, Any], allowed: tuple[str, ...]
) -> BulkResult:
    unknown = set(values) - set(allowed)
    if unknown or not values:
        raise TypeError(f"bulk edit takes some of {allowed}, got {sorted(values)}")
    ids = list(dict.fromkeys(ids))
    related = "stage" if model is Step else "step__stage"
    with transaction.atomic():
        objs = list(model.objects.select_for_update().select_related(related).filter(pk__in=ids).order_by("pk"))
        orchestration_ids = {_orchestration_id(o) for o in objs}
        if len(objs) != len(ids) or len(orchestration_ids) != 1:
            raise DraftConflict(f"Some of the selected {_kind_label(model)}s were deleted by someone else.")
        with _changing(orchestration_ids.pop(), user):  # the whole bulk edit is one revision
            return _apply_bulk(model, objs, values, allowed)


def _apply_bulk(model: type[Model], objs: list[Model], values: Mapping[str, Any], allowed: tuple[str, ...]):
    """Set `values` on each object whose type uses them; the others are skipped."""
    updated, skipped = [], []
    for obj in objs:
        uses = set(obj.used_settings) | set(COMMON_STEP_SETTINGS) if isinstance(obj, Step) else set(allowed)
        if not set(values) <= uses:
            skipped.append(obj)
            continue
        for name, value in values.items():
            setattr(obj, name, value)
        # Only the bulk fields changed: validate those, not the untouched rest of each row.
        obj.full_clean(
            exclude=[f.name for f in model._meta.fields if f.name not in values],
            validate_unique=False,
            validate_constraints=False,
        )
        obj.version += 1
        updated.append(obj)
    model.objects.bulk_update(updated, [*values, "version"])
    return BulkResult(updated=updated, skipped=skipped)
