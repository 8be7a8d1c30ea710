"""The History page, a revision compared, a restore (issue 10, items 5 and 6): roles, CSRF, errors, query counts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import Revision, Stage
from orchestrator.selectors import orchestration_tree
from orchestrator.services import drafts
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.review import content_hash, orchestration_approve, review_comment_add
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


def client_for(user, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def with_history(orch, designer, reviewer):
    """A rename, an approval, a comment, a publish and a stage deletion."""
    stage = Stage.objects.filter(orchestration=orch).order_by("display_sequence").first()
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Qualify"})
    orchestration_approve(orchestration=orch, user=reviewer)
    review_comment_add(orchestration=orch, user=reviewer, body="Looks right.")
    orchestration_publish(orchestration=orch, connection_name="default")
    drafts.stage_delete(stage=Stage.objects.get(orchestration=orch, display_sequence=2), user=designer)


def test_the_history_lists_revisions_approvals_publishes_and_comments_in_time_order(
    orchestration, designer, reviewer, viewer
):
    with_history(orchestration, designer, reviewer)
    html = client_for(viewer).get(reverse("history", args=[orchestration.number])).content.decode()
    marks = [
        "Revision 1</span>",
        "Revision 2</span>",
        "approved revision 2",
        "Looks right.",
        "to default (revision 2): Done.",
        "Revision 3</span>",
    ]
    positions = [html.index(mark) for mark in marks]
    assert positions == sorted(positions)
    assert "Stage renamed: “Stage 1” → “Qualify”." in html
    assert "Stage “Stage 2” removed, with 2 objectives, 3 steps, 2 step tasks and 2 “serves” links." in html
    assert "This is the current draft." in html
    assert reverse("revision", args=[orchestration.number, 1]) in html


def test_comparing_a_revision_with_the_draft_and_with_another_revision(orchestration, designer, reviewer):
    with_history(orchestration, designer, reviewer)
    c = client_for(designer)
    html = c.get(reverse("revision", args=[orchestration.number, 1])).content.decode()
    assert "What restoring it would change in the current draft" in html
    assert "Stage renamed: “Qualify” → “Stage 1”." in html
    assert "Stage “Stage 2” added at position 2" in html
    assert 'id="restore-button"' in html
    between = c.get(reverse("revision", args=[orchestration.number, 3]), {"from": 1}).content.decode()
    assert "From revision 1 to revision 3" in between and 'id="restore-button"' not in between
    assert c.get(reverse("revision", args=[orchestration.number, 99])).status_code == 404
    assert c.get(reverse("revision", args=[orchestration.number, 1]), {"from": 99}).status_code == 404
    # Readers see it too, without the restore.
    assert (
        'id="restore-button"'
        not in client_for(reviewer).get(reverse("revision", args=[orchestration.number, 1])).content.decode()
    )


def test_restoring_brings_the_deleted_stage_back_and_lands_on_the_history(orchestration, designer, reviewer):
    with_history(orchestration, designer, reviewer)
    url = reverse("revision_restore", args=[orchestration.number, 2])
    expected = content_hash(orchestration_tree(orchestration.number))
    response = client_for(designer).post(url, {"expected_hash": expected})
    assert response.status_code == 302
    assert response["Location"] == reverse("history", args=[orchestration.number]) + "#revision-4"
    assert Stage.objects.filter(orchestration=orchestration).count() == 3
    assert Revision.objects.get(orchestration=orchestration, number=4).restored_from.number == 2


def test_restore_roles_csrf_and_a_changed_draft(orchestration, designer, reviewer, publisher, viewer, client):
    with_history(orchestration, designer, reviewer)
    url = reverse("revision_restore", args=[orchestration.number, 1])
    for user in (reviewer, publisher, viewer):
        assert client_for(user).post(url).status_code == 403
    assert client.post(url)["Location"].startswith(reverse("login"))
    assert client_for(designer, enforce_csrf_checks=True).post(url).status_code == 403
    stale = client_for(designer).post(url, {"expected_hash": "0" * 64})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'id="restore-error"' in html and "compare again before restoring" in html
    assert Revision.objects.filter(orchestration=orchestration).count() == 3


def test_history_needs_login_and_a_reading_role(orchestration, client, django_user_model):
    assert client.get(reverse("history", args=[orchestration.number]))["Location"].startswith(reverse("login"))
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert client_for(nobody).get(reverse("history", args=[orchestration.number])).status_code == 403
    assert client_for(nobody).get(reverse("revision", args=[orchestration.number, 1])).status_code == 403


def _queries(c, url) -> int:
    c.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_history_and_compare_cost_the_same_at_two_tree_sizes(designer, reviewer):
    counts = []
    for stages in (3, 40):
        orch = build_orchestration(stages=stages)
        with_history(orch, designer, reviewer)
        c = client_for(designer)
        counts.append(
            (
                _queries(c, reverse("history", args=[orch.number])),
                _queries(c, reverse("revision", args=[orch.number, 1])),
            )
        )
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("before", ["nonsense", "2026-13-45T99:00:00", "2000-01-01T00:00:00+00:00"])
def test_a_bad_or_early_cursor_is_no_500(orchestration, designer, reviewer, before):
    with_history(orchestration, designer, reviewer)
    response = client_for(designer).get(reverse("history", args=[orchestration.number]), {"before": before})
    assert response.status_code == 200
