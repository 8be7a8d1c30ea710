"""Text that cannot be stored (issue 12, F6 and F7): a NUL character or a lone surrogate, refused plainly.

PostgreSQL refuses NUL in text (a 500 for a comment or an approval note, a
crash in import) and no database stores a lone surrogate such as "\\ud800"
(a traceback at the write, exit 1). SQLite took the NUL. Now every way text
enters — the forms, the review comment and approval note, import (and so
pull), the models themselves, the search box — refuses both with a message
that names the field or JSON path and never echoes the bad value.
"""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import Approval, Orchestration, ReviewComment, Stage, Step
from orchestrator.models.text import NUL_PROBLEM, SURROGATE_PROBLEM
from orchestrator.services.documents import DocumentInvalid, orchestration_document, orchestration_import
from orchestrator.services.review import orchestration_approve, review_comment_add
from tests.factories import build_orchestration
from tests.test_designer_endpoints import HTMX, step, step_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


@pytest.fixture
def reviewer_client(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def _document(orch) -> dict:
    return orchestration_document(selectors.orchestration_tree(orch.number))


# -- review comments and approval notes (F6) --------------------------------------------------------------------


def test_F6_a_nul_in_a_comment_is_refused_beside_the_field(reviewer_client, orch):
    url = reverse("review_comment", args=[orch.number])
    response = reviewer_client.post(url, {"body": "looks\x00 fine"}, **HTMX)
    assert response.status_code == 422
    assert f"This {NUL_PROBLEM}." in response.content.decode()
    assert not ReviewComment.objects.exists()


def test_F6_a_nul_in_an_approval_note_is_refused(reviewer_client, orch):
    url = reverse("review_approve", args=[orch.number])
    response = reviewer_client.post(url, {"note": "go\x00"}, **HTMX)
    assert response.status_code == 422
    assert f"This {NUL_PROBLEM}." in response.content.decode()
    assert not Approval.objects.exists()


@pytest.mark.parametrize(("text", "problem"), [("a\x00b", NUL_PROBLEM), ("a\ud800b", SURROGATE_PROBLEM)])
def test_F6_F7_the_review_services_refuse_unstorable_text(orch, reviewer, text, problem):
    with pytest.raises(ValidationError) as caught:
        review_comment_add(orchestration=orch, user=reviewer, body=text)
    assert caught.value.message_dict == {"body": [f"This {problem}."]}
    with pytest.raises(ValidationError) as caught:
        orchestration_approve(orchestration=orch, user=reviewer, note=text)
    assert caught.value.message_dict == {"note": [f"This {problem}."]}


# -- the models, the designer's forms, the search ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b", "\udfff"])
def test_F6_F7_the_models_refuse_unstorable_text(orch, text):
    stage = Stage.objects.filter(orchestration=orch).first()
    stage.name = text
    with pytest.raises(ValidationError) as caught:
        stage.full_clean()
    assert list(caught.value.message_dict) == ["name"]
    s = Step.objects.filter(stage=stage).first()
    s.suggestion_text = text
    with pytest.raises(ValidationError) as caught:
        s.full_clean()
    assert list(caught.value.message_dict) == ["suggestion_text"]


def test_F6_a_nul_in_a_designer_form_is_refused_beside_the_field(designer_client, orch):
    s = step(orch)
    url = reverse("step_edit", args=[orch.number, s.number])
    response = designer_client.post(url, step_data(s, name="Call\x00"), **HTMX)
    assert response.status_code == 422
    assert Step.objects.get(pk=s.pk).name == s.name


def test_F6_a_nul_in_the_search_box_is_a_message_not_a_500(designer_client, orch):
    response = designer_client.get(reverse("orchestration_list"), {"q": "Test\x00"})
    assert response.status_code == 200
    assert "cannot be searched for" in response.content.decode()


# -- import (F6, F7) ----------------------------------------------------------------------------------------------


def test_F6_a_nul_in_an_imported_name_is_refused_at_its_path(orch):
    document = _document(orch)
    document["OrchestrationName"] = "a\x00b"
    document["Stages"][1]["Steps"][0]["StepSuggestionText"] = "\x00"
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [
        ("$.OrchestrationName", f"This {NUL_PROBLEM}."),
        ("$.Stages[1].Steps[0].StepSuggestionText", f"This {NUL_PROBLEM}."),
    ]
    assert Orchestration.objects.get(pk=orch.pk).name == orch.name


def _import_file(tmp_path, text: str) -> tuple[CommandError, str]:
    path = tmp_path / "hostile.json"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_orchestration", str(path), stdout=io.StringIO(), stderr=err)
    return caught.value, err.getvalue()


def test_F7_a_lone_surrogate_in_an_import_file_exits_2_with_a_clear_message(orch, tmp_path):
    document = _document(orch)
    document["Stages"][0]["StageName"] = "PLACEHOLDER"
    text = json.dumps(document).replace("PLACEHOLDER", "Qualify \\ud800")  # the escape, as a hostile file has it
    error, stderr = _import_file(tmp_path, text)
    assert error.returncode == 2
    assert stderr == f"$.Stages[0].StageName: This {SURROGATE_PROBLEM}.\n"
    stderr.encode("utf-8")  # what reaches a real terminal never carries the surrogate itself


def test_F7_a_lone_surrogate_in_a_key_is_refused_without_echoing_it(orch, tmp_path):
    text = json.dumps(_document(orch)).replace('"FormatVersion"', '"\\udc00": 1, "FormatVersion"', 1)
    error, stderr = _import_file(tmp_path, text)
    assert error.returncode == 2
    assert stderr == f"$: A key of this object {SURROGATE_PROBLEM}.\n"


def test_F6_a_nul_in_an_import_file_exits_2(orch, tmp_path):
    document = _document(orch)
    document["Stages"][0]["StageObjectives"][0]["ObjectiveName"] = "Budget\x00"
    error, stderr = _import_file(tmp_path, json.dumps(document))
    assert error.returncode == 2
    assert stderr == f"$.Stages[0].StageObjectives[0].ObjectiveName: This {NUL_PROBLEM}.\n"
