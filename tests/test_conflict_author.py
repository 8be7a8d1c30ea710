"""The conflict box names who saved over an edit (issue 11, item 7), instead of "Someone else"."""

import pytest
from django.urls import reverse

from orchestrator.models import Orchestration, Stage
from orchestrator.roles import DESIGNER
from orchestrator.services import drafts
from tests.factories import build_orchestration, make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def orch(db):
    return build_orchestration(stages=2)


def _first_stage(orch) -> Stage:
    return Stage.objects.filter(orchestration=orch).order_by("display_sequence").first()


def _shown_revision(orch) -> str:
    return str(Orchestration.objects.get(pk=orch.pk).tree_revision)


def _post_stale_stage_edit(client, orch, stage, shown):
    url = reverse("stage_edit", args=[orch.number, stage.number])
    data = {"name": "My name", "lifecycle_attr_value": stage.lifecycle_attr_value, "version": stage.version}
    return client.post(url, data, HTTP_X_DESIGNER_REVISION=shown, **HTMX)


def _save_as(user, stage, name):
    drafts.stage_update(stage=stage, user=user, expected_version=stage.version, values={"name": name})


def test_the_box_names_the_colleague_who_saved_in_between(client, orch):
    me = make_user(DESIGNER, username="me")
    ana = make_user(DESIGNER, username="ana")
    ana.first_name, ana.last_name = "Ana", "Díaz"
    ana.save()
    stage = _first_stage(orch)
    shown = _shown_revision(orch)
    _save_as(ana, stage, "Ana's name")
    client.force_login(me)

    response = _post_stale_stage_edit(client, orch, stage, shown)

    assert response.status_code == 409
    body = response.content.decode()
    assert "Ana Díaz saved this while you were editing." in body
    assert "Ana Díaz saved stage" in body  # the message beside the box says it too
    assert "Someone else" not in body


def test_an_edit_of_ones_own_from_another_tab_says_so(client, orch):
    me = make_user(DESIGNER, username="me")
    stage = _first_stage(orch)
    shown = _shown_revision(orch)
    _save_as(me, stage, "From my other tab")
    client.force_login(me)

    body = _post_stale_stage_edit(client, orch, stage, shown).content.decode()

    assert "You (in another tab or window) saved this while you were editing." in body


def test_several_writers_since_the_page_was_shown_are_all_named(client, orch):
    me = make_user(DESIGNER, username="me")
    ana, ben = make_user(DESIGNER, username="ana"), make_user(DESIGNER, username="ben")
    stage = _first_stage(orch)
    shown = _shown_revision(orch)
    _save_as(ana, stage, "Ana's name")
    _save_as(ben, Stage.objects.get(pk=stage.pk), "Ben's name")
    client.force_login(me)

    body = _post_stale_stage_edit(client, orch, stage, shown).content.decode()

    assert "ben or ana saved this while you were editing." in body  # newest first


def test_writers_before_the_page_was_shown_are_not_blamed(client, orch):
    me = make_user(DESIGNER, username="me")
    ana, ben = make_user(DESIGNER, username="ana"), make_user(DESIGNER, username="ben")
    stage = _first_stage(orch)
    _save_as(ana, stage, "Before the page")
    stage = Stage.objects.get(pk=stage.pk)
    shown = _shown_revision(orch)
    _save_as(ben, stage, "After the page")
    client.force_login(me)

    body = _post_stale_stage_edit(client, orch, stage, shown).content.decode()

    assert "ben saved this while you were editing." in body
    assert "ana" not in body.split("saved this while")[0][-40:]


def test_without_the_pages_revision_the_drafts_last_writer_is_named(client, orch):
    me = make_user(DESIGNER, username="me")
    ana = make_user(DESIGNER, username="ana")
    stage = _first_stage(orch)
    _save_as(ana, stage, "Ana's name")
    client.force_login(me)

    url = reverse("stage_edit", args=[orch.number, stage.number])
    data = {"name": "My name", "lifecycle_attr_value": stage.lifecycle_attr_value, "version": stage.version}
    body = client.post(url, data, **HTMX).content.decode()

    assert "ana saved this while you were editing." in body
