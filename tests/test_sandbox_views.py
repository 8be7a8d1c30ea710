"""The sandbox page: what the built-in sandbox holds, and resetting it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import PublishedStage, PublishRun, PublishRunStatus
from orchestrator.models.sandbox import SandboxOrchestration, SandboxStage
from orchestrator.services.publishing import orchestration_publish
from tests.factories import build_orchestration
from tests.fakes.pod_http import SandboxPod, call, publish_stage
from tests.fakes.samples import orchestration_header, stage_document, strict_header

pytestmark = pytest.mark.django_db

URL = "/sandbox/"
RESET = "/sandbox/reset/"


def _client_for(user) -> Client:
    role_client = Client()
    role_client.force_login(user)
    return role_client


@pytest.fixture
def publisher_client(publisher):
    return _client_for(publisher)


@pytest.fixture
def designer_client(designer):
    return _client_for(designer)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def published(db):
    """An orchestration of three stages published to the built-in sandbox (the default connection)."""
    orch = build_orchestration(stages=3, name="Enterprise playbook")
    run = orchestration_publish(orchestration=orch)
    assert run.status == PublishRunStatus.DONE, run.message
    return orch


def test_the_urls_are_named():
    assert reverse("sandbox") == URL
    assert reverse("sandbox_reset") == RESET


def test_an_empty_sandbox_says_so(viewer_client):
    html = viewer_client.get(URL).content.decode()
    assert "The sandbox is empty. Publish an orchestration to default to see it here." in html


def test_the_sandbox_shows_what_was_published_as_an_outline_with_remote_ids(viewer_client, published):
    response = viewer_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    stored = SandboxOrchestration.objects.get(number=published.number)
    assert "1 orchestration, 3 stages." in html
    assert f"Enterprise playbook <code>{published.number}</code>" in html
    assert f"<dt>OrchestrationId</dt><dd>{stored.remote_id}</dd>" in html
    assert html.count('class="sandbox-stage"') == 3
    for stage in published.stages.order_by("display_sequence"):
        remote = SandboxStage.objects.get(orchestration=stored, number=stage.number)
        assert f"<code>{stage.number}</code> id {remote.remote_id}" in html
    positions = [html.index(f'<span class="stage-name">Stage {i}</span>') for i in (1, 2, 3)]
    assert positions == sorted(positions)  # display order
    assert html.count('<span class="stage-counts">2 objectives, 3 steps</span>') == 3
    assert "Serves Objective 1.1" in html
    assert '<span class="tag step-type">Next stage</span> <span class="step-name">Advance 1</span>' in html
    assert "Step task 2: activity template 300100000000101, activity 300100000000202, assigned to owner" in html
    assert reverse("designer", args=[published.number]) in html


def test_names_the_remote_holds_are_escaped(viewer_client, published):
    stage = SandboxStage.objects.filter(orchestration__number=published.number).first()
    stage.document = {**stage.document, "StageName": "<img src=x onerror=alert(1)>"}
    stage.save()
    html = viewer_client.get(URL).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_odd_documents_do_not_break_the_page(viewer_client, published):
    stage = SandboxStage.objects.filter(orchestration__number=published.number).first()
    stage.document = {"StageName": "Bare", "Steps": {"items": [{"OrchestrationStepName": "Lone", "StepType": "ODD"}]}}
    stage.save()
    response = viewer_client.get(URL)
    assert response.status_code == 200
    assert '<span class="tag step-type">ODD</span> <span class="step-name">Lone</span>' in response.content.decode()


def test_the_page_queries_do_not_grow_with_the_sandbox(viewer_client):
    def queries() -> int:
        viewer_client.get(URL)
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    orchestration_publish(orchestration=build_orchestration(stages=2))
    small = queries()
    orchestration_publish(orchestration=build_orchestration(stages=6))
    orchestration_publish(orchestration=build_orchestration(stages=4))
    assert queries() == small


def test_only_publishers_see_the_reset_control(viewer_client, designer_client, publisher_client):
    assert "Reset sandbox" not in viewer_client.get(URL).content.decode()
    assert "Reset sandbox" not in designer_client.get(URL).content.decode()
    assert "Reset sandbox" in publisher_client.get(URL).content.decode()


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reset_empties_the_sandbox_and_the_next_plan_creates_everything_again(publisher_client, published):
    assert PublishedStage.objects.filter(orchestration=published, connection_name="default").count() == 3
    response = publisher_client.post(RESET, {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == URL
    assert not SandboxOrchestration.objects.exists() and not SandboxStage.objects.exists()
    assert not PublishedStage.objects.filter(connection_name="default").exists()
    html = publisher_client.get(URL).content.decode()
    assert "Emptied the sandbox: removed 1 orchestration(s) and 3 stage(s)." in html
    assert "The sandbox is empty." in html
    plan = publisher_client.get(reverse("publish_page", args=[published.number])).content.decode()
    assert "3 to create, 0 to update, 0 to delete, 0 unchanged" in plan
    # and a publish really recreates it
    run = orchestration_publish(orchestration=published)
    assert run.status == PublishRunStatus.DONE
    assert SandboxStage.objects.count() == 3


def test_reset_without_the_confirmation_removes_nothing(publisher_client, published):
    response = publisher_client.post(RESET, {})
    assert response.status_code == 422
    assert "Nothing was removed: tick the box to confirm" in response.content.decode()
    assert SandboxStage.objects.count() == 3


def test_reset_is_for_publishers_with_a_csrf_token(designer_client, viewer_client, publisher, published):
    assert designer_client.post(RESET, {"confirm": "yes"}).status_code == 403
    assert viewer_client.post(RESET, {"confirm": "yes"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(publisher)
    assert strict.post(RESET, {"confirm": "yes"}).status_code == 403
    anonymous = Client().post(RESET, {"confirm": "yes"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert SandboxStage.objects.count() == 3
    assert PublishRun.objects.count() == 1


def test_reset_leaves_records_of_real_connections_alone(publisher_client, published, monkeypatch):
    PublishedStage.objects.filter(orchestration=published).update(connection_name="prod")
    monkeypatch.setenv("CX_CONNECTIONS", "prod")
    monkeypatch.setenv("CX_PROD_BASE_URL", "https://cx.example.com")
    assert publisher_client.post(RESET, {"confirm": "yes"}).status_code == 302
    assert PublishedStage.objects.filter(connection_name="prod").count() == 3


# -- the sandbox's pod profile ----------------------------------------------------------------------------------


@pytest.fixture
def sandbox_pod():
    pod = SandboxPod()
    try:
        yield pod
    finally:
        pod.close()


def _publish_by_hand(pod, number="ORCH-STRICT-1"):
    """Publish samples.stage_document as the active profile requires, with plain requests (no client code)."""
    header = strict_header(number) if pod.profile.name == "strict" else orchestration_header(number)
    created = call(pod, "POST", "/orchestrations", header)
    assert created.status_code == 201, created.text
    publish_stage(pod, number, stage_document(created.json()["OrchestrationId"]))


def test_the_page_says_which_profile_the_sandbox_plays(viewer_client, settings):
    assert "It plays the <strong>documented</strong> pod" in viewer_client.get(URL).content.decode()
    settings.SANDBOX_PROFILE = "strict"
    html = viewer_client.get(URL).content.decode()
    assert "It plays the <strong>strict</strong> pod" in html and "links by id" in html


def test_a_strict_orchestration_shows_as_the_same_outline(viewer_client, settings, sandbox_pod):
    settings.SANDBOX_PROFILE = "strict"
    _publish_by_hand(sandbox_pod)
    stored = SandboxStage.objects.get(number="ORCH-S1-STG")
    steps = {s["OrchestrationStepNumber"]: s for s in stored.document["Steps"]}
    html = viewer_client.get(URL).content.decode()
    assert "<dt>Stored as</dt><dd>strict</dd>" in html
    assert '<span class="muted">· 01 - Qualify ·</span>' in html  # LifecycleAttributeValue
    assert '<span class="stage-counts">2 objectives, 3 steps</span>' in html
    assert "Serves Budget confirmed" in html
    assert "On success: Wait two days · On failure: Stop" in html  # SuccessStepId / FailureStepId
    task = steps["ORCH-S1-STP-1"]["StepTasks"][1]
    assert (
        "Step task 2: activity template 300100000100001, activity 300100000200002 "
        f'<span class="ids"><code>ORCH-S1-TSK-2</code> id {task["StepTasksId"]}</span>'
    ) in html
    first_step = html.index("<code>ORCH-S1-STP-1</code>")
    assert first_step < html.index("<code>ORCH-S1-TSK-2</code>") < html.index("<code>ORCH-S1-STP-2</code>")


def test_the_same_outline_in_the_documented_shape(viewer_client, sandbox_pod):
    _publish_by_hand(sandbox_pod, "ORCH-DOC-1")
    html = viewer_client.get(URL).content.decode()
    assert "<dt>Stored as</dt><dd>documented</dd>" in html
    assert "Serves Budget confirmed" in html and "On success: Wait two days · On failure: Stop" in html
    assert html.index("<code>ORCH-S1-STP-1</code>") < html.index("<code>ORCH-S1-TSK-2</code>")


def test_orchestrations_stored_by_the_other_profile_are_pointed_out(viewer_client, settings, sandbox_pod):
    settings.SANDBOX_PROFILE = "strict"
    _publish_by_hand(sandbox_pod)
    settings.SANDBOX_PROFILE = "documented"
    html = viewer_client.get(URL).content.decode()
    assert "1 orchestration below was stored by the other profile" in html
    assert '<dd>strict <span class="tag">not the active profile: reset the sandbox</span></dd>' in html


# -- every field of a step, in the designer's words (issue 11, item 7; newcomer finding 10) ----------------------


def _details_of(html: str, step_number: str) -> str:
    """The step-details list that follows a step's number on the page."""
    start = html.index(f"<code>{step_number}</code>")
    block = html[start : html.index("</dl>", start)]
    assert '<dl class="step-details">' in block, "the step shows no details"
    return block


