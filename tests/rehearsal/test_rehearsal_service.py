"""The rehearsal service against loopback fakes of CX Sales and B2C Service: what is created, with which bodies
and headers; a second run creates nothing; lost replies and refusals; the clean-up."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from orchestrator.models import JournalEntry, RehearsalRecord, RemoteRun
from orchestrator.services.rehearsal import (
    plan_counts,
    rehearsal_cleanup,
    rehearsal_plan,
    rehearsal_request,
    rehearse,
)

from .conftest import OPPORTUNITY, QUALIFY

pytestmark = pytest.mark.django_db


def request_for(demo, **overrides):
    values = {
        "orchestration": demo,
        "stage_number": QUALIFY,
        "record": str(OPPORTUNITY),
        "b2c_record": "77",
        "cx_connection": "ci",
        "b2c_connection": "ci",
    }
    return rehearsal_request(**{**values, **overrides})


def test_the_plan_lists_each_record_and_says_when_a_step_creates_nothing(demo, ci, cx_server, b2c_server):
    rehearsal, lines = rehearsal_plan(request_for(demo))
    assert rehearsal is None and cx_server.requests == [] and b2c_server.requests == []
    assert [(line.kind, line.step_name) for line in lines] == [
        ("b2c_task", "Qualification call with the champion"),
        ("b2c_task", "Qualification call with the champion"),
        ("interaction", "Timeline check-in"),
        ("phone_call", "Timeline check-in"),
        ("", "Move to Discover"),
    ]
    assert lines[-1].label.startswith("Next stage: ") and lines[-1].label.endswith(" — nothing to create")
    assert plan_counts(lines) == {"create": 4, "exists": 0, "nothing": 1}


def test_rehearsing_creates_exactly_the_planned_records_with_the_documented_bodies(demo, ci, cx_server, b2c_server):
    before = datetime.now(UTC)
    rehearsal, run = rehearse(request_for(demo))
    assert run.status == "done", run.message
    assert run.message == "Rehearsed: 4 record(s) created, 0 already there."
    marker = f"RH{rehearsal.pk}"

    tasks = [r for r in b2c_server.requests if r.method == "POST"]
    assert len(tasks) == 2 and len(b2c_server.tasks()) == 2
    first = tasks[0]
    assert first.header("OSvC-CREST-Application-Context") == "Orchestrator rehearsal"
    assert first.header("Authorization").startswith("Basic ")
    body = first.json
    assert body["name"].startswith("Qualification call with the champion (task 1) [" + marker + "-")
    assert len(body["name"]) <= 80
    assert body["salesSettings"] == {"opportunity": {"id": 77}}
    due = datetime.strptime(body["dueTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(hours=48) - timedelta(seconds=1) <= due <= datetime.now(UTC) + timedelta(hours=48)
    note = body["notes"][0]["text"]
    assert demo.number in note and QUALIFY in note and "ORCH-STP-DEMO-QUALIFY-CALL" in note and marker in note

    posts = [r for r in cx_server.requests if r.method == "POST"]
    assert [r.path for r in posts] == ["/interactions", "/phoneCalls"]
    interaction = posts[0].json
    assert interaction["DirectionCd"] == "ORA_SVC_OUTBOUND"
    assert interaction["interactionReferences"] == [{"ObjectTypeCd": "MOO_OPTY", "ObjectId": OPPORTUNITY}]
    assert "Timeline check-in" in interaction["Description"] and demo.number in interaction["Description"]
    call = posts[1].json
    stored_interaction = RehearsalRecord.objects.get(rehearsal=rehearsal, kind="interaction")
    assert call["InteractionId"] == stored_interaction.remote_id
    assert posts[1].header("Upsert-Mode") == "true" and posts[1].header("REST-Framework-Version") == "4"
    assert len(call["CallNumber"]) <= 30 and call["CallNumber"].startswith(marker + "-")
    message = call["TranscriptMessage"][0]
    assert len(message["MessageNumber"]) <= 30
    suggestion = demo.stages.get(number=QUALIFY).steps.get(name="Timeline check-in").suggestion_text
    assert base64.b64decode(message["MessageContent"]).decode() == suggestion

    records = list(rehearsal.records.values_list("kind", "system"))
    assert records == [
        ("b2c_task", "b2c_service"),
        ("b2c_task", "b2c_service"),
        ("interaction", "cx_sales"),
        ("phone_call", "cx_sales"),
    ]
    assert all(r.link.startswith(("http://127.0.0.1", "http://localhost")) for r in rehearsal.records.all())
    journal = JournalEntry.objects.filter(remote_run=run).order_by("pk")
    assert [(e.method, e.path) for e in journal] == [
        ("GET", "/interactions/describe"),
        ("GET", "/phoneCalls/describe"),
        ("POST", "/tasks"),
        ("POST", "/tasks"),
        ("POST", "/interactions"),
        ("POST", "/phoneCalls"),
    ]


def test_a_pod_whose_describe_lacks_what_is_sent_is_refused_before_any_cx_write(demo, ci, cx_server, b2c_server):
    cx_server.activities.hidden = {"interactions.OriginalSystemReference", "phoneCalls.TranscriptMessage.MessageNumber"}
    rehearsal, run = rehearse(request_for(demo))
    assert run.status == "refused" and run.reason == "describe"
    assert "does not describe interactions.OriginalSystemReference, phoneCalls.TranscriptMessage.MessageNumber" in (
        run.message
    )
    assert [r.method for r in cx_server.requests] == ["GET", "GET"] and b2c_server.requests == []
    assert not rehearsal.records.exists()
    cx_server.activities.hidden = set()
    _, again = rehearse(request_for(demo))
    assert again.status == "done" and again.message == "Rehearsed: 4 record(s) created, 0 already there."


def test_a_second_run_continues_the_rehearsal_and_creates_nothing(demo, ci, cx_server, b2c_server):
    first, _ = rehearse(request_for(demo))
    writes = len(cx_server.writes) + len(b2c_server.writes)
    again, run = rehearse(request_for(demo))
    assert again.pk == first.pk and run.status == "done"
    assert run.message == "Nothing to create: the rehearsal holds all 4 record(s) already."
    assert len(cx_server.writes) + len(b2c_server.writes) == writes
    assert {line["status"] for line in run.lines} == {"exists", "nothing"}


def test_a_lost_reply_on_a_task_create_is_settled_by_looking_it_up(demo, ci, cx_server, b2c_server):
    b2c_server.drop("POST", r"/tasks$", when="after")
    rehearsal, run = rehearse(request_for(demo))
    assert run.status == "done", run.message
    assert len(b2c_server.tasks()) == 2  # not three
    lookup = [r for r in b2c_server.requests if r.method == "GET"]
    assert len(lookup) == 1 and lookup[0].query["q"].startswith(f"name like '%RH{rehearsal.pk}-")
    assert run.lines[0]["status"] == "adopted"
    assert "found by its marker" in rehearsal.records.filter(kind="b2c_task").first().message


def test_a_lost_reply_on_an_interaction_is_found_by_its_reference(demo, ci, cx_server, b2c_server):
    cx_server.drop("POST", r"/interactions$", when="after")
    _, run = rehearse(request_for(demo))
    assert run.status == "done", run.message
    assert len(cx_server.activity_store.list("cx_sales.interactions")) == 1


def test_a_400_on_one_record_leaves_a_resumable_rehearsal(demo, ci, cx_server, b2c_server):
    refusal = {
        "type": "x/OSC-CREST-00012",
        "title": "Bad Request",
        "status": 400,
        "detail": "Create failed: bad name",
        "o:errorCode": "OSC-CREST-00012",
    }
    b2c_server.fail("POST", r"/tasks$", status=400, body=refusal, body_regex=r"\(task 2\)")
    rehearsal, run = rehearse(request_for(demo))
    assert run.status == "partial" and run.reason == "remote"
    rehearsal.refresh_from_db()
    assert rehearsal.status == "partial"
    failed = [line for line in run.lines if line["status"] == "failed"]
    assert len(failed) == 1 and "Create failed: bad name" in failed[0]["message"]
    assert failed[0]["problems"][0]["o:errorCode"] == "OSC-CREST-00012"
    assert rehearsal.records.count() == 3

    _, again = rehearse(request_for(demo))
    assert again.status == "done" and again.message == "Rehearsed: 1 record(s) created, 3 already there."
    assert len(b2c_server.tasks()) == 2 and len(cx_server.activity_store.list("cx_sales.phoneCalls")) == 1


def test_next_request_after_is_honoured(demo, ci, b2c_server, sleeps):
    b2c_server.next_request_after_ms = 1500
    _, run = rehearse(request_for(demo))
    assert run.status == "done"
    # Once, before the second task (less the time already gone by); the CX requests go through their own client.
    assert len(sleeps) == 1 and 1.3 < sleeps[0] <= 1.5


def test_cleanup_deletes_tasks_calls_then_interactions_and_a_new_rehearsal_starts_afterwards(
    demo, ci, cx_server, b2c_server
):
    rehearsal, _ = rehearse(request_for(demo))
    start = len(cx_server.requests)
    run = rehearsal_cleanup(rehearsal)
    assert run.status == "done" and run.message == "Cleaned up: 4 record(s) deleted."
    deletes = [r.path.split("/")[1] for r in cx_server.requests[start:] if r.method == "DELETE"]
    assert deletes == ["phoneCalls", "interactions"]
    assert b2c_server.tasks() == [] and cx_server.activity_store.list("cx_sales.interactions") == []
    rehearsal.refresh_from_db()
    assert rehearsal.status == "cleaned" and rehearsal.cleaned_at is not None
    assert set(rehearsal.records.values_list("status", flat=True)) == {"deleted"}

    fresh, again = rehearse(request_for(demo))
    assert fresh.pk != rehearsal.pk and again.message == "Rehearsed: 4 record(s) created, 0 already there."


def test_cleanup_says_what_could_not_be_deleted_and_finishes_later(demo, ci, cx_server, b2c_server):
    rehearsal, _ = rehearse(request_for(demo))
    b2c_server.tasks()  # two tasks
    cx_server.fail(
        "DELETE", r"/interactions/", status=400, body={"title": "Bad Request", "detail": "Interaction is locked"}
    )
    b2c_server.store.delete("b2c_service.tasks", b2c_server.tasks()[0]["id"])  # someone removed one by hand
    run = rehearsal_cleanup(rehearsal)
    assert run.status == "partial"
    by_kind = {line["kind"]: line for line in run.lines}
    assert "Interaction is locked" in by_kind["interaction"]["message"]
    assert [line["status"] for line in run.lines] == ["gone", "deleted", "deleted", "failed"]
    rehearsal.refresh_from_db()
    assert rehearsal.status == "cleanup_partial" and rehearsal.cleaned_at is None
    again = rehearsal_cleanup(rehearsal)
    assert again.status == "done" and again.message == "Cleaned up: 1 record(s) deleted."


def test_refused_credentials_stop_the_run_with_the_connection_name(demo, ci, b2c_server, monkeypatch):
    monkeypatch.setenv("B2C_CI_PASSWORD", "wrong-password-123")
    _, run = rehearse(request_for(demo))
    assert run.status == "failed" and run.reason == "credentials"
    assert "B2C Service connection ci refused the credentials (HTTP 401)" in run.message


def test_bad_input_names_the_field(demo, ci):
    with pytest.raises(ValidationError) as caught:
        request_for(demo, record="abc")
    assert "record" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        request_for(demo, stage_number="NOPE")
    assert "has no stage numbered “NOPE”" in caught.value.message_dict["stage"][0]
    with pytest.raises(ValidationError) as caught:
        request_for(demo, b2c_record="-3")
    assert "b2c_record" in caught.value.message_dict


def test_every_stage_when_none_is_given(demo, ci, cx_server, b2c_server):
    _, run = rehearse(request_for(demo, stage_number=""))
    assert run.status == "done", run.message
    assert len(b2c_server.tasks()) == 6  # 2 + 2 + 1 + 1
    assert len(cx_server.activity_store.list("cx_sales.phoneCalls")) == 4
    assert RemoteRun.objects.filter(kind="rehearsal").count() == 1


def test_a_cleanup_waits_for_a_run_under_way_and_the_reverse(demo, ci):
    rehearsal, _ = rehearse(request_for(demo))
    busy = RemoteRun.objects.create(kind="rehearsal", system="cx_sales", orchestration=demo, status="running")
    assert rehearsal_cleanup(rehearsal).pk == busy.pk and rehearsal.records.filter(status="created").count() == 4
    RemoteRun.objects.filter(pk=busy.pk).update(kind="rehearsal_cleanup")
    assert rehearse(request_for(demo))[1].pk == busy.pk


def test_an_internal_error_ends_the_run_and_leaves_the_rehearsal_resumable(demo, ci, b2c_server, monkeypatch):
    from orchestrator.services import rehearsal as service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    original = service.interaction_body
    monkeypatch.setattr(service, "interaction_body", broken)
    rehearsal, run = rehearse(request_for(demo))
    assert run.status == "failed" and run.reason == "interrupted" and "internal error" in run.message
    rehearsal.refresh_from_db()
    assert rehearsal.status == "partial" and len(b2c_server.tasks()) == 2
    monkeypatch.setattr(service, "interaction_body", original)
    _, again = rehearse(request_for(demo))
    assert again.message == "Rehearsed: 2 record(s) created, 2 already there."
