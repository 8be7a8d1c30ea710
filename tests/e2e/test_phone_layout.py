"""At 390 px (a phone) no page scrolls sideways and the header keeps who is signed in and Log out in view
(issue 11, item 7: the header overflowed to 580 px and hid Log out)."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import build_orchestration

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def orch(db):
    return build_orchestration(stages=3)


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _assert_fits(page: Page, where: str) -> None:
    width = _page_width(page)
    # The widest culprits, named in the failure so it says what to fix.
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
        .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= 391)
        .slice(0, 8)
        .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )
    assert width <= PHONE["width"], f"{where}: the page is {width} px wide at {PHONE['width']} px: {wide}"
    logout = page.get_by_role("button", name="Log out")
    expect(logout).to_be_in_viewport()
    box = logout.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], where


PAGES = {
    "list": lambda o: "/orchestrations/",
    "designer": lambda o: f"/orchestrations/{o.number}/",
    "review": lambda o: f"/orchestrations/{o.number}/review/",
    "publish": lambda o: f"/orchestrations/{o.number}/publish/",
    "history": lambda o: f"/orchestrations/{o.number}/history/",
    "sandbox": lambda o: "/sandbox/",
    "connections": lambda o: "/connections/",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_sideways_scroll_at_390_px(page, live_server, login, admin_user, orch, name):
    page.set_viewport_size(PHONE)
    login(admin_user)
    page.goto(f"{live_server.url}{PAGES[name](orch)}")
    _assert_fits(page, name)


def test_an_open_step_form_fits_too(page, live_server, login, admin_user, orch):
    page.set_viewport_size(PHONE)
    login(admin_user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Edit step “Call 1”").click()
    expect(page.locator("form.form-step")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")  # the form took the focus further down; the header is at the top
    _assert_fits(page, "designer with a step form open")
