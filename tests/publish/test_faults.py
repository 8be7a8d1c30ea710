"""Publishing when CX Sales is slow, refuses, drops connections or changes its metadata; resuming after."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from orchestrator.models import (
    PublishedStage,
    PublishReason,
    PublishRun,
    PublishRunStatus,
    PublishStage,
    Stage,
    Step,
)
from orchestrator.remote import emulator_rules
from orchestrator.remote.cx import CxSalesApi
from orchestrator.selectors import orchestration_tree
from orchestrator.services.payload import build_stage_payloads
from orchestrator.services.publish_run import LeaseLost, RunExecutor
from orchestrator.services.publishing import can_resume, publish_exit_code, publish_resume, publish_start

from .conftest import STAGES_PATH, export, publish, stage_posts

pytestmark = pytest.mark.django_db


def _stage_ids(server, number):
    return {s["OrchestrationStageNumber"]: s["OrchestrationStageId"] for s in server.store.stage_documents(number)}


def _assert_complete_without_duplicates(server, orch):
    local = list(Stage.objects.filter(orchestration=orch).order_by("display_sequence").values_list("number", flat=True))
    assert server.store.stage_numbers(orch.number) == local
    ids = list(_stage_ids(server, orch.number).values())
    assert len(set(ids)) == len(local)


# -- transient faults are retried -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_statuses_that_say_nothing_was_done_are_retried(cx_server, ci, orchestration, status, sleeps):
    cx_server.fail("POST", STAGES_PATH, status=status)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    assert len(stage_posts(cx_server)) == 4  # one retried
    assert len(sleeps) == 1
    attempts = list(
        run.journal.filter(method="POST", stage_number__startswith="ORCH-STG").values_list("status_code", "attempt")
    )
    assert attempts[:2] == [(status, 1), (201, 2)]
    _assert_complete_without_duplicates(cx_server, orchestration)


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_on_a_first_write_is_looked_at_before_the_stage_is_sent_again(
    cx_server, ci, orchestration, status, sleeps
):
    # The first write of a stage carries its associations: a gateway error may hide a stored stage.
    cx_server.fail("POST", STAGES_PATH, status=status)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    first = run.journal.filter(stage_number__startswith="ORCH-STG").order_by("pk")
    assert [(e.method, e.status_code) for e in first[:3]] == [("POST", status), ("GET", 404), ("POST", 201)]
    assert "see what the pod did" in first[1].note
    assert len(sleeps) == 1  # backed off once before looking
    _assert_complete_without_duplicates(cx_server, orchestration)


def test_retry_after_in_seconds_is_honoured(cx_server, ci, orchestration, sleeps):
    cx_server.fail("POST", STAGES_PATH, status=429, retry_after=7)
    assert publish(orchestration).status == PublishRunStatus.DONE
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured(cx_server, ci, orchestration, sleeps):
    cx_server.fail("POST", STAGES_PATH, status=503, retry_after=datetime.now(UTC) + timedelta(seconds=12))
    assert publish(orchestration).status == PublishRunStatus.DONE
    assert len(sleeps) == 1 and 9 <= sleeps[0] <= 12


def test_a_read_timeout_is_retried_and_the_late_write_does_not_duplicate(cx_server, ci, orchestration):
    cx_server.delay("POST", STAGES_PATH, seconds=0.8)  # read timeout is 0.4 s
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    timeout = run.journal.filter(method="POST").exclude(error="").first()
    assert "read timeout" in timeout.error and timeout.status_code is None
    time.sleep(0.6)  # let the slow request finish storing on the server
    _assert_complete_without_duplicates(cx_server, orchestration)


def test_a_connection_dropped_before_storing_is_retried(cx_server, ci, orchestration):
    cx_server.drop("POST", STAGES_PATH, when="before")
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    assert "closed the connection" in run.journal.get(status_code=None).error
    _assert_complete_without_duplicates(cx_server, orchestration)


def test_a_connection_dropped_after_storing_is_looked_at_not_sent_again(cx_server, ci, orchestration):
    cx_server.drop("POST", STAGES_PATH, when="after")
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    first = stage_posts(cx_server)[0].json["OrchestrationStageNumber"]
    assert [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)] == [
        s.number for s in Stage.objects.filter(orchestration=orchestration).order_by("display_sequence")
    ]  # the stored stage was read back and found whole: no second POST
    assert any(r.method == "GET" and r.path.endswith(first) for r in cx_server.requests)
    assert Stage.objects.get(number=first).remote_id == _stage_ids(cx_server, orchestration.number)[first]
    _assert_complete_without_duplicates(cx_server, orchestration)


def test_a_dropped_connection_on_the_header_read_is_retried(cx_server, ci, orchestration):
    cx_server.drop("GET", r"^/orchestrations/ORCH-", when="before")
    assert publish(orchestration).status == PublishRunStatus.DONE


# -- failures that stop the run -------------------------------------------------------------------------------------


def test_exhausted_retries_leave_a_partial_run_that_resume_completes(cx_server, ci, orchestration):
    first, second, third = Stage.objects.filter(orchestration=orchestration).order_by("display_sequence")
    outage = _FaultAfter(cx_server, count=1, status=503, times=3)  # stage 1 passes, stage 2 meets the outage
    run = publish(orchestration)
    outage.stop()
    assert outage.injected == 3
    assert run.status == PublishRunStatus.PARTIAL
    assert run.reason == PublishReason.UNAVAILABLE
    assert publish_exit_code(run) == 4
    rows = list(run.stages.all())
    assert [(r.action, r.status) for r in rows] == [("create", "done"), ("create", "failed"), ("create", "planned")]
    assert rows[1].remote_status == 503
    assert "Service Unavailable" in rows[1].remote_message
    assert f"at stage {second.name} ({second.number})" in run.message
    assert can_resume(run)
    assert cx_server.store.stage_numbers(orchestration.number) == [first.number]

    resumed = publish_resume(run=run)
    assert resumed.pk == run.pk
    assert resumed.status == PublishRunStatus.DONE, resumed.message
    assert resumed.attempts == 2
    assert [(r.action, r.status) for r in resumed.stages.all()] == [("create", "done")] * 3
    assert resumed.message == "Published: 3 created, 0 updated, 0 deleted, 0 unchanged."
    resent = [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)[-2:]]
    assert resent == [second.number, third.number]  # stage 1 was not sent again
    _assert_complete_without_duplicates(cx_server, orchestration)


class _FaultAfter:
    """Inject `status` on stage POSTs after the first `count` succeeded (the fake matches paths, not bodies)."""

    def __init__(self, server, *, count, status, times):
        self.server, self.count, self.status, self.times = server, count, status, times
        self.original = server.emulator.handle
        self.seen = 0
        self.injected = 0
        server.emulator.handle = self.handle

    def handle(self, method, path, query, headers, body):
        if method == "POST" and path.endswith("/child/Stages"):
            self.seen += 1
            if self.seen > self.count and self.injected < self.times:
                self.injected += 1
                return self.status, {"Content-Type": "application/json"}, b'{"title": "Service Unavailable"}'
        return self.original(method, path, query, headers, body)

    def stop(self):
        self.server.emulator.handle = self.original


def test_a_400_on_stage_k_leaves_earlier_stages_published_and_the_draft_untouched(cx_server, ci, orchestration):
    publish(orchestration)  # caches the describe
    first, second, third = Stage.objects.filter(orchestration=orchestration).order_by("display_sequence")
    for stage in (first, second, third):
        Step.objects.filter(stage=stage, display_sequence=2).update(name=f"Meeting {stage.display_sequence} (new)")
    Step.objects.filter(stage=second, display_sequence=1).update(suggestion_text="Confirm the budget")
    # The remote's metadata changes after the describe was cached: it stops accepting suggestions.
    cx_server.remove_attribute("Stages.Steps", "StepSuggestionText")
    before = export(orchestration)

    run = publish(orchestration)
    assert run.status == PublishRunStatus.PARTIAL
    assert run.reason == PublishReason.REMOTE
    assert publish_exit_code(run) == 4
    rows = list(run.stages.all())
    assert [(r.stage_number, r.status) for r in rows] == [
        (first.number, "done"),
        (second.number, "failed"),
        (third.number, "planned"),
    ]
    assert rows[1].remote_status == 400
    assert "StepSuggestionText" in rows[1].remote_message
    assert "(HTTP 400)" in run.message and second.number in run.message
    assert export(orchestration) == before
    remote = {s["OrchestrationStageNumber"]: s for s in cx_server.store.stage_documents(orchestration.number)}
    assert remote[first.number]["Steps"][1]["OrchestrationStepName"] == "Meeting 1 (new)"
    assert remote[second.number]["Steps"][1]["OrchestrationStepName"] == "Meeting 2"

    cx_server.describe_override = None  # the administrator restores the attribute
    posts = len(stage_posts(cx_server))
    resumed = publish_resume(run=run)
    assert resumed.status == PublishRunStatus.DONE, resumed.message
    assert [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)[posts:]] == [second.number, third.number]
    _assert_complete_without_duplicates(cx_server, orchestration)
    assert export(orchestration) == before


def test_a_worker_killed_mid_run_is_resumed_without_duplicates(cx_server, ci, orchestration, cx_api, settings):
    settings.PUBLISH_STALE_SECONDS = 60
    tree = orchestration_tree(orchestration.number)
    header = cx_server.add_orchestration(orchestration.number)
    payloads = build_stage_payloads(tree, orchestration_id=header.remote_id)
    # What the dead worker achieved: stage 1 done and recorded; stage 2 sent and stored, reply never recorded.
    for payload in payloads[:2]:
        cx_api.upsert_stage(orchestration.number, payload.body)
    stored_before = _stage_ids(cx_server, orchestration.number)
    run, _ = publish_start(orchestration=orchestration, connection_name="ci")
    long_ago = timezone.now() - timedelta(minutes=10)
    PublishRun.objects.filter(pk=run.pk).update(
        status=PublishRunStatus.RUNNING,
        worker_token="dead-worker",
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=1,
        remote_orchestration_id=header.remote_id,
    )
    PublishedStage.objects.create(
        orchestration=orchestration,
        connection_name="ci",
        stage_number=payloads[0].stage_number,
        document_hash=payloads[0].document_hash,
        remote_orchestration_id=header.remote_id,
        published_at=long_ago,
    )
    for position, (payload, status) in enumerate(zip(payloads, ["done", "sent", "planned"], strict=True), start=1):
        PublishStage.objects.create(
            run=run,
            position=position,
            stage_number=payload.stage_number,
            action="create",
            status=status,
            document_hash=payload.document_hash,
        )
    requests_before = len(cx_server.requests)

    resumed = publish_resume(run=run)

    assert resumed.status == PublishRunStatus.DONE, resumed.message
    assert resumed.attempts == 2
    sent = [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)]
    # stage 2 was read and found as the draft has it: only stage 3 is written after the dead worker's two
    assert sent[2:] == [payloads[2].stage_number]
    made = [(r.method, r.path.rsplit("/", 1)[-1]) for r in cx_server.requests[requests_before:]]
    assert made == [
        ("GET", orchestration.number),
        ("GET", "describe"),
        ("GET", payloads[1].stage_number),
        ("GET", payloads[2].stage_number),
        ("POST", "Stages"),
    ]
    _assert_complete_without_duplicates(cx_server, orchestration)
    after = _stage_ids(cx_server, orchestration.number)
    assert after[payloads[1].stage_number] == stored_before[payloads[1].stage_number]  # updated, not duplicated
    # the dead worker, were it only asleep, may not write any more
    with pytest.raises(LeaseLost):
        RunExecutor(resumed, "dead-worker").heartbeat()


def test_a_worker_killed_between_checkpoints_is_resumed_without_sending_a_stage_twice(
    cx_server, ci, orchestration, monkeypatch, settings
):
    # Stage rows are written in checkpoints; a hard kill (no finish, no checkpoint) loses the rows' progress,
    # never the journal, and the resume finds the stages the pod already holds by reading them first.
    settings.PUBLISH_HEARTBEAT_SECONDS = 3600
    original = CxSalesApi.upsert_stage
    calls = []

    def killed_after_the_second_stage_was_stored(self, number, body, **options):
        reply = original(self, number, body, **options)
        calls.append(body["OrchestrationStageNumber"])
        if len(calls) == 2:
            raise SystemExit(137)  # not an Exception: nothing of the executor's own handling runs
        return reply

    monkeypatch.setattr(CxSalesApi, "upsert_stage", killed_after_the_second_stage_was_stored)
    with pytest.raises(SystemExit):
        publish(orchestration)
    run = PublishRun.objects.get()
    assert [r.status for r in run.stages.all()] == ["planned", "planned", "planned"]  # no checkpoint was reached
    assert run.journal.filter(method="POST", path__endswith="/child/Stages").count() == 2  # the journal was
    stored_before = _stage_ids(cx_server, orchestration.number)
    assert len(stored_before) == 2

    monkeypatch.setattr(CxSalesApi, "upsert_stage", original)
    PublishRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))  # gone stale
    posts = len(stage_posts(cx_server))
    resumed = publish_resume(run=run)

    assert resumed.status == PublishRunStatus.DONE, resumed.message
    third = run.stages.get(position=3).stage_number
    assert [r.json["OrchestrationStageNumber"] for r in stage_posts(cx_server)[posts:]] == [third]
    assert {k: v for k, v in _stage_ids(cx_server, orchestration.number).items() if k != third} == stored_before
    assert [r.status for r in resumed.stages.all()] == ["done", "done", "done"]
    assert PublishedStage.objects.filter(orchestration=orchestration, connection_name="ci").count() == 3
    _assert_complete_without_duplicates(cx_server, orchestration)


def test_ctrl_c_marks_the_run_interrupted_and_resumable(cx_server, ci, orchestration, monkeypatch):
    original = CxSalesApi.upsert_stage
    calls = []

    def interrupted_on_the_second_stage(self, number, body, **options):
        calls.append(body["OrchestrationStageNumber"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, number, body, **options)

    monkeypatch.setattr(CxSalesApi, "upsert_stage", interrupted_on_the_second_stage)
    with pytest.raises(KeyboardInterrupt):
        publish(orchestration)
    run = PublishRun.objects.get()
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.INTERRUPTED)
    assert [r.status for r in run.stages.all()] == ["done", "sent", "planned"]
    assert publish_exit_code(run) == 4
    monkeypatch.setattr(CxSalesApi, "upsert_stage", original)
    assert publish_resume(run=run).status == PublishRunStatus.DONE
    _assert_complete_without_duplicates(cx_server, orchestration)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_fail_the_run_naming_the_connection(cx_server, ci, orchestration, status):
    cx_server.fail("POST", STAGES_PATH, status=status, times=5)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.FAILED
    assert run.reason == PublishReason.CREDENTIALS
    assert run.message.startswith(f"Credentials for connection ci were refused (HTTP {status})")
    assert publish_exit_code(run) == 5
    assert len(stage_posts(cx_server)) == 1  # never retried


def test_a_wrong_password_fails_before_any_write(cx_server, ci, orchestration, monkeypatch):
    monkeypatch.setenv("CX_CI_PASSWORD", "not-the-password")
    run = publish(orchestration)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.CREDENTIALS)
    assert cx_server.writes == []
    assert run.stages.count() == 0


@pytest.mark.parametrize("status", [409, 412])
def test_a_remote_conflict_stops_with_exit_code_3(cx_server, ci, orchestration, status):
    cx_server.fail("POST", STAGES_PATH, status=status, body={"title": "Conflict", "detail": "Changed by someone else"})
    run = publish(orchestration)
    assert run.reason == PublishReason.CONFLICT
    assert publish_exit_code(run) == 3
    assert "Changed by someone else" in run.stages.get(status="failed").remote_message


def test_a_remote_that_does_not_answer_reads_fails_with_exit_code_5(cx_server, ci, orchestration):
    cx_server.fail("GET", r"^/orchestrations/", status=503, times=3)
    run = publish(orchestration)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.UNAVAILABLE)
    assert publish_exit_code(run) == 5
    assert "gave up after 3 attempts" in run.message
    assert cx_server.writes == []


# -- the describe check ---------------------------------------------------------------------------------------------


def test_an_attribute_unknown_to_the_remote_refuses_before_any_write(cx_server, ci, orchestration):
    cx_server.remove_attribute("Stages", "LifecycleAttrValue")
    run = publish(orchestration)
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.DESCRIBE)
    assert publish_exit_code(run) == 2
    assert cx_server.writes == []
    errors = [p for p in run.describe_report if p["severity"] == "error"]
    assert [(p["kind"], p["attribute"], p["count"]) for p in errors] == [("missing_attribute", "LifecycleAttrValue", 3)]
    assert "neither LifecycleAttrValue nor LifecycleAttributeValue" in errors[0]["message"]
    assert "CX_CI_FIELD_NAMES" in errors[0]["message"]
    assert "Nothing was written" in run.message and "check_connection ci" in run.message


def test_a_shorter_remote_length_refuses_before_any_write(cx_server, ci, orchestration):
    cx_server.limit_attribute("Stages.Steps", "OrchestrationStepName", 6)
    run = publish(orchestration)
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.DESCRIBE)
    assert cx_server.writes == []
    (problem,) = [p for p in run.describe_report if p["severity"] == "error"]
    assert (problem["kind"], problem["attribute"]) == ("too_long", "OrchestrationStepName")
    assert "(6 characters; longest 9" in problem["message"]


def test_a_mandatory_remote_attribute_the_payload_lacks_refuses(cx_server, ci, orchestration):
    def require_owner(document):
        stages = emulator_rules.find_resource(document, "Stages")
        stages["attributes"].append(
            {"name": "StageOwnerCode", "type": "string", "precision": 30, "updatable": True, "mandatory": True}
        )
        return document

    cx_server.describe_override = require_owner
    run = publish(orchestration)
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.DESCRIBE)
    assert cx_server.writes == []
    errors = [p for p in run.describe_report if p["severity"] == "error"]
    assert [(p["kind"], p["attribute"]) for p in errors] == [("mandatory_uncovered", "StageOwnerCode")]


def test_a_stale_cached_describe_is_read_again_before_refusing(cx_server, ci, orchestration):
    cx_server.remove_attribute("Stages", "StageDescription")
    publish(orchestration)  # accepted (the factory sends no descriptions); the describe is cached
    Stage.objects.filter(orchestration=orchestration, display_sequence=1).update(description="Find the need")
    cx_server.describe_override = None
    describes = sum(r.path == "/orchestrations/describe" for r in cx_server.requests)
    run = publish(orchestration)
    assert run.status == PublishRunStatus.DONE, run.message
    assert sum(r.path == "/orchestrations/describe" for r in cx_server.requests) == describes + 1


# -- issue 12, F9 ----------------------------------------------------------------------------------------------------


def test_F9_the_lease_is_checked_again_after_the_wait_before_a_retry(cx_server, ci, orchestration, settings):
    cx_server.fail("POST", STAGES_PATH, status=503, retry_after=99)

    def a_resume_takes_over_while_we_wait(seconds):
        PublishRun.objects.update(worker_token="the-resuming-worker")

    settings.CX_CLIENT_OPTIONS = {**settings.CX_CLIENT_OPTIONS, "sleep": a_resume_takes_over_while_we_wait}
    publish(orchestration)
    assert len(stage_posts(cx_server)) == 1  # the sleeping worker did not send its retry over the new owner's run
    run = PublishRun.objects.get()
    assert run.worker_token == "the-resuming-worker"


def _dead_worker_row(run):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [run.pk], "kwargs": {}},
        task_path="orchestrator.tasks.publish_task",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - timedelta(minutes=10),
    )


def _stale(run):
    long_ago = timezone.now() - timedelta(minutes=10)
    PublishRun.objects.filter(pk=run.pk).update(
        status=PublishRunStatus.RUNNING, worker_token="dead", started_at=long_ago, heartbeat_at=long_ago
    )


@pytest.mark.parametrize("take_over", ["resume", "cancel"])
def test_F9_a_killed_workers_queue_row_is_marked_failed_when_its_run_is_taken_over(
    cx_server, ci, orchestration, take_over
):
    from orchestrator.services.publishing import publish_cancel

    run, _ = publish_start(orchestration=orchestration, connection_name="ci")
    _stale(run)
    other = _dead_worker_row(PublishRun.objects.create(orchestration=orchestration, dry_run=True))
    row = _dead_worker_row(run)
    if take_over == "resume":
        assert publish_resume(run=run).status == PublishRunStatus.DONE
    else:
        assert publish_cancel(run=run).status == PublishRunStatus.CANCELLED
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.status == "FAILED" and row.finished_at is not None
    assert row.exception_class_path.endswith("WorkerLost") and f"publish #{run.pk}" in row.traceback
    assert other.status == "RUNNING"  # another run's row is not touched
