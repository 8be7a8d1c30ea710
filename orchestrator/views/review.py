"""The review screen (PRODUCT journey 4): what will be sent, what changed since the last publish,
what differs from what is live, comments, approval.

The page is built from one context (`review_context`) and reads in the order
a reviewer works: what changed (since the approval, since the last publish,
against what is live — each as a change summary above the raw diff), the
problems, what will be sent, the comments, and only then the decision
(approve, or request changes with a comment saying what must change). Its
htmx answers are named partials of the same template: `#connection-part`
when the connection picker changes, `#live` for the lazily loaded live diff
(the only part that talks to a remote), `#comments` and `#approval` after a
post, each with the messages box out of band.

Everyone who may read the playbook may read the review; the parts that
depend on a connection (the publish plan, the live diff) need
`view_publishrun` like the publish page; commenting and resolving need
`add_reviewcomment`, approving and requesting changes `review_orchestration`.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from .. import roles
from ..models import AnchorKind, Orchestration, PublishAction, PublishRun, PublishRunStatus, ReviewComment
from ..models.review import COMMENT_MAX, NOTE_MAX
from ..selectors import orchestration_tree
from ..services.changes import change_summary
from ..services.documents import orchestration_document
from ..services.history import revision_document, revision_with_hash
from ..services.payload import PayloadInvalid, build_stage_payloads
from ..services.publishing import publish_plan
from ..services.review import (
    APPROVED,
    SELF_APPROVAL_REFUSED,
    anchor_choices,
    anchor_labels,
    content_hash,
    known_orchestration_id,
    live_diff,
    orchestration_approve,
    own_change_since_approval,
    review_comment_add,
    review_comment_resolve,
    review_comments,
    review_state,
)
from ..validation import validate_orchestration
from .publish_support import INVALID, connection_picker, error_page, messages_oob, view_runs_required

PAGE = "orchestrator/review.html"

review_required = permission_required(
    ("orchestrator.view_orchestration", "orchestrator.view_reviewcomment"), raise_exception=True
)
comment_required = permission_required("orchestrator.add_reviewcomment", raise_exception=True)
approve_required = permission_required("orchestrator.review_orchestration", raise_exception=True)


def _tree_or_404(request, number: str):
    try:
        return orchestration_tree(number), None
    except Orchestration.DoesNotExist:
        return None, error_page(request, f"There is no orchestration numbered “{number[:64]}”.", status=404)


def _payload_rows(tree: Orchestration, orchestration_id: int | None) -> tuple[list[tuple], list]:
    """[(payload, indented body)], and the contract problems when the bodies cannot be built."""
    try:
        payloads = build_stage_payloads(tree, orchestration_id=orchestration_id)
    except PayloadInvalid as exc:
        return [], exc.problems
    return [(p, json.dumps(p.body, indent=2, ensure_ascii=False)) for p in payloads], []


def _since(tree: Orchestration, document: dict, content: str):
    """The change summary from the revision holding `content` to the draft, or None when no revision has it."""
    revision = revision_with_hash(tree, content)
    return change_summary(revision_document(revision), document) if revision is not None else None


def _comments(tree: Orchestration, current_hash: str) -> list[ReviewComment]:
    """The comments, each labelled with what it is about and a link there (no queries beyond the list)."""
    labels = anchor_labels(tree)
    designer_url = reverse("designer", args=[tree.number])
    comments = review_comments(tree)
    for comment in comments:
        comment.earlier = comment.content_hash != current_hash
        comment.anchor_label, comment.anchor_url = "", ""
        if comment.anchor_kind:
            key = (comment.anchor_kind, comment.anchor_number)
            if key in labels:
                comment.anchor_label = labels[key]
                comment.anchor_url = f"{designer_url}#{comment.anchor_kind}-{comment.anchor_number}"
            else:
                kind = AnchorKind(comment.anchor_kind).label
                comment.anchor_label = f"a {kind} deleted since ({comment.anchor_number})"
    return comments


def review_context(request, tree: Orchestration, connection_name: str) -> tuple[dict, int]:
    """Everything the review page shows except the live diff, and the HTTP status."""
    user = request.user
    document = orchestration_document(tree)
    current_hash = content_hash(tree)
    state = review_state(tree, current_hash)
    ctx: dict = {
        "o": tree,
        "problems": validate_orchestration(tree),
        "state": state,
        # What changed since the reviewers last approved it: what this decision is about.
        "since_approval": _since(tree, document, state.approval.content_hash)
        if state.approval is not None and state.kind != APPROVED
        else None,
        "comments": _comments(tree, current_hash),
        "anchor_choices": anchor_choices(tree),
        "may_comment": roles.can_comment(user),
        "may_approve": roles.can_review(user),
        "may_see_connections": user.has_perm("orchestrator.view_publishrun"),
        "comment_max": COMMENT_MAX,
        "note_max": NOTE_MAX,
    }
    # Four eyes: say before the click that this reviewer's own change needs someone else's approval.
    ctx["own_change"] = ctx["may_approve"] and own_change_since_approval(tree, user, state)
    ctx["own_change_reason"] = SELF_APPROVAL_REFUSED.removeprefix("Not approved: ")
    status = 200
    orchestration_id = None
    if ctx["may_see_connections"]:
        connection_ctx, status = connection_picker(connection_name)
        ctx.update(connection_ctx)
        chosen = connection_ctx["chosen"]
        if chosen:
            plan = publish_plan(tree, chosen.name)
            ctx["plan"] = plan
            ctx["plan_rows"] = [(line, PublishAction(line.action).label) for line in plan.stages]
            orchestration_id = known_orchestration_id(tree, chosen.name)
            ctx["orchestration_id"] = orchestration_id
            last = (
                PublishRun.objects.filter(
                    orchestration=tree, connection_name=chosen.name, dry_run=False, status=PublishRunStatus.DONE
                )
                .exclude(content_hash="")
                .select_related("started_by")
                .order_by("-created_at", "-pk")
                .first()
            )
            ctx["last_publish"] = last
            ctx["since_publish"] = _since(tree, document, last.content_hash) if last is not None else None
    ctx["payload_rows"], ctx["payload_problems"] = _payload_rows(tree, orchestration_id)
    return ctx, status


def _answer(request, ctx: dict, fragment: str, status: int = 200) -> HttpResponse:
    """A fragment plus the messages box out of band (htmx), or the whole page."""
    if request.htmx:
        html = render_to_string(f"{PAGE}#{fragment}", ctx, request) + messages_oob(request)
        return HttpResponse(html, status=status)
    return render(request, PAGE, ctx, status=status)


@require_safe
@review_required
def review(request, number: str):
    """The review page; with htmx and `HX-Target: connection-part`, only the part that depends on the connection."""
    tree, missing = _tree_or_404(request, number)
    if missing:
        return missing
    ctx, status = review_context(request, tree, request.GET.get("connection", "").strip())
    if request.htmx and request.htmx.target == "connection-part":
        return render(request, f"{PAGE}#connection-part", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


@require_safe
@review_required
@view_runs_required
def review_live(request, number: str):
    """What differs from what the chosen connection holds (one remote GET); the page's lazy fragment."""
    tree, missing = _tree_or_404(request, number)
    if missing:
        return missing
    name = request.GET.get("connection", "").strip()
    if request.htmx:
        connection_ctx, status = connection_picker(name)
        ctx = {"o": tree, **connection_ctx}
    else:  # the plain link: the whole page with the diff in place
        ctx, status = review_context(request, tree, name)
    if ctx["chosen"]:
        ctx["live"] = live_diff(orchestration=tree, connection_name=ctx["chosen"].name)
    if request.htmx:
        return render(request, f"{PAGE}#live", ctx, status=status)
    return render(request, PAGE, ctx, status=status)


