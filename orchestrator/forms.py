"""Forms of the designer and the orchestration list: input checking only, no side effects.

Each edit form carries the version of the object it was rendered from
(`version`), which the update services compare to refuse stale edits. Labels
use the words of the interface, not the contract's attribute names.
"""

from django import forms
from django.core.exceptions import ValidationError

from . import forms_json, forms_outreach, selectors
from .models import (
    COMMON_STEP_SETTINGS,
    STEP_TYPE_SETTINGS,
    TYPE_SPECIFIC_SETTINGS,
    AssignedTo,
    Orchestration,
    Stage,
    StageObjective,
    Step,
    StepTask,
    StepType,
)
from .models.numbers import NUMBER_MAX_LENGTH, validate_public_number
from .models.orchestration import NUMBER9_MAX, NUMBER9_VALIDATORS, ORACLE_ID_MAX, ORACLE_ID_VALIDATORS
from .models.text import parse_json_setting

TEXTAREA = forms.Textarea(attrs={"rows": 2})

# Oracle's only words for AssociationRank are "ranking used during association"; say that much, no more.
RANK_HELP = (
    "Oracle: the ranking used during association, i.e. when CX Sales associates a record with an "
    "orchestration. Optional; leave it empty unless your CRM administrator gives you one."
)

LABELS = {
    "number": "Number",
    "name": "Name",
    "description": "Description",
    "object_code": "Object",
    "lifecycle_attribute_name": "Lifecycle attribute",
    "association_rank": "Association rank",
    "lifecycle_attr_value": "Sales stage value",
    "step_type": "Type",
    "suggestion_text": "Suggestion for the rep",
    "activity_template_id": "Activity template ID",
    "smart_action_id": "Smart action ID",
    "email_template_id": "Email template ID",
    "days_to_wait": "Days to wait",
    "hours_to_wait": "Hours to wait",
    "next_stage_value": "Next stage",
    "field_update_json": "Field update",
    "grace_period": "Grace period (hours)",
    "allow_skip": "Allow skip",
    "wait_for_replies": "Wait for replies",
    "exit_orchestration": "Exit orchestration",
    "success_step": "On success, go to",
    "failure_step": "On failure, go to",
    "success_criteria": "Success criteria",
    "activity_id": "Activity ID",
    "assigned_to": "Assigned to",
}


class VersionedForm(forms.ModelForm):
    """An edit form that remembers which version of the object it shows."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]  # a new object has no version to compare yet
        elif "version" not in self.initial:
            self.initial["version"] = self.instance.version

    # Fields that say how to save rather than what: passed to the service as keyword options, not values.
    option_fields: tuple[str, ...] = ()

    @property
    def values(self) -> dict:
        """The cleaned values a service takes (without the version and the options)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version" and name not in self.option_fields
        }

    @property
    def service_options(self) -> dict:
        """The options the update service takes besides the values (see `option_fields`)."""
        return {name: self.cleaned_data[name] for name in self.option_fields if name in self.cleaned_data}


class OrchestrationCreateForm(forms.ModelForm):
    number = forms.CharField(
        label="Number",
        max_length=NUMBER_MAX_LENGTH,
        help_text="Suggested; you may change it. It never changes afterwards.",
        validators=[validate_public_number],
    )

    class Meta:
        model = Orchestration
        fields = ("name", "description", "object_code", "lifecycle_attribute_name")
        labels = LABELS
        widgets = {"description": TEXTAREA}

    field_order = ("number", "name", "description", "object_code", "lifecycle_attribute_name")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The number is already suggested: the name is what the user types first.
        self.fields["name"].widget.attrs["autofocus"] = True

    def validate_unique(self):
        # The service checks the number against every number ever issued, with a clearer message.
        pass

    @property
    def values(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "number"}


class OrchestrationHeaderForm(VersionedForm):
    class Meta:
        model = Orchestration
        fields = ("name", "description", "object_code", "lifecycle_attribute_name", "association_rank")
        labels = LABELS
        help_texts = {"association_rank": RANK_HELP}
        widgets = {"description": TEXTAREA}


