"""Starting a draft from an Outreach connection's opportunity stages (issue 8).

`orchestration_from_outreach` reads every opportunity stage, then creates a
new orchestration with one stage per remote stage, in Outreach's order (by
``order``, then id), carrying its colour and closing flag, and remembers each
remote id for the next sync (`OutreachStageLink`), so syncing the new draft
back writes nothing. The stages have no objectives or steps yet: the
designer's problems panel lists what is still missing.

Outreach allows longer names (255) than a stage holds (100) and any text as a
colour: such values are shortened or left out, and the run's lines say so.
The reads are journalled like any run's; the draft is created in one
transaction, after the reads, so a remote failure creates nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    OutreachStageLink,
    PublishReason,
    PublishRunStatus,
    RemoteRun,
    RemoteRunKind,
    Stage,
)
from ..models.orchestration import NAME_MAX
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import RemoteClient
from ..remote.outreach import OpportunityStage, OutreachApi
from ..remote.systems import OUTREACH
from .journal import Journal
from .orchestrations import _issue_numbers, orchestration_create, orchestration_number_free
from .outreach_settings import normalized_color
from .publish_run import client_options
from .remote_runs import RunEnded, remote_run_claim, remote_run_finish, remote_run_start


@dataclass(frozen=True)
class _Planned:
    remote: OpportunityStage
    name: str
    color: str
    notes: tuple[str, ...]


def _planned(stage: OpportunityStage) -> _Planned:
    notes = []
    name = (stage.name or "").strip()
    if not name:
        name = f"Outreach stage {stage.id}"
        notes.append("Outreach gives it no name: it is called after its id.")
    if len(name) > NAME_MAX:
        notes.append(f"Its name is longer than {NAME_MAX} characters: it was shortened.")
        name = name[:NAME_MAX].rstrip()
    color = normalized_color(stage.color)
    if stage.color and color is None:
        notes.append(f"Its colour {stage.color[:40]!r} is not #rrggbb: it was left out.")
    return _Planned(stage, name, color or "", tuple(notes))


def orchestration_from_outreach(*, connection_name: str, number: str, name: str, user=None) -> RemoteRun:
    """Create the draft `number` called `name` from the Outreach connection's stages; returns the finished run.

    Raises ValidationError (on ``number``, ``name`` or ``connection``) before
    anything is read when the number is taken or malformed, the name empty or
    too long, or the connection unknown. Remote trouble does not raise: the
    run records it (`status`, `reason`, `message`) and no draft is created.
    """
    number = orchestration_number_free(number)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the new orchestration a name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"At most {NAME_MAX} characters."})
    try:
        connection = get_connection(connection_name, system=OUTREACH.key)
    except ConnectionConfigError as exc:
        raise ValidationError({"connection": exc.message}) from exc

    run, _ = remote_run_start(
        kind=RemoteRunKind.OUTREACH_IMPORT,
        system=OUTREACH.key,
        connection_name=connection.name,
        user=user,
        options={"number": number, "name": name},
    )
    remote_run_claim(run)
    run.connection_info = connection.describe_safe()
    journal = Journal(run, connections=[connection])
    try:
        _import(run, journal, connection, number, name, user)
    except RunEnded:
        pass
    except BaseException:
        # A bug or Ctrl-C must not leave the run "running" for ever.
        with contextlib.suppress(RunEnded):
            remote_run_finish(run, PublishRunStatus.FAILED, PublishReason.INTERRUPTED, "Stopped before it finished.")
        raise
    run.refresh_from_db()
    return run


def _import(run: RemoteRun, journal: Journal, connection, number: str, name: str, user) -> None:
    def finish(status: str, reason: str, message: str) -> None:
        remote_run_finish(run, status, reason, message, scrub=journal.scrub)

    try:
        with RemoteClient(connection, on_exchange=journal, **client_options()) as client:
            journal.annotate("read every opportunity stage Outreach holds (following links.next)")
            remote = OutreachApi(client).list_stages()
    except RemoteError as exc:
        message = journal.scrub(exc.message)
        if exc.auth_failed:
            finish(
                PublishRunStatus.FAILED,
                PublishReason.CREDENTIALS,
                f"Outreach connection {connection.name} refused the token (HTTP {exc.status}): {message}",
            )
        if not exc.permanent:
            finish(
                PublishRunStatus.FAILED,
                PublishReason.UNAVAILABLE,
                f"Outreach connection {connection.name} is unavailable: {message} Nothing was created.",
            )
        finish(
            PublishRunStatus.FAILED,
            PublishReason.REMOTE,
            f"Outreach connection {connection.name} refused the read: {message} Nothing was created.",
        )
    if not remote:
        finish(
            PublishRunStatus.REFUSED,
            PublishReason.VALIDATION,
            f"Outreach connection {connection.name} holds no opportunity stages: there is nothing to start from.",
        )
    ordered = sorted(remote, key=lambda s: (s.order is None, s.order or 0, s.id))
    planned = [_planned(stage) for stage in ordered]
    try:
        with transaction.atomic():
            orch = orchestration_create(user=user, number=number, values={"name": name})
            numbers = _issue_numbers("stage", len(planned))
            stages = []
            for position, (item, stage_number) in enumerate(zip(planned, numbers, strict=True), start=1):
                stage = Stage(
                    orchestration=orch,
                    number=stage_number,
                    display_sequence=position,
                    name=item.name,
                    lifecycle_attr_value=item.name,
                    outreach_color=item.color,
                    outreach_is_closed=item.remote.is_closed,
                )
                stage.full_clean(validate_unique=False, validate_constraints=False)
                stages.append(stage)
            Stage.objects.bulk_create(stages)
            now = timezone.now()
            OutreachStageLink.objects.bulk_create(
                [
                    OutreachStageLink(
                        connection_name=connection.name,
                        stage_number=stage.number,
                        orchestration_number=orch.number,
                        remote_id=item.remote.id,
                        synced_at=now,
                    )
                    for stage, item in zip(stages, planned, strict=True)
                ]
            )
    except ValidationError as exc:
        finish(PublishRunStatus.REFUSED, PublishReason.VALIDATION, f"No draft was created: {'; '.join(exc.messages)}")
    run.orchestration = orch
    run.lines = [
        {
            "action": "create",
            "position": position,
            "stage_number": stage.number,
            "stage_name": stage.name,
            "remote_id": item.remote.id,
            "remote_name": item.remote.name,
            "color": stage.outreach_color,
            "is_closed": stage.outreach_is_closed,
            "notes": list(item.notes),
        }
        for position, (stage, item) in enumerate(zip(stages, planned, strict=True), start=1)
    ]
    shortened = sum(1 for item in planned if item.notes)
    notes = f" {shortened} stage(s) needed a change; see the run." if shortened else ""
    finish(
        PublishRunStatus.DONE,
        "",
        f"Created the draft {orch.name} ({orch.number}) with {len(stages)} stage(s) from Outreach connection "
        f"{connection.name}, in Outreach's order.{notes} Add objectives and steps: the problems panel lists what "
        "is still missing.",
    )
