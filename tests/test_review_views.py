"""The review screen: the page and its parts per role, the lazy live diff, comments and approvals.

Each endpoint is tested for success, anonymous (login), wrong role (403),
missing CSRF (403) and invalid input (422 with the message beside the field).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import Approval, ReviewComment, Stage
from orchestrator.models.review import COMMENT_MAX
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.review import orchestration_approve
from tests.factories import build_orchestration, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client_for(user, **kwargs) -> Client:
    role_client = Client(**kwargs)
    role_client.force_login(user)
    return role_client


@pytest.fixture
def reviewer_client(reviewer):
    return _client_for(reviewer)


@pytest.fixture
def designer_client(designer):
    return _client_for(designer)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def ci(monkeypatch, cx_server, settings):
    """Connection `ci` to the loopback fake CX server, configured through the environment."""
    settings.CX_CLIENT_OPTIONS = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "max_attempts": 2,
        "backoff_base": 0.01,
        "sleep": lambda seconds: None,
    }
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    return "ci"


def page_url(orch):
    return reverse("review", args=[orch.number])


def live_url(orch, connection_name="default"):
    return reverse("review_live", args=[orch.number]) + f"?connection={connection_name}"


def comment_url(orch):
    return reverse("review_comment", args=[orch.number])


def approve_url(orch):
    return reverse("review_approve", args=[orch.number])


def add_empty_stage(orch):
    return Stage.objects.create(orchestration=orch, display_sequence=9, name="Empty", lifecycle_attr_value="x")


# -- the page ----------------------------------------------------------------------------------------------------


def test_a_reviewer_sees_every_section_and_the_approve_form(reviewer_client, orchestration):
    response = reviewer_client.get(page_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not approved yet." in html
    assert 'id="approve-button"' in html and "disabled" not in html.split('id="approve-button"')[1][:30]
    assert "No problems: the draft is complete." in html
    assert "Changes since the last publish to default" in html
    assert "3 to create, 0 to update, 0 to delete, 0 unchanged" in html
    assert f'hx-get="{live_url(orchestration)}"' in html and 'hx-trigger="load"' in html
    assert html.count('<details class="payload">') == 3
    assert "&quot;OrchestrationStageNumber&quot;" in html
    assert "OrchestrationId</code> is not shown" in html
    assert 'id="comment-body"' in html


def test_after_a_publish_the_payload_shows_the_known_orchestration_id(reviewer_client, orchestration):
    orchestration_publish(orchestration=orchestration, connection_name="default")
    html = reviewer_client.get(page_url(orchestration)).content.decode()
    orchestration.refresh_from_db()
    assert f"<code>OrchestrationId</code> {orchestration.remote_id} is the id default gave" in html
    assert f"&quot;OrchestrationId&quot;: {orchestration.remote_id}," in html
    assert "0 to create, 0 to update, 0 to delete, 3 unchanged" in html


def test_with_problems_the_approve_button_is_disabled_with_the_reason(reviewer_client, orchestration):
    empty = add_empty_stage(orchestration)
    html = reviewer_client.get(page_url(orchestration)).content.decode()
    assert "Disabled: the draft has 3 problems to fix first" in html
    assert 'id="approve-button" disabled' in html
    assert f'href="{reverse("designer", args=[orchestration.number])}#stage-{empty.number}"' in html


def test_approval_states_read_as_sentences(reviewer_client, orchestration, reviewer):
    orchestration_approve(orchestration=orchestration, user=reviewer)
    html = reviewer_client.get(page_url(orchestration)).content.decode()
    assert f"Approved by {reviewer.username} on" in html and "for this content." in html
    Stage.objects.filter(orchestration=orchestration).update(name="Renamed")
    html = reviewer_client.get(page_url(orchestration)).content.decode()
    assert "Approved an earlier version: changed since" in html


def test_a_viewer_reads_the_review_without_forms_or_connections(viewer_client, orchestration):
    response = viewer_client.get(page_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not approved yet." in html
    assert 'id="approve-button"' not in html and 'id="comment-body"' not in html
    assert "review_live" not in html and "/review/live/" not in html
    assert html.count('<details class="payload">') == 3


def test_a_designer_may_comment_but_not_approve(designer_client, orchestration):
    html = designer_client.get(page_url(orchestration)).content.decode()
    assert 'id="comment-body"' in html and 'id="approve-button"' not in html


def test_the_page_anonymous_unknown_and_no_role(client, orchestration):
    response = client.get(page_url(orchestration))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(make_user())
    assert client.get(page_url(orchestration)).status_code == 403
    client.force_login(make_user("Reviewer"))
    assert client.get(reverse("review", args=["NOPE-1"])).status_code == 404
    assert client.post(page_url(orchestration)).status_code == 405


def test_the_connection_part_answers_an_htmx_change_of_connection(reviewer_client, orchestration, ci):
    response = reviewer_client.get(
        page_url(orchestration), {"connection": "ci"}, headers={**HTMX, "HX-Target": "connection-part"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="connection-part">') and "<html" not in html
    assert "Changes since the last publish to ci" in html
    unknown = reviewer_client.get(page_url(orchestration), {"connection": "nowhere"})
    assert unknown.status_code == 422 and "nowhere" in unknown.content.decode()


def test_the_links_to_the_review(designer_client, viewer_client, publisher, orchestration):
    designer_html = designer_client.get(reverse("designer", args=[orchestration.number])).content.decode()
    assert f'<a href="{page_url(orchestration)}" role="button" class="small secondary">Review</a>' in designer_html
    viewer_html = viewer_client.get(reverse("designer", args=[orchestration.number])).content.decode()
    assert f'<a href="{page_url(orchestration)}" class="review-link">Read the review</a>' in viewer_html
    publish_html = _client_for(publisher).get(reverse("publish_page", args=[orchestration.number])).content.decode()
    assert "Not approved yet." in publish_html
    assert "not required (publishing unapproved content asks first)" in publish_html


def _page_queries(user, orch) -> int:
    review_client = _client_for(user)
    with CaptureQueriesContext(connection) as ctx:
        assert review_client.get(page_url(orch)).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_query_count_does_not_grow_with_the_tree(reviewer):
    small, large = build_orchestration(stages=5), build_orchestration(stages=20)
    for orch in (small, large):
        ReviewComment.objects.create(orchestration=orch, author=reviewer, body="a", content_hash="0" * 64)
        ReviewComment.objects.create(orchestration=orch, author=reviewer, body="b", content_hash="0" * 64)
        orchestration_approve(orchestration=orch, user=reviewer)
    assert _page_queries(reviewer, small) == _page_queries(reviewer, large)


# -- the live diff ------------------------------------------------------------------------------------------------


def test_the_live_fragment_shows_each_stage_and_the_diff_with_signs(reviewer_client, orchestration, ci):
    orchestration_publish(orchestration=orchestration, connection_name=ci)
    first = orchestration.stages.order_by("display_sequence").first()
    Stage.objects.filter(pk=first.pk).update(name="Qualify <b>now</b>")
    response = reviewer_client.get(live_url(orchestration, ci), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="live"') and "<html" not in html
    assert "2 same as live, 1 changed, 0 only in the draft, 0 only on the remote" in html
    added = "+  &quot;StageName&quot;: &quot;Qualify &lt;b&gt;now&lt;/b&gt;&quot;,"
    assert f'<span class="visually-hidden">added: </span>{added}' in html
    assert '<span class="visually-hidden">removed: </span>-  &quot;StageName&quot;: &quot;Stage 1&quot;,' in html


def test_the_live_fragment_says_what_went_wrong(reviewer_client, orchestration, ci, cx_server):
    html = reviewer_client.get(live_url(orchestration, ci), headers=HTMX).content.decode()
    assert "is not on ci yet" in html
    cx_server.stop()
    response = reviewer_client.get(live_url(orchestration, ci), headers=HTMX)
    assert response.status_code == 200 and "Connection ci is unavailable" in response.content.decode()


def test_the_plain_live_link_renders_the_whole_page_with_the_diff(reviewer_client, orchestration):
    orchestration_publish(orchestration=orchestration, connection_name="default")
    response = reviewer_client.get(live_url(orchestration))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "3 same as live, 0 changed" in html and 'hx-trigger="load"' not in html


def test_the_live_fragment_roles_and_unknown_connection(client, viewer, orchestration):
    response = client.get(live_url(orchestration))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(viewer)
    assert client.get(live_url(orchestration), headers=HTMX).status_code == 403
    client.force_login(make_user("Reviewer"))
    response = client.get(live_url(orchestration, "nowhere"), headers=HTMX)
    assert response.status_code == 422 and "nowhere" in response.content.decode()


# -- comments -----------------------------------------------------------------------------------------------------


def test_adding_a_comment_answers_the_comments_and_a_message(reviewer_client, reviewer, orchestration):
    response = reviewer_client.post(comment_url(orchestration), {"body": "Stage 2 needs a call."}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="comments">')
    assert "Stage 2 needs a call." in html and reviewer.username in html
    assert 'id="messages"' in html and "hx-swap-oob" in html and "Comment added." in html
    comment = ReviewComment.objects.get()
    assert comment.author == reviewer and comment.orchestration == orchestration


def test_a_comment_without_htmx_redirects_to_the_comments(designer_client, orchestration):
    response = designer_client.post(comment_url(orchestration), {"body": "ok"})
    assert response.status_code == 302 and response.url == page_url(orchestration) + "#comments"


@pytest.mark.parametrize(
    ("body", "message"), [("  ", "Write a comment first."), ("x" * (COMMENT_MAX + 1), "at most 2000 characters")]
)
def test_an_invalid_comment_is_422_with_the_message_and_the_text_kept(reviewer_client, orchestration, body, message):
    response = reviewer_client.post(comment_url(orchestration), {"body": body}, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="comment-error"' in html and message in html
    assert 'aria-invalid="true"' in html
    if body.strip():
        assert body in html  # nothing typed is lost
    assert "The comment was not added." in html
    assert not ReviewComment.objects.exists()


def test_comment_anonymous_viewer_and_csrf(client, viewer, reviewer, orchestration):
    response = client.post(comment_url(orchestration), {"body": "hi"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert _client_for(viewer).post(comment_url(orchestration), {"body": "hi"}).status_code == 403
    strict = _client_for(reviewer, enforce_csrf_checks=True)
    assert strict.post(comment_url(orchestration), {"body": "hi"}).status_code == 403
    assert not ReviewComment.objects.exists()


# -- approving ----------------------------------------------------------------------------------------------------


def test_approving_answers_the_approval_state(reviewer_client, reviewer, orchestration):
    response = reviewer_client.post(approve_url(orchestration), {"note": "Go"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="approval">')
    assert f"Approved by {reviewer.username} on" in html and "“Go”" in html
    assert 'id="approve-button"' not in html
    assert "Approved Test playbook." in html
    assert Approval.objects.get().reviewer == reviewer


def test_approving_a_draft_with_problems_is_422_with_the_reason(reviewer_client, orchestration):
    add_empty_stage(orchestration)
    response = reviewer_client.post(approve_url(orchestration), {"note": ""}, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="approve-error"' in html and "Not approved: the draft has 3 problems to fix first" in html
    assert not Approval.objects.exists()


def test_a_too_long_note_is_422_and_kept(reviewer_client, orchestration):
    note = "n" * 501
    response = reviewer_client.post(approve_url(orchestration), {"note": note}, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "A note is at most 500 characters" in html and note in html


def test_approve_anonymous_designer_publisher_and_csrf(client, designer, publisher, reviewer, orchestration):
    response = client.post(approve_url(orchestration))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert _client_for(designer).post(approve_url(orchestration)).status_code == 403
    assert _client_for(publisher).post(approve_url(orchestration)).status_code == 403
    strict = _client_for(reviewer, enforce_csrf_checks=True)
    assert strict.post(approve_url(orchestration)).status_code == 403
    assert not Approval.objects.exists()
    plain = _client_for(reviewer).post(approve_url(orchestration))
    assert plain.status_code == 302 and plain.url == page_url(orchestration)
