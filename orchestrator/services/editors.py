"""Who wrote to a draft: the record the four-eyes rule of approvals reads (services.review).

Every service that changes a draft's content — the designer's edits, creating,
cloning, importing, pulling — calls `draft_editor_record`: one upsert, so an
edit costs one query more whatever the size of the tree.
"""

from django.utils import timezone

from ..models import DraftEditor


def draft_editor_record(*, orchestration_id: int, user) -> None:
    """Note that `user` changed the draft now (nothing for the command line, which has no user)."""
    if user is None or not user.is_authenticated:
        return
    DraftEditor.objects.bulk_create(
        [DraftEditor(orchestration_id=orchestration_id, user=user, edited_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["orchestration", "user"],
        update_fields=["edited_at"],
    )


def changed_since(*, orchestration_id: int, user, since) -> bool:
    """True when `user` wrote to the draft after `since` (None: ever, i.e. since it was created)."""
    edits = DraftEditor.objects.filter(orchestration_id=orchestration_id, user=user)
    if since is not None:
        edits = edits.filter(edited_at__gt=since)
    return edits.exists()
