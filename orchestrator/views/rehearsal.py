"""The rehearsal screens: choose a stage and a test record, read the plan, rehearse, read the report, clean up.

Reviewers and Publishers (and superusers) rehearse and clean up
(`rehearse_required`); nobody else sees these pages. A plan is worked out
from the draft and what the open rehearsal holds: nothing is sent. A run
and a clean-up go to the background worker (`tasks.rehearsal_in_background`);
the report polls `#rehearsal-progress` every second while one is active.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from .. import roles
from .. import selectors_rehearsal as selectors
from ..models import Orchestration, Rehearsal, Stage
from ..selectors_publish import connection_overview
from ..services.rehearsal import STATUS_TEXT, plan_counts, rehearsal_open, rehearsal_plan, rehearsal_request
from ..services.remote_runs import remote_run_is_stale
from ..tasks import rehearsal_in_background
from .designer_forms import add_service_errors
from .publish_support import INVALID, Exchange, error_page, go

PAGE = "orchestrator/rehearsal.html"
REPORT = "orchestrator/rehearsal_report.html"
KIND_LABELS = {
    "b2c_task": "B2C Service task",
    "interaction": "CX Sales interaction",
    "phone_call": "CX Sales phone call",
}


def rehearse_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles.can_rehearse(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class RehearsalForm(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False)
    record = forms.CharField(label="Test opportunity id (CX Sales)", max_length=30, required=False)
    b2c_record = forms.CharField(label="B2C Service opportunity id (optional)", max_length=30, required=False)
    cx_connection = forms.ChoiceField(label="CX Sales connection")
    b2c_connection = forms.ChoiceField(label="B2C Service connection")

    def __init__(self, *args, stages, cx_connections, b2c_connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "Every stage"), *((s.number, f"{s.name} ({s.number})") for s in stages)]
        self.fields["cx_connection"].choices = [(c.name, c.label) for c in cx_connections if c.usable]
        self.fields["b2c_connection"].choices = [(c.name, c.label) for c in b2c_connections if c.usable]


def _orchestration(number: str):
    return Orchestration.objects.filter(number=number).first()


def _form(orch: Orchestration, data=None, initial=None) -> RehearsalForm:
    return RehearsalForm(
        data,
        initial=initial,
        stages=list(Stage.objects.filter(orchestration=orch).order_by("display_sequence", "pk")),
        cx_connections=connection_overview(),
        b2c_connections=connection_overview(system="b2c_service"),
        auto_id="rehearse-%s",
    )


def _lines(lines) -> list[dict]:
    return [
        {
            **line,
            "kind_label": KIND_LABELS.get(line.get("kind"), ""),
            "status_text": STATUS_TEXT.get(line.get("status"), line.get("status")),
            # "o:errorCode" cannot be read by a template: named plainly.
            "problems": [
                {**p, "code": p.get("o:errorCode", "")} for p in line.get("problems") or [] if isinstance(p, dict)
            ],
        }
        for line in lines
        if isinstance(line, dict)
    ]


def _request_from(orch, form):
    data = form.cleaned_data
    return rehearsal_request(
        orchestration=orch,
        stage_number=data["stage"],
        record=data["record"],
        b2c_record=data["b2c_record"],
        cx_connection=data["cx_connection"],
        b2c_connection=data["b2c_connection"],
    )


def page_context(orch, form, *, plan=None, plan_rehearsal=None) -> dict:
    lines = _lines([line.as_dict() for line in plan]) if plan is not None else None
    return {
        "o": orch,
        "form": form,
        "plan_lines": lines,
        "plan_counts": plan_counts(plan) if plan is not None else None,
        "plan_rehearsal": plan_rehearsal,
        "rehearsals": selectors.orchestration_rehearsals(orch),
    }


@require_safe
@rehearse_required
def rehearsal_page(request, number: str):
    """The form (stage preselected from ?stage=) and this orchestration's rehearsals."""
    orch = _orchestration(number)
    if orch is None:
        return error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    form = _form(orch, initial={"stage": request.GET.get("stage", "")})
    return render(request, PAGE, page_context(orch, form))


