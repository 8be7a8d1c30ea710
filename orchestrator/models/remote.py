"""Runs against remote systems other than a CX Sales publish, and what Orchestrator remembers of those systems.

A `RemoteRun` is one run of any kind against one connection of one system
(an Outreach sync, a draft started from Outreach, and whatever comes next);
its HTTP exchanges are `JournalEntry` rows like a publish's
(`JournalEntry.remote_run`), so every exchange with every remote is in one
journal. What a run plans and does is kept on it as plain data (`lines`: one
entry per item it concerns, with the remote's answer beside it).

`OutreachStageLink` remembers which Outreach opportunity stage a local stage
was synced to, per connection. It is keyed by the stage's public number, not
by the row, so it survives a re-import of the same document.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .numbers import NUMBER_MAX_LENGTH
from .orchestration import Orchestration
from .publish import ACTIVE_RUN_STATUSES, CONNECTION_NAME_MAX, PublishReason, PublishRunStatus


class RemoteRunKind(models.TextChoices):
    OUTREACH_SYNC = "outreach_sync", "Sync to Outreach"
    OUTREACH_IMPORT = "outreach_import", "Draft from Outreach"
    REHEARSAL = "rehearsal", "Rehearsal"
    REHEARSAL_CLEANUP = "rehearsal_cleanup", "Rehearsal clean-up"
    CATALOGUE_REFRESH = "catalogue_refresh", "Catalogue refresh"


class RemoteRun(models.Model):
    """One run against a remote system: its plan, its outcome and (through the journal) every exchange."""

    kind = models.CharField(max_length=30, choices=RemoteRunKind.choices)
    system = models.CharField(max_length=30, help_text="remote.systems key: cx_sales, outreach …")
    orchestration = models.ForeignKey(
        Orchestration, null=True, blank=True, on_delete=models.CASCADE, related_name="remote_runs"
    )
    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX, default="default")
    # Base URL and auth kind: never a secret (Connection.describe_safe()).
    connection_info = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=PublishRunStatus.choices, default=PublishRunStatus.QUEUED)
    reason = models.CharField(max_length=20, choices=PublishReason.choices, default=PublishReason.NONE, blank=True)
    dry_run = models.BooleanField(default=False, help_text="Only reads the remote and plans; writes nothing.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="One-line summary of the outcome.")
    # What the run was asked to do beyond its kind (e.g. the remote ids whose deletion was confirmed).
    options = models.JSONField(default=dict, blank=True)
    # One entry per item: what was planned, what was done, the remote's answer (plain data, shown escaped).
    lines = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "remote run"
        constraints = [
            # Two syncs of one orchestration at once would both create the missing stages.
            models.UniqueConstraint(
                fields=["kind", "orchestration"],
                condition=Q(status__in=["queued", "running"], dry_run=False),
                name="remote_run_one_active_per_orchestration",
            ),
        ]
        indexes = [models.Index(fields=["orchestration", "kind", "-created_at"], name="remote_run_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} on {self.connection_name} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def is_finished(self) -> bool:
        return not self.is_active


class OutreachStageLink(models.Model):
    """The Outreach opportunity stage (integer id) a local stage was last synced to on one connection."""

    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX)
    stage_number = models.CharField("OrchestrationStageNumber", max_length=NUMBER_MAX_LENGTH)
    orchestration_number = models.CharField("OrchestrationNumber", max_length=NUMBER_MAX_LENGTH)
    remote_id = models.PositiveBigIntegerField("Outreach id")
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["connection_name", "orchestration_number", "stage_number"]
        verbose_name = "Outreach stage link"
        constraints = [
            models.UniqueConstraint(fields=["connection_name", "stage_number"], name="outreach_link_unique_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_number} → Outreach {self.remote_id} on {self.connection_name}"
