"""Rehearsals (issue 9): play a stage's steps on a test opportunity, report what was created where, clean up.

What a rehearsal creates, per step of the stage (or of every stage):

- a **Task** step: one B2C Service task per step task (one for the step when
  it has none) — ``name`` from the step and the task's position with the
  record's marker in brackets, ``dueTime`` now + the step's grace period
  (hours, ISO 8601 UTC) when it has one, a note naming the orchestration,
  stage, step and rehearsal, and ``salesSettings.opportunity`` when a B2C
  opportunity id is given;
- an **Appointment** step: a CX Sales interaction (``DirectionCd``
  ORA_SVC_OUTBOUND, described with the orchestration, stage and step, its
  ``interactionReferences`` pointing at the opportunity: ``MOO_OPTY`` and the
  record's id), then a phone call for it (``InteractionId``) whose
  ``CallNumber`` is the marker and whose one transcript message carries the
  step's suggestion text (``MessageContent`` base64, ``MessageNumber`` ours);
- other steps create nothing, and the plan says so.

Each planned record has a *key*, ``RH<rehearsal>-<8 hex>``, derived from the
step and task it stands for: it is the phone call's CallNumber, the
interaction's OriginalSystemReference and the marker in the task's name. So
a run creates only what the rehearsal does not hold yet; a lost reply on a
create is settled by looking the record up by its key before anything is
sent again (ROQL ``name like '%key%'`` for a task; ``q=OriginalSystemReference``
for an interaction; a phone call is an upsert by CallNumber anyway).

Rehearsing the same stage on the same record through the same connections
continues the open rehearsal (`rehearsal_open`); `rehearsal_cleanup` deletes
what it created — tasks, phone calls, interactions, in that order — and says
what could not be deleted and why; a clean-up that stopped half-way is
finished by cleaning up again. Runs and clean-ups are `RemoteRun` rows with
their journal; remote trouble never raises, it is recorded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import (
    Orchestration,
    OrchestrationStatus,
    PublishReason,
    PublishRunStatus,
    Rehearsal,
    RehearsalRecord,
    RehearsalRecordKind,
    RehearsalRecordStatus,
    RehearsalStatus,
    RemoteRun,
    RemoteRunKind,
    Stage,
    StepType,
)
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.b2c_service import B2cServiceApi
from ..remote.client import RemoteClient
from ..remote.cx_activities import CxActivitiesApi
from ..remote.systems import B2C_SERVICE, CX_SALES
from .journal import Journal
from .publish_run import client_options
from .remote_runs import (
    RunEnded,
    active_remote_run,
    remote_run_claim,
    remote_run_finish,
    remote_run_is_stale,
    remote_run_start,
)

logger = logging.getLogger(__name__)

TASK_NAME_MAX = 80
OPPORTUNITY_ID_MAX = 9_223_372_036_854_775_807  # int64, as Oracle types ObjectId
REFERENCE_OBJECT_TYPE = "MOO_OPTY"
DIRECTION = "ORA_SVC_OUTBOUND"
SYSTEM_OF = {
    RehearsalRecordKind.B2C_TASK: B2C_SERVICE.key,
    RehearsalRecordKind.INTERACTION: CX_SALES.key,
    RehearsalRecordKind.PHONE_CALL: CX_SALES.key,
}
# What a rehearsal sends to CX Sales, by resource and child collection: the pod's describe must have each.
CX_SENT = {
    ("interactions", "interactionReferences"): (
        ("Description", "DirectionCd", "OriginalSystemReference"),
        ("ObjectTypeCd", "ObjectId"),
    ),
    ("phoneCalls", "TranscriptMessage"): (("InteractionId", "CallNumber"), ("MessageNumber", "MessageContent")),
}
CLEANUP_ORDER = (RehearsalRecordKind.B2C_TASK, RehearsalRecordKind.PHONE_CALL, RehearsalRecordKind.INTERACTION)
NOTHING, PLANNED, CREATED, EXISTS, ADOPTED, FAILED, SKIPPED = (
    "nothing",
    "planned",
    "created",
    "exists",
    "adopted",
    "failed",
    "skipped",
)
STATUS_TEXT = {
    NOTHING: "— Nothing to create",
    PLANNED: "To create",
    CREATED: "✓ Created",
    EXISTS: "✓ Already there",
    ADOPTED: "✓ Found after a lost reply",
    FAILED: "✗ Refused",
    SKIPPED: "— Not sent",
    "deleted": "✓ Deleted",
    "gone": "✓ Already gone",
}


@dataclass
class RehearsalLine:
    """One line of the plan and, once run, of the outcome (stored as a dict in `RemoteRun.lines`)."""

    kind: str  # a RehearsalRecordKind, or "" for a step that creates nothing
    key: str
    stage_number: str
    stage_name: str
    step_number: str
    step_name: str
    step_type: str
    label: str
    system: str = ""
    task_position: int | None = None
    due_hours: int | None = None
    status: str = PLANNED
    remote_id: int | None = None
    link: str = ""
    message: str = ""
    http_status: int | None = None
    problems: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_key(marker: str, step_number: str, task_number: str = "") -> str:
    """The key of a planned record: the rehearsal's marker and a digest of the step (and step task) — ≤ 30."""
    digest = hashlib.sha256(f"{step_number}\x1f{task_number}".encode()).hexdigest()[:8].upper()
    return f"{marker}-{digest}"


