"""The connections overview and pulling a remote orchestration into a local draft."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from .. import selectors_publish as selectors
from ..models import CatalogueKind
from ..models.catalogue import PLURALS
from ..models.numbers import NUMBER_MAX_LENGTH, validate_public_number
from ..selectors_catalogue import catalogue_overview, designer_catalogue_name
from ..services.connection_check import check_connection
from ..services.pulling import PullError, orchestration_pull
from .publish_support import INVALID, go, messages_oob, publish_required, view_runs_required

PAGE = "orchestrator/connections.html"


class PullForm(forms.Form):
    number = forms.CharField(
        label="Orchestration number",
        max_length=NUMBER_MAX_LENGTH,
        help_text="The OrchestrationNumber on the remote, e.g. ORCH-DEMO-B2B.",
        validators=[validate_public_number],
    )
    connection = forms.CharField(label="From connection", max_length=40)
    # Where the form was: "publish" (the publish page of that orchestration) or "" (connections page).
    origin = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, overview=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.overview = overview if overview is not None else selectors.connection_overview()
        self.fields["connection"].widget = forms.Select(
            choices=[(info.name, info.label) for info in self.overview if info.usable]
        )
        origin = self.data.get("origin") if self.is_bound else self.initial.get("origin")
        if origin == "publish":  # the publish page pulls its own orchestration from the chosen connection
            self.fields["number"].widget = forms.HiddenInput()
            self.fields["connection"].widget = forms.HiddenInput()

    def clean_connection(self) -> str:
        try:
            return selectors.find_connection(self.cleaned_data["connection"], self.overview).name
        except selectors.UnknownConnection as exc:
            raise forms.ValidationError(exc.message) from exc


def connections_context(form: PullForm | None = None, request=None) -> dict:
    """The Connections page: the CX Sales connections (with their publish counts and catalogues), the Outreach ones."""
    from .catalogue import CatalogueUploadForm  # it imports this module's page context

    overview = selectors.connection_overview()
    counts = selectors.connection_run_counts()
    catalogues = catalogue_overview([info.name for info in overview])
    return {
        "rows": [(info, counts.get(info.name, {})) for info in overview],
        "pull_form": form or PullForm(overview=overview, auto_id="pull-%s"),
        "outreach_connections": selectors.connection_overview(system="outreach"),
        # Reference catalogue (issue 11): one summary per CX Sales connection, the designer's choice marked.
        "catalogues": [(info, catalogues[info.name]) for info in overview],
        "designer_catalogue": designer_catalogue_name(request) if request is not None else "default",
        "catalogue_kinds": [PLURALS[kind].capitalize() for kind in CatalogueKind],
        "upload_form": CatalogueUploadForm(overview=overview, auto_id="catalogue-upload-%s"),
    }


@require_safe
@view_runs_required
def connections(request):
    """Every configured connection: where it points and how it authenticates, never a credential."""
    return render(request, PAGE, connections_context(request=request))


@require_POST
@publish_required
def pull_orchestration(request):
    """Create or replace the local draft `number` from what a connection holds, then open it."""
    form = PullForm(request.POST, auto_id="pull-%s")
    pull_problems: list[tuple[str, str]] = []
    if form.is_valid():
        number, connection = form.cleaned_data["number"], form.cleaned_data["connection"]
        try:
            result = orchestration_pull(number=number, connection_name=connection, user=request.user)
        except PullError as exc:
            form.add_error(None, exc.message)
            pull_problems = exc.problems
        else:
            orch = result.orchestration
            verb = "Created" if result.created else "Replaced"
            messages.success(
                request,
                f"{verb} the draft {orch.name} ({orch.number}) from {connection}: {result.summary}. "
                f"{result.unchanged_stages} stage(s) match the remote and will not be sent again.",
            )
            return go(request, reverse("designer", args=[orch.number]))
    ctx = {"pull_form": form, "pull_problems": pull_problems[:50], "pull_more": max(0, len(pull_problems) - 50)}
    if request.htmx:
        html = render_to_string(f"{PAGE}#pull-form", ctx, request) + messages_oob(request)
        return HttpResponse(html, status=INVALID)
    page = connections_context(form)
    page.update(ctx)
    return render(request, PAGE, page, status=INVALID)


@require_safe
@publish_required
def connection_check(request, name: str):
    """The compatibility report of one connection: reads its pod's describe (nothing is written).

    htmx swaps the report in under the connections table; a plain request
    (the link from a refused publish) gets the whole page with it open.
    """
    overview = selectors.connection_overview()
    try:
        info = selectors.find_connection(name, overview)
    except selectors.UnknownConnection as exc:
        result, status = None, INVALID
        error = exc.message
    else:
        result, status, error = check_connection(info.name), 200, ""
    ctx = {"check": result, "check_error": error, "checked_name": name[:40]}
    if request.htmx:
        return render(request, f"{PAGE}#check-report", ctx, status=status)
    page = connections_context()
    page.update(ctx)
    return render(request, PAGE, page, status=status)
