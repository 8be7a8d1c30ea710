"""Visible state (issue 10, item 3): the designer's header and the list show approval, problems and publishes.

Instead of a permanent "Draft"; editing approved content shows a quiet note
that the approval will lapse, and after the edit the header says it did;
comments about a stage, objective, step or step task show on its row with a count.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator.models import Orchestration, Stage, Step
from orchestrator.services import drafts
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.review import orchestration_approve, review_comment_add
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def designer_page(c, orch) -> str:
    return c.get(reverse("designer", args=[orch.number])).content.decode()


def test_the_header_shows_review_problems_and_publishes_instead_of_draft(orchestration, designer, reviewer, publisher):
    c = client_for(designer)
    html = designer_page(c, orchestration)
    assert "<dt>Status</dt>" not in html
    assert '<dt>Review</dt><dd><span class="tag">Not reviewed</span>' in html
    assert "<dt>Problems</dt><dd>0</dd>" in html and "<dt>Published</dt><dd>not yet</dd>" in html
    orchestration_publish(orchestration=orchestration, connection_name="default", user=publisher)
    orchestration_approve(orchestration=orchestration, user=reviewer)
    html = designer_page(c, orchestration)
    assert '<span class="tag tag-approved">Approved</span>' in html
    assert "default: " in html and f"by {publisher.username} · same as the draft" in html
    assert 'id="lapse-note"' in html and "Any edit makes the approval lapse" in html
    # The edit answers with the header's status out of band: the approval lapsed, the draft changed since.
    stage = Stage.objects.filter(orchestration=orchestration).first()
    response = c.post(
        reverse("stage_edit", args=[orchestration.number, stage.number]),
        {"name": "Qualify", "lifecycle_attr_value": stage.lifecycle_attr_value, "version": stage.version},
        headers=HTMX,
    )
    html = response.content.decode()
    assert 'id="draft-status" class="draft-status" hx-swap-oob="true"' in html
    assert "Changed since approval" in html and "draft changed since" in html
    assert 'id="lapse-note"' not in html


def test_readers_see_the_state_but_no_lapse_note(orchestration, reviewer, viewer):
    orchestration_approve(orchestration=orchestration, user=reviewer)
    html = designer_page(client_for(viewer), orchestration)
    assert '<span class="tag tag-approved">Approved</span>' in html and 'id="lapse-note"' not in html


def test_comments_show_on_their_rows_with_a_count_until_resolved(orchestration, reviewer, designer):
    step = Step.objects.filter(stage__orchestration=orchestration).first()
    review_comment_add(orchestration=orchestration, user=reviewer, body="Call sooner", anchor=f"step:{step.number}")
    request = review_comment_add(
        orchestration=orchestration, user=reviewer, body="Name it", anchor=f"step:{step.number}", requests_changes=True
    )
    html = designer_page(client_for(designer), orchestration)
    row = html[html.index(f'id="step-{step.number}-main"') :]
    row = row[: row.index("</details>")]
    assert "<summary>2 comments</summary>" in row and "Call sooner" in row and "Change requested" in row
    request.resolved_at = request.created_at
    request.save()
    html = designer_page(client_for(designer), orchestration)
    assert "<summary>1 comment</summary>" in html


def test_the_list_shows_each_orchestrations_state(designer, reviewer, publisher):
    approved, stale, fresh = (build_orchestration(stages=1, name=n) for n in ("Approved", "Stale", "Fresh"))
    for orch in (approved, stale):
        orchestration_approve(orchestration=orch, user=reviewer)
        orchestration_publish(orchestration=orch, connection_name="default", user=publisher)
    stage = Stage.objects.get(orchestration=stale)
    drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "Edited"})
    drafts.stage_create(orchestration=fresh, user=designer, values={"name": "Empty", "lifecycle_attr_value": "x"})
    html = client_for(designer).get(reverse("orchestration_list")).content.decode()

    def row(orch):
        part = html[html.index(f'id="row-{orch.number}"') :]
        return part[: part.index("</tr>")]

    assert 'tag-approved">Approved</span>' in row(approved) and "changed since" not in row(approved)
    assert "Changed since approval" in row(stale) and "default " in row(stale) and "· changed since" in row(stale)
    assert "Not reviewed" in row(fresh) and "not yet" in row(fresh)
    assert "<td>3</td>" in row(fresh)  # the empty stage's problems
    assert ">Draft</span>" not in html


def _count(c, url) -> int:
    c.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_and_the_designer_cost_the_same_for_few_and_many(designer, reviewer, publisher):
    c = client_for(designer)

    def populate(count, stages):
        orchs = [build_orchestration(stages=stages) for _ in range(count)]
        for orch in orchs:
            orchestration_approve(orchestration=orch, user=reviewer)
            orchestration_publish(orchestration=orch, connection_name="default", user=publisher)
            stage = Stage.objects.filter(orchestration=orch).first()
            drafts.stage_update(stage=stage, user=designer, expected_version=stage.version, values={"name": "E"})
            review_comment_add(orchestration=orch, user=reviewer, body="c", anchor=f"stage:{stage.number}")
        # Some drafts predate the history: no revision at all.
        Orchestration.objects.bulk_create(
            [Orchestration(number=f"ORCH-OLD-{count}-{i}", name="Old") for i in range(count)]
        )
        return orchs

    few = populate(2, 2)
    list_few, designer_few = (
        _count(c, reverse("orchestration_list")),
        _count(c, reverse("designer", args=[few[0].number])),
    )
    many = populate(12, 12)
    list_many, designer_many = (
        _count(c, reverse("orchestration_list")),
        _count(c, reverse("designer", args=[many[0].number])),
    )
    assert (list_few, designer_few) == (list_many, designer_many)
