"""Public numbers (issue 12, F1): one validator for every way a number enters, URLs only from safe values.

A number is a path segment of the designer's URLs and of the CX Sales REST
paths, so it keeps to letters, digits, dots, dashes and underscores, starts
with a letter or digit (no "." or ".." segment) and has at most 64
characters. The same `validate_public_number` guards the models, the import
(and so the pull), and every form that takes one.
"""

import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import NoReverseMatch, reverse

from orchestrator import selectors
from orchestrator.forms import OrchestrationCreateForm
from orchestrator.models import Orchestration, Stage, Step
from orchestrator.models.numbers import NUMBER_RULE, validate_public_number
from orchestrator.services.documents import DocumentInvalid, orchestration_document, orchestration_import
from orchestrator.validation import validate_orchestration
from orchestrator.views.connections import PullForm
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

UNSAFE = [
    "a/b",
    "..",
    ".hidden",
    "a b?c#d",
    "<script>alert(1)</script>",
    "../../../x",
    "s/t?x",
    "../../ORCH-OTHER/archive/?",
    "x" * 65,
    "",
    "ORCH-1\n",
    "-lead",
    "ORCH%2F1",
    "ORCH\x00",
]
RESERVED = ["new", "NEW", "reorder", "bulk"]
SAFE = ["ORCH-DEMO-B2B", "ORCH-STG-7f3a9c21b4e0", "a.b_c-1", "7", "x" * 64]


def export(number: str) -> dict:
    return orchestration_document(selectors.orchestration_tree(number))


@pytest.mark.parametrize("number", UNSAFE + RESERVED)
def test_F1_the_one_validator_refuses_unsafe_and_reserved_numbers(number):
    with pytest.raises(ValidationError):
        validate_public_number(number)


@pytest.mark.parametrize("number", SAFE)
def test_F1_the_one_validator_accepts_safe_numbers(number):
    validate_public_number(number)


@pytest.mark.parametrize("number", ["a/b", "..", "new"])
def test_F1_models_refuse_unsafe_numbers(number):
    orch = build_orchestration(stages=1)
    stage = Stage(orchestration=orch, number=number, display_sequence=9, name="S", lifecycle_attr_value="S")
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert "number" in caught.value.message_dict
    orch.number = number
    with pytest.raises(ValidationError) as caught:
        orch.full_clean()
    assert "number" in caught.value.message_dict


@pytest.mark.parametrize("number", ["a/b", "a b?c#d", "<script>alert(1)</script>", "new", "..", "ORCH-1\n"])
def test_F1_import_refuses_an_unsafe_orchestration_number_at_its_path(number):
    document = export(build_orchestration(stages=1, number="ORCH-F1-SOURCE").number)
    document["OrchestrationNumber"] = number
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    paths = [path for path, _ in caught.value.problems]
    assert "$.OrchestrationNumber" in paths
    assert not Orchestration.objects.filter(number=number).exists()


@pytest.mark.parametrize("number", ["a/b", "../../../x", "s/t?x", "../../ORCH-OTHER/archive/?"])
def test_F1_import_refuses_unsafe_child_numbers_at_their_paths(number):
    source = build_orchestration(stages=1, number="ORCH-F1-CHILD")
    document = export(source.number)
    old = document["Stages"][0]["Steps"][0]["OrchestrationStepNumber"]
    document = json.loads(json.dumps(document).replace(json.dumps(old), json.dumps(number)))
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert ("$.Stages[0].Steps[0].OrchestrationStepNumber", NUMBER_RULE) in caught.value.problems
    assert not Step.objects.filter(number=number).exists()


def test_F1_the_import_command_exits_2_for_an_unsafe_number(tmp_path):
    document = export(build_orchestration(stages=1, number="ORCH-F1-CLI").number)
    document["OrchestrationNumber"] = "a/b"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_orchestration", str(path), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 2
    assert f"$.OrchestrationNumber: {NUMBER_RULE}" in err.getvalue()


@pytest.mark.parametrize("number", ["a/b", "new", "..", "a b"])
def test_F1_the_create_form_refuses_unsafe_numbers(number):
    form = OrchestrationCreateForm(data={"number": number, "name": "X", "object_code": "Opportunity"})
    assert not form.is_valid()
    assert "number" in form.errors


@pytest.mark.parametrize("number", ["a/b", "../../x", "a b"])
def test_F1_the_pull_form_refuses_unsafe_numbers(number):
    form = PullForm(data={"number": number, "connection": "default"})
    assert not form.is_valid()
    assert form.errors["number"] == [NUMBER_RULE]


def test_F1_urls_are_only_reversed_for_safe_numbers():
    for number in ("../../x", "..", "a b?c", "new\n"):
        with pytest.raises(NoReverseMatch):
            reverse("designer", args=[number])
    with pytest.raises(NoReverseMatch):
        reverse("step_objectives", args=["ORCH-1", "../../ORCH-2/archive/?"])
    assert (
        reverse("step_objectives", args=["ORCH-1", "ORCH-STP-1"])
        == "/orchestrations/ORCH-1/steps/ORCH-STP-1/objectives/"
    )


def test_F1_an_unsafe_number_in_a_url_is_not_found(designer_client):
    assert designer_client.get("/orchestrations/a%20b/").status_code == 404
    assert designer_client.get("/orchestrations/a%00b/").status_code == 404


def test_F1_the_list_survives_a_stored_unsafe_number(designer_client):
    """Rows written before the validator existed must not take the list down for everyone."""
    Orchestration.objects.bulk_create([Orchestration(number="a/b", name="Legacy slash")])
    response = designer_client.get(reverse("orchestration_list"))
    assert response.status_code == 200
    assert "Legacy slash" in response.content.decode()


def test_F1_a_stored_unsafe_child_number_never_reaches_a_url(designer_client):
    """A traversal number stored before the fix is reported as a problem and gets no URL at all."""
    orch = build_orchestration(stages=2, number="ORCH-F1-TRAVERSAL")
    other = build_orchestration(stages=1, number="ORCH-F1-VICTIM")
    step = orch.stages.get(display_sequence=1).steps.first()
    evil = f"../../{other.number}/archive/?"
    Step.objects.filter(pk=step.pk).update(number=evil)
    response = designer_client.get(reverse("designer", args=[orch.number]))
    assert response.status_code == 200
    urls = re.findall(r'(?:hx-post|hx-get|href|action)="([^"#][^"]*)"', response.content.decode())
    assert urls and not [url for url in urls if "../" in url or other.number in url]
    problems = validate_orchestration(selectors.orchestration_tree(orch.number))
    assert [p.code for p in problems if p.number == evil] == ["step.number_invalid"]


def test_F1_the_pull_command_refuses_an_unsafe_number_before_asking_the_remote():
    with pytest.raises(CommandError) as caught:
        call_command("pull_orchestration", "../../x", stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
    assert NUMBER_RULE in str(caught.value)


def test_F1_the_sandbox_page_survives_a_stored_unsafe_number(designer_client):
    from orchestrator.models import SandboxOrchestration

    Orchestration.objects.bulk_create([Orchestration(number="a/b", name="Legacy slash")])
    SandboxOrchestration.objects.create(number="a/b", remote_id=1, attributes={"OrchestrationName": "Legacy slash"})
    response = designer_client.get(reverse("sandbox"))
    assert response.status_code == 200
    assert "Legacy slash" in response.content.decode()
