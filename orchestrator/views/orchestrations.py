"""The orchestration list: search, status filter, create, clone, archive and restore."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import selectors
from ..forms import OrchestrationCreateForm
from ..models import Orchestration, OrchestrationStatus
from ..models.text import text_flaw
from ..services import orchestrations as services
from ..services.drafts import DraftConflict
from ..services.status import list_statuses
from .designer_forms import add_service_errors
from .designer_support import edit_required, view_required

TEMPLATE = "orchestrator/orchestration_list.html"
# The list hides archived orchestrations unless asked for them.
ALL = "all"
PAGE_SIZE = 50


def _go(request, url: str) -> HttpResponse:
    """Redirect, the htmx way when htmx asked (a full page load of the target)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_safe
@view_required
def orchestration_list(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in (*OrchestrationStatus.values, ALL):
        status = ""
    search_error = ""
    if flaw := text_flaw(search):  # PostgreSQL cannot even compare it: say so instead of a 500
        search_error = f"The search text contains {flaw}, which cannot be searched for; remove it."
        orchestrations = Orchestration.objects.none()
    else:
        orchestrations = selectors.orchestration_list(search=search, status="" if status == ALL else status)
    if not status:
        orchestrations = orchestrations.exclude(status=OrchestrationStatus.ARCHIVED)
    page = Paginator(orchestrations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    statuses = list_statuses(rows)  # review state, problems, last publishes: fixed queries per page
    for row in rows:
        row.draft_status = statuses.get(row.pk)
    context = {
        "orchestrations": rows,
        "page": page,
        "search": search,
        "search_error": search_error,
        "status": status,
        "statuses": OrchestrationStatus.choices,
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, f"{TEMPLATE}#results", context)
    return render(request, TEMPLATE, context)


@require_http_methods(["GET", "POST"])
@edit_required
def orchestration_create(request):
    """GET: the form with a suggested number (in the list's dialog). POST: create and open the designer."""
    if request.method == "GET":
        form = OrchestrationCreateForm(initial={"number": services.orchestration_suggest_number()}, auto_id="new-%s")
        if request.htmx:
            return render(request, f"{TEMPLATE}#create-form", {"form": form})
        return render(request, TEMPLATE, {"create_form": form, **_empty_list()})
    form = OrchestrationCreateForm(request.POST, auto_id="new-%s")
    if form.is_valid():
        try:
            orch = services.orchestration_create(
                user=request.user, number=form.cleaned_data["number"], values=form.values
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Created {orch.name} ({orch.number}). Add its first stage.")
            # The designer opens its "Add stage" form at this anchor, the focus in the first field.
            return _go(request, reverse("designer", args=[orch.number]) + f"#new-stage-{orch.number}")
    if request.htmx:
        return render(request, f"{TEMPLATE}#create-form", {"form": form}, status=422)
    return render(request, TEMPLATE, {"create_form": form, **_empty_list()}, status=422)


def _empty_list() -> dict:
    return {
        "orchestrations": selectors.orchestration_list().exclude(status=OrchestrationStatus.ARCHIVED),
        "statuses": OrchestrationStatus.choices,
    }


@require_POST
@edit_required
def orchestration_clone(request, number: str):
    """Copy the whole orchestration under new numbers and open the copy."""
    source = get_object_or_404(Orchestration, number=number)
    try:
        copy = services.orchestration_clone(orchestration=source, user=request.user)
    except DraftConflict as exc:
        messages.error(request, str(exc))
        return _go(request, reverse("designer", args=[source.number]))
    messages.success(request, f"Cloned {source.name} as {copy.name} ({copy.number}).")
    return _go(request, reverse("designer", args=[copy.number]))


def _status_change(request, number: str, service, done: str) -> HttpResponse:
    orch = get_object_or_404(Orchestration, number=number)
    try:
        orch = service(orchestration=orch, user=request.user)
    except DraftConflict as exc:  # deleted meanwhile
        messages.error(request, str(exc))
        return _go(request, reverse("orchestration_list"))
    messages.success(request, f"{done} {orch.name} ({orch.number}).")
    if request.POST.get("next") == "designer":
        return _go(request, reverse("designer", args=[orch.number]))
    if request.htmx:
        orch.draft_status = list_statuses([orch]).get(orch.pk)
        row = render_to_string(f"{TEMPLATE}#row", {"o": orch}, request)
        return HttpResponse(row + render_to_string("base.html#messages", {"oob": True}, request))
    return redirect("orchestration_list")


@require_POST
@edit_required
def orchestration_archive(request, number: str):
    """Archive: read-only from now on, hidden from the default list."""
    return _status_change(request, number, services.orchestration_archive, "Archived")


@require_POST
@edit_required
def orchestration_restore(request, number: str):
    """Bring an archived orchestration back as an editable draft."""
    return _status_change(request, number, services.orchestration_restore, "Restored")
