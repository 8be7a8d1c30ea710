"""The publish screens: the plan per connection, starting a publish, a run's live progress and journal.

A publish runs in the background (`tasks.publish_in_background`); the run page
polls its `#progress` fragment every second while the run is queued or
running and renders it without the trigger once the run has finished (or
its worker died), so polling stops by itself. The journal is sent once, out
of band, with the last poll.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from .. import selectors_publish as selectors
from ..models import (
    Orchestration,
    OrchestrationStatus,
    PublishAction,
    PublishRun,
    PublishRunStatus,
    PublishStageStatus,
)
from ..roles import can_edit
from ..selectors import orchestration_tree
from ..services.publish_gate import PublishGateRefused, publish_gate
from ..services.publishing import PublishNotResumable, active_run, can_resume, is_stale, publish_cancel, publish_plan
from ..services.publishing import resumable_run as latest_resumable_run
from ..services.review import review_comments, review_state
from ..tasks import publish_in_background, resume_in_background
from .connections import PullForm
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

PAGE = "orchestrator/publish.html"
RUN_PAGE = "orchestrator/publish_run.html"
RUNS_PAGE = "orchestrator/publish_runs.html"
SHOW_DRY_RUNS = "dry-runs"  # ?show= value of the runs page that lists the dry runs instead of the publishes
DRY_RUNS_SHOWN = 5  # the publish page lists this many recent dry runs, apart from the publishes
RUNS_PAGE_SIZE = 50
# A queued run nobody picked up after this long: say that a worker may be missing.
WORKER_HINT_AFTER = timedelta(seconds=10)

STAGE_STATUS_TEXT = {
    PublishStageStatus.PLANNED: "Planned",
    PublishStageStatus.SENT: "Sending…",
    PublishStageStatus.DONE: "✓ Done",
    PublishStageStatus.FAILED: "✗ Failed",
    PublishStageStatus.SKIPPED: "— Unchanged, not sent",
}


def _orchestration_or_404(request, number: str):
    orch = Orchestration.objects.filter(number=number).first()
    if orch is None:
        return None, error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    return orch, None


def _run_or_404(request, run_id: int):
    try:
        return selectors.publish_run_progress(run_id), None
    except PublishRun.DoesNotExist:
        return None, error_page(request, f"There is no publish run #{run_id}.", status=404)


# -- the publish page ---------------------------------------------------------------------------------------------


def publish_context(request, orch: Orchestration, connection_name: str) -> tuple[dict, int]:
    """The publish page's context for `connection_name` (or the first usable one), and its HTTP status."""
    picker, status = connection_picker(connection_name)
    chosen = picker["chosen"]
    plan = publish_plan(orch, chosen.name) if chosen else None
    active = active_run(orch)
    tree = orchestration_tree(orch.number)
    state = review_state(tree)
    return {
        "o": orch,
        "state": state,
        # The approval gate (issue 10): refused before any request, or a confirmation that names what is unapproved.
        "gate": publish_gate(tree, chosen.name, state=state) if chosen else None,
        "open_requests": [c for c in review_comments(tree) if c.requests_changes and c.resolved_at is None],
        **picker,
        "plan": plan,
        "plan_rows": [(line, PublishAction(line.action).label, *line.request(orch.number)) for line in plan.stages]
        if plan
        else [],
        "active": active,
        "resumable": latest_resumable_run(orch, chosen.name) if chosen and not active else None,
        "runs": selectors.orchestration_runs(orch),
        "dry_runs": selectors.orchestration_runs(orch, limit=DRY_RUNS_SHOWN, dry_runs=True),
        # Pulling replaces this draft: offered to who may edit it, and never over an archived one.
        "pull_form": PullForm(
            overview=picker["connections"],
            initial={"number": orch.number, "connection": chosen.name, "origin": "publish"},
            auto_id="pull-%s",
        )
        if chosen and can_edit(request.user) and orch.status != OrchestrationStatus.ARCHIVED
        else None,
    }, status


