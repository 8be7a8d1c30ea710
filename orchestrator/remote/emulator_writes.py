"""How the emulated pod changes what it holds: merges, deletes and identity, all in the pod's own shape.

A write starts from a copy of the stored stage (pod form) and the body that
was sent, and produces the new stage; the emulator then validates it in
contract form (emulator_codec.py, emulator_rules.py) before `assign_identity`
gives new items their ids and who-columns and the store saves it.

What an upsert does to children is the profile's `upsert_children`:

- ``replace`` (documented): a listed child array replaces that collection
  (items matched by number keep their ids; unlisted items are dropped); an
  absent array key leaves the collection as stored; a matched item becomes
  what was sent;
- ``merge`` (strict, like ADF): matched items get only the listed attributes
  (a JSON null clears one), unmatched listed items are created, unlisted
  items are kept.

A PATCH always merges. Every write records the items it touched, in order,
so the mandatory check judges each one as it will be stored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import emulator_rules as rules
from .emulator_profiles import GRANDCHILDREN, PodProfile
from .emulator_rules import IDS, WHO_COLUMNS, Problem

IDENTITY = frozenset(WHO_COLUMNS)


@dataclass
class Edit:
    """The result of merging a body into stored items: the items it touched and what it refused."""

    profile: PodProfile
    keys: Mapping[str, str]
    touched: list[tuple[str, dict[str, Any], int | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def item(self, resource: str, old: Mapping[str, Any] | None, sent: Mapping[str, Any], mode: str, index=None):
        """`sent` merged into `old` (None: a new item), nested children included."""
        children = self.profile.children(resource)
        own = {k: v for k, v in sent.items() if k not in children}
        if old is None:
            # A create in merge mode treats null as "not set"; replace mode keeps it for the schema to refuse.
            item = {k: v for k, v in own.items() if v is not None or mode == "replace"}
        elif mode == "replace":
            kept = {IDS[resource], *IDENTITY}
            item = {**{k: v for k, v in old.items() if k in kept}, **own}
        else:
            item = {k: v for k, v in old.items() if k not in children}
            for name, value in own.items():
                if value is None:
                    item.pop(name, None)
                else:
                    item[name] = value
        self.touched.append((resource, item, index))
        for child in children:
            old_rows = list((old or {}).get(child) or [])
            rows = sent.get(child, None) if child in sent else None
            if rows is None:
                item[child] = copy.deepcopy(old_rows)
            elif not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                place = rules.where(resource, sent, index, self.keys[resource])
                detail = f"Attribute {child} of {place} must be an array of items."
                self.problems.append(Problem(detail, rules.CODE_INVALID_VALUE))
                item[child] = copy.deepcopy(old_rows)
            else:
                item[child] = self.rows(child, old_rows, rows, mode)
        return item

    def rows(self, resource: str, old_rows: list[dict[str, Any]], sent_rows: list[dict[str, Any]], mode: str):
        """A listed child array merged into the stored collection."""
        key = self.keys[resource]
        stored = {row.get(key): row for row in old_rows}
        for sent in sent_rows:
            self.refuse_association_update(resource, stored.get(sent.get(key)), sent)
        if mode == "replace":
            return [self.item(resource, stored.get(row.get(key)), row, mode, i) for i, row in enumerate(sent_rows)]
        listed: dict[Any, tuple[int, dict[str, Any]]] = {}
        for i, row in enumerate(sent_rows):
            number = row.get(key)
            if number in listed and number is not None:
                count = sum(1 for r in sent_rows if r.get(key) == number)
                detail = f"{key} {number} appears {count} times in {resource}."
                if Problem(detail, rules.CODE_DUPLICATE) not in self.problems:
                    self.problems.append(Problem(detail, rules.CODE_DUPLICATE))
            listed.setdefault(number, (i, row))
        result = []
        for row in old_rows:
            match = listed.pop(row.get(key), None) if row.get(key) is not None else None
            result.append(self.item(resource, row, match[1], mode, match[0]) if match else copy.deepcopy(row))
        result.extend(self.item(resource, None, row, mode, i) for i, row in listed.values())
        return result

    def refuse_association_update(self, resource: str, old: Mapping[str, Any] | None, sent: Mapping[str, Any]):
        """Oracle documents "Update an orchestration step objective association — Not Supported"."""
        if resource != "StepObjectivesAssociations" or old is None or self.profile.association_reupsert:
            return
        number = sent.get(self.keys[resource])
        detail = f"Association {number} already exists; updating an association is not supported."
        self.problems.append(Problem(detail, rules.CODE_NOT_SUPPORTED))


def find(rows: list[dict[str, Any]], key: str, number: Any) -> int | None:
    """The index of the item numbered `number` in `rows`."""
    return next((i for i, row in enumerate(rows) if row.get(key) == number), None)


def walk(profile: PodProfile, resource: str, item: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`item` and every item nested in it, parents first."""
    yield resource, item  # type: ignore[misc]
    for child in profile.children(resource):
        for row in item.get(child) or []:
            if isinstance(row, dict):
                yield from walk(profile, child, row)


