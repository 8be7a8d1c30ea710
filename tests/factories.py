"""Builders for users and orchestration trees used across the suite.

`build_orchestration(stages=N)` makes a tree with no validation problems:
every stage has two objectives, a TASK step with two step tasks serving the
first, an APPOINTMENT serving the second, and a NEXT_STAGE step to the next
stage (the last stage ends with a STOP step instead).
"""

import itertools

from django.contrib.auth.models import Group, User
from django.utils import timezone

from orchestrator.models import (
    AssignedTo,
    CatalogueEntry,
    CatalogueSource,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepObjectiveAssociation,
    StepTask,
    StepType,
)
from orchestrator.roles import sync_role_groups

_seq = itertools.count(1)


def make_user(role: str | None = None, *, username: str | None = None, superuser: bool = False) -> User:
    username = username or f"{(role or 'user').lower()}{next(_seq)}"
    if superuser:
        return User.objects.create_superuser(username=username, password="pw-for-tests-only")
    user = User.objects.create_user(username=username, password="pw-for-tests-only")
    if role:
        # Transactional tests (live_server) flush the groups the migration made.
        if not Group.objects.filter(name=role).exists():
            sync_role_groups()
        user.groups.add(Group.objects.get(name=role))
    return user


def build_orchestration(*, stages: int = 3, name: str = "Test playbook", number: str | None = None) -> Orchestration:
    orch = Orchestration.objects.create(
        number=number or f"ORCH-TEST-{next(_seq):04d}",
        name=name,
        description="Built by tests",
        object_code="Opportunity",
        lifecycle_attribute_name="SalesStage",
        association_rank=1,
    )
    for i in range(1, stages + 1):
        stage = Stage.objects.create(
            orchestration=orch, display_sequence=i, name=f"Stage {i}", lifecycle_attr_value=f"{i:02d} - Stage {i}"
        )
        first = StageObjective.objects.create(stage=stage, display_sequence=1, name=f"Objective {i}.1")
        second = StageObjective.objects.create(stage=stage, display_sequence=2, name=f"Objective {i}.2")
        task = Step.objects.create(
            stage=stage,
            display_sequence=1,
            name=f"Call {i}",
            step_type=StepType.TASK,
            activity_template_id=300100000000101,
            grace_period=48,
        )
        for t in (1, 2):
            StepTask.objects.create(
                step=task,
                display_sequence=t,
                activity_template_id=300100000000101,
                activity_id=300100000000200 + t,
                assigned_to=AssignedTo.OWNER,
            )
        meeting = Step.objects.create(
            stage=stage,
            display_sequence=2,
            name=f"Meeting {i}",
            step_type=StepType.APPOINTMENT,
            activity_template_id=300100000000102,
        )
        StepObjectiveAssociation.objects.create(step=task, objective=first)
        StepObjectiveAssociation.objects.create(step=meeting, objective=second)
        if i < stages:
            Step.objects.create(
                stage=stage,
                display_sequence=3,
                name=f"Advance {i}",
                step_type=StepType.NEXT_STAGE,
                next_stage_value=f"{i + 1:02d} - Stage {i + 1}",
            )
        else:
            Step.objects.create(
                stage=stage, display_sequence=3, name="Done", step_type=StepType.STOP, exit_orchestration=True
            )
    return orch


def catalogue_entry(kind, ref_id, name, connection_name="default", position=0, detail="") -> CatalogueEntry:
    """An unsaved catalogue entry as a refresh from the pod would store it (for bulk_create)."""
    return CatalogueEntry(
        connection_name=connection_name,
        kind=kind,
        ref_id=ref_id,
        name=name,
        detail=detail,
        position=position,
        source=CatalogueSource.REST,
        refreshed_at=timezone.now(),
    )
