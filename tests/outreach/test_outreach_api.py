"""OutreachApi through the one client, against the real loopback fake: JSON:API, paging, rate limits, errors."""

import time

import pytest

from orchestrator.remote.client import RemoteClient
from orchestrator.remote.errors import RemoteError
from orchestrator.remote.outreach import OutreachApi, stage_body
from tests.fakes.outreach_server import FakeOutreachServer

STAGES = r"/opportunityStages"


@pytest.fixture
def exchanges():
    return []


@pytest.fixture
def paged():
    """A fake that serves at most 3 stages a page, holding 8: the client's large page comes back in 3 pages."""
    server = FakeOutreachServer(max_page_size=3).start()
    for i in range(1, 9):
        server.add_stage(f"Existing {i}", order=i)
    try:
        yield server
    finally:
        server.stop()


def api_for(server, sleeps, exchanges=None, **options):
    client = server.client(sleep=sleeps.append, on_exchange=(exchanges.append if exchanges is not None else None))
    for name, value in options.items():
        setattr(client, name, value)
    return OutreachApi(client)


def test_every_page_is_read_by_following_links_next(paged, sleeps, exchanges):
    api = api_for(paged, sleeps, exchanges)
    stages = api.list_stages()
    assert [s.name for s in stages] == [f"Existing {i}" for i in range(1, 9)]
    assert all(isinstance(s.id, int) for s in stages)
    gets = [r for r in paged.requests if r.method == "GET"]
    assert len(gets) == 3
    assert gets[0].query == {"page[size]": "1000"}  # asks for the largest page Outreach serves
    assert [sorted(r.query) for r in gets[1:]] == [["page[after]", "page[size]"]] * 2
    # the next pages are the links the server gave, taken apart into paths below the API root
    assert exchanges[1].path.startswith("/opportunityStages?page%5Bafter%5D=")


def test_json_api_requests_carry_the_media_type_and_the_bearer_token(outreach_server, sleeps):
    api = api_for(outreach_server, sleeps)
    created = api.create_stage({"name": "Prospect", "order": 1, "color": "#aabbcc", "isClosed": False})
    api.list_stages()
    post, get = outreach_server.requests
    for request in (post, get):
        assert request.header("Content-Type") == "application/vnd.api+json"
        assert request.header("Accept") == "application/vnd.api+json"
        assert request.header("Authorization") == f"Bearer {outreach_server.token}"
    assert post.json == {
        "data": {
            "type": "opportunityStage",
            "attributes": {"name": "Prospect", "order": 1, "color": "#aabbcc", "isClosed": False},
        }
    }
    assert isinstance(created.id, int) and created.name == "Prospect" and created.created_at


def test_update_sends_type_and_integer_id_and_only_the_given_attributes(outreach_server, sleeps):
    stage_id = outreach_server.add_stage("Prospect", order=1, color="#aabbcc", is_closed=False)
    updated = api_for(outreach_server, sleeps).update_stage(stage_id, {"order": 2})
    assert outreach_server.requests[-1].json == {
        "data": {"type": "opportunityStage", "id": stage_id, "attributes": {"order": 2}}
    }
    assert (updated.name, updated.order, updated.color) == ("Prospect", 2, "#aabbcc")


def test_delete_twice_is_harmless(outreach_server, sleeps):
    stage_id = outreach_server.add_stage("Old", order=9)
    api = api_for(outreach_server, sleeps)
    assert api.delete_stage(stage_id) is True
    assert api.delete_stage(stage_id) is False
    assert outreach_server.stages() == []


def test_a_429_waits_until_x_ratelimit_reset_then_succeeds(outreach_server, sleeps, exchanges):
    outreach_server.add_stage("Prospect", order=1)
    reset = outreach_server.rate_limited("GET", STAGES, reset_in=5)
    before = time.time()
    stages = api_for(outreach_server, sleeps, exchanges).list_stages()
    assert [s.name for s in stages] == ["Prospect"]
    assert [e.status for e in exchanges] == [429, 200]
    assert len(sleeps) == 1 and reset - before - 1 <= sleeps[0] <= reset - before
    assert sleeps[0] > 3  # the reset, not the 10 ms back-off


def test_a_429_without_reset_uses_retry_after(outreach_server, sleeps):
    outreach_server.fail("GET", STAGES, status=429, retry_after=7)
    api_for(outreach_server, sleeps).list_stages()
    assert sleeps == [7.0]


def test_rate_limit_waits_stay_within_the_bounded_policy(outreach_server, sleeps):
    outreach_server.rate_limited("GET", STAGES, reset_in=3600, times=10)
    api = api_for(outreach_server, sleeps, retry_after_cap=2.0)
    with pytest.raises(RemoteError) as caught:
        api.list_stages()
    assert caught.value.status == 429 and not caught.value.permanent
    assert len(outreach_server.requests) == 3  # max_attempts of the test client
    assert sleeps == [2.0, 2.0]


