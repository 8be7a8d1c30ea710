"""Integer settings (issue 12, F2 and F14): the contract's ranges on every database, said beside the field.

CX Sales stores days, hours, grace periods, ranks and display sequences as
NUMBER(9) and its ids as NUMBER(18): the models hold exactly these ranges, so
SQLite and PostgreSQL agree (SQLite would store 2**63 - 1, PostgreSQL refuses
2**31), and every way in (forms, bulk edits, import) answers with a message
beside the field or at the JSON path, never a 500.
"""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import Orchestration, Stage, Step, StepTask, StepType
from orchestrator.models.orchestration import NUMBER9_MAX, ORACLE_ID_MAX
from orchestrator.services.documents import DocumentInvalid, orchestration_document, orchestration_import
from orchestrator.services.remote_ids import as_int
from tests.factories import build_orchestration
from tests.test_designer_endpoints import HTMX, step, step_data, task

pytestmark = pytest.mark.django_db

NUMBER9_FIELDS = [
    (Step, "days_to_wait"),
    (Step, "hours_to_wait"),
    (Step, "grace_period"),
    (Step, "display_sequence"),
    (Stage, "display_sequence"),
    (Orchestration, "association_rank"),
]
ORACLE_ID_FIELDS = [
    (Step, "activity_template_id"),
    (Step, "smart_action_id"),
    (Step, "email_template_id"),
    (StepTask, "activity_template_id"),
    (StepTask, "activity_id"),
    (StepTask, "smart_action_id"),
]


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def _first(model):
    return model.objects.order_by("pk").first()


@pytest.mark.parametrize(("model", "field"), NUMBER9_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_F14_number9_fields_stop_at_nine_digits_on_every_database(orch, model, field):
    obj = _first(model)
    setattr(obj, field, NUMBER9_MAX)
    obj.full_clean(validate_unique=False, validate_constraints=False)
    setattr(obj, field, 2**31)  # SQLite stored this; PostgreSQL refused it
    with pytest.raises(ValidationError) as caught:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    assert caught.value.message_dict[field] == ["At most 999,999,999: CX Sales keeps this in 9 digits."]


@pytest.mark.parametrize(("model", "field"), ORACLE_ID_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_F14_oracle_ids_are_positive_and_at_most_18_digits(orch, model, field):
    obj = _first(model)
    setattr(obj, field, ORACLE_ID_MAX)
    obj.full_clean(validate_unique=False, validate_constraints=False)
    setattr(obj, field, ORACLE_ID_MAX + 1)
    with pytest.raises(ValidationError) as caught:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    assert caught.value.message_dict[field] == ["An Oracle id has at most 18 digits."]


def test_F14_the_step_form_says_the_limit_beside_the_field(designer_client, orch):
    wait = step(orch, 2)
    Step.objects.filter(pk=wait.pk).update(step_type=StepType.WAIT, activity_template_id=None, grace_period=None)
    wait.refresh_from_db()
    data = step_data(wait, step_type="WAIT", days_to_wait=str(2**31), hours_to_wait="")
    response = designer_client.post(reverse("step_edit", args=[orch.number, wait.number]), data, **HTMX)
    assert response.status_code == 422
    error = f'<small id="step-{wait.number}-days_to_wait_error" class="field-error">'
    assert f"{error}At most 999,999,999: CX Sales keeps this in 9 digits.</small>" in response.content.decode()
    assert Step.objects.get(pk=wait.pk).days_to_wait is None


def test_F14_the_step_task_form_says_the_limit_beside_the_field(designer_client, orch):
    t = task(orch)
    data = {
        "activity_template_id": str(ORACLE_ID_MAX + 1),
        "activity_id": str(t.activity_id),
        "smart_action_id": "",
        "assigned_to": t.assigned_to,
        "version": t.version,
    }
    response = designer_client.post(reverse("step_task_edit", args=[orch.number, t.number]), data, **HTMX)
    assert response.status_code == 422
    assert "An Oracle id has at most 18 digits." in response.content.decode()


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("GracePeriod", 2**31, "At most 999,999,999: CX Sales keeps this in 9 digits."),
        ("GracePeriod", 2**63, "At most 999,999,999: CX Sales keeps this in 9 digits."),
        ("ActivityTemplateId", 10**18, "An Oracle id has at most 18 digits."),
    ],
)
def test_F14_import_refuses_out_of_range_integers_at_their_paths(orch, attribute, value, message, tmp_path):
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    document["Stages"][0]["Steps"][0][attribute] = value  # the TASK step uses both
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [(f"$.Stages[0].Steps[0].{attribute}", message)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError) as exit_status:
        call_command("import_orchestration", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_status.value.returncode == 2


def test_F14_import_refuses_a_rank_beyond_nine_digits(orch):
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    document["AssociationRank"] = -(2**31)
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert caught.value.problems == [("$.AssociationRank", "At least -999,999,999: CX Sales keeps this in 9 digits.")]


def test_F14_remote_ids_that_no_column_can_hold_are_treated_as_unknown():
    assert as_int("300100000000101") == 300100000000101
    assert as_int(2**63) is None
    assert as_int(-(2**63) - 1) is None


# -- bulk edits (F2) -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [str(2**63), str(2**31), "1000000000"])
def test_F2_bulk_grace_period_out_of_range_is_422_beside_the_field(designer_client, orch, value):
    before = list(Step.objects.order_by("pk").values_list("grace_period", "version"))
    data = {"steps": [step(orch, 1).number, step(orch, 2).number], "grace_period": value}
    response = designer_client.post(reverse("steps_bulk", args=[orch.number]), data, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        '<small id="bulk-grace_period_error" class="field-error">'
        "At most 999,999,999: CX Sales keeps this in 9 digits.</small>"
    ) in body
    assert list(Step.objects.order_by("pk").values_list("grace_period", "version")) == before


@pytest.mark.parametrize("value", [str(2**63), str(ORACLE_ID_MAX + 1)])
def test_F2_bulk_activity_template_out_of_range_is_422_beside_the_field(designer_client, orch, value):
    data = {"step_tasks": [task(orch, 1).number], "activity_template_id": value}
    response = designer_client.post(reverse("step_tasks_bulk", args=[orch.number]), data, **HTMX)
    assert response.status_code == 422
    assert (
        '<small id="bulk-activity_template_id_error" class="field-error">An Oracle id has at most 18 digits.</small>'
    ) in response.content.decode()


def test_F2_a_service_refusal_of_a_bulk_edit_is_422_not_500(designer_client, orch, monkeypatch):
    """The view's error path itself (it crashed on a field-keyed ValidationError)."""
    from orchestrator.services import bulk

    def refuse(**kwargs):
        raise ValidationError({"grace_period": "Refused by the service."})

    monkeypatch.setattr(bulk, "steps_bulk_update", refuse)
    data = {"steps": [step(orch, 1).number], "grace_period": "5"}
    response = designer_client.post(reverse("steps_bulk", args=[orch.number]), data, **HTMX)
    assert response.status_code == 422
    assert "Refused by the service." in response.content.decode()
