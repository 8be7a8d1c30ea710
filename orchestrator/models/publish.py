"""What a publish did: the run, its plan per stage, every HTTP exchange, and what is live.

A `PublishRun` is one attempt to bring a connection's copy of an orchestration
up to date. Its `PublishStage` rows are the plan (create / update / delete /
unchanged per stage) and, as the run advances, the progress (planned → sent →
done or failed) with the remote's message beside the stage that failed.
`JournalEntry` rows record every HTTP attempt, credentials already redacted
(of a publish, or of a `remote.RemoteRun` of another kind).
`PublishedStage` remembers, per connection, the hash of the document last
accepted by the remote for each stage: it is what makes a re-publish send
only what changed and what tells a removed stage to be deleted.

These rows are written outside the draft's transactions on purpose: progress
must be visible to the publish page while the run is going, and a failure
half-way must leave what was done recorded.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .numbers import NUMBER_MAX_LENGTH
from .orchestration import NAME_MAX, Orchestration

CONNECTION_NAME_MAX = 40


class PublishRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    PARTIAL = "partial", "Partly published"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_RUN_STATUSES = (PublishRunStatus.QUEUED, PublishRunStatus.RUNNING)


class PublishReason(models.TextChoices):
    """Why a run ended the way it did; decides the CLI's exit code."""

    NONE = "", "—"
    VALIDATION = "validation", "Draft has problems"
    PAYLOAD = "payload", "Payload does not match the contract"
    DESCRIBE = "describe", "Remote metadata does not match"
    CONFLICT = "conflict", "Changed remotely"
    CREDENTIALS = "credentials", "Credentials refused"
    UNAVAILABLE = "unavailable", "Remote unavailable"
    CONFIG = "config", "Connection not configured"
    REMOTE = "remote", "Refused by the remote"
    INTERRUPTED = "interrupted", "Worker stopped"
    APPROVAL = "approval", "Not the approved content"


class PublishAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    UNCHANGED = "unchanged", "Unchanged"


class PublishStageStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SENT = "sent", "Sent"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class PublishRun(models.Model):
    """One publish of an orchestration to one connection (or a dry run of it)."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="publish_runs")
    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX, default="default")
    # Base URL, auth kind, framework version: never a secret (Connection.describe_safe()).
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
    # Changes whenever a worker takes the run over (start, resume): a worker
    # whose token is no longer the run's stops before its next write.
    worker_token = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="How many times a worker started or resumed it.")
    message = models.TextField(blank=True, help_text="One-line summary of the outcome.")
    remote_orchestration_id = models.BigIntegerField("OrchestrationId", null=True, blank=True)
    header_action = models.CharField(
        max_length=20, blank=True, help_text="'create' when the orchestration header had to be created remotely."
    )
    plan = models.JSONField(default=list, blank=True, help_text="The planned requests, in order.")
    validation_report = models.JSONField(default=list, blank=True)
    describe_report = models.JSONField(default=list, blank=True)
    # How the pod was spoken to: strategy, names resolved from its describe, code maps (never a secret).
    compatibility = models.JSONField(default=dict, blank=True)
    # sha256 of the draft's export document this run publishes (issue 10): pinned by whoever
    # started it after the approval gate (the worker refuses a draft that changed since), or
    # recorded by the worker from what it read. Empty for runs made before it was recorded.
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "publish run"
        constraints = [
            # A double click, a second CLI or a second worker cannot start a
            # competing publish of the same orchestration. Dry runs only read,
            # so they may run beside a real one.
            models.UniqueConstraint(
                fields=["orchestration"],
                condition=Q(status__in=["queued", "running"], dry_run=False),
                name="publish_run_one_active_per_orchestration",
            ),
        ]
        indexes = [
            models.Index(fields=["orchestration", "connection_name", "-created_at"], name="publish_run_latest_idx")
        ]

    def __str__(self) -> str:
        return f"Publish #{self.pk} of {self.orchestration_id} to {self.connection_name} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def is_finished(self) -> bool:
        return not self.is_active


class PublishStage(models.Model):
    """One line of a run's plan: what happens to one stage, and how it went."""

    run = models.ForeignKey(PublishRun, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(help_text="Order of the request within the run.")
    stage_number = models.CharField("OrchestrationStageNumber", max_length=NUMBER_MAX_LENGTH)
    stage_name = models.CharField(max_length=NAME_MAX, blank=True)
    display_sequence = models.IntegerField(null=True, blank=True, help_text="Empty for a stage being deleted.")
    action = models.CharField(max_length=20, choices=PublishAction.choices)
    strategy = models.CharField(
        max_length=20, blank=True, help_text="How the stage was written: 'nested' (one upsert) or 'stepwise' (by ids)."
    )
    status = models.CharField(max_length=20, choices=PublishStageStatus.choices, default=PublishStageStatus.PLANNED)
    document_hash = models.CharField(max_length=64, blank=True, help_text="sha256 of the stage document sent.")
    remote_message = models.TextField(blank=True, help_text="The remote's error, plain text (escaped when shown).")
    remote_status = models.PositiveIntegerField(null=True, blank=True)
    remote_id = models.BigIntegerField("OrchestrationStageId", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run", "position"]
        verbose_name = "publish stage"
        constraints = [
            models.UniqueConstraint(fields=["run", "stage_number"], name="publish_stage_unique_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.stage_number}: {self.status}"


class JournalEntry(models.Model):
    """One HTTP attempt made during a run, as sent and received, credentials redacted.

    The run is a publish (`run`) or a run of another kind (`remote_run`: an
    Outreach sync …), never both; `system` says which remote it went to.
    """

    run = models.ForeignKey(PublishRun, null=True, blank=True, on_delete=models.CASCADE, related_name="journal")
    remote_run = models.ForeignKey("RemoteRun", null=True, blank=True, on_delete=models.CASCADE, related_name="journal")
    system = models.CharField(max_length=30, default="cx_sales", help_text="remote.systems key of the remote")
    stage_number = models.CharField(max_length=NUMBER_MAX_LENGTH, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    attempt = models.PositiveIntegerField(default=1)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why the request was made.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(run__isnull=False, remote_run__isnull=True) | Q(run__isnull=True, remote_run__isnull=False),
                name="journal_entry_one_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code or self.error}"


class PublishedStage(models.Model):
    """What a connection last accepted for one stage of an orchestration."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="published_stages")
    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX)
    stage_number = models.CharField("OrchestrationStageNumber", max_length=NUMBER_MAX_LENGTH)
    stage_name = models.CharField(max_length=NAME_MAX, blank=True, help_text="Kept to name a stage deleted locally.")
    document_hash = models.CharField(max_length=64)
    # What the connection's dialect (names, codes, encodings, strategy) was: another one means "send again".
    dialect_hash = models.CharField(max_length=64, blank=True)
    remote_orchestration_id = models.BigIntegerField("OrchestrationId", null=True, blank=True)
    remote_id = models.BigIntegerField("OrchestrationStageId", null=True, blank=True)
    change_indicator = models.CharField(max_length=255, blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["orchestration", "connection_name", "stage_number"]
        verbose_name = "published stage"
        constraints = [
            models.UniqueConstraint(
                fields=["orchestration", "connection_name", "stage_number"], name="published_stage_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage_number} on {self.connection_name}"


class RemoteDescribe(models.Model):
    """Cached `GET …/orchestrations/describe` per connection and framework version (contract §5).

    Keyed by everything that changes the answer: the base URL, the REST
    framework version and the Metadata-Context sandbox. Kept for
    `CX_DESCRIBE_CACHE_SECONDS`; dropped when the remote refuses a stage,
    since that may mean its metadata changed.
    """

    connection_name = models.CharField(max_length=CONNECTION_NAME_MAX)
    base_url = models.CharField(max_length=500)
    framework_version = models.CharField(max_length=10)
    metadata_context = models.CharField(max_length=200, blank=True)
    document = models.JSONField(default=dict)
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name = "remote describe"
        constraints = [
            models.UniqueConstraint(
                fields=["connection_name", "base_url", "framework_version", "metadata_context"],
                name="remote_describe_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"describe of {self.connection_name} v{self.framework_version}"
