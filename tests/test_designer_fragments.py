"""An edit costs one stage: it loads and validates only the stage it touched, and answers only what changed.

The problems of the other stages come from the cache of the revision the edit
started from (orchestrator/services/problems.py). These tests pin that the
whole tree is not loaded for such edits, that the cached answer always equals
a full validation, that a concurrent write or a renamed stage falls back to
the whole tree, and that the answer carries a badge or the problems panel only
when the page on screen shows something else.
"""

import re

import pytest
from django.urls import reverse

from orchestrator import selectors
from orchestrator.models import Orchestration, ProblemCache, Step, bump_tree_revision
from orchestrator.services import drafts
from orchestrator.services.problems import cached_problems, draft_problems
from orchestrator.validation import StageFacts, validate_orchestration
from orchestrator.views import designer_support
from tests.factories import build_orchestration
from tests.test_designer_endpoints import HTMX, step, step_data

pytestmark = pytest.mark.django_db
LOAD_WHOLE_TREE = selectors.orchestration_tree  # the real one, for the tests' own full validations


@pytest.fixture
def whole_tree_loads(monkeypatch):
    """How often a response loaded the whole tree."""
    calls = []
    original = selectors.orchestration_tree

    def spy(number):
        calls.append(number)
        return original(number)

    monkeypatch.setattr(designer_support.selectors, "orchestration_tree", spy)
    return calls


def _revision(orch) -> str:
    return str(Orchestration.objects.values_list("tree_revision", flat=True).get(pk=orch.pk))


def _open_page(client, orch) -> str:
    """Load the designer page (it validates the whole tree and keeps the answer); the revision it shows."""
    body = client.get(reverse("designer", args=[orch.number])).content.decode()
    return re.search(r'id="last-changed" class="muted" data-revision="(\d+)"', body).group(1)


def _full(orch):
    tree = LOAD_WHOLE_TREE(orch.number)
    facts = [StageFacts(s.pk, s.number, s.name, s.lifecycle_attr_value) for s in tree.stages.all()]
    return draft_problems(tree, facts, validate_orchestration(tree))


def _assert_cache_is_a_full_validation(orch):
    cached = cached_problems(Orchestration.objects.select_related("problem_cache").get(pk=orch.pk))
    full = _full(orch)
    assert (cached.revision, cached.summary, cached.groups) == (full.revision, full.summary, full.groups)


def test_a_step_save_after_the_page_loads_one_stage(designer_client, whole_tree_loads):
    orch = build_orchestration(stages=6)
    revision = _open_page(designer_client, orch)
    whole_tree_loads.clear()
    s = step(orch)
    url = reverse("step_edit", args=[orch.number, s.number])
    response = designer_client.post(url, step_data(s, name="Renamed"), HTTP_X_DESIGNER_REVISION=revision, **HTMX)
    assert response.status_code == 200
    assert whole_tree_loads == []
    body = response.content.decode()
    assert "Saved step “Renamed”." in body
    # Nothing the page shows changed but the row: no problems panel, no badge; the revision moves on.
    assert 'id="problems"' not in body
    assert "-badge" not in body
    assert f'data-revision="{int(revision) + 1}"' in body
    _assert_cache_is_a_full_validation(orch)


def test_a_page_of_unknown_state_gets_the_panel_and_every_badge(designer_client, whole_tree_loads):
    orch = build_orchestration(stages=4)
    _open_page(designer_client, orch)
    whole_tree_loads.clear()
    s = step(orch)
    response = designer_client.post(reverse("step_edit", args=[orch.number, s.number]), step_data(s), **HTMX)
    body = response.content.decode()
    assert whole_tree_loads == []  # still one stage: the rest comes from the cache
    assert 'id="problems"' in body
    assert body.count('-badge" class="badge') == 4


def test_a_new_problem_updates_its_badge_and_the_panel_only(designer_client):
    orch = build_orchestration(stages=5)
    revision = _open_page(designer_client, orch)
    meeting = step(orch, 2)
    data = step_data(meeting, step_type="WAIT", activity_template_id="")
    response = designer_client.post(
        reverse("step_edit", args=[orch.number, meeting.number]), data, HTTP_X_DESIGNER_REVISION=revision, **HTMX
    )
    body = response.content.decode()
    assert "waits, but for how long?" in body
    assert body.count('-badge" class="badge') == 1
    assert f'id="stage-{meeting.stage.number}-badge" class="badge badge-problems"' in body
    _assert_cache_is_a_full_validation(orch)


