"""The main journeys under the strict Content-Security-Policy (issue 12, F10): zero violations in Chromium.

Every page of each journey is watched: a `securitypolicyviolation` listener
(added before any page script runs) reports each violation to the console,
and the console itself carries Chromium's own "Refused to …" messages; an
uncaught script error counts as well (htmx without eval, say). The journeys
are the designer's edits, a publish to the sandbox and its run page, the
sandbox page, the review with its live diff, comment and approval, and the
admin. A control test shows the watch does see a violation.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from orchestrator import roles
from orchestrator.models import Orchestration
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.e2e

STATUS_TIMEOUT = 20_000  # ms: the publish runs in the test server's thread on a busy 2-core machine

REPORT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `csp-violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "?"}:${event.lineNumber})`;
  window.cspViolations.push(text);
  console.error(text);
}, true);
"""


class CspWatch:
    """Collects CSP violations and uncaught errors of every page a browser context opens."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, page: Page) -> Page:
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message, page=page: self._console(page, message.text))
        page.on("pageerror", lambda error, page=page: self.problems.append(f"{page.url}: uncaught {error}"))
        return page

    def _console(self, page: Page, text: str) -> None:
        if "csp-violation" in text or "Content Security Policy" in text:
            self.problems.append(f"{page.url}: {text}")


@pytest.fixture
def watch():
    return CspWatch()


@pytest.fixture
def open_as(browser: Browser, live_server, watch):
    """A fresh browser context signed in as `user`, watched; closed at the end of the test."""
    contexts = []

    def _open(user) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = watch.attach(context.new_page())
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("pw-for-tests-only")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/orchestrations/")
        return page

    yield _open
    for context in contexts:
        context.close()


def designer_edits(page: Page, live_server, orch: Orchestration) -> None:
    page.get_by_role("button", name="New orchestration").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("No problems")

    # An edit saved in place, a refused value beside its field, a type switch re-rendering the form.
    page.get_by_role("button", name="Edit step “Call 1”").click()
    form = page.locator("form.form-step")
    form.get_by_label("Name", exact=True).fill("Discovery call")
    # Success criteria open as rows; the raw JSON is the advanced editor (issue 11).
    form.get_by_role("group", name="Success criteria").get_by_label("JSON (advanced)").check()
    form.get_by_label("Success criteria (JSON)").fill('{"Status": ')
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".field-error")).to_contain_text("This is not valid JSON")
    form.get_by_label("Success criteria (JSON)").fill('{"Status": "DONE"}')
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Saved step “Discovery call”")
    page.get_by_role("button", name="Edit step “Meeting 1”").click()
    page.locator("form.form-step").get_by_label("Type").select_option("WAIT")
    expect(page.locator("form.form-step").get_by_label("Days to wait")).to_be_visible()
    page.locator("form.form-step").get_by_role("button", name="Cancel").click()

    # An objective added, a "serves" box ticked, a step moved by button and dragged back.
    page.get_by_role("button", name="Add objective to stage “Stage 2”").click()
    page.locator("form.form-objective").get_by_label("Name", exact=True).fill("Budget confirmed")
    page.locator("form.form-objective").get_by_role("button", name="Add objective").click()
    expect(page.locator("#messages")).to_contain_text("Budget confirmed")
    call = orch.stages.get(display_sequence=2).steps.get(display_sequence=1)
    page.locator(f"#step-{call.number}-serves").get_by_label("Budget confirmed").check()
    expect(page.locator("#messages")).to_contain_text("now serves")
    page.get_by_role("button", name="More actions for step “Discovery call”").click()
    page.get_by_role("menuitem", name="Move down").click()
    expect(page.locator("#messages")).to_contain_text("to position 2 of 3.")
    stage = orch.stages.get(display_sequence=1)
    handle = page.locator(f"#steps-{stage.number} > li").nth(1).locator(".drag-handle").first
    target = page.locator(f"#steps-{stage.number} > li").nth(0)
    box, goal = handle.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for fraction in (0.25, 0.5, 0.75, 1.0):
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + (goal["y"] + 4 - box["y"]) * fraction, steps=3)
    page.mouse.up()
    expect(page.locator("#messages")).to_contain_text("to position 1 of 3.")

    # Dialogs: a deletion's cascade (cancelled), the keyboard help; a bulk edit.
    page.get_by_role("button", name="More actions for stage “Stage 2”").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("main h1").click()
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_label("Select step “Meeting 2”").check()
    page.locator("#bulk-steps").get_by_label("Allow skip").select_option("yes")
    page.locator("#bulk-steps").get_by_role("button", name="Apply to selected steps").click()
    expect(page.locator("#messages")).to_contain_text("Changed allow skip on 1 of 1 selected.")
    expect(page.locator("#problems")).to_contain_text("No problems")


def publish_to_the_sandbox(page: Page, live_server, orch: Orchestration) -> None:
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/publish/")
    expect(page.locator(".plan-summary")).to_contain_text("2 to create")
    page.get_by_label(re.compile("Publish it anyway")).check()  # unapproved, ungated: confirmed first (issue 10)
    page.get_by_role("button", name="Publish to default").click()
    expect(page).to_have_url(re.compile(r"/publish/runs/\d+/$"))
    expect(page.locator("#progress .run-status")).to_have_text("Done", timeout=STATUS_TIMEOUT)
    page.locator("#journal .exchange").first.get_by_text("Headers and bodies").click()
    page.get_by_role("navigation").get_by_role("link", name="Sandbox", exact=True).click()
    expect(page.locator(f"#sandbox-{orch.number}")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Connections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")


def review_and_approve(page: Page, live_server, orch: Orchestration) -> None:
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/review/")
    expect(page.locator("#live")).to_contain_text("2 same as live")  # arrives by itself (hx-trigger=load)
    page.get_by_label("Add a comment").fill("Reads well.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".review-comments li")).to_have_count(1)
    page.get_by_role("button", name="Approve this content").click()
    expect(page.locator("#approval .approval-state")).to_contain_text("Approved by")
    page.locator("details.payload").first.locator("summary").click()


def the_admin(page: Page, live_server, orch: Orchestration) -> None:
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(f"{live_server.url}/admin/orchestrator/orchestration/")
    page.get_by_role("link", name=orch.name).click()
    expect(page.locator("#orchestration_form")).to_be_visible()
    page.goto(f"{live_server.url}/admin/orchestrator/stage/{orch.stages.first().pk}/change/")
    expect(page.locator("#stage_form")).to_be_visible()
    page.goto(f"{live_server.url}/admin/auth/user/add/")
    expect(page.locator("#user_form")).to_be_visible()


def test_the_main_journeys_raise_no_csp_violation(live_server, open_as, watch):
    orch = build_orchestration(stages=2, name="Enterprise deal")
    designer_edits(open_as(make_user(roles.DESIGNER)), live_server, orch)
    publish_to_the_sandbox(open_as(make_user(roles.PUBLISHER)), live_server, orch)
    review_and_approve(open_as(make_user(roles.REVIEWER)), live_server, orch)
    the_admin(open_as(make_user(superuser=True)), live_server, orch)
    assert watch.problems == []


def test_the_watch_sees_a_violation(live_server, open_as, watch):
    page = open_as(make_user(roles.VIEWER))
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }")
    page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_function("() => window.cspViolations.length >= 2")  # the events follow the blocked actions
    assert any("script-src" in problem for problem in watch.problems), watch.problems
    assert any("style-src" in problem for problem in watch.problems), watch.problems
