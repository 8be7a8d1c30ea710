"""What an administrator sets for a pod (CX_FIELD_NAMES, CX_CODES, CX_HEADER_DEFAULTS) and what a pod answers.

Through the real HTTP fake: overrides change what is sent, codes round-trip
through pull, header defaults fill what the pod requires, every error-body
variant ends in a clear message beside the stage, and check_connection's
exit codes.
"""

import base64
import json

import pytest
from django.core.management import call_command

from orchestrator.models import PublishReason, PublishRunStatus, StepTask
from orchestrator.services.pulling import orchestration_pull
from tests.factories import build_orchestration
from tests.fakes.cx_server import FakeCxServer

from .conftest import STAGES_PATH, export, publish, use_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(monkeypatch):
    server = FakeCxServer(profile="strict").start()
    try:
        yield server
    finally:
        server.stop()


def stage_bodies(server):
    return [r.json for r in server.writes if r.method == "POST" and r.path.endswith("/child/Stages")]


# -- names -----------------------------------------------------------------------------------------------------------


def test_an_attribute_the_pod_lacks_refuses_before_any_write_naming_it_and_the_closest_names(cx_server, monkeypatch):
    cx_server.rename_attribute("Stages", "StageName", "StageTitleText")
    use_server(monkeypatch, cx_server)
    run = publish(build_orchestration(stages=2))
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.DESCRIBE)
    assert cx_server.writes == []
    errors = {p["attribute"]: p for p in run.describe_report if p["severity"] == "error"}
    assert set(errors) == {"StageName", "StageTitleText"}  # ours is missing; theirs is mandatory and not covered
    error = errors["StageName"]
    assert error["count"] == 2 and errors["StageTitleText"]["kind"] == "mandatory_uncovered"
    assert "neither StageName nor OrchestrationStageName" in error["message"]
    assert "Closest names it offers: StageTitleText" in error["message"]
    assert """CX_CI_FIELD_NAMES='{"Stages.StageName": "StageTitleText"}'""" in error["message"]
    assert "most likely what the contract calls Stages.StageName" in errors["StageTitleText"]["message"]


def test_a_field_name_override_changes_what_is_sent(cx_server, monkeypatch):
    cx_server.rename_attribute("Stages", "StageName", "StageTitleText")
    use_server(monkeypatch, cx_server, FIELD_NAMES='{"Stages.StageName": "StageTitleText"}')
    orch = build_orchestration(stages=1)
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    [body] = stage_bodies(cx_server)
    assert body["StageTitleText"] == "Stage 1" and "StageName" not in body
    assert run.compatibility["renamed"] == {"Stages.StageName": "StageTitleText"}
    assert cx_server.contract_view(orch.number)[0]["StageName"] == "Stage 1"


def test_a_pod_that_renamed_a_known_alternative_needs_no_setting(cx_server, monkeypatch):
    cx_server.rename_attribute("Stages", "StageName", "OrchestrationStageName")
    use_server(monkeypatch, cx_server)
    run = publish(build_orchestration(stages=1))
    assert run.status == PublishRunStatus.DONE, run.message
    assert stage_bodies(cx_server)[0]["OrchestrationStageName"] == "Stage 1"


# -- codes -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["documented", "strict"])
def test_code_maps_go_out_and_come_back_through_pull(monkeypatch, profile):
    server = FakeCxServer(profile=profile).start()
    try:
        server.set_codes("StepTasks", "AssignedTo", {"OWNER": "ORA_OWNER", "TEAM_MEMBER": "TEAM MEMBER"})
        server.set_codes("Steps", "StepType", {"TASK": "ORA_TASK"})
        use_server(
            monkeypatch,
            server,
            CODES=json.dumps(
                {
                    "StepTasks.AssignedTo": {"OWNER": "ORA_OWNER", "TEAM_MEMBER": "TEAM MEMBER"},
                    "Steps.StepType": {"TASK": "ORA_TASK"},
                }
            ),
        )
        orch = build_orchestration(stages=1)
        StepTask.objects.filter(step__stage__orchestration=orch, display_sequence=2).update(assigned_to="TEAM_MEMBER")
        run = publish(orch)
        assert run.status == PublishRunStatus.DONE, run.message
        sent = json.dumps([r.json for r in server.writes])
        assert "TEAM MEMBER" in sent and "ORA_TASK" in sent and '"TASK"' not in sent
        before = export(orch)
        orch.delete()
        result = orchestration_pull(number=orch.number, connection_name="ci")
        assert export(result.orchestration) == before  # TEAM_MEMBER and TASK again, on our side
        count = len(server.writes)
        assert publish(result.orchestration).status == PublishRunStatus.DONE and server.writes[count:] == []
    finally:
        server.stop()


