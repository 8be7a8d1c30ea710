"""Issue 11's "done when", as one journey: a new user builds the demo's Qualify stage with the keyboard, reads it
as a diagram, never types an id, and sees every confirmation where they are looking.

The catalogue is what the built-in sandbox serves (activity templates, the sales method's stages) plus the
demo's uploaded file (activities); every id the draft ends up with was picked by its name. A recorder around
the keyboard proves no id was typed.
"""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from orchestrator import demo, selectors
from orchestrator.models import Orchestration, StepType
from orchestrator.services.catalogue import catalogue_refresh, catalogue_upload
from orchestrator.validation import validate_orchestration
from tests.e2e.test_designer_keyboard import (
    add_objective,
    keyboard_login,
    open_new_step,
    save_step,
    serve,
    tab_to,
    type_into_focused,
)

AN_ID = re.compile(r"[0-9]{6,}")


@pytest.fixture
def catalogue(db):
    assert catalogue_refresh(connection_name="default").status == "done"
    catalogue_upload(connection_name="default", content=json.dumps(demo.demo_catalogue_file()).encode())


@pytest.fixture
def typed(page: Page) -> list[str]:
    """Everything the test types, kept to show that no id was among it."""
    seen: list[str] = []
    original = page.keyboard.type

    def recording(text: str, **kwargs):
        seen.append(text)
        return original(text, **kwargs)

    page.keyboard.type = recording
    return seen


def _toast_in_view(page: Page, text: str) -> None:
    toast = page.locator("#messages [data-toast]", has_text=text)
    expect(toast).to_be_visible()
    expect(toast).to_be_in_viewport()


def _pick(page: Page, form_selector: str, combobox: str, search: str, expected: str) -> None:
    """Tab to a picker, type part of the name, take the first match with the arrow keys."""
    form = page.locator(form_selector)
    box = form.get_by_role("combobox", name=combobox, exact=True)
    tab_to(page, box)
    page.keyboard.type(search)
    expect(form.get_by_role("listbox").get_by_role("option", name=expected)).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(box).to_have_value(expected)


def _stage(page: Page, name: str, search: str, value: str, *, form_open: bool = False) -> None:
    if not form_open:
        page.keyboard.press("n")
    type_into_focused(page, "Name", name)
    _pick(page, "form.form-stage", "Sales stage value", search, value)
    page.keyboard.press("Enter")  # the list is closed: Enter saves
    expect(page.get_by_role("button", name=f"Edit stage “{name}”")).to_be_focused()


def _serve(page: Page, step: str, objective: str) -> None:
    serve(page, step, objective)
    _toast_in_view(page, f"Step “{step}” now serves “{objective}”.")


