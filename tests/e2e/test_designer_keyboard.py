"""Journey 2 by keyboard alone: from nothing to an orchestration with no problems.

No mouse at all: the test signs in, creates the orchestration, adds stages,
objectives, steps and a step task, ticks "serves objective" and picks step
types using only Tab, Enter, Space, typing and the designer's shortcuts.
"""

from playwright.sync_api import Locator, Page, expect

from orchestrator import selectors
from orchestrator.models import Orchestration, StepType
from orchestrator.validation import validate_orchestration

PASSWORD = "pw-for-tests-only"


def keyboard_login(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/orchestrations/")


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator, limit: int = 120) -> None:
    """Press Tab (or Shift+Tab when the target comes earlier) until `locator` has the focus."""
    expect(locator).to_be_visible()
    forward = locator.evaluate(
        """el => {
          const active = document.activeElement;
          if (!active || active === document.body) return true;
          return Boolean(active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    for _ in range(limit):
        if is_focused(locator):
            return
        page.keyboard.press("Tab" if forward else "Shift+Tab")
    raise AssertionError(f"could not reach {locator} with the keyboard")


def type_into_focused(page: Page, label: str, text: str) -> None:
    expect(page.locator("form:focus-within").get_by_label(label, exact=True)).to_be_focused()
    page.keyboard.type(text)


def add_stage(page: Page, name: str, value: str, *, form_open: bool = False) -> None:
    if not form_open:
        page.keyboard.press("n")  # outside any list: adds a stage
    type_into_focused(page, "Name", name)
    page.keyboard.press("Tab")
    type_into_focused(page, "Sales stage value", value)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Edit stage “{name}”")).to_be_focused()


def add_objective(page: Page, stage: str, name: str) -> None:
    tab_to(page, page.get_by_role("button", name=f"Add objective to stage “{stage}”"))
    page.keyboard.press("Enter")
    type_into_focused(page, "Name", name)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Edit objective “{name}”")).to_be_focused()


def open_new_step(page: Page, stage: str, name: str, type_key: str = "", shows: str = "") -> None:
    """Open the new-step form of `stage` and type its name; `type_key` is typed on the type list to pick a
    type, whose form then `shows` a field. The form stays open, the focus on the type list (or the name)."""
    tab_to(page, page.get_by_role("button", name=f"Add step to stage “{stage}”"))
    page.keyboard.press("Enter")
    type_into_focused(page, "Name", name)
    if type_key:
        page.keyboard.press("Tab")
        type_list = page.locator("form.form-step").get_by_label("Type", exact=True)
        expect(type_list).to_be_focused()
        page.keyboard.type(type_key)  # picks the type; the form re-renders with that type's settings
        expect(page.locator("form.form-step").get_by_label(shows, exact=True)).to_be_visible()
        expect(type_list).to_be_focused()


def save_step(page: Page, name: str) -> None:
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("button", name=f"Edit step “{name}”")).to_be_focused()


def add_step(page: Page, stage: str, name: str, type_key: str = "", shows: str = "", then: str = "") -> None:
    """Add a step; `type_key` is typed on the type list to pick a type (whose form `shows` a field),
    `then` is typed into the field after the type."""
    open_new_step(page, stage, name, type_key, shows)
    if type_key and then:
        page.keyboard.press("Tab")
        page.keyboard.type(then)
    save_step(page, name)


def serve(page: Page, step: str, objective: str) -> None:
    box = page.locator("li.step", has=page.get_by_role("button", name=f"Edit step “{step}”")).get_by_label(objective)
    tab_to(page, box)
    page.keyboard.press("Space")
    expect(page.locator("#messages")).to_contain_text(f"Step “{step}” now serves “{objective}”.")
    expect(box).to_be_checked()


def add_step_task(page: Page, step: str, template: str, activity: str) -> None:
    tab_to(page, page.get_by_role("button", name=f"Add step task to step “{step}”"))
    page.keyboard.press("Enter")
    type_into_focused(page, "Activity template ID", template)
    page.keyboard.press("Tab")
    type_into_focused(page, "Activity ID", activity)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=f"Edit step task 1 of “{step}”")).to_be_focused()


def test_build_an_orchestration_with_no_problems_by_keyboard_alone(page, live_server, designer):
    keyboard_login(page, live_server, designer)

    tab_to(page, page.get_by_role("button", name="New orchestration"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    type_into_focused(page, "Name", "Keyboard playbook")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard playbook")
    page.wait_for_load_state()  # the designer's script listens for shortcuts once the page has loaded
    problems = page.locator("#problems")
    expect(problems).to_contain_text("has no stages yet")

    # "Create and open" lands in the first stage's form, focus in its Name (issue 11, item 6).
    add_stage(page, "Qualify", "01 - Qualify", form_open=True)
    add_stage(page, "Close", "02 - Close")
    expect(page.locator("#stages > li")).to_have_count(2)

    add_objective(page, "Qualify", "Budget known")
    add_step(page, "Qualify", "Call")
    serve(page, "Call", "Budget known")
    add_step_task(page, "Call", "300100000000101", "300100000000201")
    add_step(page, "Qualify", "Advance", type_key="N", shows="Next stage", then="C")  # Next stage → to “Close”

    add_objective(page, "Close", "Contract signed")
    add_step(page, "Close", "Sign")
    serve(page, "Sign", "Contract signed")
    add_step_task(page, "Sign", "300100000000102", "300100000000202")
    add_step(page, "Close", "Done", type_key="S", shows="Exit orchestration")  # Stop

    expect(problems).to_contain_text("No problems")
    expect(page.locator("#stages .badge")).to_have_text(["No problems", "No problems"])
    orch = Orchestration.objects.get(name="Keyboard playbook")
    tree = selectors.orchestration_tree(orch.number)
    assert validate_orchestration(tree) == []
    steps = [(s.name, s.step_type) for stage in tree.stages.all() for s in stage.steps.all()]
    assert steps == [
        ("Call", StepType.TASK),
        ("Advance", StepType.NEXT_STAGE),
        ("Sign", StepType.TASK),
        ("Done", StepType.STOP),
    ]
    assert tree.stages.all()[0].steps.all()[1].next_stage_value == "02 - Close"

    # The reload lands on the same, finished orchestration.
    page.reload()
    expect(problems).to_contain_text("No problems")

    # The shortcuts are documented where the user can find them: "?" opens the help.
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("move it up or down")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("p")
    expect(page.locator("#problems-title")).to_be_focused()
