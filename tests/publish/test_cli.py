"""`manage.py publish` and `manage.py pull_orchestration`: output, --json, --dry-run, --resume, exit codes."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orchestrator.models import Orchestration, PublishedStage, PublishRun, PublishRunStatus, Stage

from .conftest import STAGES_PATH, stage_posts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ungated(monkeypatch):
    """These tests are about publishing itself: `ci` takes unapproved content once confirmed (`--yes`).
    The approval gate of the CLI has its own tests (tests/test_publish_gate.py)."""
    monkeypatch.setenv("CX_CI_REQUIRE_APPROVAL", "false")


def run_cli(*args, capsys=None) -> tuple[int, str]:
    """(exit code, stdout) of one command; a publish confirms unapproved content as a pipeline would (--yes)."""
    if args and args[0] == "publish":
        args = (*args, "--yes")
    try:
        call_command(*args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out if capsys else ""


def test_publish_prints_one_line_per_stage_and_exits_0(cx_server, ci, orchestration, capsys):
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"Publish of {orchestration.number} to connection ci ({cx_server.url}) — run #")
    stage_lines = [line for line in lines if line.startswith("  create")]
    assert len(stage_lines) == 3
    assert all(line.endswith(": done") for line in stage_lines)
    assert lines[-1] == "Done: Published: 3 created, 0 updated, 0 deleted, 0 unchanged. (exit 0)"


def test_json_summary_shape(cx_server, ci, orchestration, capsys):
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", "--json", capsys=capsys)
    assert code == 0
    summary = json.loads(out)
    assert set(summary) == {
        "run_id", "orchestration", "connection", "dry_run", "status", "reason", "message", "exit_code",
        "orchestration_id", "create_orchestration", "stages", "problems", "describe_problems",
        "strategy", "compatibility",
    }  # fmt: skip
    assert (summary["status"], summary["exit_code"], summary["connection"]) == ("done", 0, "ci")
    assert summary["create_orchestration"] is True
    assert summary["orchestration_id"] == cx_server.store.get_orchestration(orchestration.number).remote_id
    first = summary["stages"][0]
    assert set(first) == {
        "position", "stage_number", "stage_name", "action", "status", "method", "path", "remote_status",
        "message", "remote_id", "strategy",
    }  # fmt: skip
    assert (first["action"], first["status"], first["method"], first["remote_status"]) == (
        "create",
        "done",
        "POST",
        201,
    )
    assert first["path"] == f"/orchestrations/{orchestration.number}/child/Stages"


def test_dry_run_only_reads_and_prints_the_planned_requests(cx_server, ci, orchestration, capsys):
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", "--dry-run", capsys=capsys)
    assert code == 0
    assert cx_server.writes == []
    assert [r.method for r in cx_server.requests] == ["GET", "GET"]
    assert "    POST    /orchestrations  (create the orchestration)" in out
    assert out.count(f"    POST    /orchestrations/{orchestration.number}/child/Stages  create Stage") == 3
    assert "Dry run: would create the orchestration, then create 3" in out
    assert not PublishedStage.objects.exists()
    assert Orchestration.objects.get(pk=orchestration.pk).remote_id is None
    assert PublishRun.objects.get().dry_run


def test_dry_run_json_after_a_publish_shows_what_would_change(cx_server, ci, orchestration, capsys):
    run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    Stage.objects.filter(orchestration=orchestration, display_sequence=3).update(description="Sign")
    writes = len(cx_server.writes)
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", "--dry-run", "--json", capsys=capsys)
    summary = json.loads(out)
    assert code == 0 and summary["dry_run"] is True
    assert [(s["action"], s["method"]) for s in summary["stages"]] == [
        ("unchanged", ""),
        ("unchanged", ""),
        ("update", "POST"),
    ]
    assert len(cx_server.writes) == writes


def test_validation_problems_exit_2_and_are_listed(cx_server, ci, orchestration, capsys):
    Stage.objects.filter(orchestration=orchestration, display_sequence=1).update(lifecycle_attr_value="")
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 2
    assert "needs the sales stage value it mirrors" in out
    assert cx_server.requests == []


def test_describe_mismatch_exits_2(cx_server, ci, orchestration, capsys):
    cx_server.remove_attribute("Stages", "ContainErrorsFlag")
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 2
    assert "pod metadata: Stages.ContainErrorsFlag: the pod's describe lists neither ContainErrorsFlag." in out
    assert "manage.py check_connection ci" in out
    assert cx_server.writes == []


def test_another_active_run_exits_3(cx_server, ci, orchestration, capsys):
    PublishRun.objects.create(orchestration=orchestration, status=PublishRunStatus.RUNNING, heartbeat_at=timezone.now())
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 3
    assert "is running" in out and "nothing was started" in out
    assert cx_server.requests == []


def test_partial_exits_4_and_resume_finishes(cx_server, ci, orchestration, capsys):
    cx_server.fail("POST", STAGES_PATH, status=502, times=3)
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 4
    assert "FAILED — Bad Gateway" in out
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", "--resume", "--json", capsys=capsys)
    assert code == 0
    assert [s["status"] for s in json.loads(out)["stages"]] == ["done"] * 3
    assert len(cx_server.store.stage_numbers(orchestration.number)) == 3
    # nothing left: --resume reports the finished run and exits 0
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", "--resume", capsys=capsys)
    assert code == 0


def test_wrong_password_exits_5(cx_server, ci, orchestration, monkeypatch, capsys):
    monkeypatch.setenv("CX_CI_PASSWORD", "wrong-password")
    code, out = run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    assert code == 5
    assert "Credentials for connection ci were refused (HTTP 401)" in out
    assert "wrong-password" not in out


def test_usage_errors(orchestration):
    with pytest.raises(CommandError, match="No orchestration numbered 'ORCH-NOPE'"):
        call_command("publish", "ORCH-NOPE")
    with pytest.raises(CommandError, match="never published to default: nothing to resume"):
        call_command("publish", orchestration.number, "--resume")
    with pytest.raises(CommandError, match="cannot be combined"):
        call_command("publish", orchestration.number, "--resume", "--dry-run")


def test_publish_to_the_sandbox_from_the_cli(orchestration, capsys):
    code, out = run_cli("publish", orchestration.number, capsys=capsys)
    assert code == 0
    assert "to connection default (sandbox://builtin)" in out


def test_pull_then_publish_sends_nothing(cx_server, ci, orchestration, capsys):
    run_cli("publish", orchestration.number, "--connection", "ci", capsys=capsys)
    number = orchestration.number
    stage_numbers = list(Stage.objects.filter(orchestration=orchestration).values_list("number", flat=True))
    orchestration.delete()  # a fresh machine: the draft only exists on the remote

    code, out = run_cli("pull_orchestration", number, "--connection", "ci", capsys=capsys)
    assert code == 0
    assert f"Created the draft {number} (3 stages" in out
    assert "publishing it now would send nothing" in out
    pulled = Orchestration.objects.get(number=number)
    assert list(Stage.objects.filter(orchestration=pulled).values_list("number", flat=True)) == stage_numbers
    assert pulled.remote_id == cx_server.store.get_orchestration(number).remote_id

    writes = len(cx_server.writes)
    code, out = run_cli("publish", number, "--connection", "ci", "--json", capsys=capsys)
    assert code == 0
    assert {s["action"] for s in json.loads(out)["stages"]} == {"unchanged"}
    assert len(cx_server.writes) == writes
    assert len(stage_posts(cx_server)) == 3


def test_pull_errors_change_nothing(cx_server, ci, capsys):
    with pytest.raises(CommandError, match="has no orchestration numbered 'ORCH-GONE'") as missing:
        call_command("pull_orchestration", "ORCH-GONE", "--connection", "ci")
    assert missing.value.returncode == 1
    cx_server.add_orchestration("ORCH-EMPTY")  # a header without stages is not a publishable draft
    with pytest.raises(CommandError, match="cannot be used as a draft") as invalid:
        call_command("pull_orchestration", "ORCH-EMPTY", "--connection", "ci")
    assert invalid.value.returncode == 2
    assert "has no stages yet" in capsys.readouterr().err
    assert not Orchestration.objects.exists()
