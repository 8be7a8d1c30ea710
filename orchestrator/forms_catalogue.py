"""Pickers for the fields that refer to the reference catalogue (issue 11): names shown, ids stored.

`attach_pickers(form, catalogue)` marks the stage, step and step-task form
fields that hold a catalogue reference (``field.picker``); the designer's
``field`` partial then renders a combobox beside the field (static/js/picker.js
filters it as the user types). The field itself is unchanged: an id field
still takes the id (typed, pasted or picked), so nothing is ever rewritten,
and an id the catalogue does not know is kept and flagged beside the field.
A stage's sales-stage value refers to a sales stage by its name, so there the
combobox is the field itself and free text stays possible.

A kind the catalogue has no entries for gets no picker, only a hint where
to fill the catalogue.

A Field update's rows name attributes of the orchestration's object: the
catalogue's attributes of that object are suggested (a <datalist> of the
setting, keyboard-native), and a row naming one the catalogue does not know
is kept and flagged beside the row, only when the catalogue has attributes
of that object. Success criteria name the activity's attributes, not the
object's, so they get neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.forms import BaseForm

from .models import CatalogueKind
from .models.catalogue import ATTRIBUTE_KINDS
from .selectors_catalogue import Catalogue, Ref

# Form field → the catalogue kind it refers to.
PICKED_FIELDS = {
    "activity_template_id": CatalogueKind.ACTIVITY_TEMPLATE,
    "smart_action_id": CatalogueKind.SMART_ACTION,
    "email_template_id": CatalogueKind.EMAIL_TEMPLATE,
    "activity_id": CatalogueKind.ACTIVITY,
    "lifecycle_attr_value": CatalogueKind.SALES_STAGE,
}
SEARCH_LABELS = {
    CatalogueKind.ACTIVITY_TEMPLATE: "Activity template",
    CatalogueKind.SMART_ACTION: "Smart action",
    CatalogueKind.EMAIL_TEMPLATE: "Email template",
    CatalogueKind.ACTIVITY: "Activity",
    CatalogueKind.SALES_STAGE: "Sales stage value",
}


@dataclass
class Picker:
    kind: str
    label: str  # the combobox's label (the id field keeps its own)
    options: list[Ref]
    current: Ref | None
    by_name: bool  # the field stores the name (sales stages), not the id
    connection_name: str

    @property
    def available(self) -> bool:
        return bool(self.options)


def attach_pickers(form: BaseForm, catalogue: Catalogue) -> BaseForm:
    """Give each catalogue field of `form` its picker (options, the current value's name or flag); returns `form`."""
    for name, kind in PICKED_FIELDS.items():
        if name not in form.fields:
            continue
        field = form.fields[name]
        by_name = kind == CatalogueKind.SALES_STAGE
        picker = Picker(
            kind=kind,
            label=SEARCH_LABELS[kind],
            options=catalogue.options(kind),
            current=catalogue.ref(kind, form[name].value()),
            by_name=by_name,
            connection_name=catalogue.connection_name,
        )
        field.picker = picker
        if by_name and picker.available:
            # The field is the combobox: typing filters the sales stages, any text stays allowed.
            field.widget.attrs.update(
                {
                    "role": "combobox",
                    "aria-autocomplete": "list",
                    "aria-expanded": "false",
                    "aria-controls": f"{form[name].auto_id}-options",
                    "autocomplete": "off",
                    "data-picker-search": "",
                }
            )
    if "next_stage_value" in form.fields:
        # The target is chosen among the later stages; say when their value is no sales stage of the method.
        current = catalogue.ref(CatalogueKind.SALES_STAGE, form["next_stage_value"].value())
        form.fields["next_stage_value"].catalogue_warning = (
            f"“{current.name}” is not a sales stage of the sales method in the catalogue of "
            f"{catalogue.connection_name}."
            if current is not None and current.unknown
            else ""
        )
    _attach_attribute_names(form, catalogue)
    return form


def _attach_attribute_names(form: BaseForm, catalogue: Catalogue) -> None:
    builder = getattr(form, "json_builders", {}).get("field_update_json")
    if builder is None:
        return
    object_code = form.stage.orchestration.object_code  # loaded with the step: no query
    kind = ATTRIBUTE_KINDS.get(object_code)
    options = catalogue.options(kind) if kind else []
    if not options:
        return  # nothing to suggest, nothing to compare with: the rows stay free text
    builder.details = {**builder.details, **{ref.name: ref.detail for ref in options}}
    builder.suggestions = sorted({*builder.suggestions, *builder.details}, key=str.casefold)
    builder.known = frozenset(ref.name for ref in options)
    builder.known_in = f"{object_code} in the catalogue of {catalogue.connection_name}"
