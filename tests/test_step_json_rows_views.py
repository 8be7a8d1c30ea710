"""The step edit view with JSON settings as rows (issue 11, item 5): saved, refused beside the row, switched."""

import re

import pytest
from django.urls import reverse

from orchestrator.models import Step, StepType
from tests.factories import build_orchestration
from tests.test_designer_endpoints import HTMX
from tests.test_json_rows import DEMO, rows_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def orch():
    return build_orchestration(stages=1)


@pytest.fixture
def update_step(orch):
    step = orch.stages.get().steps.get(display_sequence=1)
    Step.objects.filter(pk=step.pk).update(
        step_type=StepType.FIELD_UPDATE, activity_template_id=None, grace_period=None, field_update_json=DEMO
    )
    step.refresh_from_db()
    return step


def _url(step):
    return reverse("step_edit", args=[step.stage.orchestration.number, step.number])


def _post(client, step, *rows, raw=DEMO, **extra):
    data = {
        "name": step.name,
        "step_type": step.step_type,
        "version": step.version,
        "success_step": "",
        "failure_step": "",
        "field_update_json": raw,
        **rows_data("field_update_json", *rows),
        **extra,
    }
    return client.post(_url(step), data, **HTMX)


def _row(body: str, auto_id: str, index: int) -> str:
    """The markup of one row (from its attribute label to the next row)."""
    start = body.index(f'for="{auto_id}-{index}-attribute"')
    end = body.find('<div class="json-row" data-json-row>', start)
    return body[start:end]


def test_rows_are_saved_as_json(designer_client, update_step):
    response = _post(
        designer_client, update_step, ("WinProb", "number", "55"), ("Hot", "boolean", "true"), ("", "text", "")
    )
    assert response.status_code == 200
    assert Step.objects.get(pk=update_step.pk).field_update_json == '{"WinProb": 55, "Hot": true}'


def test_opening_and_saving_unchanged_keeps_the_stored_bytes(designer_client, update_step):
    pretty = '{\n  "WinProb" : 40,\n  "ForecastCategory" : "PIPELINE"\n}'
    Step.objects.filter(pk=update_step.pk).update(field_update_json=pretty)
    update_step.refresh_from_db()
    page = designer_client.get(_url(update_step), **HTMX).content.decode()
    values = re.findall(r'name="field_update_json-(\d+)-(attribute|value)" value="([^"]*)"', page)
    assert values == [
        ("0", "attribute", "WinProb"),
        ("0", "value", "40"),
        ("1", "attribute", "ForecastCategory"),
        ("1", "value", "PIPELINE"),
        ("2", "attribute", ""),
        ("2", "value", ""),
    ]
    kinds = re.findall(r'name="field_update_json-\d+-kind"><option value="text"( selected)?>', page)
    assert kinds == ["", " selected", " selected"]  # a number, then text, and the blank row's default
    response = _post(
        designer_client,
        update_step,
        ("WinProb", "number", "40"),
        ("ForecastCategory", "text", "PIPELINE"),
        ("", "text", ""),
        raw=pretty.replace("\n", "\r\n"),
    )
    assert response.status_code == 200
    assert Step.objects.get(pk=update_step.pk).field_update_json == pretty


def test_a_bad_row_is_a_422_with_the_message_beside_that_row(designer_client, update_step):
    response = _post(designer_client, update_step, ("WinProb", "number", "forty"), ("ForecastCategory", "text", "X"))
    assert response.status_code == 422
    body = response.content.decode()
    auto_id = f"step-{update_step.number}-field_update_json"
    bad, good = _row(body, auto_id, 0), _row(body, auto_id, 1)
    assert f'id="{auto_id}-0-error" class="field-error">Write a number such as 40' in bad
    # The value is marked invalid (and takes the focus); the whole row points at the message.
    value = re.search(r'<input[^>]*name="field_update_json-0-value"[^>]*>', bad).group(0)
    attribute = re.search(r'<input[^>]*name="field_update_json-0-attribute"[^>]*>', bad).group(0)
    assert 'aria-invalid="true"' in value and 'aria-invalid="true"' not in attribute
    assert f'aria-describedby="{auto_id}-0-error"' in value and f'aria-describedby="{auto_id}-0-error"' in attribute
    assert 'value="forty"' in bad  # what was typed is kept
    assert "field-error" not in good and "aria-invalid" not in good
    assert "Fix the rows marked below." in body
    # The hidden JSON text area does not claim the error (the focus goes to the row).
    textarea = re.search(r"<textarea[^>]*>", body).group(0)
    assert "aria-invalid" not in textarea
    assert Step.objects.get(pk=update_step.pk).field_update_json == DEMO