def test_slows_down_when_the_remaining_budget_reaches_zero():
    """X-RateLimit-Remaining "0, 2": the smaller count is 0, so the next request waits for the reset."""
    slept = [0.0]
    server = FakeOutreachServer(rate_limit=2, rate_window=5, clock=lambda: time.time() + slept[0]).start()
    try:
        sleeps, exchanges = [], []

        def sleep(seconds):  # waiting moves the fake's clock on, as real waiting would
            sleeps.append(seconds)
            slept[0] += seconds

        api = OutreachApi(server.client(sleep=sleep, on_exchange=exchanges.append))
        api.list_stages()
        api.list_stages()
        assert sleeps == []
        assert exchanges[-1].response_headers["X-RateLimit-Remaining"] == "0, 2"
        api.list_stages()  # held until the reset instead of being sent into a 429
        assert len(sleeps) == 1 and 0 < sleeps[0] <= 6  # the reset is a whole second
        assert [e.status for e in exchanges] == [200, 200, 200]
    finally:
        server.stop()


def test_a_422_names_the_attribute_and_is_not_retried(outreach_server, sleeps):
    outreach_server.refuse_stage("Negotiate", "has already been taken")
    with pytest.raises(RemoteError) as caught:
        api_for(outreach_server, sleeps).create_stage({"name": "Negotiate", "order": 4})
    error = caught.value
    assert error.status == 422 and error.permanent and sleeps == []
    assert error.message == "name: has already been taken"
    assert error.details == (
        {
            "id": "validationError",
            "title": "Validation Error",
            "detail": "has already been taken",
            "pointer": "/data/attributes/name",
        },
    )


def test_the_emulators_own_validation_error_reaches_the_caller(outreach_server, sleeps):
    with pytest.raises(RemoteError) as caught:
        api_for(outreach_server, sleeps).create_stage({"name": "x" * 256})
    assert caught.value.status == 422
    assert caught.value.details[0]["pointer"] == "/data/attributes/name"
    assert "longer than 255" in caught.value.message


def test_a_wrong_token_is_an_auth_failure(outreach_server, sleeps):
    client = RemoteClient(outreach_server.connection(token="not-the-token"), sleep=sleeps.append)
    with pytest.raises(RemoteError) as caught:
        OutreachApi(client).list_stages()
    assert caught.value.auth_failed and caught.value.permanent
    assert caught.value.message == "Invalid access token."


def test_a_lost_reply_to_a_create_is_not_repeated(outreach_server, sleeps):
    outreach_server.drop("POST", STAGES, when="after")
    with pytest.raises(RemoteError) as caught:
        api_for(outreach_server, sleeps).create_stage({"name": "Prospect"})
    assert caught.value.ambiguous
    assert len([r for r in outreach_server.requests if r.method == "POST"]) == 1
    assert [s["name"] for s in outreach_server.stages()] == ["Prospect"]  # it was made: the caller must look


def test_a_next_link_off_the_connection_is_not_followed(outreach_server, sleeps, monkeypatch):
    outreach_server.add_stage("A", order=1)
    outreach_server.add_stage("B", order=2)
    outreach_server.emulator.max_page_size = 1
    outreach_server.emulator.base_url = "https://evil.example"  # the links it writes now point elsewhere
    with pytest.raises(RemoteError) as caught:
        api_for(outreach_server, sleeps).list_stages()
    assert "not followed" in caught.value.message and caught.value.permanent
    assert len(outreach_server.requests) == 1


def test_a_next_link_that_loops_is_refused(outreach_server, sleeps, monkeypatch):
    outreach_server.add_stage("A", order=1)
    outreach_server.add_stage("B", order=2)
    outreach_server.emulator.max_page_size = 1
    real = outreach_server.emulator._list
    monkeypatch.setattr(outreach_server.emulator, "_list", lambda query: real({"page[size]": "1"}))
    with pytest.raises(RemoteError) as caught:
        api_for(outreach_server, sleeps).list_stages()
    assert "already read" in caught.value.message


def test_a_stage_without_an_integer_id_is_refused(outreach_server, sleeps):
    outreach_server.fail(
        "GET",
        STAGES,
        status=200,
        body={"data": [{"type": "opportunityStage", "id": "abc", "attributes": {}}]},
        headers={"Content-Type": "application/vnd.api+json"},
    )
    with pytest.raises(RemoteError, match="without an integer id"):
        api_for(outreach_server, sleeps).list_stages()


def test_stage_bodies_refuse_attributes_outreach_does_not_let_us_write():
    with pytest.raises(ValueError, match="createdAt"):
        stage_body({"name": "x", "createdAt": "2026-01-01"})
    assert stage_body({"name": "x"}, 7) == {"data": {"type": "opportunityStage", "id": 7, "attributes": {"name": "x"}}}


def test_only_an_outreach_connection_makes_an_outreach_api(cx_server):
    with pytest.raises(ValueError, match="Outreach connection"):
        OutreachApi(cx_server.client())
