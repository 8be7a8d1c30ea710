"""Run lifecycle without a remote: one active run per orchestration, resume rules, exit codes."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from orchestrator.models import PublishReason, PublishRun, PublishRunStatus, Stage
from orchestrator.services.publishing import (
    PublishNotResumable,
    active_run,
    can_resume,
    is_stale,
    orchestration_publish,
    publish_cancel,
    publish_execute,
    publish_exit_code,
    publish_resume,
    publish_start,
    resumable_run,
)

pytestmark = pytest.mark.django_db


def _run(orch, status, **fields):
    return PublishRun.objects.create(orchestration=orch, status=status, **fields)


def test_the_database_allows_one_active_run_per_orchestration(orchestration):
    _run(orchestration, PublishRunStatus.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        _run(orchestration, PublishRunStatus.QUEUED)
    # finished runs and dry runs do not count
    _run(orchestration, PublishRunStatus.DONE)
    _run(orchestration, PublishRunStatus.RUNNING, dry_run=True)


def test_a_second_start_returns_the_active_run(orchestration, publisher):
    first, created = publish_start(orchestration=orchestration, user=publisher)
    again, created_again = publish_start(orchestration=orchestration, user=publisher)
    assert created and not created_again
    assert again.pk == first.pk
    assert PublishRun.objects.count() == 1
    assert active_run(orchestration) == first


def test_orchestration_publish_leaves_another_active_run_alone_and_the_cli_reads_a_conflict(orchestration):
    running = _run(orchestration, PublishRunStatus.RUNNING, heartbeat_at=timezone.now())
    returned = orchestration_publish(orchestration=orchestration)
    assert returned.pk == running.pk
    assert returned.status == PublishRunStatus.RUNNING
    assert publish_exit_code(returned) == 3


def test_a_draft_with_problems_is_refused_before_any_request(orchestration):
    Stage.objects.filter(orchestration=orchestration, display_sequence=2).update(name="")
    run = orchestration_publish(orchestration=orchestration)
    assert run.status == PublishRunStatus.REFUSED
    assert run.reason == PublishReason.VALIDATION
    assert run.journal.count() == 0
    assert [p["code"] for p in run.validation_report] == ["stage.name_required"]
    # Kept for the run's next write (save_later), which here is its end: read back from the database.
    stored = PublishRun.objects.get(pk=run.pk)
    assert stored.validation_report == run.validation_report
    assert stored.connection_info["base_url"] and len(stored.content_hash) == 64
    assert "Nothing was sent" in run.message
    assert publish_exit_code(run) == 2
    assert not can_resume(run)


def test_an_unknown_connection_fails_with_a_clear_message(orchestration):
    run = orchestration_publish(orchestration=orchestration, connection_name="nowhere")
    assert run.status == PublishRunStatus.FAILED
    assert run.reason == PublishReason.CONFIG
    assert "Unknown connection 'nowhere'" in run.message
    assert publish_exit_code(run) == 5


def test_execute_only_claims_queued_runs(orchestration):
    done = _run(orchestration, PublishRunStatus.DONE)
    assert publish_execute(run=done).status == PublishRunStatus.DONE
    assert done.attempts == 0


def test_staleness_follows_the_heartbeat(orchestration, settings):
    settings.PUBLISH_STALE_SECONDS = 60
    now = timezone.now()
    alive = _run(orchestration, PublishRunStatus.RUNNING, heartbeat_at=now - timedelta(seconds=30))
    assert not is_stale(alive, now=now)
    assert is_stale(alive, now=now + timedelta(seconds=31))
    with pytest.raises(PublishNotResumable, match="worker is alive"):
        publish_resume(run=alive)


def test_resumable_runs(orchestration):
    assert resumable_run(orchestration, "default") is None
    _run(orchestration, PublishRunStatus.DONE)
    assert resumable_run(orchestration, "default") is None
    partial = _run(orchestration, PublishRunStatus.PARTIAL)
    assert resumable_run(orchestration, "default") == partial
    assert resumable_run(orchestration, "prod") is None
    refused = _run(orchestration, PublishRunStatus.REFUSED)
    assert resumable_run(orchestration, "default") is None
    with pytest.raises(PublishNotResumable, match="nothing to resume"):
        publish_resume(run=refused)


def test_resume_of_a_partial_run_while_another_is_active_returns_the_active_one(orchestration):
    partial = _run(orchestration, PublishRunStatus.PARTIAL)
    running = _run(orchestration, PublishRunStatus.RUNNING, heartbeat_at=timezone.now())
    assert publish_resume(run=partial).pk == running.pk
    partial.refresh_from_db()
    assert partial.status == PublishRunStatus.PARTIAL


def test_cancel_only_what_no_worker_executes(orchestration, settings, publisher):
    settings.PUBLISH_STALE_SECONDS = 60
    queued = _run(orchestration, PublishRunStatus.QUEUED)
    assert publish_cancel(run=queued, user=publisher).status == PublishRunStatus.CANCELLED
    alive = _run(orchestration, PublishRunStatus.RUNNING, heartbeat_at=timezone.now())
    assert publish_cancel(run=alive).status == PublishRunStatus.RUNNING
    PublishRun.objects.filter(pk=alive.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert publish_cancel(run=alive).status == PublishRunStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        ("done", "", 0),
        ("refused", "validation", 2),
        ("refused", "describe", 2),
        ("partial", "conflict", 3),
        ("queued", "", 3),
        ("partial", "remote", 4),
        ("partial", "unavailable", 4),
        ("failed", "interrupted", 4),
        ("failed", "credentials", 5),
        ("failed", "unavailable", 5),
        ("failed", "config", 5),
    ],
)
def test_exit_codes(status, reason, code):
    assert publish_exit_code(PublishRun(status=status, reason=reason)) == code
