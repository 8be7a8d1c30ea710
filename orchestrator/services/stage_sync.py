"""Bring one stage on a pod to exactly the draft's stage document, whatever the pod's dialect.

No Oracle source says that an upsert drops the children it does not list,
that siblings can be linked by number, or that an association can be
updated; so nothing here relies on any of it. A stage is written in rounds,
each planned from what the pod holds (read with a GET, or from a reply that
shows all of it):

1. delete the associations and step tasks the draft no longer has — and an
   association whose step or objective changed (associations are create and
   delete only: never PATCHed, never re-sent when they exist);
2. upsert the stage when it, its objectives or its steps differ (nested
   strategy: with the links by number and the step tasks, and the
   associations too when the pod holds none of this stage yet);
3. PATCH each step whose links differ (by id, once the pod has said the ids),
   and clear with ``null`` what the draft no longer sets where an earlier
   round's upsert left it;
4. (by ids) create or update the step tasks, create the missing associations,
   at the collection the describe offers (under the stage or under the step);
5. delete the steps and objectives the draft no longer has (a 404 means the
   upsert already dropped them — the journal says so);
6. read the stage back and compare it with the draft.

A reply lost on its way (timeout, dropped connection, 502/504) to a request
that is not safe to repeat ends the round early: the next round reads what
the pod did and goes on from there, so a retry never duplicates. A round
that changed nothing — the pod holds the draft — ends the sync; after
`max_rounds` the stage fails with what still differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..remote import RemoteError
from ..remote.cx import CxSalesApi, child_path, stage_path
from ..remote.cx_fields import ASSOCIATIONS, KEY_ATTRIBUTES, OBJECTIVES, STAGE_CHILDREN, STAGES, STEPS, TASKS
from .compatibility.resolve import NESTED, Dialect
from .compatibility.wire import (
    STEP_LINK,
    STEP_LINKS,
    IdMap,
    MissingId,
    RemoteStage,
    comparable,
    comparable_stage,
    item_body,
    patch_body,
    read_stage,
    stage_body,
)

DEFAULT_ROUNDS = 3


class _StartOver(Exception):
    """The pod's stage is not what this round assumed (it is gone): plan again from `remote`."""

    def __init__(self, remote: RemoteStage | None):
        self.remote = remote
        super().__init__("start the round over")