def _wait_text(step) -> str:
    parts = []
    if step.days_to_wait:
        parts.append(f"{step.days_to_wait} day{'s' if step.days_to_wait != 1 else ''}")
    if step.hours_to_wait:
        parts.append(f"{step.hours_to_wait} hour{'s' if step.hours_to_wait != 1 else ''}")
    return " and ".join(parts)


def _nothing_text(step) -> str:
    """ "Wait: 3 days — nothing to create" """
    label = StepType(step.step_type).label if step.step_type in StepType.values else step.step_type
    detail = {
        StepType.WAIT: _wait_text(step),
        StepType.NEXT_STAGE: step.next_stage_value,
    }.get(step.step_type, "")
    return f"{label}{': ' + detail if detail else ''} — nothing to create"


def rehearsal_stages(orchestration: Orchestration, stage_number: str = "") -> list[Stage]:
    """The stages a rehearsal plays (one, or every stage), with their steps and step tasks (three queries)."""
    stages = Stage.objects.filter(orchestration=orchestration).order_by("display_sequence", "pk")
    if stage_number:
        stages = stages.filter(number=stage_number)
    return list(stages.prefetch_related("steps__tasks"))


def plan_lines(orchestration: Orchestration, stages: Iterable[Stage], marker: str) -> list[RehearsalLine]:
    """Every record the stages' steps create (and a line for each step that creates none), in order."""
    lines: list[RehearsalLine] = []
    for stage in stages:
        for step in stage.steps.all():
            common = {
                "stage_number": stage.number,
                "stage_name": stage.name,
                "step_number": step.number,
                "step_name": step.name,
                "step_type": step.step_type,
            }
            if step.step_type == StepType.TASK:
                tasks = list(step.tasks.all()) or [None]
                for position, task in enumerate(tasks, start=1):
                    key = record_key(marker, step.number, task.number if task else "")
                    shown = f"{step.name} (task {position})" if task else step.name
                    lines.append(
                        RehearsalLine(
                            RehearsalRecordKind.B2C_TASK,
                            key,
                            **common,
                            label=f"B2C Service task “{shown}”",
                            system=B2C_SERVICE.key,
                            task_position=position if task else None,
                            due_hours=step.grace_period,
                        )
                    )
            elif step.step_type == StepType.APPOINTMENT:
                key = record_key(marker, step.number)
                lines.append(
                    RehearsalLine(
                        RehearsalRecordKind.INTERACTION,
                        key,
                        **common,
                        label=f"CX Sales interaction for “{step.name}”, referencing the opportunity",
                        system=CX_SALES.key,
                    )
                )
                lines.append(
                    RehearsalLine(
                        RehearsalRecordKind.PHONE_CALL,
                        key,
                        **common,
                        label=f"CX Sales phone call {key} with its transcript message",
                        system=CX_SALES.key,
                    )
                )
            else:
                lines.append(RehearsalLine("", "", **common, label=_nothing_text(step), status=NOTHING))
    return lines


# -- the bodies sent -------------------------------------------------------------------------------------------------


def _where(orchestration: Orchestration, line: RehearsalLine) -> str:
    return (
        f"orchestration {orchestration.name} ({orchestration.number}), stage {line.stage_name} ({line.stage_number}), "
        f"step {line.step_name} ({line.step_number})"
    )


