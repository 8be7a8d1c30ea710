"""Review (PRODUCT journey 4): comments, approval of one exact content, and what differs from what is live.

- `content_hash(tree)`: the sha256 of the draft's export document, the identity
  of "this content". Comments and approvals record it, so an approval is for
  what the reviewer saw and becomes stale as soon as the draft changes.
- `review_comment_add` / `orchestration_approve` / `review_comment_resolve`: the
  writes. A comment may be about one stage, objective, step or step task, and a
  reviewer's comment may request changes (a decision, like an approval). Four
  eyes: nobody approves content they created or changed since its latest
  approval (`own_change_since_approval`), unless REVIEW_ALLOW_SELF_APPROVAL is set.
- `review_state(tree)`: approved / changed since approval / changes requested /
  not reviewed — the latest decision, and whether it is for the content now.
- `live_diff`: each stage as the draft would send it against the copy a
  connection holds now, as a unified text diff, with a change summary above.
  Remote trouble is reported as a plain message in the result, never raised:
  the review page shows it in place of the diff.

Whether a publish needs the approval is the connection's (`services.publish_gate`).
"""

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .. import roles
from ..models import AnchorKind, Approval, Orchestration, PublishedStage, ReviewComment
from ..models.review import COMMENT_MAX, NOTE_MAX
from ..models.text import text_problem
from ..remote import ConnectionConfigError, RemoteError, get_connection
from ..remote.client import CxClient
from ..remote.cx import CxSalesApi
from ..selectors import orchestration_tree
from ..validation import validate_orchestration
from .changes import ChangeSummary, change_summary
from .documents import content_hash, orchestration_document, stage_document
from .editors import changed_since
from .payload import PayloadInvalid, build_stage_payloads
from .publish_run import client_options
from .pulling import read_remote, remote_document

SELF_APPROVAL_REFUSED = (
    "Not approved: you created this draft or changed it since its last approval, "
    "so another reviewer must approve it (four eyes)."
)


def _tree(orchestration: Orchestration) -> Orchestration:
    """The prefetched tree of `orchestration` (reused when it already is one)."""
    if "stages" in getattr(orchestration, "_prefetched_objects_cache", {}):
        return orchestration
    return orchestration_tree(orchestration.number)


def anchor_choices(tree: Orchestration) -> list[tuple[str, str]]:
    """What a comment may be about: ("", the whole orchestration), then ("kind:number", label) in outline order."""
    choices = [("", "The whole orchestration")]
    for position, stage in enumerate(tree.stages.all(), start=1):
        choices.append((f"stage:{stage.number}", f"Stage {position}: {stage.name or '(unnamed)'}"))
        for objective in stage.objectives.all():
            choices.append((f"objective:{objective.number}", f"— objective “{objective.name}” of stage {position}"))
        for step in stage.steps.all():
            choices.append((f"step:{step.number}", f"— step “{step.name}” of stage {position}"))
            for task_position, task in enumerate(step.tasks.all(), start=1):
                choices.append((f"step_task:{task.number}", f"—— step task {task_position} of “{step.name}”"))
    return choices


def anchor_labels(tree: Orchestration) -> dict[tuple[str, str], str]:
    """{(kind, number): how the comment list names it}, for every object of the tree (no queries)."""
    return {tuple(value.split(":", 1)): label.lstrip("— ") for value, label in anchor_choices(tree) if value}


def _anchor(tree: Orchestration, anchor: str) -> tuple[str, str]:
    """(kind, number) of "kind:number" when it names an object of the tree, ("", "") for the whole draft."""
    anchor = (anchor or "").strip()
    if not anchor:
        return "", ""
    kind, _, number = anchor.partition(":")
    if kind not in AnchorKind.values or (kind, number) not in anchor_labels(tree):
        raise ValidationError({"anchor": "Choose one of the listed parts: that one is not in the draft any more."})
    return kind, number


@transaction.atomic
def review_comment_add(
    *, orchestration: Orchestration, user, body: str, anchor: str = "", requests_changes: bool = False
) -> ReviewComment:
    """Add a comment on the draft's current content, about the whole of it or one part (`anchor` "kind:number").

    With `requests_changes` it is a reviewer's decision that the content must
    change (the draft then shows "changes requested" until a reviewer approves).
    Raises ValidationError({"body": …} or {"anchor": …}) when the comment is
    empty, too long or about a part the draft no longer has, PermissionDenied
    when `user` may not comment (or, for a change request, not review).
    """
    if not roles.can_comment(user):
        raise PermissionDenied("Only designers, reviewers and publishers may comment.")
    if requests_changes and not roles.can_review(user):
        raise PermissionDenied("Only reviewers may request changes.")
    body = (body or "").strip()
    if not body:
        what = "Say what must change first." if requests_changes else "Write a comment first."
        raise ValidationError({"body": what})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": f"A comment is at most {COMMENT_MAX} characters (this one has {len(body)})."})
    if problem := text_problem(body):
        raise ValidationError({"body": f"This {problem}."})
    tree = _tree(orchestration)
    kind, number = _anchor(tree, anchor)
    comment = ReviewComment(
        orchestration=orchestration,
        author=user,
        body=body,
        content_hash=content_hash(tree),
        anchor_kind=kind,
        anchor_number=number,
        requests_changes=requests_changes,
    )
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def review_comment_resolve(*, comment: ReviewComment, user, resolved: bool = True) -> ReviewComment:
    """Mark a comment resolved (dealt with), or open it again. Whoever may comment may resolve."""
    if not roles.can_comment(user):
        raise PermissionDenied("Only designers, reviewers and publishers may resolve comments.")
    comment = ReviewComment.objects.select_for_update().get(pk=comment.pk)
    if resolved and comment.resolved_at is None:
        comment.resolved_at, comment.resolved_by = timezone.now(), user
    elif not resolved:
        comment.resolved_at, comment.resolved_by = None, None
    comment.save(update_fields=["resolved_at", "resolved_by"])
    return comment


