"""The History page (issue 10, item 6): revisions, approvals, publishes and comments in time order;
a revision compared with the current draft (or with another revision), and restored.

Everyone who reads the playbook reads its history; restoring is an edit
(Designer rights) of a draft that is not archived, and is refused when the
draft changed since the comparison was shown (the form carries the hash of
the content it was compared with).
"""

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST, require_safe

from .. import roles
from ..models import Approval, Orchestration, OrchestrationStatus, PublishRun, ReviewComment, Revision
from ..selectors import orchestration_tree
from ..services.changes import change_summary
from ..services.documents import dumps_document, orchestration_document
from ..services.history import RestoreRefused, revision_document, revision_restore
from ..services.review import DiffLine, content_hash
from .publish_support import error_page

PAGE = "orchestrator/history.html"
COMPARE = "orchestrator/history_compare.html"
EVENTS_PER_KIND = 100  # the latest of each kind per page; older ones behind "earlier events"

history_required = permission_required(
    ("orchestrator.view_orchestration", "orchestrator.view_revision"), raise_exception=True
)
restore_required = permission_required("orchestrator.change_orchestration", raise_exception=True)


@dataclass
class Event:
    """One line of the history: `kind` is revision, approval, comment or publish."""

    kind: str
    at: datetime
    obj: Any


def _orchestration(request, number: str):
    orch = Orchestration.objects.filter(number=number).first()
    if orch is None:
        return None, error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)
    return orch, None


def history_events(orch: Orchestration, before: datetime | None = None) -> tuple[list[Event], bool]:
    """(events oldest first, whether earlier ones exist) — the latest EVENTS_PER_KIND of each kind (4 queries)."""

    def latest(queryset, field: str = "created_at"):
        if before is not None:
            queryset = queryset.filter(**{f"{field}__lt": before})
        return list(queryset.order_by(f"-{field}", "-pk")[: EVENTS_PER_KIND + 1])

    revisions = latest(Revision.objects.filter(orchestration=orch).defer("document").select_related("author"))
    approvals = latest(Approval.objects.filter(orchestration=orch).select_related("reviewer"))
    comments = latest(ReviewComment.objects.filter(orchestration=orch).select_related("author", "resolved_by"))
    runs = latest(PublishRun.objects.filter(orchestration=orch, dry_run=False).select_related("started_by"))
    more = any(len(rows) > EVENTS_PER_KIND for rows in (revisions, approvals, comments, runs))
    by_hash = {r.content_hash: r.number for r in sorted(revisions, key=lambda r: r.number)}
    for item in (*approvals, *runs, *comments):
        item.revision_number = by_hash.get(item.content_hash)
    events = [Event("revision", r.created_at, r) for r in revisions[:EVENTS_PER_KIND]]
    events += [Event("approval", a.created_at, a) for a in approvals[:EVENTS_PER_KIND]]
    events += [Event("comment", c.created_at, c) for c in comments[:EVENTS_PER_KIND]]
    events += [Event("publish", r.created_at, r) for r in runs[:EVENTS_PER_KIND]]
    events.sort(key=lambda e: (e.at, e.kind != "revision"))
    if more:  # keep only what is newer than the oldest event every kind could still show
        events = events[-EVENTS_PER_KIND:]
    return events, more


@require_safe
@history_required
def history(request, number: str):
    """The history of one orchestration, oldest first, the latest events of each kind."""
    orch, missing = _orchestration(request, number)
    if missing:
        return missing
    try:
        before = parse_datetime(request.GET.get("before", "")) if request.GET.get("before") else None
    except ValueError:  # a well-formed but impossible date: show the latest events
        before = None
    events, more = history_events(orch, before)
    latest = Revision.objects.filter(orchestration=orch).order_by("-number").values_list("number", flat=True).first()
    return render(
        request,
        PAGE,
        {
            "o": orch,
            "events": events,
            "more": more,
            "earliest": events[0].at if events else None,
            "latest_number": latest,
        },
    )


def _raw_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> list[DiffLine]:
    lines = []
    for text in difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=2
    ):
        kind = (
            "file"
            if text.startswith(("---", "+++"))
            else "hunk"
            if text.startswith("@@")
            else "add"
            if text.startswith("+")
            else "remove"
            if text.startswith("-")
            else "context"
        )
        lines.append(DiffLine(kind, text))
    return lines


def _revision_or_404(request, orch: Orchestration, number: int):
    revision = Revision.objects.filter(orchestration=orch, number=number).select_related("author").first()
    if revision is None:
        return None, error_page(request, f"{orch.name} has no revision {number}.", status=404)
    return revision, None


@require_safe
@history_required
def revision_compare(request, number: str, revision: int):
    """Revision N against the current draft (what a restore would change), or `?from=M`: from revision M to N."""
    orch, missing = _orchestration(request, number)
    if missing:
        return missing
    shown, missing = _revision_or_404(request, orch, revision)
    if missing:
        return missing
    base = None
    if request.GET.get("from", "").isdigit():
        base, missing = _revision_or_404(request, orch, int(request.GET["from"]))
        if missing:
            return missing
    return render(request, COMPARE, _compare_context(request, orch, shown, base))


def _compare_context(request, orch: Orchestration, shown: Revision, base: Revision | None) -> dict:
    tree = orchestration_tree(orch.number)
    if base is not None:
        old_doc, old_text, old_label = revision_document(base), base.document, f"revision {base.number}"
    else:
        old_doc = orchestration_document(tree)
        old_text, old_label = dumps_document(old_doc), "current draft"
    editable = roles.can_edit(request.user) and orch.status != OrchestrationStatus.ARCHIVED
    return {
        "o": orch,
        "revision": shown,
        "base": base,
        "summary": change_summary(old_doc, revision_document(shown)),
        "lines": _raw_diff(old_text, shown.document, old_label, f"revision {shown.number}"),
        "current_hash": content_hash(tree),
        "may_restore": editable and base is None,
        "revisions": list(
            Revision.objects.filter(orchestration=orch).order_by("-number").values_list("number", "summary")[:200]
        ),
    }


@require_POST
@restore_required
def revision_restore_view(request, number: str, revision: int):
    """Make the draft revision N's content again (itself a new revision); 409 when it changed since it was compared."""
    orch, missing = _orchestration(request, number)
    if missing:
        return missing
    shown, missing = _revision_or_404(request, orch, revision)
    if missing:
        return missing
    try:
        restored = revision_restore(
            revision=shown, user=request.user, expected_hash=request.POST.get("expected_hash", "")
        )
    except RestoreRefused as exc:
        ctx = _compare_context(request, orch, shown, None)
        ctx["restore_error"] = str(exc)
        return render(request, COMPARE, ctx, status=409)
    messages.success(
        request, f"Restored revision {shown.number}: the draft is that content again (revision {restored.number})."
    )
    return redirect(reverse("history", args=[orch.number]) + f"#revision-{restored.number}")
