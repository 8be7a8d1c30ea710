"""services.review: the content hash, comments, approvals (refused with problems, stale after an edit) and live_diff."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from orchestrator.models import Approval, ReviewComment, Stage
from orchestrator.models.review import COMMENT_MAX
from orchestrator.selectors import orchestration_tree
from orchestrator.services.publishing import orchestration_publish
from orchestrator.services.review import (
    CHANGED,
    ONLY_LOCAL,
    ONLY_REMOTE,
    SAME,
    approval_state,
    content_hash,
    live_diff,
    orchestration_approve,
    review_comment_add,
)
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db


@pytest.fixture
def ci(monkeypatch, cx_server, settings):
    """Connection `ci` to the loopback fake CX server, configured through the environment."""
    settings.CX_CLIENT_OPTIONS = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "max_attempts": 2,
        "backoff_base": 0.01,
        "backoff_cap": 0.02,
        "sleep": lambda seconds: None,
    }
    monkeypatch.setenv("CX_CONNECTIONS", "ci")
    monkeypatch.setenv("CX_CI_BASE_URL", cx_server.url)
    monkeypatch.setenv("CX_CI_USERNAME", cx_server.username)
    monkeypatch.setenv("CX_CI_PASSWORD", cx_server.password)
    return "ci"


def tree(orch):
    return orchestration_tree(orch.number)


def rename_first_stage(orch, name="Qualify (renamed)"):
    stage = orch.stages.order_by("display_sequence").first()
    Stage.objects.filter(pk=stage.pk).update(name=name)
    return stage


# -- content hash ---------------------------------------------------------------------------------------------


def test_the_content_hash_is_stable_and_follows_the_content(orchestration):
    first = content_hash(tree(orchestration))
    assert len(first) == 64
    assert content_hash(tree(orchestration)) == first
    rename_first_stage(orchestration)
    assert content_hash(tree(orchestration)) != first


# -- comments -------------------------------------------------------------------------------------------------


def test_a_comment_records_its_author_and_the_content_it_was_about(orchestration, reviewer):
    comment = review_comment_add(orchestration=orchestration, user=reviewer, body="  Stage 2 needs a call.  ")
    assert comment.body == "Stage 2 needs a call."
    assert comment.author == reviewer
    assert comment.content_hash == content_hash(tree(orchestration))


@pytest.mark.parametrize(
    ("body", "message"), [("   ", "Write a comment first."), ("x" * (COMMENT_MAX + 1), "at most 2000 characters")]
)
def test_an_empty_or_too_long_comment_is_refused(orchestration, designer, body, message):
    with pytest.raises(ValidationError) as caught:
        review_comment_add(orchestration=orchestration, user=designer, body=body)
    assert message in caught.value.message_dict["body"][0]
    assert not ReviewComment.objects.exists()


def test_viewers_may_not_comment(orchestration, viewer):
    with pytest.raises(PermissionDenied):
        review_comment_add(orchestration=orchestration, user=viewer, body="Looks good")


# -- approvals ------------------------------------------------------------------------------------------------


def test_approving_makes_the_draft_approved_until_it_changes(orchestration, reviewer):
    assert approval_state(tree(orchestration)).approval is None
    approval = orchestration_approve(orchestration=orchestration, user=reviewer, note="Ready for the reps")
    state = approval_state(tree(orchestration))
    assert state.approved and not state.stale and state.approval == approval
    assert state.approval.note == "Ready for the reps"

    rename_first_stage(orchestration)
    state = approval_state(tree(orchestration))
    assert not state.approved and state.stale and state.approval == approval


def test_approving_is_refused_while_the_draft_has_problems(orchestration, reviewer):
    Stage.objects.create(orchestration=orchestration, display_sequence=9, name="Empty", lifecycle_attr_value="x")
    with pytest.raises(ValidationError) as caught:
        orchestration_approve(orchestration=orchestration, user=reviewer)
    assert "Not approved: the draft has 3 problems to fix first" in caught.value.messages[0]
    assert not Approval.objects.exists()


def test_only_reviewers_approve(orchestration, designer, publisher):
    for user in (designer, publisher):
        with pytest.raises(PermissionDenied):
            orchestration_approve(orchestration=orchestration, user=user)
    assert not Approval.objects.exists()


def test_a_too_long_note_is_refused(orchestration, reviewer):
    with pytest.raises(ValidationError) as caught:
        orchestration_approve(orchestration=orchestration, user=reviewer, note="n" * 501)
    assert "at most 500 characters" in caught.value.message_dict["note"][0]


# -- live diff ------------------------------------------------------------------------------------------------


def test_after_a_publish_every_stage_is_the_same_as_live(orchestration, ci):
    orchestration_publish(orchestration=orchestration, connection_name=ci)
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    assert diff.message == ""
    assert [s.status for s in diff.stages] == [SAME] * 3
    assert all(not s.lines for s in diff.stages)
    assert diff.summary() == "3 same as live, 0 changed, 0 only in the draft, 0 only on the remote"


def test_a_local_edit_shows_as_a_changed_stage_with_the_edited_value(orchestration, ci):
    orchestration_publish(orchestration=orchestration, connection_name=ci)
    edited = rename_first_stage(orchestration, "Qualify (renamed)")
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    by_number = {s.stage_number: s for s in diff.stages}
    changed = by_number[edited.number]
    assert changed.status == CHANGED
    assert [s.status for s in diff.stages].count(SAME) == 2
    added = [line.text for line in changed.lines if line.kind == "add"]
    removed = [line.text for line in changed.lines if line.kind == "remove"]
    assert added == ['+  "StageName": "Qualify (renamed)",']
    assert removed == ['-  "StageName": "Stage 1",']
    assert changed.lines[0].text == "--- live on ci"


def test_stages_only_on_one_side(orchestration, ci):
    orchestration_publish(orchestration=orchestration, connection_name=ci)
    removed = orchestration.stages.order_by("display_sequence").last()
    removed_number = removed.number
    removed.delete()
    extra = Stage.objects.create(orchestration=orchestration, display_sequence=9, name="New", lifecycle_attr_value="x")
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    statuses = {s.stage_number: s.status for s in diff.stages}
    assert statuses[extra.number] == ONLY_LOCAL
    assert statuses[removed_number] == ONLY_REMOTE
    only_remote = next(s for s in diff.stages if s.status == ONLY_REMOTE)
    assert only_remote.lines and all(line.kind != "add" for line in only_remote.lines)


def test_an_orchestration_the_remote_does_not_have_is_not_on_the_remote_yet(orchestration, ci):
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    assert diff.kind == "not_found" and not diff.stages
    assert "is not on ci yet" in diff.message


def test_a_remote_that_is_down_gives_a_message_not_an_exception(orchestration, ci, cx_server):
    cx_server.stop()
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    assert diff.kind == "unavailable" and not diff.stages
    assert diff.message.startswith("Connection ci is unavailable:")


def test_refused_credentials_and_unknown_connections_give_messages(orchestration, ci, monkeypatch):
    monkeypatch.setenv("CX_CI_PASSWORD", "nope-nope")
    diff = live_diff(orchestration=orchestration, connection_name=ci)
    assert diff.kind == "credentials" and "refused the credentials (HTTP 401)" in diff.message
    unknown = live_diff(orchestration=orchestration, connection_name="elsewhere")
    assert unknown.kind == "config" and "elsewhere" in unknown.message


def test_the_built_in_sandbox_works_too():
    orch = build_orchestration(stages=2)
    orchestration_publish(orchestration=orch, connection_name="default")
    diff = live_diff(orchestration=orch, connection_name="default")
    assert [s.status for s in diff.stages] == [SAME, SAME]


def test_the_live_diff_reads_a_strict_pod_in_its_own_dialect(settings):
    settings.SANDBOX_PROFILE = "strict"  # LifecycleAttributeValue, links by id, tasks under their steps, base64
    orch = build_orchestration(stages=2)
    orchestration_publish(orchestration=orch, connection_name="default")
    assert [s.status for s in live_diff(orchestration=orch, connection_name="default").stages] == [SAME, SAME]
    edited = rename_first_stage(orch, "Qualify (renamed)")
    changed = next(s for s in live_diff(orchestration=orch, connection_name="default").stages if s.status == CHANGED)
    assert changed.stage_number == edited.number
    assert [line.text for line in changed.lines if line.kind == "add"] == ['+  "StageName": "Qualify (renamed)",']
