"""What a publish costs us per stage, in SQL statements: fixed, and small, whatever the number of stages.

Per stage: one journal row per exchange, and nothing else. The stage rows,
their PublishedStage records and the remote ids are written in checkpoints
(one transaction that is also the lease check) at most once per
PUBLISH_HEARTBEAT_SECONDS, so here (with a long interval) once per run, in a
fixed number of statements whatever the number of stages.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestrator.models import JournalEntry, PublishRun, PublishRunStatus, Step
from tests.factories import build_orchestration

from .conftest import publish, use_server

pytestmark = pytest.mark.django_db


def _statements(orch, name: str) -> tuple[int, PublishRun]:
    with CaptureQueriesContext(connection) as ctx:
        run = publish(orch, name)
    assert run.status == PublishRunStatus.DONE, run.message
    return len(ctx.captured_queries), run


@pytest.mark.parametrize("profile", ["documented", "strict"])
def test_statements_per_stage_do_not_grow_and_each_exchange_is_one_journal_row(monkeypatch, settings, profile):
    from tests.fakes.cx_server import FakeCxServer

    settings.PUBLISH_HEARTBEAT_SECONDS = 3600
    counts, requests = {}, {}
    for stages in (3, 8):
        server = FakeCxServer(profile=profile).start()
        try:
            name = use_server(monkeypatch, server, name=f"cost{stages}")
            orch = build_orchestration(stages=stages)
            counts[stages], run = _statements(orch, name)
            requests[stages] = len(server.requests)
            assert JournalEntry.objects.filter(run=run).count() == requests[stages]
            assert all(s.remote_id for s in Step.objects.filter(stage__orchestration=orch))  # written in a batch
        finally:
            server.stop()
    per_stage = (counts[8] - counts[3]) / 5
    exchanges_per_stage = (requests[8] - requests[3]) / 5
    assert per_stage == int(per_stage)
    assert per_stage == exchanges_per_stage, (counts, requests)


def _heartbeats(queries) -> int:
    """UPDATEs of the run that set its heartbeat alone: the lease check after an exchange or before a retry."""
    return sum(
        1
        for q in queries
        if q["sql"].startswith('UPDATE "orchestrator_publishrun" SET "heartbeat_at" = ')
        and '", "' not in q["sql"].split(" WHERE ")[0]
    )


def test_a_retry_always_writes_a_heartbeat_first(cx_server, ci, settings, sleeps):
    settings.PUBLISH_HEARTBEAT_SECONDS = 3600
    plain, retried = build_orchestration(stages=2), build_orchestration(stages=2)
    with CaptureQueriesContext(connection) as ctx:
        assert publish(plain).status == PublishRunStatus.DONE
    without = _heartbeats(ctx.captured_queries)
    cx_server.fail("POST", r"/child/Stages$", status=503, times=1)
    with CaptureQueriesContext(connection) as ctx:
        run = publish(retried)
    assert run.status == PublishRunStatus.DONE, run.message
    assert sleeps, "the 503 was retried"
    assert _heartbeats(ctx.captured_queries) == without + 1
