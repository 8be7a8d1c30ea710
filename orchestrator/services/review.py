"""Review (PRODUCT journey 4): comments, approval of one exact content, and what differs from what is live.

- `content_hash(tree)`: the sha256 of the draft's export document, the identity
  of "this content". Comments and approvals record it, so an approval is for
  what the reviewer saw and becomes stale as soon as the draft changes.
- `review_comment_add` / `orchestration_approve`: the two writes. Four eyes:
  nobody approves content they created or changed since its latest approval
  (`own_change_since_approval`), unless REVIEW_ALLOW_SELF_APPROVAL is set.
- `approval_state(tree)`: approved / approved an earlier content / not approved.
- `live_diff`: each stage as the draft would send it against the copy a
  connection holds now, as a unified text diff. Remote trouble is reported as
  a plain message in the result, never raised: the review page shows it in
  place of the diff.

Publishing does not require an approval; the publish page only shows the state.
"""

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import roles
from ..models import Approval, Orchestration, PublishedStage, ReviewComment
from ..models.review import COMMENT_MAX, NOTE_MAX
from ..models.text import text_problem
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient
from ..remote.cx import CxSalesApi
from ..selectors import orchestration_tree
from ..validation import validate_orchestration
from .documents import dumps_document, orchestration_document, stage_document
from .editors import changed_since
from .payload import PayloadInvalid, build_stage_payloads
from .publish_run import client_options
from .pulling import read_remote, remote_document

SELF_APPROVAL_REFUSED = (
    "Not approved: you created this draft or changed it since its last approval, "
    "so another reviewer must approve it (four eyes)."
)


def content_hash(orch_tree: Orchestration) -> str:
    """sha256 (hex) of the draft's export document: equal drafts, equal hashes.

    `orch_tree` comes from `selectors.orchestration_tree` (no queries here).
    """
    return hashlib.sha256(dumps_document(orchestration_document(orch_tree)).encode()).hexdigest()


def _tree(orchestration: Orchestration) -> Orchestration:
    """The prefetched tree of `orchestration` (reused when it already is one)."""
    if "stages" in getattr(orchestration, "_prefetched_objects_cache", {}):
        return orchestration
    return orchestration_tree(orchestration.number)


@transaction.atomic
def review_comment_add(*, orchestration: Orchestration, user, body: str) -> ReviewComment:
    """Add a comment on the draft's current content.

    Raises ValidationError({"body": …}) when the comment is empty or longer than
    COMMENT_MAX characters, PermissionDenied when `user` may not comment.
    """
    if not roles.can_comment(user):
        raise PermissionDenied("Only designers, reviewers and publishers may comment.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": f"A comment is at most {COMMENT_MAX} characters (this one has {len(body)})."})
    if problem := text_problem(body):
        raise ValidationError({"body": f"This {problem}."})
    comment = ReviewComment(
        orchestration=orchestration, author=user, body=body, content_hash=content_hash(_tree(orchestration))
    )
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def orchestration_approve(*, orchestration: Orchestration, user, note: str = "") -> Approval:
    """Approve the draft's current content.

    Refused with a ValidationError naming the reason when the draft has
    validation problems or would break the payload contract (an approval says
    "this may go to the reps"), or when the note is too long; PermissionDenied
    when `user` is not a reviewer.
    """
    if not roles.can_review(user):
        raise PermissionDenied("Only reviewers may approve.")
    # The row lock every edit takes first (drafts._stamp): no edit slips in between this check and the approval.
    Orchestration.objects.select_for_update().filter(pk=orchestration.pk).exists()
    if own_change_since_approval(orchestration, user):
        raise ValidationError(SELF_APPROVAL_REFUSED)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"A note is at most {NOTE_MAX} characters (this one has {len(note)})."})
    if problem := text_problem(note):
        raise ValidationError({"note": f"This {problem}."})
    tree = _tree(orchestration)
    problems = validate_orchestration(tree)
    if problems:
        count = len(problems)
        raise ValidationError(
            f"Not approved: the draft has {count} problem{'s' if count != 1 else ''} to fix first "
            f"(the first: {problems[0].message})"
        )
    try:
        build_stage_payloads(tree)
    except PayloadInvalid as exc:
        raise ValidationError(f"Not approved: the draft breaks the payload contract ({exc}).") from exc
    approval = Approval(orchestration=orchestration, reviewer=user, note=note, content_hash=content_hash(tree))
    approval.full_clean()
    approval.save()
    return approval


