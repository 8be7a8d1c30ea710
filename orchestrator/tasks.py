"""Background jobs, through Django's tasks API (`django.tasks`).

In production and `make run` the backend is django-tasks-db's database queue,
drained by `manage.py db_worker`; the test settings run tasks inline
(ImmediateBackend). Tasks take ids, never model instances: the arguments are
stored as JSON until a worker picks the job up.

Views start publishes through `publish_in_background` / `resume_in_background`
(and Outreach syncs through `outreach_sync_in_background`) rather than calling
the task directly, so a double click joins the active run instead of
enqueueing a second job.
"""

from django.tasks import task

from .models import Orchestration, PublishRun, PublishRunStatus, RemoteRun, RemoteRunKind
from .services.outreach_sync import outreach_sync_execute, outreach_sync_start
from .services.publishing import publish_execute, publish_resume, publish_start
from .services.rehearsal import rehearsal_cleanup_start, rehearsal_execute, rehearsal_start


@task
def publish_task(run_id: int) -> str:
    """Execute the queued publish run `run_id`; returns its final status.

    A run that is gone, or no longer queued (another worker claimed it, it
    was cancelled), is left alone.
    """
    run = PublishRun.objects.select_related("orchestration").filter(pk=run_id).first()
    if run is None:
        return "missing"
    return publish_execute(run=run).status


def publish_in_background(
    *,
    orchestration: Orchestration,
    connection_name: str = "default",
    user=None,
    dry_run: bool = False,
    content_hash: str = "",
) -> PublishRun:
    """Queue a publish and enqueue its task; returns the new run, or the already active one.

    `content_hash`: the content the approval gate judged (the worker sends nothing else).
    """
    run, created = publish_start(
        orchestration=orchestration,
        connection_name=connection_name,
        user=user,
        dry_run=dry_run,
        content_hash=content_hash,
    )
    if created:
        publish_task.enqueue(run.pk)
        run.refresh_from_db()
    return run


def resume_in_background(*, run: PublishRun, user=None, content_hash: str = "") -> PublishRun:
    """Put a resumable run back in the queue and enqueue its task (raises PublishNotResumable)."""
    resumed = publish_resume(run=run, user=user, execute=False, content_hash=content_hash)
    if resumed.pk == run.pk and resumed.status == PublishRunStatus.QUEUED:
        publish_task.enqueue(resumed.pk)
        resumed.refresh_from_db()
    return resumed


@task
def outreach_sync_task(run_id: int) -> str:
    """Execute the queued Outreach sync `run_id`; returns its final status (a run gone or claimed: left alone)."""
    run = RemoteRun.objects.select_related("orchestration").filter(pk=run_id, kind=RemoteRunKind.OUTREACH_SYNC).first()
    if run is None:
        return "missing"
    return outreach_sync_execute(run=run).status


def outreach_sync_in_background(
    *, orchestration: Orchestration, connection_name: str = "default", user=None, delete_ids=()
) -> RemoteRun:
    """Queue a sync and enqueue its task; returns the new run, or the sync already under way."""
    run, created = outreach_sync_start(
        orchestration=orchestration, connection_name=connection_name, user=user, delete_ids=delete_ids
    )
    if created:
        outreach_sync_task.enqueue(run.pk)
        run.refresh_from_db()
    return run


@task
def rehearsal_task(run_id: int) -> str:
    """Execute the queued rehearsal or rehearsal clean-up `run_id`; returns its final status."""
    kinds = (RemoteRunKind.REHEARSAL, RemoteRunKind.REHEARSAL_CLEANUP)
    run = RemoteRun.objects.select_related("orchestration").filter(pk=run_id, kind__in=kinds).first()
    if run is None:
        return "missing"
    return rehearsal_execute(run=run).status


def rehearsal_in_background(*, rehearsal, user=None, cleanup: bool = False) -> RemoteRun:
    """Queue a run (or the clean-up) of `rehearsal` and enqueue its task; returns it, or the run under way."""
    start = rehearsal_cleanup_start if cleanup else rehearsal_start
    run, created = start(rehearsal, user=user)
    if created:
        rehearsal_task.enqueue(run.pk)
        run.refresh_from_db()
    return run
