"""Rehearsals: a stage's steps played on a test record, what that created in which system, and its clean-up.

A `Rehearsal` is one stage (or every stage, ``stage_number`` empty) of an
orchestration played on one test opportunity, through one CX Sales and one
B2C Service connection. Rehearsing the same stage on the same record again
continues it (a database constraint allows one rehearsal per stage, record
and connections until it is cleaned up), creating only what is missing.

Each record it created is a `RehearsalRecord`: which system, which resource,
the id the remote gave, a link to it, and the `key` of the planned item it
stands for (the step and task it came from) — so a second run knows what is
already there, and the clean-up knows what to delete. Each run and each
clean-up is a `RemoteRun` (kind ``rehearsal`` / ``rehearsal_cleanup``) with
its journal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .numbers import NUMBER_MAX_LENGTH
from .orchestration import Orchestration
from .publish import CONNECTION_NAME_MAX
from .remote import RemoteRun

RECORD_ID_MAX = 18  # digits of an Oracle id (int64)


class RehearsalStatus(models.TextChoices):
    PLANNED = "planned", "Not run yet"
    RUNNING = "running", "Running"
    PARTIAL = "partial", "Partly created"
    DONE = "done", "Created"
    CLEANING = "cleaning", "Cleaning up"
    CLEANUP_PARTIAL = "cleanup_partial", "Partly cleaned up"
    CLEANED = "cleaned", "Cleaned up"


class Rehearsal(models.Model):
    """One stage (or all) of an orchestration played on one test opportunity."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="rehearsals")
    stage_number = models.CharField(
        "OrchestrationStageNumber", max_length=NUMBER_MAX_LENGTH, blank=True, help_text="empty: every stage"
    )
    opportunity_id = models.PositiveBigIntegerField("CX Sales opportunity id (ObjectId)")
    b2c_opportunity_id = models.PositiveBigIntegerField("B2C Service opportunity id", null=True, blank=True)
    cx_connection = models.CharField(max_length=CONNECTION_NAME_MAX, default="default")
    b2c_connection = models.CharField(max_length=CONNECTION_NAME_MAX, default="default")
    status = models.CharField(max_length=20, choices=RehearsalStatus.choices, default=RehearsalStatus.PLANNED)
    message = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cleaned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A second rehearsal of the same stage on the same record continues the first, until it is cleaned up.
            models.UniqueConstraint(
                fields=["orchestration", "stage_number", "opportunity_id", "cx_connection", "b2c_connection"],
                condition=Q(cleaned_at__isnull=True),
                name="rehearsal_one_open_per_stage_and_record",
            ),
        ]

    def __str__(self) -> str:
        return f"Rehearsal #{self.pk} of {self.stage_number or 'every stage'} on {self.opportunity_id}"

    @property
    def is_cleaned(self) -> bool:
        return self.cleaned_at is not None

    @property
    def marker(self) -> str:
        """What every record of this rehearsal carries, so it can be found again: ``RH<id>``."""
        return f"RH{self.pk}"


class RehearsalRecordKind(models.TextChoices):
    B2C_TASK = "b2c_task", "B2C Service task"
    INTERACTION = "interaction", "CX Sales interaction"
    PHONE_CALL = "phone_call", "CX Sales phone call"


class RehearsalRecordStatus(models.TextChoices):
    CREATED = "created", "Created"
    DELETED = "deleted", "Deleted"
    GONE = "gone", "Already gone"
    DELETE_FAILED = "delete_failed", "Could not delete"


class RehearsalRecord(models.Model):
    """A record a rehearsal created in a remote system: enough to show it, link to it and delete it."""

    rehearsal = models.ForeignKey(Rehearsal, on_delete=models.CASCADE, related_name="records")
    key = models.CharField(max_length=30, help_text="the planned item: our marker, also CallNumber or in the name")
    kind = models.CharField(max_length=20, choices=RehearsalRecordKind.choices)
    system = models.CharField(max_length=30, help_text="remote.systems key")
    remote_id = models.PositiveBigIntegerField()
    link = models.CharField(max_length=2000, blank=True)
    stage_number = models.CharField(max_length=NUMBER_MAX_LENGTH, blank=True)
    step_number = models.CharField(max_length=NUMBER_MAX_LENGTH, blank=True)
    label = models.CharField(max_length=300, blank=True, help_text="what it is, in words")
    status = models.CharField(
        max_length=20, choices=RehearsalRecordStatus.choices, default=RehearsalRecordStatus.CREATED
    )
    message = models.TextField(blank=True, help_text="why it could not be deleted, or how it was found")
    created_by_run = models.ForeignKey(RemoteRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rehearsal", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rehearsal", "kind", "key"], name="rehearsal_record_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.remote_id}"
