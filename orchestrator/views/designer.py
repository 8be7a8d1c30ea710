"""The designer page, its header (edited in place) and the problems panel."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from ..forms import OrchestrationHeaderForm
from ..models import Orchestration
from ..services import drafts
from ..services.orchestrations import orchestration_update
from .designer_forms import (
    FormFrame,
    add_service_errors,
    conflict_author,
    conflict_message,
    conflict_rows,
    rebound_on,
    render_form,
)
from .designer_support import (
    TEMPLATE,
    Part,
    designer_context,
    edit_required,
    ensure_editable,
    fragment_context,
    not_htmx,
    respond,
    view_required,
)


@require_safe
@view_required
def designer(request, number: str):
    """The whole orchestration as an outline: header, stages, objectives, steps, step tasks, problems."""
    return render(request, TEMPLATE, designer_context(request, number, page=True))


def _header_form(orch: Orchestration, data=None) -> OrchestrationHeaderForm:
    return OrchestrationHeaderForm(data=data, instance=orch, auto_id=f"orchestration-{orch.number}-%s")


def _header_frame(orch: Orchestration) -> FormFrame:
    return FormFrame(
        form_id=f"orchestration-{orch.number}-main",
        action=reverse("orchestration_header_edit", args=[orch.number]),
        cancel_url=reverse("orchestration_header", args=[orch.number]),
        title="Edit the orchestration details",
        submit_label="Save",
        kind="orchestration",
    )


@require_safe
@view_required
def orchestration_header(request, number: str):
    """The header shown, not edited (Cancel, and "take theirs" after a conflict)."""
    if not request.htmx:
        return not_htmx(request, number)
    ctx = fragment_context(request, number, changed=False)
    return respond(request, ctx, [Part("header-view")], changed=False, focus=f"#orchestration-{number}-edit")


@require_http_methods(["GET", "POST"])
@edit_required
def orchestration_header_edit(request, number: str):
    """Edit name, description, object, lifecycle attribute and rank in place."""
    orch = get_object_or_404(Orchestration, number=number)
    ensure_editable(orch)
    frame = _header_frame(orch)
    if request.method == "GET":
        if not request.htmx:
            return not_htmx(request, number)
        return render_form(request, _header_form(orch), frame, autofocus=True)
    form = _header_form(orch, request.POST)
    if form.is_valid():
        since = orch.tree_revision
        try:
            orchestration_update(
                orchestration=orch,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                values=form.values,
            )
        except drafts.StaleEdit as exc:
            rows = conflict_rows(form, exc.current)
            author = conflict_author(request, exc.current)
            messages.warning(request, conflict_message(author, exc.current))
            form = _header_form(exc.current, rebound_on(request.POST, exc.current))
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
            messages.success(request, "Saved the orchestration details.")
            # The header's rules read no stage: only the orchestration's own problems are validated again.
            ctx = fragment_context(request, number, since=since)
            return respond(request, ctx, [Part("header-view")], focus=f"#orchestration-{number}-edit")
    return render_form(request, form, frame, status=422)
