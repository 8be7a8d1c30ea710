"""The emulated Outreach: what it accepts and answers (pure handle()), and the built-in sandbox over the database."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from orchestrator.models import SandboxOutreachStage
from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection
from orchestrator.remote.outreach import OutreachApi
from orchestrator.remote.sandbox_store import sandbox_reset
from orchestrator.sandbox.outreach_emulator import OutreachEmulator, RateLimiter
from orchestrator.sandbox.outreach_store import MemoryOutreachStore

ROOT = "/api/v2/opportunityStages"
JSON_API = {"Content-Type": "application/vnd.api+json"}


@pytest.fixture
def emulator():
    return OutreachEmulator(MemoryOutreachStore(), base_url="http://127.0.0.1:9")


def call(emulator, method, path=ROOT, body=None, query=None, headers=None):
    raw = json.dumps(body).encode() if body is not None else b""
    sent = JSON_API if headers is None else headers
    status, reply_headers, content = emulator.handle(method, path, query or {}, sent, raw)
    return status, reply_headers, (json.loads(content) if content else None)


def create(emulator, **attributes):
    return call(emulator, "POST", body={"data": {"type": "opportunityStage", "attributes": attributes}})


def test_create_answers_201_with_an_integer_id_timestamps_and_a_location(emulator):
    status, headers, document = create(emulator, name="Prospect", order=1, color="#aabbcc", isClosed=False)
    assert status == 201 and headers["Content-Type"] == "application/vnd.api+json"
    data = document["data"]
    assert data["type"] == "opportunityStage" and data["id"] == 1
    assert headers["Location"] == "http://127.0.0.1:9/api/v2/opportunityStages/1"
    attributes = data["attributes"]
    assert {k: attributes[k] for k in ("name", "order", "color", "isClosed")} == {
        "name": "Prospect",
        "order": 1,
        "color": "#aabbcc",
        "isClosed": False,
    }
    assert attributes["createdAt"] == attributes["updatedAt"] and attributes["createdAt"].endswith("Z")
    assert data["relationships"]["creator"] == {"data": {"type": "user", "id": 1}}
    assert create(emulator, name="Second")[2]["data"]["id"] == 2  # integers, in sequence


def test_attributes_not_sent_are_null(emulator):
    attributes = create(emulator)[2]["data"]["attributes"]
    assert (attributes["name"], attributes["order"], attributes["color"], attributes["isClosed"]) == (None,) * 4


@pytest.mark.parametrize(
    ("headers", "shown"),
    [({}, "had no Content-Type"), ({"Content-Type": "application/json"}, "was application/json")],
)
def test_a_wrong_content_type_is_a_415_with_details(emulator, headers, shown):
    status, _, document = call(emulator, "GET", headers=headers)
    assert status == 415
    (error,) = document["errors"]
    assert error["id"] == "unsupportedMediaType" and shown in error["details"] and "detail" not in error


@pytest.mark.parametrize(
    ("attributes", "pointer", "words"),
    [
        ({"name": "x" * 256}, "/data/attributes/name", "longer than 255"),
        ({"color": "c" * 256}, "/data/attributes/color", "longer than 255"),
        ({"order": "first"}, "/data/attributes/order", "integer or null"),
        ({"order": True}, "/data/attributes/order", "integer or null"),
        ({"isClosed": "yes"}, "/data/attributes/isClosed", "boolean or null"),
        ({"createdAt": "2026-01-01T00:00:00Z"}, "/data/attributes/createdAt", "read-only"),
        ({"stage": "x"}, "/data/attributes/stage", "not an attribute"),
    ],
)
def test_invalid_attributes_are_a_422_pointing_at_them(emulator, attributes, pointer, words):
    status, _, document = create(emulator, **attributes)
    assert status == 422
    (error,) = document["errors"]
    assert error["id"] == "validationError" and error["source"]["pointer"] == pointer and words in error["detail"]
    assert emulator.store.list_stages() == []


def test_document_shape_rules(emulator):
    assert call(emulator, "POST", body={"meta": {}})[2]["errors"][0]["source"]["pointer"] == "/data"
    status, _, document = call(emulator, "POST", body={"data": {"type": "opportunity", "attributes": {}}})
    assert status == 409 and document["errors"][0]["id"] == "typeMismatch"
    assert call(emulator, "POST", body={"data": {"attributes": {}}})[0] == 422  # type required
    assert call(emulator, "POST", body={"data": {"type": "opportunityStage", "id": 5}})[0] == 403
    relationships = {"type": "opportunityStage", "relationships": {"creator": {"data": {"type": "user", "id": 2}}}}
    assert call(emulator, "POST", body={"data": relationships})[2]["errors"][0]["source"]["pointer"] == (
        "/data/relationships"
    )
    status, _, _ = emulator.handle("POST", ROOT, {}, JSON_API, b"not json")
    assert status == 400


def test_patch_needs_type_and_the_integer_id_of_the_stage_addressed(emulator):
    create(emulator, name="Prospect", order=1)
    path = f"{ROOT}/1"
    assert call(emulator, "PATCH", path, {"data": {"type": "opportunityStage", "attributes": {"order": 2}}})[0] == 422
    assert call(emulator, "PATCH", path, {"data": {"type": "opportunityStage", "id": "1"}})[0] == 422
    assert call(emulator, "PATCH", path, {"data": {"type": "opportunityStage", "id": 2}})[0] == 409
    status, _, document = call(
        emulator, "PATCH", path, {"data": {"type": "opportunityStage", "id": 1, "attributes": {"order": 2}}}
    )
    assert status == 200
    assert (document["data"]["attributes"]["name"], document["data"]["attributes"]["order"]) == ("Prospect", 2)


def test_get_delete_and_missing_stages(emulator):
    create(emulator, name="Prospect")
    assert call(emulator, "GET", f"{ROOT}/1")[2]["data"]["attributes"]["name"] == "Prospect"
    status, _, document = call(emulator, "DELETE", f"{ROOT}/1")
    assert (status, document) == (204, None)
    status, _, document = call(emulator, "GET", f"{ROOT}/1")
    assert status == 404 and document["errors"][0]["id"] == "resourceNotFound"
    assert call(emulator, "DELETE", f"{ROOT}/1")[0] == 404
    assert call(emulator, "GET", f"{ROOT}/abc")[0] == 404
    assert call(emulator, "GET", "/api/v2/prospects")[0] == 404
    assert call(emulator, "PUT", f"{ROOT}/1")[0] == 405
    assert call(emulator, "DELETE", ROOT)[0] == 405


def test_pages_follow_links_next_and_count_the_whole_collection(emulator):
    for i in range(1, 6):
        create(emulator, name=f"S{i}", order=i)
    seen, query = [], {"page[size]": "2"}
    while True:
        status, _, document = call(emulator, "GET", query=query)
        assert status == 200 and document["meta"] == {"count": 5}
        seen += [item["attributes"]["name"] for item in document["data"]]
        assert document["links"]["first"].startswith("http://127.0.0.1:9/api/v2/opportunityStages?")
        if "next" not in document["links"]:
            break
        query = dict(parse_qsl(urlsplit(document["links"]["next"]).query))
    assert seen == ["S1", "S2", "S3", "S4", "S5"]


def test_page_sizes(emulator):
    for i in range(60):
        emulator.store.save_stage({"id": i + 1, "name": f"S{i}"})
    assert len(call(emulator, "GET")[2]["data"]) == 50  # Outreach's default page
    emulator.max_page_size = 7
    assert len(call(emulator, "GET", query={"page[size]": "1000"})[2]["data"]) == 7  # capped, not refused
    assert call(emulator, "GET", query={"page[size]": "0"})[0] == 400
    assert call(emulator, "GET", query={"page[size]": "many"})[0] == 400
    assert "meta" not in call(emulator, "GET", query={"count": "false"})[2]


def test_unknown_query_parameters_and_cursors_are_a_400(emulator):
    status, _, document = call(emulator, "GET", query={"page[limit]": "5"})
    assert status == 400 and "page[limit]" in document["errors"][0]["detail"]
    assert call(emulator, "GET", query={"page[after]": "bm90LWEtY3Vyc29y"})[0] == 400


def test_rate_limit_headers_and_the_429():
    clock = [1_767_614_400.0]
    limiter = RateLimiter(2, 60, two_counts=True, clock=lambda: clock[0])
    emulator = OutreachEmulator(MemoryOutreachStore(), rate_limiter=limiter)
    first = call(emulator, "GET")[1]
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("2", "1, 3")
    assert first["X-RateLimit-Reset"] == str(int(clock[0]) + 60)
    assert call(emulator, "GET")[1]["X-RateLimit-Remaining"] == "0, 2"
    status, headers, document = call(emulator, "GET")
    assert status == 429 and document["errors"][0]["id"] == "rateLimitExceeded"
    assert headers["Retry-After"] == "60" and headers["X-RateLimit-Remaining"] == "0, 2"
    clock[0] += 61  # a new window
    assert call(emulator, "GET")[0] == 200


# -- the built-in sandbox ---------------------------------------------------------------------------------------


@pytest.fixture
def sandbox_outreach(db, sleeps):
    client = RemoteClient(Connection("default", SANDBOX_BASE_URL, system="outreach"), sleep=sleeps.append)
    try:
        yield OutreachApi(client)
    finally:
        client.close()


@pytest.fixture
def sleeps():
    return []


def test_the_sandbox_keeps_outreach_stages_in_its_tables(sandbox_outreach):
    first = sandbox_outreach.create_stage({"name": "Prospect", "order": 1, "color": "#aabbcc"})
    second = sandbox_outreach.create_stage({"name": "Qualify", "order": 2})
    assert (first.id, second.id) == (1, 2)
    sandbox_outreach.update_stage(first.id, {"isClosed": False})
    row = SandboxOutreachStage.objects.get(remote_id=first.id)
    assert (row.attributes["name"], row.attributes["color"], row.attributes["isClosed"]) == (
        "Prospect",
        "#aabbcc",
        False,
    )
    assert [s.name for s in sandbox_outreach.list_stages()] == ["Prospect", "Qualify"]
    assert sandbox_outreach.delete_stage(second.id) and not SandboxOutreachStage.objects.filter(remote_id=2).exists()


def test_the_sandbox_reset_empties_outreach_too_and_ids_start_again(sandbox_outreach):
    sandbox_outreach.create_stage({"name": "Prospect"})
    sandbox_outreach.create_stage({"name": "Qualify"})
    assert sandbox_reset()["outreach_stages"] == 2
    assert sandbox_outreach.list_stages() == []
    assert sandbox_outreach.create_stage({"name": "Again"}).id == 1


def test_sandbox_ids_never_reuse_a_stored_one(sandbox_outreach):
    from orchestrator.models import SandboxSequence

    sandbox_outreach.create_stage({"name": "Prospect"})
    SandboxSequence.objects.filter(name="outreach_stage_id").delete()  # a counter lost, the rows kept
    assert sandbox_outreach.create_stage({"name": "Qualify"}).id == 2


def test_the_sandbox_answers_cx_and_outreach_by_path(sandbox_outreach, sandbox_api):
    sandbox_outreach.create_stage({"name": "Prospect"})
    assert sandbox_api.get_orchestration("ORCH-NOPE") is None  # the CX emulator, on the same transport
    assert len(sandbox_outreach.list_stages()) == 1
