"""A password never leaves the environment: not in logs, journal, database or command output."""

import base64
import logging
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from orchestrator.models import PublishRunStatus
from tests.fakes.cx_server import FakeCxServer

from .conftest import STAGES_PATH, use_server

pytestmark = pytest.mark.django_db

SENTINEL = "S3ntinel-Pa55-XYZ"


def _all_database_text() -> str:
    """Every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def _cli(*args) -> int:
    try:
        call_command(*args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_the_password_appears_nowhere(monkeypatch, orchestration, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    server = FakeCxServer(username="integration.user", password=SENTINEL).start()
    try:
        use_server(monkeypatch, server, REQUIRE_APPROVAL="false")
        # A remote that echoes the request's credentials in its error text, then a good run.
        server.fail(
            "POST", STAGES_PATH, status=400, body={"title": "Bad Request", "detail": f"login {SENTINEL} denied"}
        )
        assert _cli("publish", orchestration.number, "--connection", "ci", "--yes") == 4
        assert _cli("publish", orchestration.number, "--connection", "ci", "--yes", "--resume", "--json") == 0
        assert _cli("publish", orchestration.number, "--connection", "ci", "--yes", "--dry-run") == 0
        monkeypatch.setenv("CX_CI_PASSWORD", SENTINEL + "-wrong")
        assert _cli("publish", orchestration.number, "--connection", "ci", "--yes") == 5
    finally:
        server.stop()

    output = capsys.readouterr()
    basic = base64.b64encode(f"integration.user:{SENTINEL}".encode()).decode()
    places = {
        "logs": caplog.text,
        "stdout": output.out,
        "stderr": output.err,
        "database": _all_database_text(),
    }
    for place, text in places.items():
        assert SENTINEL not in text, place
        assert basic not in text, place
    # the journal really holds the exchanges (so the check above had something to look at)
    database = places["database"]
    assert "denied" in database and "«redacted»" in database
    assert orchestration.publish_runs.filter(status=PublishRunStatus.DONE).exists()


@pytest.mark.parametrize(
    "echo",
    [
        lambda user, pw: base64.b64encode(f"{user}:{pw}".encode()).decode(),  # Basic's token, no "Basic"
        lambda user, pw: base64.b64encode(f"{user}:{pw}".encode()).decode().rstrip("="),  # padding dropped
        lambda user, pw: base64.b64encode(pw.encode()).decode(),  # the password alone, encoded
        lambda user, pw: quote(base64.b64encode(f"{user}:{pw}".encode()).decode(), safe=""),  # URL-encoded
        lambda user, pw: quote(pw, safe=""),  # the raw password URL-encoded
    ],
    ids=["base64", "unpadded", "password-base64", "url-encoded-base64", "url-encoded"],
)
def test_F8_an_echoed_credential_in_any_spelling_is_redacted_everywhere(monkeypatch, orchestration, caplog, echo):
    caplog.set_level(logging.DEBUG)
    password = "S3ntinel/Pa55+XYZ=9f2c"  # '/', '+' and '=' make the encoded forms differ from the raw one
    server = FakeCxServer(username="sec-user", password=password).start()
    try:
        use_server(monkeypatch, server, REQUIRE_APPROVAL="false")
        leaked = echo("sec-user", password)
        body = {"title": "Bad Request", "detail": f"rejected token={leaked} for this request"}
        server.fail("POST", STAGES_PATH, status=400, body=body)
        assert _cli("publish", orchestration.number, "--connection", "ci", "--yes") == 4
    finally:
        server.stop()
    run = orchestration.publish_runs.get()
    failed = run.stages.get(status="failed")
    places = {
        "logs": caplog.text,
        "database": _all_database_text(),
        "run message": run.message,
        "stage": failed.remote_message,
    }
    for place, text in places.items():
        assert leaked not in text, place
    assert "rejected token=«redacted» for this request" in failed.remote_message
