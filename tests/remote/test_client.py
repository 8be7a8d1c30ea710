"""CxClient against the real fake server: retries, Retry-After, timeouts, drops, redaction, address checks."""

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.remote import client as client_module
from orchestrator.remote.client import CxClient
from orchestrator.remote.connections import Connection
from orchestrator.remote.errors import RemoteError, UnsafeURLError
from tests.fakes.cx_server import PASSWORD

DESCRIBE = "/orchestrations/describe"


@pytest.fixture
def exchanges():
    return []


@pytest.fixture
def client(cx_server, sleeps, exchanges):
    with cx_server.client(sleep=sleeps.append, on_exchange=exchanges.append, max_attempts=4) as c:
        yield c


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_status_then_success(cx_server, client, sleeps, exchanges, status):
    cx_server.fail("GET", "describe$", status=status)
    response = client.request("GET", DESCRIBE)
    assert response.status == 200 and "Resources" in response.data
    assert [e.status for e in exchanges] == [status, 200]
    assert [e.attempt for e in exchanges] == [1, 2]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= client.backoff_base


def test_retry_after_seconds_is_honoured(cx_server, sleeps):
    cx_server.fail("GET", "describe$", status=503, retry_after=7)
    with cx_server.client(sleep=sleeps.append, retry_after_cap=60) as c:
        c.request("GET", DESCRIBE)
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(cx_server, sleeps):
    cx_server.fail("GET", "describe$", status=429, retry_after=datetime.now(UTC) + timedelta(seconds=30))
    with cx_server.client(sleep=sleeps.append, retry_after_cap=60) as c:
        c.request("GET", DESCRIBE)
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_retry_after_is_capped(cx_server, sleeps):
    cx_server.fail("GET", "describe$", status=503, retry_after=3600)
    with cx_server.client(sleep=sleeps.append, retry_after_cap=5) as c:
        c.request("GET", DESCRIBE)
    assert sleeps == [5.0]


def test_backoff_grows_with_full_jitter(cx_server, sleeps):
    cx_server.fail("GET", "describe$", status=503, times=3)
    with cx_server.client(sleep=sleeps.append, max_attempts=4, backoff_base=1.0, backoff_cap=3.0) as c:
        c.request("GET", DESCRIBE)
    assert len(sleeps) == 3
    assert [0 <= s <= bound for s, bound in zip(sleeps, [1.0, 2.0, 3.0], strict=True)] == [True] * 3


def test_exhausted_attempts_raise_a_transient_error(cx_server, client, sleeps, exchanges):
    cx_server.fail("GET", "describe$", status=503, times=10)
    with pytest.raises(RemoteError) as caught:
        client.request("GET", DESCRIBE)
    error = caught.value
    assert not error.permanent and error.status == 503 and error.kind == "http"
    assert error.message == "Service Unavailable (gave up after 4 attempts)"
    assert len(cx_server.requests) == 4 and len(exchanges) == 4 and len(sleeps) == 3


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (401, True), (403, True), (404, True), (409, True), (412, True), (422, True), (500, False)],
)
def test_other_statuses_are_never_retried(cx_server, client, sleeps, status, permanent):
    cx_server.fail("POST", "Stages$", status=status, body={"title": "T", "detail": f"refused with {status}"}, times=5)
    with pytest.raises(RemoteError) as caught:
        client.request("POST", "/orchestrations/X/child/Stages", json_body={"a": 1})
    assert caught.value.status == status and caught.value.permanent is permanent
    assert caught.value.message == f"refused with {status}"
    assert caught.value.auth_failed is (status in (401, 403))
    assert len(cx_server.requests) == 1 and sleeps == []


def test_missing_credentials_surface_as_auth_failure(cx_server):
    with (
        CxClient(cx_server.connection(password="wrong-password"), max_attempts=3) as c,
        pytest.raises(RemoteError) as caught,
    ):
        c.request("GET", DESCRIBE)
    assert caught.value.auth_failed and caught.value.permanent and caught.value.message == "Authentication failed."
    assert len(cx_server.requests) == 1


def test_redirects_are_not_followed(cx_server, client):
    cx_server.fail("GET", "describe$", status=302, headers={"Location": "https://elsewhere.example/steal"}, times=3)
    with pytest.raises(RemoteError) as caught:
        client.request("GET", DESCRIBE)
    assert caught.value.permanent and caught.value.status == 302
    assert "redirects are not followed" in caught.value.message
    assert "https://elsewhere.example/steal" in caught.value.message
    assert len(cx_server.requests) == 1


def test_read_timeout_is_retried(cx_server, sleeps, exchanges):
    cx_server.delay("GET", "describe$", seconds=1.0)
    with cx_server.client(sleep=sleeps.append, on_exchange=exchanges.append, read_timeout=0.3) as c:
        response = c.request("GET", DESCRIBE)
    assert response.status == 200
    assert exchanges[0].status is None and exchanges[0].error == "read timeout after 0.3 s"
    assert exchanges[1].status == 200 and len(sleeps) == 1


