"""Reads for the Outreach screens, each in a fixed number of queries whatever the size:

- `outreach_connections()`: the configured Outreach connections as they may be shown (no query, never a secret);
- `sync_stages(orch, connection)`: the stages in order with the Outreach id remembered for each (2 queries);
- `outreach_runs(orch)`: the latest syncs of an orchestration (1 query);
- `remote_run_detail(run_id)`: a run with its orchestration and starter (1 query);
- `remote_run_journal(run)`: its HTTP exchanges (1 query);
- `sandbox_outreach_stages()`: what the emulated Outreach holds, in Outreach's order (1 query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import JournalEntry, Orchestration, OutreachStageLink, RemoteRun, RemoteRunKind, SandboxOutreachStage
from .selectors_publish import ConnectionInfo, connection_overview

RECENT_RUNS = 10
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def outreach_connections(environ=None) -> list[ConnectionInfo]:
    """Every configured Outreach connection, ``default`` first; a broken one is listed with its error."""
    return connection_overview(environ, system="outreach")


@dataclass
class SyncStage:
    """A local stage as the sync page lists it."""

    position: int
    number: str
    name: str
    color: str
    is_closed: bool | None
    remote_id: int | None  # remembered from an earlier sync on the chosen connection


def sync_stages(orch: Orchestration, connection_name: str) -> list[SyncStage]:
    """The orchestration's stages in order, with the Outreach id remembered for each on `connection_name`."""
    stages = list(orch.stages.order_by("display_sequence", "pk"))
    remembered = dict(
        OutreachStageLink.objects.filter(
            connection_name=connection_name, stage_number__in=[s.number for s in stages]
        ).values_list("stage_number", "remote_id")
    )
    return [
        SyncStage(
            position,
            stage.number,
            stage.name,
            stage.outreach_color,
            stage.outreach_is_closed,
            remembered.get(stage.number),
        )
        for position, stage in enumerate(stages, start=1)
    ]


def outreach_runs(orch: Orchestration, *, limit: int = RECENT_RUNS) -> QuerySet[RemoteRun]:
    """The Outreach syncs of `orch` (dry runs, that is plans, included), newest first."""
    return (
        RemoteRun.objects.filter(orchestration=orch, kind=RemoteRunKind.OUTREACH_SYNC)
        .select_related("started_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def remote_run_detail(run_id: int) -> RemoteRun:
    """The run with its orchestration and starter; raises RemoteRun.DoesNotExist."""
    return RemoteRun.objects.select_related("orchestration", "started_by").get(pk=run_id)


def remote_run_journal(run: RemoteRun) -> list[JournalEntry]:
    """Every HTTP exchange of the run, in the order it happened."""
    return list(JournalEntry.objects.filter(remote_run=run).order_by("pk"))


@dataclass
class SandboxOutreachStageView:
    remote_id: int
    name: str
    order: Any
    color: str
    is_closed: Any
    updated_at: str

    @property
    def swatch(self) -> str:
        """The colour when it is a hex colour a swatch can show, else ""."""
        return self.color if _HEX.fullmatch(self.color) else ""


def sandbox_outreach_stages() -> list[SandboxOutreachStageView]:
    """The opportunity stages the built-in sandbox's Outreach holds, by order then id (remote data: any shape)."""
    views = []
    for row in SandboxOutreachStage.objects.order_by("remote_id"):
        attributes = row.attributes if isinstance(row.attributes, dict) else {}
        views.append(
            SandboxOutreachStageView(
                remote_id=row.remote_id,
                name=str(attributes.get("name") or ""),
                order=attributes.get("order"),
                color=str(attributes.get("color") or ""),
                is_closed=attributes.get("isClosed"),
                updated_at=str(attributes.get("updatedAt") or ""),
            )
        )
    return sorted(views, key=lambda v: (not isinstance(v.order, int), v.order if isinstance(v.order, int) else 0))
