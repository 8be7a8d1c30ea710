"""Reads. The whole orchestration tree loads in a fixed number of queries.

Every page and fragment of the designer, the validation module, the payload
builder and the exporter read the tree through `orchestration_tree`, so none
of them issues per-stage or per-step queries.
"""

from collections.abc import Iterable

from django.db.models import Model, Q, QuerySet

from .models import Orchestration, Stage, StageObjective, Step, StepObjectiveAssociation, StepTask, StepType
from .validation import StageFacts

# The caches the tree fills: (model, related name) for each reverse relation read with `.all()`.
_STAGES = (Orchestration, "stages")
_OBJECTIVES = (Stage, "objectives")
_STEPS = (Stage, "steps")
_TASKS = (Step, "tasks")
_STEP_ASSOCIATIONS = (Step, "associations")
_OBJECTIVE_ASSOCIATIONS = (StageObjective, "associations")


def _prefetched(instance: Model, relation: tuple[type[Model], str], objects: list[Model]) -> None:
    """Make `instance.<name>.all()` answer `objects` without a query, as `prefetch_related` would.

    This is what Django's prefetch leaves on each instance — a queryset of the
    relation with its result cache filled — written out so every row of the
    tree is one Python object (the stock prefetch builds an association once
    from each of its two sides, and a linked step once more through
    `select_related`). The relation's filter is deferred the way Django's
    related managers defer it: anything that builds a new query from this one
    (`.filter()`, `.update()`, …) still sees only `instance`'s children.
    """
    _model, name = relation
    child = _CHILD[relation]
    queryset = child._default_manager._queryset_class(model=child)
    queryset._deferred_filter = (False, (), {_PARENT_FIELD[relation]: instance})
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


_RELATIONS = (_STAGES, _OBJECTIVES, _STEPS, _TASKS, _STEP_ASSOCIATIONS, _OBJECTIVE_ASSOCIATIONS)
_CHILD = {relation: getattr(relation[0], relation[1]).rel.related_model for relation in _RELATIONS}
# The field on the child that points at the parent, e.g. Step.stage for Stage.steps.
_PARENT_FIELD = {relation: getattr(relation[0], relation[1]).rel.field.name for relation in _RELATIONS}
_STAGE_PARENT = Stage._meta.get_field("orchestration")
_OBJECTIVE_STAGE = StageObjective._meta.get_field("stage")
_STEP_STAGE = Step._meta.get_field("stage")
_TASK_STEP = StepTask._meta.get_field("step")
_ASSOCIATION_STEP = StepObjectiveAssociation._meta.get_field("step")
_ASSOCIATION_OBJECTIVE = StepObjectiveAssociation._meta.get_field("objective")
_LINKS = (Step._meta.get_field("success_step"), Step._meta.get_field("failure_step"))


def _grouped(rows: Iterable[Model], key: str) -> dict[int, list[Model]]:
    groups: dict[int, list[Model]] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def _assemble(stages: list[Stage], children: Q) -> None:
    """Load the children of `stages` (five queries, one object per row) and wire every relation the tree reads.

    `children` selects rows by their stage (one `stage…` lookup). Two kinds of
    row may reach outside the loaded stages in a draft stored before the
    services kept links inside a stage: a link to a step elsewhere and an
    association with an objective elsewhere. What they point at is loaded too
    (one more query each, only when there are some).
    """
    objectives = list(StageObjective.objects.filter(children).order_by("display_sequence"))
    steps = list(Step.objects.filter(children).order_by("display_sequence"))
    step_filter = Q(**{f"step__{key}": value for key, value in children.children})
    tasks = list(StepTask.objects.filter(step_filter).order_by("display_sequence"))
    associations = list(StepObjectiveAssociation.objects.filter(step_filter).order_by("objective__display_sequence"))
    objective_filter = Q(**{f"objective__{key}": value for key, value in children.children})
    served_from_outside = list(
        StepObjectiveAssociation.objects.filter(objective_filter)
        .exclude(step_filter)
        .select_related("step")
        .order_by("step__display_sequence")
    )
    _wire(stages, objectives, steps, tasks, associations, served_from_outside)


