"""Pure parts of the client: Retry-After, error messages, backoff bounds, headers."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from orchestrator.remote.client import CxClient, retry_after_seconds
from orchestrator.remote.connections import Connection
from orchestrator.remote.errors import RemoteError, message_from_body

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        (format_datetime(NOW - timedelta(seconds=42), usegmt=True), 0.0),  # in the past: retry now
        ("", None),
        (None, None),
        ("-3", None),
        ("soon", None),
        ("1.5", None),
    ],
)
def test_retry_after_forms(value, seconds):
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (
            '{"title": "Bad Request", "detail": "Attribute Foo is not recognized."}',
            "application/json",
            "Attribute Foo is not recognized.",
        ),
        ('{"title": "Bad Request"}', "application/json", "Bad Request"),
        (
            '{"title": "Bad Request", "o:errorDetails": [{"detail": "A is wrong."}, {"detail": "B is wrong."}]}',
            "application/json",
            "A is wrong.; B is wrong.",
        ),
        (
            '{"detail": "A is wrong.", "o:errorDetails": [{"detail": "A is wrong."}, {"detail": "C."}]}',
            "application/json",
            "A is wrong.; C.",
        ),
        ("  plain failure text \n", "text/plain", "plain failure text"),
        (
            "<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
            "502 Bad Gateway",
        ),
        ('{"unexpected": true}', "application/json", '{"unexpected": true}'),
        ("", "application/json", ""),
        ("<script>alert(1)</script>", "text/plain", "<script>alert(1)</script>"),  # plain: templates escape
        # ADF framework 4: status as a string, problems always in o:errorDetails, with codes and paths
        (
            '{"title": "Bad Request", "status": "400", "o:errorDetails": [{"detail": "StepType is invalid.", '
            '"o:errorCode": "27026", "o:errorPath": "/Steps/0/StepType"}]}',
            "application/vnd.oracle.adf.error+json",
            "StepType is invalid. (error 27026 at /Steps/0/StepType)",
        ),
        # IoT / B2C Service shape: top-level detail and code, status a number
        (
            '{"type": "x", "title": "Bad Request", "status": 400, "detail": "Unsupported method.", '
            '"o:errorCode": "OSC-CREST-00002"}',
            "application/json",
            "Unsupported method. (error OSC-CREST-00002)",
        ),
        ('[{"detail": "A."}, {"title": "B."}]', "application/json", "A.; B."),
        ('{"title": "Bad Request", "o:errorDetails": {"detail": "Only one."}}', "application/json", "Only one."),
    ],
)
def test_error_message_parsing(body, content_type, message):
    assert message_from_body(body, content_type) == message


def test_an_empty_error_body_says_so():
    from orchestrator.remote.errors import no_details_message

    assert message_from_body("", "") == ""
    assert no_details_message(500, "Internal Server Error") == (
        "CX Sales answered 500 (Internal Server Error) with no details."
    )


def test_error_message_is_truncated_with_an_ellipsis():
    message = message_from_body('{"detail": "' + "x" * 5000 + '"}', "application/json")
    assert len(message) == 1000 and message.endswith("…")


def test_remote_error_shape():
    error = RemoteError("no", status=403, permanent=True)
    assert error.auth_failed and str(error) == "no" and error.kind == "http"
    assert "status=403" in repr(error)
    assert not RemoteError("x", status=500).auth_failed


def test_backoff_is_full_jitter_within_the_exponential_bound():
    client = CxClient(Connection("t", "http://127.0.0.1:9"), backoff_base=0.5, backoff_cap=3.0, rng=random.Random(1))
    for attempt, bound in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        delays = [client._delay(attempt, None) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # spread over the whole range, not a fixed step
    assert client._delay(1, 500.0) == client.retry_after_cap
    assert client._delay(1, 2.0) == 2.0


def test_standard_headers():
    conn = Connection(
        "t", "http://127.0.0.1:9", username="u", password="p", framework_version="6", metadata_context="Sb1"
    )
    headers = CxClient(conn)._headers({"Upsert-Mode": "true"}, has_body=True)
    assert headers["Accept"] == "application/json"
    assert headers["REST-Framework-Version"] == "6"
    assert headers["Authorization"] == "Basic dTpw"
    assert headers["Metadata-Context"] == 'sandbox="Sb1"'
    assert headers["Content-Type"] == "application/json" and headers["Upsert-Mode"] == "true"
    bearer = CxClient(Connection("t", "http://127.0.0.1:9", token="abc"))._headers(None, has_body=False)
    assert bearer["Authorization"] == "Bearer abc" and "Content-Type" not in bearer


def test_invalid_arguments():
    with pytest.raises(ValueError, match="max_attempts"):
        CxClient(Connection("t", "http://127.0.0.1:9"), max_attempts=0)
    with pytest.raises(ValueError, match="path must start"):
        CxClient(Connection("t", "http://127.0.0.1:9")).request("GET", "orchestrations")


def test_a_body_nested_without_end_is_text_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    assert message_from_body(deep, "application/json").startswith("[[[")
