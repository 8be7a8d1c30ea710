"""JSON logs (issue 12): one object per request and per remote exchange, with the run and stage, never a secret."""

import io
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from orchestrator.logs import JsonFormatter, bound
from orchestrator.redaction import RedactSecretsFilter
from tests.factories import build_orchestration, make_user
from tests.fakes.cx_server import FakeCxServer
from tests.publish.conftest import STAGES_PATH, use_server

pytestmark = pytest.mark.django_db
SENTINEL = "Js0n-Sentinel/Secret+42=="


@pytest.fixture
def json_log():
    """Every record of the process, formatted as production formats it; yields the stream they go to."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    for line in stream.getvalue().splitlines():
        json.loads(line)  # every line is one JSON object


def test_one_line_per_request_with_method_path_status_duration_and_user_id(json_log, settings, designer):
    settings.MIDDLEWARE = ["orchestrator.logs.RequestLogMiddleware", *settings.MIDDLEWARE]
    stream = json_log
    client = Client()
    client.force_login(designer)
    client.get(reverse("orchestration_list"))
    client.get("/no-such-page/")
    requests = [json.loads(line) for line in stream.getvalue().splitlines() if '"event": "request"' in line]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("GET", "/orchestrations/", 200),
        ("GET", "/no-such-page/", 404),
    ]
    assert all(r["user_id"] == designer.pk and r["duration_ms"] >= 0 for r in requests)
    assert all(r["level"] == "INFO" and r["logger"] == "orchestrator.requests" and r["time"] for r in requests)


def test_remote_exchanges_name_the_system_connection_run_stage_and_attempt(json_log, monkeypatch, sleeps):
    stream = json_log
    server = FakeCxServer(username="log-user", password=SENTINEL).start()
    try:
        use_server(monkeypatch, server)
        server.fail("POST", STAGES_PATH, status=503)
        server.fail("POST", STAGES_PATH, status=400, body={"detail": f"echo {SENTINEL} back"})
        from orchestrator.services.publishing import orchestration_publish

        orch = build_orchestration(stages=1)
        run = orchestration_publish(orchestration=orch, connection_name="ci")
    finally:
        server.stop()
    text = stream.getvalue()
    exchanges = [json.loads(line) for line in text.splitlines() if '"event": "remote_exchange"' in line]
    posts = [e for e in exchanges if e["method"] == "POST" and e["path"].endswith("/child/Stages")]
    assert [(e["status"], e["attempt"]) for e in posts] == [(503, 1), (400, 2)]
    stage = orch.stages.get().number
    assert all(e["system"] == "cx_sales" and e["connection"] == "ci" and e["run_id"] == run.pk for e in exchanges)
    assert {e.get("stage") for e in posts} == {stage}
    assert "«redacted»" in posts[-1]["error"]
    assert SENTINEL not in text and "log-user:" not in text


def test_bound_fields_nest_and_are_dropped_after_the_block():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    with bound(run_id=7), bound(stage="S1"):
        inside = json.loads(JsonFormatter().format(record))
    outside = json.loads(JsonFormatter().format(record))
    assert (inside["run_id"], inside["stage"], inside["message"]) == (7, "S1", "hello you")
    assert "run_id" not in outside and "stage" not in outside


def test_a_user_is_logged_by_id_only(json_log, settings):
    settings.MIDDLEWARE = ["orchestrator.logs.RequestLogMiddleware", *settings.MIDDLEWARE]
    stream = json_log
    user = make_user(username="someone.named")
    client = Client()
    client.force_login(user)
    client.get(reverse("orchestration_list"))
    assert "someone.named" not in stream.getvalue()
