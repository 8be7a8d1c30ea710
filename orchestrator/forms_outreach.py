"""Form fields and forms of the Outreach screens (issue 8): input checking only, no side effects.

The stage form (forms.StageForm) takes its two Outreach fields from here: a
colour that may be left unset (a checkbox beside a colour picker: a picker
alone always submits a colour) and a closing flag with "not set" as a third
answer. Unset means Orchestrator leaves Outreach's own value alone.
"""

import re

from django import forms
from django.core.exceptions import ValidationError

from .models.numbers import NUMBER_MAX_LENGTH
from .models.orchestration import NAME_MAX

DEFAULT_PICKER_COLOR = "#4e79a7"
_COLOR = re.compile(r"#[0-9a-f]{6}")


class OutreachColorWidget(forms.MultiWidget):
    """A "use a colour" checkbox and a colour picker; the picker's value counts only when the box is ticked."""

    def __init__(self, attrs=None):
        widgets = [
            forms.CheckboxInput(attrs={"aria-label": "Give the stage a colour in Outreach"}),
            forms.ColorInput(attrs={"aria-label": "Colour in Outreach"}),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        return [bool(value), value or DEFAULT_PICKER_COLOR]


class OutreachColorField(forms.MultiValueField):
    """ "" (no colour: Outreach keeps its own) or "#rrggbb", lower case."""

    widget = OutreachColorWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Colour in Outreach")
        kwargs.setdefault(
            "help_text", "Tick to set the opportunity stage's colour in Outreach; never sent to CX Sales."
        )
        fields = (forms.BooleanField(required=False), forms.CharField(required=False, max_length=7))
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not data_list[0]:
            return ""
        value = (data_list[1] or "").strip().lower()
        if not _COLOR.fullmatch(value):
            raise ValidationError("Pick a colour (#rrggbb), or untick the box.")
        return value


class ClosingStageSelect(forms.NullBooleanSelect):
    """Outreach's isClosed, or not set."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("unknown", "Not set: Outreach keeps its own"),
            ("false", "No: an open stage"),
            ("true", "Yes: a closing stage (won or lost)"),
        ]


STAGE_OUTREACH_FIELDS = ("outreach_color", "outreach_is_closed")
STAGE_OUTREACH_LABELS = {"outreach_is_closed": "Closing stage in Outreach"}
STAGE_OUTREACH_HELP = {"outreach_is_closed": "Outreach's isClosed for this stage; never sent to CX Sales."}


class OutreachImportForm(forms.Form):
    """A new draft from an Outreach connection's opportunity stages."""

    connection = forms.ChoiceField(label="From Outreach connection")
    number = forms.CharField(
        label="Number", max_length=NUMBER_MAX_LENGTH, help_text="Suggested; you may change it. It never changes."
    )
    name = forms.CharField(label="Name", max_length=NAME_MAX)

    def __init__(self, *args, connections=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = [(info.name, info.label) for info in connections if info.usable]

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the new orchestration a name.")
        return name


class OutreachIdsField(forms.Field):
    """Outreach stage ids ticked on the page (each a positive integer), as a list."""

    widget = forms.MultipleHiddenInput
    MAX = 1000

    def to_python(self, value) -> list[int]:
        values = value or []
        if len(values) > self.MAX:
            raise ValidationError(f"At most {self.MAX} stages can be deleted at once.")
        ids = []
        for item in values:
            text = str(item).strip()
            if not text.isdigit() or not 0 < int(text) < 2**63:
                raise ValidationError(f"{text[:20]!r} is not an Outreach stage id.")
            ids.append(int(text))
        return sorted(set(ids))


class OutreachSyncForm(forms.Form):
    """Start a sync: the connection, and the extra stages whose deletion the user confirmed by ticking them.

    The sync deletes only those of them that are still extra when it runs.
    """

    connection = forms.CharField(max_length=40)
    delete = OutreachIdsField(required=False)