def test_a_pod_refusing_a_code_says_which_beside_the_stage(cx_server, monkeypatch):
    cx_server.set_codes("StepTasks", "AssignedTo", {"OWNER": "ORA_OWNER"})
    use_server(monkeypatch, cx_server)
    run = publish(build_orchestration(stages=1))
    assert run.status == PublishRunStatus.PARTIAL and run.reason == PublishReason.REMOTE  # the header was written
    [stage] = run.stages.all()
    assert stage.status == "failed" and "OWNER" in stage.remote_message and stage.remote_status == 400


def test_changing_a_code_map_sends_the_stages_again(cx_server, monkeypatch):
    use_server(monkeypatch, cx_server)
    orch = build_orchestration(stages=2)
    publish(orch)
    cx_server.set_codes("StepTasks", "AssignedTo", {"OWNER": "ORA_OWNER"})
    monkeypatch.setenv("CX_CI_CODES", '{"StepTasks.AssignedTo": {"OWNER": "ORA_OWNER"}}')
    count = len(cx_server.writes)
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert [s.action for s in run.stages.all()] == ["update", "update"]
    assert [line["reason"] for line in run.plan] == ["the pod's dialect changed"] * 2
    assert "ORA_OWNER" in json.dumps([r.json for r in cx_server.writes[count:]])


# -- the header ------------------------------------------------------------------------------------------------------


def test_strict_header_defaults_come_from_the_describe(strict, monkeypatch):
    use_server(monkeypatch, strict)
    run = publish(build_orchestration(stages=1))
    assert run.status == PublishRunStatus.DONE, run.message
    header = next(r.json for r in strict.writes if r.path == "/orchestrations")
    assert (header["OrchestrationType"], header["StatusCode"]) == ("STANDARD", "DRAFT")


def test_a_mandatory_header_attribute_without_default_refuses_until_the_environment_gives_one(strict, monkeypatch):
    strict.header_attribute("StatusCode", mandatory=True, default=None)
    use_server(monkeypatch, strict)
    orch = build_orchestration(stages=1)
    run = publish(orch)
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.DESCRIBE) and strict.writes == []
    [error] = [p for p in run.describe_report if p["severity"] == "error"]
    assert error["attribute"] == "StatusCode"
    assert """CX_CI_HEADER_DEFAULTS='{"StatusCode": "<value>"}'""" in error["message"]
    monkeypatch.setenv("CX_CI_HEADER_DEFAULTS", '{"StatusCode": "ORA_ACTIVE"}')
    run = publish(orch)
    assert run.status == PublishRunStatus.DONE, run.message
    assert next(r.json for r in strict.writes if r.path == "/orchestrations")["StatusCode"] == "ORA_ACTIVE"


def test_strict_lobs_travel_base64_and_come_back_as_text(strict, monkeypatch):
    use_server(monkeypatch, strict)
    orch = build_orchestration(stages=1)
    from orchestrator.models import Step

    call = Step.objects.get(stage__orchestration=orch, step_type="TASK")
    call.success_step = Step.objects.get(stage__orchestration=orch, step_type="APPOINTMENT")
    call.failure_step = Step.objects.get(stage__orchestration=orch, step_type="STOP")
    call.success_criteria = '{"activityStatus": "COMPLETE"}'
    call.save()
    assert publish(orch).status == PublishRunStatus.DONE
    steps = [step for body in stage_bodies(strict) for step in body["Steps"]]
    criteria = next(step["SuccessCriteria"] for step in steps if "SuccessCriteria" in step)
    assert base64.b64decode(criteria).decode() == '{"activityStatus": "COMPLETE"}'
    assert cx_view_step(strict, orch, call.number)["SuccessCriteria"] == '{"activityStatus": "COMPLETE"}'


