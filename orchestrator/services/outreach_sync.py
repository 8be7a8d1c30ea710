"""Keeping an Outreach connection's opportunity stages in step with an orchestration's stages (issue 8).

A sync reads every remote stage (``links.next`` page by page, 1,000 a page),
matches each local stage to one — by the Outreach id remembered from an
earlier sync on that connection (`OutreachStageLink`, kept per stage
number), else by name (case-insensitive, trimmed) — and then:

- creates the local stages that match nothing (POST);
- PATCHes the matched ones whose name, order (the stage's position, 1…n),
  colour or closing flag differ, sending only what differs (a colour or a
  closing flag left empty in the designer is Outreach's own business);
- leaves the remote stages that match nothing ("extra") alone, unless their
  deletion was confirmed (`delete_ids`, or `delete_extra` from the CLI);
- remembers the id of every stage it matched or created.

The plan is worked out from what Outreach holds at that moment, so a second
sync writes nothing, a rename PATCHes the remembered id instead of creating a
second stage, and a sync that stopped half-way is finished by syncing again.
A create whose reply was lost is not repeated blindly: the stages are read
again and one with that name is adopted.

`outreach_sync_start` queues a run (the page runs it in the background),
`outreach_sync_execute` runs it; `outreach_sync` does both (the CLI). Remote
trouble never raises: the run records it, beside the stage it concerns when
there is one (a 422's ``source.pointer`` names the attribute).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import (
    Orchestration,
    OrchestrationStatus,
    OutreachStageLink,
    PublishReason,
    PublishRunStatus,
    RemoteRun,
    RemoteRunKind,
    Stage,
)
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import RemoteClient
from ..remote.outreach import OpportunityStage, OutreachApi
from ..remote.systems import OUTREACH
from .journal import Journal
from .outreach_settings import normalized_color
from .publish_run import client_options
from .remote_runs import RunEnded, remote_run_claim, remote_run_finish, remote_run_start

logger = logging.getLogger(__name__)

CREATE, UPDATE, UNCHANGED, EXTRA, DELETE = "create", "update", "unchanged", "extra", "delete"
ACTION_LABELS = {CREATE: "Create", UPDATE: "Update", UNCHANGED: "Unchanged", EXTRA: "Extra, kept", DELETE: "Delete"}
PLANNED, DONE, FAILED, SKIPPED = "planned", "done", "failed", "skipped"


def name_key(name: str | None) -> str:
    """How names are matched: trimmed, case-insensitive."""
    return (name or "").strip().casefold()


@dataclass(frozen=True)
class LocalStage:
    """What a sync needs of a local stage: its number, name, position and Outreach settings."""

    number: str
    name: str
    position: int
    color: str = ""
    is_closed: bool | None = None

    def attributes(self) -> dict[str, Any]:
        """The Outreach attributes this stage decides (colour and closing flag only when set)."""
        wanted: dict[str, Any] = {"name": self.name, "order": self.position}
        if self.color:
            wanted["color"] = self.color
        if self.is_closed is not None:
            wanted["isClosed"] = self.is_closed
        return wanted


@dataclass
class SyncLine:
    """One line of the plan and, once run, of the outcome. Stored as a dict in `RemoteRun.lines`."""

    action: str
    stage_number: str = ""
    stage_name: str = ""
    position: int | None = None
    remote_id: int | None = None
    remote_name: str | None = None
    remote_order: int | None = None
    matched_by: str = ""  # "id" (remembered) | "name" | ""
    changes: dict[str, list[Any]] = field(default_factory=dict)  # attribute → [Outreach's value, ours]
    send: dict[str, Any] = field(default_factory=dict)  # the attributes the request carries
    status: str = PLANNED
    message: str = ""
    http_status: int | None = None
    problems: list[dict[str, str]] = field(default_factory=list)  # the remote's, with source.pointer

    @property
    def writes(self) -> bool:
        return self.action in (CREATE, UPDATE, DELETE)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _differs(attribute: str, remote: Any, local: Any) -> bool:
    if attribute == "color":  # #AABBCC, #aabbcc and #abc… are the same colour
        return normalized_color(remote if isinstance(remote, str) else None) != local
    return remote != local


def _remote_value(stage: OpportunityStage, attribute: str) -> Any:
    return {"name": stage.name, "order": stage.order, "color": stage.color, "isClosed": stage.is_closed}[attribute]


def plan_sync(
    local: Iterable[LocalStage],
    remote: Iterable[OpportunityStage],
    remembered: dict[str, int],
    *,
    delete_ids: Iterable[int] = (),
    delete_extra: bool = False,
) -> list[SyncLine]:
    """The lines of a sync: each local stage in order (create/update/unchanged), then the extras.

    `remembered` maps stage numbers to the Outreach ids of an earlier sync; a
    remembered id wins over a name, and no remote stage is matched twice. An
    extra is planned for deletion when its id is in `delete_ids` or with
    `delete_extra`; otherwise it is kept.
    """
    local = list(local)
    remote = sorted(remote, key=lambda s: (s.order is None, s.order or 0, s.id))
    by_id = {stage.id: stage for stage in remote}
    claimed: set[int] = set()
    matches: dict[str, tuple[OpportunityStage, str]] = {}
    for stage in local:
        found = by_id.get(remembered.get(stage.number, -1))
        if found is not None and found.id not in claimed:
            matches[stage.number] = (found, "id")
            claimed.add(found.id)
    by_name: dict[str, list[OpportunityStage]] = {}
    for candidate in remote:  # in Outreach's order: of two stages with one name, the first is matched
        by_name.setdefault(name_key(candidate.name), []).append(candidate)
    for stage in local:
        if stage.number in matches:
            continue
        found = next((r for r in by_name.get(name_key(stage.name), ()) if r.id not in claimed), None)
        if found is not None:
            matches[stage.number] = (found, "name")
            claimed.add(found.id)

    lines: list[SyncLine] = []
    for stage in local:
        line = SyncLine(CREATE, stage.number, stage.name, stage.position)
        wanted = stage.attributes()
        if stage.number not in matches:
            line.send = wanted
        else:
            match, how = matches[stage.number]
            line.remote_id, line.remote_name, line.remote_order, line.matched_by = (
                match.id,
                match.name,
                match.order,
                how,
            )
            line.changes = {
                name: [_remote_value(match, name), value]
                for name, value in wanted.items()
                if _differs(name, _remote_value(match, name), value)
            }
            line.send = {name: wanted[name] for name in line.changes}
            line.action = UPDATE if line.changes else UNCHANGED
        lines.append(line)
    confirmed = set(delete_ids)
    for extra in remote:
        if extra.id in claimed:
            continue
        action = DELETE if delete_extra or extra.id in confirmed else EXTRA
        lines.append(SyncLine(action, remote_id=extra.id, remote_name=extra.name, remote_order=extra.order))
    return lines


def plan_counts(lines: Iterable[SyncLine | dict[str, Any]]) -> dict[str, int]:
    """How many lines of each action: {"create": n, "update": n, "unchanged": n, "extra": n, "delete": n}."""
    counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED, EXTRA, DELETE), 0)
    for line in lines:
        counts[line.action if isinstance(line, SyncLine) else line["action"]] += 1
    return counts


def plan_summary(counts: dict[str, int]) -> str:
    """ "2 to create, 1 to update, 3 unchanged, 1 extra kept (1 to delete)" """
    text = f"{counts[CREATE]} to create, {counts[UPDATE]} to update, {counts[UNCHANGED]} unchanged"
    if counts[EXTRA]:
        text += f", {counts[EXTRA]} extra kept in Outreach"
    if counts[DELETE]:
        text += f", {counts[DELETE]} extra to delete"
    return text


def sync_refusal(orchestration: Orchestration, stages: list[Stage]) -> str:
    """Why the stages cannot be synced whatever Outreach holds, or ""."""
    if orchestration.status == OrchestrationStatus.ARCHIVED:
        return f"{orchestration.name} is archived. Restore it in the orchestration list before syncing it."
    if not stages:
        return f"{orchestration.name} has no stages: there is nothing to sync."
    unnamed = [str(position) for position, stage in enumerate(stages, 1) if not stage.name.strip()]
    if unnamed:
        return f"Stage {', '.join(unnamed)} has no name; Outreach tells stages apart by name. Name it first."
    seen: dict[str, Stage] = {}
    for stage in stages:
        if seen.setdefault(name_key(stage.name), stage) is not stage:
            return (
                f"Two stages are called “{stage.name.strip()}”; Outreach tells stages apart by name. Rename one first."
            )
    return ""


def local_stages(orchestration: Orchestration) -> list[Stage]:
    """The orchestration's stages in order (one query)."""
    return list(Stage.objects.filter(orchestration=orchestration).order_by("display_sequence", "pk"))