def task_body(rehearsal: Rehearsal, line: RehearsalLine, *, now=None) -> dict[str, Any]:
    """The B2C Service task of a Task step (or of one of its step tasks)."""
    suffix = f" (task {line.task_position})" if line.task_position else ""
    tail = f"{suffix} [{line.key}]"
    name = line.step_name.strip()[: TASK_NAME_MAX - len(tail)] + tail
    body: dict[str, Any] = {
        "name": name,
        "notes": [
            {
                "text": f"Rehearsal {rehearsal.marker} of {_where(rehearsal.orchestration, line)}{suffix}. "
                "Created by Orchestrator to show what the stage creates; its clean-up deletes it."
            }
        ],
    }
    if line.due_hours:
        due = (now or timezone.now()) + timedelta(hours=line.due_hours)
        body["dueTime"] = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if rehearsal.b2c_opportunity_id:
        body["salesSettings"] = {"opportunity": {"id": rehearsal.b2c_opportunity_id}}
    return body


def interaction_body(rehearsal: Rehearsal, line: RehearsalLine) -> dict[str, Any]:
    """The CX Sales interaction of an Appointment step, with its reference to the test opportunity."""
    return {
        "Description": f"Rehearsal {rehearsal.marker} of {_where(rehearsal.orchestration, line)}."[:1000],
        "DirectionCd": DIRECTION,
        "OriginalSystemReference": line.key,
        "interactionReferences": [{"ObjectTypeCd": REFERENCE_OBJECT_TYPE, "ObjectId": rehearsal.opportunity_id}],
    }


def phone_call_body(line: RehearsalLine, interaction_id: int, suggestion_text: str) -> dict[str, Any]:
    """The phone call for an interaction: our CallNumber (an upsert key), one transcript message."""
    text = suggestion_text.strip() or f"{line.step_name} (the step has no suggestion text)"
    return {
        "InteractionId": interaction_id,
        "CallNumber": line.key,
        "TranscriptMessage": [
            {
                "MessageNumber": f"{line.key}-M1",
                "MessageContent": base64.b64encode(text.encode("utf-8")).decode("ascii"),
            }
        ],
    }


# -- opening a rehearsal and planning --------------------------------------------------------------------------------


def _positive_id(value: Any, field_name: str, label: str, *, required: bool) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        if required:
            raise ValidationError({field_name: f"Give the {label} (a number)."})
        return None
    if not text.isdigit() or int(text) < 1 or int(text) > OPPORTUNITY_ID_MAX:
        raise ValidationError({field_name: f"The {label} is a whole number from 1 (Oracle ids are int64)."})
    return int(text)


@dataclass
class RehearsalRequest:
    """What to rehearse, checked: the stage, the test records and the connections."""

    orchestration: Orchestration
    stage_number: str
    opportunity_id: int
    b2c_opportunity_id: int | None
    cx_connection: str
    b2c_connection: str


def rehearsal_request(
    *,
    orchestration: Orchestration,
    stage_number: str = "",
    record: Any,
    b2c_record: Any = None,
    cx_connection: str = "default",
    b2c_connection: str = "default",
) -> RehearsalRequest:
    """Check the request; ValidationError names the field (``stage``, ``record``, ``b2c_record``)."""
    if orchestration.status == OrchestrationStatus.ARCHIVED:
        raise ValidationError(f"{orchestration.name} is archived; restore it before rehearsing it.")
    stage_number = (stage_number or "").strip()
    if stage_number and not Stage.objects.filter(orchestration=orchestration, number=stage_number).exists():
        raise ValidationError({"stage": f"{orchestration.number} has no stage numbered “{stage_number[:64]}”."})
    if not stage_number and not Stage.objects.filter(orchestration=orchestration).exists():
        raise ValidationError({"stage": f"{orchestration.name} has no stages: there is nothing to rehearse."})
    return RehearsalRequest(
        orchestration=orchestration,
        stage_number=stage_number,
        opportunity_id=_positive_id(record, "record", "test opportunity's id", required=True),
        b2c_opportunity_id=_positive_id(b2c_record, "b2c_record", "B2C Service opportunity id", required=False),
        cx_connection=(cx_connection or "default").strip().lower()[:40],
        b2c_connection=(b2c_connection or "default").strip().lower()[:40],
    )


