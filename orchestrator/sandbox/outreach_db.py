"""The built-in sandbox's Outreach store: SandboxOutreachStage rows, integer ids from a locked SandboxSequence."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction

from ..models.sandbox import SandboxOutreachStage, SandboxSequence

ID_SEQUENCE = "outreach_stage_id"


class DbOutreachStore:
    """OutreachStore (see outreach_store.py) over the database; every write request runs in one transaction."""

    def atomic(self) -> AbstractContextManager[None]:
        return transaction.atomic()

    def next_id(self) -> int:
        with transaction.atomic():
            sequence, _ = SandboxSequence.objects.select_for_update().get_or_create(
                name=ID_SEQUENCE, defaults={"value": 0}
            )
            # Never behind the stored ids, whatever emptied the counters.
            highest = SandboxOutreachStage.objects.order_by("-remote_id").values_list("remote_id", flat=True).first()
            sequence.value = max(sequence.value, highest or 0) + 1
            sequence.save(update_fields=["value"])
        return sequence.value

    def list_stages(self) -> list[dict[str, Any]]:
        return [row.resource for row in SandboxOutreachStage.objects.order_by("remote_id")]

    def get_stage(self, stage_id: int) -> dict[str, Any] | None:
        row = SandboxOutreachStage.objects.filter(remote_id=stage_id).first()
        return row.resource if row else None

    def save_stage(self, stage: dict[str, Any]) -> None:
        attributes = {key: value for key, value in stage.items() if key != "id"}
        SandboxOutreachStage.objects.update_or_create(remote_id=int(stage["id"]), defaults={"attributes": attributes})

    def delete_stage(self, stage_id: int) -> bool:
        deleted, _ = SandboxOutreachStage.objects.filter(remote_id=stage_id).delete()
        return deleted > 0

    def reset(self) -> None:
        with transaction.atomic():
            SandboxOutreachStage.objects.all().delete()
            SandboxSequence.objects.filter(name=ID_SEQUENCE).delete()
