"""Journey 5 in Chromium: publish the demo to the built-in sandbox from the UI, watch each stage reach done,
read the journal, then find the orchestration on the sandbox page exactly as designed.

Two variants: the test settings' ImmediateBackend (the task runs inside the POST), and django-tasks-db's
DatabaseBackend with `db_worker` started from a background thread after the click, so the page really polls
its way from "Queued" to "Done".
"""

import re
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.db import connections
from django_tasks_db.management.commands import db_worker
from playwright.sync_api import Page, expect

from orchestrator.demo import demo_document
from orchestrator.models import PublishRun, PublishRunStatus
from orchestrator.services.documents import orchestration_import

STATUS_TIMEOUT = 20_000  # ms: the worker thread and 1 s polls, on a busy 2-core machine


def seed_demo():
    """The demo orchestration, and what the sandbox must show of it: (name, objectives, steps) per stage."""
    document = demo_document()
    orch = orchestration_import(document=document).orchestration
    expected = [(s["StageName"], len(s["StageObjectives"]), len(s["Steps"])) for s in document["Stages"]]
    return orch, expected


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def open_plan(page: Page, live_server, login, user, orch, expected) -> None:
    login(user)
    page.goto(f"{live_server.url}/orchestrations/{orch.number}/")
    page.get_by_role("button", name="Publish").click()  # the designer's Publish link (role=button)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Publish {orch.name}")
    expect(page.get_by_label("Connection")).to_have_value("default")
    expect(page.locator(".plan-summary")).to_contain_text(f"{len(expected)} to create, 0 to update")
    expect(page.locator(".plan-table tbody tr")).to_have_count(len(expected))
    expect(page.locator(".plan-table tbody td:nth-child(2)")).to_have_text([name for name, _, _ in expected])
    expect(page.locator(".plan-table .tag")).to_have_text(["Create"] * len(expected))


def expect_done(page: Page, expected) -> None:
    expect(page.locator("#progress .run-status")).to_have_text("Done", timeout=STATUS_TIMEOUT)
    expect(page.locator("#progress .stage-status")).to_have_text(["✓ Done"] * len(expected))
    expect(page.locator("#run-summary")).to_contain_text(f"Published: {len(expected)} created")
    expect(page.locator("#progress")).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    journal = page.locator("#journal .exchange")
    expect(journal).to_have_count(len(expected) + 3)  # header GET, describe, header POST, one POST per stage
    first_post = journal.filter(has=page.locator("td.path", has_text="/child/Stages")).first
    first_post.get_by_text("Headers and bodies").click()  # a <summary>: opens the <details>
    expect(first_post.locator("pre").nth(1)).to_contain_text('"OrchestrationStageNumber"')


def expect_sandbox_as_designed(page: Page, orch, expected) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Sandbox", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Built-in sandbox")
    section = page.locator(f"#sandbox-{orch.number}")
    expect(section.get_by_role("heading", level=2)).to_contain_text(orch.name)
    expect(section.locator(".sandbox-stage .stage-name")).to_have_text([name for name, _, _ in expected])
    expect(section.locator(".sandbox-stage .stage-counts")).to_have_text(
        [f"{plural(objectives, 'objective')}, {plural(steps, 'step')}" for _, objectives, steps in expected]
    )


def test_publish_the_demo_to_the_sandbox_and_watch_it_reach_done(page, live_server, login, publisher):
    orch, expected = seed_demo()
    open_plan(page, live_server, login, publisher, orch, expected)

    page.get_by_label(re.compile("Publish it anyway")).check()  # unapproved, ungated: confirmed first (issue 10)
    page.get_by_role("button", name="Publish to default").click()
    expect(page).to_have_url(re.compile(r"/publish/runs/\d+/$"))
    assert page.url == f"{live_server.url}/publish/runs/{PublishRun.objects.get().pk}/"
    expect_done(page, expected)
    expect_no_stale_publishing(page)
    page.reload()  # a reload shows the outcome too, never "Publishing…"
    expect(page.locator("#run-summary")).to_contain_text(f"Published: {len(expected)} created")
    expect_no_stale_publishing(page)
    expect_sandbox_as_designed(page, orch, expected)


def expect_no_stale_publishing(page: Page) -> None:
    """Once the run is done, no message still says it is publishing (issue 11: the stale green flash)."""
    expect(page.locator("#messages")).not_to_contain_text("Publishing")
    expect(page.locator("#run-summary")).not_to_contain_text("Publishing")


@pytest.fixture
def database_queue(settings, monkeypatch):
    """Publishes go through django-tasks-db's queue; `db_worker` may run outside the main thread."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Signal handlers can only be installed from the main thread; this worker stops when the queue is empty.
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)


def run_worker() -> None:
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0.1, verbosity=0)
    finally:
        connections.close_all()


def test_publish_through_the_database_queue_and_watch_the_page_poll_to_done(
    page, live_server, login, publisher, database_queue
):
    orch, expected = seed_demo()
    open_plan(page, live_server, login, publisher, orch, expected)

    page.get_by_label(re.compile("Publish it anyway")).check()  # unapproved, ungated: confirmed first (issue 10)
    page.get_by_role("button", name="Publish to default").click()
    expect(page).to_have_url(re.compile(r"/publish/runs/\d+/$"))
    # Nothing ran yet: the run waits in the queue and the page polls for news.
    expect(page.locator("#progress .run-status")).to_have_text("Queued")
    expect(page.locator("#run-summary")).to_have_text(
        f"Publishing {orch.name} to default: queued, waiting for a worker to start it."
    )
    expect(page.locator("#progress")).to_have_attribute("hx-trigger", "every 1s")
    assert PublishRun.objects.get().status == PublishRunStatus.QUEUED

    worker = threading.Thread(target=run_worker, name="db_worker", daemon=True)
    worker.start()
    try:
        expect_done(page, expected)  # reached by polling: the page is never reloaded
        expect_no_stale_publishing(page)  # the polled summary became the outcome
    finally:
        worker.join(timeout=60)
    assert not worker.is_alive()
    assert PublishRun.objects.get().status == PublishRunStatus.DONE
    expect_sandbox_as_designed(page, orch, expected)


def severe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page (axe ships inside axe-playwright-python)."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]


def test_the_publish_screens_are_accessible(page, live_server, login, publisher):
    orch, expected = seed_demo()
    open_plan(page, live_server, login, publisher, orch, expected)
    assert severe_violations(page) == []
    page.get_by_label(re.compile("Publish it anyway")).check()  # unapproved, ungated: confirmed first (issue 10)
    page.get_by_role("button", name="Publish to default").click()
    expect_done(page, expected)  # leaves one exchange of the journal open
    assert severe_violations(page) == []
    # A run that failed part-way, as its page shows it with Resume.
    run = PublishRun.objects.get()
    PublishRun.objects.filter(pk=run.pk).update(status=PublishRunStatus.PARTIAL, message="Refused at stage 2.")
    run.stages.filter(position=2).update(status="failed", remote_message="StageName is too long.", remote_status=400)
    page.reload()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    expect(page.locator("#progress .remote-message")).to_have_text("HTTP 400: StageName is too long.")
    assert severe_violations(page) == []
    expect_sandbox_as_designed(page, orch, expected)
    page.get_by_text("Reset the sandbox…").click()
    assert severe_violations(page) == []
    page.get_by_role("navigation").get_by_role("link", name="Connections").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connections")
    assert severe_violations(page) == []
