"""`manage.py refresh_catalogue`: the publish commands' exit codes."""

import json

import pytest
from django.core.management import call_command

from orchestrator import demo
from orchestrator.models import CatalogueEntry, CatalogueKind
from tests.fakes.fixtures import use_cx

pytestmark = pytest.mark.django_db


def _run(*args):
    try:
        call_command("refresh_catalogue", *args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_refreshes_the_sandbox_and_stores_a_file(tmp_path, capsys):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(demo.demo_catalogue_file()))
    assert _run("--file", str(path)) == 0
    out = capsys.readouterr().out
    assert "28 activity template(s)" in out and "Stored from the file" in out
    assert CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY).count() == 6


def test_a_bad_file_exits_2_and_prints_the_lines(tmp_path, capsys):
    path = tmp_path / "catalogue.csv"
    path.write_text("kind,id,name\nactivity,x,Bad\n")
    assert _run("--file", str(path)) == 2
    assert "line 2: id 'x'" in capsys.readouterr().out
    assert not CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY).exists()


def test_refused_credentials_exit_5(monkeypatch, cx_server, capsys):
    name = use_cx(monkeypatch, cx_server)
    monkeypatch.setenv("CX_CI_PASSWORD", "nope")
    assert _run("--connection", name, "--json") == 5
    report = json.loads(capsys.readouterr().out)
    assert report["reason"] == "credentials" and report["exit_code"] == 5


def test_an_unknown_connection_exits_5(capsys):
    assert _run("--connection", "nowhere") == 5
    assert "Unknown connection" in capsys.readouterr().err
