"""The step form's JSON settings as attribute/value rows, with the raw JSON one toggle away.

A setting posts three kinds of fields (``name`` is the form field's HTML name):

* ``name-mode``: ``rows`` or ``json``, the editor the user chose (a radio);
* ``name-shown``: the editor the form was rendered with, so a re-render that
  carries a different mode is a switch (convert) and not a save;
* the rows (see ``json_rows``) and ``name`` itself, the raw JSON text area.

A post without ``name-mode`` is the raw JSON alone, as before the builder
existed. Switching editors re-renders the form through the step form's type
switch URL (a GET, nothing saved), so rows and JSON are converted by the same
code that saves them.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from . import json_rows
from .json_rows import JSON, ROWS, Row
from .models.text import JSON_LIMITS

JSON_SETTINGS = ("field_update_json", "success_criteria")
HELP = {
    "field_update_json": "Each row sets one attribute of the record to a value.",
    "success_criteria": "Each row names an attribute and the value it must have for the step to succeed.",
}


class JsonRowsWidget(forms.Textarea):
    """The raw JSON text area; the template draws the rows around it (widget_type "jsonrows")."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, **(attrs or {})})


class JsonSettingBoundField(BoundField):
    @property
    def builder(self) -> "JsonBuilder":
        return self.form.json_builders[self.name]

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        # In rows mode the text area is hidden: the rows carry the error and take the focus.
        if self.builder.mode == ROWS:
            attrs.pop("aria-invalid", None)
        return attrs


class JsonSettingField(forms.CharField):
    bound_field_class = JsonSettingBoundField

    def __init__(self, **kwargs):
        kwargs["strip"] = False  # the stored text is kept byte for byte; the form decides what is blank
        super().__init__(**kwargs)


@dataclass
class RowFields:
    """One row as the template draws it: names, ids and errors."""

    index: str
    row: Row
    html_name: str
    auto_id: str
    warning: str = ""  # the catalogue does not know the attribute (shown beside the row, never a refusal)

    def name(self, part: str) -> str:
        return f"{self.html_name}-{self.index}-{part}"

    def id(self, part: str) -> str:
        return f"{self.auto_id}-{self.index}-{part}"

    @property
    def attribute_name(self):
        return self.name("attribute")

    @property
    def kind_name(self):
        return self.name("kind")

    @property
    def value_name(self):
        return self.name("value")

    @property
    def attribute_id(self):
        return self.id("attribute")

    @property
    def kind_id(self):
        return self.id("kind")

    @property
    def value_id(self):
        return self.id("value")

    @property
    def error_id(self):
        return self.id("error")

    @property
    def warning_id(self):
        return self.id("warning")

    @property
    def described_by(self) -> str:
        """The ids the attribute input points at: its error, then the catalogue's warning."""
        return " ".join([*([self.error_id] if self.row.errors else []), *([self.warning_id] if self.warning else [])])

    @property
    def number(self) -> str:
        return "" if self.index == "__i__" else str(int(self.index) + 1)


