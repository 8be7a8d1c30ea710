"""Publishing an orchestration to CX Sales: start, execute, resume, cancel (payload-contract §4, §5).

The entry points the UI, the task worker and the CLI call:

- `orchestration_publish(...)`: plan and publish now, in this process (the CLI).
- `publish_start(...)` + `publish_execute(run=...)`: the UI creates a queued run
  and a background task executes it (`orchestrator.tasks.publish_task`).
- `publish_resume(run=...)`: continue a partial or failed run, or one whose
  worker died (stale heartbeat). The run re-plans, so stages that were done
  are unchanged by hash and not sent again; a stage whose reply was lost is
  sent again, which the remote's upsert by number makes harmless.
- `publish_cancel(run=...)`: give up a queued run or one whose worker died.
- `publish_plan(orch, connection_name)`: the plan, from local data only
  (re-exported from `publish_plan`).

At most one non-dry run per orchestration is active (queued or running): a
database constraint guarantees it, and a second start returns the active run
instead of creating another. `publish_exit_code(run)` maps an outcome to the
CLI's exit codes.

The work itself is in `publish_run.RunExecutor`. A worker owns a run through
its `worker_token`; a resume issues a new token, so a worker that was only
slow (not dead) notices at its next heartbeat and stops before writing.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import ACTIVE_RUN_STATUSES, Orchestration, PublishReason, PublishRun, PublishRunStatus
from .publish_plan import Plan, publish_plan
from .publish_run import RunExecutor

__all__ = [
    "EXIT_CONFLICT",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "Plan",
    "PublishNotResumable",
    "active_run",
    "can_resume",
    "is_stale",
    "orchestration_publish",
    "publish_cancel",
    "publish_execute",
    "publish_exit_code",
    "publish_plan",
    "publish_resume",
    "publish_start",
    "resumable_run",
]

EXIT_OK, EXIT_REFUSED, EXIT_CONFLICT, EXIT_PARTIAL, EXIT_UNAVAILABLE = 0, 2, 3, 4, 5
EXIT_CANCELLED = 1  # never the outcome of the CLI's own run; a run cancelled from the page
DEFAULT_STALE_SECONDS = 180


class PublishNotResumable(Exception):
    """The run cannot be resumed (finished, refused, a dry run, or its worker is still alive)."""


def _stale_after() -> timedelta:
    # Longer than the worst silence of a live worker: one read timeout plus the
    # longest back-off (each HTTP attempt refreshes the heartbeat).
    return timedelta(seconds=getattr(settings, "PUBLISH_STALE_SECONDS", DEFAULT_STALE_SECONDS))


def is_stale(run: PublishRun, *, now=None) -> bool:
    """True when an active run's worker has not shown a sign of life for too long (it died)."""
    if not run.is_active:
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return last_sign < (now or timezone.now()) - _stale_after()


def active_run(orch: Orchestration) -> PublishRun | None:
    """The queued or running (non-dry) run of `orch`, if any."""
    return (
        PublishRun.objects.filter(orchestration=orch, status__in=ACTIVE_RUN_STATUSES, dry_run=False)
        .select_related("orchestration")
        .first()
    )


def can_resume(run: PublishRun) -> bool:
    if run.dry_run:
        return False
    if run.status in (PublishRunStatus.PARTIAL, PublishRunStatus.FAILED):
        return True
    return is_stale(run)


def resumable_run(orch: Orchestration, connection_name: str = "default") -> PublishRun | None:
    """The latest run of `orch` to `connection_name` when it can be resumed, else None."""
    latest = (
        PublishRun.objects.filter(orchestration=orch, connection_name=connection_name, dry_run=False)
        .select_related("orchestration")
        .order_by("-created_at", "-pk")
        .first()
    )
    return latest if latest is not None and can_resume(latest) else None


def publish_start(
    *,
    orchestration: Orchestration,
    connection_name: str = "default",
    user=None,
    dry_run: bool = False,
    content_hash: str = "",
) -> tuple[PublishRun, bool]:
    """Queue a publish of `orchestration` to `connection_name`: (run, created).

    When a (non-dry) run of the orchestration is already queued or running,
    returns that run and False instead: a double click or a second CLI joins
    the active run rather than starting a competing one. `content_hash` pins
    the content the approval gate judged (`publish_gate`): the worker refuses
    to send a draft that changed since.
    """
    for _ in range(3):
        try:
            with transaction.atomic():
                run = PublishRun.objects.create(
                    orchestration=orchestration,
                    connection_name=(connection_name or "default").strip().lower()[:40],
                    started_by=user if getattr(user, "is_authenticated", False) else None,
                    dry_run=dry_run,
                    status=PublishRunStatus.QUEUED,
                    content_hash=content_hash,
                )
            return run, True
        except IntegrityError:
            active = active_run(orchestration)
            if active is not None:
                return active, False
            # The active run finished between our insert and our look-up: try again.
    raise RuntimeError(f"could not start a publish of {orchestration.number}")


def publish_execute(*, run: PublishRun) -> PublishRun:
    """Execute a queued run in this process (the task worker and the CLI call this).

    Claims the run (queued → running, new worker token) so two workers never
    execute it at once; a run that is not queued any more is returned as it is.
    """
    token = secrets.token_hex(16)
    now = timezone.now()
    claimed = PublishRun.objects.filter(pk=run.pk, status=PublishRunStatus.QUEUED).update(
        status=PublishRunStatus.RUNNING,
        worker_token=token,
        started_at=Coalesce(F("started_at"), Value(now)),
        heartbeat_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
    )
    run.refresh_from_db()
    if not claimed:
        return run
    return RunExecutor(run, token).execute()


