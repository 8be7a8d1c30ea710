"""services/rows.py: the statements the hot paths write with, checked against what the ORM itself stores."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orchestrator.models import JournalEntry, PublishRun, PublishStage
from orchestrator.services.rows import insert_row, update_rows
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

FIELDS = ("run_id", "remote_run_id", "system", "stage_number", "method", "path", "status_code", "duration_ms")
MORE = ("attempt", "request_headers", "request_body", "response_headers", "response_body", "error", "note")


def _entry(run, **overrides):
    values = {
        "run": run,
        "stage_number": "ORCH-STG-1",
        "method": "POST",
        "path": "/orchestrations/ORCH-1/child/Stages",
        "status_code": 201,
        "duration_ms": 12.5,
        "request_headers": {"Content-Type": "application/json", "Authorization": "«redacted»"},
        "request_body": '{"StageName": "Qualify — «naïve» 🙂"}',
        "response_headers": {"ETag": '"abc"'},
        "response_body": "",
        "note": "upsert stage ORCH-STG-1",
        **overrides,
    }
    return JournalEntry(**values)


def test_insert_row_stores_what_create_stores_defaults_and_created_at_included():
    run = PublishRun.objects.create(orchestration=build_orchestration(stages=1), connection_name="ci")
    before = timezone.now()
    _entry(run).save()
    insert_row(_entry(run))
    made, inserted = JournalEntry.objects.order_by("pk")
    for name in (*FIELDS, *MORE):
        assert getattr(inserted, name) == getattr(made, name), name
    assert inserted.system == "cx_sales" and inserted.attempt == 1  # the model's defaults
    assert inserted.created_at >= before


def test_insert_row_is_one_statement_in_the_callers_transaction():
    run = PublishRun.objects.create(orchestration=build_orchestration(stages=1), connection_name="ci")
    with CaptureQueriesContext(connection) as ctx:
        insert_row(_entry(run))
        insert_row(_entry(run, method="GET", status_code=None))
    assert [q["sql"].split(" ", 3)[:3] for q in ctx.captured_queries] == [
        ["INSERT", "INTO", '"orchestrator_journalentry"']
    ] * 2
    assert list(JournalEntry.objects.values_list("method", "status_code")) == [("POST", 201), ("GET", None)]


def test_update_rows_writes_each_rows_own_values():
    run = PublishRun.objects.create(orchestration=build_orchestration(stages=1), connection_name="ci")
    rows = [PublishStage.objects.create(run=run, position=n, stage_number=f"S{n}") for n in (1, 2, 3)]
    for n, row in enumerate(rows, start=1):
        row.status, row.remote_id, row.remote_message = "done", 300100000000000 + n, f"note {n}"
    update_rows(PublishStage, rows[:2], ["status", "remote_id", "remote_message"])
    stored = list(PublishStage.objects.order_by("position").values_list("status", "remote_id", "remote_message"))
    assert stored == [("done", 300100000000001, "note 1"), ("done", 300100000000002, "note 2"), ("planned", None, "")]
