"""`manage.py sync_outreach_stages` and `manage.py import_outreach_stages`: output and exit codes."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orchestrator.models import Orchestration, RemoteRun, RemoteRunKind
from tests.factories import build_orchestration
from tests.fakes.fixtures import use_outreach

pytestmark = pytest.mark.django_db


def cli(capsys, *args):
    """(exit code, stdout, stderr or the CommandError's message)."""
    error = ""
    try:
        call_command(*args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:  # what manage.py prints to stderr before exiting with its return code
        code, error = exc.returncode, str(exc)
    out = capsys.readouterr()
    return code, out.out, out.err + error


@pytest.fixture
def orch(outreach_server):
    outreach_server.add_stage("Stage 2", order=7)
    outreach_server.add_stage("Lost", order=9, is_closed=True)
    return build_orchestration(stages=2)


def test_dry_run_prints_the_plan_and_writes_nothing(outreach_server, ci, orch, capsys):
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci", "--dry-run")
    assert code == 0 and outreach_server.writes == []
    assert f"Dry run of the sync of {orch.number} to Outreach connection ci ({outreach_server.api_url})" in out
    assert "Create       Stage 1" in out and "↔ new" in out
    assert "Update       Stage 2" in out and "↔ Outreach 1: order 7 → 2" in out
    assert "Extra, kept  — ↔ Outreach 2 “Lost”" in out
    assert out.rstrip().endswith("Nothing was written. (exit 0)")


def test_json_summary_and_the_second_run(outreach_server, ci, orch, capsys):
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["exit_code"] == 0 and summary["status"] == "done" and not summary["dry_run"]
    assert summary["counts"] == {"create": 1, "update": 1, "unchanged": 0, "extra": 1, "delete": 0}
    assert [(s["action"], s["status"]) for s in summary["stages"]] == [
        ("create", "done"),
        ("update", "done"),
        ("extra", "skipped"),
    ]
    assert summary["stages"][0]["remote_id"] == 3
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci", "--json")
    assert json.loads(out)["counts"] == {"create": 0, "update": 0, "unchanged": 2, "extra": 1, "delete": 0}


def test_delete_extra_deletes_what_matches_nothing(outreach_server, ci, orch, capsys):
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci", "--delete-extra")
    assert code == 0 and "Delete       — ↔ Outreach 2 “Lost” — done" in out
    assert outreach_server.stage_names() == ["Stage 1", "Stage 2"]


def test_exit_codes(outreach_server, ci, orch, capsys, monkeypatch):
    outreach_server.refuse_stage("Stage 1", "not allowed")
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci")
    assert code == 4 and "REFUSED: name: not allowed" in out and "(exit 4)" in out

    orch.stages.filter(name="Stage 2").update(name="stage 1")
    assert cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci")[0] == 2

    orch.stages.filter(name="stage 1").update(name="Stage 2")
    RemoteRun.objects.create(kind=RemoteRunKind.OUTREACH_SYNC, system="outreach", orchestration=orch, status="running")
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci")
    assert code == 3 and "Another sync" in out
    RemoteRun.objects.filter(status="running").update(status="done")

    use_outreach(monkeypatch, outreach_server, token="wrong")
    code, out, _ = cli(capsys, "sync_outreach_stages", orch.number, "--connection", "ci")
    assert code == 5 and "refused the token" in out

    assert cli(capsys, "sync_outreach_stages", orch.number, "--connection", "nowhere")[0] == 5
    assert cli(capsys, "sync_outreach_stages", "ORCH-NOPE")[0] == 1


def test_import_creates_the_draft_and_lists_its_stages(outreach_server, ci, capsys):
    outreach_server.add_stage("Prospect", order=1, color="#4E79A7")
    outreach_server.add_stage("Closed Won", order=2, is_closed=True)
    code, out, _ = cli(
        capsys, "import_outreach_stages", "--connection", "ci", "--number", "ORCH-OUT-1", "--name", "Outreach playbook"
    )
    assert code == 0
    assert "1. Prospect (Outreach 1)" in out and "2. Closed Won (Outreach 2)" in out
    assert "Created the draft Outreach playbook (ORCH-OUT-1) with 2 stage(s)" in out
    orch = Orchestration.objects.get(number="ORCH-OUT-1")
    assert list(orch.stages.values_list("name", "outreach_color", "outreach_is_closed")) == [
        ("Prospect", "#4e79a7", None),
        ("Closed Won", "", True),
    ]


def test_import_exit_codes(outreach_server, ci, capsys, monkeypatch):
    taken = build_orchestration(stages=1).number
    code, _, err = cli(capsys, "import_outreach_stages", "--connection", "ci", "--number", taken, "--name", "X")
    assert code == 2 and "already used" in err
    code, _, err = cli(capsys, "import_outreach_stages", "--connection", "ci", "--number", "ORCH-OUT-2", "--name", "X")
    assert code == 2 and "no opportunity stages" in err
    outreach_server.add_stage("Prospect", order=1)
    use_outreach(monkeypatch, outreach_server, token="wrong")
    code, _, err = cli(capsys, "import_outreach_stages", "--connection", "ci", "--number", "ORCH-OUT-2", "--name", "X")
    assert code == 5 and "refused the token" in err
    code, _, err = cli(
        capsys, "import_outreach_stages", "--connection", "nowhere", "--number", "ORCH-OUT-3", "--name", "X"
    )
    assert code == 5 and "Unknown Outreach connection" in err
