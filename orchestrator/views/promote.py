"""Promotion (issue 10, item 8): compare what is live on two connections, then publish the approved
content to the second.

Reached from the review and publish pages. The page reads both connections
(only reads), says in the interface's words what differs from the second to
the first and whether the first holds the approved content, shows the plan
for the second (what will be created, updated and deleted there), and offers
Publish only for approved content: the same start as the publish page, so
the approval gate and the pinned content hash apply.
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import selectors_publish as selectors
from ..models import Orchestration, PublishAction
from ..selectors import orchestration_tree
from ..services.changes import change_summary
from ..services.documents import orchestration_document
from ..services.publish_gate import publish_gate
from ..services.publishing import active_run, publish_plan
from ..services.review import live_document, review_state
from .publish_support import INVALID, error_page, view_runs_required

PAGE = "orchestrator/promote.html"


@require_safe
@view_runs_required
def promote(request, number: str):
    """`?source=test&target=prod`: live on both, their differences, the plan for the target, Publish."""
    orch = Orchestration.objects.filter(number=number).first()
    if orch is None:
        return error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    overview = selectors.connection_overview()
    ctx = {"o": orch, "connections": overview, "source_name": "", "target_name": ""}
    source_name = request.GET.get("source", "").strip()
    target_name = request.GET.get("target", "").strip()
    ctx.update(source_name=source_name, target_name=target_name)
    errors = {}
    chosen = {}
    for field, name in (("source", source_name), ("target", target_name)):
        try:
            chosen[field] = selectors.find_connection(name, overview)
        except selectors.UnknownConnection as exc:
            errors[field] = exc.message
    if not errors and chosen["source"].name == chosen["target"].name:
        errors["target"] = "Choose two different connections: promotion copies from the first to the second."
    if errors:
        ctx["errors"] = errors
        return render(request, PAGE, ctx, status=INVALID if (source_name or target_name) else 200)
    source, target = chosen["source"], chosen["target"]
    tree = orchestration_tree(orch.number)
    draft = orchestration_document(tree)
    source_live = live_document(orchestration=tree, connection_name=source.name)
    target_live = live_document(orchestration=tree, connection_name=target.name)
    state = review_state(tree)
    gate = publish_gate(tree, target.name, state=state)
    plan = publish_plan(tree, target.name)
    ctx.update(
        source=source,
        target=target,
        source_live=source_live,
        target_live=target_live,
        state=state,
        gate=gate,
        # From what the second holds to what the first holds: what promoting the first's content changes there.
        between=change_summary(target_live.document, source_live.document)
        if source_live.document is not None
        else None,
        # Whether the first holds exactly the content the reviewers approved (the draft, when it is approved).
        source_vs_draft=change_summary(source_live.document, draft) if source_live.document is not None else None,
        target_vs_draft=change_summary(target_live.document, draft),
        plan=plan,
        plan_rows=[(line, PublishAction(line.action).label) for line in plan.stages],
        active=active_run(orch),
    )
    return render(request, PAGE, ctx)