def _wire(stages, objectives, steps, tasks, associations, served_from_outside) -> None:
    """Fill every relation cache the tree reads from these rows (each list in display order)."""
    by_stage = {stage.pk: stage for stage in stages}
    objectives_by_stage, steps_by_stage = _grouped(objectives, "stage_id"), _grouped(steps, "stage_id")
    for stage in stages:
        _prefetched(stage, _OBJECTIVES, objectives_by_stage.get(stage.pk, []))
        _prefetched(stage, _STEPS, steps_by_stage.get(stage.pk, []))
    for objective in objectives:
        _OBJECTIVE_STAGE.set_cached_value(objective, by_stage[objective.stage_id])
    step_by_pk = {step.pk: step for step in steps}
    objective_by_pk = {objective.pk: objective for objective in objectives}
    missing_steps = {
        target
        for step in steps
        for link in _LINKS
        if (target := getattr(step, link.attname)) and target not in step_by_pk
    }
    linked = (
        step_by_pk | {step.pk: step for step in Step.objects.filter(pk__in=missing_steps)}
        if missing_steps
        else step_by_pk
    )
    tasks_by_step, associations_by_step = _grouped(tasks, "step_id"), _grouped(associations, "step_id")
    for step in steps:
        _STEP_STAGE.set_cached_value(step, by_stage[step.stage_id])
        for link in _LINKS:
            target = getattr(step, link.attname)
            link.set_cached_value(step, linked.get(target) if target else None)
        _prefetched(step, _TASKS, tasks_by_step.get(step.pk, []))
        _prefetched(step, _STEP_ASSOCIATIONS, associations_by_step.get(step.pk, []))
    for task in tasks:
        _TASK_STEP.set_cached_value(task, step_by_pk[task.step_id])
    foreign = {a.objective_id for a in associations if a.objective_id not in objective_by_pk}
    objective_of = objective_by_pk | (
        {o.pk: o for o in StageObjective.objects.filter(pk__in=foreign)} if foreign else {}
    )
    for association in associations:
        _ASSOCIATION_STEP.set_cached_value(association, step_by_pk[association.step_id])
        _ASSOCIATION_OBJECTIVE.set_cached_value(association, objective_of[association.objective_id])
    for association in served_from_outside:
        _ASSOCIATION_OBJECTIVE.set_cached_value(association, objective_by_pk[association.objective_id])
    # An objective is served by the steps of the loaded stages (in display order) and by any from outside.
    serving = sorted(
        (a for a in associations if a.objective_id in objective_by_pk),
        key=lambda a: (a.step.display_sequence, a.pk),
    )
    served_by = _grouped([*serving, *served_from_outside], "objective_id")
    for objective in objectives:
        _prefetched(objective, _OBJECTIVE_ASSOCIATIONS, served_by.get(objective.pk, []))


def orchestration_tree(number: str) -> Orchestration:
    """The orchestration with all stages, objectives, steps, tasks and associations.

    Seven queries whatever the size, one Python object per row (a step linked
    from another step, or an association seen from both its step and its
    objective, is the same object). Raises Orchestration.DoesNotExist.
    """
    orch = Orchestration.objects.select_related("updated_by").get(number=number)
    stages = list(Stage.objects.filter(orchestration=orch).order_by("display_sequence"))
    for stage in stages:
        _STAGE_PARENT.set_cached_value(stage, orch)
    _prefetched(orch, _STAGES, stages)
    _assemble(stages, Q(stage__orchestration=orch.pk))
    return orch


def orchestration_trees(pks: Iterable[int]) -> list[Orchestration]:
    """Several whole trees at once, as `orchestration_tree` loads one: seven queries whatever their number."""
    orchs = list(Orchestration.objects.select_related("updated_by").filter(pk__in=list(pks)))
    if not orchs:
        return []
    ids = [orch.pk for orch in orchs]
    stages = list(Stage.objects.filter(orchestration_id__in=ids).order_by("display_sequence"))
    grouped = _grouped(stages, "orchestration_id")
    for orch in orchs:
        mine = grouped.get(orch.pk, [])
        for stage in mine:
            _STAGE_PARENT.set_cached_value(stage, orch)
        _prefetched(orch, _STAGES, mine)
    _assemble(stages, Q(stage__orchestration__in=ids))
    return orchs


