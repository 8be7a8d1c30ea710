"""The approval gate before a publish (issue 10, item 2), in the browser, in the CLI and in the worker.

A connection that requires an approval (the default for every connection but
the built-in sandbox) refuses content whose exact hash has no approval before
any request; one that does not asks for a confirmation naming what is
unapproved. What goes out is what was judged: the run pins the content hash,
and the bodies the fake CX received are the approved content.
"""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import PublishReason, PublishRun, PublishRunStatus, Stage
from orchestrator.services import drafts
from orchestrator.services.documents import dumps_document
from orchestrator.services.publish_gate import PublishGateRefused, publish_gate
from orchestrator.services.publishing import orchestration_publish, publish_execute, publish_start
from orchestrator.services.review import content_hash, live_document, orchestration_approve, review_comment_add
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def gated(monkeypatch, cx_server):
    """Connection `ci` to the fake CX server: a real pod, so approval is required (the default)."""
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    return "ci"


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def tree(orch):
    return selectors.orchestration_tree(orch.number)


def rename(orch, user, name="Renamed"):
    stage = Stage.objects.filter(orchestration=orch).order_by("display_sequence").first()
    drafts.stage_update(stage=stage, user=user, expected_version=stage.version, values={"name": name})


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# -- the service -------------------------------------------------------------------------------------------------


def test_the_gate_per_state_and_connection(orch, gated, reviewer, designer):
    unapproved = publish_gate(tree(orch), "ci")
    assert (unapproved.required, unapproved.refused, unapproved.needs_confirmation) == (True, True, False)
    assert unapproved.unapproved == "nobody has approved this content yet"
    assert unapproved.refusal == (
        "Not published: connection ci requires an approval of exactly the content it receives, and nobody has "
        "approved this content yet. Nothing was sent."
    )
    sandbox = publish_gate(tree(orch), "default")
    assert (sandbox.required, sandbox.refused, sandbox.needs_confirmation) == (False, False, True)
    assert sandbox.confirmation == (
        "Nobody has approved this content yet. Publish it anyway? (default does not require an approval.)"
    )
    with pytest.raises(PublishGateRefused) as caught:
        sandbox.check(confirmed=False)
    assert (caught.value.status, caught.value.field) == (422, "confirm_unapproved")
    sandbox.check(confirmed=True)

    orchestration_approve(orchestration=orch, user=reviewer)
    approved = publish_gate(tree(orch), "ci")
    assert approved.allowed and not approved.refused and approved.content_hash == content_hash(tree(orch))
    approved.check(confirmed=False)

    rename(orch, designer)
    stale = publish_gate(tree(orch), "ci")
    assert stale.refused
    assert stale.unapproved.startswith(f"it changed since {reviewer.username} approved it on ")
    assert stale.unapproved.endswith("(Stage renamed: “Stage 1” → “Renamed”)")

    review_comment_add(orchestration=orch, user=reviewer, body="Split the first stage.", requests_changes=True)
    requested = publish_gate(tree(orch), "ci")
    assert requested.refused and requested.unapproved.startswith(f"{reviewer.username} requested changes on ")
    assert "“Split the first stage.”" in requested.unapproved


# -- the browser ---------------------------------------------------------------------------------------------------


def test_a_gated_connection_shows_the_reason_and_a_link_to_the_review_instead_of_publish(orch, gated, publisher):
    html = client_for(publisher).get(reverse("publish_page", args=[orch.number]), {"connection": "ci"}).content.decode()
    assert 'id="publish-button"' not in html
    assert "Not publishable to ci yet:</strong> it requires an approval of exactly the content it receives" in html
    assert f'href="{reverse("review", args=[orch.number])}#decision">Open the review</a>' in html


