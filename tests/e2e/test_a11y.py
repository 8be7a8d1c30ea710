"""Accessibility: axe-core (shipped inside axe-playwright-python, no network) finds no serious
or critical violation on the list and the designer, nor with a form or a dialog open."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import build_orchestration

SEVERE = {"serious", "critical"}


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in SEVERE
    ]


@pytest.fixture
def orch(db):
    return build_orchestration(stages=3)


@pytest.mark.parametrize("width", [1280, 800])
def test_list_page(page, live_server, login, designer, orch, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(designer)
    expect(page.get_by_role("link", name=orch.name)).to_be_visible()
    assert severe_violations(page) == []
    page.get_by_role("button", name="New orchestration").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert severe_violations(page) == []


@pytest.mark.parametrize("width", [1280, 800])
def test_designer_page(page, live_server, login, designer, orch, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("No problems")
    assert severe_violations(page) == []


def test_designer_with_forms_and_dialogs_open(page, live_server, login, designer, orch):
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Edit step “Call 1”").click()
    page.get_by_role("button", name="Add objective to stage “Stage 2”").click()
    page.get_by_label("Select step “Meeting 1”").check()
    expect(page.locator("form.form-objective")).to_be_visible()
    assert severe_violations(page) == []
    page.get_by_role("button", name="More actions for stage “Stage 3”").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert severe_violations(page) == []


def test_designer_as_viewer_with_problems(page, live_server, login, viewer, orch):
    orch.stages.get(display_sequence=1).objectives.first().delete()
    login(viewer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("Problems")
    assert severe_violations(page) == []