def test_a_duplicate_attribute_is_refused_on_its_second_row(designer_client, update_step):
    response = _post(designer_client, update_step, ("WinProb", "number", "1"), ("WinProb", "number", "2"))
    assert response.status_code == 422
    body = response.content.decode()
    assert "already set in row 1" in _row(body, f"step-{update_step.number}-field_update_json", 1)


def test_bad_json_in_the_advanced_editor_is_a_422_beside_the_text_area(designer_client, update_step):
    response = _post(designer_client, update_step, raw='{"WinProb": ', **{"field_update_json-mode": "json"})
    assert response.status_code == 422
    body = response.content.decode()
    assert re.search(r'<textarea[^>]*aria-invalid="true"', body)
    assert f'id="step-{update_step.number}-field_update_json_error" class="field-error">This is not valid JSON' in body


def test_switching_to_json_shows_the_rows_as_json_without_saving(designer_client, update_step):
    query = {
        "name": update_step.name,
        "step_type": "FIELD_UPDATE",
        "version": update_step.version,
        "field_update_json": DEMO,
        **rows_data("field_update_json", ("WinProb", "number", "70"), mode="json", shown="rows"),
    }
    response = designer_client.get(_url(update_step), query, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    field_update = body[: body.index("success_criteria_setting")]  # its fieldset comes first
    assert "{&quot;WinProb&quot;: 70}</textarea>" in field_update
    assert 'value="json" checked' in field_update and 'value="rows" checked' not in field_update
    assert Step.objects.get(pk=update_step.pk).field_update_json == DEMO


def test_json_the_rows_cannot_show_opens_in_the_advanced_editor(designer_client, update_step):
    Step.objects.filter(pk=update_step.pk).update(field_update_json='{"Owner": {"PartyId": 1}}')
    body = designer_client.get(_url(update_step), **HTMX).content.decode()
    body = body[: body.index("success_criteria_setting")]
    assert "This JSON cannot be shown as rows (it nests lists or objects): edit it here." in body
    assert 'value="json" checked' in body and 'value="rows" checked' not in body


def test_a_viewer_cannot_save_rows(viewer_client, update_step):
    response = _post(viewer_client, update_step, ("WinProb", "number", "1"))
    assert response.status_code == 403
    assert Step.objects.get(pk=update_step.pk).field_update_json == DEMO


def test_anonymous_cannot_save_rows(client, update_step):
    response = _post(client, update_step, ("WinProb", "number", "1"))
    assert response.status_code in (302, 403)
    assert Step.objects.get(pk=update_step.pk).field_update_json == DEMO


def test_both_settings_at_the_most_rows_shown_still_post_within_djangos_field_limit(designer_client, update_step):
    from orchestrator.json_rows import ROWS_MAX

    update = "{" + ", ".join(f'"Field{i}": {i}' for i in range(ROWS_MAX)) + "}"
    criteria = "{" + ", ".join(f'"Check{i}": "ok"' for i in range(ROWS_MAX)) + "}"
    Step.objects.filter(pk=update_step.pk).update(field_update_json=update, success_criteria=criteria)
    update_step.refresh_from_db()
    body = designer_client.get(_url(update_step), **HTMX).content.decode()
    assert body.count("data-json-row>") == 2 * (ROWS_MAX + 1) + 2  # the rows, a blank one each, two templates
    data = {
        "name": update_step.name,
        "step_type": update_step.step_type,
        "version": update_step.version,
        "success_step": "",
        "failure_step": "",
        "field_update_json": update,
        "success_criteria": criteria,
        **rows_data("field_update_json", *[(f"Field{i}", "number", str(i)) for i in range(ROWS_MAX)], ("", "text", "")),
        **rows_data("success_criteria", *[(f"Check{i}", "text", "ok") for i in range(ROWS_MAX)], ("", "text", "")),
    }
    response = designer_client.post(_url(update_step), data, **HTMX)
    assert response.status_code == 200
    saved = Step.objects.get(pk=update_step.pk)
    assert (saved.field_update_json, saved.success_criteria) == (update, criteria)
