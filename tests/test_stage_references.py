"""Keeping Next stage references whole: a stage's new sales stage value taken along, the delete dialog's warning.

The factory's stage N mirrors "0N - Stage N" and stage N-1's "Advance N-1"
step moves to it. Service, form and views are tested here; the problems
each change leaves are compared with a whole validation, because the cache
(services/problems.py) must not keep a stage's problems once another
stage's value changed under it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orchestrator import selectors
from orchestrator.forms import StageForm
from orchestrator.models import Orchestration, Revision, Stage, Step, StepType
from orchestrator.services import drafts, problems
from orchestrator.validation import validate_orchestration
from tests.factories import build_orchestration

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def orch():
    return build_orchestration(stages=3)


def stage(orch, n) -> Stage:
    return orch.stages.get(display_sequence=n)


def advance(orch, n) -> Step:
    return Step.objects.get(stage__orchestration=orch, stage__display_sequence=n, step_type=StepType.NEXT_STAGE)


def codes(orch) -> list[tuple[str, str]]:
    return [(p.code, p.number) for p in validate_orchestration(selectors.orchestration_tree(orch.number))]


def rename(orch, n, value, *, retarget, user=None):
    target = stage(orch, n)
    return drafts.stage_update(
        stage=target,
        user=user,
        expected_version=target.version,
        values={"lifecycle_attr_value": value},
        retarget_next_stage_steps=retarget,
    )


# -- the service -----------------------------------------------------------------------


def test_the_next_stage_steps_follow_the_new_value_in_one_revision(orch, designer):
    step = advance(orch, 1)
    rename(orch, 3, "03 - Stage 3 (kept)", retarget=True, user=designer)  # history starts: a revision of its own
    revisions = Revision.objects.count()
    revision = Orchestration.objects.get(pk=orch.pk).tree_revision
    updated = rename(orch, 2, "02 - Discover", retarget=True, user=designer)
    assert [s.number for s in updated.retargeted_steps] == [step.number]
    moved = Step.objects.get(pk=step.pk)
    assert (moved.next_stage_value, moved.version) == ("02 - Discover", step.version + 1)
    assert stage(orch, 2).lifecycle_attr_value == "02 - Discover"
    assert Revision.objects.count() == revisions + 1
    assert Orchestration.objects.get(pk=orch.pk).tree_revision == revision + 1
    latest = Revision.objects.order_by("-pk").first()
    assert '"02 - Discover"' in str(latest.document) and '"02 - Stage 2"' not in str(latest.document)
    assert latest.problem_count == 0
    assert codes(orch) == []


def test_without_the_option_the_steps_keep_the_old_value_and_the_problem_says_so(orch, designer):
    updated = rename(orch, 2, "02 - Discover", retarget=False, user=designer)
    assert getattr(updated, "retargeted_steps", []) == []
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"
    assert codes(orch) == [("step.next_stage_unknown", advance(orch, 1).number)]


def test_a_failure_changes_neither_the_stage_nor_the_steps(orch, designer, monkeypatch):
    before = (Revision.objects.count(), Orchestration.objects.get(pk=orch.pk).tree_revision)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Step.objects, "bulk_update", broken)
    with pytest.raises(RuntimeError):
        rename(orch, 2, "02 - Discover", retarget=True, user=designer)
    assert stage(orch, 2).lifecycle_attr_value == "02 - Stage 2"
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"
    assert (Revision.objects.count(), Orchestration.objects.get(pk=orch.pk).tree_revision) == before


def test_a_stale_edit_changes_nothing(orch, designer):
    target = stage(orch, 2)
    Stage.objects.filter(pk=target.pk).update(version=target.version + 1)
    with pytest.raises(drafts.StaleEdit):
        drafts.stage_update(
            stage=target,
            user=designer,
            expected_version=target.version,
            values={"lifecycle_attr_value": "02 - Discover"},
            retarget_next_stage_steps=True,
        )
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"


def test_steps_keep_their_value_while_another_stage_still_mirrors_it(orch, designer):
    Stage.objects.filter(pk=stage(orch, 3).pk).update(lifecycle_attr_value="02 - Stage 2")
    assert selectors.next_stage_steps_into(stage(orch, 2)) == []
    updated = rename(orch, 2, "02 - Discover", retarget=True, user=designer)
    assert updated.retargeted_steps == []
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"  # still moves to stage 3's value


def test_an_unchanged_value_touches_no_step(orch, designer):
    step = advance(orch, 1)
    updated = drafts.stage_update(
        stage=stage(orch, 2),
        user=designer,
        expected_version=stage(orch, 2).version,
        values={"name": "Discover", "lifecycle_attr_value": "02 - Stage 2"},
        retarget_next_stage_steps=True,
    )
    assert updated.retargeted_steps == []
    assert Step.objects.get(pk=step.pk).version == step.version


# -- the form --------------------------------------------------------------------------


def test_the_form_offers_to_take_the_steps_along_ticked(orch):
    form = StageForm(instance=stage(orch, 2))
    field = form["retarget_next_stage_steps"]
    assert field.label == "Also update the 1 Next stage step that moves to “02 - Stage 2”"
    assert field.help_text == "If you change the value: “Advance 1” in stage “Stage 1”."
    assert field.value() is True
    assert list(form.fields).index("retarget_next_stage_steps") == list(form.fields).index("lifecycle_attr_value") + 1
    assert "retarget_next_stage_steps" not in StageForm(instance=stage(orch, 1)).fields  # nothing moves to stage 1


def test_the_option_is_not_a_value_of_the_stage(orch):
    target = stage(orch, 2)
    form = StageForm(
        instance=target,
        data={"name": "Stage 2", "lifecycle_attr_value": "x", "version": target.version},
    )
    assert form.is_valid(), form.errors
    assert "retarget_next_stage_steps" not in form.values
    assert form.service_options == {"retarget_next_stage_steps": False}  # an unticked box is absent


# -- the views -------------------------------------------------------------------------


def edit_url(orch, n):
    return reverse("stage_edit", args=[orch.number, stage(orch, n).number])


def post(client, orch, n, value, *, retarget):
    data = {"name": f"Stage {n}", "lifecycle_attr_value": value, "version": stage(orch, n).version}
    if retarget:
        data["retarget_next_stage_steps"] = "on"
    return client.post(edit_url(orch, n), data, **HTMX)


def cached_equals_whole_validation(orch) -> bool:
    loaded = Orchestration.objects.select_related("problem_cache").get(pk=orch.pk)
    cached = problems.cached_problems(loaded)
    tree = selectors.orchestration_tree(orch.number)
    facts = selectors.stage_facts(orch.pk)
    whole = problems.draft_problems(tree, facts, validate_orchestration(tree))
    return cached is not None and cached.revision == whole.revision and cached.groups == whole.groups


def test_the_edit_form_shows_the_offer(designer_client, orch):
    html = designer_client.get(edit_url(orch, 2), **HTMX).content.decode()
    assert 'name="retarget_next_stage_steps"' in html and "checked" in html
    assert "Also update the 1 Next stage step that moves to “02 - Stage 2”" in html
    assert "“Advance 1” in stage “Stage 1”" in html


def test_saving_with_the_offer_ticked_updates_the_rows_of_other_stages(designer_client, orch):
    designer_client.get(reverse("designer", args=[orch.number]))  # the page keeps the problems
    step = advance(orch, 1)
    response = post(designer_client, orch, 2, "02 - Discover", retarget=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert advance(orch, 1).next_stage_value == "02 - Discover"
    # The step's row in stage 1 is replaced out of band with the new target.
    start = html.index(f'<div id="step-{step.number}-main" class="row" hx-swap-oob="true">')
    row = html[start : html.index("hx-swap-oob", start + 60)]
    assert "Advance 1" in row and "“02 - Discover”" in row
    assert "Saved stage “Stage 2” and the Next stage steps that move to it (“Advance 1”)." in html
    assert cached_equals_whole_validation(orch)
    assert codes(orch) == []


def test_saving_without_the_offer_shows_the_stranded_step_in_problems(designer_client, orch):
    designer_client.get(reverse("designer", args=[orch.number]))
    step = advance(orch, 1)
    html = post(designer_client, orch, 2, "02 - Discover", retarget=False).content.decode()
    assert 'id="problems"' in html and f"#step-{step.number}-next_stage_value" in html
    assert "moves to “02 - Stage 2”, but no stage of this orchestration mirrors that sales stage" in html
    assert cached_equals_whole_validation(orch)
    # An edit inside stage 3 afterwards reuses the cache: the problem of stage 1 stays.
    meeting = Step.objects.get(stage=stage(orch, 3), step_type=StepType.APPOINTMENT)
    response = designer_client.post(
        reverse("step_edit", args=[orch.number, meeting.number]),
        {"name": "Kick-off", "step_type": "APPOINTMENT", "activity_template_id": "300100000000102", "version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    assert cached_equals_whole_validation(orch)
    assert codes(orch) == [("step.next_stage_unknown", step.number)]
    # Putting the value back clears the problem of the other stage.
    html = post(designer_client, orch, 2, "02 - Stage 2", retarget=False).content.decode()
    assert "no stage of this orchestration mirrors" not in html
    assert cached_equals_whole_validation(orch)
    assert codes(orch) == []


def test_an_invalid_value_with_the_offer_changes_nothing(designer_client, orch):
    response = post(designer_client, orch, 2, "", retarget=True)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert (stage(orch, 2).lifecycle_attr_value, advance(orch, 1).next_stage_value) == ("02 - Stage 2",) * 2


def test_a_viewer_cannot_take_the_steps_along(viewer_client, orch):
    assert post(viewer_client, orch, 2, "02 - Discover", retarget=True).status_code == 403
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"


def test_anonymous_users_are_sent_to_log_in(client, orch):
    response = post(client, orch, 2, "02 - Discover", retarget=True)
    assert response.status_code == 302 and "login" in response["Location"]
    assert advance(orch, 1).next_stage_value == "02 - Stage 2"


def test_the_offer_costs_the_same_at_5_and_100_stages(designer_client):
    counts = []
    for size in (5, 100):
        o = build_orchestration(stages=size)
        designer_client.get(reverse("designer", args=[o.number]))
        with CaptureQueriesContext(connection) as ctx:
            assert post(designer_client, o, 2, "02 - Discover", retarget=True).status_code == 200
        counts.append(len(ctx.captured_queries))
        assert advance(o, 1).next_stage_value == "02 - Discover"
    assert counts[0] == counts[1]


# -- the delete dialog -----------------------------------------------------------------


def test_the_delete_dialog_lists_the_next_stage_steps_of_other_stages(designer_client, orch):
    url = reverse("stage_delete", args=[orch.number, stage(orch, 2).number])
    html = designer_client.get(url, **HTMX).content.decode()
    assert "1 Next stage step of other stages moves to “02 - Stage 2” and will have no stage to move to" in html
    assert "<li>“Advance 1” in stage “Stage 1”</li>" in html


def test_the_delete_dialog_of_a_stage_nothing_moves_to_lists_none(designer_client, orch):
    url = reverse("stage_delete", args=[orch.number, stage(orch, 1).number])
    assert "will have no stage to move to" not in designer_client.get(url, **HTMX).content.decode()


def test_deleting_the_stage_says_which_steps_lost_their_target(designer_client, orch):
    step = advance(orch, 1)
    html = designer_client.post(
        reverse("stage_delete", args=[orch.number, stage(orch, 2).number]), **HTMX
    ).content.decode()
    assert "Next stage steps that moved to “02 - Stage 2” now move to no stage" in html
    assert codes(orch) == [("step.next_stage_unknown", step.number)]
