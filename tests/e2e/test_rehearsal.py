"""The rehearsal journey in Chromium: a reviewer rehearses the demo's first stage on a test record from the designer
(plan first), reads what was created where, sees it in the sandbox, and cleans up. axe finds nothing serious and
the strict Content-Security-Policy is never violated."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orchestrator.demo import demo_document
from orchestrator.models import Rehearsal, SandboxRecord
from orchestrator.services.documents import orchestration_import
from tests.e2e.test_csp import CspWatch
from tests.factories import make_user


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def test_rehearse_a_stage_from_the_designer_read_the_report_and_clean_up(page, live_server, login):
    orch = orchestration_import(document=demo_document()).orchestration
    watch = CspWatch()
    watch.attach(page)
    login(make_user("Reviewer"))
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("link", name="Rehearse stage “Qualify”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rehearse {orch.name}")
    expect(page.get_by_label("Stage")).to_have_value("ORCH-STG-DEMO-QUALIFY")

    # Bad input is said beside the field, nothing is sent.
    page.get_by_label("Test opportunity id (CX Sales)").fill("not-a-number")
    page.get_by_role("button", name="Read the plan").click()
    expect(page.locator(".field-error")).to_contain_text("whole number")

    page.get_by_label("Test opportunity id (CX Sales)").fill("300100111222333")
    page.get_by_role("button", name="Read the plan").click()
    expect(page.locator("#rehearsal-plan .plan-summary")).to_contain_text(
        "4 records to create, 0 already there, 1 step creating nothing."
    )
    expect(page.locator("#rehearsal-plan tbody tr")).to_have_count(5)
    assert severe_violations(page) == []
    assert not SandboxRecord.objects.exists()
    assert watch.problems == []

    page.get_by_role("button", name="Rehearse", exact=True).click()
    expect(page).to_have_url(re.compile(r"/rehearsals/\d+/$"))
    expect(page.locator("#rehearsal-status")).to_have_text("Created")
    expect(page.locator("#rehearsal-summary")).to_contain_text("Rehearsed: 4 record(s) created, 0 already there.")
    expect(page.locator(".rehearsal-records tbody tr")).to_have_count(4)
    expect(page.locator("#journal .exchange")).to_have_count(6)  # two tasks, two describes, interaction, call
    assert severe_violations(page) == []

    page.get_by_role("link", name="What the sandbox holds").click()
    expect(page.locator("#sandbox-records tbody tr")).to_have_count(4)
    rehearsal = Rehearsal.objects.get()
    page.locator("#sandbox-records").get_by_role("link", name=f"#{rehearsal.pk}").first.click()

    page.get_by_role("button", name="Clean up: delete what this rehearsal created").click()
    expect(page.locator("#rehearsal-status")).to_have_text("Cleaned up")
    expect(page.locator("#rehearsal-summary")).to_contain_text("Cleaned up: 4 record(s) deleted.")
    expect(page.locator(".rehearsal-records [data-record-status='deleted']")).to_have_count(4)
    assert not SandboxRecord.objects.exists()
    assert watch.problems == []