def fill_parent_links(profile: PodProfile, keys: Mapping[str, str], stage: dict[str, Any]) -> list[Problem]:
    """Nested step tasks and associations take their step link from the step they sit under.

    A value that was sent must be the parent's (else a problem); a parent
    without an id yet (created by this request) is filled after `assign_identity`.
    """
    if profile.child_location != "Steps":
        return []
    problems = []
    by_id = profile.links == "ids"
    for step in stage.get("Steps") or []:
        parent = step.get(IDS["Steps"]) if by_id else step.get(keys["Steps"])
        for child in GRANDCHILDREN:
            link = profile.pod_name(child, "OrchestrationStepNumber")
            for row in step.get(child) or []:
                if parent is None:
                    continue
                sent = row.get(link)
                if sent is not None and sent != parent:
                    label = f"{rules.LABELS[child]} {row.get(keys[child])}"
                    detail = (
                        f"{link} {sent} of {label} is not the one of its step {step.get(keys['Steps'])} ({parent})."
                    )
                    problems.append(Problem(detail, rules.CODE_BAD_REFERENCE))
                else:
                    row[link] = parent
    return problems


def _own(profile: PodProfile, resource: str, item: Mapping[str, Any]) -> dict[str, Any]:
    skip = {IDS[resource], *IDENTITY, *profile.children(resource)}
    return {k: v for k, v in item.items() if k not in skip}


def assign_identity(
    profile: PodProfile,
    keys: Mapping[str, str],
    new: dict[str, Any],
    old: Mapping[str, Any] | None,
    *,
    user: str,
    now: str,
    reserve: Callable[[int], list[int]],
    resource: str = "Stages",
) -> dict[str, Any]:
    """The new item with ids and who-columns: kept for numbers seen before, fresh for new ones.

    Last-update columns change only where something changed, so an identical
    re-send leaves the item (and its change indicator) as it was. A parent
    counts as changed when any item under it changed, appeared or went.
    """
    before = {(r, item.get(keys[r])): item for r, item in walk(profile, resource, old)} if old else {}
    fresh = [item for r, item in walk(profile, resource, new) if (r, item.get(keys[r])) not in before]
    ids = iter(reserve(len(fresh)))

    def build(res: str, item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        nested, changed = {}, False
        for child in profile.children(res):
            rows = []
            for row in item.get(child) or []:
                built, row_changed = build(child, row)
                rows.append(built)
                changed = changed or row_changed
            nested[child] = rows
        prev = before.get((res, item.get(keys[res])))
        own = _own(profile, res, item)
        if prev is None:
            who = {"CreatedBy": user, "CreationDate": now, "LastUpdatedBy": user, "LastUpdateDate": now}
            return {IDS[res]: next(ids), **own, **who, **nested}, True
        old_children = {
            (child, row.get(keys[child])) for child in profile.children(res) for row in prev.get(child) or []
        }
        new_children = {(child, row.get(keys[child])) for child in profile.children(res) for row in nested[child]}
        same = own == _own(profile, res, prev) and not changed and old_children == new_children
        who = {
            "CreatedBy": prev.get("CreatedBy", user),
            "CreationDate": prev.get("CreationDate", now),
            "LastUpdatedBy": prev.get("LastUpdatedBy", user) if same else user,
            "LastUpdateDate": prev.get("LastUpdateDate", now) if same else now,
        }
        return {IDS[res]: prev[IDS[res]], **own, **who, **nested}, not same

    result, _ = build(resource, new)
    fill_parent_links(profile, keys, result)
    return result


# -- what a body may carry ------------------------------------------------------------------------


def read_only_problems(
    profile: PodProfile, keys: Mapping[str, str], sent: Mapping[str, Any], resource: str, index: int | None = None
) -> list[Problem]:
    """Ids and who-columns are the pod's to assign, at every level of what was sent."""
    place = rules.where(resource, sent, index, keys[resource])
    problems = [
        Problem(f"Attribute {name} of {place} is read-only: the pod assigns it.", rules.CODE_INVALID_VALUE)
        for name in (IDS[resource], *WHO_COLUMNS)
        if name in sent
    ]
    for child in profile.children(resource):
        rows = sent.get(child)
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if isinstance(row, dict):
                problems += read_only_problems(profile, keys, row, child, i)
    return problems


def deep_create_problems(profile: PodProfile, sent: Mapping[str, Any], resource: str) -> list[Problem]:
    """Where tasks and associations are created only under their step, a body may not carry them."""
    if profile.deep_create or profile.child_location != "Steps" or resource not in ("Stages", "Steps"):
        return []
    holders = [sent]
    if resource == "Stages" and isinstance(sent.get("Steps"), list):
        holders += [step for step in sent["Steps"] if isinstance(step, dict)]
    found = [g for g in GRANDCHILDREN if any(g in holder for holder in holders)]
    what = "a stage" if resource == "Stages" else "a step"
    return [
        Problem(
            f"{g} cannot be sent inside {what} on this pod: POST each one to "
            f"…/child/Steps/{{OrchestrationStepNumber}}/child/{g}.",
            rules.CODE_NOT_SUPPORTED,
        )
        for g in found
    ]


def patch_shape_problems(
    profile: PodProfile, keys: Mapping[str, str], sent: Mapping[str, Any], resource: str, number: str
) -> list[Problem]:
    """A PATCH changes the item's own attributes, and never its key."""
    problems = [
        Problem(
            f"A PATCH of {rules.LABELS[resource]} {number} changes its own attributes only; "
            f"send {child} to its own collection.",
            rules.CODE_NOT_SUPPORTED,
        )
        for child in profile.children(resource)
        if child in sent
    ]
    key = keys[resource]
    if key in sent and sent[key] != number:
        problems.append(Problem(f"Attribute {key} cannot change: the path names {number}.", rules.CODE_INVALID_VALUE))
    return problems
