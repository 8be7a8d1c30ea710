"""The Diagram view: each stage's steps as a flow (issue 11, item 1).

The page shows every stage (or one, `?stage=NUMBER`); a node opens the
step's edit form of the designer in a panel beside the diagram, and after a
save the stage's diagram is fetched again (`diagram_stage`), so it follows
each edit without a reload.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import Orchestration, OrchestrationStatus, Stage
from ..services.diagram import orchestration_flows, stage_flow
from .designer_support import view_required

TEMPLATE = "orchestrator/diagram.html"


def _can_edit(request, orch: Orchestration) -> bool:
    return request.user.has_perm("orchestrator.change_orchestration") and orch.status != OrchestrationStatus.ARCHIVED


@require_safe
@view_required
def diagram(request, number: str):
    try:
        orch = selectors.orchestration_tree(number)
    except Orchestration.DoesNotExist as exc:
        raise Http404("No such orchestration.") from exc
    stages = list(orch.stages.all())
    flows = orchestration_flows(stages)
    only = request.GET.get("stage", "")
    shown = [flow for flow in flows if flow.stage.number == only] if only else flows
    if only and not shown:
        raise Http404("No such stage in this orchestration.")
    context = {"o": orch, "flows": shown, "stages": stages, "only": only, "editable": _can_edit(request, orch)}
    return render(request, TEMPLATE, context)


@require_safe
@view_required
def diagram_stage(request, number: str, item: str):
    """One stage's diagram, as the page shows it (fetched again after each edit)."""
    orch = get_object_or_404(Orchestration, number=number)
    stage_pk = get_object_or_404(Stage.objects.values_list("pk", flat=True), orchestration=orch, number=item)
    (stage,) = selectors.stages_tree(orch, [stage_pk])
    by_value: dict[str, Stage] = {}
    for fact in selectors.stage_facts(orch.pk):
        by_value.setdefault(fact.lifecycle_attr_value, Stage(pk=fact.pk, number=fact.number, name=fact.name))
    flow = stage_flow(stage, by_value)
    context = {"o": orch, "flow": flow, "editable": _can_edit(request, orch)}
    return render(request, f"{TEMPLATE}#stage-diagram", context)
