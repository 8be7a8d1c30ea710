"""Four eyes on approvals (issue 12, F5): nobody approves content they changed since the last approval.

Someone who is both Designer and Reviewer, or a superuser, could edit a draft
and approve it themselves. Every write to a draft records who made it; an
approval is refused to anyone who created the draft or changed it since its
latest approval, with a plain reason. REVIEW_ALLOW_SELF_APPROVAL=true lifts
the rule (a one-person team); it is off by default.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from orchestrator import roles, selectors
from orchestrator.models import Approval, Step
from orchestrator.services import bulk, drafts
from orchestrator.services import orchestrations as orchestration_services
from orchestrator.services.documents import orchestration_document, orchestration_import
from orchestrator.services.review import SELF_APPROVAL_REFUSED, orchestration_approve
from tests.factories import build_orchestration, make_user
from tests.test_documents import renumbered

pytestmark = pytest.mark.django_db


@pytest.fixture
def dual():
    """A Designer who is also a Reviewer."""
    user = make_user(roles.DESIGNER)
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    return user


@pytest.fixture
def orch():
    return build_orchestration(stages=2)


def _rename_first_stage(orch, user, name="Qualify (renamed)"):
    stage = orch.stages.order_by("display_sequence").first()
    drafts.stage_update(stage=stage, user=user, expected_version=stage.version, values={"name": name})


def _refused(orch, user):
    with pytest.raises(ValidationError) as caught:
        orchestration_approve(orchestration=orch, user=user)
    assert caught.value.messages == [SELF_APPROVAL_REFUSED]


def test_F5_a_designer_reviewer_may_not_approve_their_own_change(orch, dual, reviewer):
    _rename_first_stage(orch, dual)
    _refused(orch, dual)
    assert not Approval.objects.exists()
    assert orchestration_approve(orchestration=orch, user=reviewer).reviewer == reviewer


def test_F5_a_superuser_may_not_approve_their_own_change(orch, admin_user):
    step = Step.objects.filter(stage__orchestration=orch).first()
    bulk.steps_bulk_update(step_ids=[step.pk], user=admin_user, values={"allow_skip": True})
    _refused(orch, admin_user)


def test_F5_the_creator_may_not_approve_what_they_created(orch, dual, admin_user):
    document = renumbered(orchestration_document(selectors.orchestration_tree(orch.number)), "-F5")
    imported = orchestration_import(document=document, user=dual).orchestration
    _refused(imported, dual)
    created = orchestration_services.orchestration_create(
        user=admin_user, number="ORCH-F5-NEW", values={"name": "New", "lifecycle_attribute_name": "SalesStage"}
    )
    copy = orchestration_services.orchestration_clone(orchestration=orch, user=admin_user)
    for mine in (created, copy):
        with pytest.raises(ValidationError, match="another reviewer must approve it"):
            orchestration_approve(orchestration=mine, user=admin_user)


def test_F5_a_change_before_the_latest_approval_no_longer_counts(orch, dual, reviewer, designer):
    _rename_first_stage(orch, dual)
    orchestration_approve(orchestration=orch, user=reviewer)
    _rename_first_stage(orch, designer, name="Qualify (renamed again)")
    assert orchestration_approve(orchestration=orch, user=dual).reviewer == dual  # dual did not change this content
    _rename_first_stage(orch, dual, name="Qualify (dual's last word)")
    _refused(orch, dual)


def test_F5_self_approval_can_be_allowed_for_a_one_person_team(orch, dual, settings):
    _rename_first_stage(orch, dual)
    settings.REVIEW_ALLOW_SELF_APPROVAL = True
    assert orchestration_approve(orchestration=orch, user=dual).reviewer == dual


def test_F5_the_review_page_says_why_and_the_post_is_refused_beside_the_form(orch, dual):
    _rename_first_stage(orch, dual)
    client = Client()
    client.force_login(dual)
    page = client.get(reverse("review", args=[orch.number])).content.decode()
    assert SELF_APPROVAL_REFUSED.removeprefix("Not approved: ") in page
    assert 'id="approve-button" disabled' in page
    response = client.post(reverse("review_approve", args=[orch.number]), {"note": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert SELF_APPROVAL_REFUSED in response.content.decode()
    assert not Approval.objects.exists()