def test_a_new_user_builds_qualify_by_keyboard_reads_it_as_a_diagram_and_never_types_an_id(
    page, live_server, designer, catalogue, typed
):
    page.set_viewport_size({"width": 1280, "height": 720})
    keyboard_login(page, live_server, designer)
    tab_to(page, page.get_by_role("button", name="New orchestration"))
    page.keyboard.press("Enter")
    type_into_focused(page, "Name", "Qualify playbook")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Qualify playbook")
    page.wait_for_load_state()

    # Stages: their sales-stage values come from the sales method, picked by name.
    _stage(page, "Qualify", "qual", "01 - Qualify", form_open=True)
    _stage(page, "Discover", "disc", "02 - Discover")

    add_objective(page, "Qualify", "Confirm budget and authority")
    add_objective(page, "Qualify", "Identify the decision timeline")

    # A Task step: its activity template picked by name, then a step task whose template and activity are too.
    call = "Qualification call with the champion"
    open_new_step(page, "Qualify", call)
    _pick(page, "form.form-step", "Activity template", "qualif", "Qualification call")
    tab_to(page, page.locator("form.form-step").get_by_label("Grace period (hours)", exact=True))
    page.keyboard.type("48")
    save_step(page, call)
    _serve(page, call, "Confirm budget and authority")

    tab_to(page, page.get_by_role("button", name=f"Add step task to step “{call}”"))
    page.keyboard.press("Enter")
    _pick(page, "form.form-step_task", "Activity template", "qualif", "Qualification call")
    _pick(page, "form.form-step_task", "Activity", "champion", "Champion call")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Edit step task 1 of “{call}”")).to_be_focused()

    # An appointment, then the step into the next stage (its target chosen among the later stages).
    open_new_step(page, "Qualify", "Timeline check-in", type_key="A", shows="Activity template ID")
    expect(page.locator("form.form-step").get_by_label("Type", exact=True)).to_have_value(StepType.APPOINTMENT)
    _pick(page, "form.form-step", "Activity template", "customer", "Customer meeting")
    save_step(page, "Timeline check-in")
    _serve(page, "Timeline check-in", "Identify the decision timeline")

    open_new_step(page, "Qualify", "Move to Discover", type_key="N", shows="Next stage")
    tab_to(page, page.locator("form.form-step").get_by_label("Next stage", exact=True))
    page.keyboard.type("D")
    save_step(page, "Move to Discover")

    # Discover ends the playbook for now, so the flow checks have nothing to say.
    add_objective(page, "Discover", "Map the buying committee")
    open_new_step(page, "Discover", "Discovery workshop", type_key="A", shows="Activity template ID")
    _pick(page, "form.form-step", "Activity template", "worksh", "Discovery workshop")
    save_step(page, "Discovery workshop")
    _serve(page, "Discovery workshop", "Map the buying committee")
    open_new_step(page, "Discover", "End of playbook", type_key="S", shows="Exit orchestration")
    save_step(page, "End of playbook")
    expect(page.locator("#problems")).to_contain_text("No problems")

    # Every confirmation lands where the user is: a delete far down still shows its toast (and Undo) in view.
    more = page.get_by_role("button", name="More actions for step “End of playbook”")
    tab_to(page, more)
    page.keyboard.press("ArrowUp")  # opens the row's menu on its last item
    expect(page.get_by_role("menu").get_by_role("menuitem", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete step “End of playbook”?")
    tab_to(page, dialog.get_by_role("button", name="Delete step"))
    page.keyboard.press("Enter")
    _toast_in_view(page, "Deleted step “End of playbook”")
    undo = page.locator("#messages").get_by_role("button", name=re.compile("Undo"))
    expect(undo).to_be_in_viewport()
    tab_to(page, undo)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Edit step “End of playbook”")).to_be_visible()
    expect(page.locator("#problems")).to_contain_text("No problems")

    # What was built: the demo's Qualify, every id taken from the catalogue, none typed.
    orch = Orchestration.objects.get(name="Qualify playbook")
    tree = selectors.orchestration_tree(orch.number)
    assert validate_orchestration(tree) == []
    qualify, discover = tree.stages.all()
    assert (qualify.lifecycle_attr_value, discover.lifecycle_attr_value) == ("01 - Qualify", "02 - Discover")
    steps = list(qualify.steps.all())
    assert [(s.name, s.step_type) for s in steps] == [
        (call, StepType.TASK),
        ("Timeline check-in", StepType.APPOINTMENT),
        ("Move to Discover", StepType.NEXT_STAGE),
    ]
    assert (steps[0].activity_template_id, steps[1].activity_template_id) == (demo.CALL_TEMPLATE, demo.MEETING_TEMPLATE)
    task = steps[0].tasks.all()[0]
    assert (task.activity_template_id, task.activity_id) == (demo.CALL_TEMPLATE, 300100000020001)
    assert steps[2].next_stage_value == "02 - Discover"
    assert [text for text in typed if AN_ID.search(text)] == []

    # Read as a diagram, reached and walked with the keyboard.
    tab_to(page, page.get_by_role("link", name="Diagram"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Diagram", exact=True)).to_be_visible()
    page.wait_for_load_state()  # the arrow keys are diagram.js's once its deferred script has run
    nodes = [page.locator(f'[data-node="step-{step.number}"]') for step in steps]
    expect(nodes[0]).to_contain_text("Qualification call")
    tab_to(page, nodes[0])
    page.keyboard.press("ArrowDown")
    expect(nodes[1]).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(nodes[2]).to_be_focused()
    expect(nodes[2]).to_contain_text("Move to Discover")
    section = page.locator(f"#diagram-{qualify.number}")
    expect(section).to_contain_text("Discover")  # the edge into the next stage names it
