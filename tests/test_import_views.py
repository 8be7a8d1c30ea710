"""Import and export in the browser (issue 10, item 7): the report first, then create, replace or copy."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from orchestrator.models import Orchestration, Revision, RevisionAction, Stage
from orchestrator.selectors import orchestration_tree
from orchestrator.services import drafts
from orchestrator.services.documents import dumps_document, orchestration_document
from orchestrator.services.review import content_hash
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def client_for(user, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def exported(orch) -> str:
    return dumps_document(orchestration_document(orchestration_tree(orch.number)))


def upload(text: str, name="playbook.json"):
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return f


def test_export_downloads_the_document_byte_for_byte(orchestration, viewer):
    response = client_for(viewer).get(reverse("orchestration_export", args=[orchestration.number]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{orchestration.number}.json"'
    assert response.content.decode() == exported(orchestration)
    assert client_for(viewer).get(reverse("orchestration_export", args=["ORCH-NOPE"])).status_code == 404


def test_export_needs_login(orchestration, client):
    assert client.get(reverse("orchestration_export", args=[orchestration.number]))["Location"].startswith(
        reverse("login")
    )


def test_a_new_file_is_checked_then_created(designer):
    source = build_orchestration(stages=2)
    text = exported(source).replace(source.number, "ORCH-UPLOADED")
    doc = json.loads(text)
    for stage in doc["Stages"]:  # numbers of a different system
        stage["OrchestrationStageNumber"] += "-X"
        for key, items in (("StageObjectives", "StageObjectiveNumber"), ("Steps", "OrchestrationStepNumber")):
            for item in stage[key]:
                item[items] += "-X"
        for task in stage["StepTasks"]:
            task["StepTasksNumber"] += "-X"
            task["OrchestrationStepNumber"] += "-X"
        for a in stage["StepObjectivesAssociations"]:
            a["StepObjectiveAssocNumber"] += "-X"
            a["OrchestrationStepNumber"] += "-X"
            a["StageObjectiveNumber"] += "-X"
        for step in stage["Steps"]:
            for link in ("SuccessStepNumber", "FailureStepNumber"):
                if link in step:
                    step[link] += "-X"
    text = json.dumps(doc)
    c = client_for(designer)
    report = c.post(reverse("orchestration_import"), {"file": upload(text)})
    assert report.status_code == 200
    html = report.content.decode()
    assert "✓ The file can be imported: ORCH-UPLOADED (2 stages" in html and 'id="create-button"' in html
    assert not Orchestration.objects.filter(number="ORCH-UPLOADED").exists()  # the check wrote nothing
    response = c.post(reverse("orchestration_import_confirm"), {"document": text, "mode": "create"})
    assert response.status_code == 302 and response["Location"] == reverse("designer", args=["ORCH-UPLOADED"])
    assert Revision.objects.get(orchestration__number="ORCH-UPLOADED").action == RevisionAction.IMPORT


def test_replacing_shows_the_change_summary_first_and_refuses_a_draft_changed_since(orchestration, designer):
    doc = json.loads(exported(orchestration))
    doc["Stages"][0]["StageName"] = "From the file"
    text = json.dumps(doc)
    c = client_for(designer)
    html = c.post(reverse("orchestration_import"), {"file": upload(text)}).content.decode()
    assert f"A draft numbered <code>{orchestration.number}</code> exists" in html
    assert "Stage renamed: “Stage 1” → “From the file”." in html
    expected = content_hash(orchestration_tree(orchestration.number))
    assert f'name="expected_hash" value="{expected}"' in html
    stage = Stage.objects.get(orchestration=orchestration, display_sequence=2)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Meanwhile"})
    data = {"document": text, "mode": "replace", "expected_hash": expected}
    stale = c.post(reverse("orchestration_import_confirm"), data)
    assert stale.status_code == 409 and "changed since you read the summary" in stale.content.decode()
    assert Stage.objects.get(orchestration=orchestration, display_sequence=1).name == "Stage 1"
    data["expected_hash"] = content_hash(orchestration_tree(orchestration.number))
    assert c.post(reverse("orchestration_import_confirm"), data).status_code == 302
    assert Stage.objects.get(orchestration=orchestration, display_sequence=1).name == "From the file"
    assert (
        Revision.objects.filter(orchestration=orchestration).order_by("-number").first().action == RevisionAction.IMPORT
    )


def test_a_copy_gets_a_new_number_and_a_taken_number_is_refused_beside_the_field(orchestration, designer):
    text = exported(orchestration)
    c = client_for(designer)
    taken = c.post(
        reverse("orchestration_import_confirm"),
        {"document": text, "mode": "copy", "copy_number": orchestration.number},
    )
    assert taken.status_code == 422
    assert 'id="copy-error"' in taken.content.decode() and "is already used" in taken.content.decode()
    done = c.post(reverse("orchestration_import_confirm"), {"document": text, "mode": "copy", "copy_number": "ORCH-CP"})
    assert done.status_code == 302
    assert Stage.objects.filter(orchestration__number="ORCH-CP").count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "The file is not valid JSON"),
        ('{"FormatVersion": 1}', "is missing"),
    ],
)
def test_an_invalid_file_is_422_with_every_problem_and_nothing_imported(designer, content, message):
    response = client_for(designer).post(reverse("orchestration_import"), {"file": upload(content)})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Orchestration.objects.exists()


def test_no_file_or_a_big_one_is_422_beside_the_field(designer):
    c = client_for(designer)
    response = c.post(reverse("orchestration_import"), {})
    assert response.status_code == 422 and 'id="file-error"' in response.content.decode()
    response = c.post(reverse("orchestration_import"), {"file": upload(" " * 2_000_001)})
    assert response.status_code == 422 and "at most 2,000,000" in response.content.decode()
    response = c.post(reverse("orchestration_import_confirm"), {"document": "{}", "mode": "sideways"})
    assert response.status_code == 422


def test_import_roles_and_csrf(orchestration, reviewer, publisher, viewer, designer, client):
    text = exported(orchestration)
    for user in (reviewer, publisher, viewer):
        assert client_for(user).get(reverse("orchestration_import")).status_code == 403
        data = {"document": text, "mode": "replace", "expected_hash": "x"}
        assert client_for(user).post(reverse("orchestration_import_confirm"), data).status_code == 403
    assert client.get(reverse("orchestration_import"))["Location"].startswith(reverse("login"))
    strict = client_for(designer, enforce_csrf_checks=True)
    assert strict.post(reverse("orchestration_import"), {"file": upload(text)}).status_code == 403
    assert strict.post(reverse("orchestration_import_confirm"), {"document": text, "mode": "create"}).status_code == 403


def test_the_report_costs_the_same_at_two_tree_sizes(designer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(designer)
    counts = []
    for stages in (3, 30):
        orch = build_orchestration(stages=stages)
        doc = json.loads(exported(orch))
        doc["Stages"][0]["StageName"] = "Changed"
        with CaptureQueriesContext(connection) as ctx:
            assert c.post(reverse("orchestration_import"), {"file": upload(json.dumps(doc))}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_step_that_can_never_run_is_reported_like_any_rule(orchestration, designer):
    document = json.loads(exported(orchestration))
    steps = document["Stages"][0]["Steps"]
    steps[1]["DisplaySequence"], steps[2]["DisplaySequence"] = 3, 2  # the Next stage step above the meeting
    response = client_for(designer).post(reverse("orchestration_import"), {"file": upload(json.dumps(document))})
    assert response.status_code == 422
    html = response.content.decode()
    assert "$.Stages[0].Steps[1]" in html
    assert "Step “Meeting 1” can never run: the step before it, “Advance 1”, moves to another stage" in html
    assert [s.name for s in Stage.objects.get(pk=orchestration.stages.first().pk).steps.all()] == [
        "Call 1",
        "Meeting 1",
        "Advance 1",
    ]
