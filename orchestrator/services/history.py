"""History and restore (issue 10, item 6): every change to a draft's tree is a revision.

Every service that writes a draft runs inside `revision_scope`: one scope is
one user action, and it ends in at most one `Revision` holding the export
document as the action left it (nested scopes — a pull that imports, a
restore that imports — join the outer one, so a bulk edit, an import or a
restore is one revision too). The scope is opened inside the service's
transaction, so a change and its revision commit or roll back together, and
the orchestration's row lock (taken by every write, `drafts._stamp`) makes the
revision numbers 1, 2, 3 … without gaps or races.

`before_change` is called by the writes right after they lock the row and
before they change anything: an orchestration that has no revision yet (it
predates the history) first gets a "history starts" revision of its content
as it was, so its first change can be seen and undone like any other.

Why not django-reversion: it records the rows that `save()` touched, one
serialised row per object per revision, found by following relations object
by object — our writes are mostly `bulk_update`/`bulk_create` (reordering,
bulk edits, import, clone), which it does not see, and following the tree
would cost queries per object on every edit. Its revert saves rows one by one
in no particular order, which trips the per-parent display-sequence
constraints on PostgreSQL, and would roll back remote ids and versions that
must only grow. The export document is already the identity of the content
(its sha256 is what approvals hold), and `orchestration_import` already makes
a tree exactly a document, keeping every object's identity by number: a
revision is that document, and restoring is importing it.
"""

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import roles
from ..models import Orchestration, OrchestrationStatus, Revision, RevisionAction
from ..models.history import SUMMARY_MAX
from ..selectors import orchestration_tree_by_pk, stage_facts, stages_tree
from ..validation import validate_orchestration, validate_stages
from .changes import ChangeSummary, change_summary
from .documents.export import document_stage, dumps_document, orchestration_document, orchestration_header

_DEFAULT_NOTES = {
    RevisionAction.BASELINE: "History starts here: the content as it was before its first recorded change.",
    RevisionAction.CREATE: "Created.",
    RevisionAction.IMPORT: "Imported from a file.",
    RevisionAction.PULL: "Pulled from a connection.",
    RevisionAction.CLONE: "Cloned.",
    RevisionAction.RESTORE: "Restored an earlier revision.",
}


class RestoreRefused(Exception):
    """The revision cannot be restored (the orchestration is archived, or it changed since it was shown)."""


@dataclass
class _Scope:
    orchestration_id: int | None
    user: Any
    action: str
    note: str
    restored_from: Revision | None
    latest: Revision | None = None
    # The stages this action touched, when the service knows it touched only these (one stage's edit):
    # the revision then rebuilds just them from the previous one. None: rebuild the whole document.
    stage_ids: set[int] | None = None
    began: bool = False
    # (tree, problem count) of the draft as its last write left it, when that write built the tree in
    # memory anyway (an import): the revision then neither reads the tree back nor validates it again.
    # Any later write in the scope forgets it (`before_change`).
    written: tuple[Orchestration, int] | None = None


_current: ContextVar["_Scope | None"] = ContextVar("orchestrator_revision_scope", default=None)


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _tree(orchestration_id: int) -> Orchestration:
    return orchestration_tree_by_pk(orchestration_id)


def content_of(tree: Orchestration) -> tuple[dict[str, Any], str, str]:
    """(export document, its exact text, its sha256) of a loaded tree: what a revision keeps."""
    document = orchestration_document(tree)
    text = dumps_document(document)
    return document, text, hashlib.sha256(text.encode()).hexdigest()


def _latest(orchestration_id: int) -> Revision | None:
    return Revision.objects.filter(orchestration_id=orchestration_id).order_by("-number").first()


@contextlib.contextmanager
def revision_scope(
    *,
    orchestration_id: int | None = None,
    user=None,
    action: str = RevisionAction.EDIT,
    note: str = "",
    restored_from: Revision | None = None,
    stage_id: int | None = None,
) -> Iterator[_Scope]:
    """One user action on a draft: at most one revision when it ends without an error.

    Opens a transaction (or joins the caller's). `orchestration_id` may be None
    for a draft that does not exist yet; `before_change` learns it. Inside an
    outer scope this one joins it: the outer action names the revision.
    `stage_id`: the action changes nothing but that stage's content (not its
    place): its revision is built from the previous one plus that stage.
    """
    outer = _current.get()
    if outer is not None:
        if outer.orchestration_id is None:
            outer.orchestration_id = orchestration_id
        if outer.stage_ids is not None:
            outer.stage_ids = None if stage_id is None else outer.stage_ids | {stage_id}
        yield outer
        return
    scope = _Scope(orchestration_id, _user(user), action, note, restored_from)
    scope.stage_ids = {stage_id} if stage_id is not None else None
    token = _current.set(scope)
    try:
        with transaction.atomic():
            yield scope
            _record(scope)
    finally:
        _current.reset(token)


