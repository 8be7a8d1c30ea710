"""Names, not ids, in the browser: pick an activity template by typing part of its name, with the keyboard only;
axe finds nothing serious on the pickers, open or closed."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from orchestrator import demo
from orchestrator.models import Stage, Step, StepTask
from orchestrator.services.catalogue import catalogue_refresh, catalogue_upload
from orchestrator.services.documents import orchestration_import
from tests.e2e.test_a11y import severe_violations
from tests.e2e.test_designer_keyboard import keyboard_login, tab_to
from tests.factories import build_orchestration

PROPOSAL_REVIEW = 300100000010009  # in the sandbox's demo catalogue (orchestrator/demo.py)
FACTORY_TEMPLATE = 300100000000101  # the factory's steps use an id no catalogue knows


@pytest.fixture
def orch(db):
    orch = build_orchestration(stages=2)
    run = catalogue_refresh(connection_name="default")  # the built-in sandbox's demo catalogue
    assert run.status == "done", run.message
    return orch


def _open_step_form(page: Page, live_server, designer, orch) -> None:
    keyboard_login(page, live_server, designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    edit = page.get_by_role("button", name="Edit step “Call 1”")
    tab_to(page, edit)
    page.keyboard.press("Enter")
    expect(page.locator("form.form-step")).to_be_visible()


def test_pick_an_activity_template_by_typing_part_of_its_name(page, live_server, designer, orch):
    _open_step_form(page, live_server, designer, orch)
    form = page.locator("form.form-step")
    search = form.get_by_role("combobox", name="Activity template")
    id_field = form.get_by_label("Activity template ID", exact=True)
    # The factory's id is not in the catalogue: flagged beside the field, and kept.
    expect(form.locator(".picker-status").first).to_contain_text(f"Id {FACTORY_TEMPLATE} is not in the catalogue")
    expect(id_field).to_have_value(str(FACTORY_TEMPLATE))

    tab_to(page, search)
    page.keyboard.type("proposal")
    listbox = form.get_by_role("listbox", name="Activity templates of default")
    expect(listbox).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option").filter(has_not_text="No match")
    expect(options.filter(visible=True)).to_have_count(1)
    expect(options.filter(visible=True)).to_contain_text("Proposal review")

    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option", name="Proposal review")).to_have_attribute("aria-selected", "true")
    active = search.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").inner_text().startswith("Proposal review")
    page.keyboard.press("Enter")  # picks; the form is not saved yet
    expect(listbox).to_be_hidden()
    expect(search).to_have_value("Proposal review")
    expect(id_field).to_have_value(str(PROPOSAL_REVIEW))
    expect(search).to_be_focused()
    assert Step.objects.get(name="Call 1").activity_template_id == FACTORY_TEMPLATE

    page.keyboard.press("Enter")  # the list is closed: Enter saves, as in every designer form
    row = page.locator(f"#step-{Step.objects.get(name='Call 1').number}-main")
    expect(row).to_contain_text("activity template Proposal review")
    expect(row.locator(".ref-id")).to_contain_text(str(PROPOSAL_REVIEW))
    assert Step.objects.get(name="Call 1").activity_template_id == PROPOSAL_REVIEW


def test_escape_closes_the_list_before_it_cancels_the_form(page, live_server, designer, orch):
    _open_step_form(page, live_server, designer, orch)
    form = page.locator("form.form-step")
    search = form.get_by_role("combobox", name="Activity template")
    tab_to(page, search)
    page.keyboard.press("ArrowDown")  # opens the whole list
    listbox = form.get_by_role("listbox")
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(form).to_be_visible()
    page.keyboard.type("zzzz-no-such")
    expect(form.locator("[data-picker-none]")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")  # the second is the form's: Cancel
    expect(page.locator("form.form-step")).to_have_count(0)


def test_typing_an_id_names_it_and_a_step_task_picks_its_activity(page, live_server, designer, orch):
    catalogue_upload(connection_name="default", content=json.dumps(demo.demo_catalogue_file()).encode())
    keyboard_login(page, live_server, designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    first_task = StepTask.objects.filter(step__name="Call 1").order_by("display_sequence").first()
    page.locator(f"#step_task-{first_task.number}-main").get_by_role("button", name="Edit step task").first.click()
    form = page.locator("form.form-step_task")
    template_id = form.get_by_label("Activity template ID", exact=True)
    template_id.fill(str(PROPOSAL_REVIEW))
    expect(form.get_by_role("combobox", name="Activity template")).to_have_value("Proposal review")
    activity = form.get_by_role("combobox", name="Activity", exact=True)
    activity.click()
    page.keyboard.type("kickoff")
    page.keyboard.press("Enter")  # the only match is picked
    expect(activity).to_have_value("Kickoff preparation")
    expect(form.get_by_label("Activity ID", exact=True)).to_have_value("300100000020006")
    page.keyboard.press("Enter")  # saves
    row = page.locator(f"#step_task-{first_task.number}-main")
    expect(row).to_contain_text("activity Kickoff preparation")
    first_task.refresh_from_db()
    assert (first_task.activity_template_id, first_task.activity_id) == (PROPOSAL_REVIEW, 300100000020006)


def test_axe_finds_nothing_serious_on_the_pickers(page, live_server, designer, orch):
    _open_step_form(page, live_server, designer, orch)
    assert severe_violations(page) == []
    search = page.locator("form.form-step").get_by_role("combobox", name="Activity template")
    search.click()
    page.keyboard.type("call")
    page.keyboard.press("ArrowDown")
    expect(page.locator("form.form-step").get_by_role("listbox")).to_be_visible()
    assert severe_violations(page) == []


def test_a_stage_s_sales_stage_value_is_picked_from_the_sales_method_by_keyboard(page, live_server, designer, orch):
    keyboard_login(page, live_server, designer)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.keyboard.press("n")  # outside any list: adds a stage
    form = page.locator("form.form-stage")
    expect(form.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Qualify")
    page.keyboard.press("Tab")
    value = form.get_by_role("combobox", name="Sales stage value")
    expect(value).to_be_focused()
    page.keyboard.type("qual")
    expect(form.get_by_role("listbox").get_by_role("option", name="01 - Qualify")).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(value).to_have_value("01 - Qualify")
    page.keyboard.press("Enter")  # saves
    expect(page.get_by_role("button", name="Edit stage “Qualify”")).to_be_focused()
    assert orch.stages.get(name="Qualify").lifecycle_attr_value == "01 - Qualify"


def test_the_connections_page_refreshes_the_catalogue_and_passes_axe(page, live_server, login, publisher, orch):
    login(publisher)
    page.goto(f"{live_server.url}/connections/")
    section = page.locator("#catalogue")
    expect(section.locator("#catalogue-default")).to_contain_text("28")
    assert severe_violations(page) == []
    section.get_by_role("button", name="Refresh default").click()
    expect(page.locator("#messages")).to_contain_text("Catalogue of default: Read 28 activity template(s)")
    assert severe_violations(page) == []


def test_the_diagram_s_step_editor_picks_by_name_too(page, live_server, login, designer, db):
    demo_orch = orchestration_import(document=demo.demo_document()).orchestration
    catalogue_refresh(connection_name="default")
    login(designer)
    page.goto(f"{live_server.url}/orchestrations/{demo_orch.number}/diagram/")
    first_stage = Stage.objects.filter(orchestration=demo_orch).order_by("display_sequence").first()
    first_step = first_stage.steps.order_by("display_sequence").first()
    node = page.locator(f'[data-node="step-{first_step.number}"]')
    node.focus()
    page.keyboard.press("Enter")
    editor = page.locator("#diagram-editor")
    search = editor.get_by_role("combobox", name="Activity template")
    expect(search).to_have_value("Qualification call")  # the demo's id, named
    search.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("customer meet")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(editor.get_by_label("Activity template ID", exact=True)).to_have_value("300100000010002")
    page.keyboard.press("Enter")
    expect(editor).to_contain_text("Saved.")
    first_step.refresh_from_db()
    assert first_step.activity_template_id == 300100000010002


def test_a_field_update_row_is_offered_the_attributes_of_the_refreshed_catalogue(
    page, live_server, login, designer, db
):
    orch = build_orchestration(stages=1)
    login(designer)
    page.goto(f"{live_server.url}/connections/")
    page.locator("#catalogue").get_by_role("button", name="Refresh default").click()
    expect(page.locator("#messages")).to_contain_text("13 opportunity attribute(s)")
    expect(page.locator("#catalogue-default")).to_contain_text("13")

    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Edit step “Meeting 1”").focus()
    page.keyboard.press("Enter")
    form = page.locator("form.form-step")
    form.get_by_label("Type", exact=True).select_option("FIELD_UPDATE")
    setting = form.get_by_role("group", name="Field update")
    attribute = setting.get_by_label("Attribute, row 1")
    datalist = setting.locator("datalist")
    expect(datalist).to_have_count(1)
    expect(attribute).to_have_attribute("list", datalist.get_attribute("id"))
    expect(datalist.locator('option[value="WinProb"]')).to_have_attribute("label", "Win probability · number")

    attribute.focus()
    page.keyboard.type("WinP")
    # Headless Chromium draws no datalist popup (it is a native widget), so ArrowDown + Enter cannot
    # be driven here: what is checked is what the browser's list offers for the typed text, through
    # the input's own `list`, and that the name typed to the end is taken as it is.
    offered = attribute.evaluate(
        "el => [...el.list.options].map(o => o.value).filter(v => v.toLowerCase().includes(el.value.toLowerCase()))"
    )
    assert offered == ["WinProb"]
    page.keyboard.type("rob")
    expect(attribute).to_have_value("WinProb")
    expect(attribute).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Text → Number
    page.keyboard.press("Tab")
    page.keyboard.type("40")
    setting.get_by_role("button", name="Add row").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Foo")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("x")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Saved step “Meeting 1”")
    step = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    assert step.field_update_json == '{"WinProb": 40, "Foo": "x"}'  # an unknown name is kept

    page.get_by_role("button", name="Edit step “Meeting 1”").click()
    setting = page.locator("form.form-step").get_by_role("group", name="Field update")
    warning = setting.locator(".json-row-warning")
    expect(warning).to_have_text("“Foo” is not an attribute of Opportunity in the catalogue of default.")
    expect(setting.get_by_label("Attribute, row 2")).to_have_accessible_description(
        re.compile(r"“Foo” is not an attribute of Opportunity in the catalogue of default\.$")
    )
    assert severe_violations(page) == []