def own_change_since_approval(orchestration: Orchestration, user, state: "ApprovalState | None" = None) -> bool:
    """True when the four-eyes rule keeps `user` from approving: they created the draft or changed it since
    its latest approval. Superusers too; REVIEW_ALLOW_SELF_APPROVAL lifts the rule.

    `state` saves the query for the latest approval when the caller has it.
    """
    if settings.REVIEW_ALLOW_SELF_APPROVAL:
        return False
    if state is not None:
        latest = state.approval.created_at if state.approval else None
    else:
        latest = (
            Approval.objects.filter(orchestration=orchestration)
            .order_by("-created_at", "-pk")
            .values_list("created_at", flat=True)
            .first()
        )
    return changed_since(orchestration_id=orchestration.pk, user=user, since=latest)


@dataclass(frozen=True)
class ApprovalState:
    """The latest approval of a draft and whether it is for the content the draft has now."""

    approved: bool  # the latest approval is for the current content
    approval: Approval | None  # the latest approval, whatever content it was for
    stale: bool  # the latest approval was for an earlier content


def approval_state(tree: Orchestration) -> ApprovalState:
    """Approval state of the prefetched `tree` (1 query: the latest approval with its reviewer)."""
    latest = Approval.objects.filter(orchestration=tree).select_related("reviewer").order_by("-created_at", "-pk")
    approval = latest.first()
    if approval is None:
        return ApprovalState(approved=False, approval=None, stale=False)
    current = approval.content_hash == content_hash(tree)
    return ApprovalState(approved=current, approval=approval, stale=not current)


def approval_state_of(orchestration: Orchestration) -> ApprovalState:
    """`approval_state` of an orchestration that is not loaded as a tree yet (8 queries)."""
    return approval_state(_tree(orchestration))


def review_comments(orchestration: Orchestration) -> list[ReviewComment]:
    """Every comment on the draft, oldest first, with its author (1 query)."""
    return list(
        ReviewComment.objects.filter(orchestration=orchestration).select_related("author").order_by("created_at", "pk")
    )


def known_orchestration_id(orchestration: Orchestration, connection_name: str) -> int | None:
    """The OrchestrationId `connection_name` gave the orchestration at its last publish, or None (1 query).

    The stage bodies carry it; before the first publish there it is not known
    (the publish creates the header first and learns it then).
    """
    return (
        PublishedStage.objects.filter(
            orchestration=orchestration, connection_name=connection_name, remote_orchestration_id__isnull=False
        )
        .order_by("-published_at", "-pk")
        .values_list("remote_orchestration_id", flat=True)
        .first()
    )


# -- what differs from what is live ------------------------------------------------------------------------------

SAME, CHANGED, ONLY_LOCAL, ONLY_REMOTE = "same", "changed", "only_local", "only_remote"
STATUS_LABELS = {
    SAME: "Same as live",
    CHANGED: "Changed",
    ONLY_LOCAL: "Only in the draft",
    ONLY_REMOTE: "Only on the remote",
}
# Child arrays of a stage document and the attribute that identifies an item.
_CHILD_NUMBERS = {
    "StageObjectives": "StageObjectiveNumber",
    "Steps": "OrchestrationStepNumber",
    "StepTasks": "StepTasksNumber",
    "StepObjectivesAssociations": "StepObjectiveAssocNumber",
}


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff; `kind` is "add", "remove", "hunk", "file" or "context"."""

    kind: str
    text: str

    @property
    def sign(self) -> str:
        """A word for the line's kind, for readers who cannot rely on colour or the leading sign."""
        return {"add": "added", "remove": "removed"}.get(self.kind, "")


@dataclass
class StageDiff:
    stage_number: str
    stage_name: str
    status: str  # SAME | CHANGED | ONLY_LOCAL | ONLY_REMOTE
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class LiveDiff:
    """The draft against what `connection_name` holds; `message` is set instead of stages when that is unknown."""

    connection_name: str
    stages: list[StageDiff] = field(default_factory=list)
    message: str = ""
    kind: str = ""  # "" | "not_found" | "credentials" | "unavailable" | "config" | "remote"

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_LABELS, 0)
        for stage in self.stages:
            counts[stage.status] += 1
        return counts

    def summary(self) -> str:
        """E.g. "3 same as live, 1 changed, 0 only in the draft, 0 only on the remote"."""
        counts = self.counts()
        return ", ".join(f"{counts[status]} {label[0].lower()}{label[1:]}" for status, label in STATUS_LABELS.items())


def _sequence_key(item: dict[str, Any], number_key: str) -> tuple:
    sequence = item.get("DisplaySequence")
    return (sequence if isinstance(sequence, int) else 0, str(item.get(number_key, "")))