class StageForm(VersionedForm):
    # Outreach (issue 8): a colour that may stay unset, and the closing flag; never sent to CX Sales.
    outreach_color = forms_outreach.OutreachColorField()

    class Meta:
        model = Stage
        fields = ("name", "lifecycle_attr_value", "description", *forms_outreach.STAGE_OUTREACH_FIELDS)
        labels = {**LABELS, **forms_outreach.STAGE_OUTREACH_LABELS}
        help_texts = {
            "lifecycle_attr_value": "The lifecycle attribute's value (e.g. the opportunity's sales stage) that"
            " corresponds to this stage; Next-stage steps name it.",
            **forms_outreach.STAGE_OUTREACH_HELP,
        }
        widgets = {"description": TEXTAREA, "outreach_is_closed": forms_outreach.ClosingStageSelect}

    option_fields = ("retarget_next_stage_steps",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Next stage steps name their target by this value: changing it would strand them, so offer to
        # take them along (ticked). Offered whenever some point here, as the value may change in this form.
        self.next_stage_steps = selectors.next_stage_steps_into(self.instance) if self.instance.pk else []
        if self.next_stage_steps:
            count = len(self.next_stage_steps)
            self.fields["retarget_next_stage_steps"] = forms.BooleanField(
                required=False,
                initial=True,
                label=(
                    f"Also update the {count} Next stage step{'s' if count != 1 else ''} that move"
                    f"{'s' if count == 1 else ''} to “{self.instance.lifecycle_attr_value}”"
                ),
                help_text="If you change the value: "
                + ", ".join(f"“{step.name}” in stage “{step.stage.name}”" for step in self.next_stage_steps)
                + ".",
            )
            order = list(self.fields)
            order.remove("retarget_next_stage_steps")
            order.insert(order.index("lifecycle_attr_value") + 1, "retarget_next_stage_steps")
            self.order_fields(order)


class ObjectiveForm(VersionedForm):
    class Meta:
        model = StageObjective
        fields = ("name", "description")
        labels = LABELS
        widgets = {"description": TEXTAREA}


class StepLinkField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_sequence}. {obj.name}"