def test_a_forced_post_to_a_gated_connection_is_409_with_the_reason_and_nothing_is_queued(
    orch, gated, publisher, cx_server
):
    c = client_for(publisher)
    response = c.post(reverse("publish_start", args=[orch.number]), {"connection": "ci"}, headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan">')
    assert "requires an approval of exactly the content it receives" in html
    assert not PublishRun.objects.exists() and cx_server.requests == []


def test_an_approved_publish_to_a_gated_connection_sends_exactly_the_approved_content(
    orch, gated, publisher, reviewer, cx_server
):
    approval = orchestration_approve(orchestration=orch, user=reviewer)
    c = client_for(publisher)
    assert (
        'id="publish-button"'
        in c.get(reverse("publish_page", args=[orch.number]), {"connection": "ci"}).content.decode()
    )
    response = c.post(reverse("publish_start", args=[orch.number]), {"connection": "ci"})
    run = PublishRun.objects.get()
    assert response.status_code == 302 and run.status == PublishRunStatus.DONE, run.message
    assert run.content_hash == approval.content_hash
    # What the fake CX received, read back as a contract document, is byte for byte the approved content.
    live = live_document(orchestration=orch, connection_name="ci")
    assert hashlib.sha256(dumps_document(live.document).encode()).hexdigest() == approval.content_hash
    bodies = [json.loads(r.body) for r in cx_server.requests if r.method == "POST" and r.path.endswith("/child/Stages")]
    assert [b["OrchestrationStageNumber"] for b in bodies] == [s.number for s in tree(orch).stages.all()]


def test_an_ungated_connection_asks_for_a_confirmation_that_names_what_is_unapproved(
    orch, publisher, reviewer, designer
):
    c = client_for(publisher)
    page = c.get(reverse("publish_page", args=[orch.number])).content.decode()
    assert 'name="confirm_unapproved"' in page
    assert "Nobody has approved this content yet. Publish it anyway? (default does not require an approval.)" in page
    url = reverse("publish_start", args=[orch.number])
    refused = c.post(url, {"connection": "default"}, headers=HTMX)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'id="confirm-error"' in html and "tick the box to publish it to default anyway" in html
    assert not PublishRun.objects.exists()
    # A confirmation of other content (the draft changed since the page was shown) is asked again.
    assert c.post(url, {"connection": "default", "confirm_unapproved": "0" * 64}).status_code == 422
    confirmed = c.post(url, {"connection": "default", "confirm_unapproved": content_hash(tree(orch))})
    assert confirmed.status_code == 302 and PublishRun.objects.get().status == PublishRunStatus.DONE
    # Approved content needs no confirmation; stale content names the change.
    orchestration_approve(orchestration=orch, user=reviewer)
    assert 'name="confirm_unapproved"' not in c.get(reverse("publish_page", args=[orch.number])).content.decode()
    rename(orch, designer)
    page = c.get(reverse("publish_page", args=[orch.number])).content.decode()
    assert f"It changed since {reviewer.username} approved it on" in page
    assert "(Stage renamed: “Stage 1” → “Renamed”)" in page


def test_the_worker_refuses_a_draft_that_changed_after_the_gate(orch, gated, reviewer, designer, cx_server):
    orchestration_approve(orchestration=orch, user=reviewer)
    gate = publish_gate(tree(orch), "ci")
    run, _ = publish_start(orchestration=orch, connection_name="ci", content_hash=gate.content_hash)
    rename(orch, designer)  # between the click and the worker
    run = publish_execute(run=run)
    assert (run.status, run.reason) == (PublishRunStatus.REFUSED, PublishReason.APPROVAL)
    assert "Nothing was sent" in run.message and cx_server.requests == []


# -- the CLI ------------------------------------------------------------------------------------------------------


def cli(*args, capsys) -> tuple[int, str]:
    try:
        call_command(*args)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_the_cli_honours_the_gate(orch, gated, reviewer, designer, cx_server, capsys):
    code, out = cli("publish", orch.number, "--connection", "ci", capsys=capsys)
    assert code == 2 and cx_server.requests == [] and not PublishRun.objects.exists()
    assert "requires an approval of exactly the content it receives, and nobody has approved" in out
    code, out = cli("publish", orch.number, "--connection", "ci", "--json", capsys=capsys)
    summary = json.loads(out)
    assert (code, summary["status"], summary["reason"], summary["exit_code"], summary["run_id"]) == (
        2,
        "refused",
        "approval",
        2,
        None,
    )
    assert summary["approval"] == {"required": True, "state": "none", "content_hash": content_hash(tree(orch))}
    # --dry-run still works, and says what a publish would meet.
    code, out = cli("publish", orch.number, "--connection", "ci", "--dry-run", capsys=capsys)
    assert code == 0 and cx_server.writes == []
    assert "  approval: a publish would be refused: connection ci requires an approval" in out

    orchestration_approve(orchestration=orch, user=reviewer)
    code, out = cli("publish", orch.number, "--connection", "ci", capsys=capsys)
    assert code == 0, out
    rename(orch, designer)
    code, out = cli("publish", orch.number, "--connection", "ci", "--yes", capsys=capsys)
    assert code == 2 and "it changed since" in out  # --yes confirms, it never lifts the gate


def test_the_cli_on_an_ungated_connection_needs_yes_or_an_answer(orch, capsys, monkeypatch):
    code, out = cli("publish", orch.number, capsys=capsys)
    assert code == 2 and "pass --yes to publish it anyway" in out and not PublishRun.objects.exists()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    code, out = cli("publish", orch.number, capsys=capsys)
    assert code == 2 and "not confirmed" in out
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out = cli("publish", orch.number, capsys=capsys)
    assert code == 0, out
    code, out = cli("publish", orch.number, "--yes", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["status"] == "done"


def test_orchestration_publish_without_a_pin_is_unchanged_for_services(orch, gated, cx_server):
    """The gate is the browser's and the CLI's: the service itself (tasks, tests) publishes what it reads."""
    run = orchestration_publish(orchestration=orch, connection_name="ci")
    assert run.status == PublishRunStatus.DONE and run.content_hash == content_hash(tree(orch))
