"""The Diagram view in Chromium (issue 11, item 1): read a stage as a flow, move along its edges with the
keyboard, edit a step from its node and see the diagram follow without a reload; axe finds nothing serious."""

import pytest
from playwright.sync_api import expect

from orchestrator.demo import demo_document
from orchestrator.models import Stage, Step
from orchestrator.services.documents import orchestration_import
from tests.e2e.test_a11y import severe_violations


@pytest.fixture
def demo(db):
    return orchestration_import(document=demo_document()).orchestration


def _node(page, step):
    return page.locator(f'[data-node="step-{step.number}"]')


def test_edit_a_step_from_its_node_and_the_diagram_follows(page, live_server, login, designer, demo):
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{demo.number}/")
    page.get_by_role("link", name="Diagram").click()
    expect(page.get_by_role("heading", name="Diagram", exact=True)).to_be_visible()
    # A clicked link is not waited for to its load event, and the heading shows before the deferred
    # diagram.js has run: an arrow key pressed then is nobody's (CI lost that race once).
    page.wait_for_load_state()
    first_stage = Stage.objects.filter(orchestration=demo).order_by("display_sequence").first()
    steps = list(Step.objects.filter(stage=first_stage).order_by("display_sequence"))
    page.evaluate("window.__same_page = true")  # gone if anything reloads the page
    # A long settle makes a race CI once lost certain: the node focused after the refresh must already be
    # htmx's, or the Enter below follows its plain link to the outline instead of opening the editor.
    page.evaluate("htmx.config.defaultSettleDelay = 400")

    first = _node(page, steps[0])
    first.focus()
    page.keyboard.press("ArrowDown")
    expect(_node(page, steps[1])).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()

    page.keyboard.press("Enter")
    editor = page.locator("#diagram-editor")
    name = editor.get_by_label("Name", exact=True)
    expect(name).to_be_focused()
    name.fill("Discovery call, renamed in the diagram")
    page.keyboard.press("Enter")
    expect(editor).to_contain_text("Saved. The diagram shows the change.")
    expect(first).to_contain_text("Discovery call, renamed in th")
    expect(first).to_be_focused()
    assert Step.objects.get(pk=steps[0].pk).name == "Discovery call, renamed in the diagram"
    assert page.evaluate("window.__same_page") is True

    # Esc in the form gives up the edit and the focus goes back to the node.
    page.keyboard.press("Enter")
    expect(editor.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(editor.locator("form")).to_have_count(0)
    expect(first).to_be_focused()


def test_the_diagram_is_readable_by_axe_and_when_printed(page, live_server, login, designer, demo):
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{demo.number}/diagram/")
    expect(page.locator(".stage-diagram").first).to_be_visible()
    assert severe_violations(page) == []
    page.locator("a[data-node]").first.click()
    expect(page.locator("#diagram-editor form")).to_be_visible()
    assert severe_violations(page) == []
    page.emulate_media(media="print")
    expect(page.locator("#diagram-editor")).to_be_hidden()
    expect(page.locator(".stage-diagram").first).to_be_visible()


def test_a_viewer_reads_the_diagram_and_enter_leads_to_the_outline(page, live_server, login, viewer, demo):
    login(viewer)
    page.goto(f"{live_server.url}/orchestrations/{demo.number}/diagram/")
    node = page.locator("a[data-node]").first
    node.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orchestrations/{demo.number}/#step-*")


def test_build_a_branch_from_the_node_forms_and_fix_a_step_that_never_runs(page, live_server, login, designer, demo):
    first_stage = Stage.objects.filter(orchestration=demo).order_by("display_sequence").first()
    steps = list(Step.objects.filter(stage=first_stage).order_by("display_sequence"))
    stranded = Step.objects.create(
        stage=first_stage, display_sequence=len(steps) + 1, name="Recap nobody reaches", step_type="TASK"
    )
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{demo.number}/diagram/?stage={first_stage.number}")
    recap = _node(page, stranded)
    expect(recap).to_contain_text("never runs")

    # The step before the Next stage step goes to the recap on failure: the recap now runs, the rest still does.
    before_next = steps[-2]
    _node(page, before_next).click()
    editor = page.locator("#diagram-editor")
    editor.get_by_label("On failure, go to").select_option(label=f"{stranded.display_sequence}. {stranded.name}")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_contain_text("Saved. The diagram shows the change.")
    expect(recap).not_to_contain_text("never runs")
    expect(page.locator(".node-never")).to_have_count(0)
    edge = page.locator(".edge-failure")
    expect(edge).to_have_count(1)
    expect(edge).to_contain_text("on failure")
