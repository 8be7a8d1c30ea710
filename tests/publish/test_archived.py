"""An archived orchestration is retired: it is not published, and nothing is sent."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from orchestrator.models import OrchestrationStatus, PublishRunStatus
from orchestrator.services.publishing import publish_plan

from .conftest import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(orchestration):
    orchestration.status = OrchestrationStatus.ARCHIVED
    orchestration.save(update_fields=["status"])
    return orchestration


def test_the_plan_is_refused_with_the_reason(archived):
    plan = publish_plan(archived, "default")
    assert plan.refused
    assert "is archived" in plan.blocked
    assert plan.stages == []


def test_a_publish_is_refused_before_any_request(cx_server, ci, archived):
    run = publish(archived)
    assert run.status == PublishRunStatus.REFUSED
    assert "archived" in run.message and "Nothing was sent" in run.message
    assert cx_server.requests == []


def test_the_cli_exits_2(cx_server, ci, archived, capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("publish", archived.number, "--connection", "ci")
    assert exc.value.code == 2
    assert cx_server.requests == []


def test_the_publish_page_says_why_and_disables_publish(client, publisher, archived):
    client.force_login(publisher)
    response = client.get(reverse("publish_page", args=[archived.number]))
    assert response.status_code == 200
    assert "is archived. Restore it" in response.content.decode()
    assert b'id="publish-button" disabled' in response.content


def test_a_restored_orchestration_publishes_again(cx_server, ci, archived):
    archived.status = OrchestrationStatus.DRAFT
    archived.save(update_fields=["status"])
    assert publish(archived).status == PublishRunStatus.DONE