def _as_local(stages: list[Stage]) -> list[LocalStage]:
    return [
        LocalStage(stage.number, stage.name, position, stage.outreach_color or "", stage.outreach_is_closed)
        for position, stage in enumerate(stages, start=1)
    ]


# -- starting and running ----------------------------------------------------------------------------------------


def outreach_sync_start(
    *,
    orchestration: Orchestration,
    connection_name: str = "default",
    user=None,
    dry_run: bool = False,
    delete_ids: Iterable[int] = (),
    delete_extra: bool = False,
) -> tuple[RemoteRun, bool]:
    """Queue a sync (or a dry run: only reads and plans): (run, True), or (the sync already under way, False)."""
    options = {"delete_ids": sorted({int(i) for i in delete_ids}), "delete_extra": bool(delete_extra)}
    return remote_run_start(
        kind=RemoteRunKind.OUTREACH_SYNC,
        system=OUTREACH.key,
        orchestration=orchestration,
        connection_name=connection_name,
        user=user,
        dry_run=dry_run,
        options=options,
    )


def outreach_sync_execute(*, run: RemoteRun) -> RemoteRun:
    """Run a queued sync in this process; a run another process claimed is returned as it is."""
    if not remote_run_claim(run):
        return run
    _SyncRun(run).execute()
    run.refresh_from_db()
    return run


