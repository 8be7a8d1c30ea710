"""Issue 7's 'done when': the demo published to a strict pod, edited (removing and relinking), published
again and pulled back, with the pod holding exactly the draft each time — through the built-in sandbox
(SANDBOX_PROFILE=strict) and through the CLI against the strict HTTP fake."""

import json

import pytest
from django.core.management import call_command

from orchestrator.models import Orchestration, PublishRunStatus, Stage, StageObjective, Step, StepObjectiveAssociation
from orchestrator.remote.emulator import CxEmulator
from orchestrator.remote.sandbox_store import DbStore
from orchestrator.roles import REVIEWER
from orchestrator.selectors import orchestration_tree
from orchestrator.services.pulling import orchestration_pull
from orchestrator.services.review import orchestration_approve
from orchestrator.validation import validate_orchestration
from tests.factories import make_user
from tests.fakes.cx_server import FakeCxServer

from .conftest import draft_view, export, publish, use_server

pytestmark = pytest.mark.django_db
DEMO = "ORCH-DEMO-B2B"


def edit_the_demo() -> None:
    """Remove a step, swap the workshop's success and failure links, move an objective to another step."""
    discover = Stage.objects.get(orchestration__number=DEMO, name="Discover")
    steps = {s.name: s for s in Step.objects.filter(stage=discover)}
    steps["Give the customer time to reply"].delete()
    workshop, recap, advance = steps["Discovery workshop"], steps["Send workshop recap"], steps["Move to Propose"]
    workshop.success_step, workshop.failure_step = recap, advance
    workshop.save()
    second = StageObjective.objects.get(stage=discover, display_sequence=2)
    StepObjectiveAssociation.objects.filter(step=workshop, objective=second).delete()
    StepObjectiveAssociation.objects.create(step=recap, objective=second)
    assert validate_orchestration(orchestration_tree(DEMO)) == []


def test_the_demo_on_the_strict_built_in_sandbox(settings):
    settings.SANDBOX_PROFILE = "strict"
    call_command("seed_demo", "--force", verbosity=0)  # the suite runs with DEBUG off
    pod = CxEmulator(DbStore(), profile="strict")
    demo = Orchestration.objects.get(number=DEMO)

    run = publish(demo, connection="default")
    assert run.status == PublishRunStatus.DONE, run.message
    assert run.compatibility["strategy"] == "stepwise"
    assert pod.contract_view(DEMO) == draft_view(DEMO)

    edit_the_demo()
    run = publish(demo, connection="default")
    assert run.status == PublishRunStatus.DONE, run.message
    assert pod.contract_view(DEMO) == draft_view(DEMO)

    before = export(demo)
    result = orchestration_pull(number=DEMO, connection_name="default")
    assert export(result.orchestration) == before and result.unchanged_stages == len(draft_view(DEMO))
    again = publish(result.orchestration, connection="default")
    assert again.status == PublishRunStatus.DONE
    assert set(again.journal.values_list("method", flat=True)) == {"GET"}  # nothing written


def cli(*args, capsys):
    try:
        call_command(*args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_the_demo_through_the_cli_against_the_strict_fake(monkeypatch, capsys):
    server = FakeCxServer(profile="strict").start()
    try:
        use_server(monkeypatch, server, name="pod")
        call_command("seed_demo", "--force", verbosity=0)  # the suite runs with DEBUG off
        capsys.readouterr()
        reviewer = make_user(REVIEWER)
        # The pod requires an approval (the default for a real pod): unapproved, the CLI sends nothing.
        code, out = cli("publish", DEMO, "--connection", "pod", capsys=capsys)
        assert code == 2 and server.requests == [], out
        orchestration_approve(orchestration=Orchestration.objects.get(number=DEMO), user=reviewer)

        code, out = cli("check_connection", "pod", capsys=capsys)
        assert code == 0, out
        assert "by ids" in out and "LifecycleAttributeValue" in out

        code, out = cli("publish", DEMO, "--connection", "pod", "--json", capsys=capsys)
        assert code == 0, out
        assert {s["strategy"] for s in json.loads(out)["stages"]} == {"stepwise"}
        assert server.contract_view(DEMO) == draft_view(DEMO)

        edit_the_demo()
        code, out = cli("publish", DEMO, "--connection", "pod", capsys=capsys)
        assert code == 2 and "changed since" in out, out  # stale: approved an earlier content
        orchestration_approve(orchestration=Orchestration.objects.get(number=DEMO), user=reviewer)
        code, out = cli("publish", DEMO, "--connection", "pod", capsys=capsys)
        assert code == 0, out
        assert server.contract_view(DEMO) == draft_view(DEMO)
        assert not [r for r in server.requests if r.method == "PATCH" and "StepObjectivesAssociations" in r.path]

        before = export(Orchestration.objects.get(number=DEMO))
        Orchestration.objects.filter(number=DEMO).delete()
        code, out = cli("pull_orchestration", DEMO, "--connection", "pod", capsys=capsys)
        assert code == 0, out
        assert export(Orchestration.objects.get(number=DEMO)) == before
        # A new draft (the old one and its approvals were deleted): approved again before it goes out.
        orchestration_approve(orchestration=Orchestration.objects.get(number=DEMO), user=reviewer)

        writes = len(server.writes)
        code, out = cli("publish", DEMO, "--connection", "pod", capsys=capsys)
        assert code == 0 and server.writes[writes:] == []
        assert "Nothing to send" in out
    finally:
        server.stop()