def open_comment_counts(orchestration: Orchestration) -> dict[tuple[str, str], int]:
    """{(kind, number): unresolved comments about it} for the designer's rows (1 query)."""
    rows = (
        ReviewComment.objects.filter(orchestration=orchestration, resolved_at__isnull=True)
        .exclude(anchor_kind="")
        .values("anchor_kind", "anchor_number")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(row["anchor_kind"], row["anchor_number"]): row["count"] for row in rows}


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


APPROVED, CHANGED_SINCE, CHANGES_REQUESTED, NOT_REVIEWED = "approved", "changed", "changes_requested", "none"
REVIEW_LABELS = {
    APPROVED: "Approved",
    CHANGED_SINCE: "Changed since approval",
    CHANGES_REQUESTED: "Changes requested",
    NOT_REVIEWED: "Not reviewed",
}


@dataclass(frozen=True)
class ReviewState:
    """Where a draft stands with its reviewers: the latest decision (an approval or a request for changes)."""

    kind: str  # APPROVED | CHANGED_SINCE | CHANGES_REQUESTED | NOT_REVIEWED
    approval: Approval | None  # the latest approval, whatever content it was for
    change_request: ReviewComment | None  # the latest request for changes, when it is the latest decision
    content_hash: str  # the draft's content now

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self.kind]

    @property
    def approved(self) -> bool:
        return self.kind == APPROVED


def decide_state(current_hash: str, approval: Approval | None, change_request: ReviewComment | None) -> ReviewState:
    """The state from the latest approval and the latest request for changes (pure)."""
    if change_request is not None and (approval is None or change_request.created_at > approval.created_at):
        return ReviewState(CHANGES_REQUESTED, approval, change_request, current_hash)
    if approval is None:
        return ReviewState(NOT_REVIEWED, None, None, current_hash)
    kind = APPROVED if approval.content_hash == current_hash else CHANGED_SINCE
    return ReviewState(kind, approval, None, current_hash)


def review_state(tree: Orchestration, current_hash: str | None = None) -> ReviewState:
    """The review state of the prefetched `tree` (2 queries: the latest approval and change request)."""
    approval = Approval.objects.filter(orchestration=tree).select_related("reviewer").order_by("-created_at", "-pk")
    request = ReviewComment.objects.filter(orchestration=tree, requests_changes=True).select_related("author")
    return decide_state(
        current_hash or content_hash(tree), approval.first(), request.order_by("-created_at", "-pk").first()
    )


def approval_state_of(orchestration: Orchestration) -> ApprovalState:
    """`approval_state` of an orchestration that is not loaded as a tree yet (8 queries)."""
    return approval_state(_tree(orchestration))


def review_comments(orchestration: Orchestration) -> list[ReviewComment]:
    """Every comment on the draft, oldest first, with its author and resolver (1 query)."""
    return list(
        ReviewComment.objects.filter(orchestration=orchestration)
        .select_related("author", "resolved_by")
        .order_by("created_at", "pk")
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
    changes: ChangeSummary | None = None  # from what is live to the draft, in the interface's words
    document: dict[str, Any] | None = None  # what is live, as a contract document

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


@dataclass
class LiveDocument:
    """What a connection holds of an orchestration, as a contract document; `message` instead when unknown."""

    connection_name: str
    document: dict[str, Any] | None = None
    message: str = ""
    kind: str = ""  # "" | "not_found" | "credentials" | "unavailable" | "config" | "remote"
    remote_stages: list = field(default_factory=list)


def live_document(*, orchestration: Orchestration, connection_name: str) -> LiveDocument:
    """Read what `connection_name` holds of the orchestration now, in the pod's dialect (only reads).

    Never raises for remote trouble: `kind` and `message` say what went wrong.
    """
    result = LiveDocument(connection_name=connection_name)
    try:
        connection = get_connection(connection_name)
    except ConnectionConfigError as exc:
        result.kind, result.message = "config", exc.message
        return result
    try:
        with CxClient(connection, **client_options()) as client:
            remote_tree, dialect = read_remote(CxSalesApi(client), connection, orchestration.number)
    except RemoteError as exc:
        result.kind, result.message = _remote_message(exc, connection_name)
        return result
    if remote_tree is None:
        result.kind = "not_found"
        result.message = f"{orchestration.name or orchestration.number} is not on {connection_name} yet."
        return result
    result.document, result.remote_stages = remote_document(remote_tree, dialect)
    return result


def live_diff(*, orchestration: Orchestration, connection_name: str) -> LiveDiff:
    """Each stage of the draft against the copy `connection_name` holds now (read in the pod's dialect).

    Both sides are reduced to the contract's stage documents (the remote's ids,
    links and who-columns dropped, children in one order), so only what a
    publish would change shows up; a change summary says it in words first.
    Never raises for remote trouble: the result carries a plain `message`
    (and `kind`) instead of stages.
    """
    result = LiveDiff(connection_name=connection_name)
    tree = _tree(orchestration)
    live = live_document(orchestration=tree, connection_name=connection_name)
    if live.document is None:
        result.kind, result.message = live.kind, live.message
        if live.kind == "not_found":
            result.message = (
                f"{tree.name or tree.number} is not on {connection_name} yet: a publish there creates it with "
                f"all {len(tree.stages.all())} stage(s)."
            )
        return result
    document = live.document
    result.document = document
    result.changes = change_summary(document, orchestration_document(tree))
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
