"""The background task: the UI queues a run, a worker executes it."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from orchestrator.models import PublishRun, PublishRunStatus
from orchestrator.tasks import publish_in_background, publish_task, resume_in_background

from .conftest import STAGES_PATH


@pytest.mark.django_db
def test_immediate_backend_executes_the_run_inline(orchestration, publisher):
    run = publish_in_background(orchestration=orchestration, user=publisher)
    assert run.status == PublishRunStatus.DONE, run.message
    assert run.started_by == publisher
    # a double click while nothing is active starts a new run; while one is active it returns it
    PublishRun.objects.filter(pk=run.pk).update(status=PublishRunStatus.RUNNING)
    assert publish_in_background(orchestration=orchestration).pk == run.pk


@pytest.mark.django_db
def test_resume_in_background(cx_server, ci, orchestration):
    cx_server.fail("POST", STAGES_PATH, status=503, times=3)
    run = publish_in_background(orchestration=orchestration, connection_name="ci")
    assert run.status == PublishRunStatus.PARTIAL
    resumed = resume_in_background(run=run)
    assert (resumed.pk, resumed.status) == (run.pk, PublishRunStatus.DONE)


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_and_db_worker_execute_a_queued_run(orchestration):
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        run = publish_in_background(orchestration=orchestration)
        assert run.status == PublishRunStatus.QUEUED  # nothing ran yet: it waits for a worker
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    run.refresh_from_db()
    assert run.status == PublishRunStatus.DONE, run.message
    assert run.stages.filter(status="done").count() == 3


@pytest.mark.django_db
def test_a_task_for_a_run_that_is_gone_or_taken_does_nothing(orchestration):
    assert publish_task.call(123456) == "missing"
    done = PublishRun.objects.create(orchestration=orchestration, status=PublishRunStatus.DONE)
    assert publish_task.call(done.pk) == "done"
