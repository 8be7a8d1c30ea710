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
from ..selectors import orchestration_trees
from ..validation import validate_orchestration
from .documents import content_hash
from .review import ReviewState, decide_state


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


def draft_status(tree: Orchestration, problem_count: int, current_hash=None) -> DraftStatus:
    """The designer header's status (4 queries): of a loaded tree, or of any draft given its content hash.

    `current_hash` is the hash, or a function giving it: it is asked only when
    an approval or a publish has a hash to compare it with (a draft nobody
    approved or published has nothing that could be "changed since").
    """
    approval = Approval.objects.filter(orchestration=tree).select_related("reviewer").order_by("-created_at", "-pk")
    request = ReviewComment.objects.filter(orchestration=tree, requests_changes=True).select_related("author")
    latest_approval = approval.first()
    latest_request = request.order_by("-created_at", "-pk").first()
    runs = _last_publishes([tree.pk]).get(tree.pk, [])
    if latest_approval is None and not any(run.content_hash for run in runs):
        digest = ""
    elif callable(current_hash):
        digest = current_hash()
    else:
        digest = current_hash or content_hash(tree)
    return DraftStatus(
        review=decide_state(digest, latest_approval, latest_request),
        problem_count=problem_count,
        publishes=_publishes(runs, digest),
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


ANCHOR_KINDS = {Stage: "stage", StageObjective: "objective", Step: "step", StepTask: "step_task"}


def attach_open_comments(index: dict, comments: dict[tuple[str, str], list[ReviewComment]]) -> None:
    """Give each indexed object (by number) its open comments as `open_comments` (no query), () when none."""
    for obj in index.values():
        # Every row's template asks; a missing attribute costs Django's lookup a dir() of the model instance.
        obj.open_comments = ()
    for (kind, number), found in comments.items():
        obj = index.get(number)
        if obj is not None and ANCHOR_KINDS.get(type(obj)) == kind:
            obj.open_comments = found


def current_content_hash(orch: Orchestration) -> str | None:
    """The draft's content hash from its latest revision when that is the current content (1 query), else None.

    An edit records its revision in the same transaction, at the draft's
    `tree_revision`; a write that made none (the admin) leaves them apart,
    and then only the whole tree can say.
    """
    latest = (
        Revision.objects.filter(orchestration=orch).order_by("-number").values("content_hash", "tree_revision").first()
    )
    if latest is not None and latest["tree_revision"] == orch.tree_revision:
        return latest["content_hash"]
    return None


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
        for tree in orchestration_trees(missing):
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