def open_rehearsal(request: RehearsalRequest) -> Rehearsal | None:
    """The rehearsal not cleaned up yet of that stage, record and connections, or None."""
    return (
        Rehearsal.objects.filter(
            orchestration=request.orchestration,
            stage_number=request.stage_number,
            opportunity_id=request.opportunity_id,
            cx_connection=request.cx_connection,
            b2c_connection=request.b2c_connection,
            cleaned_at__isnull=True,
        )
        .select_related("orchestration")
        .first()
    )


def rehearsal_open(request: RehearsalRequest, *, user=None) -> tuple[Rehearsal, bool]:
    """(the open rehearsal of that stage and record, False) or (a new one, True)."""
    for _ in range(3):
        found = open_rehearsal(request)
        if found is not None:
            if request.b2c_opportunity_id and found.b2c_opportunity_id != request.b2c_opportunity_id:
                found.b2c_opportunity_id = request.b2c_opportunity_id
                found.save(update_fields=["b2c_opportunity_id", "updated_at"])
            return found, False
        try:
            with transaction.atomic():
                rehearsal = Rehearsal.objects.create(
                    orchestration=request.orchestration,
                    stage_number=request.stage_number,
                    opportunity_id=request.opportunity_id,
                    b2c_opportunity_id=request.b2c_opportunity_id,
                    cx_connection=request.cx_connection,
                    b2c_connection=request.b2c_connection,
                    started_by=user if getattr(user, "is_authenticated", False) else None,
                )
            return rehearsal, True
        except IntegrityError:
            continue  # another process opened it between our look-up and our insert
    raise RuntimeError("could not open a rehearsal")


def rehearsal_plan(request: RehearsalRequest) -> tuple[Rehearsal | None, list[RehearsalLine]]:
    """What a run would create now (nothing sent, nothing stored): the open rehearsal, if any, and the lines.

    Lines of records the open rehearsal already holds are ``exists``, with their ids.
    """
    rehearsal = open_rehearsal(request)
    marker = rehearsal.marker if rehearsal else "RH?"
    lines = plan_lines(request.orchestration, rehearsal_stages(request.orchestration, request.stage_number), marker)
    if rehearsal is not None:
        _mark_existing(rehearsal, lines)
    return rehearsal, lines


def _mark_existing(rehearsal: Rehearsal, lines: list[RehearsalLine]) -> dict[tuple[str, str], RehearsalRecord]:
    held = {(r.kind, r.key): r for r in rehearsal.records.filter(status=RehearsalRecordStatus.CREATED)}
    for line in lines:
        record = held.get((line.kind, line.key))
        if record is not None:
            line.status, line.remote_id, line.link = EXISTS, record.remote_id, record.link
    return held


def plan_counts(lines: Iterable[RehearsalLine | dict[str, Any]]) -> dict[str, int]:
    """{"create": n, "exists": n, "nothing": n} of a plan."""
    counts = {"create": 0, "exists": 0, "nothing": 0}
    for line in lines:
        status = line.status if isinstance(line, RehearsalLine) else line.get("status")
        counts["nothing" if status == NOTHING else "exists" if status == EXISTS else "create"] += 1
    return counts


# -- running ---------------------------------------------------------------------------------------------------------


def _busy(kind: str, rehearsal: Rehearsal) -> RemoteRun | None:
    """The run of the other kind (a clean-up while rehearsing, or the reverse) under way, if any."""
    active = active_remote_run(kind, rehearsal.orchestration)
    return active if active is not None and not remote_run_is_stale(active) else None


def rehearsal_start(rehearsal: Rehearsal, *, user=None) -> tuple[RemoteRun, bool]:
    """Queue a run of `rehearsal`: (run, True), or (the run or clean-up already under way for it, False)."""
    busy = _busy(RemoteRunKind.REHEARSAL_CLEANUP, rehearsal)
    if busy is not None:
        return busy, False
    return remote_run_start(
        kind=RemoteRunKind.REHEARSAL,
        system=CX_SALES.key,
        orchestration=rehearsal.orchestration,
        connection_name=rehearsal.cx_connection,
        user=user,
        options={"rehearsal_id": rehearsal.pk},
    )


def rehearsal_execute(*, run: RemoteRun) -> RemoteRun:
    """Run a queued rehearsal (or clean-up) run in this process; one another process claimed is left alone."""
    if not remote_run_claim(run):
        return run
    rehearsal = Rehearsal.objects.select_related("orchestration").filter(pk=run.options.get("rehearsal_id")).first()
    executor = _CleanupRun if run.kind == RemoteRunKind.REHEARSAL_CLEANUP else _RehearsalRun
    executor(run, rehearsal).execute()
    run.refresh_from_db()
    return run


