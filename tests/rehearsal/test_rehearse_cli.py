"""`manage.py rehearse`: the plan, the run, --json, --cleanup and the exit codes."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orchestrator.models import RemoteRun
from tests.fakes.fixtures import use_b2c

from .conftest import OPPORTUNITY, QUALIFY

pytestmark = pytest.mark.django_db


def cli(capsys, *args):
    """(exit code, stdout, stderr or the CommandError's message)."""
    error = ""
    try:
        call_command(*args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code, error = exc.returncode, str(exc)
    out = capsys.readouterr()
    return code, out.out, out.err + error


def args(demo, *more):
    return ("rehearse", demo.number, "--stage", QUALIFY, "--record", str(OPPORTUNITY), "--cx-connection", "ci",
            "--b2c-connection", "ci", *more)  # fmt: skip


def test_dry_run_json_then_run_then_cleanup(demo, ci, cx_server, b2c_server, capsys):
    code, out, _ = cli(capsys, *args(demo, "--dry-run"))
    assert code == 0 and cx_server.writes == [] and b2c_server.writes == []
    assert "Dry run: a new rehearsal of" in out and "  —           Next stage: " in out
    assert out.rstrip().endswith("4 to create, 0 already there, 1 step(s) creating nothing. Nothing was sent. (exit 0)")

    code, out, _ = cli(capsys, *args(demo, "--json"))
    summary = json.loads(out)
    assert code == 0 and summary["exit_code"] == 0 and summary["status"] == "done"
    assert [(r["kind"], r["system"]) for r in summary["records"]] == [
        ("b2c_task", "b2c_service"),
        ("b2c_task", "b2c_service"),
        ("interaction", "cx_sales"),
        ("phone_call", "cx_sales"),
    ]
    assert all(r["id"] and r["link"] for r in summary["records"])
    rehearsal_id = summary["rehearsal_id"]

    code, out, _ = cli(capsys, *args(demo, "--dry-run"))
    assert f"Dry run: rehearsal #{rehearsal_id} (continued)" in out and "0 to create, 4 already there" in out

    code, out, _ = cli(capsys, *args(demo))
    assert code == 0 and "Nothing to create: the rehearsal holds all 4 record(s) already. (exit 0)" in out

    code, out, _ = cli(capsys, "rehearse", "--cleanup", str(rehearsal_id))
    assert code == 0 and "Cleaned up: 4 record(s) deleted. (exit 0)" in out
    assert b2c_server.tasks() == []


def test_exit_codes(demo, ci, b2c_server, capsys, monkeypatch):
    code, _, err = cli(capsys, "rehearse", demo.number, "--stage", QUALIFY, "--record", "x1")
    assert code == 2 and "--record: The test opportunity's id is a whole number" in err
    code, _, err = cli(capsys, "rehearse", demo.number, "--stage", "NOPE", "--record", "5")
    assert code == 2 and "--stage:" in err
    assert cli(capsys, "rehearse", "ORCH-NOPE", "--record", "5")[0] == 1
    assert cli(capsys, "rehearse", "--cleanup", "999")[0] == 1
    assert cli(capsys, "rehearse", "--cleanup", "abc")[0] == 1

    b2c_server.fail(
        "POST", r"/tasks$", status=400, body={"status": 400, "detail": "nope", "o:errorCode": "OSC-CREST-00012"}
    )
    code, out, _ = cli(capsys, *args(demo))
    assert code == 4 and "REFUSED" not in out and "✗ Refused: nope" in out

    RemoteRun.objects.create(kind="rehearsal", system="cx_sales", orchestration=demo, status="running")
    code, out, _ = cli(capsys, *args(demo))
    assert code == 3 and "Another run" in out
    RemoteRun.objects.filter(status="running").update(status="done")

    use_b2c(monkeypatch, b2c_server, password="wrong-password-123")
    code, out, _ = cli(capsys, *args(demo))
    assert code == 5 and "refused the credentials" in out
    code, out, _ = cli(capsys, *args(demo)[:-1], "nowhere")
    assert code == 5 and "Unknown B2C Service connection 'nowhere'" in out
