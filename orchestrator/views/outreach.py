"""The Outreach screens: sync an orchestration's stages (plan first), a sync's result, the connection check,
and a new draft from Outreach's stages.

- Reading the sync page and a plan needs `view_publishrun` (Designer,
  Reviewer, Publisher), like the publish page; a plan reads Outreach (a dry
  run, journalled) and writes nothing.
- Syncing and checking a connection need `publish_orchestration` (Publisher).
- A new draft from Outreach needs `change_orchestration` (Designer).

A sync runs in the background (`tasks.outreach_sync_in_background`); its
page polls `#sync-progress` every second while it runs and shows the journal
once it has finished.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import selectors_outreach as selectors
from ..forms_outreach import OutreachImportForm, OutreachSyncForm
from ..models import Orchestration, PublishRunStatus, RemoteRun, RemoteRunKind
from ..selectors_publish import UnknownConnection, find_connection
from ..services.orchestrations import orchestration_suggest_number
from ..services.outreach_check import check_outreach_connection
from ..services.outreach_import import orchestration_from_outreach
from ..services.outreach_sync import ACTION_LABELS, outreach_sync, plan_counts, plan_summary
from ..services.remote_runs import active_remote_run, remote_run_is_stale
from ..tasks import outreach_sync_in_background
from .connections import connections_context
from .designer_forms import add_service_errors
from .designer_support import edit_required
from .publish_support import (
    INVALID,
    Exchange,
    connection_picker,
    error_page,
    go,
    messages_oob,
    publish_required,
    view_runs_required,
)

PAGE = "orchestrator/outreach.html"
RUN_PAGE = "orchestrator/outreach_run.html"
IMPORT_PAGE = "orchestrator/outreach_import.html"
CONNECTIONS_PAGE = "orchestrator/outreach_connections.html"

LINE_STATUS_TEXT = {
    "planned": "Planned",
    "done": "✓ Done",
    "failed": "✗ Refused",
    "skipped": "— Nothing sent",
}


def _orchestration_or_404(request, number: str):
    orch = Orchestration.objects.filter(number=number).first()
    if orch is None:
        return None, error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    return orch, None


ATTRIBUTE_LABELS = {"name": "name", "order": "order", "color": "colour", "isClosed": "closing"}


def _shown(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _in_attribute_order(values: dict) -> list[tuple[str, object]]:
    """A stored dict's items in the page's fixed order (name, order, colour, closing, then the rest by name).

    The lines live in a JSONField, and PostgreSQL's jsonb keeps keys in its own
    order (shortest first), not in the order they were written.
    """
    known = [(k, values[k]) for k in ATTRIBUTE_LABELS if k in values]
    return known + sorted((k, v) for k, v in values.items() if k not in ATTRIBUTE_LABELS)


def _change_text(line: dict) -> list[str]:
    """What a line changes in Outreach, in words: "order 3 → 1", "colour (none) → #aabbcc"."""
    if line.get("action") == "create":
        return [f"{ATTRIBUTE_LABELS.get(k, k)} {_shown(v)}" for k, v in _in_attribute_order(line.get("send") or {})]
    return [
        f"{ATTRIBUTE_LABELS.get(k, k)} {_shown(pair[0])} → {_shown(pair[1])}"
        for k, pair in _in_attribute_order(line.get("changes") or {})
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


def _lines(run: RemoteRun | None) -> list[dict]:
    """A run's lines as the templates show them (labels added; the stored dicts are left alone)."""
    if run is None:
        return []
    return [
        {
            **line,
            "label": ACTION_LABELS.get(line.get("action"), line.get("action")),
            "status_text": LINE_STATUS_TEXT.get(line.get("status"), line.get("status")),
            "change_text": _change_text(line),
        }
        for line in run.lines
        if isinstance(line, dict)
    ]


def sync_context(orch: Orchestration, connection_name: str, plan: RemoteRun | None = None) -> tuple[dict, int]:
    """The sync page's context for `connection_name` (or the first usable Outreach connection)."""
    picker, status = connection_picker(connection_name, system="outreach")
    chosen = picker["chosen"]
    lines = _lines(plan)
    return {
        "o": orch,
        **picker,
        "stages": selectors.sync_stages(orch, chosen.name) if chosen else [],
        "plan": plan,
        "plan_lines": lines,
        "plan_summary": plan_summary(plan_counts(lines)) if plan is not None and lines else "",
        "extras": [line for line in lines if line["action"] in ("extra", "delete")],
        "active": active_remote_run(RemoteRunKind.OUTREACH_SYNC, orch),
        "runs": selectors.outreach_runs(orch),
    }, status