def rehearse(request: RehearsalRequest, *, user=None) -> tuple[Rehearsal, RemoteRun]:
    """Open (or continue) the rehearsal and run it now; returns it and the finished run (or the one under way)."""
    rehearsal, _ = rehearsal_open(request, user=user)
    run, created = rehearsal_start(rehearsal, user=user)
    if created:
        run = rehearsal_execute(run=run)
    return rehearsal, run


def rehearsal_cleanup_start(rehearsal: Rehearsal, *, user=None) -> tuple[RemoteRun, bool]:
    """Queue the clean-up of `rehearsal`: (run, True), or (the clean-up or a run under way, False)."""
    busy = _busy(RemoteRunKind.REHEARSAL, rehearsal)
    if busy is not None:
        return busy, False
    return remote_run_start(
        kind=RemoteRunKind.REHEARSAL_CLEANUP,
        system=CX_SALES.key,
        orchestration=rehearsal.orchestration,
        connection_name=rehearsal.cx_connection,
        user=user,
        options={"rehearsal_id": rehearsal.pk},
    )


def rehearsal_cleanup(rehearsal: Rehearsal, *, user=None) -> RemoteRun:
    """Delete what `rehearsal` created, now; returns the finished run (or the clean-up already under way)."""
    run, created = rehearsal_cleanup_start(rehearsal, user=user)
    return rehearsal_execute(run=run) if created else run


class _Executor:
    """What a rehearsal run and a clean-up share: connections, clients, the journal, how a run ends."""

    verb = "rehearse"

    def __init__(self, run: RemoteRun, rehearsal: Rehearsal | None) -> None:
        self.run = run
        self.rehearsal = rehearsal
        self.journal = Journal(run)
        self.lines: list[RehearsalLine] = []
        self.connections: dict[str, Any] = {}
        self.clients: dict[str, RemoteClient] = {}
        self.wrote = False

    def execute(self) -> None:
        try:
            try:
                self._execute()
            finally:
                for client in self.clients.values():
                    client.close()
        except RunEnded:
            pass
        except KeyboardInterrupt:
            with contextlib.suppress(RunEnded):
                self._finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    f"Interrupted before it finished; {self.verb} again to finish (nothing is created twice).",
                    self._partial_status() if self.rehearsal is not None else "",
                )
            raise
        except Exception:
            logger.exception("rehearsal run %s stopped by an unexpected error", self.run.pk)
            with contextlib.suppress(RunEnded):
                self._finish(
                    PublishRunStatus.FAILED,
                    PublishReason.INTERRUPTED,
                    f"Stopped by an internal error; the log has the details. {self.verb.capitalize()} again to finish.",
                    self._partial_status() if self.rehearsal is not None else "",
                )

    def _finish(self, status: str, reason: str, message: str, rehearsal_status: str = "") -> None:
        self.run.lines = [line.as_dict() for line in self.lines]
        if self.rehearsal is not None and rehearsal_status:
            self.rehearsal.status = rehearsal_status
            self.rehearsal.message = self.journal.scrub(message)
            fields = ["status", "message", "updated_at"]
            if rehearsal_status == RehearsalStatus.CLEANED:
                self.rehearsal.cleaned_at = timezone.now()
                fields.append("cleaned_at")
            self.rehearsal.save(update_fields=fields)
        remote_run_finish(self.run, status, reason, message, scrub=self.journal.scrub)

    def _connect(self, systems: Iterable[str]) -> None:
        names = {CX_SALES.key: self.rehearsal.cx_connection, B2C_SERVICE.key: self.rehearsal.b2c_connection}
        for system in systems:
            try:
                self.connections[system] = get_connection(names[system], system=system)
            except ConnectionConfigError as exc:
                self._finish(PublishRunStatus.FAILED, PublishReason.CONFIG, exc.message)
        self.journal = Journal(self.run, connections=self.connections.values())
        cx = self.connections.get(CX_SALES.key)
        self.run.connection_info = {
            system: connection.describe_safe() for system, connection in self.connections.items()
        } | ({"base_url": cx.base_url} if cx else {})

    def client(self, system: str) -> RemoteClient:
        if system not in self.clients:
            self.clients[system] = RemoteClient(self.connections[system], on_exchange=self.journal, **client_options())
        return self.clients[system]

    def _link(self, system: str, path: str, data: Any) -> str:
        links = data.get("links") if isinstance(data, dict) else None
        for link in links or []:
            if (
                isinstance(link, dict)
                and link.get("rel") in ("self", "canonical")
                and isinstance(link.get("href"), str)
            ):
                return self.journal.scrub(link["href"])[:2000]
        return f"{self.connections[system].api_url}{path}"

    def _stop_if_fatal(self, exc: RemoteError, system: str, where: str) -> None:
        """Credentials refused, a broken connection or an unavailable remote stop the run; the rest is per record."""
        label = "CX Sales" if system == CX_SALES.key else "B2C Service"
        name = self.connections[system].name
        message = self.journal.scrub(exc.message)
        status = PublishRunStatus.PARTIAL if self.wrote else PublishRunStatus.FAILED
        again = f" {self.verb.capitalize()} again to finish; nothing is created twice."
        if exc.auth_failed:
            self._finish(
                status,
                PublishReason.CREDENTIALS,
                f"{label} connection {name} refused the credentials (HTTP {exc.status}) at {where}: {message}",
                self._partial_status(),
            )
        if exc.kind in ("config", "unsafe_url"):
            self._finish(status, PublishReason.CONFIG, f"{label} connection {name}: {message}", self._partial_status())
        if not exc.permanent and (exc.status is None or exc.status in (429, 500, 502, 503, 504)):
            self._finish(
                status,
                PublishReason.UNAVAILABLE,
                f"{label} connection {name} is unavailable at {where}: {message.rstrip('.')}.{again}",
                self._partial_status(),
            )

    def _partial_status(self) -> str:
        return RehearsalStatus.PARTIAL


