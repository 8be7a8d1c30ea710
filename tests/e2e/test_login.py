from playwright.sync_api import expect

from tests.factories import build_orchestration


def test_login_through_the_real_form_lands_on_the_list(page, live_server, login, designer):
    build_orchestration(stages=1, name="Enterprise playbook")
    login(designer)
    expect(page.get_by_role("heading", name="Orchestrations")).to_be_visible()
    expect(page.get_by_text("Enterprise playbook")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(page, live_server, designer):
    page.goto(f"{live_server.url}/orchestrations/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/orchestrations/")
    page.get_by_label("Username").fill(designer.username)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
