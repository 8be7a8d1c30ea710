"""A password never leaves the environment: not in logs, journal, database or command output."""

import base64
import logging

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
        use_server(monkeypatch, server)
        # A remote that echoes the request's credentials in its error text, then a good run.
        server.fail(
            "POST", STAGES_PATH, status=400, body={"title": "Bad Request", "detail": f"login {SENTINEL} denied"}
        )
        assert _cli("publish", orchestration.number, "--connection", "ci") == 4
        assert _cli("publish", orchestration.number, "--connection", "ci", "--resume", "--json") == 0
        assert _cli("publish", orchestration.number, "--connection", "ci", "--dry-run") == 0
        monkeypatch.setenv("CX_CI_PASSWORD", SENTINEL + "-wrong")
        assert _cli("publish", orchestration.number, "--connection", "ci") == 5
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