def outreach_sync(
    *,
    orchestration: Orchestration,
    connection_name: str = "default",
    user=None,
    dry_run: bool = False,
    delete_ids: Iterable[int] = (),
    delete_extra: bool = False,
) -> RemoteRun:
    """Plan and sync now; returns the finished run (or, when another sync is under way, that one, untouched)."""
    run, created = outreach_sync_start(
        orchestration=orchestration,
        connection_name=connection_name,
        user=user,
        dry_run=dry_run,
        delete_ids=delete_ids,
        delete_extra=delete_extra,
    )
    if not created:
        return run
    return outreach_sync_execute(run=run)


class _SyncRun:
    """Executes one claimed sync run; records everything on it and never raises for remote trouble."""

    def __init__(self, run: RemoteRun) -> None:
        self.run = run
        self.connection = None
        self.journal = Journal(run)
        self.lines: list[SyncLine] = []
        self.remembered: dict[str, int] = {}  # stage number → the Outreach id OutreachStageLink holds
        self.writing = False

    def execute(self) -> None:
        try:
            self._execute()
        except RunEnded:
            pass
        except KeyboardInterrupt:
            # Ctrl-C in the CLI: say so now rather than leave the run to go stale.
            with contextlib.suppress(RunEnded):
                self._finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    "Interrupted before it finished; sync again to finish (nothing is duplicated).",
                )
            raise
        except Exception:
            logger.exception("Outreach sync run %s stopped by an unexpected error", self.run.pk)
            with contextlib.suppress(RunEnded):
                self._finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    "The sync stopped because of an internal error; the log has the details. Sync again to finish.",
                )

    def _finish(self, status: str, reason: str, message: str) -> None:
        self.run.lines = [line.as_dict() for line in self.lines]
        remote_run_finish(self.run, status, reason, message, scrub=self.journal.scrub)

    def _execute(self) -> None:
        run = self.run
        try:
            self.connection = get_connection(run.connection_name, system=OUTREACH.key)
        except ConnectionConfigError as exc:
            self._finish(PublishRunStatus.FAILED, PublishReason.CONFIG, exc.message)
        self.journal = Journal(run, connections=[self.connection])
        run.connection_info = self.connection.describe_safe()
        stages = local_stages(run.orchestration)
        refusal = sync_refusal(run.orchestration, stages)
        if refusal:
            self._finish(PublishRunStatus.REFUSED, PublishReason.VALIDATION, f"Not synced: {refusal} Nothing was sent.")
        with RemoteClient(self.connection, on_exchange=self.journal, **client_options()) as client:
            self._talk(OutreachApi(client), stages)

    def _talk(self, api: OutreachApi, stages: list[Stage]) -> None:
        run = self.run
        self.journal.annotate("read every opportunity stage Outreach holds (following links.next)")
        remote = self._call(api.list_stages)
        numbers = [stage.number for stage in stages]
        remembered = dict(
            OutreachStageLink.objects.filter(connection_name=run.connection_name, stage_number__in=numbers).values_list(
                "stage_number", "remote_id"
            )
        )
        self.remembered = remembered
        self.lines = plan_sync(
            _as_local(stages),
            remote,
            remembered,
            delete_ids=run.options.get("delete_ids", ()),
            delete_extra=run.options.get("delete_extra", False),
        )
        for line in self.lines:
            if not line.writes:
                line.status = SKIPPED
        # The run's page shows the plan while the writes go out.
        RemoteRun.objects.filter(pk=run.pk).update(lines=[line.as_dict() for line in self.lines])
        counts = plan_counts(self.lines)
        if run.dry_run:
            extras = f", {counts[EXTRA]} extra kept" if counts[EXTRA] else ""
            self._finish(
                PublishRunStatus.DONE,
                "",
                f"Dry run: would create {counts[CREATE]}, update {counts[UPDATE]}, delete {counts[DELETE]} "
                f"stage(s); {counts[UNCHANGED]} unchanged{extras}. Nothing was written.",
            )
        self.writing = True
        for line in self.lines:
            if line.action == UNCHANGED:
                self._remember(line.stage_number, line.remote_id)
            elif line.writes:
                self._write(api, line)
        self._finish(*self._outcome())

    def _outcome(self) -> tuple[str, str, str]:
        failed = [line for line in self.lines if line.status == FAILED]
        done = plan_counts(line for line in self.lines if line.status == DONE)
        unchanged = sum(1 for line in self.lines if line.action == UNCHANGED)
        extras = sum(1 for line in self.lines if line.action == EXTRA)
        kept = f"; {extras} extra stage(s) left in Outreach" if extras else ""
        if failed:
            names = ", ".join(line.stage_name or f"Outreach stage {line.remote_id}" for line in failed[:5])
            return (
                PublishRunStatus.PARTIAL,
                PublishReason.REMOTE,
                f"Outreach refused {len(failed)} stage(s) ({names}); the others are in step. "
                "Fix what it says beside the stage and sync again.",
            )
        if not (done[CREATE] or done[UPDATE] or done[DELETE]):
            return PublishRunStatus.DONE, "", f"Nothing to change: all {unchanged} stage(s) are in step{kept}."
        return (
            PublishRunStatus.DONE,
            "",
            f"Synced: {done[CREATE]} created, {done[UPDATE]} updated, {done[DELETE]} deleted, "
            f"{unchanged} unchanged{kept}.",
        )

    # -- writes --------------------------------------------------------------------------------------------------

    def _write(self, api: OutreachApi, line: SyncLine) -> None:
        label = (
            f"stage {line.stage_name}" if line.stage_number else f"extra stage {line.remote_id} ({line.remote_name})"
        )
        with self.journal.about(line.stage_number):
            try:
                if line.action == CREATE:
                    self.journal.annotate(f"create {label}: no Outreach stage has its name or its remembered id")
                    created = api.create_stage(line.send)
                    line.remote_id = created.id
                    self._remember(line.stage_number, created.id)
                elif line.action == UPDATE:
                    what = ", ".join(line.changes)
                    self.journal.annotate(
                        f"update {label} (Outreach id {line.remote_id}, matched by {line.matched_by}): {what}"
                    )
                    api.update_stage(line.remote_id, line.send)
                    self._remember(line.stage_number, line.remote_id)
                else:
                    self.journal.annotate(f"delete {label}: its deletion was confirmed")
                    gone = api.delete_stage(line.remote_id)
                    self._forget(line.remote_id)
                    line.message = "" if gone else "It was already gone."
            except RemoteError as exc:
                if line.action == CREATE and exc.ambiguous and self._adopt(api, line):
                    return
                self._refused(line, exc)
                return
        line.status = DONE

    def _adopt(self, api: OutreachApi, line: SyncLine) -> bool:
        """After a create whose reply was lost: the stage if Outreach made it after all (looked up by name)."""
        self.journal.annotate(f"look for stage {line.stage_name}: the reply to its create was lost")
        claimed = {other.remote_id for other in self.lines if other.remote_id is not None and other is not line}
        stages = self._call(api.list_stages)
        found = next((s for s in stages if s.id not in claimed and name_key(s.name) == name_key(line.stage_name)), None)
        if found is None:
            return False
        line.remote_id, line.status = found.id, DONE
        line.message = "The reply to the create was lost; the stage was found in Outreach by its name."
        self._remember(line.stage_number, found.id)
        return True

    def _remember(self, stage_number: str, remote_id: int | None) -> None:
        if not stage_number or remote_id is None or self.remembered.get(stage_number) == remote_id:
            return  # nothing new to remember: a second sync writes nothing here either
        self.remembered[stage_number] = remote_id
        with transaction.atomic():
            OutreachStageLink.objects.update_or_create(
                connection_name=self.run.connection_name,
                stage_number=stage_number,
                defaults={
                    "remote_id": remote_id,
                    "orchestration_number": self.run.orchestration.number,
                    "synced_at": timezone.now(),
                },
            )

    def _forget(self, remote_id: int) -> None:
        """Outreach stage `remote_id` is gone: no stage is remembered as synced to it any more."""
        OutreachStageLink.objects.filter(connection_name=self.run.connection_name, remote_id=remote_id).delete()
        self.remembered = {number: rid for number, rid in self.remembered.items() if rid != remote_id}

    # -- remote failures -----------------------------------------------------------------------------------------

    def _refused(self, line: SyncLine, exc: RemoteError) -> None:
        """A stage the remote refused: beside the stage when it concerns only that one; else the run stops."""
        line.status = FAILED
        line.message = self.journal.scrub(exc.message)
        line.http_status = exc.status
        line.problems = [{k: self.journal.scrub(v) for k, v in problem.items()} for problem in exc.details]
        if exc.auth_failed or exc.kind in ("config", "unsafe_url") or self._unavailable(exc):
            self._stop(exc, line)
        if exc.status == 404 and line.action == UPDATE:
            line.message = "The stage is no longer in Outreach; sync again to create it."
            self._forget(line.remote_id)

    @staticmethod
    def _unavailable(exc: RemoteError) -> bool:
        return not exc.permanent and (exc.status is None or exc.status in (429, 500, 502, 503, 504))

    def _call(self, method, *args):
        try:
            return method(*args)
        except RemoteError as exc:
            self._stop(exc, None)

    def _stop(self, exc: RemoteError, line: SyncLine | None) -> None:
        name = self.run.connection_name
        message = self.journal.scrub(exc.message)
        where = f" at stage {line.stage_name or line.remote_id}" if line is not None else ""
        status = PublishRunStatus.PARTIAL if self.writing else PublishRunStatus.FAILED
        again = " Sync again to finish; nothing is duplicated." if self.writing else " Try again later."
        if exc.auth_failed:
            self._finish(
                PublishRunStatus.FAILED,
                PublishReason.CREDENTIALS,
                f"Outreach connection {name} refused the token (HTTP {exc.status}){where}: {message}",
            )
        if exc.kind in ("config", "unsafe_url"):
            self._finish(PublishRunStatus.FAILED, PublishReason.CONFIG, f"Outreach connection {name}: {message}")
        if self._unavailable(exc):
            self._finish(
                status,
                PublishReason.UNAVAILABLE,
                f"Outreach connection {name} is unavailable{where}: {message.rstrip('.')}.{again}",
            )
        code = f" (HTTP {exc.status})" if exc.status else ""
        self._finish(status, PublishReason.REMOTE, f"Refused by Outreach connection {name}{where}{code}: {message}")
