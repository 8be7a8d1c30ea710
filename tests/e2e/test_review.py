"""Journey 4 in Chromium: a reviewer opens the review page of a valid draft, reads what differs from the
sandbox, comments, approves and sees "Approved by"; axe finds nothing serious or critical on the page."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orchestrator.models import Stage
from orchestrator.services.publishing import orchestration_publish
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.e2e

SEVERE = {"serious", "critical"}


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in SEVERE
    ]


def test_a_reviewer_comments_and_approves(page: Page, live_server, login):
    orch = build_orchestration(stages=3, name="Enterprise deal")
    orchestration_publish(orchestration=orch, connection_name="default")
    first = orch.stages.order_by("display_sequence").first()
    Stage.objects.filter(pk=first.pk).update(name="Qualify the deal")
    reviewer = make_user("Reviewer")
    login(reviewer)

    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Review").click()  # the designer's Review link (role=button)
    expect(page.get_by_role("heading", level=1)).to_have_text("Review Enterprise deal")
    expect(page.locator("#approval .approval-state")).to_contain_text("Not approved yet.")
    expect(page.locator(".plan-summary").first).to_contain_text("0 to create, 1 to update, 0 to delete, 2 unchanged")

    # The live diff arrives by itself (hx-trigger=load): the renamed stage differs, with signed lines.
    live = page.locator("#live")
    expect(live).to_contain_text("2 same as live, 1 changed")
    expect(live.locator(".diff-add")).to_have_text(['added: +  "StageName": "Qualify the deal",'])
    expect(live.locator(".diff-remove")).to_have_text(['removed: -  "StageName": "Stage 1",'])

    # An empty comment is refused beside the field; a real one appears in the list.
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comment-error")).to_have_text("Write a comment first.")
    page.get_by_label("Add a comment").fill("Renaming stage 1 reads better. Fine by me.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".review-comments li")).to_have_count(1)
    expect(page.locator(".review-comments")).to_contain_text("Renaming stage 1 reads better.")
    expect(page.locator("#messages")).to_contain_text("Comment added.")

    page.get_by_label("Note for the publisher").fill("Go for prod")
    page.get_by_role("button", name="Approve this content").click()
    expect(page.locator("#approval .approval-state")).to_contain_text(f"Approved by {reviewer.username} on")
    expect(page.locator("#approval .approval-state")).to_contain_text("for this content.")
    expect(page.get_by_role("button", name="Approve this content")).to_have_count(0)

    page.locator("details.payload").first.locator("summary").click()
    expect(page.locator("details.payload pre").first).to_contain_text('"OrchestrationStageNumber"')
    assert severe_violations(page) == []