@require_POST
@comment_required
def review_comment(request, number: str):
    """Add a comment (about the whole draft or one part of it), or — a reviewer's `intent=request_changes` —
    request changes; 422 with the message beside the field when it is empty, too long or about a part that is
    gone (the text is kept), 403 for a request for changes by someone who may not review."""
    tree, missing = _tree_or_404(request, number)
    if missing:
        return missing
    body = request.POST.get("body", "")
    anchor = request.POST.get("anchor", "")
    requests_changes = request.POST.get("intent") == "request_changes"
    if requests_changes and not roles.can_review(request.user):
        raise PermissionDenied("Only reviewers may request changes.")
    try:
        review_comment_add(
            orchestration=tree, user=request.user, body=body, anchor=anchor, requests_changes=requests_changes
        )
    except ValidationError as exc:
        errors = exc.message_dict
        ctx, _ = review_context(request, tree, "")
        ctx.update(
            comment_error=" ".join(errors.get("body", [])),
            anchor_error=" ".join(errors.get("anchor", [])),
            comment_body=body,
            comment_anchor=anchor,
        )
        messages.error(
            request, "The request for changes was not sent." if requests_changes else "The comment was not added."
        )
        return _answer(request, ctx, "comments", status=INVALID)
    messages.success(request, "Changes requested." if requests_changes else "Comment added.")
    if not request.htmx:
        return redirect(reverse("review", args=[tree.number]) + "#comments")
    ctx, _ = review_context(request, tree, "")
    html = render_to_string(f"{PAGE}#comments", ctx, request)
    if requests_changes:  # the decision changed: the state line and the decision part too
        html += render_to_string(f"{PAGE}#approval", ctx, request).replace(
            'id="approval"', 'id="approval" hx-swap-oob="true"', 1
        )
    return HttpResponse(html + messages_oob(request))


@require_POST
@comment_required
def review_comment_resolve_view(request, number: str, comment_id: int):
    """Resolve a comment (`resolved=1`) or open it again (`resolved=0`); answers the comments."""
    tree, missing = _tree_or_404(request, number)
    if missing:
        return missing
    comment = get_object_or_404(ReviewComment, pk=comment_id, orchestration=tree)
    resolved = request.POST.get("resolved", "1") != "0"
    review_comment_resolve(comment=comment, user=request.user, resolved=resolved)
    messages.success(request, "Comment resolved." if resolved else "Comment reopened.")
    if not request.htmx:
        return redirect(reverse("review", args=[tree.number]) + f"#comment-{comment.pk}")
    ctx, _ = review_context(request, tree, "")
    return _answer(request, ctx, "comments")


@require_POST
@approve_required
def review_approve(request, number: str):
    """Approve the current content; 422 with the reason when the draft has problems or the note is too long."""
    tree, missing = _tree_or_404(request, number)
    if missing:
        return missing
    note = request.POST.get("note", "")
    try:
        orchestration_approve(orchestration=tree, user=request.user, note=note)
    except ValidationError as exc:
        ctx, _ = review_context(request, tree, "")
        ctx.update(approve_error=" ".join(exc.messages), approve_note=note)
        messages.error(request, "Not approved.")
        return _answer(request, ctx, "approval", status=INVALID)
    messages.success(request, f"Approved {tree.name or tree.number}.")
    if not request.htmx:
        return redirect(reverse("review", args=[tree.number]))
    ctx, _ = review_context(request, tree, "")
    return _answer(request, ctx, "approval")
