"""Review: comments on a draft and approvals of one exact content (PRODUCT journey 4).

Both carry the `content_hash` of the export document at the time they were
made (`services.review.content_hash`): an approval holds for that content
only, so an edit after it makes the approval stale rather than silently
extending it to something nobody reviewed. A connection may require an
approval of exactly the content it receives (`CX_<NAME>_REQUIRE_APPROVAL`).

A comment may be about one stage, objective, step or step task (`anchor_kind`
and its public number, which never changes), may request changes (a
reviewer's decision, like an approval), and is resolved once dealt with.

`DraftEditor` remembers who wrote to each draft and when they last did, so
the four-eyes rule can refuse an approval to someone who changed the content
since its latest approval (or created it).
"""

from django.conf import settings
from django.db import models

from .numbers import NUMBER_MAX_LENGTH
from .orchestration import TEXT_VALIDATORS, Orchestration

COMMENT_MAX = 2000
NOTE_MAX = 500
HASH_LENGTH = 64  # sha256, hex


class AnchorKind(models.TextChoices):
    """What a comment may be about, besides the whole orchestration (the designer's DOM id prefixes)."""

    STAGE = "stage", "stage"
    OBJECTIVE = "objective", "objective"
    STEP = "step", "step"
    STEP_TASK = "step_task", "step task"


class ReviewComment(models.Model):
    """A reviewer's (or designer's, or publisher's) remark on a draft, or a reviewer's request for changes."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=COMMENT_MAX, validators=TEXT_VALIDATORS)
    content_hash = models.CharField(max_length=HASH_LENGTH, help_text="sha256 of the export document commented on.")
    created_at = models.DateTimeField(auto_now_add=True)
    anchor_kind = models.CharField(max_length=20, choices=AnchorKind.choices, blank=True)
    anchor_number = models.CharField(max_length=NUMBER_MAX_LENGTH, blank=True, help_text="The public number.")
    requests_changes = models.BooleanField(default=False, help_text="A reviewer's decision: this must change.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["orchestration", "created_at", "pk"]
        verbose_name = "review comment"
        indexes = [models.Index(fields=["orchestration", "created_at"], name="review_comment_orch_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.orchestration_id} by {self.author_id}"


class Approval(models.Model):
    """A reviewer's approval of one exact content of a draft."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="approvals")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    content_hash = models.CharField(max_length=HASH_LENGTH, help_text="sha256 of the export document approved.")
    note = models.CharField(max_length=NOTE_MAX, blank=True, validators=TEXT_VALIDATORS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["orchestration", "-created_at", "-pk"]
        verbose_name = "approval"
        indexes = [models.Index(fields=["orchestration", "-created_at"], name="approval_orch_latest_idx")]

    def __str__(self) -> str:
        return f"Approval of {self.orchestration_id} by {self.reviewer_id}"


class DraftEditor(models.Model):
    """Someone who wrote to a draft (created, edited, imported or pulled it), and when they last did."""

    orchestration = models.ForeignKey(Orchestration, on_delete=models.CASCADE, related_name="editors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    edited_at = models.DateTimeField()

    class Meta:
        verbose_name = "draft editor"
        constraints = [
            models.UniqueConstraint(fields=["orchestration", "user"], name="draft_editor_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} edited {self.orchestration_id} at {self.edited_at:%Y-%m-%d %H:%M}"
