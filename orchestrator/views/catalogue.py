"""The reference catalogue on the Connections page: refresh from the pod, upload a file, choose the designer's.

Refreshing only reads the pod, so Designers may do it as well as Publishers;
uploading a file replaces what others see by name, so it takes publish
rights (the "administrator" of the issue). The choice of catalogue for the
designer is per user session.
"""

import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import demo
from .. import selectors_publish as publish_selectors
from ..roles import can_edit, can_publish
from ..selectors_catalogue import SESSION_KEY
from ..services.catalogue import (
    UPLOAD_MAX_BYTES,
    CatalogueFileError,
    ConnectionConfigError,
    catalogue_refresh,
    catalogue_upload,
)
from .publish_support import INVALID, publish_required, view_runs_required

PAGE = "orchestrator/connections.html"
PROBLEMS_SHOWN = 50


def refresh_allowed(view):
    """Designers and Publishers (a refresh only reads the pod)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (can_edit(request.user) or can_publish(request.user)):
            raise PermissionDenied("Refreshing the catalogue takes Designer or Publisher rights.")
        return view(request, *args, **kwargs)

    return wrapped


class CatalogueUploadForm(forms.Form):
    connection = forms.CharField(label="For connection", max_length=40)
    file = forms.FileField(
        label="Catalogue file",
        help_text="CSV with the columns kind, id, name (and optionally description), or a JSON array of such "
        "objects. kind is smart_action, email_template or activity.",
    )

    def __init__(self, *args, overview=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.overview = overview if overview is not None else publish_selectors.connection_overview()
        self.fields["connection"].widget = forms.Select(
            choices=[(info.name, info.name) for info in self.overview if info.usable]
        )
        self.fields["file"].widget.attrs["accept"] = ".csv,.json,text/csv,application/json"

    def clean_connection(self) -> str:
        try:
            return publish_selectors.find_connection(self.cleaned_data["connection"], self.overview).name
        except publish_selectors.UnknownConnection as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {UPLOAD_MAX_BYTES // 1_000_000} MB.")
        return upload


def _back():
    return redirect("/connections/#catalogue")


@require_POST
@refresh_allowed
def catalogue_refresh_view(request, name: str):
    """Read the connection's activity templates and sales stages now; the page shows the outcome."""
    try:
        run = catalogue_refresh(connection_name=name, user=request.user)
    except ConnectionConfigError as exc:
        messages.error(request, exc.message)
        return _back()
    if run.status == "done":
        messages.success(request, f"Catalogue of {run.connection_name}: {run.message}")
    else:
        messages.error(request, f"Catalogue of {run.connection_name} not refreshed: {run.message}")
    return _back()


@require_POST
@publish_required
def catalogue_upload_view(request):
    """Store an administrator's file of smart actions, e-mail templates and activities (all or nothing)."""
    from .connections import connections_context  # the page's context, shared with the other forms

    form = CatalogueUploadForm(request.POST, request.FILES, auto_id="catalogue-upload-%s")
    problems: list[str] = []
    if form.is_valid():
        try:
            result = catalogue_upload(
                connection_name=form.cleaned_data["connection"], content=form.cleaned_data["file"].read()
            )
        except (CatalogueFileError, ConnectionConfigError) as exc:
            problems = exc.problems if isinstance(exc, CatalogueFileError) else [exc.message]
            form.add_error("file", "Nothing was stored: the file has the problems listed below.")
        else:
            messages.success(
                request, f"Catalogue of {form.cleaned_data['connection']}: stored {result.summary} from the file."
            )
            return _back()
    ctx = connections_context(request=request)
    ctx.update(
        {
            "upload_form": form,
            "upload_problems": problems[:PROBLEMS_SHOWN],
            "upload_more": max(0, len(problems) - PROBLEMS_SHOWN),
        }
    )
    return render(request, PAGE, ctx, status=INVALID)


@require_POST
@view_runs_required
def catalogue_use(request, name: str):
    """Show the names of this connection's catalogue in the designer (for this session)."""
    try:
        info = publish_selectors.find_connection(name)
    except publish_selectors.UnknownConnection as exc:
        messages.error(request, exc.message)
        return _back()
    if info.name == "default":
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = info.name
    messages.success(request, f"The designer now shows names from the catalogue of {info.name}.")
    return _back()


@require_safe
@view_runs_required
def catalogue_demo_file(request):
    """The demo's catalogue file (smart actions, e-mail templates, activities): an example to upload or adapt."""
    body = json.dumps(demo.demo_catalogue_file(), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="demo-catalogue.json"'
    return response