def written_tree(tree: Orchestration, problem_count: int) -> None:
    """The last write of the current scope built the whole tree in memory and validated it (an import)."""
    scope = _current.get()
    if scope is not None:
        scope.written = (tree, problem_count)


def before_change(orchestration_id: int, *, new: bool = False) -> None:
    """Called by every write once it holds the row lock, before it changes the tree.

    Remembers the latest revision; an existing draft without any gets its
    "history starts" revision now, from the content as it still is. `new`: the
    draft was just created, it has no earlier content.
    """
    scope = _current.get()
    if scope is not None:
        scope.written = None  # a write after the one that built the tree: read it back after all
    if scope is None or scope.began:
        return
    scope.orchestration_id = scope.orchestration_id or orchestration_id
    scope.began = True
    if new:
        return
    scope.latest = _latest(orchestration_id)
    if scope.latest is None:
        tree = _tree(orchestration_id)
        _, text, digest = content_of(tree)
        scope.latest = Revision.objects.create(
            orchestration_id=orchestration_id,
            number=1,
            author=None,
            action=RevisionAction.BASELINE,
            summary=_DEFAULT_NOTES[RevisionAction.BASELINE],
            content_hash=digest,
            document=text,
            problem_count=len(validate_orchestration(tree)),
            # Some writers count their write before calling this, some after: not known, so the next
            # revision is built from the whole tree (once per draft older than the history).
            tree_revision=None,
        )


# The parsed document of the revision an edit just wrote, by (revision pk, content sha256): the next edit of that
# draft starts from it instead of parsing the previous revision again (4 ms of a 200-stage save, the part of an
# edit that grew with the orchestration; issue 13). The key is the exact content, so an entry can never be stale;
# an edit takes its entry out (it changes the document in place) and puts the new revision's back. Each process
# keeps its own few; a miss parses the stored text as before.
_PARSED: OrderedDict[tuple[int, str], dict[str, Any]] = OrderedDict()
_PARSED_MAX = 16
_PARSED_LOCK = threading.Lock()


def _previous_document(latest: Revision) -> dict[str, Any]:
    with _PARSED_LOCK:
        document = _PARSED.pop((latest.pk, latest.content_hash), None)
    return document if document is not None else orjson.loads(latest.document)


def _keep_parsed(revision: Revision, document: dict[str, Any]) -> None:
    with _PARSED_LOCK:
        _PARSED[(revision.pk, revision.content_hash)] = document
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)


def _record(scope: _Scope) -> Revision | None:
    if scope.orchestration_id is None:
        return None  # nothing was written
    if not scope.began:
        scope.latest = _latest(scope.orchestration_id)
    latest = scope.latest
    built = _one_stage_content(scope, latest) if scope.stage_ids and latest is not None else None
    if built is None and scope.written is not None:
        tree, problem_count = scope.written
        document, text, digest = content_of(tree)
        tree_revision = Orchestration.objects.values_list("tree_revision", flat=True).get(pk=scope.orchestration_id)
        compared = (json.loads(latest.document), document) if latest is not None else None
    elif built is None:
        tree = _tree(scope.orchestration_id)
        document, text, digest = content_of(tree)
        problem_count, tree_revision = len(validate_orchestration(tree)), tree.tree_revision
        compared = (json.loads(latest.document), document) if latest is not None else None
    else:
        text, digest, problem_count, tree_revision, compared, parsed = built
    if latest is not None and latest.content_hash == digest and scope.action == RevisionAction.EDIT:
        if built is not None:
            _keep_parsed(latest, parsed)  # the same content: still the latest revision's document
        return None  # the action changed nothing (a move to where it was, the same boxes ticked)
    changes = change_summary(*compared) if compared is not None else None
    note = scope.note or _DEFAULT_NOTES.get(scope.action, "")
    if changes is None:
        summary = note or "Created."
    elif note:
        summary = f"{note.rstrip('.')}: {changes.one_line()}" if changes else note
    else:
        summary = changes.one_line()
    revision = Revision.objects.create(
        orchestration_id=scope.orchestration_id,
        number=(latest.number if latest is not None else 0) + 1,
        author=scope.user,
        action=scope.action,
        summary=summary[:SUMMARY_MAX],
        content_hash=digest,
        document=text,
        problem_count=problem_count,
        restored_from=scope.restored_from,
        tree_revision=tree_revision,
    )
    if built is not None:
        _keep_parsed(revision, parsed)
    return revision


