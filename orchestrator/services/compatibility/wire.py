"""Translate between the contract's documents and what one pod sends and receives (its `Dialect`).

Outbound, a contract item (``stage_document`` and its children, the
orchestration header) becomes a pod body: each attribute under the pod's
name, codes mapped (``CX_CODES``), binary LOBs base64-encoded, links written
as the target's number or its numeric id, and the mandatory attributes we do
not model filled in (create bodies only).

Inbound, a pod's stage item (names, codes, encodings and id links of that
pod; step tasks and associations beside the steps or inside them) becomes
the contract's stage document again, plus the ids of every item — so pull,
the review's live diff and the publish's own check compare like with like.
Pure: no HTTP, no queries.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...remote.cx_fields import (
    ASSOCIATIONS,
    ID_ATTRIBUTES,
    KEY_ATTRIBUTES,
    OBJECTIVES,
    ORCHESTRATIONS,
    STAGE_CHILDREN,
    STAGES,
    STEPS,
    TASKS,
    catalogue,
)
from ..documents.export import STEP_SETTING_ATTRIBUTES, step_attributes_used
from ..remote_ids import change_indicator
from .resolve import Dialect

IdMap = dict[str, dict[str, int]]  # resource -> {number: id}
# Attributes the pod may set itself, so a difference in them says nothing about our write.
NOT_COMPARED = frozenset({"ContainErrorsFlag"})
STEP_LINK = "OrchestrationStepNumber"


class MissingId(Exception):
    """A link by id points at an item whose id the pod has not given (yet)."""

    def __init__(self, resource: str, number: str):
        self.resource, self.number = resource, number
        super().__init__(f"no id known for {resource} {number}")


def _encode(value: Any) -> Any:
    return base64.b64encode(str(value).encode("utf-8")).decode("ascii")


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return value  # not base64 after all: keep it, the comparison or the import will say so


def item_body(
    dialect: Dialect,
    resource: str,
    item: Mapping[str, Any],
    *,
    ids: IdMap | None = None,
    skip: frozenset[str] = frozenset(),
    create: bool = True,
) -> dict[str, Any]:
    """One contract item (no child arrays) as the pod's body.

    `skip` names contract attributes to leave out (links sent later). Links
    by id look the target up in `ids` (raises MissingId). A step reference
    implied by the path (children created under their step) is sent only
    when the pod describes it. `create` adds the mandatory attributes we do
    not model, with their defaults.
    """
    rd = dialect[resource]
    body: dict[str, Any] = {}
    for name, value in item.items():
        if name in STAGE_CHILDREN or name in skip:
            continue
        attribute = rd.attributes.get(name)
        if attribute is None or attribute.missing:
            if name == STEP_LINK and rd.location == STEPS:
                continue  # the path names the step
            raise ValueError(f"{resource}.{name} has no name on this pod; the compatibility check must refuse first")
        if value is not None:
            field_ = catalogue()[resource][name]
            if field_.kind == "link" and attribute.link_kind == "id":
                number = str(value)
                found = (ids or {}).get(field_.target, {}).get(number)
                if found is None:
                    raise MissingId(field_.target, number)
                value = found
            elif field_.kind == "code":
                value = attribute.codes.get(value, value)
            elif attribute.binary:
                value = _encode(value)
        body[attribute.pod] = value
    if create:
        for extra in rd.extras:
            if extra.covered and extra.name not in body:
                body[extra.name] = extra.value
    return body


def header_body(dialect: Dialect, header: Mapping[str, Any]) -> dict[str, Any]:
    """The body of POST …/orchestrations for this pod."""
    return item_body(dialect, ORCHESTRATIONS, header)


STEP_LINKS = frozenset({"SuccessStepNumber", "FailureStepNumber"})


def stage_body(
    dialect: Dialect,
    document: Mapping[str, Any],
    *,
    orchestration_id: int,
    tasks: bool,
    associations: bool,
    links: bool,
    ids: IdMap | None = None,
) -> dict[str, Any]:
    """The stage upsert body: the stage, its objectives and steps, and (nested strategy) tasks and associations."""
    stage = {"OrchestrationId": orchestration_id, **{k: v for k, v in document.items() if k not in STAGE_CHILDREN}}
    body = item_body(dialect, STAGES, stage)
    body[OBJECTIVES] = [item_body(dialect, OBJECTIVES, o) for o in document.get(OBJECTIVES, [])]
    skip = frozenset() if links else STEP_LINKS
    body[STEPS] = [item_body(dialect, STEPS, s, ids=ids, skip=skip) for s in document.get(STEPS, [])]
    if tasks:
        body[TASKS] = [item_body(dialect, TASKS, t, ids=ids) for t in document.get(TASKS, [])]
    if associations:
        body[ASSOCIATIONS] = [item_body(dialect, ASSOCIATIONS, a, ids=ids) for a in document.get(ASSOCIATIONS, [])]
    return body


def patch_body(dialect: Dialect, resource: str, changes: Mapping[str, Any], *, ids: IdMap | None = None) -> dict:
    """A PATCH body: the changed attributes under the pod's names; None clears an attribute."""
    return item_body(dialect, resource, changes, ids=ids, create=False)


