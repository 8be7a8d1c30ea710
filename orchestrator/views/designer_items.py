"""Add, edit, delete and reorder stages, objectives, steps and step tasks: one set of thin views for all four.

The URL names the kind (`stage_edit`, `step_task_delete`, …); `KINDS` says
which model, form and services it uses. Each change calls one service and
answers with the fragment that changed, the fragments that show something
derived from it (a step's "serves objective" boxes after an objective is
renamed, for instance), and the problems panel, badges and messages out of band.
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..forms import ReorderForm
from ..models import Orchestration, Stage, StepTask
from ..services import drafts
from .designer_forms import (
    FormFrame,
    add_service_errors,
    conflict_author,
    conflict_message,
    conflict_rows,
    rebound_on,
    render_form,
    type_switch_initial,
)
from .designer_support import (
    KINDS,
    TEMPLATE,
    Kind,
    Part,
    describe,
    designer_context,
    edit_required,
    ensure_editable,
    fragment_context,
    not_htmx,
    orchestration_of,
    removal,
    respond,
    view_required,
)

UNDO_KEY = "designer_undo"  # session key of the last deletion's snapshot


def _parent(kind: Kind, number: str, parent: str | None) -> Model:
    if kind.parent == "orchestration":
        return get_object_or_404(Orchestration, number=number)
    return KINDS[kind.parent].get(number, parent)


def _children(kind: Kind, parent: Model) -> list[Model]:
    relation = {"stage": "stages", "objective": "objectives", "step": "steps", "step_task": "tasks"}[kind.name]
    return list(getattr(parent, relation).all())


def _form(kind: Kind, number: str, *, instance=None, parent=None, data=None, initial=None):
    if instance is not None:
        kwargs = {"instance": instance, "auto_id": f"{kind.name}-{instance.number}-%s"}
    else:
        kwargs = {"auto_id": f"new-{kind.name}-{parent.number}-%s"}
    if kind.name == "step":
        kwargs["stage"] = instance.stage if instance is not None else parent
        kwargs["type_switch_url"] = (
            reverse("step_edit", args=[number, instance.number])
            if instance is not None
            else reverse("step_new", args=[number, parent.number])
        )
    return kind.form(data=data, initial=initial, **kwargs)


def _new_url(kind: Kind, number: str, parent: Model) -> str:
    args = [number] if kind.parent == "orchestration" else [number, parent.number]
    return reverse(f"{kind.name}_new", args=args)


def _new_frame(kind: Kind, number: str, parent: Model) -> FormFrame:
    url = _new_url(kind, number, parent)
    return FormFrame(
        form_id=f"new-{kind.name}-{parent.number}",
        action=url,
        cancel_url=f"{url}?closed=1",
        title=f"New {kind.label} in {describe(parent)}",
        submit_label=f"Add {kind.label}",
        kind=kind.name,
    )


def _edit_frame(kind: Kind, number: str, obj: Model) -> FormFrame:
    return FormFrame(
        form_id=f"{kind.name}-{obj.number}-main",
        action=reverse(f"{kind.name}_edit", args=[number, obj.number]),
        cancel_url=reverse(f"{kind.name}_row", args=[number, obj.number]),
        title=f"Edit {describe(obj)}",
        submit_label="Save",
        kind=kind.name,
    )


def _slot(kind: Kind, number: str, parent: Model) -> Part:
    return Part(
        "add-slot",
        {
            "slot_kind": kind.name,
            "slot_parent": parent.number,
            "slot_url": _new_url(kind, number, parent),
            "slot_label": f"Add {kind.label}",
            "slot_target": describe(parent),
        },
    )


def _dependents(kind: Kind, obj: Model, *, type_changed: bool = False) -> list[Part]:
    """Fragments elsewhere in the stage that show something of `obj` (small, so open forms survive)."""
    if kind.name == "objective":
        return [Part("step-serves", {"step": s}, oob="true") for s in obj.stage.steps.all()]
    if kind.name == "step":
        stage = obj.stage
        parts = [Part("step-links", {"step": s}, oob="true") for s in stage.steps.all() if s.pk != obj.pk]
        parts += [Part("objective-status", {"objective": o}, oob="true") for o in stage.objectives.all()]
        if type_changed:
            parts.append(Part("step-tasks", {"step": obj}, oob="true"))
        return parts
    return []


def _stage_id(obj: Model) -> int | None:
    """The stage an object (or a parent) belongs to; None for the orchestration itself."""
    if isinstance(obj, Orchestration):
        return None
    if isinstance(obj, Stage):
        return obj.pk
    return obj.step.stage_id if isinstance(obj, StepTask) else obj.stage_id


def _after_change(request, number: str, obj: Model, since: int, *, wrote: bool = True) -> dict:
    """The context once a change touched `obj`'s stage: that stage alone, or the whole tree for stage-level changes.

    Adding, deleting, reordering or restoring a stage changes what every
    stage's rules read (positions, values), so those load the whole tree.
    """
    stage_id = _stage_id(obj)
    if stage_id is None:
        return designer_context(request, number)
    return fragment_context(request, number, stages=[stage_id], since=since, wrote=wrote)


def _in_tree(ctx: dict, kind: Kind, number: str) -> Model:
    obj = ctx["index"].get(number)
    if not isinstance(obj, kind.model):
        raise Http404(f"No {kind.label} with this number.")
    return obj


@require_http_methods(["GET", "POST"])
@edit_required
def item_new(request, number: str, kind: str, parent: str | None = None):
    kind = KINDS[kind]
    parent_obj = _parent(kind, number, parent)
    ensure_editable(orchestration_of(parent_obj))
    if request.method == "GET":
        if not request.htmx:
            return not_htmx(request, number)
        if "closed" in request.GET:  # Cancel: the button again, with the focus on it
            part = _slot(kind, number, parent_obj)
            response = render(request, f"{TEMPLATE}#add-slot", {**part.context, "editable": True})
            focus = {"designer:focus": {"target": f"#new-{kind.name}-{parent_obj.number} button"}}
            response["HX-Trigger-After-Settle"] = json.dumps(focus)
            return response
        form = _form(kind, number, parent=parent_obj, initial=type_switch_initial(request.GET))
        return render_form(
            request, form, _new_frame(kind, number, parent_obj), autofocus="step_type" not in request.GET
        )
    form = _form(kind, number, parent=parent_obj, data=request.POST)
    if form.is_valid():
        since = orchestration_of(parent_obj).tree_revision
        try:
            created = kind.create(**{kind.parent: parent_obj}, user=request.user, values=form.values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except drafts.DraftConflict as exc:
            form.add_error(None, str(exc))
            return render_form(request, form, _new_frame(kind, number, parent_obj), status=409)
        else:
            messages.success(request, f"Added {describe(created)}.")
            ctx = _after_change(request, number, parent_obj, since)
            obj = ctx["index"][created.number]
            parent_in_tree = ctx["index"][parent_obj.number]
            parts = [
                _slot(kind, number, parent_in_tree),
                Part(kind.name, {kind.name: obj}, oob=f"beforeend:#{kind.list_id(parent_obj.number)}"),
                *_dependents(kind, obj),
            ]
            return respond(request, ctx, parts, focus=f"#{kind.name}-{obj.number}-edit")
    return render_form(request, form, _new_frame(kind, number, parent_obj), status=422)


@require_safe
@view_required
def item_row(request, number: str, kind: str, item: str):
    """The object shown, not edited (Cancel, and "take theirs" after a conflict)."""
    kind = KINDS[kind]
    if not request.htmx:
        return not_htmx(request, number, f"{kind.name}-{item}")
    ctx = fragment_context(request, number, stages=[_stage_id(kind.get(number, item))], changed=False)
    obj = _in_tree(ctx, kind, item)
    return respond(
        request, ctx, [Part(f"{kind.name}-view", {kind.name: obj})], changed=False, focus=f"#{kind.name}-{item}-edit"
    )


@require_http_methods(["GET", "POST"])
@edit_required
def item_edit(request, number: str, kind: str, item: str):
    kind = KINDS[kind]
    obj = kind.get(number, item)
    ensure_editable(orchestration_of(obj))
    frame = _edit_frame(kind, number, obj)
    if request.method == "GET":
        if not request.htmx:
            return not_htmx(request, number, f"{kind.name}-{item}")
        form = _form(kind, number, instance=obj, initial=type_switch_initial(request.GET))
        return render_form(request, form, frame, autofocus="step_type" not in request.GET)
    old_type = getattr(obj, "step_type", None)
    since = orchestration_of(obj).tree_revision
    form = _form(kind, number, instance=obj, data=request.POST)
    if form.is_valid():
        try:
            updated = kind.update(
                **{kind.name: obj},
                user=request.user,
                expected_version=form.cleaned_data["version"],
                values=form.values,
            )
        except drafts.StaleEdit as exc:
            rows = conflict_rows(form, exc.current)
            author = conflict_author(request, exc.current)
            messages.warning(request, conflict_message(author, exc.current))
            form = _form(kind, number, instance=exc.current, data=rebound_on(request.POST, exc.current))
            form.is_valid()
            return render_form(
                request,
                form,
                frame,
                status=409,
                conflict=rows,
                extra={"conflict_author": author},
            )
        except drafts.DraftConflict as exc:
            form.add_error(None, str(exc))
            return render_form(request, form, frame, status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {describe(updated)}.")
            # A stage edit that renames it or changes its value falls back to the whole tree by itself.
            ctx = fragment_context(request, number, stages=[_stage_id(obj)], since=since)
            fresh = ctx["index"][updated.number]
            type_changed = old_type is not None and old_type != getattr(fresh, "step_type", None)
            parts = [
                Part(f"{kind.name}-view", {kind.name: fresh}),
                *_dependents(kind, fresh, type_changed=type_changed),
            ]
            return respond(request, ctx, parts, focus=f"#{kind.name}-{item}-edit")
    return render_form(request, form, frame, status=422)


@require_http_methods(["GET", "POST"])
@edit_required
def item_delete(request, number: str, kind: str, item: str):
    """GET: the confirmation listing what goes with the object. POST: delete it."""
    kind = KINDS[kind]
    obj = kind.get(number, item)
    ensure_editable(orchestration_of(obj))
    if request.method == "GET":
        if not request.htmx:
            return not_htmx(request, number, f"{kind.name}-{item}")
        context = {
            "obj": obj,
            "label": describe(obj),
            "summary": drafts.deletion_summary(obj),
            "delete_url": reverse(f"{kind.name}_delete", args=[number, item]),
        }
        return render(request, f"{TEMPLATE}#delete-confirm", context)
    position = obj.display_sequence
    parent_number = _parent_number(kind, obj)
    since = orchestration_of(obj).tree_revision
    try:
        summary = kind.delete(**{kind.name: obj}, user=request.user)
    except drafts.DraftConflict as exc:
        messages.error(request, str(exc))
        ctx = designer_context(request, number)
        return respond(request, ctx, [removal(f"{kind.name}-{item}")], status=409, close_modal=True)
    removed = f" with {'; '.join(summary.consequences)}" if summary.consequences else ""
    request.session[UNDO_KEY] = summary.snapshot  # the last deletion can be undone (journey 3)
    messages.success(request, f"Deleted {describe(obj)}{removed}.", extra_tags="undo")
    ctx = _after_change(request, number, getattr(obj, kind.parent), since)
    parent = ctx["index"][parent_number]
    siblings = _children(kind, parent)
    if siblings:
        focus = f"#{kind.name}-{siblings[min(position, len(siblings)) - 1].number}-edit"
    else:
        focus = f"#new-{kind.name}-{parent_number} button"
    parts = [removal(f"{kind.name}-{item}")]
    if kind.name == "objective":
        parts += [Part("step-serves", {"step": s}, oob="true") for s in parent.steps.all()]
    elif kind.name == "step":
        parts += [Part("step-links", {"step": s}, oob="true") for s in parent.steps.all()]
        parts += [Part("objective-status", {"objective": o}, oob="true") for o in parent.objectives.all()]
    return respond(request, ctx, parts, close_modal=True, focus=focus)


@require_POST
@edit_required
def designer_undo(request, number: str):
    """Undo the last deletion made in this session: the object comes back where it was, with all it took."""
    orch = get_object_or_404(Orchestration, number=number)
    ensure_editable(orch)
    since = orch.tree_revision
    snapshot = request.session.pop(UNDO_KEY, None)
    restored = None
    if not snapshot or snapshot.get("orchestration_id") != orch.pk:
        messages.error(request, "There is nothing to undo here.")
    else:
        try:
            restored = drafts.draft_restore(snapshot=snapshot, user=request.user)
        except drafts.DraftConflict as exc:
            messages.error(request, str(exc))
    if not request.htmx:
        return not_htmx(request, number)
    if restored is None:
        return respond(request, designer_context(request, number), [], status=409)
    kind = KINDS[snapshot["kind"]]
    ctx = _after_change(request, number, orch if kind.name == "stage" else restored, since)
    obj = ctx["index"][restored.number]
    messages.success(request, f"Restored {describe(obj)}.")
    parent = getattr(obj, kind.parent) if kind.name != "stage" else ctx["o"]
    siblings = _children(kind, parent)
    after = siblings[siblings.index(obj) + 1] if siblings[-1] is not obj else None
    where = f"beforebegin:#{kind.name}-{after.number}" if after else f"beforeend:#{kind.list_id(parent.number)}"
    parts = [Part(kind.name, {kind.name: obj}, oob=where), *_dependents(kind, obj)]
    if kind.name == "step_task":  # their labels name their position
        parts += [Part("step_task-view", {"step_task": t}, oob="true") for t in siblings if t is not obj]
    return respond(request, ctx, parts, focus=f"#{kind.name}-{obj.number}-edit")


def _parent_number(kind: Kind, obj: Model) -> str:
    return getattr(obj, kind.parent).number


@require_POST
@edit_required
def item_reorder(request, number: str, kind: str, parent: str | None = None):
    """Save a list's new order (posted by a drag, the move buttons or Alt+arrow keys).

    A malformed order answers 422, an order that no longer matches the list
    (someone added or removed an item) 409; both re-render the list as it is.
    """
    kind = KINDS[kind]
    parent_obj = _parent(kind, number, parent)
    ensure_editable(orchestration_of(parent_obj))
    form = ReorderForm(request.POST)
    ordered, status = None, 422
    since = orchestration_of(parent_obj).tree_revision
    if not form.is_valid():
        messages.error(request, f"The new order could not be saved: {' '.join(form.errors['order'])}")
    else:
        try:
            ordered = kind.reorder(
                **{kind.parent: parent_obj}, user=request.user, ordered_numbers=form.cleaned_data["order"]
            )
        except drafts.DraftConflict as exc:
            messages.error(request, f"{exc} The list now shows the current order.")
            status = 409
    ctx = _after_change(request, number, parent_obj, since, wrote=ordered is not None)
    parent_in_tree = ctx["index"][parent_obj.number]
    if ordered is None:
        part = Part(f"{kind.name}-list", {kind.parent: parent_in_tree})
        retarget = f"#{kind.list_id(parent_obj.number)}"
        return respond(request, ctx, [part], status=status, retarget=retarget, reswap="outerHTML")
    moved = request.POST.get("moved", "")
    numbers = [o.number for o in ordered]
    if moved in numbers:
        where = f"position {numbers.index(moved) + 1} of {len(numbers)}"
        messages.success(request, f"Moved {describe(ctx['index'][moved])} to {where}.")
    else:
        messages.success(request, f"Saved the new order of {kind.label}s.")
    parts = []
    if kind.name == "objective":
        parts = [Part("step-serves", {"step": s}, oob="true") for s in parent_in_tree.steps.all()]
    elif kind.name == "step_task":  # their labels name their position ("step task 2 of “Call”")
        parts = [Part("step_task-view", {"step_task": t}, oob="true") for t in parent_in_tree.tasks.all()]
    return respond(request, ctx, parts)
