"""Browser journey: a publisher checks the built-in sandbox's compatibility from the Connections page.

The report swaps in under the table without a reload, keeps the link usable
without JavaScript (it is a real href), and axe finds nothing serious in it.
"""

from playwright.sync_api import expect

from .test_a11y import severe_violations


def test_a_publisher_checks_a_connection_and_reads_the_report(page, live_server, login, publisher, settings):
    settings.SANDBOX_PROFILE = "strict"
    login(publisher)
    page.goto(f"{live_server.url}/connections/")
    check = page.get_by_role("link", name="Check default")
    expect(check).to_have_attribute("href", "/connections/default/check/")
    check.click()
    report = page.locator("#check-report")
    expect(report).to_contain_text("Compatible:")
    expect(report).to_contain_text("by ids")
    assert page.url == f"{live_server.url}/connections/"  # swapped in place, not a new page
    page.get_by_text("Stages (stage)").click()  # open the Stages table
    row = report.locator("tr", has_text="LifecycleAttrValue")
    expect(row).to_contain_text("LifecycleAttributeValue")
    expect(row).to_contain_text("renamed")
    assert severe_violations(page) == []