def normalised_stage(doc: dict[str, Any]) -> dict[str, Any]:
    """A stage document with its children in one order, whichever side it comes from.

    Objectives and steps by DisplaySequence then number; step tasks and
    associations by their step's place, then DisplaySequence / number. The
    local document already has this order; the remote may list children in
    another one, which is not a difference worth showing.
    """
    out = dict(doc)
    for child in ("StageObjectives", "Steps"):
        out[child] = sorted(doc.get(child) or [], key=lambda item, key=_CHILD_NUMBERS[child]: _sequence_key(item, key))
    step_place = {step.get("OrchestrationStepNumber"): i for i, step in enumerate(out["Steps"])}

    def by_step(item: dict[str, Any], key: str) -> tuple:
        return (step_place.get(item.get("OrchestrationStepNumber"), len(step_place)), *_sequence_key(item, key))

    out["StepTasks"] = sorted(doc.get("StepTasks") or [], key=lambda item: by_step(item, "StepTasksNumber"))
    out["StepObjectivesAssociations"] = sorted(
        doc.get("StepObjectivesAssociations") or [], key=lambda item: by_step(item, "StepObjectiveAssocNumber")
    )
    return out


def _text(doc: dict[str, Any] | None) -> list[str]:
    return json.dumps(doc, indent=2, ensure_ascii=False).splitlines() if doc is not None else []


def diff_lines(remote: dict[str, Any] | None, local: dict[str, Any] | None, *, connection_name: str) -> list[DiffLine]:
    """Unified diff from the remote's stage document to the draft's (both already normalised)."""
    lines = []
    for text in difflib.unified_diff(
        _text(remote), _text(local), fromfile=f"live on {connection_name}", tofile="draft", lineterm=""
    ):
        if text.startswith(("---", "+++")):
            kind = "file"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind = "add"
        elif text.startswith("-"):
            kind = "remove"
        else:
            kind = "context"
        lines.append(DiffLine(kind, text))
    return lines


def _remote_message(exc: RemoteError, connection_name: str) -> tuple[str, str]:
    if exc.auth_failed:
        return "credentials", f"Connection {connection_name} refused the credentials (HTTP {exc.status}): {exc.message}"
    if exc.kind in ("config", "unsafe_url"):
        return "config", f"Connection {connection_name}: {exc.message}"
    if not exc.permanent:
        return "unavailable", f"Connection {connection_name} is unavailable: {exc.message}"
    return "remote", f"Connection {connection_name} refused the request: {exc.message}"


def live_diff(*, orchestration: Orchestration, connection_name: str) -> LiveDiff:
    """Each stage of the draft against the copy `connection_name` holds now (read in the pod's dialect).

    Both sides are reduced to the contract's stage documents (the remote's ids,
    links and who-columns dropped, children in one order), so only what a
    publish would change shows up. Never raises for remote trouble: the result
    carries a plain `message` (and `kind`) instead of stages.
    """
    result = LiveDiff(connection_name=connection_name)
    tree = _tree(orchestration)
    try:
        connection = get_connection(connection_name)
    except ConnectionConfigError as exc:
        result.kind, result.message = "config", exc.message
        return result
    try:
        with CxClient(connection, **client_options()) as client:
            remote_tree, dialect = read_remote(CxSalesApi(client), connection, tree.number)
    except RemoteError as exc:
        result.kind, result.message = _remote_message(exc, connection_name)
        return result
    if remote_tree is None:
        result.kind = "not_found"
        result.message = (
            f"{tree.name or tree.number} is not on {connection_name} yet: a publish there creates it with "
            f"all {len(tree.stages.all())} stage(s)."
        )
        return result

    document, _ = remote_document(remote_tree, dialect)
    remote_stages = {str(doc.get("OrchestrationStageNumber")): normalised_stage(doc) for doc in document["Stages"]}
    for position, stage in enumerate(tree.stages.all(), start=1):
        local = normalised_stage(stage_document(stage, display_sequence=position))
        remote = remote_stages.pop(stage.number, None)
        status = ONLY_LOCAL if remote is None else SAME if remote == local else CHANGED
        lines = [] if status == SAME else diff_lines(remote, local, connection_name=connection_name)
        result.stages.append(StageDiff(stage.number, stage.name, status, lines))
    for number, remote in remote_stages.items():
        lines = diff_lines(remote, None, connection_name=connection_name)
        result.stages.append(StageDiff(number, str(remote.get("StageName", "")), ONLY_REMOTE, lines))
    return result