@require_safe
@view_runs_required
def outreach_page(request, number: str):
    """The stages and what Orchestrator remembers of them on the chosen connection; the plan is read on demand."""
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    ctx, status = sync_context(orch, request.GET.get("connection", "").strip())
    if request.htmx and request.htmx.target == "outreach-sync":
        return render(request, f"{PAGE}#sync", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


@require_POST
@view_runs_required
def outreach_plan(request, number: str):
    """Read Outreach and plan (a dry run: journalled, nothing written); answer the plan fragment."""
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    name = request.POST.get("connection", "").strip()
    ctx, status = sync_context(orch, name)
    if not name or ctx["connection_error"]:
        ctx["connection_error"] = ctx["connection_error"] or "Choose an Outreach connection."
        status = INVALID
    else:
        plan = outreach_sync(orchestration=orch, connection_name=ctx["chosen"].name, user=request.user, dry_run=True)
        ctx, status = sync_context(orch, ctx["chosen"].name, plan)
    if request.htmx:
        return render(request, f"{PAGE}#sync", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


@require_POST
@publish_required
def outreach_sync_start(request, number: str):
    """Start a sync (deleting only the extra stages ticked on the plan) and go to its page."""
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    form = OutreachSyncForm(request.POST)
    problem = ""
    if not form.is_valid():
        problem = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            chosen = find_connection(form.cleaned_data["connection"], selectors.outreach_connections())
        except UnknownConnection as exc:
            problem = exc.message
    if problem:
        messages.error(request, f"Not synced: {problem}")
        ctx, _ = sync_context(orch, "")
        ctx["connection_error"] = problem
        if request.htmx:
            html = render_to_string(f"{PAGE}#sync", ctx, request) + messages_oob(request)
            return HttpResponse(html, status=INVALID)
        return render(request, PAGE, ctx, status=INVALID)
    already = active_remote_run(RemoteRunKind.OUTREACH_SYNC, orch)
    run = outreach_sync_in_background(
        orchestration=orch, connection_name=chosen.name, user=request.user, delete_ids=form.cleaned_data["delete"]
    )
    if already is not None and run.pk == already.pk:
        messages.info(request, f"A sync of {orch.name} to Outreach was already under way; here it is.")
    else:
        messages.success(request, f"Syncing the stages of {orch.name} to Outreach connection {chosen.name}.")
    return go(request, reverse("outreach_run", args=[run.pk]))


def run_context(run: RemoteRun, *, journal: bool) -> dict:
    """The run page's context; `journal` loads the HTTP exchanges too (one query)."""
    stale = remote_run_is_stale(run)
    lines = _lines(run)
    return {
        "run": run,
        "o": run.orchestration,
        "lines": lines,
        "stale": stale,
        "polling": run.is_active and not stale,
        "summary": run.message
        or ("Queued: waiting for a worker to start the sync." if run.status == PublishRunStatus.QUEUED else "Running."),
        "summary_key": f"{run.status}:{len(lines)}:{int(stale)}",
        "exchanges": [Exchange.of(e) for e in selectors.remote_run_journal(run)] if journal else None,
    }


@require_safe
@view_runs_required
def outreach_run(request, run_id: int):
    """A sync: what was planned and done per stage, the remote's answer beside each, then the journal."""
    polled = bool(request.htmx) and request.htmx.target == "sync-progress"
    try:
        run = selectors.remote_run_detail(run_id)
    except RemoteRun.DoesNotExist:
        run = None
    if run is None or run.kind != RemoteRunKind.OUTREACH_SYNC or run.orchestration is None:
        if polled:  # 286 tells htmx to stop polling; the fragment says why
            return HttpResponse(
                f'<section id="sync-progress"><p role="alert">Sync #{run_id} no longer exists.</p></section>',
                status=286,
            )
        return error_page(request, f"There is no Outreach sync #{run_id}.", status=404)
    if polled:
        ctx = run_context(run, journal=not (run.is_active and not remote_run_is_stale(run)))
        parts = [render_to_string(f"{RUN_PAGE}#progress", ctx, request)]
        if ctx["exchanges"] is not None:
            parts.append(render_to_string("orchestrator/publish_run.html#journal", {**ctx, "oob": True}, request))
        return HttpResponse("".join(parts))
    return render(request, RUN_PAGE, run_context(run, journal=True))


@require_safe
@publish_required
def outreach_check(request, name: str):
    """Read one page of an Outreach connection's stages (nothing written); htmx swaps the report in place."""
    overview = selectors.outreach_connections()
    try:
        info = find_connection(name, overview)
    except UnknownConnection as exc:
        ctx, status = {"outreach_check_error": exc.message, "checked_name": name[:40]}, INVALID
    else:
        ctx, status = {"outreach_check": check_outreach_connection(info.name), "checked_name": info.name}, 200
    if request.htmx:
        return render(request, f"{CONNECTIONS_PAGE}#check-report", ctx, status=status)
    # A plain request (a bookmarked link): the whole Connections page with the report open.
    return render(request, "orchestrator/connections.html", {**connections_context(), **ctx}, status=status)


@require_http_methods(["GET", "POST"])
@edit_required
def outreach_import(request):
    """GET: the form (in the list's dialog). POST: read Outreach's stages into a new draft and open it."""
    connections = selectors.outreach_connections()
    if request.method == "GET":
        form = OutreachImportForm(
            initial={"number": orchestration_suggest_number()}, connections=connections, auto_id="from-outreach-%s"
        )
        if request.htmx:
            return render(request, f"{IMPORT_PAGE}#import-form", {"import_form": form})
        return render(request, IMPORT_PAGE, {"import_form": form})
    form = OutreachImportForm(request.POST, connections=connections, auto_id="from-outreach-%s")
    run = None
    if form.is_valid():
        try:
            run = orchestration_from_outreach(
                connection_name=form.cleaned_data["connection"],
                number=form.cleaned_data["number"],
                name=form.cleaned_data["name"],
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if run.status == PublishRunStatus.DONE:
                messages.success(request, run.message)
                return go(request, reverse("designer", args=[run.orchestration.number]))
            form.add_error(None, run.message)
    ctx = {"import_form": form, "import_run": run}
    if request.htmx:
        return render(request, f"{IMPORT_PAGE}#import-form", ctx, status=INVALID)
    return render(request, IMPORT_PAGE, ctx, status=INVALID)
