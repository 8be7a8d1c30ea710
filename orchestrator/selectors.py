"""Reads. The whole orchestration tree loads in a fixed number of queries.

Every page and fragment of the designer, the validation module, the payload
builder and the exporter read the tree through `orchestration_tree`, so none
of them issues per-stage or per-step queries.
"""

from django.db.models import Prefetch, Q, QuerySet

from .models import Orchestration, Stage, StageObjective, Step, StepObjectiveAssociation, StepTask


def _tree_prefetches() -> list[Prefetch]:
    return [
        Prefetch("stages", queryset=Stage.objects.order_by("display_sequence")),
        Prefetch("stages__objectives", queryset=StageObjective.objects.order_by("display_sequence")),
        Prefetch(
            "stages__steps",
            queryset=Step.objects.select_related("success_step", "failure_step").order_by("display_sequence"),
        ),
        Prefetch("stages__steps__tasks", queryset=StepTask.objects.order_by("display_sequence")),
        Prefetch(
            "stages__steps__associations",
            queryset=StepObjectiveAssociation.objects.select_related("objective").order_by(
                "objective__display_sequence"
            ),
        ),
        Prefetch(
            "stages__objectives__associations",
            queryset=StepObjectiveAssociation.objects.select_related("step").order_by("step__display_sequence"),
        ),
    ]


def orchestration_tree_queryset() -> QuerySet[Orchestration]:
    return Orchestration.objects.select_related("updated_by").prefetch_related(*_tree_prefetches())


def orchestration_tree(number: str) -> Orchestration:
    """The orchestration with all stages, objectives, steps, tasks and associations.

    Seven queries whatever the size. Raises Orchestration.DoesNotExist.
    """
    return orchestration_tree_queryset().get(number=number)


def stage_tree(stage_id: int) -> Stage:
    """One stage with its children, for fragment responses (fixed query count)."""
    return (
        Stage.objects.select_related("orchestration")
        .prefetch_related(
            *[
                Prefetch(p.prefetch_through.removeprefix("stages__"), queryset=p.queryset)
                for p in _tree_prefetches()[1:]
            ]
        )
        .get(pk=stage_id)
    )


def orchestration_list(*, search: str = "", status: str = "") -> QuerySet[Orchestration]:
    qs = Orchestration.objects.select_related("updated_by").order_by("-updated_at")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(number__icontains=search) | Q(description__icontains=search))
    if status:
        qs = qs.filter(status=status)
    return qs
