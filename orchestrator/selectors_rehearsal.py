"""Reads of the rehearsal screens: a rehearsal with its records and runs, an orchestration's rehearsals."""

from __future__ import annotations

from .models import JournalEntry, Orchestration, Rehearsal, RemoteRun, RemoteRunKind

KINDS = (RemoteRunKind.REHEARSAL, RemoteRunKind.REHEARSAL_CLEANUP)


def rehearsal_detail(rehearsal_id: int) -> Rehearsal | None:
    """The rehearsal with its orchestration, starter and records (two queries), or None."""
    return (
        Rehearsal.objects.select_related("orchestration", "started_by")
        .prefetch_related("records")
        .filter(pk=rehearsal_id)
        .first()
    )


def rehearsal_runs(rehearsal: Rehearsal, limit: int = 20) -> list[RemoteRun]:
    """The rehearsal's runs and clean-ups, newest first (one query; the id is kept in the run's options)."""
    runs = RemoteRun.objects.filter(
        kind__in=KINDS, orchestration_id=rehearsal.orchestration_id, options__rehearsal_id=rehearsal.pk
    ).select_related("started_by")
    return list(runs.order_by("-created_at", "-pk")[:limit])


def orchestration_rehearsals(orchestration: Orchestration, limit: int = 30) -> list[Rehearsal]:
    """The orchestration's rehearsals, newest first (one query)."""
    return list(Rehearsal.objects.filter(orchestration=orchestration).select_related("started_by")[:limit])


def run_journal(run: RemoteRun) -> list[JournalEntry]:
    """Every HTTP exchange of the run, in order."""
    return list(JournalEntry.objects.filter(remote_run=run).order_by("pk"))


def records_by_remote(system_resource_ids: list[tuple[str, int]]) -> dict[tuple[str, int], Rehearsal]:
    """The rehearsal that created each (system, remote id), for the sandbox page's links back (one query)."""
    from .models import RehearsalRecord

    if not system_resource_ids:
        return {}
    ids = {remote_id for _, remote_id in system_resource_ids}
    found = RehearsalRecord.objects.filter(remote_id__in=ids).select_related("rehearsal")
    return {(record.system, record.remote_id): record.rehearsal for record in found}


RESOURCE_LABELS = {
    "b2c_service.tasks": ("B2C Service", "task"),
    "cx_sales.interactions": ("CX Sales", "interaction"),
    "cx_sales.phoneCalls": ("CX Sales", "phone call"),
}


def _summary(resource: str, document: dict) -> str:
    if resource == "b2c_service.tasks":
        return str(document.get("name") or "")
    if resource == "cx_sales.interactions":
        refs = document.get("interactionReferences") or []
        where = ", ".join(f"{r.get('ObjectTypeCd')} {r.get('ObjectId')}" for r in refs if isinstance(r, dict))
        return f"{document.get('Description') or ''}{' → ' + where if where else ''}"
    messages = document.get("TranscriptMessage") or []
    call, interaction = document.get("CallNumber") or "", document.get("InteractionId")
    return f"{call} for interaction {interaction}, {len(messages)} message(s)"


def sandbox_records() -> list[dict]:
    """The sandbox's interactions, phone calls and tasks, each with the rehearsal that created it (two queries)."""
    from .models import SandboxRecord

    rows = list(SandboxRecord.objects.order_by("resource", "remote_id"))
    systems = {"b2c_service.tasks": "b2c_service"}
    owners = records_by_remote([(systems.get(r.resource, "cx_sales"), r.remote_id) for r in rows])
    result = []
    for row in rows:
        system_label, what = RESOURCE_LABELS.get(row.resource, (row.resource, ""))
        document = row.document if isinstance(row.document, dict) else {}
        result.append(
            {
                "system": system_label,
                "what": what,
                "remote_id": row.remote_id,
                "summary": _summary(row.resource, document),
                "updated_at": row.updated_at,
                "rehearsal": owners.get((systems.get(row.resource, "cx_sales"), row.remote_id)),
            }
        )
    return result
