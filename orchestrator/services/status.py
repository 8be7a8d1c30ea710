"""What the designer's header and the orchestration list show per draft (issue 10, item 3).

Instead of a permanent "Draft": where the draft stands with its reviewers
(approved / changed since approval / changes requested / not reviewed), how
many problems it has, and the last publish to each connection (when, by whom,
and whether the draft changed since). Plus, for the designer, the open
comments about each stage, objective, step and step task.

Both readers cost a fixed number of queries: the designer's from the tree it
has loaded anyway; the list's from each draft's latest revision (which holds
its content hash and problem count), loading the trees only of drafts older
than the history, all in one go.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max, Q

from ..models import (
    Approval,
    Orchestration,
    PublishRun,
    PublishRunStatus,
    ReviewComment,
    Revision,
    Stage,
    StageObjective,
    Step,
    StepTask,
)
from ..selectors import orchestration_tree_queryset
from ..validation import validate_orchestration
from .documents import content_hash
from .review import ReviewState, decide_state, review_state


@dataclass(frozen=True)
class LastPublish:
    connection_name: str
    at: datetime
    by: str  # the publisher's user name, "" for the command line
    changed_since: bool | None  # None: the run predates the recorded content hash
    run_id: int


@dataclass
class DraftStatus:
    review: ReviewState
    problem_count: int
    publishes: list[LastPublish] = field(default_factory=list)


def _last_publishes(orchestration_ids: list[int]) -> dict[int, list[PublishRun]]:
    """The latest finished publish per orchestration and connection (2 queries)."""
    done = PublishRun.objects.filter(
        orchestration_id__in=orchestration_ids, dry_run=False, status=PublishRunStatus.DONE
    )
    latest = done.values("orchestration_id", "connection_name").annotate(at=Max("created_at")).order_by()
    match = Q(pk__in=[])
    for row in latest:
        match |= Q(
            orchestration_id=row["orchestration_id"], connection_name=row["connection_name"], created_at=row["at"]
        )
    runs: dict[int, list[PublishRun]] = defaultdict(list)
    if latest:
        for run in done.filter(match).select_related("started_by").order_by("connection_name", "-pk"):
            if all(r.connection_name != run.connection_name for r in runs[run.orchestration_id]):
                runs[run.orchestration_id].append(run)
    return runs


def _publishes(runs: list[PublishRun], current_hash: str) -> list[LastPublish]:
    return [
        LastPublish(
            connection_name=run.connection_name,
            at=run.created_at,
            by=run.started_by.get_username() if run.started_by else "",
            changed_since=(run.content_hash != current_hash) if run.content_hash else None,
            run_id=run.pk,
        )
        for run in runs
    ]


def draft_status(tree: Orchestration, problem_count: int) -> DraftStatus:
    """The designer header's status of a loaded tree (4 queries)."""
    state = review_state(tree)
    return DraftStatus(
        review=state,
        problem_count=problem_count,
        publishes=_publishes(_last_publishes([tree.pk]).get(tree.pk, []), state.content_hash),
    )


def open_comments_by_anchor(orchestration: Orchestration) -> dict[tuple[str, str], list[ReviewComment]]:
    """{(kind, number): the unresolved comments about it, oldest first} (1 query)."""
    by_anchor: dict[tuple[str, str], list[ReviewComment]] = defaultdict(list)
    comments = (
        ReviewComment.objects.filter(orchestration=orchestration, resolved_at__isnull=True)
        .exclude(anchor_kind="")
        .select_related("author")
        .order_by("created_at", "pk")
    )
    for comment in comments:
        by_anchor[(comment.anchor_kind, comment.anchor_number)].append(comment)
    return by_anchor


def designer_status_context(tree: Orchestration, index: dict, problem_count: int) -> dict:
    """What the designer adds to its context: the header's status, and each object's open comments."""
    kinds = {Stage: "stage", StageObjective: "objective", Step: "step", StepTask: "step_task"}
    for (kind, number), comments in open_comments_by_anchor(tree).items():
        obj = index.get(number)
        if obj is not None and kinds.get(type(obj)) == kind:
            obj.open_comments = comments
    return {"draft_status": draft_status(tree, problem_count)}


def list_statuses(orchestrations: list[Orchestration]) -> dict[int, DraftStatus]:
    """{pk: status} for a page of the list, in a fixed number of queries whatever its length."""
    ids = [o.pk for o in orchestrations]
    if not ids:
        return {}
    latest_numbers = (
        Revision.objects.filter(orchestration_id__in=ids)
        .values("orchestration_id")
        .annotate(n=Max("number"))
        .order_by()
    )
    match = Q(pk__in=[])
    for row in latest_numbers:
        match |= Q(orchestration_id=row["orchestration_id"], number=row["n"])
    content: dict[int, tuple[str, int]] = {
        r["orchestration_id"]: (r["content_hash"], r["problem_count"])
        for r in Revision.objects.filter(match).values("orchestration_id", "content_hash", "problem_count")
    }
    missing = [pk for pk in ids if pk not in content]
    if missing:  # drafts older than the history: their trees, all in one go
        for tree in orchestration_tree_queryset().filter(pk__in=missing):
            content[tree.pk] = (content_hash(tree), len(validate_orchestration(tree)))
    approvals: dict[int, Approval] = {}
    for approval in (
        Approval.objects.filter(orchestration_id__in=ids)
        .select_related("reviewer")
        .order_by("orchestration_id", "-created_at", "-pk")
    ):
        approvals.setdefault(approval.orchestration_id, approval)
    requests: dict[int, ReviewComment] = {}
    for request in (
        ReviewComment.objects.filter(orchestration_id__in=ids, requests_changes=True)
        .select_related("author")
        .order_by("orchestration_id", "-created_at", "-pk")
    ):
        requests.setdefault(request.orchestration_id, request)
    runs = _last_publishes(ids)
    statuses = {}
    for pk in ids:
        current, problems = content[pk]
        statuses[pk] = DraftStatus(
            review=decide_state(current, approvals.get(pk), requests.get(pk)),
            problem_count=problems,
            publishes=_publishes(runs.get(pk, []), current),
        )
    return statuses