class _RehearsalRun(_Executor):
    def _execute(self) -> None:
        rehearsal = self.rehearsal
        if rehearsal is None:
            self._finish(PublishRunStatus.FAILED, PublishReason.CONFIG, "The rehearsal of this run no longer exists.")
        if rehearsal.is_cleaned:
            self._finish(
                PublishRunStatus.REFUSED,
                PublishReason.VALIDATION,
                f"Rehearsal #{rehearsal.pk} was cleaned up; rehearse again to start a new one.",
            )
        orchestration = rehearsal.orchestration
        stages = rehearsal_stages(orchestration, rehearsal.stage_number)
        if rehearsal.stage_number and not stages:
            self._finish(
                PublishRunStatus.REFUSED,
                PublishReason.VALIDATION,
                f"Stage {rehearsal.stage_number} is no longer in {orchestration.number}; nothing was sent.",
                rehearsal.status,
            )
        self.lines = plan_lines(orchestration, stages, rehearsal.marker)
        held = _mark_existing(rehearsal, self.lines)
        todo = [line for line in self.lines if line.status == PLANNED]
        self._connect(sorted({line.system for line in todo}) or [CX_SALES.key])
        Rehearsal.objects.filter(pk=rehearsal.pk).update(status=RehearsalStatus.RUNNING, updated_at=timezone.now())
        RemoteRun.objects.filter(pk=self.run.pk).update(
            lines=[line.as_dict() for line in self.lines], connection_info=self.run.connection_info
        )
        if any(line.system == CX_SALES.key for line in todo):
            self._check_describe()
        suggestions = {step.number: step.suggestion_text for stage in stages for step in stage.steps.all()}
        for line in todo:
            with self.journal.about(line.stage_number):
                self._create(line, held, suggestions.get(line.step_number, ""))
        self._conclude()

    def _check_describe(self) -> None:
        """Like a publish: read the pod's describe first; nothing is written when it lacks what we send."""
        api = CxActivitiesApi(self.client(CX_SALES.key))
        missing = []
        for (resource, child), (own, nested) in CX_SENT.items():
            self.journal.annotate(f"read the describe of {resource}: it must have every attribute sent")
            try:
                names, child_names = api.described_attributes(resource, child)
            except RemoteError as exc:
                self._stop_if_fatal(exc, CX_SALES.key, f"the describe of {resource}")
                self._finish(
                    PublishRunStatus.REFUSED,
                    PublishReason.DESCRIBE,
                    f"Not rehearsed: the describe of {resource} could not be read "
                    f"({self.journal.scrub(exc.message)}). Nothing was sent.",
                    self.rehearsal.status,
                )
            missing += [f"{resource}.{name}" for name in own if name not in names]
            missing += [f"{resource}.{child}.{name}" for name in nested if name not in child_names]
        if missing:
            self._finish(
                PublishRunStatus.REFUSED,
                PublishReason.DESCRIBE,
                f"Not rehearsed: CX Sales connection {self.connections[CX_SALES.key].name} does not describe "
                f"{', '.join(missing)}, which a rehearsal sends. Nothing was sent.",
                self.rehearsal.status,
            )

    def _conclude(self) -> None:
        failed = [line for line in self.lines if line.status == FAILED]
        made = sum(line.status in (CREATED, ADOPTED) for line in self.lines)
        there = sum(line.status == EXISTS for line in self.lines)
        if failed:
            what = ", ".join(dict.fromkeys(line.step_name for line in failed))
            self._finish(
                PublishRunStatus.PARTIAL,
                PublishReason.REMOTE,
                f"{len(failed)} record(s) refused (at {what}); {made} created, {there} already there. "
                "Fix what it says beside the record and rehearse again: only what is missing is created.",
                RehearsalStatus.PARTIAL,
            )
        if not made:
            self._finish(
                PublishRunStatus.DONE,
                "",
                f"Nothing to create: the rehearsal holds all {there} record(s) already."
                if there
                else "Nothing to create: no Task or Appointment step here.",
                RehearsalStatus.DONE,
            )
        self._finish(
            PublishRunStatus.DONE,
            "",
            f"Rehearsed: {made} record(s) created, {there} already there.",
            RehearsalStatus.DONE,
        )

    def _create(self, line: RehearsalLine, held: dict, suggestion: str) -> None:
        rehearsal = self.rehearsal
        try:
            if line.kind == RehearsalRecordKind.B2C_TASK:
                self.journal.annotate(f"create the task of step {line.step_name} ({line.key})")
                self._create_task(line)
            elif line.kind == RehearsalRecordKind.INTERACTION:
                self.journal.annotate(f"create the interaction of step {line.step_name} ({line.key})")
                self._create_interaction(line)
            else:
                interaction = held.get((RehearsalRecordKind.INTERACTION, line.key))
                if interaction is None:
                    line.status, line.message = SKIPPED, "Its interaction was not created; rehearse again."
                    return
                self.journal.annotate(f"create phone call {line.key} (an upsert by CallNumber)")
                api = CxActivitiesApi(self.client(CX_SALES.key))
                data = api.upsert_phone_call(phone_call_body(line, interaction.remote_id, suggestion))
                self._created(
                    line, int(data["CallId"]), self._link(CX_SALES.key, f"/phoneCalls/{data['CallId']}", data)
                )
        except RemoteError as exc:
            self._stop_if_fatal(exc, line.system, f"step {line.step_name}")
            line.status = FAILED
            line.message = self.journal.scrub(exc.message)
            line.http_status = exc.status
            line.problems = [{k: self.journal.scrub(str(v)) for k, v in p.items()} for p in exc.details]
            return
        record = RehearsalRecord.objects.filter(rehearsal=rehearsal, kind=line.kind, key=line.key).first()
        if record is not None:
            held[(line.kind, line.key)] = record

    def _create_task(self, line: RehearsalLine) -> None:
        api = B2cServiceApi(self.client(B2C_SERVICE.key))
        try:
            data = api.create_task(task_body(self.rehearsal, line))
        except RemoteError as exc:
            if not exc.ambiguous:
                raise
            self.journal.annotate(f"look for the task named with {line.key}: the reply to its create was lost")
            data = api.find_task(line.key)
            if data is None:
                raise
            line.message = "The reply to the create was lost; the task was found by its marker."
            self._created(line, int(data["id"]), self._link(B2C_SERVICE.key, f"/tasks/{data['id']}", data), ADOPTED)
            return
        self._created(line, int(data["id"]), self._link(B2C_SERVICE.key, f"/tasks/{data['id']}", data))

    def _create_interaction(self, line: RehearsalLine) -> None:
        api = CxActivitiesApi(self.client(CX_SALES.key))
        try:
            data = api.create_interaction(interaction_body(self.rehearsal, line))
        except RemoteError as exc:
            if not exc.ambiguous:
                raise
            self.journal.annotate(f"look for interaction {line.key}: the reply to its create was lost")
            data = api.find_interaction(line.key)
            if data is None:
                raise
            line.message = "The reply to the create was lost; the interaction was found by its reference."
            path = f"/interactions/{data['InteractionId']}"
            self._created(line, int(data["InteractionId"]), self._link(CX_SALES.key, path, data), ADOPTED)
            return
        path = f"/interactions/{data['InteractionId']}"
        self._created(line, int(data["InteractionId"]), self._link(CX_SALES.key, path, data))

    def _created(self, line: RehearsalLine, remote_id: int, link: str, status: str = CREATED) -> None:
        self.wrote = True
        line.status, line.remote_id, line.link = status, remote_id, link
        RehearsalRecord.objects.update_or_create(
            rehearsal=self.rehearsal,
            kind=line.kind,
            key=line.key,
            defaults={
                "system": SYSTEM_OF[line.kind],
                "remote_id": remote_id,
                "link": link,
                "stage_number": line.stage_number,
                "step_number": line.step_number,
                "label": line.label[:300],
                "status": RehearsalRecordStatus.CREATED,
                "message": line.message,
                "created_by_run": self.run,
            },
        )
        RemoteRun.objects.filter(pk=self.run.pk).update(lines=[each.as_dict() for each in self.lines])


