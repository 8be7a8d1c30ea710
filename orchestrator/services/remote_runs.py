"""Starting, claiming and ending runs against a remote system (`RemoteRun`), whatever their kind.

The same conventions as a publish (`services.publishing`): a run is queued,
claimed by the process that executes it (queued → running), and ends with a
status, a reason and a one-line message; `remote_run_exit_code` gives the
CLI the publish command's exit codes. At most one non-dry run of a kind per
orchestration is active (a database constraint); a second start returns the
active run instead, unless that run's process has been silent for
PUBLISH_STALE_SECONDS, in which case it is recorded as interrupted and the
new run goes ahead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import redaction
from ..models import ACTIVE_RUN_STATUSES, Orchestration, PublishReason, PublishRunStatus, RemoteRun
from .publishing import DEFAULT_STALE_SECONDS, publish_exit_code

logger = logging.getLogger(__name__)


class RunEnded(Exception):
    """Raised by `remote_run_finish` so an executor stops where it is; the outcome is recorded."""


def remote_run_is_stale(run: RemoteRun, *, now=None) -> bool:
    """True when an active run's process has shown no sign of life for too long (it died)."""
    if not run.is_active:
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    silence = timedelta(seconds=getattr(settings, "PUBLISH_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    return last_sign < (now or timezone.now()) - silence


def active_remote_run(kind: str, orchestration: Orchestration) -> RemoteRun | None:
    """The queued or running (non-dry) run of `kind` for `orchestration`, if any."""
    return (
        RemoteRun.objects.filter(kind=kind, orchestration=orchestration, status__in=ACTIVE_RUN_STATUSES, dry_run=False)
        .select_related("orchestration")
        .first()
    )


def remote_run_start(
    *,
    kind: str,
    system: str,
    connection_name: str,
    orchestration: Orchestration | None = None,
    user=None,
    dry_run: bool = False,
    options: dict[str, Any] | None = None,
) -> tuple[RemoteRun, bool]:
    """Queue a run: (run, True), or (the active run of that kind for the orchestration, False)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                run = RemoteRun.objects.create(
                    kind=kind,
                    system=system,
                    orchestration=orchestration,
                    connection_name=(connection_name or "default").strip().lower()[:40],
                    started_by=user if getattr(user, "is_authenticated", False) else None,
                    dry_run=dry_run,
                    options=options or {},
                )
            return run, True
        except IntegrityError:
            active = active_remote_run(kind, orchestration) if orchestration is not None else None
            if active is None:
                continue  # it finished between our insert and our look-up
            if not remote_run_is_stale(active):
                return active, False
            RemoteRun.objects.filter(pk=active.pk, status=active.status).update(
                status=PublishRunStatus.FAILED,
                reason=PublishReason.INTERRUPTED,
                finished_at=timezone.now(),
                message="Its process stopped answering; a later run took over.",
            )
    raise RuntimeError(f"could not start a {kind} run")


def remote_run_claim(run: RemoteRun) -> bool:
    """queued → running for this process; False when another one claimed it first (or it was not queued)."""
    now = timezone.now()
    claimed = RemoteRun.objects.filter(pk=run.pk, status=PublishRunStatus.QUEUED).update(
        status=PublishRunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    run.refresh_from_db()
    return bool(claimed)


def remote_run_finish(run: RemoteRun, status: str, reason: str = "", message: str = "", *, scrub=None) -> None:
    """Record the outcome (message scrubbed of credentials) and raise RunEnded."""
    run.status = status
    run.reason = reason
    run.message = (scrub or redaction.redact)(message)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "reason", "message", "finished_at", "lines", "connection_info", "orchestration"])
    logger.info("%s run %s on %s: %s %s", run.kind, run.pk, run.connection_name, status, run.message)
    raise RunEnded


def remote_run_exit_code(run: RemoteRun) -> int:
    """The CLI's exit code, as for a publish: 0 ok · 2 refused · 3 conflict · 4 partial · 5 unavailable/credentials."""
    return publish_exit_code(run)
