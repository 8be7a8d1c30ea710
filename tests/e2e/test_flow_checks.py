"""Flow checks and Next stage references in Chromium: a step moved behind a Next stage step is flagged and
fixed by keyboard; a stage's new sales stage value takes the Next stage steps along; the delete dialog warns."""

from playwright.sync_api import Page, expect

from orchestrator.models import Step, StepType
from tests.e2e.test_a11y import severe_violations
from tests.factories import build_orchestration


def open_designer(page: Page, live_server, login, user, stages: int = 2):
    orch = build_orchestration(stages=stages)
    login(user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.wait_for_load_state()  # the designer's script listens for shortcuts once the page has loaded
    expect(page.locator("#problems")).to_contain_text("No problems")
    return orch


def test_a_step_moved_behind_a_next_stage_step_is_flagged_and_fixed(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    stage = orch.stages.get(display_sequence=1)
    problems = page.locator("#problems")

    page.get_by_role("button", name="Edit step “Advance 1”").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#messages")).to_contain_text("Moved step “Advance 1” to position 2 of 3.")
    expect(page.locator(f"#steps-{stage.number} > li > .row .name")).to_have_text(["Call 1", "Advance 1", "Meeting 1"])
    unreachable = problems.get_by_role("link", name="Step “Meeting 1” can never run", exact=False)
    expect(unreachable).to_contain_text("the step before it, “Advance 1”, moves to another stage")
    expect(page.locator(f"#stage-{stage.number}-badge")).to_have_text("1 problem")
    meeting = Step.objects.get(stage=stage, name="Meeting 1")
    assert unreachable.get_attribute("href") == f"#step-{meeting.number}"
    assert severe_violations(page) == []

    # The moved row keeps the focus: one more press puts the Next stage step back at the end.
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#messages")).to_contain_text("Moved step “Advance 1” to position 3 of 3.")
    expect(problems).to_contain_text("No problems")
    expect(unreachable).to_have_count(0)
    expect(page.locator(f"#stage-{stage.number}-badge")).to_have_text("No problems")


def test_a_new_sales_stage_value_takes_the_next_stage_steps_along(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer, stages=3)
    advance = Step.objects.get(stage__orchestration=orch, stage__display_sequence=1, step_type=StepType.NEXT_STAGE)

    page.get_by_role("button", name="Edit stage “Stage 2”").click()
    form = page.locator("form.form-stage")
    offer = form.get_by_label("Also update the 1 Next stage step that moves to “02 - Stage 2”")
    expect(offer).to_be_checked()
    expect(form).to_contain_text("If you change the value: “Advance 1” in stage “Stage 1”.")
    assert severe_violations(page) == []
    form.get_by_label("Sales stage value").fill("02 - Propose")
    form.get_by_role("button", name="Save").click()

    expect(page.locator("#messages")).to_contain_text(
        "Saved stage “Stage 2” and the Next stage steps that move to it (“Advance 1”)."
    )
    expect(page.locator(f"#step-{advance.number}-main")).to_contain_text("to “02 - Propose”")
    expect(page.locator("#problems")).to_contain_text("No problems")
    advance.refresh_from_db()
    assert advance.next_stage_value == "02 - Propose"

    # Unticked, the step keeps the old value and the Problems panel names it.
    page.get_by_role("button", name="Edit stage “Stage 2”").click()
    form = page.locator("form.form-stage")
    form.get_by_label("Also update the 1 Next stage step that moves to “02 - Propose”").uncheck()
    form.get_by_label("Sales stage value").fill("02 - Nowhere")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#problems")).to_contain_text(
        "Step “Advance 1” moves to “02 - Propose”, but no stage of this orchestration mirrors that sales stage."
    )
    expect(page.locator(f"#step-{advance.number}-main")).to_contain_text("to “02 - Propose”")


def test_the_delete_dialog_lists_the_next_stage_steps_that_lose_their_target(page, live_server, login, designer):
    open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="More actions for stage “Stage 2”").click()
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete stage “Stage 2”?")
    expect(dialog).to_contain_text("1 Next stage step of other stages moves to “02 - Stage 2”")
    expect(dialog.locator(".stranded li")).to_have_text(["“Advance 1” in stage “Stage 1”"])
    assert severe_violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
