"""A Field update's attribute names from the catalogue: one <datalist> per form, unknown names kept and flagged."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import CatalogueEntry, CatalogueKind, Orchestration, Step, StepType
from tests.factories import build_orchestration, catalogue_entry
from tests.test_designer_endpoints import HTMX, step

pytestmark = pytest.mark.django_db

FLAG = "“Foo” is not an attribute of Opportunity in the catalogue of default."


def _attributes(kind, names):
    CatalogueEntry.objects.bulk_create(
        [
            catalogue_entry(kind, name, name, position=place, detail=detail)
            for place, (name, detail) in enumerate(names, start=1)
        ]
    )


@pytest.fixture
def orch(db):
    orch = build_orchestration(stages=2)
    Step.objects.filter(pk=step(orch).pk).update(
        step_type=StepType.FIELD_UPDATE,
        activity_template_id=None,
        grace_period=None,
        field_update_json='{"WinProb": 40, "Foo": "x", "ForecastCategory": "PIPELINE"}',
    )
    return orch


@pytest.fixture
def opportunity_attributes(db):
    _attributes(
        CatalogueKind.OPPORTUNITY_ATTRIBUTE,
        [("WinProb", "Win probability · number"), ("ForecastCategory", "Forecast category · string (30)")],
    )
    _attributes(CatalogueKind.LEAD_ATTRIBUTE, [("Rank", "Rank · string (30)")])


def _form(client, orch, **query):
    response = client.get(reverse("step_edit", args=[orch.number, step(orch).number]), query, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _attribute_inputs(html):
    return re.findall(r'<input type="text" id="[^"]*-field_update_json-\d+-attribute"[^>]*>', html)


def test_the_rows_suggest_the_object_s_attributes_from_one_datalist(designer_client, orch, opportunity_attributes):
    html = _form(designer_client, orch)
    datalist_id = f"step-{step(orch).number}-field_update_json-attributes"
    assert html.count("<datalist") == 1
    assert (
        f'<datalist id="{datalist_id}"><option value="ForecastCategory" label="Forecast category · string (30)">'
        '</option><option value="WinProb" label="Win probability · number"></option></datalist>'
    ) in html
    inputs = _attribute_inputs(html)
    assert len(inputs) == 4  # three rows and the blank one
    assert all(f'list="{datalist_id}"' in tag for tag in inputs)
    assert "Rank" not in html  # a lead's attribute is not an opportunity's


def test_an_unknown_attribute_is_kept_and_flagged_beside_its_row(designer_client, orch, opportunity_attributes):
    html = _form(designer_client, orch)
    assert html.count(FLAG) == 1
    foo = next(tag for tag in _attribute_inputs(html) if 'value="Foo"' in tag)
    warning_id = re.search(r'id="([^"]*-1-warning)"', html).group(1)
    assert f'aria-describedby="{warning_id}"' in foo
    assert "is not an attribute of" not in html.replace(FLAG, "")  # known names are not flagged


def test_with_no_attributes_of_the_object_there_is_no_datalist_and_no_flag(designer_client, orch):
    _attributes(CatalogueKind.LEAD_ATTRIBUTE, [("Rank", "Rank · string (30)")])
    html = _form(designer_client, orch)
    assert "<datalist" not in html and " list=" not in html
    assert "is not an attribute of" not in html
    Orchestration.objects.filter(pk=orch.pk).update(object_code="Lead")
    html = _form(designer_client, orch)
    assert '<option value="Rank" label="Rank · string (30)">' in html
    assert "“WinProb” is not an attribute of Lead in the catalogue of default." in html


def test_success_criteria_rows_get_no_object_attributes(designer_client, orch, opportunity_attributes):
    Step.objects.filter(pk=step(orch).pk).update(
        step_type=StepType.TASK, field_update_json="", success_criteria='{"Foo": "x"}'
    )
    html = _form(designer_client, orch)
    assert "success_criteria-0-attribute" in html
    assert "<datalist" not in html and "is not an attribute of" not in html


def test_a_save_keeps_an_unknown_attribute_as_typed(designer_client, orch, opportunity_attributes):
    target = Step.objects.get(pk=step(orch).pk)
    url = reverse("step_edit", args=[orch.number, target.number])
    prefix = "field_update_json"
    data = {"name": target.name, "step_type": StepType.FIELD_UPDATE, "version": target.version}
    data |= {f"{prefix}-mode": "rows", f"{prefix}-shown": "rows"}
    data |= {f"{prefix}-0-attribute": "Foo", f"{prefix}-0-kind": "text", f"{prefix}-0-value": "y"}
    response = designer_client.post(url, data, **HTMX)
    assert response.status_code == 200, response.content.decode()[:300]
    target.refresh_from_db()
    assert target.field_update_json == '{"Foo": "y"}'


def test_the_form_costs_the_same_queries_with_no_attributes_and_with_many(designer_client, orch):
    counts = []
    for size in (0, 400):
        CatalogueEntry.objects.all().delete()
        _attributes(CatalogueKind.OPPORTUNITY_ATTRIBUTE, [(f"Attr{i}", "") for i in range(size)])
        with CaptureQueriesContext(connection) as ctx:
            html = _form(designer_client, orch)
        counts.append(len(ctx.captured_queries))
        assert html.count("<datalist") == (1 if size else 0)
    assert counts[0] == counts[1]
