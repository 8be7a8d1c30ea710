"""The built-in sandbox page: what the emulated CX Sales and the emulated Outreach hold, and emptying them."""

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from .. import selectors_publish as selectors
from ..selectors_catalogue import catalogue_for
from ..selectors_outreach import outreach_connections, sandbox_outreach_stages
from ..selectors_rehearsal import sandbox_records
from ..services.sandbox import sandbox_reset as sandbox_reset_service
from .publish_support import INVALID, go, publish_required, view_required

PAGE = "orchestrator/sandbox.html"
CONFIRM = "yes"


def _context() -> dict:
    sandbox_names = [info.name for info in selectors.connection_overview() if info.is_sandbox]
    # Ids named as the designer names them: by the catalogue of the (first) connection publishing here.
    orchestrations = selectors.sandbox_contents(catalogue_for(sandbox_names[0] if sandbox_names else "default"))
    return {
        "orchestrations": orchestrations,
        "stage_total": sum(len(o.stages) for o in orchestrations),
        "sandbox_connections": sandbox_names,
        "outreach_stages": sandbox_outreach_stages(),
        "outreach_sandbox_connections": [info.name for info in outreach_connections() if info.is_sandbox],
        "records": sandbox_records(),
    }


@require_safe
@view_required
def sandbox(request):
    """Orchestrations, stages, objectives, steps and tasks as the sandbox stored them, with the ids it gave."""
    return render(request, PAGE, _context())


@require_POST
@publish_required
def sandbox_reset(request):
    """Empty the sandbox; the form must carry the ticked confirmation, so a stray request changes nothing."""
    if request.POST.get("confirm", "").strip().lower() != CONFIRM:
        ctx = _context()
        ctx["reset_error"] = "Nothing was removed: tick the box to confirm that everything in the sandbox goes."
        ctx["reset_open"] = True
        return render(request, PAGE, ctx, status=INVALID)
    removed = sandbox_reset_service(user=request.user)
    messages.success(
        request,
        f"Emptied the sandbox: removed {removed['orchestrations']} orchestration(s) and {removed['stages']} "
        f"stage(s). Outreach: removed {removed['outreach_stages']} opportunity stage(s). "
        f"Rehearsal records (interactions, phone calls, B2C tasks): removed {removed.get('records', 0)}. "
        "The next publish or sync to it creates them again.",
    )
    return go(request, reverse("sandbox"))