@require_safe
@view_runs_required
def publish_page(request, number: str):
    """The connection picker, the plan for the chosen connection and the latest runs."""
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    ctx, status = publish_context(request, orch, request.GET.get("connection", "").strip())
    if request.htmx and request.htmx.target == "plan":
        return render(request, f"{PAGE}#plan", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


def _gate_refusal(request, orch: Orchestration, connection_name: str, exc: PublishGateRefused) -> HttpResponse:
    """The plan again with why the publish did not start: 409 (not approved) or 422 (not confirmed)."""
    messages.error(request, exc.message)
    ctx, _ = publish_context(request, orch, connection_name)
    ctx["gate_error"] = exc.message
    ctx["gate_error_field"] = exc.field
    if request.htmx:
        html = render_to_string(f"{PAGE}#plan", ctx, request) + messages_oob(request)
        return HttpResponse(html, status=exc.status)
    return render(request, PAGE, ctx, status=exc.status)


@require_POST
@publish_required
def publish_start(request, number: str):
    """Queue a publish and go to its run page; a second click lands on the run already going.

    The approval gate comes first: a gated connection refuses content whose
    exact hash has no approval (409), an ungated one needs the publisher to
    confirm what is not approved (422 until the box is ticked). Nothing is
    queued then.
    """
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    name = request.POST.get("connection", "").strip()
    try:
        chosen = selectors.find_connection(name or "default")
    except selectors.UnknownConnection as exc:
        messages.error(request, f"Not published: {exc.message}")
        ctx, _ = publish_context(request, orch, "")
        ctx["connection_error"] = exc.message
        if request.htmx:
            html = render_to_string(f"{PAGE}#plan", ctx, request) + messages_oob(request)
            return HttpResponse(html, status=INVALID)
        return render(request, PAGE, ctx, status=INVALID)
    already = active_run(orch)
    gate = None
    if already is None:
        gate = publish_gate(orchestration_tree(orch.number), chosen.name)
        try:
            gate.check(confirmed=request.POST.get("confirm_unapproved") == gate.content_hash)
        except PublishGateRefused as exc:
            return _gate_refusal(request, orch, chosen.name, exc)
    run = publish_in_background(
        orchestration=orch,
        connection_name=chosen.name,
        user=request.user,
        content_hash=gate.content_hash if gate else "",
    )
    if already is not None and run.pk == already.pk:
        messages.info(
            request,
            f"A publish of {orch.name} to {run.connection_name} was already under way; here it is. "
            "Publish again once it has finished.",
        )
    # No "Publishing…" flash: it would outlive the run. The run page's summary says where the run is.
    return go(request, reverse("publish_run", args=[run.pk]))


@require_safe
@view_runs_required
def publish_runs(request, number: str):
    """Every publish of one orchestration, newest first; `?show=dry-runs`: its dry runs, listed apart."""
    orch, missing = _orchestration_or_404(request, number)
    if missing:
        return missing
    dry = request.GET.get("show") == SHOW_DRY_RUNS
    runs = selectors.orchestration_runs(orch, limit=None, dry_runs=dry)
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, RUNS_PAGE, {"o": orch, "runs": page.object_list, "page": page, "dry": dry, "show": SHOW_DRY_RUNS}
    )


# -- the run page -------------------------------------------------------------------------------------------------


def _summary(run: PublishRun, stages: list, stale: bool) -> str:
    """One sentence for the live region: where the run is."""
    if stale:
        return (
            f"The worker publishing run #{run.pk} stopped answering "
            f"(last sign of life {timezone.localtime(run.heartbeat_at or run.created_at):%H:%M:%S}). "
            "Resume continues where it stopped; stages already done are not sent again."
        )
    what = f"{'A dry run of' if run.dry_run else 'Publishing'} {run.orchestration.name} to {run.connection_name}"
    if run.status == PublishRunStatus.QUEUED:
        return f"{what}: queued, waiting for a worker to start it."
    if run.status == PublishRunStatus.RUNNING:
        resumed = " (resumed: stages already done are not sent again)" if run.attempts > 1 else ""
        if not stages:
            return f"{what}{resumed}: reading the remote orchestration and checking its metadata."
        sends = [s for s in stages if s.status != PublishStageStatus.SKIPPED]
        done = sum(1 for s in sends if s.status == PublishStageStatus.DONE)
        return f"{what}{resumed}: {done} of {len(sends)} stage(s) published."
    # Ended: the outcome replaces the progress sentence, on a poll and on a reload alike.
    return run.message or run.get_status_display()