class _CleanupRun(_Executor):
    verb = "clean up"

    def _partial_status(self) -> str:
        return RehearsalStatus.CLEANUP_PARTIAL

    def _execute(self) -> None:
        rehearsal = self.rehearsal
        if rehearsal is None:
            self._finish(PublishRunStatus.FAILED, PublishReason.CONFIG, "The rehearsal no longer exists.")
        records = sorted(
            rehearsal.records.exclude(status__in=(RehearsalRecordStatus.DELETED, RehearsalRecordStatus.GONE)),
            key=lambda r: (CLEANUP_ORDER.index(r.kind), r.pk),
        )
        self.lines = [
            RehearsalLine(
                r.kind,
                r.key,
                r.stage_number,
                "",
                r.step_number,
                "",
                "",
                r.label,
                system=r.system,
                remote_id=r.remote_id,
                link=r.link,
            )
            for r in records
        ]
        if not records:
            self._finish(
                PublishRunStatus.DONE, "", "Nothing to delete: the rehearsal holds no record.", RehearsalStatus.CLEANED
            )
        self._connect(sorted({r.system for r in records}))
        Rehearsal.objects.filter(pk=rehearsal.pk).update(status=RehearsalStatus.CLEANING, updated_at=timezone.now())
        for record, line in zip(records, self.lines, strict=True):
            self._delete(record, line)
        failed = [line for line in self.lines if line.status == FAILED]
        deleted = len(self.lines) - len(failed)
        if failed:
            self._finish(
                PublishRunStatus.PARTIAL,
                PublishReason.REMOTE,
                f"{len(failed)} record(s) could not be deleted ({deleted} deleted); the reason stands beside each. "
                "Clean up again once it is fixed.",
                RehearsalStatus.CLEANUP_PARTIAL,
            )
        self._finish(PublishRunStatus.DONE, "", f"Cleaned up: {deleted} record(s) deleted.", RehearsalStatus.CLEANED)

    def _delete(self, record: RehearsalRecord, line: RehearsalLine) -> None:
        self.journal.annotate(f"delete {record.get_kind_display()} {record.remote_id} ({record.key})")
        try:
            with self.journal.about(record.stage_number):
                if record.kind == RehearsalRecordKind.B2C_TASK:
                    gone = B2cServiceApi(self.client(B2C_SERVICE.key)).delete_task(record.remote_id)
                elif record.kind == RehearsalRecordKind.PHONE_CALL:
                    gone = CxActivitiesApi(self.client(CX_SALES.key)).delete_phone_call(record.remote_id)
                else:
                    gone = CxActivitiesApi(self.client(CX_SALES.key)).delete_interaction(record.remote_id)
        except RemoteError as exc:
            self._stop_if_fatal(exc, record.system, f"{record.get_kind_display()} {record.remote_id}")
            line.status, line.http_status = FAILED, exc.status
            line.message = self.journal.scrub(exc.message)
            record.status, record.message = RehearsalRecordStatus.DELETE_FAILED, line.message
            record.save(update_fields=["status", "message"])
            return
        self.wrote = True
        line.status = "deleted" if gone else "gone"
        line.message = "" if gone else "It was already gone."
        record.status = RehearsalRecordStatus.DELETED if gone else RehearsalRecordStatus.GONE
        record.message, record.deleted_at = line.message, timezone.now()
        record.save(update_fields=["status", "message", "deleted_at"])