@require_POST
@rehearse_required
def rehearsal_plan_view(request, number: str):
    """What a rehearsal would create now (nothing is sent); errors beside the fields (422)."""
    orch = _orchestration(number)
    if orch is None:
        return error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    form = _form(orch, request.POST)
    status, ctx = INVALID, None
    if form.is_valid():
        try:
            rehearsal, lines = rehearsal_plan(_request_from(orch, form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            ctx, status = page_context(orch, form, plan=lines, plan_rehearsal=rehearsal), 200
    ctx = ctx or page_context(orch, form)
    if request.htmx:
        return render(request, f"{PAGE}#rehearse-form", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


@require_POST
@rehearse_required
def rehearsal_start_view(request, number: str):
    """Open (or continue) the rehearsal, start its run, and go to its report."""
    orch = _orchestration(number)
    if orch is None:
        return error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    form = _form(orch, request.POST)
    if form.is_valid():
        try:
            rehearsal, created = rehearsal_open(_request_from(orch, form), user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            rehearsal_in_background(rehearsal=rehearsal, user=request.user)
            verb = "Rehearsing" if created else "Continuing rehearsal"
            messages.success(request, f"{verb} #{rehearsal.pk} on opportunity {rehearsal.opportunity_id}.")
            return go(request, reverse("rehearsal_report", args=[rehearsal.pk]))
    ctx = page_context(orch, form)
    if request.htmx:
        return render(request, f"{PAGE}#rehearse-form", ctx, status=INVALID)
    return render(request, PAGE, ctx, status=INVALID)


def report_context(rehearsal: Rehearsal) -> dict:
    runs = selectors.rehearsal_runs(rehearsal)
    latest = runs[0] if runs else None
    active = latest is not None and latest.is_active and not remote_run_is_stale(latest)
    records = [
        {"record": r, "kind_label": KIND_LABELS.get(r.kind, r.kind), "browsable": r.link.startswith("https://")}
        for r in rehearsal.records.all()
    ]
    return {
        "rehearsal": rehearsal,
        "o": rehearsal.orchestration,
        "records": records,
        "runs": runs,
        "run": latest,
        "lines": _lines(latest.lines) if latest else [],
        "polling": active,
        "cleanable": not rehearsal.is_cleaned
        and any(r["record"].status in ("created", "delete_failed") for r in records),
        "exchanges": [Exchange.of(e) for e in selectors.run_journal(latest)] if latest and not active else None,
    }


@require_safe
@rehearse_required
def rehearsal_report(request, rehearsal_id: int):
    """What the rehearsal created where (system, id, link), its latest run line by line, and the journal."""
    polled = bool(request.htmx) and request.htmx.target == "rehearsal-progress"
    rehearsal = selectors.rehearsal_detail(rehearsal_id)
    if rehearsal is None:
        if polled:
            return HttpResponse(
                f'<section id="rehearsal-progress"><p role="alert">Rehearsal #{rehearsal_id} no longer exists.</p>'
                "</section>",
                status=286,
            )
        return error_page(request, f"There is no rehearsal #{rehearsal_id}.", status=404)
    ctx = report_context(rehearsal)
    if polled:
        parts = [render_to_string(f"{REPORT}#progress", ctx, request)]
        if ctx["exchanges"] is not None:
            parts.append(render_to_string("orchestrator/publish_run.html#journal", {**ctx, "oob": True}, request))
        return HttpResponse("".join(parts))
    return render(request, REPORT, ctx)


@require_POST
@rehearse_required
def rehearsal_cleanup_view(request, rehearsal_id: int):
    """Delete what the rehearsal created (tasks, phone calls, interactions) in the background."""
    rehearsal = selectors.rehearsal_detail(rehearsal_id)
    if rehearsal is None:
        return error_page(request, f"There is no rehearsal #{rehearsal_id}.", status=404)
    if rehearsal.is_cleaned:
        messages.info(request, f"Rehearsal #{rehearsal.pk} is already cleaned up.")
    else:
        rehearsal_in_background(rehearsal=rehearsal, user=request.user, cleanup=True)
        messages.success(request, f"Cleaning up rehearsal #{rehearsal.pk}.")
    return go(request, reverse("rehearsal_report", args=[rehearsal.pk]))