def test_read_timeouts_exhausted(cx_server, sleeps):
    cx_server.delay("GET", "describe$", seconds=1.0, times=2)
    with (
        cx_server.client(sleep=sleeps.append, read_timeout=0.2, max_attempts=2) as c,
        pytest.raises(RemoteError) as caught,
    ):
        c.request("GET", DESCRIBE)
    assert caught.value.kind == "timeout" and not caught.value.permanent and caught.value.status is None


def test_dropped_connection_is_retried(cx_server, client, exchanges):
    cx_server.drop("GET", "describe$")
    assert client.request("GET", DESCRIBE).status == 200
    assert exchanges[0].status is None
    assert exchanges[0].error == "the remote closed the connection without a reply"


def test_refused_connection_is_transient(sleeps, exchanges):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    conn = Connection("closed", f"http://127.0.0.1:{port}")
    c = CxClient(conn, sleep=sleeps.append, on_exchange=exchanges.append, max_attempts=2, connect_timeout=0.5)
    with c, pytest.raises(RemoteError) as caught:
        c.request("GET", DESCRIBE)
    assert caught.value.kind == "connection" and not caught.value.permanent
    assert caught.value.message == "connection refused (gave up after 2 attempts)"
    assert len(exchanges) == 2


def test_standard_headers_reach_the_server(cx_server):
    conn = cx_server.connection(framework_version="6", metadata_context="Orch Sandbox_1")
    with CxClient(conn) as c, pytest.raises(RemoteError, match="Orchestration X does not exist"):
        c.request("POST", "/orchestrations/X/child/Stages", json_body={"k": "é"}, headers={"Upsert-Mode": "true"})
    seen = cx_server.requests[-1]
    assert seen.header("Accept") == "application/json"
    assert seen.header("REST-Framework-Version") == "6"
    assert seen.header("Metadata-Context") == 'sandbox="Orch Sandbox_1"'
    assert seen.header("Upsert-Mode") == "true"
    assert seen.header("Authorization").startswith("Basic ")
    assert seen.json == {"k": "é"}


def test_exchange_is_redacted_and_truncated(cx_server, client, exchanges):
    with pytest.raises(RemoteError):  # 404: no such orchestration
        client.request("POST", "/orchestrations/X/child/Stages", json_body={"text": "z" * 50_000})
    exchange = exchanges[0]
    assert exchange.request_headers["Authorization"] == "«redacted»"
    assert len(exchange.request_body) == 20_000 and exchange.request_body.endswith("…")
    assert exchange.status == 404 and exchange.method == "POST"
    assert exchange.path == "/orchestrations/X/child/Stages"
    assert exchange.url == f"{cx_server.url}/crmRestApi/resources/11.13.18.05/orchestrations/X/child/Stages"
    assert exchange.duration_ms >= 0 and exchange.response_headers["Content-Type"] == "application/json"


def test_sentinel_password_never_leaks(cx_server, client, exchanges, caplog):
    caplog.set_level(logging.DEBUG)
    echo = f"denied: user {cx_server.username} password {PASSWORD}; Authorization: Basic Zm9vOmJhcg=="
    cx_server.fail("GET", "describe$", status=503, body=echo)
    cx_server.fail("GET", "describe$", status=400, body={"detail": echo})
    with pytest.raises(RemoteError) as caught:
        client.request("GET", DESCRIBE, params={"q": "x"})
    assert "«redacted»" in caught.value.message
    everything = [str(caught.value), repr(caught.value), *map(repr, exchanges), repr(client.connection)]
    everything += [record.getMessage() for record in caplog.records]
    assert len(exchanges) == 2 and caplog.records
    for text in everything:
        assert PASSWORD not in text
        assert "Zm9vOmJhcg" not in text


def test_address_is_rechecked_before_each_request(cx_server, monkeypatch, exchanges):
    port = cx_server.url.rsplit(":", 1)[1]
    conn = cx_server.connection(base_url=f"http://localhost:{port}")

    def rebound(host, *args, **kwargs):  # "localhost" now answers with a private address
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", int(port)))]

    with CxClient(conn, on_exchange=exchanges.append) as c:
        assert c.request("GET", DESCRIBE).status == 200
        monkeypatch.setattr(socket, "getaddrinfo", rebound)
        with pytest.raises(UnsafeURLError, match=r"resolves to 10\.0\.0\.7, which is not a loopback address"):
            c.request("GET", DESCRIBE)
    assert len(cx_server.requests) == 1  # the second request never left
    assert exchanges[-1].status is None and "10.0.0.7" in exchanges[-1].error


