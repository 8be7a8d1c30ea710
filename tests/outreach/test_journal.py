"""One journal for runs of any kind: the rows a publish has always written, for any other run too."""

import pytest
from django.db import IntegrityError, transaction

from orchestrator.models import JournalEntry, PublishRun, RemoteRun, RemoteRunKind
from orchestrator.remote.client import Exchange
from orchestrator.remote.connections import Connection
from orchestrator.selectors_publish import publish_run_journal
from orchestrator.services.journal import Journal
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

TOKEN = "journal-SENTINEL-token-42"


def exchange(**changes) -> Exchange:
    values = {
        "method": "POST",
        "path": "/opportunityStages",
        "url": "https://api.example.com/api/v2/opportunityStages",
        "status": 422,
        "duration_ms": 12.345,
        "attempt": 1,
        "request_headers": {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/vnd.api+json"},
        "request_body": '{"data": {"attributes": {"name": "x"}}}',
        "response_headers": {"Content-Type": "application/vnd.api+json"},
        "response_body": f'{{"errors": [{{"detail": "token {TOKEN} refused"}}]}}',
        "error": f"refused for {TOKEN}",
        "system": "outreach",
    }
    return Exchange(**{**values, **changes})


def test_a_remote_run_gets_the_same_rows_as_a_publish():
    orch = build_orchestration(stages=1)
    run = RemoteRun.objects.create(kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch)
    journal = Journal(
        run, connections=[Connection("ci", "https://api.example.com/api/v2", token=TOKEN, system="outreach")]
    )
    with journal.about("ORCH-STG-1", "create stage One"):
        journal(exchange())
    journal(exchange(method="GET", status=200, error=""))
    first, second = JournalEntry.objects.filter(remote_run=run).order_by("pk")
    assert (first.system, first.stage_number, first.note, first.status_code, first.duration_ms) == (
        "outreach",
        "ORCH-STG-1",
        "create stage One",
        422,
        12.3,
    )
    assert (second.stage_number, second.note) == ("", "")
    assert first.request_headers["Authorization"] == "«redacted»"
    text = str([first.request_headers, first.response_body, first.error, first.note])
    assert TOKEN not in text and "refused" in first.response_body
    run.refresh_from_db()
    assert run.heartbeat_at is not None  # each exchange is a sign of life


def test_a_publish_run_can_use_it_too_and_its_page_reads_the_rows():
    orch = build_orchestration(stages=1)
    run = PublishRun.objects.create(orchestration=orch)
    Journal(run)(exchange(system="cx_sales", path="/orchestrations/X"))
    assert [e.path for e in publish_run_journal(run)] == ["/orchestrations/X"]
    assert JournalEntry.objects.get(run=run).remote_run_id is None


def test_an_entry_belongs_to_exactly_one_run():
    orch = build_orchestration(stages=1)
    publish = PublishRun.objects.create(orchestration=orch)
    remote = RemoteRun.objects.create(kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch)
    for owners in ({}, {"run": publish, "remote_run": remote}):
        with pytest.raises(IntegrityError), transaction.atomic():
            JournalEntry.objects.create(method="GET", path="/x", **owners)