# -- reading the pod back ------------------------------------------------------------------------------------------


def child_list(value: Any) -> list[dict[str, Any]]:
    """A child collection as a list: a plain array, or (REST framework ≥ 3) an object with `items`."""
    if isinstance(value, dict):
        value = value.get("items")
    return [item for item in value or [] if isinstance(item, dict)]


@dataclass
class RemoteStage:
    """A pod's stage in contract form, with the ids of everything in it."""

    document: dict[str, Any]
    ids: IdMap = field(default_factory=dict)
    change_indicators: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def number(self) -> str:
        return str(self.document.get(KEY_ATTRIBUTES[STAGES], ""))

    def items(self, resource: str) -> dict[str, dict[str, Any]]:
        """The stage's children of `resource` by number."""
        return {str(i[KEY_ATTRIBUTES[resource]]): i for i in self.document.get(resource, [])}


def _read_item(
    dialect: Dialect,
    resource: str,
    raw: Mapping[str, Any],
    id_numbers: Mapping[str, Mapping[int, str]],
    *,
    exact_codes: bool = False,
) -> dict[str, Any]:
    """A pod item as a contract item in contract key order; nulls and the pod's extra attributes dropped.

    With `exact_codes`, a pod value that is one of our codes the map sends
    differently (written before the map existed) reads as a difference, so a
    publish rewrites it; a pull keeps it as it is.
    """
    rd = dialect[resource]
    out: dict[str, Any] = {}
    for name, field_ in catalogue()[resource].items():
        attribute = rd.attributes[name]
        if attribute.missing or attribute.pod not in raw or raw[attribute.pod] is None:
            continue
        value = raw[attribute.pod]
        if field_.kind == "link" and attribute.link_kind == "id":
            try:
                value = id_numbers.get(field_.target, {})[int(value)]
            except (KeyError, TypeError, ValueError):
                value = f"#{value}"  # an id outside this stage: never equal to a number of ours
        elif field_.kind == "code":
            reverse = {pod: ours for ours, pod in attribute.codes.items()}
            if exact_codes and value not in reverse and attribute.codes.get(value, value) != value:
                value = f"#unmapped:{value}"
            else:
                value = reverse.get(value, value)
        elif attribute.binary:
            value = _decode(value)
        out[name] = value
    if resource == STEPS:
        # A pod returns every attribute, unused ones as 0 or false: those are not settings of this step.
        used = step_attributes_used(str(out.get("StepType", "")))
        settings = {attribute for _, attribute in STEP_SETTING_ATTRIBUTES}
        out = {k: v for k, v in out.items() if k not in settings or k in used or v not in (0, False, "")}
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _sequence(item: Mapping[str, Any]) -> tuple[int, str]:
    sequence = item.get("DisplaySequence")
    return (sequence if isinstance(sequence, int) else 0, str(item.get(KEY_ATTRIBUTES[STAGES], "")))


