"""The built-in sandbox's storage: the emulator's Store over the Sandbox* tables.

The only module under remote/ that touches the ORM. Each emulated request
that writes runs in one transaction (`atomic`), and ids come from
SandboxSequence rows locked with select_for_update, so two workers publishing
at once never hand out the same id. The profile that wrote an orchestration
rides along in its attributes (models.sandbox.PROFILE_KEY), so no migration
was needed for it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction

from ..models.sandbox import (
    PROFILE_KEY,
    SandboxOrchestration,
    SandboxOutreachStage,
    SandboxRecord,
    SandboxSequence,
    SandboxStage,
)
from .store import StoredOrchestration, StoredStage, stage_order

ID_SEQUENCE = "row_id"


def _orchestration(row: SandboxOrchestration) -> StoredOrchestration:
    return StoredOrchestration(row.number, row.remote_id, row.header, profile=row.profile)


def _stage(row: SandboxStage, orchestration_number: str) -> StoredStage:
    return StoredStage(orchestration_number, row.number, row.remote_id, row.document, row.change_indicator)


class DbStore:
    """Store (see store.py) backed by SandboxOrchestration / SandboxStage / SandboxSequence."""

    def atomic(self) -> AbstractContextManager[None]:
        return transaction.atomic()

    def reserve_ids(self, count: int) -> list[int]:
        with transaction.atomic():
            sequence, _ = SandboxSequence.objects.select_for_update().get_or_create(name=ID_SEQUENCE)
            first = sequence.value + 1
            sequence.value += count
            sequence.save(update_fields=["value"])
        return list(range(first, first + count))

    def get_orchestration(self, number: str) -> StoredOrchestration | None:
        row = SandboxOrchestration.objects.filter(number=number).first()
        return _orchestration(row) if row else None

    def list_orchestrations(self) -> list[StoredOrchestration]:
        return [_orchestration(row) for row in SandboxOrchestration.objects.all()]

    def save_orchestration(self, orchestration: StoredOrchestration) -> None:
        attributes = {**orchestration.attributes, PROFILE_KEY: orchestration.profile}
        SandboxOrchestration.objects.update_or_create(
            number=orchestration.number,
            defaults={"remote_id": orchestration.remote_id, "attributes": attributes},
        )

    def list_stages(self, orchestration_number: str) -> list[StoredStage]:
        rows = SandboxStage.objects.filter(orchestration__number=orchestration_number)
        return sorted((_stage(row, orchestration_number) for row in rows), key=stage_order)

    def stage_versions(self, orchestration_number: str) -> dict[str, str]:
        # updated_at moves on every save (auto_now), the indicator with every change the emulator makes.
        rows = SandboxStage.objects.filter(orchestration__number=orchestration_number).values_list(
            "number", "change_indicator", "updated_at"
        )
        return {number: f"{change}@{updated.isoformat()}" for number, change, updated in rows}

    def get_stage(self, orchestration_number: str, number: str) -> StoredStage | None:
        row = SandboxStage.objects.filter(orchestration__number=orchestration_number, number=number).first()
        return _stage(row, orchestration_number) if row else None

    def save_stage(self, stage: StoredStage) -> None:
        orchestration = SandboxOrchestration.objects.get(number=stage.orchestration_number)
        SandboxStage.objects.update_or_create(
            orchestration=orchestration,
            number=stage.number,
            defaults={
                "remote_id": stage.remote_id,
                "document": stage.document,
                "change_indicator": stage.change_indicator,
            },
        )

    def delete_stage(self, orchestration_number: str, number: str) -> bool:
        deleted, _ = SandboxStage.objects.filter(orchestration__number=orchestration_number, number=number).delete()
        return deleted > 0

    def reset(self) -> None:
        sandbox_reset()

    # -- inspection helpers (tests, admin) ------------------------------------------------

    def stage_documents(self, orchestration_number: str) -> list[dict[str, Any]]:
        """The stored stage items of an orchestration, in display order."""
        return [s.document for s in self.list_stages(orchestration_number)]

    def stage_numbers(self, orchestration_number: str) -> list[str]:
        """The stage numbers of an orchestration, in display order."""
        return [s.number for s in self.list_stages(orchestration_number)]


def sandbox_reset() -> dict[str, int]:
    """Empty the built-in sandbox (the "reset sandbox" button): every emulated remote and every id counter.

    CX Sales orchestrations and stages, interactions and phone calls, Outreach
    opportunity stages, B2C Service tasks. Returns
    how many of each were removed, for the message shown to the user.
    """
    with transaction.atomic():
        stages = SandboxStage.objects.count()
        orchestrations = SandboxOrchestration.objects.count()
        outreach_stages = SandboxOutreachStage.objects.count()
        records = SandboxRecord.objects.count()
        SandboxRecord.objects.all().delete()
        SandboxStage.objects.all().delete()
        SandboxOrchestration.objects.all().delete()
        SandboxOutreachStage.objects.all().delete()
        SandboxSequence.objects.all().delete()
    return {
        "orchestrations": orchestrations,
        "stages": stages,
        "outreach_stages": outreach_stages,
        "records": records,
    }
