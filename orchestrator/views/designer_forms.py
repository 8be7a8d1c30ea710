"""Building, rendering and answering the designer's edit forms (shared by every level and the header)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from ..forms_catalogue import attach_pickers
from ..models import Orchestration, Revision, Step
from ..selectors_catalogue import designer_catalogue
from .designer_support import TEMPLATE, describe, messages_oob, orchestration_of

BOOLEAN_STEP_FIELDS = ("allow_skip", "wait_for_replies", "exit_orchestration")


@dataclass
class FormFrame:
    """Where a form lives in the page and what its buttons do."""

    form_id: str  # the element the form replaces (and is replaced by)
    action: str
    cancel_url: str
    title: str
    submit_label: str
    kind: str  # "orchestration" | "stage" | "objective" | "step" | "step_task"


def type_switch_initial(query: QueryDict) -> dict[str, Any] | None:
    """The values a step form was showing when its type changed (a GET carrying the whole form), else None."""
    if "step_type" not in query:
        return None
    initial: dict[str, Any] = {name: value for name, value in query.items() if name not in BOOLEAN_STEP_FIELDS}
    # An unticked box is absent from the query: absent means False, not "keep the stored value".
    initial.update({name: name in query for name in BOOLEAN_STEP_FIELDS})
    return initial


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def render_form(
    request: HttpRequest,
    form: BaseForm,
    frame: FormFrame,
    *,
    status: int = 200,
    autofocus: bool = False,
    conflict: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The form fragment: 200 when opened, 422 with messages beside the fields, 409 with the conflict."""
    if frame.kind in ("stage", "step", "step_task"):
        attach_pickers(form, designer_catalogue(request))  # names for the ids: one query
    context = {
        "form": form,
        "frame": frame,
        "autofocus": autofocus,
        "conflict": conflict,
        "editable": True,
        **(extra or {}),
    }
    response = render(request, f"{TEMPLATE}#item-form", context, status=status)
    if status != 200:  # a refusal may come with a message (a conflict does): show it now
        response.content += messages_oob(request).encode()
    return response


def _display(form: BaseForm, name: str, value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Step):
        return value.name
    choices = getattr(form.fields[name], "choices", None)
    if choices is not None and not isinstance(value, Model):
        labels = {str(k): v for k, v in choices}
        return str(labels.get(str(value), value))
    return str(value)


def conflict_rows(form: BaseForm, current: Model) -> list[dict[str, str]]:
    """The fields where the user's values differ from what the other person saved."""
    rows = []
    for name, field in form.fields.items():
        if name == "version" or name in getattr(form, "option_fields", ()) or name not in form.cleaned_data:
            continue
        theirs, yours = getattr(current, name), form.cleaned_data[name]
        if theirs in (None, "") and yours in (None, ""):
            continue
        if theirs != yours:
            rows.append(
                {
                    "label": str(field.label),
                    "theirs": _display(form, name, theirs),
                    "yours": _display(form, name, yours),
                }
            )
    return rows


def rebound_on(data: QueryDict, current: Model) -> QueryDict:
    """The submitted values with the newer version, so "Keep mine" saves over the other person's change."""
    data = data.copy()
    data["version"] = str(current.version)
    return data


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def conflict_author(request: HttpRequest, current: Model) -> str:
    """Who saved over the edit, in words: "Ana Díaz", "You (in another tab or window)", or "Someone else".

    The writers are the authors of the revisions made after the tree revision the page showed
    (designer.js sends it with every request); the draft's last writer when the page did not say.
    """
    orch = current if isinstance(current, Orchestration) else orchestration_of(current)
    shown = request.headers.get("X-Designer-Revision", "")
    authors = []
    if shown.isdigit():
        revisions = (
            Revision.objects.filter(orchestration_id=orch.pk, tree_revision__gt=int(shown))
            .select_related("author")
            .order_by("-number")[:20]
        )
        for revision in revisions:
            if revision.author is not None and revision.author not in authors:
                authors.append(revision.author)
    if not authors:
        writer = Orchestration.objects.filter(pk=orch.pk).select_related("updated_by").first()
        if writer is not None and writer.updated_by is not None:
            authors = [writer.updated_by]
    names = [
        "You (in another tab or window)" if author.pk == request.user.pk else _person(author) for author in authors[:3]
    ]
    if not names:
        return "Someone else"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def conflict_message(author: str, current: Model) -> str:
    return f"{author} saved {describe(current)} while you were editing."
