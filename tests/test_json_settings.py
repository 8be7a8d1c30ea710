"""JSON settings (issue 12, F3 and F12): FieldUpdateJson and SuccessCriteria are bounded in size and depth.

A rule CX Sales evaluates is a few hundred characters; these settings are
capped at JSON_TEXT_MAX characters and JSON_DEPTH_MAX levels of nesting, so a
hostile value can neither crash a parser (RecursionError: a 500 in the form,
a traceback in import) nor blow a review page up to megabytes. Every way in
says so plainly, and a value stored before the limits existed is a problem
in the panel, never a 500.
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
from orchestrator.models import Step, StepType
from orchestrator.models.text import JSON_DEPTH_MAX, JSON_TEXT_MAX
from orchestrator.services.documents import DocumentInvalid, orchestration_document, orchestration_import
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration
from tests.test_designer_endpoints import HTMX, step, step_data

pytestmark = pytest.mark.django_db

LIMITS = f"JSON settings may have at most {JSON_TEXT_MAX:,} characters and {JSON_DEPTH_MAX} levels of nesting."
HOSTILE = "[" * 5000 + "]" * 5000  # the report's value: RecursionError in json.loads
DEEP = "[" * (JSON_DEPTH_MAX + 1) + "]" * (JSON_DEPTH_MAX + 1)  # short, but deeper than any real rule
DEEP_OBJECT = '{"a": ' * (JSON_DEPTH_MAX + 1) + "1" + "}" * (JSON_DEPTH_MAX + 1)


def _big_object(length: int) -> str:
    """A valid JSON object of exactly `length` characters."""
    text = '{"Note": ""}'
    return text[:-2] + "x" * (length - len(text)) + text[-2:]


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


@pytest.fixture
def reviewer_client(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def _post_step(client, orch, s, **changes):
    url = reverse("step_edit", args=[orch.number, s.number])
    return client.post(url, step_data(s, **changes), **HTMX)


@pytest.mark.parametrize(("value", "reason"), [(HOSTILE, "characters long"), (DEEP, "levels deep")])
def test_F3_deep_success_criteria_in_the_step_form_is_a_clear_422(designer_client, orch, value, reason):
    s = step(orch)
    response = _post_step(designer_client, orch, s, success_criteria=value)
    assert response.status_code == 422
    body = response.content.decode()
    assert reason in body and LIMITS in body and ".." not in body
    assert Step.objects.get(pk=s.pk).success_criteria == ""


def test_F3_deep_field_update_json_in_the_step_form_is_a_clear_422(designer_client, orch):
    s = step(orch, 2)
    Step.objects.filter(pk=s.pk).update(step_type=StepType.FIELD_UPDATE, activity_template_id=None, grace_period=None)
    s.refresh_from_db()
    hostile = '{"a": ' * 5000 + "1" + "}" * 5000
    for value in (hostile, DEEP_OBJECT):
        response = _post_step(designer_client, orch, s, step_type="FIELD_UPDATE", field_update_json=value)
        assert response.status_code == 422
        assert LIMITS in response.content.decode()


def test_F3_json_at_the_limits_is_accepted(designer_client, orch):
    s = step(orch)
    at_depth = "[" * JSON_DEPTH_MAX + "]" * JSON_DEPTH_MAX
    assert _post_step(designer_client, orch, s, success_criteria=at_depth).status_code == 200
    s.refresh_from_db()
    assert _post_step(designer_client, orch, s, success_criteria=_big_object(JSON_TEXT_MAX)).status_code == 200


def test_F12_json_settings_are_bounded_in_size(designer_client, orch):
    s = step(orch)
    response = _post_step(designer_client, orch, s, success_criteria=_big_object(JSON_TEXT_MAX + 1))
    assert response.status_code == 422
    assert f"This is {JSON_TEXT_MAX + 1:,} characters long; {LIMITS}" in response.content.decode()


def test_F12_the_model_refuses_oversized_or_deep_json(orch):
    s = step(orch)
    for field in ("success_criteria", "field_update_json"):
        for value in (_big_object(2_000_000), DEEP):
            setattr(s, field, value)
            with pytest.raises(ValidationError) as caught:
                s.full_clean(validate_unique=False, validate_constraints=False)
            assert LIMITS in caught.value.message_dict[field][0]
            setattr(s, field, "")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (HOSTILE, f"This is {len(HOSTILE):,} characters long; {LIMITS}"),
        (DEEP, f"This nests more than {JSON_DEPTH_MAX} levels deep; {LIMITS}"),
        (_big_object(1_000_000), f"This is 1,000,000 characters long; {LIMITS}"),
    ],
    ids=["hostile", "deep", "one megabyte"],
)
def test_F3_F12_import_refuses_deep_or_huge_json_at_its_path(orch, tmp_path, value, message):
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    document["Stages"][0]["Steps"][0]["SuccessCriteria"] = value
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [("$.Stages[0].Steps[0].SuccessCriteria", message)]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exit_status:
        call_command("import_orchestration", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_status.value.returncode == 2
    assert f"$.Stages[0].Steps[0].SuccessCriteria: {message}" in err.getvalue()


def test_F3_a_stored_deep_value_is_a_problem_not_a_500(designer_client, reviewer_client, orch):
    """Stored through a path that skipped the checks (the admin before, a raw update): the pages still work."""
    s = step(orch)
    Step.objects.filter(pk=s.pk).update(success_criteria=HOSTILE)
    problems = validate_orchestration(selectors.orchestration_tree(orch.number))
    assert [(p.code, p.field) for p in problems] == [("step.success_criteria_invalid", "success_criteria")]
    assert LIMITS in problems[0].message
    assert designer_client.get(reverse("designer", args=[orch.number])).status_code == 200
    assert reviewer_client.get(reverse("review", args=[orch.number])).status_code == 200


def test_F3_a_deeply_nested_remote_body_in_the_journal_is_shown_as_text():
    from orchestrator.views.publish_support import pretty_body

    assert pretty_body(HOSTILE).startswith("[[[")