def test_connected_peer_is_checked_too(cx_server, monkeypatch):
    """DNS rebinding between the check and the connect: the socket's real peer is refused."""
    port = int(cx_server.url.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo

    def to_loopback(host, *args, **kwargs):
        return real_getaddrinfo("127.0.0.1", port, socket.AF_INET, socket.SOCK_STREAM)

    monkeypatch.setattr(client_module, "resolve_checked", lambda parsed: None)  # the pre-check saw a public address
    monkeypatch.setattr(socket, "getaddrinfo", to_loopback)
    c = CxClient(Connection("rebound", f"https://cx.example.com:{port}"), max_attempts=1)
    with c, pytest.raises(UnsafeURLError, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        c.request("GET", DESCRIBE)
    assert cx_server.requests == []


def test_unsafe_base_url_is_refused_at_construction():
    with pytest.raises(UnsafeURLError):
        CxClient(Connection("bad", "https://169.254.169.254"))


def test_latency_knob(cx_server, client):
    cx_server.latency = 0.05
    client.request("GET", DESCRIBE)
    assert cx_server.requests[-1].method == "GET"


# -- requests that are not safe to repeat (creating an association) ----------------------------------------------

ASSOCIATIONS = "/orchestrations/ORCH-1/child/Stages/S/child/StepObjectivesAssociations"


@pytest.mark.parametrize("status", [429, 503])
def test_a_request_not_safe_to_repeat_is_retried_when_the_pod_said_it_did_nothing(cx_server, client, status):
    cx_server.fail("POST", "StepObjectivesAssociations$", status=status)
    cx_server.fail("POST", "StepObjectivesAssociations$", status=201, body={"StepObjectiveAssocNumber": "A"})
    response = client.request("POST", ASSOCIATIONS, json_body={}, idempotent=False)
    assert response.status == 201 and len(cx_server.writes) == 2


@pytest.mark.parametrize(
    "fault",
    [
        lambda fake: fake.fail("POST", "StepObjectivesAssociations$", status=502),
        lambda fake: fake.fail("POST", "StepObjectivesAssociations$", status=504),
        lambda fake: fake.drop("POST", "StepObjectivesAssociations$", when="before"),
        lambda fake: fake.delay("POST", "StepObjectivesAssociations$", seconds=2.5),
    ],
    ids=["502", "504", "dropped", "read timeout"],
)
def test_an_ambiguous_failure_of_a_request_not_safe_to_repeat_is_raised_at_once(cx_server, client, sleeps, fault):
    fault(cx_server)
    with pytest.raises(RemoteError) as caught:
        client.request("POST", ASSOCIATIONS, json_body={}, idempotent=False)
    assert caught.value.ambiguous and not caught.value.permanent
    assert len(cx_server.writes) == 1 and sleeps == []


def test_a_refused_connection_is_not_ambiguous(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = Connection(name="gone", base_url=f"http://127.0.0.1:{port}")
    with CxClient(conn, max_attempts=2, sleep=sleeps.append) as c, pytest.raises(RemoteError) as caught:
        c.request("POST", ASSOCIATIONS, json_body={}, idempotent=False)
    assert not caught.value.ambiguous and len(sleeps) == 1  # nothing reached a server: retried


def test_a_500_with_an_empty_body_says_there_were_no_details(cx_server, client):
    cx_server.fail("POST", "child/Stages$", status=500, body="")
    with pytest.raises(RemoteError) as caught:
        client.request("POST", "/orchestrations/ORCH-1/child/Stages", json_body={})
    assert caught.value.message == "CX Sales answered 500 (Internal Server Error) with no details."
    assert caught.value.status == 500 and not caught.value.permanent


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"OrchestrationId": 300100000000001, "Name": "Q"}', {"OrchestrationId": 300100000000001, "Name": "Q"}),
        # Beyond 64 bits: an exact integer (orjson, for one, would make it a float).
        ('{"OrchestrationId": 123456789012345678901234567890}', {"OrchestrationId": 123456789012345678901234567890}),
        ('{"Score": NaN}', "nan"),
        ("[" * 2000 + "]" * 2000, None),  # nested past any parser's depth: not JSON to us
        ("not json", None),
    ],
)
def test_a_reply_is_read_as_json_reads_it(cx_server, client, body, expected):
    cx_server.fail("GET", "describe$", status=200, body=body)
    data = client.request("GET", DESCRIBE).data
    if expected == "nan":
        assert data["Score"] != data["Score"]  # NaN, as json.loads gives it
    else:
        assert data == expected


def test_the_exchange_log_line_is_scrubbed_before_any_handler_sees_it(cx_server, client, caplog):
    """Not only on the console: a handler added later (pytest's, a file) gets the scrubbed path."""
    caplog.set_level(logging.INFO, logger="orchestrator.remote")
    with pytest.raises(RemoteError):
        client.request("GET", f"/orchestrations/{PASSWORD}")
    (record,) = [r for r in caplog.records if r.name == "orchestrator.remote"]
    assert PASSWORD not in record.getMessage() and PASSWORD not in record.path
    assert "/orchestrations/«redacted»" in record.getMessage()
