from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import selectors
from ..models import OrchestrationStatus


@require_safe
@permission_required("orchestrator.view_orchestration", raise_exception=True)
def orchestration_list(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    context = {
        "orchestrations": selectors.orchestration_list(search=search, status=status),
        "search": search,
        "status": status,
        "statuses": OrchestrationStatus.choices,
    }
    return render(request, "orchestrator/orchestration_list.html", context)