def orchestration_tree_by_pk(pk: int) -> Orchestration:
    """`orchestration_tree` by primary key. Raises Orchestration.DoesNotExist."""
    found = orchestration_trees([pk])
    if not found:
        raise Orchestration.DoesNotExist(f"No orchestration {pk}")
    return found[0]


def tree_of(orch: Orchestration, *, stages, objectives, steps, tasks, associations) -> Orchestration:
    """`orch` as `orchestration_tree` would load it, from rows already in memory (an import's, just written).

    The rows must be every row of the tree, as stored; they are put in
    display order here. No query.
    """
    by_sequence = lambda row: row.display_sequence  # noqa: E731
    stages = sorted(stages, key=by_sequence)
    objective_sequence = {objective.pk: objective.display_sequence for objective in objectives}
    for stage in stages:
        _STAGE_PARENT.set_cached_value(stage, orch)
    _prefetched(orch, _STAGES, stages)
    _wire(
        stages,
        sorted(objectives, key=by_sequence),
        sorted(steps, key=by_sequence),
        sorted(tasks, key=by_sequence),
        sorted(associations, key=lambda a: objective_sequence[a.objective_id]),
        [],
    )
    return orch


def stage_tree(stage_id: int) -> Stage:
    """One stage with its children, for fragment responses (six queries; as one stage of `orchestration_tree`).

    Raises Stage.DoesNotExist.
    """
    stage = Stage.objects.select_related("orchestration").get(pk=stage_id)
    _assemble([stage], Q(stage=stage.pk))
    return stage


def stages_tree(orch: Orchestration, stage_ids: Iterable[int]) -> list[Stage]:
    """Some stages of `orch` with their children, in display order (six queries however many).

    What an edit answers with: the stages it touched, each exactly as
    `orchestration_tree` would load it, without the rest of the tree.
    """
    stages = list(Stage.objects.filter(orchestration=orch, pk__in=list(stage_ids)).order_by("display_sequence"))
    for stage in stages:
        _STAGE_PARENT.set_cached_value(stage, orch)
    _assemble(stages, Q(stage__in=[stage.pk for stage in stages]))
    return stages


def stage_facts(orchestration_id: int) -> list[StageFacts]:
    """Every stage of the orchestration as the rules of one stage see the others, in display order (one query)."""
    rows = (
        Stage.objects.filter(orchestration_id=orchestration_id)
        .order_by("display_sequence")
        .values_list("pk", "number", "name", "lifecycle_attr_value")
    )
    return [StageFacts(*row) for row in rows]


def next_stage_steps_into(stage: Stage, *, value: str | None = None) -> list[Step]:
    """The Next stage steps of the orchestration that move to `stage`, in outline order (two queries at most).

    A Next stage step names its target by the sales stage value (`value`,
    by default the stage's own), so these are the steps whose target goes
    with the stage when that value changes or the stage is deleted. None when
    the value is blank or another stage mirrors it too: the steps then still
    have that stage to move to.
    """
    value = stage.lifecycle_attr_value if value is None else value
    if not value.strip():
        return []
    stages = Stage.objects.filter(orchestration_id=stage.orchestration_id, lifecycle_attr_value=value)
    if stages.exclude(pk=stage.pk).exists():
        return []
    steps = Step.objects.filter(
        stage__orchestration_id=stage.orchestration_id, step_type=StepType.NEXT_STAGE, next_stage_value=value
    )
    return list(steps.select_related("stage").order_by("stage__display_sequence", "display_sequence"))


def orchestration_list(*, search: str = "", status: str = "") -> QuerySet[Orchestration]:
    qs = Orchestration.objects.select_related("updated_by").order_by("-updated_at")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(number__icontains=search) | Q(description__icontains=search))
    if status:
        qs = qs.filter(status=status)
    return qs
