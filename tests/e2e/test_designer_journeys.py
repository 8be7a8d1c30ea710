"""Designer journeys in Chromium: restructure (drag, keyboard move, delete with its cascade),
mistakes flagged where they are made, stale edits, and what a Viewer sees."""

from django.db.models import F
from playwright.sync_api import Page, expect

from orchestrator.models import Stage, Step
from tests.factories import build_orchestration


def open_designer(page: Page, live_server, login, user, stages: int = 2):
    orch = build_orchestration(stages=stages)
    login(user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("No problems")
    return orch


def step_names(page: Page, stage: Stage) -> list[str]:
    return page.locator(f"#steps-{stage.number} > li > .row .name").all_inner_texts()


def test_drag_a_step_and_find_the_order_kept_after_reload(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    stage = orch.stages.get(display_sequence=1)
    assert step_names(page, stage) == ["Call 1", "Meeting 1", "Advance 1"]

    page.locator(f"#steps-{stage.number}").evaluate("el => el.scrollIntoView({block: 'center'})")
    handle = page.locator(f"#steps-{stage.number} > li").nth(2).locator(".drag-handle").first
    target = page.locator(f"#steps-{stage.number} > li").nth(0)
    box, goal = handle.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for fraction in (0.1, 0.25, 0.5, 0.75, 1.0):  # several moves: SortableJS follows the pointer
        y = box["y"] + (goal["y"] + 4 - box["y"]) * fraction
        page.mouse.move(box["x"] + box["width"] / 2, y, steps=3)
    page.mouse.up()

    expect(page.locator("#messages")).to_contain_text("Moved step “Advance 1” to position 1 of 3.")
    expect(page.locator(f"#steps-{stage.number} > li > .row .counter")).to_have_text(["1.", "2.", "3."])
    page.reload()
    expect(page.locator(f"#steps-{stage.number} > li > .row .name")).to_have_text(["Advance 1", "Call 1", "Meeting 1"])
    assert list(stage.steps.order_by("display_sequence").values_list("name", flat=True)) == [
        "Advance 1",
        "Call 1",
        "Meeting 1",
    ]


def test_move_buttons_and_alt_arrows_reorder_through_the_same_endpoint(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    stage = orch.stages.get(display_sequence=1)
    page.get_by_role("button", name="More actions for step “Call 1”").click()
    page.get_by_role("menu").get_by_role("menuitem", name="Move down").click()
    expect(page.locator("#messages")).to_contain_text("Moved step “Call 1” to position 2 of 3.")
    # The moved row keeps the focus (on its menu button), so the next press moves it on.
    expect(page.get_by_role("button", name="More actions for step “Call 1”")).to_be_focused()
    expect(page.get_by_role("menu")).to_be_hidden()
    page.keyboard.press("Alt+ArrowDown")
    expect(page.locator("#messages")).to_contain_text("Moved step “Call 1” to position 3 of 3.")
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#messages")).to_contain_text("Moved step “Call 1” to position 1 of 3.")
    page.reload()
    assert step_names(page, stage) == ["Call 1", "Meeting 1", "Advance 1"]
    page.get_by_role("button", name="More actions for objective “Objective 1.2”").click()
    page.get_by_role("menuitem", name="Move up").click()
    expect(page.locator("#messages")).to_contain_text("Moved objective “Objective 1.2” to position 1 of 2.")
    assert stage.objectives.order_by("display_sequence").first().name == "Objective 1.2"


def test_delete_a_stage_after_seeing_what_goes_with_it(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="More actions for stage “Stage 1”").click()
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete stage “Stage 1”?")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".cascade li")).to_have_text(
        [
            "2 objectives: “Objective 1.1”, “Objective 1.2”",
            "3 steps: “Call 1”, “Meeting 1”, “Advance 1”",
            "2 step tasks",
            "2 “serves” links",
        ]
    )
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # back where it was: the menu closed, the focus on its button
    expect(page.get_by_role("button", name="More actions for stage “Stage 1”")).to_be_focused()
    assert orch.stages.count() == 2

    page.get_by_role("button", name="More actions for stage “Stage 1”").click()
    page.get_by_role("menuitem", name="Delete").click()
    dialog.get_by_role("button", name="Delete stage").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#stages > li")).to_have_count(1)
    expect(page.locator("#messages")).to_contain_text("Deleted stage “Stage 1” with 2 objectives")
    expect(page.get_by_role("button", name="Edit stage “Stage 2”")).to_be_focused()
    expect(page.locator(".stage-title")).to_have_text(["Stage 1: Stage 2"])
    assert list(orch.stages.values_list("name", "display_sequence")) == [("Stage 2", 1)]

    # Undo (Ctrl+Z while the message offers it): the stage is back in its place with all it took.
    page.keyboard.press("Control+z")
    expect(page.locator("#messages")).to_contain_text("Restored stage “Stage 1”.")
    expect(page.get_by_role("button", name="Edit stage “Stage 1”")).to_be_focused()
    expect(page.locator(".stage-title")).to_have_text(["Stage 1: Stage 1", "Stage 2: Stage 2"])
    expect(page.locator("#problems")).to_contain_text("No problems")
    assert orch.stages.get(display_sequence=1).steps.count() == 3


def test_a_wrong_value_is_flagged_beside_its_field_and_kept(page, live_server, login, designer):
    open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    form = page.locator("form.form-step")
    # Success criteria open as rows; the raw JSON is the advanced editor (issue 11).
    form.get_by_role("group", name="Success criteria").get_by_label("JSON (advanced)").check()
    form.get_by_label("Success criteria (JSON)").fill('{"Status": ')
    form.get_by_role("button", name="Save").click()
    criteria = form.get_by_label("Success criteria (JSON)")
    expect(criteria).to_have_attribute("aria-invalid", "true")
    expect(criteria).to_be_focused()
    expect(form.locator(".field-error")).to_contain_text("This is not valid JSON")
    expect(criteria).to_have_value('{"Status": ')  # nothing typed is lost
    # The message is tied to the field for assistive technology.
    described = criteria.get_attribute("aria-describedby")
    expect(page.locator(f"#{described}")).to_contain_text("This is not valid JSON")
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Edit step “Call 1”")).to_be_focused()


def test_a_wait_without_duration_is_a_problem_whose_link_focuses_the_field(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    meeting = Step.objects.get(stage__orchestration=orch, name="Meeting 1")
    page.get_by_role("button", name="Edit step “Meeting 1”").click()
    form = page.locator("form.form-step")
    form.get_by_label("Type", exact=True).select_option("WAIT")
    expect(form.get_by_label("Days to wait")).to_be_visible()
    expect(form.get_by_label("Activity template ID")).to_have_count(0)  # only the settings a wait uses
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Saved step “Meeting 1”.")

    problem = page.locator("#problems").get_by_role("link", name="waits, but for how long?")
    expect(problem).to_be_visible()
    badge = page.locator(f"#stage-{meeting.stage.number}-badge")
    expect(badge).to_have_text("1 problem")
    problem.click()
    days = page.locator(f"#step-{meeting.number}-days_to_wait")
    expect(days).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#problems")).to_contain_text("No problems")
    expect(badge).to_have_text("No problems")


def test_a_stale_edit_shows_their_value_and_both_choices_work(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    call = Step.objects.get(stage__orchestration=orch, name="Call 1")
    form = page.locator(f"#step-{call.number}-main")

    # Keep mine.
    page.get_by_role("button", name="Edit step “Call 1”").click()
    expect(form.get_by_label("Name", exact=True)).to_be_focused()  # the form is open: now someone else saves
    Step.objects.filter(pk=call.pk).update(name="Their call", version=F("version") + 1)
    form.get_by_label("Name", exact=True).fill("My call")
    form.get_by_role("button", name="Save").click()
    conflict = form.locator(".conflict")
    expect(conflict).to_contain_text("Someone else saved this while you were editing.")
    expect(conflict.locator("tbody tr").locator("th, td")).to_have_text(["Name", "Their call", "My call"])
    expect(page.locator("#messages")).to_contain_text("Someone else saved step “Their call”")
    expect(form.get_by_role("button", name="Keep mine")).to_be_focused()
    form.get_by_role("button", name="Keep mine").click()
    expect(page.get_by_role("button", name="Edit step “My call”")).to_be_visible()
    assert Step.objects.get(pk=call.pk).name == "My call"

    # Take theirs.
    page.get_by_role("button", name="Edit step “My call”").click()
    expect(form.get_by_label("Name", exact=True)).to_be_focused()
    Step.objects.filter(pk=call.pk).update(name="Their second call", version=F("version") + 1)
    form.get_by_label("Name", exact=True).fill("Mine again")
    form.get_by_role("button", name="Save").click()
    form.get_by_role("button", name="Take theirs").click()
    expect(page.get_by_role("button", name="Edit step “Their second call”")).to_be_focused()
    assert Step.objects.get(pk=call.pk).name == "Their second call"


def test_header_edits_in_place(page, live_server, login, designer):
    open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit the orchestration details").click()
    form = page.locator("form.form-orchestration")
    expect(form.get_by_label("Name", exact=True)).to_be_focused()
    form.get_by_label("Name", exact=True).fill("Enterprise playbook")
    form.get_by_label("Object").select_option("Lead")
    form.get_by_label("Association rank").fill("5")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enterprise playbook")
    expect(page.locator(".facts")).to_contain_text("Lead")
    expect(page.locator("#last-changed")).to_contain_text(f"by {designer.username}")


def test_bulk_edit_sets_a_shared_setting_on_the_selected_steps(page, live_server, login, designer):
    orch = open_designer(page, live_server, login, designer)
    bar = page.locator("#bulk-steps")
    expect(page.locator(".bulk-bar")).to_be_hidden()  # nothing ticked: no bar
    page.get_by_label("Select step “Call 1”").check()
    page.get_by_label("Select step “Meeting 2”").check()
    expect(bar).to_contain_text("2 steps selected.")
    bar.get_by_label("Allow skip").select_option("yes")
    bar.get_by_role("button", name="Apply to selected steps").click()
    expect(page.locator("#messages")).to_contain_text("Changed allow skip on 2 of 2 selected.")
    call = Step.objects.get(stage__orchestration=orch, name="Call 1")
    expect(page.locator(f"#step-{call.number}-main")).to_contain_text("may be skipped")
    expect(page.locator(".bulk-bar")).to_be_hidden()  # the selection is cleared after applying
    assert set(Step.objects.filter(stage__orchestration=orch, allow_skip=True).values_list("name", flat=True)) == {
        "Call 1",
        "Meeting 2",
    }


def test_a_viewer_sees_everything_and_no_edit_control(page, live_server, login, viewer):
    orch = open_designer(page, live_server, login, viewer)
    expect(page.locator("#stages > li")).to_have_count(2)
    expect(page.locator(".step")).to_have_count(6)
    # Its only buttons are reading aids: a disclosure per stage, collapse and expand all.
    expect(page.locator("main").get_by_role("button")).to_have_count(2 + 2)
    expect(page.locator("main button:not([data-stage-toggle]):not([data-collapse-all])")).to_have_count(0)
    expect(page.locator("main input, main select, main textarea, .drag-handle")).to_have_count(0)
    expect(page.locator(".serves").first).to_contain_text("Serves: Objective 1.1")
    page.keyboard.press("n")
    expect(page.locator("form")).to_have_count(1)  # only the log-out form in the header
    page.goto(f"{live_server.url}/orchestrations/")
    expect(page.get_by_role("link", name=orch.name)).to_be_visible()
    expect(page.get_by_role("button", name="New orchestration")).to_have_count(0)
    expect(page.locator("main").get_by_role("button", name="Archive")).to_have_count(0)


def test_an_ended_session_keeps_the_edit_and_says_so(page, live_server, login, designer):
    open_designer(page, live_server, login, designer)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    name = page.locator("form.form-step").get_by_label("Name", exact=True)
    name.fill("Renamed after logout")
    page.context.clear_cookies(name="sessionid")  # the session ends; the CSRF cookie stays
    page.locator("form.form-step").get_by_role("button", name="Save").click()
    # An error: in the assertive (role=alert) toast region, where it stays until dismissed.
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended.")
    expect(name).to_have_value("Renamed after logout")
