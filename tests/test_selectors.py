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


@pytest.mark.django_db
def test_every_row_is_one_object():
    """A linked step, and an association seen from its step and from its objective, are the same objects."""
    orch = build_orchestration(stages=2)
    stage = orch.stages.get(display_sequence=1)
    call, meeting, advance = stage.steps.order_by("display_sequence")
    type(call).objects.filter(pk=meeting.pk).update(success_step=advance, failure_step=call)
    tree = selectors.orchestration_tree(orch.number)
    first = tree.stages.all()[0]
    steps = {s.number: s for s in first.steps.all()}
    linked = steps[meeting.number]
    assert linked.success_step is steps[advance.number]
    assert linked.failure_step is steps[call.number]
    for objective in first.objectives.all():
        assert objective.stage is first
        for association in objective.associations.all():
            assert association.objective is objective
            assert association in list(association.step.associations.all())
            assert association.step is steps[association.step.number]
    assert all(task.step is steps[call.number] for task in steps[call.number].tasks.all())


@pytest.mark.django_db
def test_a_query_built_from_a_loaded_relation_stays_inside_it():
    """Prefetched relations answer from memory, and a new query made from one still means that relation."""
    orch = build_orchestration(stages=3)
    build_orchestration(stages=2)  # rows of another orchestration that must never leak in
    tree = selectors.orchestration_tree(orch.number)
    stage = tree.stages.all()[1]
    with CaptureQueriesContext(connection) as ctx:
        assert len(stage.steps.all()) == 3 and stage.steps.count() == 3 and stage.steps.exists()
    assert len(ctx.captured_queries) == 0
    assert tree.stages.order_by("-display_sequence").first().name == "Stage 3"
    assert list(stage.steps.filter(display_sequence=2).values_list("name", flat=True)) == ["Meeting 2"]
    assert stage.steps.all().update(allow_skip=True) == 3
    assert type(stage).objects.get(pk=stage.pk).steps.filter(allow_skip=True).count() == 3


@pytest.mark.django_db
def test_stages_tree_loads_the_stages_asked_for_like_the_whole_tree():
    orch = build_orchestration(stages=4)
    whole = selectors.orchestration_tree(orch.number)
    wanted = [s.pk for s in whole.stages.all()][1:3]
    with CaptureQueriesContext(connection) as ctx:
        some = selectors.stages_tree(whole, wanted)
        _walk_stages(some)
    assert len(ctx.captured_queries) == 6
    assert [s.pk for s in some] == wanted
    for loaded, full in zip(some, whole.stages.all()[1:3], strict=True):
        assert [o.number for o in loaded.objectives.all()] == [o.number for o in full.objectives.all()]
        assert [(s.number, [t.number for t in s.tasks.all()]) for s in loaded.steps.all()] == [
            (s.number, [t.number for t in s.tasks.all()]) for s in full.steps.all()
        ]


def _walk_stages(stages):
    for stage in stages:
        for objective in stage.objectives.all():
            len(objective.associations.all())
        for step in stage.steps.all():
            len(step.tasks.all()), [a.objective.number for a in step.associations.all()], step.success_step


@pytest.mark.django_db
def test_an_import_validates_the_rows_it_wrote_exactly_as_they_read_back():
    """The importer assembles the tree from the rows it has just written (tree_of): same tree, same problems."""
    import copy

    from orchestrator.services.documents.export import orchestration_document
    from orchestrator.services.documents.importing import orchestration_import
    from orchestrator.validation import validate_orchestration
    from tests.benchmarks.shapes import bench_document

    document = bench_document(4, "TREEOF")
    orchestration_import(document=document)
    changed = copy.deepcopy(document)
    second = changed["Stages"][1]
    second["Steps"] = [s for s in second["Steps"] if s["StepType"] != "WAIT"]  # its association goes too
    next(s for s in second["Steps"] if s["StepType"] == "APPOINTMENT").pop("SuccessStepNumber")
    second["StepObjectivesAssociations"] = [
        a
        for a in second["StepObjectivesAssociations"]
        if a["OrchestrationStepNumber"] in {s["OrchestrationStepNumber"] for s in second["Steps"]}
    ]
    second["StepObjectivesAssociations"][0]["StageObjectiveNumber"] = second["StageObjectives"][1][
        "StageObjectiveNumber"
    ]
    second["StageObjectives"].append(
        {
            "StageObjectiveNumber": "ORCH-OBJ-TREEOF-NEW",
            "ObjectiveName": "New",
            "DisplaySequence": 3,
            "ObjectiveStatus": "NEW",
        }
    )
    # The other steps in reverse order, the Next stage step still last (so every step can run).
    for position, step in enumerate(reversed(second["Steps"][:-1]), start=1):
        step["DisplaySequence"] = position
    second["Steps"][-1]["DisplaySequence"] = len(second["Steps"])
    result = orchestration_import(document=changed, allow_incomplete=True)
    in_memory = result.orchestration
    read_back = selectors.orchestration_tree(document["OrchestrationNumber"])
    assert validate_orchestration(in_memory) == validate_orchestration(read_back)
    assert [p.code for p in validate_orchestration(read_back)] == ["objective.not_served"]  # the new one
    assert orchestration_document(in_memory) == orchestration_document(read_back)