def test_an_edit_made_in_the_designer_can_be_checked_on_the_sandbox_page(viewer_client, published):
    step = published.stages.order_by("display_sequence").first().steps.get(display_sequence=1)
    details = _details_of(viewer_client.get(URL).content.decode(), step.number)
    assert "<dt>Grace period (hours)</dt><dd>48</dd>" in details
    step.grace_period = 96
    step.suggestion_text = "Ask about the budget owner"
    step.allow_skip = True
    step.version += 1
    step.save()
    run = orchestration_publish(orchestration=published)
    assert run.status == PublishRunStatus.DONE, run.message
    details = _details_of(viewer_client.get(URL).content.decode(), step.number)
    assert "<dt>Grace period (hours)</dt><dd>96</dd>" in details
    assert "<dt>Suggestion for the rep</dt><dd>Ask about the budget owner</dd>" in details
    assert "<dt>Allow skip</dt><dd>yes</dd>" in details
    assert "<dt>Execution method</dt><dd>Manual</dd>" in details
    assert "<dt>Activity template ID</dt><dd>300100000000101</dd>" in details
    assert "Wait for replies" not in details  # not a Task step's setting: not sent, so not held


def test_a_strict_pods_step_fields_are_read_back_in_the_contracts_words(viewer_client, settings, sandbox_pod):
    settings.SANDBOX_PROFILE = "strict"
    _publish_by_hand(sandbox_pod)
    stored = SandboxStage.objects.get(number="ORCH-S1-STG")
    raw = next(s for s in stored.document["Steps"] if "SuccessCriteria" in s)
    assert "activityStatus" not in raw["SuccessCriteria"]  # the pod keeps the LOB base64
    details = _details_of(viewer_client.get(URL).content.decode(), raw["OrchestrationStepNumber"])
    assert "<dt>Success criteria</dt><dd>{&quot;activityStatus&quot;: &quot;COMPLETE&quot;}</dd>" in details
    assert "<dt>Grace period (hours)</dt><dd>48</dd>" in details


