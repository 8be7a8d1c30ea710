"""Refreshing a connection's reference catalogue from the pod: paging, both attribute readings, faults, the sandbox."""

import json

import pytest

from orchestrator import demo
from orchestrator.models import CatalogueEntry, CatalogueKind, JournalEntry, PublishReason, PublishRunStatus
from orchestrator.remote import ConnectionConfigError
from orchestrator.remote.connections import get_connection
from orchestrator.services.catalogue import catalogue_refresh
from orchestrator.services.remote_runs import remote_run_exit_code
from tests.fakes.cx_server import PASSWORD
from tests.fakes.fixtures import use_cx

pytestmark = pytest.mark.django_db


def _configure(monkeypatch, cx_server, name="ci"):
    use_cx(monkeypatch, cx_server, name)
    monkeypatch.setenv(f"CX_{name.upper()}_BUSINESS_UNIT_ID", demo.DEMO_BUSINESS_UNIT_ID)
    monkeypatch.setenv(f"CX_{name.upper()}_SALES_METHOD_ID", demo.DEMO_SALES_METHOD_ID)
    return name


def _entries(name, kind):
    return list(
        CatalogueEntry.objects.filter(connection_name=name, kind=kind).values_list("ref_id", "name", "position")
    )


def test_reads_every_page_of_templates_and_the_sales_stages(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.templates = [(300100000090000 + i, f"Template {i:03}", "") for i in range(1, 451)]
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.DONE, run.message
    assert remote_run_exit_code(run) == 0
    templates = _entries(name, CatalogueKind.ACTIVITY_TEMPLATE)
    assert len(templates) == 450
    assert templates[0] == ("300100000090001", "Template 001", 1)
    assert templates[-1] == ("300100000090450", "Template 450", 450)
    pages = [r for r in cx_server.requests if r.path.endswith("/activityTemplates")]
    assert [r.query.get("offset") for r in pages] == ["0", "200", "400"]
    stages = _entries(name, CatalogueKind.SALES_STAGE)
    assert [s[1] for s in stages] == [row[1] for row in demo.DEMO_SALES_STAGES]
    assert "450 activity template(s)" in run.message and "7 sales stage(s)" in run.message
    # Every exchange is in the journal of the run: three pages, the stages, two describes.
    assert JournalEntry.objects.filter(remote_run=run).count() == len(cx_server.requests) == 6


def test_the_other_attribute_reading_is_understood(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.template_fields = ("ActivityTemplateId", "Name", "TemplateDescription")
    cx_server.catalogue.stage_fields = ("StageId", "StageName", "DescriptionText")
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.DONE, run.message
    assert ("300100000010001", "Qualification call", 1) in _entries(name, CatalogueKind.ACTIVITY_TEMPLATE)
    assert _entries(name, CatalogueKind.SALES_STAGE)[0] == ("300100000060001", "01 - Qualify", 1)


def test_items_without_id_or_name_are_left_out_and_counted(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.templates = [(300100000090001, "Good", ""), (300100000090002, "", "")]
    run = catalogue_refresh(connection_name=name)
    assert [e[1] for e in _entries(name, CatalogueKind.ACTIVITY_TEMPLATE)] == ["Good"]
    assert "1 item(s) without an id or a name were left out" in run.message


def test_a_401_is_reported_as_refused_credentials_and_nothing_changes(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    assert catalogue_refresh(connection_name=name).status == PublishRunStatus.DONE
    before = list(CatalogueEntry.objects.values_list("kind", "ref_id", "name", "refreshed_at"))
    monkeypatch.setenv("CX_CI_PASSWORD", "wrong-password")
    run = catalogue_refresh(connection_name=name)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.CREDENTIALS)
    assert "refused the credentials (HTTP 401)" in run.message
    assert "left as it was" in run.message
    assert remote_run_exit_code(run) == 5
    assert list(CatalogueEntry.objects.values_list("kind", "ref_id", "name", "refreshed_at")) == before
    assert "wrong-password" not in run.message and PASSWORD not in run.message


def test_a_failure_on_a_later_page_stores_nothing(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.templates = [(300100000090000 + i, f"T{i}", "") for i in range(1, 301)]
    offsets = []
    original = cx_server.catalogue.handle

    def refuse_the_second_page(method, path, query, headers, body):
        offsets.append(query.get("offset"))
        if query.get("offset") == "200":
            return 400, {"Content-Type": "application/json"}, b'{"title": "Bad Request", "detail": "boom"}'
        return original(method, path, query, headers, body)

    cx_server.catalogue.handle = refuse_the_second_page
    run = catalogue_refresh(connection_name=name)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.REMOTE)
    assert offsets == ["0", "200"]  # the first page answered; it must not be stored on its own
    assert not CatalogueEntry.objects.exists()


def test_a_pod_that_says_more_follow_but_sends_none_is_refused(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    empty = b'{"items": [], "count": 0, "hasMore": true, "limit": 200, "offset": 0}'
    cx_server.catalogue.handle = lambda *args: (200, {"Content-Type": "application/json"}, empty)
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.FAILED and "hasMore" in run.message


def test_an_unavailable_pod_is_retried_then_reported(monkeypatch, cx_server, settings):
    name = _configure(monkeypatch, cx_server)
    cx_server.fail("GET", r"/activityTemplates$", status=503, times=10)
    run = catalogue_refresh(connection_name=name)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.UNAVAILABLE)
    assert not CatalogueEntry.objects.exists()


def test_without_a_sales_method_only_templates_are_read_and_the_message_says_what_to_set(monkeypatch, cx_server):
    name = use_cx(monkeypatch, cx_server)
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.DONE
    assert not CatalogueEntry.objects.filter(kind=CatalogueKind.SALES_STAGE).exists()
    assert "set CX_CI_BUSINESS_UNIT_ID and CX_CI_SALES_METHOD_ID" in run.message


def test_an_unknown_sales_method_is_a_clear_refusal(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    monkeypatch.setenv("CX_CI_SALES_METHOD_ID", "999")
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.FAILED
    assert "404" in run.message or "No sales method" in run.message
    assert not CatalogueEntry.objects.exists()


def test_the_built_in_sandbox_serves_the_demo_catalogue():
    run = catalogue_refresh(connection_name="default")
    assert run.status == PublishRunStatus.DONE, run.message
    templates = dict(CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY_TEMPLATE).values_list("ref_id", "name"))
    for template in (demo.CALL_TEMPLATE, demo.MEETING_TEMPLATE, demo.TASK_TEMPLATE):
        assert str(template) in templates
    assert len(templates) == len(demo.DEMO_ACTIVITY_TEMPLATES)
    stages = set(CatalogueEntry.objects.filter(kind=CatalogueKind.SALES_STAGE).values_list("name", flat=True))
    demo_values = {stage["LifecycleAttrValue"] for stage in demo.demo_document()["Stages"]}
    assert demo_values <= stages


def test_a_refresh_replaces_the_previous_entries():
    catalogue_refresh(connection_name="default")
    CatalogueEntry.objects.filter(kind=CatalogueKind.ACTIVITY_TEMPLATE).update(name="stale")
    catalogue_refresh(connection_name="default")
    assert not CatalogueEntry.objects.filter(name="stale").exists()


def test_an_unknown_connection_raises_before_anything_starts():
    with pytest.raises(ConnectionConfigError):
        catalogue_refresh(connection_name="nowhere")


def test_sales_method_ids_must_be_numbers():
    with pytest.raises(ConnectionConfigError, match="CX_SALES_METHOD_ID"):
        get_connection("default", {"CX_SALES_METHOD_ID": "1/../x"})


def test_a_refresh_that_collides_with_another_stores_nothing_and_says_so(monkeypatch):
    from django.db import IntegrityError

    from orchestrator.services import catalogue as service

    def collide(*args, **kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(service, "_replace", collide)
    run = catalogue_refresh(connection_name="default")
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.CONFLICT)
    assert "Another refresh" in run.message
    assert remote_run_exit_code(run) == 3


# -- the attributes of the orchestration's object (the describes) -----------------------------------


def _attributes(name, kind):
    return dict(CatalogueEntry.objects.filter(connection_name=name, kind=kind).values_list("name", "detail"))


@pytest.mark.parametrize(
    ("nested", "lengths"), [(True, "maxLength"), (False, "precision")], ids=["under-Resources", "node-at-top"]
)
def test_the_attributes_of_both_objects_are_read_from_either_describe_reading(monkeypatch, cx_server, nested, lengths):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.describe_nested, cx_server.catalogue.describe_lengths = nested, lengths
    run = catalogue_refresh(connection_name=name)
    assert run.status == PublishRunStatus.DONE, run.message
    opportunity = _attributes(name, CatalogueKind.OPPORTUNITY_ATTRIBUTE)
    assert opportunity["WinProb"] == "Win probability · number"
    assert opportunity["ForecastCategory"] == "Forecast category · string (30)"
    assert {"StatusCode", "Revenue", "CloseDate"} <= set(opportunity)
    lead = _attributes(name, CatalogueKind.LEAD_ATTRIBUTE)
    assert lead["Rank"] == "Rank · string (30)" and "WinProb" not in lead
    # Ids, who-columns and what the describe marks not updatable are not offered.
    for left_out in ("OptyId", "OptyNumber", "CreationDate", "CreatedBy", "LastUpdateDate"):
        assert left_out not in opportunity
    assert "LeadId" not in lead and "CreationDate" not in lead
    assert "13 opportunity attribute(s) and 9 lead attribute(s)" in run.message
    assert [r.path.rsplit("/", 2)[-2] for r in cx_server.requests[-2:]] == ["opportunities", "leads"]


def test_a_describe_s_updatable_false_wins_over_a_name_that_looks_settable(monkeypatch, cx_server):
    name = _configure(monkeypatch, cx_server)
    cx_server.catalogue.attributes["opportunities"] = [
        ("WinProb", "Win probability", "number", None, True),
        ("Revenue", "Revenue", "number", None, False),
        ("bad name", "Nameless", "string", 10, True),
    ]
    run = catalogue_refresh(connection_name=name)
    assert list(_attributes(name, CatalogueKind.OPPORTUNITY_ATTRIBUTE)) == ["WinProb"]
    assert "1 item(s) without an id or a name were left out" in run.message


def _refresh_then_break(monkeypatch, cx_server, **fault):
    name = _configure(monkeypatch, cx_server)
    assert catalogue_refresh(connection_name=name).status == PublishRunStatus.DONE
    before = list(CatalogueEntry.objects.order_by("pk").values_list("kind", "ref_id", "name", "refreshed_at"))
    cx_server.catalogue.templates = [(300100000090001, "Would be new", "")]
    cx_server.fail("GET", r"/leads/describe$", **fault)
    return name, before


def test_a_401_on_a_describe_leaves_the_whole_catalogue_as_it_was(monkeypatch, cx_server):
    name, before = _refresh_then_break(monkeypatch, cx_server, status=401)
    run = catalogue_refresh(connection_name=name)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.CREDENTIALS)
    assert "left as it was" in run.message
    after = list(CatalogueEntry.objects.order_by("pk").values_list("kind", "ref_id", "name", "refreshed_at"))
    assert after == before  # the templates read before the describe failed were not stored either


@pytest.mark.parametrize(
    "body", ["<html>gateway</html>", {"Resources": {"leads": {"title": "Lead"}}}, {"Resources": {"opportunities": {}}}]
)
def test_a_describe_without_an_attribute_list_stores_nothing(monkeypatch, cx_server, body):
    name, before = _refresh_then_break(monkeypatch, cx_server, status=200, body=body)
    run = catalogue_refresh(connection_name=name)
    assert (run.status, run.reason) == (PublishRunStatus.FAILED, PublishReason.REMOTE), run.message
    assert "describe of leads" in run.message and "left as it was" in run.message
    assert list(CatalogueEntry.objects.order_by("pk").values_list("kind", "ref_id", "name", "refreshed_at")) == before


def test_the_built_in_sandbox_knows_the_attributes_the_demo_s_field_updates_set():
    assert catalogue_refresh(connection_name="default").status == PublishRunStatus.DONE
    known = set(CatalogueEntry.objects.filter(kind=CatalogueKind.OPPORTUNITY_ATTRIBUTE).values_list("name", flat=True))
    used = set()
    for stage in demo.demo_document()["Stages"]:
        for step in stage["Steps"]:
            if step.get("FieldUpdateJson"):
                used |= set(json.loads(step["FieldUpdateJson"]))
    assert used == {"WinProb", "ForecastCategory"} and used <= known
