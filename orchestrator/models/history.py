"""History: every change to an orchestration's tree is a revision (issue 10, item 6).

A `Revision` keeps the whole export document (payload-contract §6) of the
draft right after one user action — an edit, a reorder, a bulk edit, an
import, a pull, a restore — with who, when and a one-line summary. The
document's sha256 is the same `content_hash` approvals, comments and
publishes carry, so "the approved content" and "what was published" are
revisions too, and any two of them can be compared (`services.changes`) or
restored (`services.history.revision_restore`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .orchestration import Orchestration
from .review import HASH_LENGTH

SUMMARY_MAX = 300


class RevisionAction(models.TextChoices):
    BASELINE = "baseline", "History starts"
    CREATE = "create", "Created"
    EDIT = "edit", "Edited"
    IMPORT = "import", "Imported"
    PULL = "pull", "Pulled"
    CLONE = "clone", "Cloned"
    RESTORE = "restore", "Restored"


class Revision(models.Model):
    """The draft's content after one user action."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3 … per orchestration.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20, choices=RevisionAction.choices, default=RevisionAction.EDIT)
    summary = models.CharField(max_length=SUMMARY_MAX)
    content_hash = models.CharField(max_length=HASH_LENGTH, help_text="sha256 of `document`.")
    document = models.TextField(help_text="The export document, exactly as exported.")
    problem_count = models.PositiveIntegerField(default=0, help_text="Validation problems of this content.")
    restored_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The draft's `tree_revision` this content was taken at: the next edit may then rebuild only the
    # stages it touched from this document (services.history), knowing no write came in between.
    tree_revision = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["orchestration", "-number"]
        verbose_name = "revision"
        constraints = [
            models.UniqueConstraint(fields=["orchestration", "number"], name="revision_number_unique_per_orchestration")
        ]
        indexes = [models.Index(fields=["orchestration", "content_hash"], name="revision_orch_hash_idx")]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.orchestration_id}"
