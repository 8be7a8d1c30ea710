"""A stage's Outreach colour and closing flag: edited in the designer, kept in the document, never sent to CX Sales."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orchestrator import selectors
from orchestrator.demo import demo_document
from orchestrator.models import Stage
from orchestrator.services.documents import (
    DocumentInvalid,
    dumps_document,
    orchestration_document,
    orchestration_import,
    schema_problems,
)
from orchestrator.services.drafts import stage_update
from orchestrator.services.outreach_settings import keep_outreach_settings
from orchestrator.services.payload import build_stage_payloads
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.pulling import orchestration_pull
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def first_stage(orch) -> Stage:
    return orch.stages.get(display_sequence=1)


def edit_data(stage: Stage, **changes) -> dict:
    """The stage form as the browser posts it."""
    data = {
        "version": stage.version,
        "name": stage.name,
        "lifecycle_attr_value": stage.lifecycle_attr_value,
        "description": stage.description,
        "outreach_color_1": stage.outreach_color or "#4e79a7",
        "outreach_is_closed": {None: "unknown", True: "true", False: "false"}[stage.outreach_is_closed],
    }
    if stage.outreach_color:
        data["outreach_color_0"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def export(number: str) -> str:
    return dumps_document(orchestration_document(selectors.orchestration_tree(number)))


# -- the designer ---------------------------------------------------------------------------------------------------


def test_the_stage_form_offers_a_colour_that_may_stay_unset_and_the_closing_flag(designer_client):
    orch = build_orchestration(stages=1)
    stage = first_stage(orch)
    html = designer_client.get(reverse("stage_edit", args=[orch.number, stage.number]), headers=HTMX).content.decode()
    assert 'type="checkbox" name="outreach_color_0" aria-label="Give the stage a colour in Outreach"' in html
    assert 'type="color" name="outreach_color_1" value="#4e79a7" aria-label="Colour in Outreach"' in html
    assert '<option value="unknown" selected>Not set: Outreach keeps its own</option>' in html
    assert "style=" not in html and "<script" not in html and " onclick=" not in html


def test_a_designer_sets_and_clears_the_outreach_settings(designer_client):
    orch = build_orchestration(stages=1)
    stage = first_stage(orch)
    url = reverse("stage_edit", args=[orch.number, stage.number])
    response = designer_client.post(
        url,
        edit_data(stage, outreach_color_0="on", outreach_color_1="#E15759", outreach_is_closed="true"),
        headers=HTMX,
    )
    assert response.status_code == 200
    stage.refresh_from_db()
    assert (stage.outreach_color, stage.outreach_is_closed) == ("#e15759", True)
    html = response.content.decode()
    assert 'fill="#e15759"' in html and "closing stage" in html
    response = designer_client.post(
        url, edit_data(stage, outreach_color_0=None, outreach_is_closed="unknown"), headers=HTMX
    )
    stage.refresh_from_db()
    assert response.status_code == 200 and (stage.outreach_color, stage.outreach_is_closed) == ("", None)


def test_a_bad_colour_is_refused_beside_the_field(designer_client):
    orch = build_orchestration(stages=1)
    stage = first_stage(orch)
    url = reverse("stage_edit", args=[orch.number, stage.number])
    response = designer_client.post(url, edit_data(stage, outreach_color_0="on", outreach_color_1="red"), headers=HTMX)
    assert response.status_code == 422
    assert "Pick a colour (#rrggbb), or untick the box." in response.content.decode()
    stage.refresh_from_db()
    assert stage.outreach_color == ""


def test_the_service_validates_the_colour_too():
    stage = first_stage(build_orchestration(stages=1))
    with pytest.raises(ValidationError, match="#rrggbb"):
        stage_update(stage=stage, user=None, expected_version=stage.version, values={"outreach_color": "#AABBCC"})


# -- the document ---------------------------------------------------------------------------------------------------


def test_the_settings_travel_in_the_document_and_round_trip_byte_for_byte():
    orch = build_orchestration(stages=3)
    orch.stages.filter(display_sequence=1).update(outreach_color="#4e79a7", outreach_is_closed=False)
    orch.stages.filter(display_sequence=3).update(outreach_is_closed=True)
    first = export(orch.number)
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    assert [s.get("Outreach") for s in document["Stages"]] == [
        {"color": "#4e79a7", "isClosed": False},
        None,
        {"isClosed": True},
    ]
    assert list(document["Stages"][0])[-1] == "Outreach" and schema_problems(document) == []
    orch.stages.update(outreach_color="", outreach_is_closed=None)
    orchestration_import(document=document)
    assert export(orch.number) == first


def test_a_document_without_them_imports_and_capitals_are_kept_as_lower_case():
    document = demo_document()
    assert all("Outreach" not in stage for stage in document["Stages"])  # documents from before issue 8
    orch = orchestration_import(document=document).orchestration
    assert set(orch.stages.values_list("outreach_color", "outreach_is_closed")) == {("", None)}
    document["Stages"][0]["Outreach"] = {"color": "#AABBCC"}
    orchestration_import(document=document)
    assert first_stage(orch).outreach_color == "#aabbcc"


@pytest.mark.parametrize(
    ("outreach", "path"),
    [
        ({"color": "red"}, "$.Stages[0].Outreach.color"),
        ({"isClosed": "yes"}, "$.Stages[0].Outreach.isClosed"),
        ({"colour": "#aabbcc"}, "$.Stages[0].Outreach.colour"),
        ({}, "$.Stages[0].Outreach"),
    ],
)
def test_bad_settings_in_a_document_are_refused_with_their_path(outreach, path):
    document = demo_document()
    document["Stages"][0]["Outreach"] = outreach
    with pytest.raises(DocumentInvalid) as caught:
        orchestration_import(document=document)
    assert path in [p for p, _ in caught.value.problems]


def test_they_are_never_sent_to_cx_sales(cx_server, monkeypatch):
    orch = build_orchestration(stages=2)
    orch.stages.update(outreach_color="#4e79a7", outreach_is_closed=True)
    payloads = build_stage_payloads(selectors.orchestration_tree(orch.number))
    assert all("Outreach" not in str(p.document) and "outreach" not in str(p.document).lower() for p in payloads)
    from tests.publish.conftest import use_server

    use_server(monkeypatch, cx_server)
    run = orchestration_publish(orchestration=orch, connection_name="ci")
    assert run.status == "done", run.message
    sent = " ".join(r.body.decode() for r in cx_server.requests if r.body)
    assert "4e79a7" not in sent and "isClosed" not in sent and "Outreach" not in sent


def test_a_pull_from_cx_keeps_the_drafts_outreach_settings(cx_server, monkeypatch):
    from tests.publish.conftest import use_server

    use_server(monkeypatch, cx_server)
    orch = build_orchestration(stages=2)
    orch.stages.filter(display_sequence=2).update(outreach_color="#e15759", outreach_is_closed=False)
    assert orchestration_publish(orchestration=orch, connection_name="ci").status == "done"
    before = export(orch.number)
    result = orchestration_pull(number=orch.number, connection_name="ci")
    assert export(orch.number) == before and result.unchanged_stages == 2


def test_keeping_the_settings_leaves_the_given_document_alone():
    orch = build_orchestration(stages=1)
    orch.stages.update(outreach_color="#123456")
    document = orchestration_document(selectors.orchestration_tree(orch.number))
    bare = copy.deepcopy(document)
    del bare["Stages"][0]["Outreach"]
    kept = keep_outreach_settings(bare)
    assert kept["Stages"][0]["Outreach"] == {"color": "#123456"} and "Outreach" not in bare["Stages"][0]
    assert keep_outreach_settings(document)["Stages"][0] is document["Stages"][0]  # already has them: as it is
