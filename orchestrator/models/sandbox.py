"""Storage of the built-in sandbox: what the emulated CX Sales pod and the emulated Outreach hold.

Kept apart from the drafts on purpose: the sandbox stores the documents it
received, as the remote would, and never shares rows with the draft models.
"""

from typing import Any

from django.db import models

# The pod profile that wrote an orchestration and its stages is kept beside its
# header attributes under this key (no attribute name starts with "@"). Rows
# without it were written before profiles existed, in the documented shape.
PROFILE_KEY = "@profile"
DEFAULT_PROFILE = "documented"


class SandboxOrchestration(models.Model):
    number = models.CharField("OrchestrationNumber", max_length=64, unique=True)
    remote_id = models.BigIntegerField("OrchestrationId", unique=True)
    attributes = models.JSONField(default=dict, help_text="Header attributes as the emulated remote holds them")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "sandbox orchestration"

    def __str__(self) -> str:
        return self.number

    @property
    def profile(self) -> str:
        """The pod profile whose shape this orchestration and its stages are stored in."""
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        return str(attributes.get(PROFILE_KEY) or DEFAULT_PROFILE)

    @property
    def header(self) -> dict[str, Any]:
        """The header attributes without the profile marker."""
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        return {k: v for k, v in attributes.items() if k != PROFILE_KEY}


class SandboxStage(models.Model):
    orchestration = models.ForeignKey(SandboxOrchestration, on_delete=models.CASCADE, related_name="stages")
    number = models.CharField("OrchestrationStageNumber", max_length=64)
    remote_id = models.BigIntegerField("OrchestrationStageId", unique=True)
    document = models.JSONField(default=dict, help_text="The stage item with its nested children and their ids")
    change_indicator = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["orchestration", "number"]
        verbose_name = "sandbox stage"
        constraints = [
            models.UniqueConstraint(fields=["orchestration", "number"], name="sandbox_stage_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class SandboxSequence(models.Model):
    """Counters for the numeric ids the emulated remote hands out."""

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=300100000000000)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SandboxOutreachStage(models.Model):
    """An opportunity stage the emulated Outreach holds: its integer id and its attributes as Outreach shows them."""

    remote_id = models.PositiveBigIntegerField("Outreach id", unique=True)
    attributes = models.JSONField(
        default=dict, help_text="name, order, color, isClosed, createdAt, updatedAt (JSON:API attributes)"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["remote_id"]
        verbose_name = "sandbox Outreach stage"

    def __str__(self) -> str:
        return f"{self.remote_id}: {self.attributes.get('name') if isinstance(self.attributes, dict) else ''}"

    @property
    def resource(self) -> dict[str, Any]:
        """The stored stage as the emulator reads it: the attributes and the id."""
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        return {"id": self.remote_id, **attributes}


class SandboxRecord(models.Model):
    """A record the emulated CX Sales activities or B2C Service tasks hold (interaction, phone call, task)."""

    resource = models.CharField(
        max_length=60, help_text="cx_sales.interactions, cx_sales.phoneCalls, b2c_service.tasks"
    )
    remote_id = models.BigIntegerField("id the emulated remote gave")
    document = models.JSONField(default=dict, help_text="The record's attributes as the emulated remote keeps them")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["resource", "remote_id"]
        verbose_name = "sandbox record"
        constraints = [models.UniqueConstraint(fields=["resource", "remote_id"], name="sandbox_record_unique_id")]

    def __str__(self) -> str:
        return f"{self.resource} {self.remote_id}"
