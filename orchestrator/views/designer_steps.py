"""Which objectives a step serves, and bulk edits of steps and step tasks."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from ..forms import StepBulkForm, StepObjectivesForm, StepTaskBulkForm
from ..forms_catalogue import attach_pickers
from ..models import Orchestration, Step, StepTask
from ..selectors_catalogue import designer_catalogue
from ..services import bulk, drafts
from .designer_forms import add_service_errors
from .designer_support import (
    KINDS,
    Part,
    describe,
    edit_required,
    ensure_editable,
    fragment_context,
    not_htmx,
    orchestration_of,
    respond,
)


def _names(objs) -> str:
    return ", ".join(f"“{o.name}”" for o in objs)


@require_POST
@edit_required
def step_objectives(request, number: str, item: str):
    """Tick or untick "serves objective" boxes: the step then serves exactly the ticked objectives."""
    step = KINDS["step"].get(number, item)
    ensure_editable(orchestration_of(step))
    since = orchestration_of(step).tree_revision
    form = StepObjectivesForm(request.POST, stage=step.stage)
    status = 200
    if form.is_valid():
        chosen = list(form.cleaned_data["objectives"])
        try:
            drafts.step_set_objectives(step=step, user=request.user, objective_ids=[o.pk for o in chosen])
        except (ValidationError, drafts.DraftConflict) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            status = 409
        else:
            served = f"serves {_names(chosen)}" if chosen else "serves no objective"
            messages.success(request, f"{capfirst(describe(step))} now {served}.")
    else:
        messages.error(request, "One of the ticked objectives no longer exists; the boxes now show the current state.")
        status = 422
    if not request.htmx:
        return not_htmx(request, number, f"step-{item}")
    ctx = fragment_context(request, number, stages=[step.stage_id], since=since, wrote=status == 200)
    fresh = ctx["index"].get(item)
    if fresh is None:
        return respond(request, ctx, [], status=409)
    parts = [Part("step-serves", {"step": fresh})]
    parts += [Part("objective-status", {"objective": o}, oob="true") for o in fresh.stage.objectives.all()]
    return respond(request, ctx, parts, status=status)


def _stages_of(ids_field: str, selected) -> list[int]:
    """The stages the selected steps or step tasks belong to (one query)."""
    if ids_field == "steps":
        rows = Step.objects.filter(pk__in=[o.pk for o in selected]).values_list("stage_id", flat=True)
    else:
        rows = StepTask.objects.filter(pk__in=[o.pk for o in selected]).values_list("step__stage_id", flat=True)
    return sorted(set(rows))


def _bulk(request, number: str, *, form_class, service, ids_field: str, partial: str, noun: str):
    orch = get_object_or_404(Orchestration, number=number)
    ensure_editable(orch)
    since = orch.tree_revision
    form = form_class(request.POST, orchestration=orch, auto_id="bulk-%s")
    if form_class is StepTaskBulkForm:  # shown again on a refusal: with its activity template picker
        attach_pickers(form, designer_catalogue(request))
    if not form.is_valid():
        ctx = fragment_context(request, number, changed=False)
        return respond(request, ctx, [Part(partial, {f"{noun}_bulk_form": form})], status=422, changed=False)
    selected = list(form.cleaned_data[ids_field])
    stages = _stages_of(ids_field, selected)
    try:
        result = service(**{f"{ids_field[:-1]}_ids": [o.pk for o in selected]}, user=request.user, values=form.values())
    except ValidationError as exc:
        add_service_errors(form, exc)
        ctx = fragment_context(request, number, changed=False)
        return respond(request, ctx, [Part(partial, {f"{noun}_bulk_form": form})], status=422, changed=False)
    except drafts.DraftConflict as exc:
        messages.error(request, str(exc))
        ctx = fragment_context(request, number, stages=stages, since=since, wrote=False)
        return respond(request, ctx, [Part(partial)], status=409)
    ctx = fragment_context(request, number, stages=stages, since=since)
    changed = ", ".join(form.fields[name].label.lower() for name in form.values())
    text = f"Changed {changed} on {len(result.updated)} of {len(selected)} selected."
    if result.skipped:
        text += f" Left {_names(result.skipped)} as they were: their type does not use that setting."
    messages.success(request, text)
    kind = "step" if ids_field == "steps" else "step_task"
    parts = [Part(partial)]
    parts += [Part(f"{kind}-view", {kind: ctx["index"][o.number]}, oob="true") for o in result.updated]
    return respond(request, ctx, parts)


@require_POST
@edit_required
def steps_bulk(request, number: str):
    """Set grace period and/or allow skip on the selected steps."""
    return _bulk(
        request,
        number,
        form_class=StepBulkForm,
        service=bulk.steps_bulk_update,
        ids_field="steps",
        partial="bulk-steps-form",
        noun="step",
    )


@require_POST
@edit_required
def step_tasks_bulk(request, number: str):
    """Set assigned to and/or the activity template on the selected step tasks."""
    return _bulk(
        request,
        number,
        form_class=StepTaskBulkForm,
        service=bulk.step_tasks_bulk_update,
        ids_field="step_tasks",
        partial="bulk-tasks-form",
        noun="task",
    )
