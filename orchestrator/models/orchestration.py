"""The draft hierarchy, mirroring the CX Sales resources (payload-contract §2, §4).

Field lengths and choices are the contract's. Only rules about a single field
live here; rules that span objects (a WAIT step needs days or hours, links stay
inside one stage, …) live in `orchestrator.validation`, because a draft may be
incomplete while it is being designed and the designer must still save it.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from .numbers import NUMBER_MAX_LENGTH, issue_number, validate_public_number
from .text import validate_json_setting, validate_plain_text

NAME_MAX = 100
DESCRIPTION_MAX = 2000
SUGGESTION_MAX = 1000
CODE_MAX = 30

# Integer ranges are the remote's columns, the same on every database (SQLite would
# store 2**63 - 1 where PostgreSQL refuses 2**31): days, hours, grace periods, ranks and
# display sequences are NUMBER(9), ids NUMBER(18) and positive.
NUMBER9_MAX = 999_999_999
ORACLE_ID_MAX = 10**18 - 1
NUMBER9_VALIDATORS = [MaxValueValidator(NUMBER9_MAX, f"At most {NUMBER9_MAX:,}: CX Sales keeps this in 9 digits.")]
SIGNED_NUMBER9_VALIDATORS = [
    MinValueValidator(-NUMBER9_MAX, f"At least {-NUMBER9_MAX:,}: CX Sales keeps this in 9 digits."),
    *NUMBER9_VALIDATORS,
]
# Free text: no NUL, no lone surrogate (models.text); JSON settings are also bounded in size and depth.
TEXT_VALIDATORS = [validate_plain_text]
JSON_SETTING_VALIDATORS = [validate_plain_text, validate_json_setting]
ORACLE_ID_VALIDATORS = [MinValueValidator(1), MaxValueValidator(ORACLE_ID_MAX, "An Oracle id has at most 18 digits.")]


class ObjectCode(models.TextChoices):
    OPPORTUNITY = "Opportunity", "Opportunity"
    LEAD = "Lead", "Lead"


class OrchestrationStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    ACTIVE = "ACTIVE", "Active"
    ARCHIVED = "ARCHIVED", "Archived"


class StepType(models.TextChoices):
    TASK = "TASK", "Task"
    APPOINTMENT = "APPOINTMENT", "Appointment"
    NEXT_STAGE = "NEXT_STAGE", "Next stage"
    WAIT = "WAIT", "Wait"
    FIELD_UPDATE = "FIELD_UPDATE", "Field update"
    EMAIL_AUTOMATION = "EMAIL_AUTOMATION", "Email"
    STOP = "STOP", "Stop"


class ExecutionMethod(models.TextChoices):
    MANUAL = "MANUAL", "Manual"
    AUTOMATIC = "AUTOMATIC", "Automatic"


class ObjectiveStatus(models.TextChoices):
    NEW = "NEW", "New"
    MAPPED = "MAPPED", "Mapped"


class AssignedTo(models.TextChoices):
    OWNER = "OWNER", "Owner"
    TEAM_MEMBER = "TEAM_MEMBER", "Team member"


MANUAL_STEP_TYPES = frozenset({StepType.TASK, StepType.APPOINTMENT})

# Which optional step settings each step type uses (contract §2, step table).
# The designer shows only these, the payload builder sends only these, and the
# validation module reports a value set on a type that does not use it.
STEP_TYPE_SETTINGS: dict[str, tuple[str, ...]] = {
    StepType.TASK: ("activity_template_id", "smart_action_id", "grace_period"),
    StepType.APPOINTMENT: ("activity_template_id", "grace_period"),
    StepType.NEXT_STAGE: ("next_stage_value",),
    StepType.WAIT: ("days_to_wait", "hours_to_wait"),
    StepType.FIELD_UPDATE: ("field_update_json",),
    StepType.EMAIL_AUTOMATION: ("email_template_id", "wait_for_replies"),
    StepType.STOP: ("exit_orchestration",),
}
# Settings every step type may use.
COMMON_STEP_SETTINGS = ("suggestion_text", "allow_skip", "success_step", "failure_step", "success_criteria")
TYPE_SPECIFIC_SETTINGS = tuple(dict.fromkeys(name for names in STEP_TYPE_SETTINGS.values() for name in names))


def _oracle_id(verbose_name: str, **kwargs) -> models.PositiveBigIntegerField:
    """A NUMBER(18) Oracle id: positive, at most 18 digits."""
    return models.PositiveBigIntegerField(verbose_name, validators=ORACLE_ID_VALIDATORS, **kwargs)


def _sequence_field() -> models.IntegerField:
    return models.IntegerField("DisplaySequence", validators=NUMBER9_VALIDATORS)


# Outreach settings of a stage (issue 8): kept with the draft and its document, never sent to CX Sales.
OUTREACH_COLOR_LENGTH = 7
outreach_color_validator = RegexValidator(
    r"^#[0-9a-f]{6}\Z", "Give the colour as #rrggbb (six hexadecimal digits), or leave it empty."
)


def _number_field(verbose_name: str) -> models.CharField:
    return models.CharField(
        verbose_name, max_length=NUMBER_MAX_LENGTH, unique=True, editable=False, validators=[validate_public_number]
    )


class DraftObject(models.Model):
    """What every drafted object carries: its public number (issued on first save),
    a version for optimistic locking of in-place edits (services bump it), and
    the remote id once a publish or pull has learnt it."""

    version = models.PositiveIntegerField(default=1, editable=False)
    remote_id = models.BigIntegerField("remote id", null=True, blank=True, editable=False)
    remote_change_indicator = models.CharField(max_length=255, blank=True, editable=False)

    NUMBER_KIND = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = issue_number(self.NUMBER_KIND)
        super().save(*args, **kwargs)


class Orchestration(DraftObject):
    NUMBER_KIND = "orchestration"

    number = models.CharField(
        "OrchestrationNumber", max_length=NUMBER_MAX_LENGTH, unique=True, validators=[validate_public_number]
    )
    name = models.CharField("OrchestrationName", max_length=NAME_MAX, validators=TEXT_VALIDATORS)
    description = models.CharField(
        "OrchestrationDescription", max_length=DESCRIPTION_MAX, blank=True, validators=TEXT_VALIDATORS
    )
    object_code = models.CharField(
        "ObjectCode", max_length=NAME_MAX, choices=ObjectCode.choices, default=ObjectCode.OPPORTUNITY
    )
    lifecycle_attribute_name = models.CharField(
        "LifecycleAttributeName", max_length=NAME_MAX, default="SalesStage", validators=TEXT_VALIDATORS
    )
    association_rank = models.IntegerField(
        "AssociationRank", null=True, blank=True, validators=SIGNED_NUMBER9_VALIDATORS
    )
    status = models.CharField(
        max_length=CODE_MAX, choices=OrchestrationStatus.choices, default=OrchestrationStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Goes up by one with every write to the draft (the header or anything in the tree): a write is
    # serialised by the lock on this row, so "revision K + 1" names exactly one write after state K.
    # The designer keeps the validator's answer for a revision and revalidates only what a write touched.
    tree_revision = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "number"]
        permissions = [
            ("review_orchestration", "Can review and approve orchestrations"),
            ("publish_orchestration", "Can publish orchestrations to CX Sales"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


def bump_tree_revision(orchestration_id: int) -> None:
    """Record a write to the draft that did not go through the services (an admin edit, for instance)."""
    Orchestration.objects.filter(pk=orchestration_id).update(tree_revision=models.F("tree_revision") + 1)


class ProblemCache(models.Model):
    """The validator's problems of one draft at one `tree_revision`, grouped by stage number ("" first).

    Kept so that an edit revalidates only the stage it changed: the rest comes
    from here when the draft has not changed since but by that edit. Never the
    truth on its own — the designer page validates the whole tree and rewrites it.
    """

    orchestration = models.OneToOneField(
        Orchestration, on_delete=models.CASCADE, primary_key=True, related_name="problem_cache"
    )
    revision = models.PositiveBigIntegerField()
    summary = models.CharField(max_length=64)  # fingerprint of what the rules read across stages
    problems = models.JSONField(default=dict)  # {stage number or "": [[code, message, kind, number, field], …]}

    class Meta:
        verbose_name = "problem cache"

    def __str__(self) -> str:
        return f"problems of {self.orchestration_id} at revision {self.revision}"


class Stage(DraftObject):
    NUMBER_KIND = "stage"

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="stages")
    number = _number_field("OrchestrationStageNumber")
    display_sequence = _sequence_field()
    name = models.CharField("StageName", max_length=NAME_MAX, validators=TEXT_VALIDATORS)
    description = models.CharField(
        "StageDescription", max_length=DESCRIPTION_MAX, blank=True, validators=TEXT_VALIDATORS
    )
    lifecycle_attr_value = models.CharField("LifecycleAttrValue", max_length=NAME_MAX, validators=TEXT_VALIDATORS)
    # -- Outreach (never part of a CX Sales payload) --
    outreach_color = models.CharField(
        "Outreach colour",
        max_length=OUTREACH_COLOR_LENGTH,
        blank=True,
        validators=[outreach_color_validator],
        help_text="The opportunity stage's colour in Outreach, #rrggbb; empty leaves Outreach's own.",
    )
    outreach_is_closed = models.BooleanField(
        "Outreach closing stage",
        null=True,
        blank=True,
        help_text="isClosed of the opportunity stage in Outreach; empty leaves Outreach's own.",
    )

    class Meta:
        ordering = ["orchestration", "display_sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["orchestration", "display_sequence"], name="stage_sequence_unique_per_orchestration"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageObjective(DraftObject):
    NUMBER_KIND = "objective"

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="objectives")
    number = _number_field("StageObjectiveNumber")
    display_sequence = _sequence_field()
    name = models.CharField("ObjectiveName", max_length=NAME_MAX, validators=TEXT_VALIDATORS)
    description = models.CharField(
        "ObjectiveDescription", max_length=DESCRIPTION_MAX, blank=True, validators=TEXT_VALIDATORS
    )

    class Meta:
        ordering = ["stage", "display_sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "display_sequence"], name="objective_sequence_unique_per_stage"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status(self) -> str:
        """NEW until a step serves it, MAPPED after (contract §2).

        Derived, never stored, so it cannot drift from the associations. Uses
        the prefetched associations when the tree selector loaded them.
        """
        return ObjectiveStatus.MAPPED if self.associations.all() else ObjectiveStatus.NEW


class Step(DraftObject):
    NUMBER_KIND = "step"

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="steps")
    number = _number_field("OrchestrationStepNumber")
    display_sequence = _sequence_field()
    name = models.CharField("OrchestrationStepName", max_length=NAME_MAX, validators=TEXT_VALIDATORS)
    step_type = models.CharField("StepType", max_length=CODE_MAX, choices=StepType.choices, default=StepType.TASK)
    suggestion_text = models.CharField(
        "StepSuggestionText", max_length=SUGGESTION_MAX, blank=True, validators=TEXT_VALIDATORS
    )
    activity_template_id = _oracle_id("ActivityTemplateId", null=True, blank=True)
    smart_action_id = _oracle_id("SmartActionId", null=True, blank=True)
    email_template_id = _oracle_id("EmailTemplateId", null=True, blank=True)
    days_to_wait = models.PositiveIntegerField("DaysToWait", null=True, blank=True, validators=NUMBER9_VALIDATORS)
    hours_to_wait = models.PositiveIntegerField("HoursToWait", null=True, blank=True, validators=NUMBER9_VALIDATORS)
    next_stage_value = models.CharField("NextStageValue", max_length=NAME_MAX, blank=True, validators=TEXT_VALIDATORS)
    field_update_json = models.TextField("FieldUpdateJson", blank=True, validators=JSON_SETTING_VALIDATORS)
    grace_period = models.PositiveIntegerField(
        "GracePeriod (hours)", null=True, blank=True, validators=NUMBER9_VALIDATORS
    )
    allow_skip = models.BooleanField("AllowSkipFlag", default=False)
    wait_for_replies = models.BooleanField("WaitForRepliesFlag", default=False)
    exit_orchestration = models.BooleanField("ExitOrchestrationFlag", default=False)
    success_step = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="SuccessStepNumber"
    )
    failure_step = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="FailureStepNumber"
    )
    success_criteria = models.TextField("SuccessCriteria", blank=True, validators=JSON_SETTING_VALIDATORS)

    class Meta:
        ordering = ["stage", "display_sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "display_sequence"], name="step_sequence_unique_per_stage"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def execution_method(self) -> str:
        """TASK and APPOINTMENT are MANUAL, every other type AUTOMATIC (contract §2)."""
        return ExecutionMethod.MANUAL if self.step_type in MANUAL_STEP_TYPES else ExecutionMethod.AUTOMATIC

    @property
    def used_settings(self) -> tuple[str, ...]:
        return STEP_TYPE_SETTINGS.get(self.step_type, ())


class StepTask(DraftObject):
    NUMBER_KIND = "step_task"

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="tasks")
    number = _number_field("StepTasksNumber")
    display_sequence = _sequence_field()
    activity_template_id = _oracle_id("ActivityTemplateId")
    activity_id = _oracle_id("ActivityId")
    smart_action_id = _oracle_id("SmartActionId", null=True, blank=True)
    assigned_to = models.CharField("AssignedTo", max_length=CODE_MAX, choices=AssignedTo.choices, blank=True)

    class Meta:
        ordering = ["step", "display_sequence"]
        constraints = [
            models.UniqueConstraint(fields=["step", "display_sequence"], name="step_task_sequence_unique_per_step"),
        ]

    def __str__(self) -> str:
        return f"Task {self.display_sequence} of {self.step_id}"


class StepObjectiveAssociation(DraftObject):
    """A step serves an objective ("serves objective" in the interface)."""

    NUMBER_KIND = "association"

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="associations")
    objective = models.ForeignKey(StageObjective, on_delete=models.CASCADE, related_name="associations")
    number = _number_field("StepObjectiveAssocNumber")

    class Meta:
        ordering = ["step", "objective__display_sequence"]
        constraints = [
            models.UniqueConstraint(fields=["step", "objective"], name="association_unique_per_step_objective"),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} serves {self.objective_id}"
