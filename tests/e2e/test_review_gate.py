"""Issue 10's journey in Chromium: a designer edits, a reviewer requests changes on a step comment, the
designer fixes it, another reviewer approves, a publisher publishes, and the history shows all of it in order.

Each person in a browser context of their own; the strict Content-Security-Policy is watched on every
page (zero violations) and axe finds nothing serious or critical on the review and history pages.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from orchestrator import roles
from orchestrator.models import Step
from tests.e2e.test_csp import REPORT_VIOLATIONS
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.e2e

STATUS_TIMEOUT = 20_000  # ms: the publish runs in the test server's thread on a busy 2-core machine
SEVERE = {"serious", "critical"}


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in SEVERE
    ]


@pytest.fixture
def people(browser: Browser, live_server):
    """open(user) → a page signed in as `user` in a context of its own; CSP problems collected in .problems."""
    contexts, problems = [], []

    def _open(user) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda m: problems.append(m.text) if "csp-violation" in m.text else None)
        page.on("pageerror", lambda error: problems.append(f"uncaught {error}"))
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("pw-for-tests-only")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/orchestrations/")
        return page

    _open.problems = problems
    yield _open
    for context in contexts:
        context.close()


def edit_step(page: Page, old: str, new: str) -> None:
    page.get_by_role("button", name=f"Edit step “{old}”").click()
    form = page.locator("form.form-step")
    form.get_by_label("Name", exact=True).fill(new)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text(f"Saved step “{new}”")


def test_designer_reviewers_and_publisher_through_the_gate(live_server, people):
    orch = build_orchestration(stages=2, name="Enterprise deal")
    designer = make_user(roles.DESIGNER)
    first_reviewer, second_reviewer = make_user(roles.REVIEWER), make_user(roles.REVIEWER)
    publisher = make_user(roles.PUBLISHER)
    designer_url = f"{live_server.url}/orchestrations/{orch.number}/"
    review_url = f"{designer_url}review/"

    # 1. The designer edits a step; the header says the draft is not reviewed.
    d = people(designer)
    d.goto(designer_url)
    expect(d.locator("#draft-status")).to_contain_text("Not reviewed")
    edit_step(d, "Call 1", "Call the buyer")

    # 2. A reviewer requests changes on that step, in a comment about it.
    r1 = people(first_reviewer)
    r1.goto(review_url)
    expect(r1.locator("#since-approval-title")).to_have_count(0)
    step = Step.objects.get(stage__orchestration=orch, name="Call the buyer")
    r1.get_by_label("About").select_option(f"step:{step.number}")
    r1.get_by_label("Add a comment").fill("Say who calls: the account owner.")
    r1.get_by_role("button", name="Request changes").click()
    expect(r1.locator("#messages")).to_contain_text("Changes requested.")
    expect(r1.locator("#approval .approval-state")).to_contain_text("requested changes")
    expect(r1.locator(".review-comments li").first).to_contain_text("on step “Call the buyer” of stage 1")
    assert severe_violations(r1) == []

    # 3. The designer sees it on the step's row, fixes the step and resolves the comment.
    d.goto(designer_url)
    expect(d.locator("#draft-status")).to_contain_text("Changes requested")
    row = d.locator(f"#step-{step.number}-main")
    expect(row.locator(".row-comments summary")).to_have_text("1 comment")
    row.locator(".row-comments summary").click()
    expect(row.locator(".row-comments")).to_contain_text("Say who calls: the account owner.")
    edit_step(d, "Call the buyer", "Account owner calls the buyer")
    d.goto(review_url)
    d.get_by_role("button", name=re.compile(r"^Resolve the comment of ")).click()
    expect(d.locator(".review-comments li").first).to_contain_text("Resolved")

    # 4. Another reviewer reads the changes and approves (after the content, at the end of the page).
    r2 = people(second_reviewer)
    r2.goto(review_url)
    expect(r2.locator("#problems-title")).to_be_visible()
    r2.get_by_label("Note for the publisher").fill("Ready for the sandbox.")
    r2.get_by_role("button", name="Approve this content").click()
    expect(r2.locator("#approval .approval-state")).to_contain_text(f"Approved by {second_reviewer.username}")

    # 5. The publisher publishes the approved content: no confirmation asked.
    p = people(publisher)
    p.goto(f"{designer_url}publish/")
    expect(p.locator("#plan")).to_contain_text("2 to create")
    expect(p.locator("#confirm-unapproved")).to_have_count(0)
    p.get_by_role("button", name="Publish to default").click()
    expect(p).to_have_url(re.compile(r"/publish/runs/\d+/$"))
    expect(p.locator("#progress .run-status")).to_have_text("Done", timeout=STATUS_TIMEOUT)

    # 6. The history shows all of it, in order.
    p.goto(f"{designer_url}history/")
    events = p.locator(".history-events > li")
    texts = [t.strip() for t in events.all_inner_texts()]
    marks = [
        "History starts here",
        "Step renamed: “Call 1” → “Call the buyer”.",
        "Say who calls: the account owner.",
        "Step renamed: “Call the buyer” → “Account owner calls the buyer”.",
        f"{second_reviewer.username} approved revision 3",
        "to default (revision 3): Done.",
    ]
    found = [next(i for i, text in enumerate(texts) if mark in text) for mark in marks]
    assert found == sorted(found), texts
    assert severe_violations(p) == []
    assert people.problems == []


def test_import_compare_and_promote_pages_are_accessible(live_server, people, tmp_path):
    orch = build_orchestration(stages=2, name="Enterprise deal")
    designer = make_user(roles.DESIGNER)
    d = people(designer)
    d.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    edit_step(d, "Call 1", "Call the buyer")

    # Download, then upload the same file: the report names what replacing the draft changes.
    with d.expect_download() as download:
        d.get_by_role("link", name="Download").click()
    path = tmp_path / "playbook.json"
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8").replace("Call the buyer", "Call the buyer today")
    path.write_text(text, encoding="utf-8")
    d.goto(f"{live_server.url}/orchestrations/")
    d.get_by_role("button", name="Import a file").click()
    d.get_by_label("Orchestration document").set_input_files(str(path))
    d.get_by_role("button", name="Check the file").click()
    expect(d.locator("#report")).to_contain_text("The file can be imported")
    expect(d.locator("#report .change-summary")).to_contain_text(
        "Step renamed: “Call the buyer” → “Call the buyer today”."
    )
    assert severe_violations(d) == []
    d.get_by_role("button", name="Replace the draft with the file").click()
    expect(d.locator("#messages")).to_contain_text("Replaced the draft with the file")

    # A revision against the draft, with its restore.
    d.goto(f"{live_server.url}/orchestrations/{orch.number}/history/1/")
    expect(d.locator(".change-summary")).to_contain_text("Step renamed: “Call the buyer today” → “Call 1”.")
    assert severe_violations(d) == []
    d.get_by_role("button", name="Restore revision 1").click()
    expect(d.locator("#messages")).to_contain_text("Restored revision 1")

    p = people(make_user(roles.PUBLISHER))
    p.goto(f"{live_server.url}/orchestrations/{orch.number}/promote/?source=default&target=default")
    expect(p.locator("#target-error")).to_contain_text("Choose two different connections")
    assert severe_violations(p) == []
    assert people.problems == []
