"""The registry of remote systems: what the one client does differently per system (pure parts)."""

import pytest

from orchestrator.remote.client import RemoteClient
from orchestrator.remote.connections import SANDBOX_BASE_URL, Connection
from orchestrator.remote.errors import UnsafeURLError, jsonapi_problems
from orchestrator.remote.systems import CX_SALES, OUTREACH, SYSTEMS, rate_limit_remaining, system_named
from orchestrator.remote.url_safety import REST_ROOT, check_base_url

NOW = 1_767_614_400.0  # 2026-01-05 12:00 UTC, as epoch seconds


def test_the_registry_names_each_system_once():
    assert set(SYSTEMS) == {"cx_sales", "outreach", "b2c_service"}
    assert system_named("outreach") is OUTREACH
    with pytest.raises(KeyError, match="known: cx_sales, outreach, b2c_service"):
        system_named("b2c")


@pytest.mark.parametrize(
    ("value", "remaining"),
    [("42", 42), ("9999, 19988", 9999), ("19988,9999", 9999), (" 0 , 5", 0), ("", None), (None, None), ("x", None)],
)
def test_remaining_takes_the_smaller_of_two_counts(value, remaining):
    assert rate_limit_remaining(value) == remaining


def test_outreach_waits_until_the_reset_epoch_on_a_429():
    assert OUTREACH.retry_wait(429, {"x-ratelimit-reset": str(int(NOW) + 12)}, NOW) == 12
    assert OUTREACH.retry_wait(429, {"x-ratelimit-reset": str(int(NOW) - 5)}, NOW) == 0  # passed: go now
    assert OUTREACH.retry_wait(429, {"retry-after": "7"}, NOW) == 7  # no reset: Retry-After
    # Outreach's maintenance 503 may give Retry-After as an epoch timestamp
    assert OUTREACH.retry_wait(503, {"retry-after": str(int(NOW) + 30)}, NOW) == 30
    assert OUTREACH.retry_wait(503, {}, NOW) is None


def test_cx_sales_reads_only_retry_after():
    assert CX_SALES.retry_wait(429, {"x-ratelimit-reset": str(int(NOW) + 12)}, NOW) is None
    assert CX_SALES.retry_wait(503, {"retry-after": "9"}, NOW) == 9
    assert CX_SALES.pause_before_next({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 9)}) == 0


def test_outreach_pauses_only_when_the_budget_is_spent():
    reset = str(int(NOW) + 40)
    assert OUTREACH.pause_before_next({"x-ratelimit-remaining": "3, 900", "x-ratelimit-reset": reset}, NOW) == 0
    assert OUTREACH.pause_before_next({"x-ratelimit-remaining": "0, 900", "x-ratelimit-reset": reset}, NOW) == 40
    assert OUTREACH.pause_before_next({"x-ratelimit-remaining": "0"}, NOW) == 1.0  # spent, no reset given
    assert OUTREACH.pause_before_next({}, NOW) == 0


def test_headers_per_system():
    outreach = RemoteClient(Connection("o", "https://api.example.com/api/v2", token="t0k", system="outreach"))
    headers = outreach._headers(None, has_body=False)
    assert headers["Accept"] == headers["Content-Type"] == "application/vnd.api+json"  # on every request
    assert headers["Authorization"] == "Bearer t0k"
    assert "REST-Framework-Version" not in headers and "Metadata-Context" not in headers
    cx = RemoteClient(Connection("c", "https://cx.example.com", token="t0k"))._headers(None, has_body=False)
    assert list(cx) == ["Accept", "REST-Framework-Version", "User-Agent", "Authorization"]
    assert cx["Accept"] == "application/json"


def test_each_system_has_its_api_root():
    outreach = Connection("o", "https://api.example.com/api/v2", token="t", system="outreach")
    assert outreach.api_url == "https://api.example.com/api/v2"  # the operator's URL names it
    assert Connection("o", SANDBOX_BASE_URL, system="outreach").api_url == "sandbox://builtin/api/v2"
    assert Connection("c", "https://cx.example.com").api_url == "https://cx.example.com" + REST_ROOT


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://api.example.com/api/v2", "https://api.example.com/api/v2"),
        ("https://api.example.com/api/v2/", "https://api.example.com/api/v2"),
        ("https://api.example.com", "https://api.example.com/api/v2"),
        ("http://127.0.0.1:8001/api/v2", "http://127.0.0.1:8001/api/v2"),
    ],
)
def test_an_outreach_base_url_may_name_its_api_root(url, normalized):
    assert check_base_url(url, resolve=False, api_root="/api/v2") == normalized


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/api/v1",
        "https://api.example.com/api/v2/opportunityStages",
        "http://api.example.com/api/v2",  # plain http only for loopback
        "https://169.254.169.254/api/v2",
        "https://10.0.0.8/api/v2",
        "https://user:pw@api.example.com/api/v2",
    ],
)
def test_outreach_base_urls_follow_the_same_safety_rules(url):
    with pytest.raises(UnsafeURLError):
        check_base_url(url, resolve=False, api_root="/api/v2")


def test_a_cx_base_url_still_takes_no_path():
    with pytest.raises(UnsafeURLError, match="without a path"):
        check_base_url("https://cx.example.com/api/v2", resolve=False)


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (
            '{"errors": [{"id": "validationError", "title": "Validation Error", "detail": "too long", '
            '"source": {"pointer": "/data/attributes/name"}}]}',
            [
                {
                    "id": "validationError",
                    "title": "Validation Error",
                    "detail": "too long",
                    "pointer": "/data/attributes/name",
                }
            ],
        ),
        # Outreach's own 415 example spells it "details"
        (
            '{"errors": [{"id": "unsupportedMediaType", "title": "Unsupported", "details": "use vnd.api+json"}]}',
            [{"id": "unsupportedMediaType", "title": "Unsupported", "detail": "use vnd.api+json", "pointer": ""}],
        ),
        ('{"title": "Bad Request", "detail": "an ADF error"}', []),
        ("<html>gateway</html>", []),
        ('{"errors": "not a list"}', []),
        ('{"errors": [7, {}]}', []),
    ],
)
def test_json_api_error_bodies(body, problems):
    assert jsonapi_problems(body) == problems


def test_outreach_error_messages_name_the_attribute():
    text = (
        '{"errors": [{"id": "validationError", "detail": "is taken", "source": {"pointer": "/data/attributes/name"}}]}'
    )
    message, details = OUTREACH.error(422, "Unprocessable Entity", text, "application/vnd.api+json")
    assert message == "name: is taken" and details[0]["pointer"] == "/data/attributes/name"
    assert (
        OUTREACH.error(500, "Internal Server Error", "", "")[0]
        == "Outreach answered 500 (Internal Server Error) with no details."
    )
    assert (
        CX_SALES.error(500, "Internal Server Error", "", "")[0]
        == "CX Sales answered 500 (Internal Server Error) with no details."
    )
