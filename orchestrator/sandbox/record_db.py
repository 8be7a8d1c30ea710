"""The built-in sandbox's record store: SandboxRecord rows, ids from a locked SandboxSequence per resource."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction

from ..models.sandbox import SandboxRecord, SandboxSequence
from .record_store import FIRST_IDS


class DbRecordStore:
    """RecordStore (see record_store.py) over the database; every write request runs in one transaction."""

    def atomic(self) -> AbstractContextManager[None]:
        return transaction.atomic()

    def next_id(self, resource: str) -> int:
        first = FIRST_IDS.get(resource, 1)
        with transaction.atomic():
            sequence, _ = SandboxSequence.objects.select_for_update().get_or_create(
                name=f"record:{resource}"[:40], defaults={"value": first - 1}
            )
            highest = (
                SandboxRecord.objects.filter(resource=resource)
                .order_by("-remote_id")
                .values_list("remote_id", flat=True)
                .first()
            )
            sequence.value = max(sequence.value, highest or 0, first - 1) + 1
            sequence.save(update_fields=["value"])
        return sequence.value

    def list(self, resource: str) -> list[tuple[int, dict[str, Any]]]:
        rows = SandboxRecord.objects.filter(resource=resource).order_by("remote_id")
        return [(row.remote_id, row.document) for row in rows]

    def get(self, resource: str, record_id: int) -> dict[str, Any] | None:
        row = SandboxRecord.objects.filter(resource=resource, remote_id=record_id).first()
        return row.document if row else None

    def save(self, resource: str, record_id: int, record: dict[str, Any]) -> None:
        SandboxRecord.objects.update_or_create(resource=resource, remote_id=record_id, defaults={"document": record})

    def delete(self, resource: str, record_id: int) -> bool:
        deleted, _ = SandboxRecord.objects.filter(resource=resource, remote_id=record_id).delete()
        return deleted > 0

    def reset(self) -> None:
        with transaction.atomic():
            SandboxRecord.objects.all().delete()
            SandboxSequence.objects.filter(name__startswith="record:").delete()
