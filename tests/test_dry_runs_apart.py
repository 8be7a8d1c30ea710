"""Dry runs are listed apart from publishes and never count as the last publish.

`manage.py publish --dry-run` records its plan as a run. Such a run wrote
nothing, so every place that shows publishes leaves it out: the publish
page's "Latest publishes" (it has a "Dry runs" section of its own), the runs
page (a "Dry runs" filter), the designer header and the list's "last publish
per connection", the review page's "since the last publish" and promotion.
"""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from orchestrator.models import PublishRun, PublishRunStatus
from orchestrator.services.publishing import orchestration_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def prod(monkeypatch, cx_server):
    monkeypatch.setenv("CX_CONNECTIONS", "prod")
    monkeypatch.setenv("CX_PROD_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_PROD_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_PROD_PASSWORD", cx_server.password)
    return "prod"


@pytest.fixture
def publisher_client(publisher) -> Client:
    c = Client()
    c.force_login(publisher)
    return c


def dry_run(orch, connection: str = "default") -> PublishRun:
    call_command("publish", orch.number, "--dry-run", "--connection", connection, stdout=io.StringIO())
    run = PublishRun.objects.filter(dry_run=True).order_by("-pk").first()
    assert run.status == PublishRunStatus.DONE and run.message.startswith("Dry run:"), run.message
    return run


@pytest.fixture
def history(orchestration):
    """A real publish to the sandbox, then a dry run after it (the newest run)."""
    published = orchestration_publish(orchestration=orchestration, connection_name="default")
    assert published.status == PublishRunStatus.DONE, published.message
    return published, dry_run(orchestration)


def run_link(run) -> str:
    return f'<a href="{reverse("publish_run", args=[run.pk])}">#{run.pk}</a>'


def section(html: str, title_id: str) -> str:
    start = html.index(f'aria-labelledby="{title_id}"')
    return html[start : html.index("</section>", start)]


def test_the_publish_page_lists_dry_runs_in_a_section_of_their_own(publisher_client, orchestration, history):
    published, dry = history
    html = publisher_client.get(reverse("publish_page", args=[orchestration.number])).content.decode()
    latest = section(html, "runs-title")
    assert run_link(published) in latest and run_link(dry) not in latest
    dry_section = section(html, "dry-runs-title")
    assert '<h2 id="dry-runs-title">Dry runs</h2>' in dry_section
    assert run_link(dry) in dry_section and run_link(published) not in dry_section
    assert f"{reverse('publish_runs', args=[orchestration.number])}?show=dry-runs" in dry_section


def test_the_publish_page_has_no_dry_runs_section_without_dry_runs(publisher_client, orchestration):
    orchestration_publish(orchestration=orchestration, connection_name="default")
    html = publisher_client.get(reverse("publish_page", args=[orchestration.number])).content.decode()
    assert 'id="dry-runs-title"' not in html


def test_the_runs_page_lists_publishes_and_filters_dry_runs_apart(publisher_client, orchestration, history):
    published, dry = history
    path = reverse("publish_runs", args=[orchestration.number])
    html = publisher_client.get(path).content.decode()
    assert "<h1>Publishes of" in html
    assert run_link(published) in html and run_link(dry) not in html
    assert f'<a href="{path}?show=dry-runs">Dry runs</a>' in html
    html = publisher_client.get(path, {"show": "dry-runs"}).content.decode()
    assert "<h1>Dry runs of" in html and "never count as the last publish" in html
    assert run_link(dry) in html and run_link(published) not in html
    assert '<strong aria-current="page">Dry runs</strong>' in html


def test_the_runs_page_says_when_there_are_no_dry_runs(publisher_client, orchestration):
    html = publisher_client.get(reverse("publish_runs", args=[orchestration.number]), {"show": "dry-runs"})
    assert "No dry runs." in html.content.decode()


def test_the_designer_header_and_the_list_count_only_publishes(publisher_client, orchestration, history):
    published, _ = history
    response = publisher_client.get(reverse("designer", args=[orchestration.number]))
    assert [p.run_id for p in response.context["draft_status"].publishes] == [published.pk]
    rows = publisher_client.get(reverse("orchestration_list")).context["orchestrations"]
    [row] = [o for o in rows if o.pk == orchestration.pk]
    assert [p.run_id for p in row.draft_status.publishes] == [published.pk]


def test_a_dry_run_alone_is_not_yet_a_publish(publisher_client, orchestration):
    dry_run(orchestration)
    html = publisher_client.get(reverse("designer", args=[orchestration.number])).content.decode()
    assert "<dt>Published</dt><dd>not yet</dd>" in html
    rows = publisher_client.get(reverse("orchestration_list")).context["orchestrations"]
    assert [o.draft_status.publishes for o in rows if o.pk == orchestration.pk] == [[]]


def test_the_review_page_compares_with_the_last_real_publish(publisher_client, orchestration, history):
    published, _ = history
    response = publisher_client.get(reverse("review", args=[orchestration.number]), {"connection": "default"})
    assert response.status_code == 200
    assert response.context["last_publish"].pk == published.pk


def test_promotion_ignores_dry_runs_to_the_target(publisher_client, orchestration, prod, cx_server):
    orchestration_publish(orchestration=orchestration, connection_name="default")
    dry_run(orchestration, "prod")
    PublishRun.objects.create(orchestration=orchestration, connection_name="prod", dry_run=True)  # one still queued
    path = reverse("promote", args=[orchestration.number])
    response = publisher_client.get(path, {"source": "default", "target": "prod"})
    html = response.content.decode()
    assert response.context["active"] is None and "Watch run #" not in html
    assert "3 to create, 0 to update, 0 to delete, 0 unchanged" in html
    assert cx_server.writes == []  # the dry run wrote nothing there