class StageDiverged(Exception):
    """The pod still differs from the draft after every round; `message` says where."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class SyncResult:
    remote: RemoteStage  # what the pod holds now (= the draft)
    writes: int = 0
    rounds: int = 0
    status: int | None = None  # of the stage upsert, when there was one
    notes: list[str] = field(default_factory=list)


def _own(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in STAGE_CHILDREN}


def _by_number(resource: str, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(row[KEY_ATTRIBUTES[resource]]): row for row in rows}


def _association_refs(row: Mapping[str, Any]) -> tuple[Any, Any]:
    return row.get(STEP_LINK), row.get("StageObjectiveNumber")


class StageSync:
    """Writes one stage of `document` (contract form) to the pod until it holds exactly that."""

    def __init__(
        self,
        api: CxSalesApi,
        dialect: Dialect,
        *,
        orchestration_number: str,
        orchestration_id: int,
        document: dict[str, Any],
        known_absent: bool = False,
        max_rounds: int = DEFAULT_ROUNDS,
        annotate: Callable[[str], None] | None = None,
    ) -> None:
        self.api = api
        self.dialect = dialect
        self.orchestration_number = orchestration_number
        self.orchestration_id = orchestration_id
        self.draft = document
        self.number = str(document[KEY_ATTRIBUTES[STAGES]])
        self.known_absent = known_absent
        self.max_rounds = max_rounds
        self._annotate = annotate or (lambda note: None)
        self.step_children = tuple(r for r in (TASKS, ASSOCIATIONS) if dialect.location(r) == STEPS)
        self.nested = dialect.strategy == NESTED
        self.result = SyncResult(remote=RemoteStage(document={}))
        self._round_writes = 0
        self._reply_state: RemoteStage | None = None

    # -- the loop -------------------------------------------------------------------------------------------------

    def run(self) -> SyncResult:
        remote = None if self.known_absent else self.read("read the stage before writing it")
        last_error: RemoteError | None = None
        for _ in range(self.max_rounds):
            if remote is not None and self.converged(remote):
                break
            self.result.rounds += 1
            self._round_writes, self._reply_state = 0, None
            try:
                self.write_round(remote)
            except _StartOver as restart:
                self.note("the stage was not on the pod after the upsert; writing it again")
                remote = restart.remote
                continue
            except RemoteError as exc:
                if not exc.ambiguous:
                    raise
                last_error = exc
                self.note(f"no reply to a request that is not safe to repeat ({exc.message}); reading the stage")
                self.api.client.pause(self.result.rounds)  # a gateway in trouble needs a moment, as for a retry
                remote = self.read("see what the pod did with the request whose reply was lost")
                continue
            if self._round_writes == 1 and self._reply_state is not None:
                remote = self._reply_state  # the upsert's reply shows the whole stage
            else:
                remote = self.read("check the stage against the draft")
        else:
            if remote is None or not self.converged(remote):
                if last_error is not None:
                    raise last_error  # the remote kept failing: say so, not that it "differs"
                raise StageDiverged(self.difference(remote))
        if remote is None:  # pragma: no cover - converged() needs a stage
            raise StageDiverged(self.difference(None))
        self.result.remote = remote
        return self.result

    def converged(self, remote: RemoteStage) -> bool:
        return comparable_stage(remote.document) == comparable_stage(self.draft)

    def difference(self, remote: RemoteStage | None) -> str:
        """What still differs, in a sentence or two (the first few items)."""
        if remote is None:
            return f"stage {self.number} is not on the pod after {self.max_rounds} attempts to write it."
        mine, theirs = comparable_stage(self.draft), comparable_stage(remote.document)
        parts = []
        own_mine, own_theirs = _own(mine), _own(theirs)
        for name in sorted(set(own_mine) | set(own_theirs)):
            if own_mine.get(name) != own_theirs.get(name):
                parts.append(f"{name} is {own_theirs.get(name)!r}, the draft has {own_mine.get(name)!r}")
        for resource in STAGE_CHILDREN:
            a, b = _by_number(resource, mine[resource]), _by_number(resource, theirs[resource])
            for number in sorted(set(a) | set(b)):
                if number not in b:
                    parts.append(f"{resource} {number} is missing")
                elif number not in a:
                    parts.append(f"{resource} {number} is still there")
                elif a[number] != b[number]:
                    names = sorted(k for k in set(a[number]) | set(b[number]) if a[number].get(k) != b[number].get(k))
                    parts.append(f"{resource} {number} differs in {', '.join(names)}")
        shown = "; ".join(parts[:4]) + (f"; and {len(parts) - 4} more" if len(parts) > 4 else "")
        return f"after {self.max_rounds} rounds the pod's stage {self.number} still differs from the draft: {shown}."

    # -- requests -------------------------------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    def read(self, why: str) -> RemoteStage | None:
        self._annotate(why)
        item, etag = self.api.get_stage_response(
            self.orchestration_number, self.number, step_children=self.step_children
        )
        return read_stage(self.dialect, item, etag, exact_codes=True) if item is not None else None

    def _write(self, why: str) -> None:
        self._annotate(why)
        self._round_writes += 1
        self.result.writes += 1

    def _path(self, resource: str, number: str = "", *, step: str = "") -> str:
        in_step = step if resource in self.step_children else ""
        return child_path(self.orchestration_number, self.number, resource, number, step=in_step)

    def _delete(self, resource: str, row: Mapping[str, Any], why: str) -> None:
        number = str(row[KEY_ATTRIBUTES[resource]])
        self._write(why)
        if not self.api.delete_item(self._path(resource, number, step=str(row.get(STEP_LINK, "")))):
            self.note(f"{resource} {number} was already gone (404): the pod had dropped it itself")

    # -- one round ------------------------------------------------------------------------------------------------

    def write_round(self, remote: RemoteStage | None) -> None:
        draft = self.draft
        have = {r: remote.items(r) if remote else {} for r in STAGE_CHILDREN}
        want = {r: _by_number(r, draft.get(r) or []) for r in STAGE_CHILDREN}
        ids: IdMap = {r: dict(v) for r, v in (remote.ids if remote else {}).items()}

        # 1. leaves that must go first
        kept_associations = {}
        for number, row in have[ASSOCIATIONS].items():
            wanted = want[ASSOCIATIONS].get(number)
            if wanted is None:
                self._delete(ASSOCIATIONS, row, f"delete association {number}: the draft no longer has it")
            elif _association_refs(wanted) != _association_refs(row):
                self._delete(ASSOCIATIONS, row, f"delete association {number}: its step or objective changed")
            else:
                kept_associations[number] = row
        for number, row in have[TASKS].items():
            wanted = want[TASKS].get(number)
            if wanted is None:
                self._delete(TASKS, row, f"delete step task {number}: the draft no longer has it")
            elif wanted.get(STEP_LINK) != row.get(STEP_LINK) and (self.step_children or not self.nested):
                self._delete(TASKS, row, f"delete step task {number}: it moved to another step")
                have[TASKS] = {k: v for k, v in have[TASKS].items() if k != number}

        # 2. the stage itself
        needs_upsert = remote is None or self._stage_differs(remote, have, want)
        # Nested, the first write of a stage carries its associations too; beside existing ones
        # (which are never re-sent) or without an upsert, each is created on its own.
        list_associations = self.nested and needs_upsert and not kept_associations
        upserted: set[str] = set()
        if needs_upsert:
            body = stage_body(
                self.dialect,
                draft,
                orchestration_id=self.orchestration_id,
                tasks=self.nested,
                associations=list_associations,
                links=self.nested,
                ids=ids,
            )
            self._write(
                f"upsert stage {self.number} ({'with all its children' if self.nested else 'objectives and steps'})"
            )
            # A body that creates associations must not be repeated blindly: a pod may refuse to update one.
            repeatable = not (list_associations and want[ASSOCIATIONS])
            response = self.api.upsert_stage(self.orchestration_number, body, idempotent=repeatable)
            self.result.status = response.status
            if isinstance(response.data, dict):
                replied = read_stage(self.dialect, response.data, response.etag, exact_codes=True)
                for resource, found in replied.ids.items():
                    ids.setdefault(resource, {}).update(found)
                if self._whole(response.data):
                    self._reply_state = replied
            upserted = {STAGES, OBJECTIVES, STEPS} | ({TASKS} if self.nested else set())

        # 3. links, and what an earlier upsert left set
        self._patch_round(remote, have, want, ids, upserted)

        # 4. step tasks and associations on their own (by ids, or associations beside existing ones)
        if not self.nested:
            for number, row in want[TASKS].items():
                existing = have[TASKS].get(number)
                if existing is None or comparable(existing) != comparable(row):
                    self._post_child(TASKS, row, ids, upsert=True, why=f"write step task {number}")
        if not list_associations:
            for number, row in want[ASSOCIATIONS].items():
                if number not in kept_associations:
                    self._post_child(ASSOCIATIONS, row, ids, upsert=False, why=f"create association {number}")

        # 5. what the draft removed, now that nothing points at it
        for resource in (STEPS, OBJECTIVES):
            for number, row in have[resource].items():
                if number not in want[resource]:
                    label = "step" if resource == STEPS else "objective"
                    self._delete(resource, row, f"delete {label} {number}: the draft no longer has it")

    def _stage_differs(self, remote: RemoteStage, have, want) -> bool:
        """True when the upsert has something to set: the stage, or an objective, step (or, nested, task).

        Items the draft removed are deleted on their own, and what the draft
        clears is a PATCH: neither needs the upsert.
        """
        if {k: v for k, v in comparable(_own(self.draft)).items() if comparable(_own(remote.document)).get(k) != v}:
            return True
        for resource in (OBJECTIVES, STEPS, TASKS) if self.nested else (OBJECTIVES, STEPS):
            for number, row in want[resource].items():
                existing = have[resource].get(number)
                if existing is None:
                    return True
                mine, theirs = comparable(row), comparable(existing)
                if resource == STEPS and not self.nested:
                    mine = {k: v for k, v in mine.items() if k not in STEP_LINKS}
                if any(theirs.get(k) != v for k, v in mine.items()):
                    return True
        return False

    def _whole(self, item: Mapping[str, Any]) -> bool:
        """True when a reply shows every child collection of the stage (so it can stand for a GET)."""
        direct = [r for r in STAGE_CHILDREN if r not in self.step_children]
        if not all(r in item for r in direct):
            return False
        return all(all(r in step for r in self.step_children) for step in item.get(STEPS) or [])

    def _patch_round(self, remote: RemoteStage | None, have, want, ids: IdMap, upserted: set[str]) -> None:
        """PATCH links that differ (always explicit when clearing one) and clear what an earlier upsert left."""
        for resource in (STAGES, OBJECTIVES, STEPS, TASKS):
            if resource == STAGES:
                pairs = [(self.number, _own(self.draft), _own(remote.document) if remote else None)]
            else:
                pairs = [(n, row, have[resource].get(n)) for n, row in want[resource].items()]
            for number, mine, theirs in pairs:
                changes: dict[str, Any] = {}
                if resource == STEPS:
                    for link in STEP_LINKS:
                        current = (theirs or {}).get(link)
                        wanted = mine.get(link)
                        if (not self.nested and current != wanted) or (wanted is None and current is not None):
                            changes[link] = wanted
                if theirs is not None and resource not in upserted:
                    mine_c, theirs_c = comparable(mine), comparable(theirs)
                    for name in theirs_c:
                        if name not in mine_c and name not in STAGE_CHILDREN and name not in changes:
                            changes[name] = None
                    if resource == TASKS and not self.nested:
                        changes = {k: v for k, v in changes.items() if v is None}
                if not changes:
                    continue
                if theirs is None and all(v is None for v in changes.values()):
                    continue
                self._patch(resource, number, mine, changes, ids)

    def _patch(self, resource: str, number: str, row: Mapping[str, Any], changes: dict[str, Any], ids: IdMap) -> None:
        body = self._with_ids(lambda: patch_body(self.dialect, resource, changes, ids=ids), ids)
        if resource == STAGES:
            path = stage_path(self.orchestration_number, self.number)
        else:
            path = self._path(resource, number, step=str(row.get(STEP_LINK, "")))
        what = ", ".join(f"{k} {'cleared' if v is None else '→ ' + str(v)}" for k, v in changes.items())
        self._write(f"update {resource if resource != STAGES else 'stage'} {number}: {what}")
        self.api.patch_item(path, body)

    def _post_child(self, resource: str, row: Mapping[str, Any], ids: IdMap, *, upsert: bool, why: str) -> None:
        body = self._with_ids(lambda: item_body(self.dialect, resource, row, ids=ids), ids)
        path = self._path(resource, step=str(row.get(STEP_LINK, "")))
        self._write(why)
        self.api.post_item(path, body, upsert=upsert, idempotent=upsert)

    def _with_ids(self, build: Callable[[], dict[str, Any]], ids: IdMap) -> dict[str, Any]:
        """Build a body; when it needs an id the pod has not shown yet, read the stage once for its ids."""
        try:
            return build()
        except MissingId:
            fresh = self.read("read the ids the pod gave to the new objectives and steps")
            if fresh is None:
                raise _StartOver(None) from None
            for resource, found in fresh.ids.items():
                ids.setdefault(resource, {}).update(found)
            try:
                return build()
            except MissingId as exc:
                raise StageDiverged(
                    f"the pod did not give an id to {exc.resource} {exc.number} of stage {self.number}, "
                    "so it cannot be linked to."
                ) from exc
