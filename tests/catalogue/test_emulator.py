"""The sandbox's emulated reference data: ADF paging, the demo's ids, read only."""

import json

from orchestrator import demo
from orchestrator.remote.url_safety import REST_ROOT
from orchestrator.sandbox.cx_catalogue_emulator import CxCatalogueEmulator
from orchestrator.sandbox.remotes import SandboxRemotes

STAGES = (
    f"{REST_ROOT}/crmBusinessUnits/{demo.DEMO_BUSINESS_UNIT_ID}/child/salesMethods/"
    f"{demo.DEMO_SALES_METHOD_ID}/child/SalesStage"
)


def _get(path, **query):
    status, _headers, body = CxCatalogueEmulator().handle("GET", path, {k: str(v) for k, v in query.items()}, {}, b"")
    return status, json.loads(body)


def test_templates_page_with_has_more_and_a_next_link():
    status, first = _get(f"{REST_ROOT}/activityTemplates", limit=10)
    assert status == 200
    assert (first["count"], first["hasMore"], first["offset"]) == (10, True, 0)
    assert first["items"][0]["TemplateId"] == demo.CALL_TEMPLATE
    assert first["items"][0]["TemplateName"] == "Qualification call"
    assert any(link["rel"] == "next" and "offset=10" in link["href"] for link in first["links"])
    _, last = _get(f"{REST_ROOT}/activityTemplates", limit=10, offset=20)
    assert (last["count"], last["hasMore"]) == (len(demo.DEMO_ACTIVITY_TEMPLATES) - 20, False)


def test_the_sales_method_s_stages_come_in_order_with_their_ids():
    status, page = _get(STAGES)
    assert status == 200
    assert [(i["StgId"], i["Name"], i["StgOrder"]) for i in page["items"][:2]] == [
        (300100000060001, "01 - Qualify", 1),
        (300100000060002, "02 - Discover", 2),
    ]


def test_unknown_business_units_and_methods_are_404_and_writes_405():
    assert _get(STAGES.replace(demo.DEMO_SALES_METHOD_ID, "42"))[0] == 404
    assert _get(STAGES.replace(demo.DEMO_BUSINESS_UNIT_ID, "42"))[0] == 404
    status, _, _ = CxCatalogueEmulator().handle("POST", f"{REST_ROOT}/activityTemplates", {}, {}, b"{}")
    assert status == 405
    assert _get(f"{REST_ROOT}/activityTemplates", limit="x")[0] == 400


def test_the_sandbox_routes_them_and_leaves_other_paths_to_the_other_emulators():
    assert CxCatalogueEmulator.handles(f"{REST_ROOT}/activityTemplates")
    assert CxCatalogueEmulator.handles(STAGES)
    assert not CxCatalogueEmulator.handles(f"{REST_ROOT}/orchestrations")
    status, _, body = SandboxRemotes().handle("GET", f"{REST_ROOT}/activityTemplates", {}, {}, b"")
    assert status == 200 and json.loads(body)["count"] == 25


def test_the_describes_list_the_demo_attributes_as_adf_prints_them():
    status, document = _get(f"{REST_ROOT}/opportunities/describe")
    assert status == 200
    node = document["Resources"]["opportunities"]
    assert (node["title"], node["titlePlural"]) == ("Opportunity", "Opportunities")
    rows = {row["name"]: row for row in node["attributes"]}
    assert {"WinProb", "ForecastCategory", "StatusCode", "Revenue", "CloseDate"} <= set(rows)
    assert rows["ForecastCategory"]["maxLength"] == "30"  # a string, as a real describe prints it
    assert rows["WinProb"]["updatable"] is True
    assert rows["OptyId"]["updatable"] is False and rows["CreationDate"]["updatable"] is False
    status, lead = _get(f"{REST_ROOT}/leads/describe")
    assert status == 200 and "LeadId" in {row["name"] for row in lead["Resources"]["leads"]["attributes"]}


def test_the_describe_knobs_give_the_other_reading_and_writes_are_refused():
    emulator = CxCatalogueEmulator()
    emulator.describe_nested, emulator.describe_lengths = False, "precision"
    status, _, body = emulator.handle("GET", f"{REST_ROOT}/opportunities/describe", {}, {}, b"")
    rows = {row["name"]: row for row in json.loads(body)["attributes"]}
    assert status == 200 and rows["ForecastCategory"]["precision"] == 30 and "maxLength" not in rows["WinProb"]
    assert emulator.handle("PATCH", f"{REST_ROOT}/leads/describe", {}, {}, b"{}")[0] == 405
    assert CxCatalogueEmulator.handles(f"{REST_ROOT}/leads/describe")
    assert not CxCatalogueEmulator.handles(f"{REST_ROOT}/contacts/describe")
    assert not CxCatalogueEmulator.handles(f"{REST_ROOT}/orchestrations/describe")
    status, _, _ = SandboxRemotes().handle("GET", f"{REST_ROOT}/opportunities/describe", {}, {}, b"")
    assert status == 200
