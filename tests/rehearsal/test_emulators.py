"""The sandbox's emulated interactions, phone calls and B2C Service tasks: what they accept and refuse."""

import base64
import json

import pytest

from orchestrator.sandbox.b2c_emulator import B2cEmulator
from orchestrator.sandbox.cx_activities_emulator import CxActivitiesEmulator
from orchestrator.sandbox.record_store import MemoryRecordStore
from orchestrator.sandbox.remotes import SandboxRemotes

ROOT = "/crmRestApi/resources/11.13.18.05"
TASKS = "/services/rest/connect/v1.4/tasks"
CONTEXT = {"OSvC-CREST-Application-Context": "tests"}


def call(emulator, method, path, body=None, headers=None, query=None):
    status, reply_headers, content = emulator.handle(
        method, path, query or {}, headers or {}, json.dumps(body).encode() if body is not None else b""
    )
    return status, reply_headers, json.loads(content) if content else None


@pytest.fixture
def cx():
    return CxActivitiesEmulator(MemoryRecordStore())


@pytest.fixture
def b2c():
    return B2cEmulator(MemoryRecordStore())


def test_an_interaction_with_its_reference_then_its_phone_call(cx):
    status, _, item = call(
        cx,
        "POST",
        f"{ROOT}/interactions",
        {"DirectionCd": "ORA_SVC_OUTBOUND", "interactionReferences": [{"ObjectTypeCd": "MOO_OPTY", "ObjectId": 9}]},
    )
    assert status == 201 and item["InteractionId"] > 300100000000000
    assert item["interactionReferences"][0]["ObjectTypeCd"] == "MOO_OPTY" and item["links"][0]["rel"] == "self"
    content = base64.b64encode(b"hello").decode()
    body = {
        "InteractionId": item["InteractionId"],
        "CallNumber": "C-1",
        "TranscriptMessage": [{"MessageContent": content}],
    }
    status, _, call_item = call(cx, "POST", f"{ROOT}/phoneCalls", body)
    assert status == 201 and call_item["TranscriptMessage"][0]["CallId"] == call_item["CallId"]
    assert call(cx, "POST", f"{ROOT}/phoneCalls", body)[0] == 400  # the number is taken: only an upsert may repeat it
    status, _, again = call(cx, "POST", f"{ROOT}/phoneCalls", body, {"Upsert-Mode": "true"})
    assert status == 200 and again["CallId"] == call_item["CallId"]
    status, _, found = call(cx, "GET", f"{ROOT}/phoneCalls", query={"q": "CallNumber='C-1'"})
    assert found["count"] == 1
    assert call(cx, "DELETE", f"{ROOT}/phoneCalls/{call_item['CallId']}")[0] == 204
    assert call(cx, "DELETE", f"{ROOT}/phoneCalls/{call_item['CallId']}")[0] == 404


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("interactions", {"interactionReferences": [{"ObjectTypeCd": "OPPORTUNITY", "ObjectId": 1}]}, "ORA_SVC_IM_REF"),
        ("interactions", {"interactionReferences": [{"ObjectTypeCd": "MOO_OPTY", "ObjectId": "1"}]}, "ObjectId"),
        ("interactions", {"DirectionCd": "OUT"}, "DirectionCd"),
        ("interactions", {"AgentHTTPSessionId": "x" * 101}, "AgentHTTPSessionId"),
        ("phoneCalls", {"CallNumber": "C"}, "InteractionId is required"),
        ("phoneCalls", {"InteractionId": 5}, "does not name an interaction"),
        ("phoneCalls", {"InteractionId": 5, "CallNumber": "x" * 31}, "CallNumber"),
        ("phoneCalls", {"InteractionId": 5, "TranscriptMessage": [{"MessageContent": "not base64!"}]}, "not base64"),
    ],
)
def test_what_cx_refuses(cx, path, body, words):
    status, _, error = call(cx, "POST", f"{ROOT}/{path}", body)
    assert status == 400 and words in error["detail"]


def test_tasks_need_the_application_context_and_a_name(b2c):
    status, _, error = call(b2c, "POST", TASKS, {"name": "A"})
    assert status == 400 and "Application-Context" in error["detail"] and error["o:errorCode"].startswith("OSC-CREST-")
    status, _, error = call(b2c, "POST", TASKS, {"dueTime": "2026-01-05T12:00:00Z"}, CONTEXT)
    assert status == 400 and error["detail"] == "The name field is required for tasks."
    assert set(error) == {"type", "title", "status", "detail", "instance", "o:errorCode"}
    status, _, error = b2c.handle("POST", TASKS, {}, CONTEXT, b"{nope")
    assert status == 400 and json.loads(error)["o:errorCode"] == "OSC-CREST-00011"
    assert (
        call(
            b2c, "POST", TASKS, {"name": "A", "salesSettings": {"opportunity": {"id": 1, "lookupName": "x"}}}, CONTEXT
        )[0]
        == 400
    )
    assert call(b2c, "PUT", TASKS, {"name": "A"}, CONTEXT)[2]["o:errorCode"] == "OSC-CREST-00002"


def test_a_task_is_created_patched_through_the_override_found_and_deleted(b2c):
    status, headers, task = call(b2c, "POST", TASKS, {"name": "Call [RH1-AB]", "notes": [{"text": "n"}]}, CONTEXT)
    assert (
        status == 201 and headers["Location"].endswith(f"/tasks/{task['id']}") and task["lookupName"] == "Call [RH1-AB]"
    )
    override = {**CONTEXT, "X-HTTP-Method-Override": "PATCH"}
    status, _, patched = call(b2c, "POST", f"{TASKS}/{task['id']}", {"dueTime": "2026-01-05T12:00:00Z"}, override)
    assert status == 200 and patched["dueTime"] == "2026-01-05T12:00:00Z" and patched["name"] == "Call [RH1-AB]"
    found = call(b2c, "GET", TASKS, headers=CONTEXT, query={"q": "name like '%RH1-AB%'"})[2]
    assert [item["id"] for item in found["items"]] == [task["id"]]
    assert call(b2c, "GET", TASKS, headers=CONTEXT, query={"q": "drop table"})[0] == 400
    assert call(b2c, "DELETE", f"{TASKS}/{task['id']}", headers=CONTEXT)[0] == 200
    assert call(b2c, "DELETE", f"{TASKS}/{task['id']}", headers=CONTEXT)[2]["o:errorCode"] == "OSC-CREST-00009"


@pytest.mark.django_db
def test_the_sandbox_serves_them_from_the_database_and_its_reset_empties_them():
    from orchestrator.models import SandboxRecord
    from orchestrator.remote.sandbox_store import sandbox_reset

    remotes = SandboxRemotes()
    assert call(remotes, "POST", TASKS, {"name": "A"}, CONTEXT)[0] == 201
    assert call(remotes, "POST", f"{ROOT}/interactions", {"Description": "d"})[0] == 201
    assert SandboxRecord.objects.count() == 2
    assert sandbox_reset()["records"] == 2 and not SandboxRecord.objects.exists()
