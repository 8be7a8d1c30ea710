"""Promotion (issue 10, item 8): what is live on two connections compared, then the approved content published."""

import pytest
from django.test import Client
from django.urls import reverse

from orchestrator.models import PublishRun, PublishRunStatus, Stage
from orchestrator.services import drafts
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.review import orchestration_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def prod(monkeypatch, cx_server):
    monkeypatch.setenv("CX_CONNECTIONS", "prod")
    monkeypatch.setenv("CX_PROD_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_PROD_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_PROD_PASSWORD", cx_server.password)
    return "prod"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(orch, **params):
    return reverse("promote", args=[orch.number]), params


def test_promoting_from_the_sandbox_to_prod(orchestration, prod, publisher, reviewer, designer, cx_server):
    orchestration_publish(orchestration=orchestration, connection_name="default")  # live on test: version 1
    stage = Stage.objects.filter(orchestration=orchestration).order_by("display_sequence").first()
    orchestration_publish(orchestration=orchestration, connection_name="prod")
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    orchestration_publish(orchestration=orchestration, connection_name="default")  # test moved on
    c = client_for(publisher)
    path, params = url(orchestration, source="default", target="prod")
    html = c.get(path, params).content.decode()
    assert "From what is live on prod to what is live on default" in html
    assert "Stage renamed: “Stage 1” → “Qualify”." in html
    assert "✓ What is live on default is exactly the draft's content." in html
    assert "0 to create, 1 to update, 0 to delete, 2 unchanged" in html
    # Not approved: no button, the reason instead.
    assert 'id="promote-button"' not in html and "Promotion publishes approved content only" in html
    orchestration_approve(orchestration=orchestration, user=reviewer)
    html = c.get(path, params).content.decode()
    assert "✓ What is live on default is exactly the draft's content, the approved content." in html
    assert 'id="promote-button"' in html
    writes = len(cx_server.writes)
    response = c.post(reverse("publish_start", args=[orchestration.number]), {"connection": "prod"})
    run = PublishRun.objects.filter(connection_name="prod").order_by("-pk").first()
    assert response.status_code == 302 and run.status == PublishRunStatus.DONE
    assert len(cx_server.writes) > writes
    assert "Both connections hold the same content." in c.get(path, params).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": "default", "target": "default"}, "Choose two different connections"),
        ({"source": "nowhere", "target": "prod"}, "There is no connection called “nowhere”"),
    ],
)
def test_a_bad_choice_is_422_beside_the_field(orchestration, prod, publisher, params, message):
    response = client_for(publisher).get(reverse("promote", args=[orchestration.number]), params)
    assert response.status_code == 422 and message in response.content.decode()


def test_promote_roles(orchestration, viewer, designer, client):
    path = reverse("promote", args=[orchestration.number])
    assert client_for(viewer).get(path).status_code == 403
    assert client.get(path)["Location"].startswith(reverse("login"))
    html = client_for(designer).get(path, {"source": "default", "target": "default"}).content.decode()
    assert 'id="promote-button"' not in html
    assert client_for(designer).get(reverse("promote", args=["ORCH-NOPE"])).status_code == 404


def test_the_page_costs_the_same_at_two_tree_sizes(prod, publisher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import build_orchestration

    c = client_for(publisher)
    counts = []
    for stages in (3, 30):
        orch = build_orchestration(stages=stages)
        orchestration_publish(orchestration=orch, connection_name="default")
        path = reverse("promote", args=[orch.number])
        c.get(path, {"source": "default", "target": "prod"})
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(path, {"source": "default", "target": "prod"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