def _one_stage_content(scope: _Scope, latest: Revision):
    """(text, sha256, problem count, tree revision, (before, after), document) from `latest` plus the touched
    stages; `document` is what `text` says, parsed.

    None when it cannot be done that way. (before, after) are the two sides
    of the change summary, cut to the touched stages: the others are equal.

    An edit of one stage costs that stage, not the tree (issue 13): the
    previous revision is the draft as it was just before this action when it
    was taken at the draft's previous `tree_revision` (no write came in
    between) and the stages are the same, in the same order; then only the
    touched stages are loaded and written into it. Their problems come from
    the designer's cache of the other stages' problems when that is still
    valid; otherwise the whole tree is validated after all.
    """
    from . import problems as problems_service

    orch = Orchestration.objects.select_related("updated_by", "problem_cache").get(pk=scope.orchestration_id)
    if latest.tree_revision is None or latest.tree_revision != orch.tree_revision - 1:
        return None
    previous = _previous_document(latest)  # the previous revision: a megabyte at 200 stages
    facts = stage_facts(orch.pk)
    if [stage.get("OrchestrationStageNumber") for stage in previous.get("Stages", [])] != [f.number for f in facts]:
        return None  # a stage came, went or moved: every position may differ
    positions = {fact.pk: position for position, fact in enumerate(facts, start=1)}
    stages = stages_tree(orch, scope.stage_ids)
    header = {k: v for k, v in previous.items() if k != "Stages"}
    before = {**header, "Stages": [previous["Stages"][positions[stage.pk] - 1] for stage in stages]}
    for stage in stages:
        previous["Stages"][positions[stage.pk] - 1] = document_stage(stage, positions[stage.pk])
    document = {"FormatVersion": previous["FormatVersion"], **orchestration_header(orch), "Stages": previous["Stages"]}
    after = {
        **{k: v for k, v in document.items() if k != "Stages"},
        "Stages": [previous["Stages"][positions[s.pk] - 1] for s in stages],
    }
    text = dumps_document(document)
    digest = hashlib.sha256(text.encode()).hexdigest()
    cached = problems_service.cached_problems(orch)
    summary = problems_service.facts_fingerprint(orch, facts)
    if problems_service.reusable(cached, since=orch.tree_revision - 1, orch=orch, summary=summary):
        fresh = validate_stages(orch, facts, stages)
        problem_count = sum(
            len(group) for group in cached.replaced(0, summary, fresh, [s.number for s in stages]).groups.values()
        )
    else:
        problem_count = len(validate_orchestration(_tree(orch.pk)))
    return text, digest, problem_count, orch.tree_revision, (before, after), document


# -- reads ---------------------------------------------------------------------------------------------------------


def revision_document(revision: Revision) -> dict[str, Any]:
    return json.loads(revision.document)


def revision_with_hash(orchestration: Orchestration, content_hash: str) -> Revision | None:
    """The latest revision holding exactly this content (1 query), or None."""
    if not content_hash:
        return None
    return Revision.objects.filter(orchestration=orchestration, content_hash=content_hash).order_by("-number").first()


def compare_with_current(revision: Revision, tree: Orchestration) -> ChangeSummary:
    """What restoring `revision` would change: from the current draft to the revision."""
    return change_summary(orchestration_document(tree), revision_document(revision))


# -- restore -------------------------------------------------------------------------------------------------------


def revision_restore(*, revision: Revision, user, expected_hash: str = "") -> Revision:
    """Make the draft exactly `revision`'s content again; the restore is itself a revision.

    Stages, objectives, steps, step tasks and associations deleted since come
    back under their own numbers with their links (the import keeps every
    object whose number stays and recreates the others); an unfinished draft
    restores as it was, problems included. `expected_hash` is the content the
    user compared against: when the draft changed since, nothing is done.
    Raises PermissionDenied without Designer rights, RestoreRefused for an
    archived orchestration or a changed draft.
    """
    from .documents import orchestration_import

    if not roles.can_edit(user):
        raise PermissionDenied("Restoring a revision needs Designer rights.")
    orch = revision.orchestration
    with revision_scope(
        orchestration_id=orch.pk,
        user=user,
        action=RevisionAction.RESTORE,
        note=f"Restored revision {revision.number}.",
        restored_from=revision,
    ) as scope:
        locked = Orchestration.objects.select_for_update().get(pk=orch.pk)
        if locked.status == OrchestrationStatus.ARCHIVED:
            raise RestoreRefused("This orchestration is archived and read-only: restore it in the list first.")
        if expected_hash:
            _, _, current = content_of(_tree(orch.pk))
            if current != expected_hash:
                raise RestoreRefused(
                    "The draft changed since you compared it with this revision; compare again before restoring."
                )
        orchestration_import(document=revision_document(revision), user=user, draft=True)
        Orchestration.objects.filter(pk=orch.pk).update(updated_by=_user(user))
    return _latest(scope.orchestration_id)