def read_stage(dialect: Dialect, item: Mapping[str, Any], etag: str = "", *, exact_codes: bool = False) -> RemoteStage:
    """A pod's stage item (children as lists or collections, step-level ones inside their steps) in contract form.

    `exact_codes`: see `_read_item` (the publish's own check asks for it).
    """
    stage_pod_key = dialect[STAGES].pod(KEY_ATTRIBUTES[STAGES]) or KEY_ATTRIBUTES[STAGES]
    raw_children: dict[str, list[tuple[dict[str, Any], str]]] = {r: [] for r in STAGE_CHILDREN}
    for resource in (OBJECTIVES, STEPS):
        raw_children[resource] = [(c, "") for c in child_list(item.get(resource))]
    step_key = dialect[STEPS].pod(KEY_ATTRIBUTES[STEPS]) or KEY_ATTRIBUTES[STEPS]
    for resource in (TASKS, ASSOCIATIONS):
        if dialect.location(resource) == STEPS:
            for step, _ in raw_children[STEPS]:
                parent = str(step.get(step_key, ""))
                raw_children[resource] += [(c, parent) for c in child_list(step.get(resource))]
        else:
            raw_children[resource] = [(c, "") for c in child_list(item.get(resource))]

    ids: IdMap = {STAGES: {}}
    indicators: dict[str, dict[str, str]] = {}
    id_numbers: dict[str, dict[int, str]] = {}
    number = str(item.get(stage_pod_key, ""))
    stage_id = _int(item.get(ID_ATTRIBUTES[STAGES]))
    if stage_id is not None:
        ids[STAGES][number] = stage_id
    indicators[STAGES] = {number: change_indicator(dict(item), etag)}
    for resource in STAGE_CHILDREN:
        key = dialect[resource].pod(KEY_ATTRIBUTES[resource]) or KEY_ATTRIBUTES[resource]
        ids[resource], id_numbers[resource], indicators[resource] = {}, {}, {}
        for raw, _ in raw_children[resource]:
            child_number = str(raw.get(key, ""))
            child_id = _int(raw.get(ID_ATTRIBUTES[resource]))
            if child_id is not None:
                ids[resource][child_number] = child_id
                id_numbers[resource][child_id] = child_number
            indicators[resource][child_number] = change_indicator(raw)

    document = _read_item(dialect, STAGES, item, id_numbers, exact_codes=exact_codes)
    document.pop("OrchestrationId", None)
    for resource in STAGE_CHILDREN:
        rows = []
        for raw, parent in raw_children[resource]:
            row = _read_item(dialect, resource, raw, id_numbers, exact_codes=exact_codes)
            if parent and STEP_LINK in catalogue()[resource]:
                row = _with_step(resource, row, parent)
            rows.append(row)
        document[resource] = rows
    document[OBJECTIVES].sort(key=_sequence)
    document[STEPS].sort(key=_sequence)
    step_order = {s[KEY_ATTRIBUTES[STEPS]]: position for position, s in enumerate(document[STEPS])}
    document[TASKS].sort(key=lambda t: (step_order.get(t.get(STEP_LINK), 1 << 30), _sequence(t)))
    objective_order = {o[KEY_ATTRIBUTES[OBJECTIVES]]: p for p, o in enumerate(document[OBJECTIVES])}
    document[ASSOCIATIONS].sort(
        key=lambda a: (
            step_order.get(a.get(STEP_LINK), 1 << 30),
            objective_order.get(a.get("StageObjectiveNumber"), 1 << 30),
            str(a.get(KEY_ATTRIBUTES[ASSOCIATIONS], "")),
        )
    )
    return RemoteStage(document=document, ids=ids, change_indicators=indicators)


def _with_step(resource: str, row: dict[str, Any], step_number: str) -> dict[str, Any]:
    """The row with its parent step's number (children read under their step), in contract key order."""
    row = {**row, STEP_LINK: step_number}
    return {name: row[name] for name in catalogue()[resource] if name in row}


def read_header(dialect: Dialect, item: Mapping[str, Any]) -> dict[str, Any]:
    """A pod's orchestration item as the contract header (names and codes mapped back)."""
    return _read_item(dialect, ORCHESTRATIONS, item, {})


# -- comparing -----------------------------------------------------------------------------------------------------


def comparable(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item reduced to what a write decides: no false flags (a pod defaults them), no pod-computed attributes."""
    return {k: v for k, v in item.items() if k not in NOT_COMPARED and v is not False and v is not None}


def comparable_stage(document: Mapping[str, Any]) -> dict[str, Any]:
    """A whole stage document as `comparable`, each child array sorted by number."""
    out = comparable({k: v for k, v in document.items() if k not in STAGE_CHILDREN})
    for resource in STAGE_CHILDREN:
        key = KEY_ATTRIBUTES[resource]
        out[resource] = sorted((comparable(i) for i in document.get(resource) or []), key=lambda i: str(i.get(key)))
    return out