@dataclass
class JsonBuilder:
    html_name: str
    auto_id: str
    mode: str
    rows: list[Row]
    note: str = ""
    switch_url: str = ""
    suggestions: list[str] = field(default_factory=list)
    help: str = ""
    # From the catalogue (forms_catalogue): a second line per suggested name, and the names it knows
    # with the words of the warning for others ("Opportunity in the catalogue of default").
    details: dict[str, str] = field(default_factory=dict)
    known: frozenset[str] | None = None
    known_in: str = ""

    kind_choices = json_rows.KIND_CHOICES
    mode_choices = ((ROWS, "Rows"), (JSON, "JSON (advanced)"))
    limits = JSON_LIMITS

    @property
    def mode_name(self) -> str:
        return f"{self.html_name}-mode"

    @property
    def shown_name(self) -> str:
        return f"{self.html_name}-shown"

    @property
    def datalist_id(self) -> str:
        return f"{self.auto_id}-attributes"

    @property
    def datalist(self) -> list[tuple[str, str]]:
        """(name, detail) of each suggestion: one <datalist> per setting, shared by every row."""
        return [(name, self.details.get(name, "")) for name in self.suggestions]

    def warning(self, attribute: str) -> str:
        name = attribute.strip()
        if self.known is None or not name or name in self.known:
            return ""
        return f"“{name}” is not an attribute of {self.known_in}."

    @property
    def row_fields(self) -> list[RowFields]:
        # One blank row at the end: without a script, that is how a row is added.
        rows = [*self.rows, Row()] if not self.rows or not self.rows[-1].blank else self.rows
        return [
            RowFields(str(i), row, self.html_name, self.auto_id, self.warning(row.attribute))
            for i, row in enumerate(rows)
        ]

    @property
    def template_row(self) -> RowFields:
        return RowFields("__i__", Row(), self.html_name, self.auto_id)

    @property
    def has_row_errors(self) -> bool:
        return any(row.errors for row in self.rows)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def build(form: forms.BaseForm, name: str, *, switch_url: str, suggestions: list[str]) -> JsonBuilder:
    """The editor of setting `name` as this form shows it (converting when the user switched editors)."""
    html_name = form.add_prefix(name)
    auto_id = form[name].auto_id or html_name
    builder = JsonBuilder(
        html_name=html_name,
        auto_id=auto_id,
        mode=ROWS,
        rows=[],
        switch_url=switch_url,
        suggestions=suggestions,
        help=HELP.get(name, ""),
    )
    mode_key = builder.mode_name
    if form.is_bound:
        data = form.data
        builder.mode = ROWS if data.get(mode_key) == ROWS else JSON  # no mode: a post of the raw JSON
        if builder.mode == ROWS:
            builder.rows = json_rows.rows_from_data(data, html_name)
        else:
            builder.rows = json_rows.rows_from_text(_text(data.get(html_name)))[0] or []
        return builder
    initial = form.initial
    raw = _text(initial.get(name))
    wanted = initial.get(mode_key)
    if wanted not in (ROWS, JSON):  # opened afresh: rows whenever they can show the text
        rows, reason = json_rows.rows_from_text(raw)
        if rows is None:
            builder.mode, builder.note = JSON, f"This JSON cannot be shown as rows ({reason}): edit it here."
        builder.rows = rows or []
        return builder
    shown = initial.get(builder.shown_name, wanted)
    posted = json_rows.rows_from_data(initial, html_name)
    if wanted == shown:  # re-rendered for another reason (the step type changed): keep what was on screen
        builder.mode = wanted
        builder.rows = posted if wanted == ROWS else (json_rows.rows_from_text(raw)[0] or [])
    elif wanted == JSON:  # rows → JSON
        text, problem = json_rows.text_from_rows(posted, original=raw)
        builder.rows = posted
        if text is None:
            builder.note = problem or "Fix the rows marked below, then switch to JSON."
        else:
            builder.mode = JSON
            form.initial[name] = text
    else:  # JSON → rows
        rows, reason = json_rows.rows_from_text(raw)
        if rows is None:
            builder.mode, builder.note = JSON, f"This JSON cannot be shown as rows ({reason}): edit it here."
        else:
            builder.rows = rows
    return builder


def clean(form: forms.BaseForm, name: str, stored: str) -> tuple[str | None, str]:
    """(the text to save, "") or (None, the problem) for a bound form in rows mode."""
    builder = form.json_builders[name]
    raw = _text(form.data.get(builder.html_name)).replace("\r\n", "\n")
    # The stored value first: it is what "unchanged" means; the posted text covers a new step.
    text, problem = json_rows.text_from_rows(builder.rows, original=stored)
    if text is not None and text != stored and raw.strip():
        text, problem = json_rows.text_from_rows(builder.rows, original=raw)
    if text is None:
        return None, problem or "Fix the rows marked below."
    return text, ""