def cx_view_step(server, orch, number):
    return next(
        s
        for stage in server.contract_view(orch.number)
        for s in stage["Steps"]
        if s["OrchestrationStepNumber"] == number
    )


# -- what a pod answers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (
            400,
            {
                "title": "Bad Request",
                "status": "400",
                "o:errorDetails": [{"detail": "StageName is invalid.", "o:errorCode": "27026"}],
            },
            {"Content-Type": "application/vnd.oracle.adf.error+json"},
            "StageName is invalid. (error 27026)",
        ),
        (400, {"title": "Bad Request", "status": 400, "detail": "Bad stage."}, {}, "Bad stage."),
        (500, "", {}, "CX Sales answered 500 (Internal Server Error) with no details."),
        (
            400,
            "<html><body><h1>Request rejected</h1><p>by the gateway</p></body></html>",
            {"Content-Type": "text/html"},
            "Request rejected by the gateway",
        ),
        (400, "plain words from a proxy", {"Content-Type": "text/plain"}, "plain words from a proxy"),
    ],
    ids=["v4", "detail", "empty-500", "html", "text"],
)
def test_every_error_body_ends_in_a_clear_message_on_the_failed_stage(
    cx_server, monkeypatch, status, body, headers, message
):
    use_server(monkeypatch, cx_server)
    cx_server.fail("POST", STAGES_PATH, status=status, body=body, headers=headers)
    run = publish(build_orchestration(stages=2))
    first, second = run.stages.all()
    assert first.status == "failed" and first.remote_status == status
    assert first.remote_message == message
    assert second.status == "planned"
    assert f"at stage {first.stage_name} ({first.stage_number})" in run.message
    assert message.rstrip(".") in run.message


# -- check_connection --------------------------------------------------------------------------------------------------


def run_check(*args, capsys):
    try:
        call_command("check_connection", *args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_check_connection_exit_codes(cx_server, strict, monkeypatch, capsys):
    use_server(monkeypatch, cx_server, name="ci")
    code, out = run_check("ci", capsys=capsys)
    assert code == 0 and "Compatible: a publish to ci would be accepted" in out
    assert "one request per stage (children nested, links by number)" in out
    assert cx_server.writes == [] and [r.path for r in cx_server.requests] == ["/orchestrations/describe"]

    cx_server.remove_attribute("Stages", "LifecycleAttrValue")
    code, out = run_check("ci", capsys=capsys)
    assert code == 2 and "Not compatible: 1 problem(s)" in out
    assert "Stages.LifecycleAttrValue: the pod's describe lists neither LifecycleAttrValue nor" in out

    monkeypatch.setenv("CX_CI_PASSWORD", "wrong")
    code, out = run_check("ci", capsys=capsys)
    assert code == 5 and "Credentials for connection ci were refused (HTTP 401)" in out and "wrong" not in out


def test_check_connection_on_the_strict_pod_explains_the_strategy_and_the_header(strict, monkeypatch, capsys):
    strict.header_attribute("StatusCode", mandatory=True, default=None)
    use_server(monkeypatch, strict, name="ci")
    code, out = run_check("ci", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 2 and report["exit_code"] == 2 and report["report"]["strategy"] == "stepwise"
    [error] = [f for f in report["report"]["findings"] if f["severity"] == "error"]
    assert error["attribute"] == "StatusCode"
    stages = next(r for r in report["report"]["resources"] if r["resource"] == "Stages")
    lifecycle = next(row for row in stages["rows"] if row["contract"] == "LifecycleAttrValue")
    assert (lifecycle["pod"], lifecycle["status"]) == ("LifecycleAttributeValue", "renamed")
    assert {r["resource"]: r["location"] for r in report["report"]["resources"]}["StepTasks"] == "Steps"


def test_check_connection_unreachable_and_unknown(monkeypatch, capsys):
    monkeypatch.setenv("CX_CONNECTIONS", "gone")
    monkeypatch.setenv("CX_GONE_BASE_URL", "http://127.0.0.1:9")
    code, out = run_check("gone", capsys=capsys)
    assert code == 5 and "Connection gone is unreachable" in out
    code, out = run_check("nosuch", capsys=capsys)
    assert code == 5 and "Unknown connection 'nosuch'" in out