def orchestration_publish(
    *,
    orchestration: Orchestration,
    connection_name: str = "default",
    user=None,
    dry_run: bool = False,
    resume_run: PublishRun | None = None,
    content_hash: str = "",
) -> PublishRun:
    """Publish `orchestration` to `connection_name` now and return the finished run.

    - Refused (nothing sent) when the draft has validation problems; refused
      before any write when the remote's describe does not accept the payload.
    - `dry_run`: only reads (header, describe) and records the plan.
    - `resume_run`: continue that run instead of starting a new one.
    - `content_hash`: the content the approval gate judged; refused (nothing
      sent) when the draft is not that content any more.
    - When another run of the orchestration is active, that run is returned
      untouched (still queued or running): the caller reports a conflict.
    Remote trouble never raises: it is recorded on the run (`status`,
    `reason`, `message`, the failed stage's `remote_message`).
    """
    if resume_run is not None:
        return publish_resume(run=resume_run, user=user, content_hash=content_hash)
    run, created = publish_start(
        orchestration=orchestration,
        connection_name=connection_name,
        user=user,
        dry_run=dry_run,
        content_hash=content_hash,
    )
    if not created:
        return run
    return publish_execute(run=run)


def publish_resume(*, run: PublishRun, user=None, execute: bool = True, content_hash: str = "") -> PublishRun:
    """Continue `run` from where it stopped; raises PublishNotResumable when it cannot be.

    A resume sends the draft as it is now: `content_hash` pins what the
    approval gate judged this time ("" records whatever the worker reads).

    The run goes back to queued with its worker token cleared (a slow worker
    that still thinks it owns the run stops at its next heartbeat), then is
    executed here unless `execute` is False (the UI enqueues it instead).
    When another run of the orchestration became active meanwhile, that run is
    returned and this one is left as it was.
    """
    run.refresh_from_db()
    if not can_resume(run):
        if run.is_active:
            raise PublishNotResumable(
                f"Run #{run.pk} is still {run.status} and its worker is alive; wait for it to finish."
            )
        raise PublishNotResumable(f"Run #{run.pk} is {run.get_status_display().lower()}; there is nothing to resume.")
    was_stale = run.is_active  # resumable while active means its worker stopped answering
    match = PublishRun.objects.filter(pk=run.pk, status=run.status, worker_token=run.worker_token)
    if run.is_active:
        match = match.filter(heartbeat_at=run.heartbeat_at)  # still silent: nobody took it over meanwhile
    try:
        with transaction.atomic():
            moved = match.update(
                status=PublishRunStatus.QUEUED,
                reason=PublishReason.NONE,
                message=f"Resuming (asked by {user.get_username()})." if user is not None else "Resuming.",
                worker_token="",
                finished_at=None,
                content_hash=content_hash,
            )
    except IntegrityError:
        other = active_run(run.orchestration)
        if other is not None:
            return other
        raise
    run.refresh_from_db()
    if moved and was_stale:
        abandon_task_rows(run)
    if not moved or not execute:
        return run
    return publish_execute(run=run)


def publish_cancel(*, run: PublishRun, user=None) -> PublishRun:
    """Cancel a run no worker is executing: queued, or running with a stale heartbeat.

    A running run with a live worker is not cancelled (stopping it between two
    requests is not supported); finished runs are returned unchanged.
    """
    run.refresh_from_db()
    if run.status == PublishRunStatus.QUEUED or is_stale(run):
        stale = run.status == PublishRunStatus.RUNNING
        who = f" by {user.get_username()}" if user is not None else ""
        cancelled = PublishRun.objects.filter(pk=run.pk, status=run.status, worker_token=run.worker_token).update(
            status=PublishRunStatus.CANCELLED,
            worker_token="",
            finished_at=timezone.now(),
            message=f"Cancelled{who}; stages already sent stay published.",
        )
        run.refresh_from_db()
        if cancelled and stale:
            abandon_task_rows(run)
    return run


TASK_PATH = "orchestrator.tasks.publish_task"


def abandon_task_rows(run: PublishRun) -> int:
    """Mark the queue's rows of a dead worker's task for `run` as failed; returns how many (issue 12, F9).

    A worker killed mid-run leaves its django-tasks-db row RUNNING for ever,
    which makes the queue look busy and hides that the job died. Once a
    resume or a cancel has taken the run over, that row is settled here.
    """
    from django_tasks_db.models import DBTaskResult  # only the database backend keeps such rows

    rows = [
        row
        for row in DBTaskResult.objects.filter(status="RUNNING", task_path=TASK_PATH)
        if (row.args_kwargs or {}).get("args") == [run.pk]
    ]
    for row in rows:
        row.set_failed(WorkerLost(f"The worker running publish #{run.pk} stopped answering; the run was taken over."))
    return len(rows)


class WorkerLost(Exception):
    """Recorded on the queue's row of a publish whose worker died (never raised)."""


def publish_exit_code(run: PublishRun) -> int:
    """The CLI's exit code for a run: 0 ok · 2 refused · 3 conflict · 4 partial · 5 unavailable/credentials."""
    if run.is_active:
        return EXIT_CONFLICT  # another run is executing it
    if run.status == PublishRunStatus.DONE:
        return EXIT_OK
    if run.status == PublishRunStatus.REFUSED:
        return EXIT_REFUSED
    if run.reason == PublishReason.CONFLICT:
        return EXIT_CONFLICT
    if run.status == PublishRunStatus.PARTIAL or run.reason == PublishReason.INTERRUPTED:
        return EXIT_PARTIAL
    if run.status == PublishRunStatus.CANCELLED:
        return EXIT_CANCELLED
    return EXIT_UNAVAILABLE
