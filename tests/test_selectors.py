import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestrator import selectors
from tests.factories import build_orchestration


def _walk(orch):
    """Touch everything a page, the validator or the payload builder reads."""
    seen = 0
    for stage in orch.stages.all():
        for objective in stage.objectives.all():
            seen += len(objective.associations.all()) + len(objective.status)
        for step in stage.steps.all():
            seen += len(step.tasks.all()) + len(step.associations.all())
            seen += bool(step.success_step) + bool(step.failure_step)
            for assoc in step.associations.all():
                seen += len(assoc.objective.number)
    return seen


def _queries_for(number):
    with CaptureQueriesContext(connection) as ctx:
        _walk(selectors.orchestration_tree(number))
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_tree_query_count_does_not_grow_with_size():
    small = build_orchestration(stages=5)
    large = build_orchestration(stages=100)
    assert _queries_for(small.number) == _queries_for(large.number) == 7


@pytest.mark.django_db
def test_stage_tree_query_count_is_fixed():
    orch = build_orchestration(stages=2)
    stage = orch.stages.first()
    with CaptureQueriesContext(connection) as ctx:
        tree = selectors.stage_tree(stage.pk)
        list(tree.objectives.all()), [len(s.tasks.all()) for s in tree.steps.all()]
    assert len(ctx.captured_queries) == 6