class StepForm(VersionedForm):
    """Only the settings the chosen type uses; links pick from steps of the same stage.

    `step_type` decides the fields: a bound form uses the submitted type, so
    switching the type re-renders the form with the right fields. The JSON
    settings are edited as attribute/value rows or as raw JSON (`forms_json`);
    `attribute_suggestions` feeds the rows' attribute names (a <datalist>); the
    catalogue adds the Field update's (forms_catalogue.attach_pickers).
    """

    class Meta:
        model = Step
        fields = ("name", "step_type", *COMMON_STEP_SETTINGS, *TYPE_SPECIFIC_SETTINGS)
        labels = LABELS
        field_classes = {
            "success_step": StepLinkField,
            "failure_step": StepLinkField,
            "field_update_json": forms_json.JsonSettingField,
            "success_criteria": forms_json.JsonSettingField,
        }
        widgets = {
            "suggestion_text": TEXTAREA,
            "field_update_json": forms_json.JsonRowsWidget,
            "success_criteria": forms_json.JsonRowsWidget,
            "next_stage_value": forms.Select,
        }

    field_order = ("name", "step_type")

    def __init__(
        self,
        *args,
        stage: Stage,
        step_type: str | None = None,
        type_switch_url: str = "",
        attribute_suggestions=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.stage = stage  # forms_catalogue reads the orchestration's object from it
        if step_type is None:
            step_type = (self.data.get(self.add_prefix("step_type")) if self.is_bound else None) or (
                self.initial.get("step_type") or self.instance.step_type or StepType.TASK
            )
        if step_type not in StepType.values:
            step_type = StepType.TASK
        self.step_type = step_type
        used = set(STEP_TYPE_SETTINGS[step_type]) | set(COMMON_STEP_SETTINGS) | {"name", "step_type", "version"}
        for name in list(self.fields):
            if name not in used:
                del self.fields[name]
        # What the type needs comes right after the type; the settings every type may carry follow.
        self.order_fields(["name", "step_type", *STEP_TYPE_SETTINGS[step_type], *COMMON_STEP_SETTINGS])
        if type_switch_url:
            # Changing the type re-renders this form (nothing is saved) with that type's settings.
            self.fields["step_type"].widget.attrs.update(
                {
                    "hx-get": type_switch_url,
                    "hx-trigger": "change",
                    "hx-target": "closest form",
                    "hx-swap": "outerHTML",
                    "hx-include": "closest form",
                    "hx-sync": "closest form:abort",
                }
            )
        links = Step.objects.filter(stage=stage).order_by("display_sequence")
        if self.instance.pk:
            links = links.exclude(pk=self.instance.pk)
        for name in ("success_step", "failure_step"):
            self.fields[name].queryset = links
            self.fields[name].empty_label = "(none)"
        if "next_stage_value" in self.fields:
            later = Stage.objects.filter(
                orchestration_id=stage.orchestration_id, display_sequence__gt=stage.display_sequence
            ).order_by("display_sequence")
            choices = [("", "(choose a later stage)")] + [(s.lifecycle_attr_value, s.name) for s in later]
            current = self.initial.get("next_stage_value") or self.instance.next_stage_value
            if current and current not in dict(choices):
                choices.append((current, f"{current} (no later stage has this value)"))
            self.fields["next_stage_value"].widget.choices = choices
        suggestions = sorted({str(s) for s in attribute_suggestions if s}, key=str.casefold)
        self.json_builders = {
            name: forms_json.build(self, name, switch_url=type_switch_url, suggestions=suggestions)
            for name in forms_json.JSON_SETTINGS
            if name in self.fields
        }

    def _clean_json(self, name: str, *, must_be_object: bool) -> str:
        stored = getattr(self.instance, name, "") or ""
        if self.json_builders[name].mode == forms_json.ROWS:
            text, problem = forms_json.clean(self, name, stored)
            if text is None:
                raise ValidationError(problem)
            return text
        # The browser sends a text area's line breaks as CR LF: what was stored, unchanged, stays as stored.
        text = (self.cleaned_data.get(name) or "").replace("\r\n", "\n")
        if not text.strip():
            return ""
        text = stored if text.strip() == stored.strip() else text.strip()
        value, problem = parse_json_setting(text)
        if problem:
            raise ValidationError(f"This {problem}.")
        if must_be_object and not isinstance(value, dict):
            raise ValidationError('Write it as a JSON object: {"FieldName": "value"}.')
        return text

    def clean_field_update_json(self):
        return self._clean_json("field_update_json", must_be_object=True)

    def clean_success_criteria(self):
        return self._clean_json("success_criteria", must_be_object=False)


class StepTaskForm(VersionedForm):
    class Meta:
        model = StepTask
        fields = ("activity_template_id", "activity_id", "smart_action_id", "assigned_to")
        labels = LABELS


class NumberListField(forms.Field):
    """A list of public numbers posted as repeated fields (the new order of a list)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(v).strip() for v in value]

    def validate(self, value):
        super().validate(value)
        if len(set(value)) != len(value):
            raise ValidationError("Each item may appear only once.")


class ReorderForm(forms.Form):
    order = NumberListField()


class StepObjectivesForm(forms.Form):
    objectives = forms.ModelMultipleChoiceField(
        queryset=StageObjective.objects.none(), to_field_name="number", required=False
    )

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objectives"].queryset = StageObjective.objects.filter(stage=stage)


TRI_STATE = [("", "(leave as is)"), ("yes", "Yes"), ("no", "No")]


class BulkForm(forms.Form):
    """Shared settings for several selected objects; blank means "leave as is"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def values(self) -> dict:
        values = {}
        for name, value in self.cleaned_data.items():
            if name in ("steps", "step_tasks") or value in (None, ""):
                continue
            values[name] = {"yes": True, "no": False}.get(value, value)
        return values

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.values():
            raise ValidationError("Choose at least one setting to change.")
        return cleaned


class StepBulkForm(BulkForm):
    steps = forms.ModelMultipleChoiceField(
        queryset=Step.objects.none(),
        to_field_name="number",
        error_messages={"required": "Select at least one step."},
    )
    grace_period = forms.IntegerField(
        label="Grace period (hours)",
        min_value=0,
        max_value=NUMBER9_MAX,
        required=False,
        error_messages={"max_value": NUMBER9_VALIDATORS[0].message},
    )
    allow_skip = forms.ChoiceField(label="Allow skip", choices=TRI_STATE, required=False)

    def __init__(self, *args, orchestration: Orchestration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["steps"].queryset = Step.objects.filter(stage__orchestration=orchestration)


class StepTaskBulkForm(BulkForm):
    step_tasks = forms.ModelMultipleChoiceField(
        queryset=StepTask.objects.none(),
        to_field_name="number",
        error_messages={"required": "Select at least one step task."},
    )
    assigned_to = forms.ChoiceField(
        label="Assigned to", choices=[("", "(leave as is)"), *AssignedTo.choices], required=False
    )
    activity_template_id = forms.IntegerField(
        label="Activity template ID",
        min_value=1,
        max_value=ORACLE_ID_MAX,
        required=False,
        error_messages={"max_value": ORACLE_ID_VALIDATORS[1].message},
    )

    def __init__(self, *args, orchestration: Orchestration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step_tasks"].queryset = StepTask.objects.filter(step__stage__orchestration=orchestration)