def run_context(run: PublishRun, *, journal: bool) -> dict:
    """The run page's context; `journal` loads the HTTP exchanges too (one query)."""
    stages = list(run.stages.all())
    for stage in stages:
        stage.status_text = STAGE_STATUS_TEXT.get(stage.status, stage.get_status_display())
    stale = is_stale(run)
    finished = sum(1 for s in stages if s.status in (PublishStageStatus.DONE, PublishStageStatus.SKIPPED))
    summary = _summary(run, stages, stale)
    return {
        "run": run,
        "o": run.orchestration,
        "stages": stages,
        "finished_count": finished,
        "stale": stale,
        "polling": run.is_active and not stale,
        "resumable": can_resume(run),
        # A resume sends the draft as it is now: it passes the approval gate like a new publish.
        "resume_gate": publish_gate(orchestration_tree(run.orchestration.number), run.connection_name)
        if can_resume(run)
        else None,
        "cancellable": run.status == PublishRunStatus.QUEUED or stale,
        "waiting_for_worker": run.status == PublishRunStatus.QUEUED
        and not stale
        and run.created_at < timezone.now() - WORKER_HINT_AFTER,
        "summary": summary,
        # Old runs recorded only refusals, without a severity.
        "describe_errors": [p for p in run.describe_report if p.get("severity", "error") == "error"],
        "describe_warnings": [p for p in run.describe_report if p.get("severity") in ("warning", "info")],
        # Changes whenever the summary would; the page sends it back so a poll re-announces only news.
        "summary_key": f"{run.status}:{finished}:{len(stages)}:{int(stale)}",
        "exchanges": [Exchange.of(e) for e in selectors.publish_run_journal(run)] if journal else None,
    }


@require_safe
@view_runs_required
def publish_run(request, run_id: int):
    """A run: per-stage progress (polled while it runs), then the journal of every HTTP exchange."""
    polled = bool(request.htmx) and request.htmx.target == "progress"
    run, missing = _run_or_404(request, run_id)
    if missing:
        if polled:  # 286 tells htmx to stop polling; the fragment says why
            return HttpResponse(
                f'<section id="progress"><p role="alert">Run #{run_id} no longer exists.</p></section>', status=286
            )
        return missing
    if polled:
        ctx = run_context(run, journal=not run.is_active or is_stale(run))
        parts = [render_to_string(f"{RUN_PAGE}#progress", ctx, request)]
        if ctx["summary_key"] != request.GET.get("seen"):
            parts.append(render_to_string(f"{RUN_PAGE}#summary", {**ctx, "oob": True}, request))
        if ctx["exchanges"] is not None:
            parts.append(render_to_string(f"{RUN_PAGE}#journal", {**ctx, "oob": True}, request))
        if not ctx["polling"]:
            # The run ended (or stalled) while the page watched: a flash from when it started
            # ("already under way…") is out of date, so the messages box shows only what is new.
            parts.append(messages_oob(request))
        return HttpResponse("".join(parts))
    ctx = run_context(run, journal=True)
    return render(request, RUN_PAGE, ctx)


def _run_refusal(request, run: PublishRun, message: str) -> HttpResponse:
    """The run page (or its progress fragment) with why the action was refused, as a 409."""
    messages.error(request, message)
    run = selectors.publish_run_progress(run.pk)
    ctx = run_context(run, journal=not request.htmx)
    if request.htmx:
        html = render_to_string(f"{RUN_PAGE}#progress", ctx, request) + messages_oob(request)
        response = HttpResponse(html, status=409)
        response["HX-Retarget"] = "#progress"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, RUN_PAGE, ctx, status=409)


@require_POST
@publish_required
def publish_resume(request, run_id: int):
    """Continue a partial or failed run, or one whose worker died, from where it stopped.

    A resume sends the draft as it is now, so it passes the approval gate like a new publish.
    """
    run, missing = _run_or_404(request, run_id)
    if missing:
        return missing
    pinned = ""
    if can_resume(run):  # else the resume is refused below, with why
        gate = publish_gate(orchestration_tree(run.orchestration.number), run.connection_name)
        try:
            gate.check(confirmed=request.POST.get("confirm_unapproved") == gate.content_hash)
        except PublishGateRefused as exc:
            return _gate_refusal(request, run.orchestration, run.connection_name, exc)
        pinned = gate.content_hash
    try:
        resumed = resume_in_background(run=run, user=request.user, content_hash=pinned)
    except PublishNotResumable as exc:
        return _run_refusal(request, run, str(exc))
    if resumed.pk != run.pk:
        messages.info(request, f"Another publish of {run.orchestration.name} is under way; here it is.")
    # No "Resuming…" flash for this run: it would outlive the run; the run page's summary says so while it runs.
    return go(request, reverse("publish_run", args=[resumed.pk]))


@require_POST
@publish_required
def publish_cancel_view(request, run_id: int):
    """Give up a run no worker is executing (still queued, or its worker died)."""
    run, missing = _run_or_404(request, run_id)
    if missing:
        return missing
    cancelled = publish_cancel(run=run, user=request.user)
    if cancelled.status != PublishRunStatus.CANCELLED:
        return _run_refusal(
            request,
            run,
            f"Run #{run.pk} is {cancelled.get_status_display().lower()}: only a queued run, or one whose worker "
            "stopped answering, can be cancelled.",
        )
    messages.success(request, f"Cancelled run #{run.pk}. Stages already sent stay published.")
    return go(request, reverse("publish_run", args=[run.pk]))