def test_every_kind_of_edit_keeps_the_cache_equal_to_a_full_validation(designer_client, whole_tree_loads):
    """A run of edits of every kind, each checked against the whole tree validated from scratch."""
    orch = build_orchestration(stages=3)
    _open_page(designer_client, orch)
    whole_tree_loads.clear()
    first = orch.stages.get(display_sequence=1)
    second = orch.stages.get(display_sequence=2)
    call = Step.objects.get(stage=first, display_sequence=1)
    advance = Step.objects.get(stage=first, display_sequence=3)
    posts = [
        (reverse("step_new", args=[orch.number, first.number]), {"name": "Wait", "step_type": "WAIT"}),
        (reverse("objective_new", args=[orch.number, second.number]), {"name": "Unserved"}),
        (reverse("step_edit", args=[orch.number, advance.number]), step_data(advance, step_type="NEXT_STAGE")),
        (reverse("step_objectives", args=[orch.number, call.number]), {"objectives": []}),
        (
            reverse("stage_edit", args=[orch.number, second.number]),
            {
                "name": "Stage 2",
                "lifecycle_attr_value": "02 - Stage 2",
                "description": "Now described",
                "version": second.version,
            },
        ),
        (reverse("steps_bulk", args=[orch.number]), {"steps": [call.number], "grace_period": "6"}),
    ]
    for url, data in posts:
        response = designer_client.post(url, data, **HTMX)
        assert response.status_code == 200, (url, response.content.decode()[:300])
        _assert_cache_is_a_full_validation(orch)
    assert whole_tree_loads == []
    # A stage-level change (the stage's value, which other stages' rules read) validates the whole tree.
    second.refresh_from_db()
    data = {"name": "Stage 2", "lifecycle_attr_value": "03 - Stage 3", "version": second.version}
    designer_client.post(reverse("stage_edit", args=[orch.number, second.number]), data, **HTMX)
    assert whole_tree_loads == [orch.number]
    _assert_cache_is_a_full_validation(orch)
    assert "mirrors the sales stage “03 - Stage 3”" in str(
        cached_problems(Orchestration.objects.get(pk=orch.pk)).groups
    )


def test_a_write_by_someone_else_meanwhile_falls_back_to_the_whole_tree(designer_client, whole_tree_loads, designer):
    orch = build_orchestration(stages=3)
    _open_page(designer_client, orch)
    whole_tree_loads.clear()
    s = step(orch)
    # Someone else's edit elsewhere lands after this page's cache: the revision is two ahead after the save.
    other = Step.objects.get(stage__orchestration=orch, stage__display_sequence=3, display_sequence=2)
    drafts.step_update(step=other, user=designer, expected_version=other.version, values={"step_type": "WAIT"})
    ProblemCache.objects.filter(pk=orch.pk).update(revision=int(_revision(orch)) - 1)
    response = designer_client.post(reverse("step_edit", args=[orch.number, s.number]), step_data(s), **HTMX)
    assert response.status_code == 200
    assert whole_tree_loads == [orch.number]
    assert "waits, but for how long?" in response.content.decode()
    _assert_cache_is_a_full_validation(orch)


def test_a_write_outside_the_services_is_never_merged_over(designer_client, whole_tree_loads):
    """An admin edit counts as a write: the next edit cannot take the old cache for the unchanged stages."""
    orch = build_orchestration(stages=3)
    _open_page(designer_client, orch)
    whole_tree_loads.clear()
    Step.objects.filter(stage__orchestration=orch, stage__display_sequence=2, display_sequence=1).update(
        step_type="WAIT", activity_template_id=None, grace_period=None
    )
    bump_tree_revision(orch.pk)
    s = step(orch)
    designer_client.post(reverse("step_edit", args=[orch.number, s.number]), step_data(s), **HTMX)
    assert whole_tree_loads == [orch.number]
    _assert_cache_is_a_full_validation(orch)


def test_the_page_rewrites_a_cache_that_differs_from_the_tree(designer_client):
    orch = build_orchestration(stages=2)
    _open_page(designer_client, orch)
    ProblemCache.objects.filter(pk=orch.pk).update(problems={"": [["x", "stale", "orchestration", "N", ""]]})
    _open_page(designer_client, orch)
    _assert_cache_is_a_full_validation(orch)
