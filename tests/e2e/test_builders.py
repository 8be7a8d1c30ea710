"""Field update and success criteria as rows in Chromium (issue 11, item 5): built with the keyboard,
saved and reopened, the raw JSON one toggle away with its message beside it, a problem link that
lands on the rows, and axe finds nothing serious in the builder."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orchestrator.models import Step, StepType
from tests.factories import build_orchestration

SEVERE = {"serious", "critical"}


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in SEVERE
    ]


def open_designer(page: Page, live_server, login, user):
    orch = build_orchestration(stages=1)
    login(user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("No problems")
    return orch


def test_build_a_field_update_of_two_rows_with_the_keyboard(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Meeting 1”").focus()
    page.keyboard.press("Enter")
    form = page.locator("form.form-step")
    form.get_by_label("Type", exact=True).select_option("FIELD_UPDATE")
    setting = form.get_by_role("group", name="Field update")
    expect(setting.get_by_label("Rows")).to_be_checked()

    setting.get_by_label("Attribute, row 1").focus()
    page.keyboard.type("WinProb")
    page.keyboard.press("Tab")
    expect(setting.get_by_label("Kind, row 1")).to_be_focused()
    page.keyboard.press("ArrowDown")  # Text → Number
    expect(setting.get_by_label("Kind, row 1")).to_have_value("number")
    page.keyboard.press("Tab")
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    expect(setting.get_by_role("button", name="Remove field update row 1")).to_be_focused()
    page.keyboard.press("Tab")
    expect(setting.get_by_role("button", name="Add row")).to_be_focused()
    page.keyboard.press("Enter")
    expect(setting.get_by_label("Attribute, row 2")).to_be_focused()
    page.keyboard.type("ForecastCategory")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("PIPELINE")
    page.keyboard.press("Control+Enter")

    expect(page.locator("#messages")).to_contain_text("Saved step “Meeting 1”")
    step = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    assert step.step_type == StepType.FIELD_UPDATE
    assert step.field_update_json == '{"WinProb": 40, "ForecastCategory": "PIPELINE"}'

    # Reopened, the rows are back as they were typed (and one blank row to add another).
    page.get_by_role("button", name="Edit step “Meeting 1”").click()
    setting = page.locator("form.form-step").get_by_role("group", name="Field update")
    expect(setting.get_by_label("Attribute, row 1")).to_have_value("WinProb")
    expect(setting.get_by_label("Kind, row 1")).to_have_value("number")
    expect(setting.get_by_label("Value, row 1")).to_have_value("40")
    expect(setting.get_by_label("Attribute, row 2")).to_have_value("ForecastCategory")
    expect(setting.get_by_label("Kind, row 2")).to_have_value("text")
    expect(setting.get_by_label("Value, row 2")).to_have_value("PIPELINE")
    expect(setting.get_by_label("Attribute, row 3")).to_have_value("")

    # Saved unchanged, the stored text is the same bytes.
    page.locator("form.form-step").get_by_role("button", name="Save").click()
    expect(page.locator("form.form-step")).to_have_count(0)  # the message is the first save's: wait for the row
    step.refresh_from_db()
    assert step.field_update_json == '{"WinProb": 40, "ForecastCategory": "PIPELINE"}'


def test_remove_a_row_and_keep_the_focus_in_the_rows(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    step = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    Step.objects.filter(pk=step.pk).update(
        step_type=StepType.FIELD_UPDATE,
        activity_template_id=None,
        grace_period=None,
        field_update_json='{"A": 1, "B": "two", "C": true}',
    )
    page.reload()
    page.get_by_role("button", name="Edit step “Meeting 1”").click()
    setting = page.locator("form.form-step").get_by_role("group", name="Field update")
    setting.get_by_role("button", name="Remove field update row 2").focus()
    page.keyboard.press("Enter")
    # The row that took its place has the focus, and the labels say the new positions.
    expect(setting.get_by_label("Attribute, row 2")).to_be_focused()
    expect(setting.get_by_label("Attribute, row 2")).to_have_value("C")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#messages")).to_contain_text("Saved step “Meeting 1”")
    step.refresh_from_db()
    assert step.field_update_json == '{"A": 1, "C": true}'


def test_advanced_json_with_a_mistake_is_flagged_beside_the_field(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    form = page.locator("form.form-step")
    criteria = form.get_by_role("group", name="Success criteria")
    criteria.get_by_label("Attribute, row 1").fill("ActivityStatus")
    criteria.get_by_label("Value, row 1").fill("COMPLETE")
    criteria.get_by_label("JSON (advanced)").check()
    # The rows come back as JSON (the server converts them; nothing is saved), the focus stays on the switch.
    raw = criteria.get_by_label("Success criteria (JSON)")
    expect(raw).to_have_value('{"ActivityStatus": "COMPLETE"}')
    expect(criteria.get_by_label("JSON (advanced)")).to_be_focused()
    raw.fill('{"ActivityStatus": ')
    form.get_by_role("button", name="Save").click()
    expect(raw).to_have_attribute("aria-invalid", "true")
    expect(raw).to_be_focused()
    error = criteria.locator(".field-error")
    expect(error).to_contain_text("This is not valid JSON")
    expect(page.locator(f"#{raw.get_attribute('aria-describedby')}")).to_contain_text("This is not valid JSON")
    expect(raw).to_have_value('{"ActivityStatus": ')  # nothing typed is lost
    assert severe_violations(page) == []
    assert Step.objects.get(stage__orchestration=orch, name="Call 1").success_criteria == ""

    # Back to rows: the JSON, once valid, shows as rows again.
    raw.fill('{"ActivityStatus": "COMPLETE", "Outcome": "HELD"}')
    criteria.get_by_label("Rows").check()
    expect(criteria.get_by_label("Attribute, row 2")).to_have_value("Outcome")
    expect(criteria.get_by_label("Rows")).to_be_focused()


def test_a_bad_row_is_flagged_beside_it_and_focused(page, live_server, login, designer):
    open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    form = page.locator("form.form-step")
    criteria = form.get_by_role("group", name="Success criteria")
    criteria.get_by_label("Attribute, row 1").fill("Score")
    criteria.get_by_label("Kind, row 1").select_option("number")
    criteria.get_by_label("Value, row 1").fill("high")
    form.get_by_role("button", name="Save").click()
    value = criteria.get_by_label("Value, row 1")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(criteria.get_by_label("Attribute, row 1")).not_to_have_attribute("aria-invalid", "true")
    expect(value).to_be_focused()
    expect(page.locator(f"#{value.get_attribute('aria-describedby')}")).to_contain_text("Write a number such as 40")
    expect(value).to_have_value("high")
    assert severe_violations(page) == []


def test_a_missing_field_update_problem_lands_on_the_rows(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    step = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    Step.objects.filter(pk=step.pk).update(
        step_type=StepType.FIELD_UPDATE, activity_template_id=None, grace_period=None, field_update_json=""
    )
    page.reload()
    problem = page.locator("#problems a[data-problem][data-field=field_update_json]")
    problem.click()
    setting = page.locator("form.form-step").get_by_role("group", name="Field update")
    expect(setting.get_by_label("Attribute, row 1")).to_be_focused()
    assert severe_violations(page) == []


def test_rows_being_typed_survive_a_type_switch(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    form = page.locator("form.form-step")
    criteria = form.get_by_role("group", name="Success criteria")
    criteria.get_by_label("Attribute, row 1").fill("Outcome")
    criteria.get_by_label("Value, row 1").fill("HELD")
    # "Add row" with a blank row waiting goes to that row instead of adding a second blank one.
    criteria.get_by_role("button", name="Add row").click()
    expect(criteria.get_by_label("Attribute, row 2")).to_be_focused()
    criteria.get_by_role("button", name="Add row").click()
    expect(criteria.locator("[data-json-row-list] [data-json-row]")).to_have_count(2)
    form.get_by_label("Type", exact=True).select_option("APPOINTMENT")
    expect(form.get_by_label("Type", exact=True)).to_have_value("APPOINTMENT")
    criteria = page.locator("form.form-step").get_by_role("group", name="Success criteria")
    expect(criteria.get_by_label("Attribute, row 1")).to_have_value("Outcome")
    expect(criteria.get_by_label("Value, row 1")).to_have_value("HELD")
    page.locator("form.form-step").get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Saved step “Call 1”")
    step = Step.objects.get(stage__orchestration=orch, name="Call 1")
    assert (step.step_type, step.success_criteria) == (StepType.APPOINTMENT, '{"Outcome": "HELD"}')
    expect(page.locator(f"#step-{step.number}-main")).to_contain_text("succeeds when Outcome = “HELD”")
