"""The Outreach journey in Chromium: a publisher syncs the demo's stages to the sandbox's Outreach from the designer
(plan first, then the result and its journal), a designer changes a stage's colour, the next sync is one PATCH,
and a designer starts a new draft from Outreach's stages. axe finds nothing serious on any of these screens."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orchestrator.demo import demo_document
from orchestrator.models import JournalEntry, Orchestration, RemoteRun, SandboxOutreachStage
from orchestrator.services.documents import orchestration_import
from tests.factories import make_user

DEMO_STAGES = ["Qualify", "Discover", "Propose", "Negotiate", "Close"]


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def sync_from_the_designer(page: Page, live_server, orch, *, plan: str, lines: list[str]) -> None:
    """Designer → Sync to Outreach → read the plan → Sync; land on the result with every line done."""
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Sync to Outreach").click()  # a link with role=button
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Sync {orch.name} to Outreach")
    expect(page.get_by_label("Outreach connection")).to_have_value("default")
    page.get_by_role("button", name="Read the plan from default").click()
    expect(page.locator(".outreach-plan .plan-summary")).to_contain_text(plan)
    expect(page.locator(".outreach-plan-table tbody tr .tag")).to_have_text(lines)
    assert severe_violations(page) == []
    page.get_by_role("button", name="Sync to default").click()
    expect(page).to_have_url(re.compile(r"/outreach/runs/\d+/$"))
    expect(page.locator("#sync-progress .run-status")).to_have_text("Done")


def test_sync_the_demo_change_a_colour_sync_again_and_start_a_draft_from_outreach(page, live_server, login):
    orch = orchestration_import(document=demo_document()).orchestration
    publisher, designer = make_user("Publisher"), make_user("Designer")

    # 1. The publisher syncs the demo: five stages to create, read before anything is sent.
    login(publisher)
    sync_from_the_designer(page, live_server, orch, plan="5 to create, 0 to update, 0 unchanged", lines=["Create"] * 5)
    expect(page.locator("#sync-summary")).to_have_text("Synced: 5 created, 0 updated, 0 deleted, 0 unchanged.")
    expect(page.locator("#sync-progress .stage-status")).to_have_text(["✓ Done"] * 5)
    journal = page.locator("#journal .exchange")
    expect(journal).to_have_count(6)  # one read, five creates
    first_create = journal.filter(has=page.locator("code", has_text="POST")).first
    first_create.get_by_text("Headers and bodies").click()
    expect(first_create.locator("pre").nth(0)).to_contain_text("Content-Type: application/vnd.api+json")
    expect(first_create.locator("pre").nth(1)).to_contain_text('"type": "opportunityStage"')
    assert severe_violations(page) == []
    page.get_by_role("link", name="See what the sandbox's Outreach holds").click()
    expect(page.locator("#sandbox-outreach tbody tr td:nth-child(2)")).to_have_text(DEMO_STAGES)
    log_out(page)

    # 2. A designer gives "Propose" a colour in Outreach.
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Edit stage “Propose”").click()
    form = page.locator("form.form-stage")
    form.get_by_label("Give the stage a colour in Outreach").check()
    form.get_by_label("Colour in Outreach", exact=True).fill("#edc948")
    form.get_by_label("Closing stage in Outreach").select_option("false")
    assert severe_violations(page) == []
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#stage-ORCH-STG-DEMO-PROPOSE-main .outreach-meta")).to_have_text(
        "Outreach: #edc948 open stage"
    )
    log_out(page)

    # 3. The publisher syncs again: one update, one PATCH.
    login(publisher)
    sync_from_the_designer(
        page,
        live_server,
        orch,
        plan="0 to create, 1 to update, 4 unchanged",
        lines=["Unchanged", "Unchanged", "Update", "Unchanged", "Unchanged"],
    )
    expect(page.locator("#sync-summary")).to_have_text("Synced: 0 created, 1 updated, 0 deleted, 4 unchanged.")
    expect(page.locator("#journal .exchange")).to_have_count(2)
    expect(page.locator("#journal .exchange code", has_text="PATCH")).to_have_count(1)
    latest = RemoteRun.objects.filter(dry_run=False).latest("pk")
    assert list(JournalEntry.objects.filter(remote_run=latest).values_list("method", "path")) == [
        ("GET", "/opportunityStages"),
        ("PATCH", "/opportunityStages/3"),
    ]
    assert SandboxOutreachStage.objects.get(remote_id=3).attributes["color"] == "#edc948"
    log_out(page)

    # 4. A designer starts a new draft from Outreach's stages.
    login(designer)
    page.get_by_role("button", name="New from Outreach stages").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="New orchestration from Outreach stages")).to_be_visible()
    assert severe_violations(page) == []
    dialog.get_by_label("Number").fill("ORCH-FROM-OUTREACH")
    dialog.get_by_label("Name").fill("Outreach pipeline")
    dialog.get_by_role("button", name="Create from Outreach").click()
    expect(page).to_have_url(f"{live_server.url}/orchestrations/ORCH-FROM-OUTREACH/")
    expect(page.locator("#messages")).to_contain_text("with 5 stage(s) from Outreach connection default")
    expect(page.locator(".stage-title")).to_have_text([f"Stage {i}: {name}" for i, name in enumerate(DEMO_STAGES, 1)])
    expect(page.locator("#problems")).to_contain_text("has no objective")
    assert severe_violations(page) == []
    assert Orchestration.objects.get(number="ORCH-FROM-OUTREACH").stages.get(name="Propose").outreach_color == "#edc948"


def test_the_connections_page_checks_the_sandbox_outreach(page, live_server, login):
    login(make_user("Publisher"))
    page.get_by_role("navigation").get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Check Outreach default").click()
    expect(page.locator("#outreach-check-report")).to_contain_text("holds no opportunity stages yet")
    assert severe_violations(page) == []
