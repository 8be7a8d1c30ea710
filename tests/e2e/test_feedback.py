"""Feedback where the action happened (issue 11, item 6), in Chromium: toasts fixed to the viewport with
the deletion's Undo inside, the bulk bar only while something is ticked, the row menu by keyboard,
stages that collapse with a jump list, the focus after "Create and open", and axe on all of it."""

import pytest
from playwright.sync_api import Page, expect

from orchestrator.models import Orchestration, Step
from tests.e2e.test_a11y import severe_violations
from tests.factories import build_orchestration


@pytest.fixture
def orch(db):
    return build_orchestration(stages=6)


def open_designer(page: Page, live_server, login, user, orch):
    login(user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    expect(page.locator("#problems")).to_contain_text("No problems")


def in_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def test_a_mouse_delete_far_down_shows_the_toast_with_undo_in_view(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    step = Step.objects.get(stage__orchestration=orch, name="Meeting 6")
    row = page.locator(f"#step-{step.number}-main")
    row.scroll_into_view_if_needed()
    page.get_by_role("button", name="More actions for step “Meeting 6”").click()
    page.get_by_role("menu").get_by_role("menuitem", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete step").click()
    expect(row).to_have_count(0)
    assert page.evaluate("window.scrollY") > 1500  # far below the top of the page, where the banner was

    toast = page.locator("#messages [data-toast]")
    expect(toast).to_contain_text("Deleted step “Meeting 6”")
    assert in_viewport(page, toast)
    undo = toast.get_by_role("button", name="Undo")
    assert in_viewport(page, undo)
    undo.click()
    expect(page.locator("#messages")).to_contain_text("Restored step “Meeting 6”.")
    expect(page.locator(f"#step-{step.number}-main")).to_be_visible()
    assert Step.objects.filter(stage__orchestration=orch, name="Meeting 6").exists()
    expect(page.locator("#messages [data-undo]")).to_have_count(0)  # the undo is spent: its button went with it

    # Its close button dismisses a toast.
    page.locator("#messages").get_by_role("button", name="Dismiss this message").click()
    expect(page.locator("#messages [data-toast]")).to_have_count(0)


def test_a_toast_waits_while_hovered_goes_by_itself_and_closes_with_esc(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    page.get_by_role("button", name="More actions for step “Call 1”").click()
    page.get_by_role("menuitem", name="Move down").click()
    toast = page.locator("#messages [data-toast]")
    expect(toast).to_contain_text("Moved step “Call 1” to position 2 of 3.")
    toast.hover()
    page.wait_for_timeout(9000)  # longer than a plain toast lives (8 s)
    expect(toast).to_be_visible()
    page.mouse.move(5, 5)
    expect(toast).to_have_count(0, timeout=12000)  # counting again once the pointer left

    # Nor while the focus is in it; Esc there closes it and the focus goes back where it was.
    page.get_by_role("button", name="More actions for step “Call 1”").click()
    page.get_by_role("menuitem", name="Move up").click()
    expect(toast).to_contain_text("Moved step “Call 1” to position 1 of 3.")
    toast.get_by_role("button", name="Dismiss this message").focus()
    page.wait_for_timeout(9000)
    expect(toast).to_be_visible()
    page.keyboard.press("Escape")
    expect(toast).to_have_count(0)
    expect(page.get_by_role("button", name="More actions for step “Call 1”")).to_be_focused()

    page.get_by_role("button", name="More actions for step “Call 1”").click()
    page.get_by_role("menuitem", name="Move down").click()
    expect(toast).to_contain_text("Moved step “Call 1” to position 2 of 3.")
    page.locator("main h1").click()
    page.keyboard.press("Escape")  # outside a form, dialog or menu: the newest toast goes
    expect(toast).to_have_count(0)


def test_an_error_toast_is_announced_assertively_and_stays(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    page.get_by_role("button", name="Edit step “Call 1”").click()
    page.context.clear_cookies(name="sessionid")
    page.locator("form.form-step").get_by_role("button", name="Save").click()
    alert = page.locator("#alerts[role=alert] [data-toast]")
    expect(alert).to_contain_text("Your session has ended.")
    assert in_viewport(page, alert)
    page.wait_for_timeout(8500)  # longer than a plain toast lives
    expect(alert).to_be_visible()
    alert.get_by_role("button", name="Dismiss this message").focus()
    page.keyboard.press("Escape")
    expect(alert).to_have_count(0)


def test_the_bulk_bar_shows_only_while_a_box_is_ticked(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    bar = page.locator(".bulk-bar")
    expect(bar).to_be_hidden()
    box = page.get_by_label("Select step “Call 1”")
    box.check()
    expect(bar).to_be_visible()
    expect(page.locator("#bulk-steps")).to_contain_text("1 step selected.")
    expect(page.locator("#bulk-step_tasks")).to_be_hidden()  # only the form of what is ticked
    box.uncheck()
    expect(bar).to_be_hidden()


def test_the_row_menu_by_keyboard(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    more = page.get_by_role("button", name="More actions for step “Call 1”")
    menu = page.get_by_role("menu", name="More actions for step “Call 1”")
    expect(page.get_by_role("button", name="Edit step “Call 1”")).to_be_visible()  # the common action stays
    expect(more).to_have_attribute("aria-haspopup", "menu")
    more.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("menuitem", name="Move up")).to_be_focused()
    expect(menu.get_by_role("menuitem", name="Move up")).to_have_attribute("aria-disabled", "true")  # first row
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Move down")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # wraps round
    expect(menu.get_by_role("menuitem", name="Move up")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more).to_be_focused()
    expect(more).to_have_attribute("aria-expanded", "false")

    page.keyboard.press(" ")  # Space opens it too
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Moved step “Call 1” to position 2 of 3.")
    expect(more).to_be_focused()

    page.keyboard.press("ArrowUp")  # ↑ on the button opens it on its last item
    expect(menu.get_by_role("menuitem", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete step “Call 1”?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(more).to_be_focused()

    # The shortcuts of the help dialog still work on the row: e edits, Delete asks.
    page.keyboard.press("Delete")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.locator("form.form-step")).to_be_visible()


def test_stages_collapse_and_the_jump_list_follows_them(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    first = orch.stages.get(display_sequence=1)
    toggle = page.locator(f"#stage-{first.number}-toggle")
    expect(toggle).to_have_accessible_name("Objectives and steps of Stage 1: Stage 1")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f"#stage-{first.number}-body")).to_be_hidden()
    expect(page.locator(f"#stage-{first.number}-summary")).to_have_text("2 objectives · 3 steps")
    page.reload()  # kept in this browser
    expect(page.locator(f"#stage-{first.number}-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f"#stage-{first.number}-body")).to_be_hidden()

    # A problem inside a collapsed stage opens it when its link is followed.
    Step.objects.filter(stage=first, name="Meeting 1").update(name="")
    page.reload()
    page.locator("#problems a[data-problem]").first.click()
    expect(page.locator(f"#stage-{first.number}-body")).to_be_visible()
    expect(page.locator(f"#stage-{first.number}-summary")).to_have_count(0)

    jump = page.get_by_role("navigation", name="Jump to a stage")
    expect(jump.get_by_role("link")).to_have_count(6)
    jump.get_by_role("button", name="Collapse all").click()
    expect(page.locator(".stage-body:visible")).to_have_count(0)
    jump.get_by_role("button", name="Expand all").click()
    expect(page.locator(".stage-body:visible")).to_have_count(6)

    last = orch.stages.get(display_sequence=6)
    jump.get_by_role("link", name="6. Stage 6").click()
    expect(page.locator(f"#stage-{last.number}-toggle")).to_be_focused()
    assert in_viewport(page, page.locator(f"#stage-{last.number}-title"))

    # The list follows the stages: renamed, moved and added ones.
    page.get_by_role("button", name="Edit stage “Stage 6”").click()
    page.locator("form.form-stage").get_by_label("Name", exact=True).fill("Closing")
    page.locator("form.form-stage").get_by_role("button", name="Save").click()
    expect(jump.get_by_role("link").last).to_have_text("6. Closing")
    page.get_by_role("button", name="More actions for stage “Closing”").click()
    page.get_by_role("menuitem", name="Move up").click()
    expect(jump.get_by_role("link").nth(4)).to_have_text("5. Closing")
    expect(jump.get_by_role("link").nth(5)).to_have_text("6. Stage 5")


def test_create_and_open_lands_in_the_first_field(page, live_server, login, designer):
    login(designer)
    page.get_by_role("button", name="New orchestration").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()  # the number is suggested already
    dialog.get_by_label("Name", exact=True).fill("Fresh start")
    dialog.get_by_role("button", name="Create and open").click()
    page.wait_for_url("**/orchestrations/*/")
    orch = Orchestration.objects.get(name="Fresh start")
    form = page.locator("form.form-stage")
    expect(form.get_by_label("Name", exact=True)).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Created Fresh start")
    assert "#" not in page.url  # a reload does not open the form again
    page.keyboard.type("Qualify")
    page.keyboard.press("Tab")
    page.keyboard.type("Qualify")  # the sales stage value
    page.keyboard.press("Enter")
    expect(page.locator("#stages .stage-title")).to_have_text(["Stage 1: Qualify"])
    assert orch.stages.get().name == "Qualify"


def test_axe_with_a_toast_and_an_open_menu(page, live_server, login, designer, orch):
    open_designer(page, live_server, login, designer, orch)
    page.get_by_label("Select step “Call 1”").check()  # the bulk bar shown too
    page.get_by_role("button", name="More actions for step “Meeting 1”").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete step").click()
    expect(page.locator("#messages [data-undo]")).to_be_visible()
    page.locator(f"#stage-{orch.stages.get(display_sequence=2).number}-toggle").click()  # one stage collapsed
    page.get_by_role("button", name="More actions for stage “Stage 1”").click()
    expect(page.get_by_role("menu")).to_be_visible()
    assert severe_violations(page) == []


def test_touch_targets_are_44_px(browser, live_server, designer, orch):
    context = browser.new_context(has_touch=True, is_mobile=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(designer.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    for name in ("Edit step “Call 1”", "More actions for step “Call 1”"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (name, box)
    context.close()
