"""Pulling over an existing draft (issue 12, F4): it needs Designer rights and never touches an archived one.

A pull replaces the local draft with the remote's copy, with no undo: for
the owner of the draft that is an edit, so a Publisher without edit rights
may pull an orchestration that is not here yet, but not overwrite one that
is (a Designer's unpublished work). An archived orchestration is read-only
for everyone, the command line included.
"""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from orchestrator import roles
from orchestrator.models import Orchestration, OrchestrationStatus, Stage
from orchestrator.services import pulling
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.pulling import PullError, orchestration_pull
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.django_db

LOCAL_EDIT = "Qualify (a designer's unpublished edit)"


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def published():
    """An orchestration on the built-in sandbox (connection default), then edited here and not published again."""
    orch = build_orchestration(stages=2)
    orchestration_publish(orchestration=orch, connection_name="default")
    Stage.objects.filter(orchestration=orch, display_sequence=1).update(name=LOCAL_EDIT)
    return orch


@pytest.fixture
def designer_publisher():
    user = make_user(roles.DESIGNER)
    user.groups.add(Group.objects.get(name=roles.PUBLISHER))
    return user


def _first_stage_name(orch) -> str:
    return Stage.objects.get(orchestration=orch, display_sequence=1).name


def _pull(client, orch, **headers):
    return client.post(reverse("pull_orchestration"), {"number": orch.number, "connection": "default"}, **headers)


def test_F4_a_publisher_without_designer_rights_cannot_overwrite_a_draft(publisher, published):
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = _pull(_client_for(publisher), published, **headers)
        assert response.status_code == 422
        assert "needs Designer rights" in response.content.decode()
    assert _first_stage_name(published) == LOCAL_EDIT


def test_F4_nobody_pulls_into_an_archived_orchestration(designer_publisher, admin_user, published):
    Orchestration.objects.filter(pk=published.pk).update(status=OrchestrationStatus.ARCHIVED)
    for user in (designer_publisher, admin_user):
        response = _pull(_client_for(user), published)
        assert response.status_code == 422
        assert "is archived" in response.content.decode()
    assert _first_stage_name(published) == LOCAL_EDIT
    assert Orchestration.objects.get(pk=published.pk).status == OrchestrationStatus.ARCHIVED


def test_F4_a_designer_and_publisher_may_replace_the_draft(designer_publisher, published):
    response = _pull(_client_for(designer_publisher), published)
    assert response.status_code == 302
    assert _first_stage_name(published) == "Stage 1"


def test_F4_a_publisher_may_still_pull_what_is_not_here_yet(publisher, published):
    number = published.number
    Orchestration.objects.filter(pk=published.pk).delete()
    response = _pull(_client_for(publisher), published)
    assert response.status_code == 302
    assert Orchestration.objects.get(number=number).stages.count() == 2


def test_F4_the_service_refuses_before_asking_the_remote(publisher, published, monkeypatch):
    def no_remote(*args, **kwargs):
        raise AssertionError("the remote must not be asked")

    monkeypatch.setattr(pulling, "get_connection", no_remote)
    with pytest.raises(PullError, match="needs Designer rights") as caught:
        orchestration_pull(number=published.number, connection_name="default", user=publisher)
    assert caught.value.exit_code == 2
    Orchestration.objects.filter(pk=published.pk).update(status=OrchestrationStatus.ARCHIVED)
    with pytest.raises(PullError, match="is archived"):
        orchestration_pull(number=published.number, connection_name="default")  # the command line: no user


def test_F4_the_pull_command_refuses_an_archived_orchestration(published):
    Orchestration.objects.filter(pk=published.pk).update(status=OrchestrationStatus.ARCHIVED)
    with pytest.raises(CommandError) as caught:
        call_command("pull_orchestration", published.number, stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode == 2
    assert _first_stage_name(published) == LOCAL_EDIT


def test_F4_the_publish_page_offers_the_pull_only_to_who_may_use_it(publisher, designer_publisher, published):
    url = reverse("publish_page", args=[published.number])
    pull_button = f"Pull {published.number} from default"
    assert pull_button not in _client_for(publisher).get(url).content.decode()
    assert pull_button in _client_for(designer_publisher).get(url).content.decode()
    Orchestration.objects.filter(pk=published.pk).update(status=OrchestrationStatus.ARCHIVED)
    assert pull_button not in _client_for(designer_publisher).get(url).content.decode()