def test_assignees_and_objective_statuses_are_in_words(viewer_client, published):
    html = viewer_client.get(URL).content.decode()
    assert "assigned to owner" in html and "OWNER" not in html
    # Every generated objective is served by one step: MAPPED, and the page says what that means.
    assert '<span class="tag">MAPPED</span> <span class="muted status-note">a step serves it</span>' in html
    assert '<span class="tag">NEW</span> until a step serves it' in html  # the legend
    assert "team_member" not in html


def test_a_team_member_assignee_is_not_shown_as_a_code(viewer_client, published):
    from orchestrator.models import AssignedTo, StepTask

    task = StepTask.objects.filter(step__stage__orchestration=published).first()
    task.assigned_to = AssignedTo.TEAM_MEMBER
    task.version += 1
    task.save()
    assert orchestration_publish(orchestration=published).status == PublishRunStatus.DONE
    html = viewer_client.get(URL).content.decode()
    assert "assigned to team member" in html
    assert "team_member" not in html.lower()


def test_the_local_draft_is_named_as_such(viewer_client, published):
    html = viewer_client.get(URL).content.decode()
    link = reverse("designer", args=[published.number])
    assert f'<dt>Local draft</dt><dd><a href="{link}">Open {published.number} in the designer</a></dd>' in html
    assert "<dt>Draft</dt>" not in html


def test_ids_are_named_by_the_sandbox_connections_catalogue(viewer_client):
    import json

    from orchestrator import demo
    from orchestrator.services.catalogue import catalogue_refresh, catalogue_upload
    from orchestrator.services.documents import orchestration_import

    orch = orchestration_import(document=demo.demo_document()).orchestration
    assert orchestration_publish(orchestration=orch).status == PublishRunStatus.DONE
    html = viewer_client.get(URL).content.decode()
    assert f"<dt>Activity template ID</dt><dd>{demo.CALL_TEMPLATE}</dd>" in html  # no catalogue yet: the id

    assert catalogue_refresh(connection_name="default").status == "done"
    catalogue_upload(connection_name="default", content=json.dumps(demo.demo_catalogue_file()).encode())
    html = viewer_client.get(URL).content.decode()
    assert f"<dt>Activity template ID</dt><dd>Qualification call ({demo.CALL_TEMPLATE})</dd>" in html
    assert (
        f"Step task 1: activity template Qualification call ({demo.CALL_TEMPLATE}), "
        "activity Champion call (300100000020001), assigned to owner"
    ) in html
    assert "smart action Log call outcome (300100000030001)" in html
