"""The review workflow (issue 10, item 4): request changes, comments anchored to a part and resolved,
the decision after the content, and the four review states.

Each mutating endpoint: success, anonymous, wrong role, invalid input (422 beside the field), CSRF.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import ReviewComment, Stage, Step
from orchestrator.selectors import orchestration_tree
from orchestrator.services import drafts
from orchestrator.services.review import (
    APPROVED,
    CHANGED_SINCE,
    CHANGES_REQUESTED,
    NOT_REVIEWED,
    open_comment_counts,
    orchestration_approve,
    review_comment_add,
    review_state,
)
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def client_for(user, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def first_step(orch) -> Step:
    return (
        Step.objects.filter(stage__orchestration=orch).order_by("stage__display_sequence", "display_sequence").first()
    )


def comment_url(orch):
    return reverse("review_comment", args=[orch.number])


def test_the_four_states_follow_the_latest_decision(orchestration, reviewer, designer):
    def state():
        return review_state(orchestration_tree(orchestration.number)).kind

    assert state() == NOT_REVIEWED
    orchestration_approve(orchestration=orchestration, user=reviewer)
    assert state() == APPROVED
    stage = Stage.objects.filter(orchestration=orchestration).first()
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "X"})
    assert state() == CHANGED_SINCE
    review_comment_add(orchestration=orchestration, user=reviewer, body="Rename it back.", requests_changes=True)
    assert state() == CHANGES_REQUESTED
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version + 1, values={"name": "Stage 1"})
    assert state() == CHANGES_REQUESTED  # a reviewer decides again, not the designer's edit
    orchestration_approve(orchestration=orchestration, user=reviewer)
    assert state() == APPROVED


def test_a_reviewer_requests_changes_on_a_step_and_the_decision_part_follows(orchestration, reviewer):
    step = first_step(orchestration)
    c = client_for(reviewer)
    response = c.post(
        comment_url(orchestration),
        {"body": "Call within a day.", "anchor": f"step:{step.number}", "intent": "request_changes"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="comments">')
    assert 'id="approval" hx-swap-oob="true"' in html and "Changes requested" in html
    comment = ReviewComment.objects.get()
    assert (comment.requests_changes, comment.anchor_kind, comment.anchor_number) == (True, "step", step.number)
    page = c.get(reverse("review", args=[orchestration.number])).content.decode()
    designer_url = reverse("designer", args=[orchestration.number])
    assert f'href="{designer_url}#step-{step.number}">step “{step.name}” of stage 1</a>' in page
    # The decision comes after the content it decides on.
    assert page.index('id="payload-title"') < page.index('id="comments-title"') < page.index('id="decision-title"')
    assert page.index('id="problems-title"') < page.index('id="approve-button"')


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"body": "  ", "intent": "request_changes"}, "comment-error", "Say what must change first."),
        ({"body": "x", "anchor": "step:ORCH-STP-gone"}, "anchor-error", "that one is not in the draft any more"),
        ({"body": "x", "anchor": "nonsense"}, "anchor-error", "Choose one of the listed parts"),
    ],
)
def test_invalid_comments_are_422_beside_the_field(orchestration, reviewer, data, field, message):
    response = client_for(reviewer).post(comment_url(orchestration), data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="{field}"' in html and message in html
    assert not ReviewComment.objects.exists()


def test_only_reviewers_request_changes(orchestration, designer, publisher, viewer, client):
    data = {"body": "No.", "intent": "request_changes"}
    for user in (designer, publisher):
        assert client_for(user).post(comment_url(orchestration), data).status_code == 403
    assert client_for(viewer).post(comment_url(orchestration), data).status_code == 403
    assert client.post(comment_url(orchestration), data)["Location"].startswith(reverse("login"))
    assert not ReviewComment.objects.exists()


def test_request_changes_needs_the_csrf_token(orchestration, reviewer):
    strict = client_for(reviewer, enforce_csrf_checks=True)
    assert strict.post(comment_url(orchestration), {"body": "x", "intent": "request_changes"}).status_code == 403


def test_resolving_and_reopening_a_comment(orchestration, reviewer, designer, viewer, client):
    step = first_step(orchestration)
    comment = review_comment_add(orchestration=orchestration, user=reviewer, body="Fix", anchor=f"step:{step.number}")
    url = reverse("review_comment_resolve", args=[orchestration.number, comment.pk])
    tree = orchestration_tree(orchestration.number)
    assert open_comment_counts(tree) == {("step", step.number): 1}
    assert client_for(viewer).post(url, {"resolved": "1"}).status_code == 403
    assert client.post(url, {"resolved": "1"})["Location"].startswith(reverse("login"))
    assert client_for(designer, enforce_csrf_checks=True).post(url, {"resolved": "1"}).status_code == 403
    response = client_for(designer).post(url, {"resolved": "1"}, headers=HTMX)
    assert response.status_code == 200 and "Resolved" in response.content.decode()
    comment.refresh_from_db()
    assert comment.resolved_by == designer and open_comment_counts(tree) == {}
    client_for(designer).post(url, {"resolved": "0"})
    comment.refresh_from_db()
    assert comment.resolved_at is None
    other = build_orchestration(stages=1)
    assert (
        client_for(designer).post(reverse("review_comment_resolve", args=[other.number, comment.pk])).status_code == 404
    )


def test_a_comment_on_a_part_deleted_since_still_reads(orchestration, reviewer, designer):
    step = first_step(orchestration)
    review_comment_add(orchestration=orchestration, user=reviewer, body="Drop it", anchor=f"step:{step.number}")
    drafts.step_delete(step=step, user=designer)
    page = client_for(reviewer).get(reverse("review", args=[orchestration.number])).content.decode()
    assert f"on a step deleted since ({step.number})" in page


def _queries(user, orch) -> int:
    c = client_for(user)
    c.get(reverse("review", args=[orch.number]))
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(reverse("review", args=[orch.number])).status_code == 200
    return len(ctx.captured_queries)


def test_the_review_page_with_comments_and_a_stale_approval_costs_the_same_at_two_sizes(reviewer, designer):
    counts = []
    for stages in (3, 30):
        orch = build_orchestration(stages=stages)
        orchestration_approve(orchestration=orch, user=reviewer)
        stage = Stage.objects.filter(orchestration=orch).first()
        drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "X"})
        review_comment_add(orchestration=orch, user=reviewer, body="a", anchor=f"stage:{stage.number}")
        counts.append(_queries(reviewer, orch))
    assert counts[0] == counts[1], counts
